"""Medtronic CareLink CSV export: legacy Paradigm and current (670G/770G/780G, Guardian 4) layouts.

Layout (research note cgm_metrics.md section 5.3): a preamble (patient and device lines), then
one or more sections, each opened by a header line ``Index,Date,Time,...`` and, in the current
layout, introduced by a separator ``-------,<device>,Pump|Sensor,<serial>,-------``. Columns
vary with firmware and are found by name in each section's own header. EU exports use ``;`` as
separator and a decimal comma (``94,00000``); mmol/L exports name glucose columns ``(mmol/L)``.
Both layouts come with either separator.

Imported, per row (pump and sensor rows alike):

* ``Sensor Glucose (mg/dL|mmol/L)`` -> ``cgm`` (``High``/``Low`` -> 400/40 mg/dL flagged, the
  Guardian reporting range [1]_);
* ``Bolus Volume Delivered (U)`` -> ``insulin_bolus``. ``Bolus Type`` is ``Normal``, ``Square``,
  ``Dual (normal part)`` or ``Dual (square part)`` [2]_: a type naming a square part (a Square Wave
  bolus, or the square part of a Dual Wave bolus) is **spread evenly** over the row's
  ``Bolus Duration`` (``Programmed Bolus Duration`` in some legacy exports; "the duration of the
  square portion" [2]_, shorter when the bolus was stopped) from the row's time, taken as the start
  of the square part [U: not documented publicly]; any other type is given at the row's time;
* ``BWZ Carb Input (grams)`` (bolus wizard) -> ``carbs`` (carbohydrate in exchanges is not read);
* the programmed basal -> a rate holding until the next one: ``Basal Rate (U/h)`` in the current
  layout; in the legacy layout, rows of ``Raw-Type`` ``BasalProfileStart`` carry it as
  ``RATE=<U/h>`` in ``Raw-Values`` (key=value pairs, e.g. ``PATTERN_NAME=standard, ..., RATE=0.9``;
  Tidepool's 2014 CareLink CSV parser reads the rate there [U: no vendor documentation]);
* ``Temp Basal Amount`` with ``Temp Basal Type`` and ``Temp Basal Duration`` -> a temporary rate:
  a type containing ``percent`` is a percentage of the programmed rate, any other (``Rate``,
  legacy ``Absolute``) an absolute U/h (types ``Percent`` and ``Rate`` [2]_).

``Date`` + ``Time`` are the pump's local wall clock (``YYYY/MM/DD`` + ``HH:MM:SS`` now,
``MM/DD/YY`` in US legacy exports, ``DD/MM/YY`` in EU ones): a column that proves neither
day-first nor month-first is read day-first in ``;`` exports (EU) and month-first otherwise.
Rows come newest first; the trace sorts them. Suspends, rewinds, primes and alarms are not
read, nor the 780G's auto-basal micro-boluses as basal (they are boluses in the export and stay
boluses here). The id is the file's stem.

References
----------
.. [1] Medtronic Guardian Sensor 3 / Guardian 4 user guides: sensor glucose range 40-400 mg/dL
   (2.2-22.2 mmol/L).
.. [2] FLAIR study public data set (Jaeb Center for Health Research), data glossary of the
   CareLink pump table: ``BolusType`` "Normal, Square, Dual (normal part), or Dual (square part)",
   ``ExtendBolusDuration`` "duration of the square portion of either a square bolus or a dual
   wave bolus", ``TempBasalType`` "insulin rate or percent of basal".
"""

from __future__ import annotations

import re

from t2pump.errors import InputRangeError
from t2pump.io._records import PatientRecords
from t2pump.io._text import (
    Header,
    Row,
    Source,
    delimiter_of,
    first_lines,
    glucose_unit,
    parse_amount,
    parse_glucose,
    rows_of,
    split_line,
)
from t2pump.io._time import MAX_DURATION_MS, LocalTimes

__all__ = ["GUARDIAN_RANGE_MGDL", "read_carelink", "sniff_carelink"]

GUARDIAN_RANGE_MGDL = (40.0, 400.0)  # Guardian sensor reporting range [1]
_HEADER_SEARCH_LINES = 60
_DURATION = re.compile(r"\s*(\d{1,3}):(\d{2}):(\d{2})\s*")
_RAW_RATE = re.compile(r"(?:^|[,\s])RATE=(\d+(?:[.,]\d+)?)(?=\s*(?:,|$))")
_PROFILE_START = "basalprofilestart"


def _is_header(fields: list[str]) -> bool:
    names = [f.strip().casefold() for f in fields[:3]]
    return names == ["index", "date", "time"]


def sniff_carelink(head: str) -> str | None:
    """None if a CareLink section header ``Index,Date,Time`` is in the first 60 lines."""
    for line in first_lines(head, _HEADER_SEARCH_LINES):
        if _is_header(split_line(line, delimiter_of(line))):
            return None
    return "no 'Index,Date,Time' section header in the first 60 lines"


class _Section:
    """Column indexes of one section's header."""

    def __init__(self, source: Source, row: Row) -> None:
        self.header = h = Header(row)
        self.date, self.time = h.require(source, "Date"), h.require(source, "Time")
        self.sensor = h.find_prefix("Sensor Glucose (")
        self.unit = (
            None
            if self.sensor is None
            else glucose_unit(h.names[self.sensor], source.where(row.line, "header"))
        )
        self.bolus = h.find_prefix("Bolus Volume Delivered")
        self.carbs = h.find("BWZ Carb Input (grams)")
        self.basal = h.find_prefix("Basal Rate")
        self.temp = h.find_prefix("Temp Basal Amount")
        self.temp_type = h.find("Temp Basal Type")
        self.temp_dur = h.find_prefix("Temp Basal Duration")
        self.bolus_type = h.find("Bolus Type")
        self.bolus_dur = h.find_prefix("Bolus Duration", "Programmed Bolus Duration")
        self.raw_type, self.raw_values = h.find("Raw-Type"), h.find("Raw-Values")


