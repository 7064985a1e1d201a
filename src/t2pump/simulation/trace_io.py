"""Save and load traces as Parquet: one row per (patient, time), one column per signal.

The file carries the units of each signal and the t2pump version in its schema metadata. A trace's
decision log (:attr:`~t2pump.simulation.engine.Trace.decisions`), when it has one, goes to a second
Parquet file beside it, ``<name>.decisions.parquet``, one row per decision; both files carry the
same random ``run_id``, so that a log is read back only with the trace it was written with.

Writes are atomic: each file is written next to its destination and renamed into place (the log
first, then the trace), so an interrupted save never leaves a half-written file, and a log left from
another save is recognised by its ``run_id`` and ignored (with a warning).
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from t2pump import __version__
from t2pump.errors import InputRangeError
from t2pump.simulation.engine import DECISION_FIELDS, Trace

__all__ = ["decisions_path", "load_trace", "save_trace"]

_META_KEY = b"t2pump.trace"
_DECISIONS_KEY = b"t2pump.decisions"


def decisions_path(path: Path) -> Path:
    """Where the decision log of the trace saved at ``path`` goes: ``<stem>.decisions.parquet``."""
    path = Path(path)
    stem = path.name[: -len(".parquet")] if path.name.endswith(".parquet") else path.name
    return path.with_name(f"{stem}.decisions.parquet")


def save_trace(trace: Trace, path: Path) -> None:
    n_patients = len(trace.patients)
    n_times = trace.t_min.size
    columns: dict[str, object] = {
        "patient": np.repeat(np.asarray(trace.patients, dtype=object), n_times),
        "t_min": np.tile(trace.t_min, n_patients),
    }
    for name, values in trace.signals.items():
        if values.shape != (n_patients, n_times):
            raise InputRangeError(f"trace.signals[{name}].shape", values.shape, f"({n_patients}, {n_times})")
        columns[name] = values.reshape(-1)
    run_id = uuid.uuid4().hex
    meta = {
        "units": trace.units,
        "version": __version__,
        "n_patients": n_patients,
        "n_times": n_times,
        "origin_date": trace.origin_date,
        "run_id": run_id,
        "decisions": trace.decisions is not None,
    }
    table = pa.table(columns).replace_schema_metadata({_META_KEY: json.dumps(meta).encode()})
    path = Path(path)
    side = decisions_path(path)
    log = None if trace.decisions is None else _decision_table(trace, run_id)
    tmp_trace = _temporary(path)
    tmp_log = _temporary(side) if log is not None else None
    try:
        pq.write_table(table, tmp_trace)
        if log is not None and tmp_log is not None:
            pq.write_table(log, tmp_log)
            os.replace(tmp_log, side)
        os.replace(tmp_trace, path)
        if log is None and side.exists():
            side.unlink()  # a log of an earlier save: this trace has none
    finally:
        for tmp in (tmp_trace, tmp_log):
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)


def _temporary(path: Path) -> str:
    fd, tmp = tempfile.mkstemp(
        dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.", suffix=".tmp"
    )
    os.close(fd)
    return tmp


def _decision_table(trace: Trace, run_id: str) -> pa.Table:
    log = trace.decisions
    assert log is not None
    missing = [f for f in DECISION_FIELDS if f not in log]
    if missing:
        raise InputRangeError("trace.decisions", sorted(log), f"the fields {', '.join(DECISION_FIELDS)}")
    sizes = {f: np.shape(log[f]) for f in DECISION_FIELDS}
    if len(set(sizes.values())) != 1 or len(sizes["patient"]) != 1:
        raise InputRangeError("trace.decisions shapes", sizes, "one 1-D array per field, all of one length")
    rows = np.asarray(log["patient"], dtype=np.int64)
    if rows.size and (rows.min() < 0 or rows.max() >= len(trace.patients)):
        raise InputRangeError(
            "trace.decisions.patient", int(rows.max()), f"rows in [0, {len(trace.patients)})"
        )
    columns: dict[str, Any] = {"patient": np.asarray(trace.patients, dtype=object)[rows]}
    for f in DECISION_FIELDS[1:]:
        columns[f] = np.asarray(log[f], dtype=_dtype(f))
    meta = {"run_id": run_id, "version": __version__}
    return pa.table(columns).replace_schema_metadata({_DECISIONS_KEY: json.dumps(meta).encode()})


def load_trace(path: Path) -> Trace:
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputRangeError("trace", str(path), f"a t2pump Parquet trace ({exc})") from None
    raw = (table.schema.metadata or {}).get(_META_KEY)
    if raw is None and _DECISIONS_KEY in (table.schema.metadata or {}):
        raise InputRangeError(
            f"{path}:metadata",
            "t2pump.decisions",
            "a t2pump trace, not a decision log (read the trace beside it)",
        )
    if raw is None:
        raise InputRangeError(f"{path}:metadata", None, "a t2pump trace (t2pump.trace metadata missing)")
    meta = json.loads(raw)
    n, m = int(meta["n_patients"]), int(meta["n_times"])
    patients = table.column("patient").to_pylist()[::m]
    t_min = table.column("t_min").to_numpy()[:m].astype(np.float64)
    signals = {name: table.column(name).to_numpy().reshape(n, m).astype(np.float64) for name in meta["units"]}
    decisions = _load_decisions(Path(path), meta, tuple(patients)) if meta.get("decisions") else None
    return Trace(
        t_min=t_min,
        patients=tuple(patients),
        signals=signals,
        units=dict(meta["units"]),
        origin_date=meta.get("origin_date"),
        decisions=decisions,
    )


def _load_decisions(
    path: Path, meta: dict[str, Any], patients: tuple[str, ...]
) -> dict[str, NDArray[np.generic]] | None:
    side = decisions_path(path)
    try:
        table = pq.read_table(side)
        log_meta = json.loads((table.schema.metadata or {})[_DECISIONS_KEY])
    except (OSError, pa.ArrowInvalid, KeyError, ValueError):
        warnings.warn(f"{side}: the decision log of {path.name} is missing or unreadable", stacklevel=3)
        return None
    if log_meta.get("run_id") != meta.get("run_id"):
        warnings.warn(f"{side}: a decision log from another save of {path.name}, ignored", stacklevel=3)
        return None
    row = {p: i for i, p in enumerate(patients)}
    ids = table.column("patient").to_pylist()
    unknown = [p for p in ids if p not in row]
    if unknown:
        raise InputRangeError(f"{side}:patient", unknown[0], f"a patient of {path.name}")
    log: dict[str, NDArray[np.generic]] = {"patient": np.array([row[p] for p in ids], dtype=np.int64)}
    for f in DECISION_FIELDS[1:]:
        log[f] = table.column(f).to_numpy().astype(_dtype(f))
    return log


def _dtype(field: str) -> type[np.generic]:
    """A decision field's type: the clamp codes are bit flags, the rest numbers."""
    return np.int64 if field == "clamp_codes" else np.float64
