"""Nightscout (cgm-remote-monitor) REST API v1 JSON: ``entries`` and ``treatments``.

Input: a JSON array as ``GET /api/v1/entries.json`` or ``/api/v1/treatments.json`` return it (one
file each, or both mixed in one array). Fields (research note cgm_metrics.md section 5.5, swagger
``Entry`` and ``Treatment``):

* an **entry** (has ``sgv``, or ``type``): ``type: "sgv"`` -> ``cgm``; ``sgv`` is mg/dL whatever the
  site's display unit. Values below 39 are Dexcom error codes, not readings, and are skipped; 39
  is the Dexcom ``LOW`` code and becomes 40 mg/dL flagged LOW (cgm-remote-monitor
  ``lib/client/index.js`` ``updateCurrentSGV``: ``< 39`` error code, ``< 40`` LOW). Values above 400
  are kept as readings (Libre uploaders send up to 500). ``mbg`` and ``cal`` entries are skipped.
  Time: ``date`` (epoch ms), else ``dateString``.
* a **treatment** (has ``eventType``): ``insulin`` [U] -> ``insulin_bolus``, ``carbs`` [g] ->
  ``carbs``, whatever the event type. ``Temp Basal`` with ``duration`` [min] and ``absolute`` or
  ``rate`` [U/h] -> a temporary rate; with ``percent`` -> ``(100 + percent) %`` of the programmed rate
  (``lib/profilefunctions.js``); a ``Temp Basal`` with no duration ends the running one. The
  programmed basal lives in the Nightscout *profile*, which is not read: ``insulin_basal`` is
  known only inside absolute temporary rates and NaN elsewhere. Time: ``created_at``, else
  ``timestamp``, else ``mills``.

Readings are taken in the order of their instants (the API lists newest first), so of two
readings at one wall-clock time (a repeated autumn hour) the later instant wins.

Time zone: Nightscout stores UTC instants. The local wall clock is the instant plus, in order of
preference: the ``tz`` option (a zone, DST rules applied), the record's ``utcOffset`` [min], or
the offset written in its ``dateString``/``created_at`` (``...-05:00``; ``Z`` says UTC, not where the
patient was). A record with none of these is an error naming it. Uploaders that send fixed
offsets (pumps keep no DST) give the wall clock of that offset (nightscout issues #4901, #8461).
The id is the file's stem, or ``patient_id`` (give the same one to an entries and a treatments
file to merge them).
"""

from __future__ import annotations

import re
from typing import Any

from t2pump.devices.cgm import CgmFlag
from t2pump.errors import InputRangeError
from t2pump.io._json import json_records, number_field
from t2pump.io._records import PatientRecords
from t2pump.io._text import Source
from t2pump.io._time import (
    MAX_DURATION_MS,
    MS_PER_MIN,
    check_offset,
    finite_float,
    instant_ms,
    iso_instant,
    local_from_utc,
)
from t2pump.io.clarity import DEXCOM_RANGE_MGDL

__all__ = ["read_nightscout", "sniff_nightscout"]

_ERROR_CODE_BELOW = 39.0  # sgv < 39: Dexcom error codes (lib/plugins/errorcodes.js)
_LOW_CODE = 39.0  # sgv == 39: LOW (lib/client/index.js)
_FULL_PERCENT = 100.0
_NO_ZONE = "a utcOffset [min], a time written with its UTC offset, or the tz option (e.g. Europe/Paris)"


def sniff_nightscout(head: str) -> str | None:
    """None if ``head`` is a JSON array with Nightscout ``sgv`` or ``eventType`` keys."""
    if not head.lstrip().startswith("["):
        return "not a JSON array"
    if re.search(r'"(sgv|eventType)"\s*:', head):
        return None
    return "a JSON array without Nightscout 'sgv' or 'eventType' keys"


