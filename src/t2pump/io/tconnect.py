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
* bolus (41 names) -> ``insulin_bolus``: ``InsulinDelivered`` [U], the standard (immediate) part,
  at ``CompletionDateTime``; ``BolexInsulinDelivered`` [U], the extended part, **spread evenly**
  over ``[BolexStartDateTime, BolexCompletionDateTime)`` (while it runs, without a completion
  time: over the requested ``Duration`` [min]). The two column groups mirror the ``standard`` and
  ``bolex`` parts of the same bolus in Tandem's therapy-event JSON, each with its own delivered
  insulin and completion time (tconnectsync ``tests/domain/test_therapy_event.py``: a 0.4 U
  "Extended 50.00%" bolus delivers 0.2 U standard and 0.2 U extended). ``CarbSize`` [g] at
  ``EventDateTime`` -> ``carbs``;
* IOB and other sections are skipped.

Data rows may carry more fields than their header (a known defect of this export: the trailing
bolus fields are shifted); columns are read by header name up to ``IsQuickBolus``, which is where
the fixture shows rows and header agree. ``EventDateTime`` is the local wall clock
(``2021-04-01T00:01:33``). The patient's name and birth date are not read; the id is the stem.
"""

from __future__ import annotations

from t2pump.devices.envelope import get_envelope
from t2pump.errors import InputRangeError
from t2pump.io._records import PatientRecords
from t2pump.io._text import Header, Row, Source, first_lines, parse_amount, parse_glucose, rows_of
from t2pump.io._time import MS_PER_MIN, LocalTimes
from t2pump.io.clarity import DEXCOM_RANGE_MGDL

__all__ = ["read_tconnect", "sniff_tconnect"]

_TITLE = "t:connect therapy timeline data export"
_READINGS = "Readings (CGM / BGM)"
_PREAMBLE_LINES = 5
# Longest extended bolus of the t:slim X2 [min] (its envelope in t2pump.devices, with its source).
_MAX_EXTENDED_MIN = (get_envelope("tandem_tslim_x2").extended_bolus_duration_range_min or (0, 480))[1]


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
        # (position in self.times, signal, value cell, where the value is, position of the end
        # time for a spread amount, else -1)
        self.items: list[tuple[int, str, str, str, int]] = []
        # (position of the start in self.times, Duration cell, where it is) of running extended parts
        self.durations: dict[int, tuple[str, str]] = {}

    def _time(self, header: Header, row: Row, time_col: str) -> int:
        """Position in ``self.times`` of the row's ``time_col`` (``EventDateTime`` if it is empty)."""
        i_time = header.find(time_col)
        stamp = Header.cell(row, i_time)
        if not stamp and time_col != "EventDateTime":
            i_time, stamp = header.find("EventDateTime"), Header.cell(row, header.find("EventDateTime"))
        col = header.names[i_time] if i_time is not None else time_col
        return self.times.add(stamp, self.source.where(row.line, col))

    def add(self, header: Header, row: Row, time_col: str, signal: str, value_col: str) -> None:
        value = Header.cell(row, header.find(value_col))
        if value:
            pos = self._time(header, row, time_col)
            self.items.append((pos, signal, value, self.source.where(row.line, value_col), -1))

    def add_extended(self, header: Header, row: Row) -> None:
        """The extended part of a bolus, spread from its start to its completion (module doc)."""
        value = Header.cell(row, header.find("BolexInsulinDelivered"))
        if not value:
            return
        start = self._time(header, row, "BolexStartDateTime")
        where = self.source.where(row.line, "BolexInsulinDelivered")
        if Header.cell(row, header.find("BolexCompletionDateTime")):
            end = self._time(header, row, "BolexCompletionDateTime")
        else:
            end = start
            self.durations[start] = (
                Header.cell(row, header.find("Duration")),
                self.source.where(row.line, "Duration"),
            )
        self.items.append((start, "insulin_bolus", value, where, end))

    def row(self, header: Header, row: Row) -> None:
        if header.has(_READINGS):
            if Header.cell(row, header.find("Description")).upper() == "EGV":
                self.add(header, row, "EventDateTime", "cgm", _READINGS)
        elif header.has("BasalRate"):
            self.add(header, row, "EventDateTime", "basal_rate", "BasalRate")
        elif header.has("InsulinDelivered"):
            self.add(header, row, "CompletionDateTime", "insulin_bolus", "InsulinDelivered")
            self.add_extended(header, row)
            self.add(header, row, "EventDateTime", "carbs", "CarbSize")

    def records(self) -> PatientRecords:
        ms = self.times.parse()
        rec = PatientRecords(self.source.patient_id)
        for pos, signal, value, where, end_pos in self.items:
            t = ms[pos]
            if end_pos >= 0:
                end = ms[end_pos] if end_pos != pos else t + self._minutes(pos)
                rec.add_spread(signal, t, end, parse_amount(value, where, "U") or 0.0)
            elif signal == "cgm":
                g, flag = parse_glucose(value, where, "mg/dL", DEXCOM_RANGE_MGDL)
                rec.add_cgm(t, g, flag)
            elif signal == "basal_rate":
                rec.add_basal_rate(t, parse_amount(value, where, "U/h") or 0.0)
            else:
                rec.add_amount(
                    signal, t, parse_amount(value, where, "g" if signal == "carbs" else "U") or 0.0
                )
        return rec

    def _minutes(self, pos: int) -> int:
        """The requested ``Duration`` [min] of a running extended part, as ms."""
        text, where = self.durations[pos]
        minutes = parse_amount(text, where, "min")
        if minutes is None or minutes > _MAX_EXTENDED_MIN:
            raise InputRangeError(where, text, f"a duration in [0, {_MAX_EXTENDED_MIN}] min")
        return round(minutes * MS_PER_MIN)


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
