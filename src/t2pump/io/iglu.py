"""iglu's CSV layout: ``id,time,gl``, one row per reading, any number of patients.

The table every iglu function takes (research note cgm_metrics.md section 2): ``id`` (patient),
``time`` (local wall clock, ``YYYY-MM-DD HH:MM:SS``; R's ``write.csv`` also adds a first unnamed
column, which is ignored, as are any other columns), ``gl`` (mg/dL). Empty or ``NA`` glucose rows
are dropped (iglu drops incomplete rows); any other non-number is an error. Patients come out in
the order of their first row.
"""

from __future__ import annotations

from t2pump.errors import InputRangeError
from t2pump.io._records import PatientRecords
from t2pump.io._text import Header, Source, delimiter_of, first_lines, parse_glucose, rows_of, split_line
from t2pump.io._time import LocalTimes

__all__ = ["read_iglu", "sniff_iglu"]

_NA = frozenset({"", "na", "nan"})


def sniff_iglu(head: str) -> str | None:
    """None if the first line is a header with ``id``, ``time`` and ``gl`` columns."""
    line = first_lines(head, 1)[0]
    names = {f.strip().casefold() for f in split_line(line, delimiter_of(line))}
    if {"id", "time", "gl"} <= names:
        return None
    return "first line is not a header with 'id', 'time' and 'gl' columns"


def read_iglu(source: Source) -> list[PatientRecords]:
    line = first_lines(source.text, 1)[0]
    rows = rows_of(source, delimiter_of(line))
    if not rows:
        raise InputRangeError(source.where(1, "header"), "", "a header id,time,gl")
    header = Header(rows[0])
    i_id, i_time, i_gl = (header.require(source, name) for name in ("id", "time", "gl"))
    times = LocalTimes("time", day_first=False)
    kept: list[tuple[str, int, str, str]] = []
    for row in rows[1:]:
        if row.is_blank():
            continue
        gl = Header.cell(row, i_gl)
        if gl.casefold() in _NA:
            continue
        patient = Header.cell(row, i_id)
        if not patient:
            raise InputRangeError(source.where(row.line, "id"), patient, "a patient id")
        pos = times.add(Header.cell(row, i_time), source.where(row.line, "time"))
        kept.append((patient, pos, gl, source.where(row.line, "gl")))
    ms = times.parse()
    patients: dict[str, PatientRecords] = {}
    for patient, pos, gl, where in kept:
        value, _ = parse_glucose(gl, where, "mg/dL", None)  # no device range: High/Low are errors
        patients.setdefault(patient, PatientRecords(patient)).add_cgm(ms[pos], value)
    return list(patients.values())
