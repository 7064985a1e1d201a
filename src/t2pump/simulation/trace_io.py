"""Save and load traces as Parquet: one row per (patient, time), one column per signal.

The file carries the units of each signal and the t2pump version in its schema metadata. Writes
are atomic: the file is written next to its destination and renamed into place, so an interrupted
save never leaves a half-written trace.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from t2pump import __version__
from t2pump.errors import InputRangeError
from t2pump.simulation.engine import Trace

__all__ = ["load_trace", "save_trace"]

_META_KEY = b"t2pump.trace"


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
    meta = {
        "units": trace.units,
        "version": __version__,
        "n_patients": n_patients,
        "n_times": n_times,
        "origin_date": trace.origin_date,
    }
    table = pa.table(columns).replace_schema_metadata({_META_KEY: json.dumps(meta).encode()})
    path = Path(path)
    fd, tmp = tempfile.mkstemp(
        dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.", suffix=".tmp"
    )
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_trace(path: Path) -> Trace:
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputRangeError("trace", str(path), f"a t2pump Parquet trace ({exc})") from None
    raw = (table.schema.metadata or {}).get(_META_KEY)
    if raw is None:
        raise InputRangeError(f"{path}:metadata", None, "a t2pump trace (t2pump.trace metadata missing)")
    meta = json.loads(raw)
    n, m = int(meta["n_patients"]), int(meta["n_times"])
    patients = table.column("patient").to_pylist()[::m]
    t_min = table.column("t_min").to_numpy()[:m].astype(np.float64)
    signals = {name: table.column(name).to_numpy().reshape(n, m).astype(np.float64) for name in meta["units"]}
    return Trace(
        t_min=t_min,
        patients=tuple(patients),
        signals=signals,
        units=dict(meta["units"]),
        origin_date=meta.get("origin_date"),
    )
