"""Tandem t:connect "Therapy Timeline" CSV export (t:slim X2).

Layout (research note cgm_metrics.md section 5.4; the tconnectsync test fixture of the
``therapytimeline2csv`` endpoint): a preamble (``Tandem Diabetes Care Inc.``,
``t:connect Therapy Timeline Data Export``, patient name and birth date, report date), then
sections separated by blank lines, each with its own header:

* readings, ``DeviceType,SerialNumber,Description,EventDateTime,Readings (CGM / BGM)``:
  ``EGV`` rows -> ``cgm`` (mg/dL; ``High``/``Low`` -> 400/40 flagged, the Dexcom G6 range the pump
  displays); ``BG`` (meter) rows are skipped;
* basal, ``Type,EventDateTime,BasalRate``: each row a delivered-rate change [U/h] holding until
  the next (suspensions and Control-IQ changes included, as the pump logs them);
* bolus (41 names): ``InsulinDelivered`` (the bolus's delivered total, as tconnectsync's
  ``parse_bolus_entry`` reads it) -> ``insulin_bolus`` at ``CompletionDateTime``, or for an extended
  bolus (``Description`` containing ``Extended``) at ``BolexCompletionDateTime`` (its end; not spread
  over its duration); ``CarbSize`` [g] at ``EventDateTime`` -> ``carbs``;
* IOB and other sections are skipped.

Data rows may carry more fields than their header (a known defect of this export: the trailing
bolus fields are shifted); columns are read by header name up to ``IsQuickBolus``, which is where
the fixture shows rows and header agree. ``EventDateTime`` is the local wall clock
(``2021-04-01T00:01:33``). The patient's name and birth date are not read; the id is the stem.
"""

from __future__ import annotations

from t2pump.errors import InputRangeError
from t2pump.io._records import PatientRecords
from t2pump.io._text import Header, Row, Source, first_lines, parse_amount, parse_glucose, rows_of
from t2pump.io._time import LocalTimes
from t2pump.io.clarity import DEXCOM_RANGE_MGDL

__all__ = ["read_tconnect", "sniff_tconnect"]

_TITLE = "t:connect therapy timeline data export"
_READINGS = "Readings (CGM / BGM)"
_PREAMBLE_LINES = 5


def sniff_tconnect(head: str) -> str | None:
    """None if the preamble names the t:connect Therapy Timeline export."""
    if any(_TITLE in line.casefold() for line in first_lines(head, _PREAMBLE_LINES)):
        return None
    return "no 't:connect Therapy Timeline Data Export' title in the first 5 lines"


def _is_header(row: Row) -> bool:
    names = [f.strip() for f in row.fields]
    return "EventDateTime" in names and names[0] in ("DeviceType", "Type")


class _Reader:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.times = LocalTimes("EventDateTime", day_first=False)
        # (position in self.times, signal, value cell, where the value is)
        self.items: list[tuple[int, str, str, str]] = []

    def add(self, header: Header, row: Row, time_col: str, signal: str, value_col: str) -> None:
        i_value = header.find(value_col)
        value = Header.cell(row, i_value)
        if not value:
            return
        i_time = header.find(time_col)
        stamp = Header.cell(row, i_time)
        if not stamp and time_col != "EventDateTime":
            i_time, stamp = header.find("EventDateTime"), Header.cell(row, header.find("EventDateTime"))
        col = header.names[i_time] if i_time is not None else time_col
        pos = self.times.add(stamp, self.source.where(row.line, col))
        self.items.append((pos, signal, value, self.source.where(row.line, value_col)))

    def row(self, header: Header, row: Row) -> None:
        if header.has(_READINGS):
            if Header.cell(row, header.find("Description")).upper() == "EGV":
                self.add(header, row, "EventDateTime", "cgm", _READINGS)
        elif header.has("BasalRate"):
            self.add(header, row, "EventDateTime", "basal_rate", "BasalRate")
        elif header.has("InsulinDelivered"):
            extended = "extended" in Header.cell(row, header.find("Description")).casefold()
            done = "BolexCompletionDateTime" if extended else "CompletionDateTime"
            self.add(header, row, done, "insulin_bolus", "InsulinDelivered")
            self.add(header, row, "EventDateTime", "carbs", "CarbSize")

    def records(self) -> PatientRecords:
        ms = self.times.parse()
        rec = PatientRecords(self.source.patient_id)
        for pos, signal, value, where in self.items:
            t = ms[pos]
            if signal == "cgm":
                g, flag = parse_glucose(value, where, "mg/dL", DEXCOM_RANGE_MGDL)
                rec.add_cgm(t, g, flag)
            elif signal == "basal_rate":
                rec.add_basal_rate(t, parse_amount(value, where, "U/h") or 0.0)
            else:
                rec.add_amount(
                    signal, t, parse_amount(value, where, "g" if signal == "carbs" else "U") or 0.0
                )
        return rec


def read_tconnect(source: Source) -> list[PatientRecords]:
    if sniff_tconnect(source.text) is not None:
        raise InputRangeError(source.where(1, "title"), first_lines(source.text, 1)[0][:80], _TITLE)
    reader = _Reader(source)
    header: Header | None = None
    for row in rows_of(source, ","):
        if row.is_blank():
            header = None
        elif _is_header(row):
            header = Header(row)
        elif header is not None:
            reader.row(header, row)
    return [reader.records()]
