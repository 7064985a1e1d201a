"""Dexcom Clarity CSV export (G4-G7, Stelo).

Layout (research note cgm_metrics.md section 5.1): one header line,
``Index,Timestamp (YYYY-MM-DDThh:mm:ss),Event Type,Event Subtype,...,Glucose Value (mg/dL),
Insulin Value (u),Carb Value (grams),...`` (12 columns in older exports, 14 now; columns are found
by name; mmol/L accounts write ``Glucose Value (mmol/L)``). Preamble rows (``FirstName``,
``LastName``, ``Device``, ``Alert``) have no timestamp and are skipped; so are calibrations,
exercise and health events.

* ``EGV`` rows -> ``cgm``; ``Low``/``High`` -> 40/400 mg/dL flagged LOW/HIGH, the G6/G7 reporting
  range [1]_ (section 5.1: "out of range (40-400 mg/dL) the value is the string Low / High").
* ``Insulin`` rows -> ``insulin_bolus`` (subtype ``Fast-Acting``) or ``insulin_basal``
  (``Long-Acting``, an MDI basal injection); ``Carbs`` rows -> ``carbs``. These are what the user
  logged in the app, not pump records.
* Times are the local wall clock as written (no UTC offset in the file): a repeated autumn hour
  gives two readings per clock time, a skipped spring hour a one-hour gap.
* The patient's name in the preamble is not read: the patient id is the file's stem.

References
----------
.. [1] Dexcom G6 CGM System User Guide (LBL-014003), Technical information: glucose range
   40-400 mg/dL; readings outside show LOW / HIGH. Also t2pump.devices.cgm (``range_mgdl``).
"""

from __future__ import annotations

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
from t2pump.io._time import LocalTimes

__all__ = ["DEXCOM_RANGE_MGDL", "read_clarity", "sniff_clarity"]

DEXCOM_RANGE_MGDL = (40.0, 400.0)  # reporting range of Dexcom G6/G7 [1]
_TIME = ("Timestamp (YYYY-MM-DDThh:mm:ss)", "Timestamp", "GlucoseDisplayTime")


def sniff_clarity(head: str) -> str | None:
    """None if ``head`` starts like a Clarity export, else why not."""
    line = first_lines(head, 1)[0]
    fields = [f.strip().casefold() for f in split_line(line, delimiter_of(line))]
    has_time = any(f.startswith("timestamp (") for f in fields)
    has_glucose = any(f.startswith("glucose value (") for f in fields)
    if has_time and "event type" in fields and has_glucose:
        return None
    return "first line is not a header with 'Timestamp (...)', 'Event Type' and 'Glucose Value (...)'"


def read_clarity(source: Source) -> list[PatientRecords]:
    lines = first_lines(source.text, 1)
    rows = rows_of(source, delimiter_of(lines[0]))
    if not rows:
        raise InputRangeError(source.where(1, "header"), "", "a Clarity header line")
    header = Header(rows[0])
    i_time = header.find_prefix("Timestamp (")
    if i_time is None:
        i_time = header.require(source, *_TIME)
    i_type = header.require(source, "Event Type")
    i_sub = header.find("Event Subtype")
    i_glu = header.find_prefix("Glucose Value (")
    if i_glu is None:
        i_glu = header.require(source, "Glucose Value (mg/dL)")
    unit = glucose_unit(header.names[i_glu], source.where(header.line, header.names[i_glu]))
    i_ins = header.find_prefix("Insulin Value")
    i_carb = header.find_prefix("Carb Value")
    times = LocalTimes(header.names[i_time], day_first=False)
    kept: list[tuple[int, Row, str]] = []
    for row in rows[1:]:
        kind = Header.cell(row, i_type)
        if kind not in ("EGV", "Insulin", "Carbs") or row.is_blank():
            continue
        pos = times.add(Header.cell(row, i_time), source.where(row.line, header.names[i_time]))
        kept.append((pos, row, kind))
    ms = times.parse()
    rec = PatientRecords(source.patient_id)
    for pos, row, kind in kept:
        t = ms[pos]
        if kind == "EGV":
            col = header.names[i_glu]
            g, flag = parse_glucose(
                Header.cell(row, i_glu), source.where(row.line, col), unit, DEXCOM_RANGE_MGDL
            )
            rec.add_cgm(t, g, flag)
        elif kind == "Insulin" and i_ins is not None:
            dose = parse_amount(Header.cell(row, i_ins), source.where(row.line, header.names[i_ins]), "U")
            long_acting = "long" in Header.cell(row, i_sub).casefold()
            rec.add_amount("insulin_basal" if long_acting else "insulin_bolus", t, dose or 0.0)
        elif kind == "Carbs" and i_carb is not None:
            carbs = parse_amount(Header.cell(row, i_carb), source.where(row.line, header.names[i_carb]), "g")
            rec.add_amount("carbs", t, carbs or 0.0)
    return [rec]
