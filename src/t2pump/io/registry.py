"""The formats t2pump reads, their detection, and reading files into traces."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from t2pump.errors import InputRangeError
from t2pump.io._records import PatientRecords, build_trace
from t2pump.io._text import Source, decode, first_lines, stem_of
from t2pump.io.carelink import read_carelink, sniff_carelink
from t2pump.io.clarity import read_clarity, sniff_clarity
from t2pump.io.iglu import read_iglu, sniff_iglu
from t2pump.io.libreview import read_libreview, sniff_libreview
from t2pump.io.nightscout import profile_zone, read_nightscout, sniff_nightscout
from t2pump.io.tconnect import read_tconnect, sniff_tconnect
from t2pump.io.tidepool import read_tidepool, sniff_tidepool
from t2pump.simulation.engine import Trace
from t2pump.simulation.trace_io import load_trace

__all__ = [
    "AUTO",
    "FORMATS",
    "TRACE_FORMAT",
    "ImportFormat",
    "detect_format",
    "read_bytes",
    "read_file",
    "read_files",
]

AUTO = "auto"
# t2pump's own traces (simulation output, docs/trace_format.md): Parquet, recognised by its magic
# bytes, read as they were saved (all their patients, one trace).
TRACE_FORMAT = "t2pump-trace"
_PARQUET_MAGIC = b"PAR1"
_SNIFF_CHARS = 65_536  # detection reads the start of a file only


@dataclass(frozen=True, slots=True)
class ImportFormat:
    """One export format: ``sniff(head)`` is None when the file's start matches, else the reason."""

    name: str
    title: str
    sniff: Callable[[str], str | None]
    read: Callable[[Source], list[PatientRecords]]
    multi_patient: bool = False  # the file names its patients (else one patient, id = file stem)


# Detection order: the most specific signatures first.
FORMATS: dict[str, ImportFormat] = {
    f.name: f
    for f in (
        ImportFormat("tconnect", "Tandem t:connect Therapy Timeline CSV", sniff_tconnect, read_tconnect),
        ImportFormat("carelink", "Medtronic CareLink CSV", sniff_carelink, read_carelink),
        ImportFormat("libreview", "Abbott LibreView CSV", sniff_libreview, read_libreview),
        ImportFormat("clarity", "Dexcom Clarity CSV", sniff_clarity, read_clarity),
        ImportFormat("tidepool", "Tidepool JSON", sniff_tidepool, read_tidepool),
        ImportFormat("nightscout", "Nightscout entries/treatments JSON", sniff_nightscout, read_nightscout),
        ImportFormat("iglu", "iglu CSV id,time,gl", sniff_iglu, read_iglu, multi_patient=True),
    )
}


def _zone(tz: str | ZoneInfo | None) -> ZoneInfo | None:
    if tz is None or isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputRangeError("tz", tz, "an IANA time zone such as Europe/Paris") from None


def _detect(text: str, name: str) -> ImportFormat:
    head = text[:_SNIFF_CHARS]
    reasons = []
    for f in FORMATS.values():
        why = f.sniff(head)
        if why is None:
            return f
        reasons.append(f"{f.name} ({why})")
    raise InputRangeError(
        f"{name}:1", first_lines(text, 1)[0][:80], "one of the formats: " + "; ".join(reasons)
    )


def _format(fmt: str, text: str, name: str) -> ImportFormat:
    if fmt == AUTO:
        return _detect(text, name)
    if fmt not in FORMATS:
        raise InputRangeError("format", fmt, "auto or one of " + ", ".join([*FORMATS, TRACE_FORMAT]))
    return FORMATS[fmt]


def _is_trace(data: bytes, fmt: str) -> bool:
    """A t2pump Parquet trace read as such (auto-detected by its magic bytes, or named)."""
    return fmt == TRACE_FORMAT or (fmt == AUTO and data[: len(_PARQUET_MAGIC)] == _PARQUET_MAGIC)


@dataclass(frozen=True, slots=True)
class _Loaded:
    """One file, decoded, with its format."""

    name: str
    text: str
    fmt: ImportFormat


def _decode(data: bytes, name: str, fmt: str) -> _Loaded:
    text = decode(data, name)
    return _Loaded(name, text, _format(fmt, text, name))