def _duration_ms(text: str, where: str) -> int:
    m = _DURATION.fullmatch(text)
    if m is not None and int(m[2]) < 60 and int(m[3]) < 60:
        ms = ((int(m[1]) * 60 + int(m[2])) * 60 + int(m[3])) * 1000
        if ms <= MAX_DURATION_MS:
            return ms
    raise InputRangeError(where, text, "a duration h:mm:ss of at most 7 days")


def _sections(source: Source, rows: list[Row]) -> list[tuple[_Section, Row]]:
    out: list[tuple[_Section, Row]] = []
    section: _Section | None = None
    for row in rows:
        first = row.fields[0].strip() if row.fields else ""
        if _is_header(row.fields):
            section = _Section(source, row)
        elif first.startswith("---"):
            section = None
        elif section is not None and not row.is_blank():
            date, time = Header.cell(row, section.date), Header.cell(row, section.time)
            if date or time:
                out.append((section, row))
    return out


def read_carelink(source: Source) -> list[PatientRecords]:
    head = first_lines(source.text, _HEADER_SEARCH_LINES)
    line = next((x for x in head if _is_header(split_line(x, delimiter_of(x)))), None)
    if line is None:
        raise InputRangeError(source.where(1, "header"), head[0][:80], "a CareLink 'Index,Date,Time' header")
    delimiter = delimiter_of(line)
    data = _sections(source, rows_of(source, delimiter))
    times = LocalTimes("Date Time", day_first=delimiter == ";")
    for s, row in data:
        times.add(
            f"{Header.cell(row, s.date)} {Header.cell(row, s.time)}", source.where(row.line, "Date Time")
        )
    ms = times.parse()
    rec = PatientRecords(source.patient_id)
    for t, (s, row) in zip(ms, data, strict=True):
        _read_row(source, rec, s, row, t)
    return [rec]


def _read_row(source: Source, rec: PatientRecords, s: _Section, row: Row, t: int) -> None:
    def where(i: int) -> str:
        return source.where(row.line, s.header.names[i])

    if s.sensor is not None and s.unit is not None and (text := Header.cell(row, s.sensor)):
        g, flag = parse_glucose(text, where(s.sensor), s.unit, GUARDIAN_RANGE_MGDL)
        rec.add_cgm(t, g, flag)
    if s.bolus is not None and (bolus := parse_amount(Header.cell(row, s.bolus), where(s.bolus), "U")):
        _bolus(source, rec, s, row, t, bolus)
    if s.carbs is not None:
        rec.add_amount("carbs", t, parse_amount(Header.cell(row, s.carbs), where(s.carbs), "g") or 0.0)
    if s.basal is not None:
        if (rate := parse_amount(Header.cell(row, s.basal), where(s.basal), "U/h")) is not None:
            rec.add_basal_rate(t, rate)
    elif s.raw_type is not None and Header.cell(row, s.raw_type).casefold() == _PROFILE_START:
        rec.add_basal_rate(t, _raw_rate(source, s, row))
    if (
        s.temp is not None
        and (amount := parse_amount(Header.cell(row, s.temp), where(s.temp), "U/h or %")) is not None
    ):
        if s.temp_dur is None:
            raise InputRangeError(where(s.temp), Header.cell(row, s.temp), "a 'Temp Basal Duration' column")
        end = t + _duration_ms(Header.cell(row, s.temp_dur), where(s.temp_dur))
        if "percent" in Header.cell(row, s.temp_type).casefold():
            rec.add_temp_basal(t, end, factor=amount / 100.0)
        else:
            rec.add_temp_basal(t, end, rate_u_per_h=amount)


def _bolus(source: Source, rec: PatientRecords, s: _Section, row: Row, t: int, units: float) -> None:
    """A normal bolus (or part) at ``t``; a square part spread over its ``Bolus Duration``."""
    if "square" not in Header.cell(row, s.bolus_type).casefold():
        rec.add_amount("insulin_bolus", t, units)
        return
    if s.bolus_dur is None:
        where = source.where(row.line, s.header.names[s.bolus_type or 0])
        raise InputRangeError(
            where, Header.cell(row, s.bolus_type), "a 'Bolus Duration' column for a square bolus"
        )
    where = source.where(row.line, s.header.names[s.bolus_dur])
    rec.add_spread("insulin_bolus", t, t + _duration_ms(Header.cell(row, s.bolus_dur), where), units)


def _raw_rate(source: Source, s: _Section, row: Row) -> float:
    """The ``RATE=`` [U/h] of a legacy ``BasalProfileStart`` row's ``Raw-Values``."""
    index = s.raw_values if s.raw_values is not None else s.raw_type or 0
    text = Header.cell(row, s.raw_values)
    where = source.where(row.line, s.header.names[index])
    m = _RAW_RATE.search(text)
    if m is None:
        raise InputRangeError(where, text, "Raw-Values with RATE=<U/h> in a BasalProfileStart row")
    rate = parse_amount(m[1], where, "U/h")
    if rate is None:  # pragma: no cover - the pattern matched digits
        raise InputRangeError(where, text, "RATE=<U/h>")
    return rate
