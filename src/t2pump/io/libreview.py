"""Abbott LibreView CSV export (FreeStyle Libre 1/2/3, LibreLink app, reader), English or French.

Layout (research note cgm_metrics.md section 5.2): line 1 is a title
(``Glucose Data,Generated on,...``), line 2 the header (looked for in the first 5 lines), e.g.
``Device,Serial Number,Device Timestamp,Record Type,Historic Glucose mg/dL,Scan Glucose mg/dL,
...,Rapid-Acting Insulin (units),...,Carbohydrates (grams),...,Long-Acting Insulin (units),...``.
French accounts write ``Horodatage de l'appareil``, ``Type d'enregistrement``,
``Historique de la glycémie mmol/L``, ``Insuline à action rapide (unités)``, ``Glucides (grammes)``,
``Insuline à action longue (unités)`` (PROVENANCE.md). Columns are found by name; the unit is read
from the glucose column's name; a decimal comma (``5,6``) is accepted; the separator may be ``,``,
``;`` or a tab.

* ``Record Type`` 0 (historic glucose, every 15 min on Libre 1/2, 5 min on Libre 3) -> ``cgm``.
  Type 1 (scans) is **not** imported: scans repeat the same sensor and would be counted twice in
  the time in ranges (section 5.2). ``HI``/``LO`` (or High/Low) -> 500/40 mg/dL, flagged, the
  Libre reporting range [1]_.
* Any row with a rapid-acting insulin dose -> ``insulin_bolus``, a long-acting dose ->
  ``insulin_basal`` (MDI basal injection), carbohydrate in grams -> ``carbs`` (servings are not
  converted). Strip, ketone and note rows are skipped.
* ``Device Timestamp`` is the local wall clock (no zone, no seconds), ``MM-DD-YYYY hh:mm AM/PM``
  or ``DD-MM-YYYY HH:mm`` per account: a column that proves neither order is read month-first
  when it has AM/PM, day-first otherwise (24-hour clocks are the day-first locales' habit).
  Rows are grouped by device and record type, not by time: the trace sorts them.
* Several serial numbers (reader and phone) are one patient; the id is the file's stem.

References
----------
.. [1] FreeStyle Libre 2 and Libre 3 User's Manuals (Abbott Diabetes Care): sensor glucose
   reading range 40-500 mg/dL (2.2-27.8 mmol/L); below shows LO, above HI.
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
    parse_number,
    rows_of,
    split_line,
)
from t2pump.io._time import LocalTimes

__all__ = ["LIBRE_RANGE_MGDL", "read_libreview", "sniff_libreview"]

LIBRE_RANGE_MGDL = (40.0, 500.0)  # Libre 2/3 reporting range [1]
_HEADER_SEARCH_LINES = 5
_TIME = ("Device Timestamp", "Meter Timestamp", "Horodatage de l'appareil")
_TYPE = ("Record Type", "Type d'enregistrement")
_HISTORIC = ("Historic Glucose", "Historique de la glycémie", "Historique du glucose")
_RAPID = ("Rapid-Acting Insulin (units)", "Insuline à action rapide (unités)")
_LONG = (
    "Long-Acting Insulin (units)",
    "Long-Acting Insulin Value (units)",
    "Insuline à action longue (unités)",
)
_CARBS = ("Carbohydrates (grams)", "Glucides (grammes)")
_HISTORIC_TYPE, _SCAN_TYPE = 0, 1


def _header_line(head: str) -> tuple[int, str] | None:
    for n, line in enumerate(first_lines(head, _HEADER_SEARCH_LINES)):
        fields = [f.strip().casefold() for f in split_line(line, delimiter_of(line))]
        if any(f in fields for f in map(str.casefold, _TYPE)) and any(
            f.startswith(h.casefold()) for f in fields for h in _HISTORIC
        ):
            return n, line
    return None


def sniff_libreview(head: str) -> str | None:
    """None if ``head`` looks like a LibreView export, else why not."""
    if _header_line(head) is None:
        return "no 'Record Type' + 'Historic Glucose' header (English or French) in the first 5 lines"
    return None


def read_libreview(source: Source) -> list[PatientRecords]:
    found = _header_line(source.text)
    if found is None:
        raise InputRangeError(
            source.where(1, "header"), first_lines(source.text, 1)[0][:80], "a LibreView header"
        )
    n, line = found
    delimiter = delimiter_of(line)
    rows = rows_of(source, delimiter, "\n".join(source.text.split("\n")[n:]))
    rows = [Row(r.line + n, r.fields) for r in rows]
    header = Header(rows[0])
    i_time = header.require(source, *_TIME)
    i_type = header.require(source, *_TYPE)
    i_hist = header.find_prefix(*_HISTORIC)
    if i_hist is None:  # pragma: no cover - _header_line found it
        raise InputRangeError(source.where(header.line, "header"), line[:80], "a 'Historic Glucose' column")
    unit = glucose_unit(header.names[i_hist], source.where(header.line, header.names[i_hist]))
    i_rapid, i_long, i_carbs = header.find(*_RAPID), header.find(*_LONG), header.find(*_CARBS)
    col_time = header.names[i_time]
    times = LocalTimes(col_time, day_first=True)
    kept: list[tuple[int, Row, int]] = []
    saw_ampm = False
    for row in rows[1:]:
        if row.is_blank():
            continue
        text = Header.cell(row, i_type)
        kind = parse_number(
            text, source.where(row.line, header.names[i_type]), "a record type (0, 1, 4, 5, 6 ...)"
        )
        if kind != int(kind):
            raise InputRangeError(
                source.where(row.line, header.names[i_type]), text, "a whole-number record type"
            )
        stamp = Header.cell(row, i_time)
        saw_ampm = saw_ampm or stamp.rstrip(". ").casefold().endswith("m")
        kept.append((times.add(stamp, source.where(row.line, col_time)), row, int(kind)))
    times.day_first_hint = not saw_ampm
    ms = times.parse()
    rec = PatientRecords(source.patient_id)
    for pos, row, kind in kept:
        t = ms[pos]
        if kind == _HISTORIC_TYPE:
            where = source.where(row.line, header.names[i_hist])
            g, flag = parse_glucose(Header.cell(row, i_hist), where, unit, LIBRE_RANGE_MGDL)
            rec.add_cgm(t, g, flag)
        if kind in (_HISTORIC_TYPE, _SCAN_TYPE):
            continue
        for index, signal, u in (
            (i_rapid, "insulin_bolus", "U"),
            (i_long, "insulin_basal", "U"),
            (i_carbs, "carbs", "g"),
        ):
            if index is not None:
                amount = parse_amount(Header.cell(row, index), source.where(row.line, header.names[index]), u)
                rec.add_amount(signal, t, amount or 0.0)
    return [rec]