def _zone_of(loaded: list[_Loaded], tz: ZoneInfo | None, patient_id: str | None) -> ZoneInfo | None:
    """``tz``, else the time zone of the Nightscout profiles read in the same call (if any).

    A profile's zone is the zone Nightscout reads its basal programs in; it applies to every
    Nightscout file of the call (module doc of :mod:`t2pump.io.nightscout`).
    """
    if tz is not None:
        return tz
    zones: dict[str, tuple[str, ZoneInfo]] = {}
    for item in loaded:
        if item.fmt.name == "nightscout":
            source = Source(name=item.name, text=item.text, patient_id=patient_id or stem_of(item.name))
            zone = profile_zone(source)
            if zone is not None:
                zones.setdefault(zone.key, (item.name, zone))
    if len(zones) > 1:
        (first, _), (second, zone) = list(zones.values())[:2]
        raise InputRangeError(second, zone.key, f"the time zone of {first}'s profile, or the tz option")
    return next(iter(zones.values()))[1] if zones else None


def _read_loaded(item: _Loaded, tz: ZoneInfo | None, patient_id: str | None) -> list[PatientRecords]:
    source = Source(name=item.name, text=item.text, patient_id=patient_id or stem_of(item.name), tz=tz)
    records = [r for r in item.fmt.read(source) if r.has_content()]
    if not records:
        raise InputRangeError(
            item.name, f"no readings, doses or carbohydrate ({item.fmt.title})", "at least one record"
        )
    return records


def _load(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputRangeError(str(path), exc.strerror or str(exc), "a readable file") from None


def detect_format(path: str | Path) -> str:
    """The name of ``path``'s format (a key of :data:`FORMATS`, or :data:`TRACE_FORMAT`), or an error
    listing every format tried."""
    name = str(path)
    data = _load(path)
    if _is_trace(data, AUTO):
        return TRACE_FORMAT
    return _detect(decode(data, name), name).name


def read_bytes(
    data: bytes,
    name: str,
    fmt: str = AUTO,
    *,
    tz: str | ZoneInfo | None = None,
    patient_id: str | None = None,
) -> list[Trace]:
    """Read an export held in memory (an upload); ``name`` is its file name (id and errors)."""
    loaded = _decode(data, name, fmt)
    records = _read_loaded(loaded, _zone_of([loaded], _zone(tz), patient_id), patient_id)
    return [build_trace(r, name) for r in records]


def read_file(
    path: str | Path, fmt: str = AUTO, *, tz: str | ZoneInfo | None = None, patient_id: str | None = None
) -> list[Trace]:
    """One trace per patient of ``path`` (see :mod:`t2pump.io` for the rules)."""
    return read_files([path], fmt, tz=tz, patient_id=patient_id)


def read_files(
    paths: Sequence[str | Path],
    fmt: str = AUTO,
    *,
    tz: str | ZoneInfo | None = None,
    patient_id: str | None = None,
) -> list[Trace]:
    """One trace per patient id over all ``paths``: records of one id are merged (later files later).

    A single-patient export's id is ``patient_id`` if given, else its file stem. Two different
    files whose default ids (stems) agree are an error rather than a silent merge: give
    ``patient_id`` to merge them (e.g. a Nightscout entries, treatments and profile file). The
    time zone of Nightscout profiles applies to every Nightscout file of the call unless ``tz``
    is given (:mod:`t2pump.io.nightscout`).
    """
    traces: list[Trace] = []
    loaded = []
    for path in paths:
        data = _load(path)
        if _is_trace(data, fmt):
            traces.append(load_trace(Path(path)))
        else:
            loaded.append(_decode(data, str(path), fmt))
    zone = _zone_of(loaded, _zone(tz), patient_id)
    merged: dict[str, PatientRecords] = {}
    origin: dict[str, tuple[str, bool]] = {}  # id -> (first file, id came from the file name)
    for item in loaded:
        name = item.name
        records = _read_loaded(item, zone, patient_id)
        by_stem = patient_id is None and not item.fmt.multi_patient
        for rec in records:
            if rec.patient not in merged:
                merged[rec.patient], origin[rec.patient] = rec, (name, by_stem)
                continue
            first, first_by_stem = origin[rec.patient]
            if (by_stem or first_by_stem) and first != name:
                raise InputRangeError(
                    name,
                    rec.patient,
                    f"a patient id different from {first}'s (rename a file or pass patient_id)",
                )
            merged[rec.patient].extend(rec)
    return traces + [build_trace(r, origin[r.patient][0]) for r in merged.values()]