def _time(source: Source, line: int, item: dict[str, Any], keys: tuple[str, ...]) -> tuple[int, int]:
    """The record's (UTC ms, local wall-clock ms) (module doc for the order of preference)."""
    key = next((k for k in keys if item.get(k) is not None), None)
    if key is None:
        raise InputRangeError(source.where(line, keys[0]), None, "a time: " + ", ".join(keys))
    where = source.where(line, key)
    value = item[key]
    if isinstance(value, str):
        utc, written_offset, zoned = iso_instant(value, where)
        if not zoned:
            raise InputRangeError(where, value, "a UTC time (ending in Z or an offset such as -05:00)")
    else:
        utc, written_offset = instant_ms(value, where), None
        text = item.get("dateString")
        if isinstance(text, str):  # the epoch has no offset; the uploader's dateString may
            written_offset = iso_instant(text, source.where(line, "dateString"))[1]
    offset = written_offset
    if item.get("utcOffset") is not None:
        offset = check_offset(item["utcOffset"], source.where(line, "utcOffset"))
    return utc, local_from_utc(utc, offset, source.tz, source.where(line, "utcOffset"), _NO_ZONE)


Reading = tuple[int, int, float, CgmFlag]  # UTC ms, local ms, mg/dL, flag


def _entry(source: Source, line: int, item: dict[str, Any], readings: list[Reading]) -> None:
    if item.get("type", "sgv") != "sgv":
        return
    where = source.where(line, "sgv")
    sgv = number_field(item, "sgv", where, "mg/dL")
    if sgv is None:
        raise InputRangeError(where, None, "an sgv value [mg/dL] in an sgv entry")
    if sgv < _ERROR_CODE_BELOW:
        return
    utc, t = _time(source, line, item, ("date", "dateString"))
    if sgv == _LOW_CODE:
        readings.append((utc, t, DEXCOM_RANGE_MGDL[0], CgmFlag.LOW))
    else:
        readings.append((utc, t, sgv, CgmFlag.OK))


def _treatment(
    source: Source, rec: PatientRecords, line: int, item: dict[str, Any], cancels: list[int]
) -> None:
    insulin = number_field(item, "insulin", source.where(line, "insulin"), "U")
    carbs = number_field(item, "carbs", source.where(line, "carbs"), "g")
    is_temp = str(item.get("eventType", "")).strip().casefold() == "temp basal"
    if not (insulin or carbs or is_temp):
        return
    _, t = _time(source, line, item, ("created_at", "timestamp", "mills"))
    rec.add_amount("insulin_bolus", t, insulin or 0.0)
    rec.add_amount("carbs", t, carbs or 0.0)
    if is_temp:
        where = source.where(line, "duration")
        duration = number_field(item, "duration", where, "min", hi=MAX_DURATION_MS / MS_PER_MIN)
        if not duration:
            cancels.append(t)
            return
        end = t + round(duration * MS_PER_MIN)
        rate = number_field(item, "absolute", source.where(line, "absolute"), "U/h")
        if rate is None:
            rate = number_field(item, "rate", source.where(line, "rate"), "U/h")
        if rate is not None:
            rec.add_temp_basal(t, end, rate_u_per_h=rate)
        elif item.get("percent") is not None:
            rec.add_temp_basal(t, end, factor=_factor(item["percent"], source.where(line, "percent")))


def _factor(percent: object, where: str) -> float:
    """Nightscout's temp-basal ``percent`` (a change: -50 = half rate) -> factor of the programmed rate."""
    x = finite_float(percent)
    if x is None and isinstance(percent, str):
        try:
            x = finite_float(float(percent))
        except ValueError:
            x = None
    if x is None or x < -_FULL_PERCENT:
        raise InputRangeError(where, percent, "a percent change >= -100")
    return (_FULL_PERCENT + x) / _FULL_PERCENT


def read_nightscout(source: Source) -> list[PatientRecords]:
    rec = PatientRecords(source.patient_id)
    cancels: list[int] = []
    readings: list[Reading] = []
    for line, item in json_records(source):
        if "eventType" in item:
            _treatment(source, rec, line, item, cancels)
        elif "sgv" in item or "type" in item:
            _entry(source, line, item, readings)
        else:
            keys = ", ".join(list(item)[:5])
            raise InputRangeError(
                source.where(line, "record"), keys, "an entry (sgv) or a treatment (eventType)"
            )
    for _, t, mgdl, flag in sorted(readings, key=lambda r: r[0]):  # API order is newest first
        rec.add_cgm(t, mgdl, flag)
    for c in cancels:  # a Temp Basal without duration ends the one running at its time
        rec.basal_temps = [(s, min(e, c) if s < c else e, r, f) for s, e, r, f in rec.basal_temps]
    return [rec]
