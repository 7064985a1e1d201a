"""Tidepool JSON (platform data model): ``cbg``, ``smbg``, ``basal``, ``bolus``, ``wizard`` records.

Input: a JSON array of Tidepool data records. Fields (research note cgm_metrics.md section 5.6;
tidepool-org/TidepoolApi ``docs/device-data``):

* ``cbg`` -> ``cgm``. ``value`` in ``units`` (``mmol/L``, Tidepool's storage unit, or ``mg/dL``).
  Tidepool stores a mg/dL reading divided by 18.01559 [1]_, so mmol/L values are multiplied back by
  that same factor (not t2pump's molar-mass factor, which differs by 6e-7 relative and would move a
  stored 180 mg/dL to 180.0001, out of range) and rounded to 1e-6 mg/dL, which removes the
  floating-point noise of the round trip and nothing a sensor can measure. An out-of-range reading
  (annotation ``bg/out-of-range``, ``value`` low or high, ``threshold`` in mg/dL [2]_) becomes its
  threshold, flagged LOW or HIGH.
* ``smbg`` (meter) is skipped: it is not CGM.
* ``basal`` -> a delivered rate [U/h] from ``time`` for ``duration`` [ms] (``suspend``: 0 U/h;
  ``temp`` without a rate: ``percent`` [fraction] of the programmed rate it suppresses). A record
  without a duration holds until the next basal record. The stream is meant to be gap-free; a
  gap is NaN in ``insulin_basal``.
* ``bolus`` -> ``insulin_bolus``: ``normal`` [U] (delivered) at ``time``; ``extended`` [U] (delivered)
  **spread evenly** over ``[time, time + duration)``, ``duration`` [ms] being the delivered
  duration (shorter than ``expectedDuration`` when the bolus was stopped) [3]_. Sub-types
  ``normal``, ``square`` and ``dual/square`` (the schema's values [3]_; the documentation's page
  titles and the research note call them ``extended`` and ``combination``, also accepted) and
  ``automated`` (AID boluses) are all read the same way, by the fields present.
* ``wizard`` -> ``carbInput`` [g] -> ``carbs`` (the insulin is in the linked ``bolus`` record, not
  counted twice; carbohydrate in exchanges is not read).
* Other types (``upload``, ``pumpSettings``, ``deviceEvent``, ...) are skipped.

Time zone: ``time`` is a UTC instant; the local wall clock is ``time`` plus the ``tz`` option (a
zone) if given, else plus ``timezoneOffset`` [min], else ``deviceTime`` (the device's own clock).
Readings are taken in the order of their instants, so of two at one wall-clock time (a repeated
autumn hour) the later instant wins. The id is the file's stem (Tidepool exports carry no patient
field that t2pump reads).

References
----------
.. [1] tidepool-org/TidepoolApi ``docs/device-data/units.md``: blood glucose stored in mmol/L,
   mg/dL values divided by 18.01559.
.. [2] tidepool-org/TidepoolApi ``docs/device-data/oor-values.md``: out-of-range annotation.
.. [3] tidepool-org/TidepoolApi ``reference/data/models/bolus/subtype.v1.yaml`` (``automated``,
   ``dual/square``, ``normal``, ``square``), ``extended.v1.yaml`` and ``combination.v1.yaml``
   (``extended`` and ``normal`` in U, ``duration`` and ``expectedDuration`` in ms, at most 1 day),
   ``docs/device-data/data-types/bolus/extended.md`` ("delivered evenly over a duration of time").
"""

from __future__ import annotations

import math
import re
from typing import Any

from t2pump.devices.cgm import CgmFlag
from t2pump.errors import InputRangeError
from t2pump.io._json import json_records, number_field
from t2pump.io._records import PatientRecords
from t2pump.io._text import MIN_GLUCOSE_MGDL, Source
from t2pump.io._time import MAX_DURATION_MS, check_offset, iso_instant, local_from_utc

__all__ = ["TIDEPOOL_MGDL_PER_MMOLL", "read_tidepool", "sniff_tidepool"]

# Tidepool's own storage factor [1]: undoing a data source's transform, not a unit conversion
# (t2pump.units holds the molar-mass factor used everywhere else).
TIDEPOOL_MGDL_PER_MMOLL = 18.01559
_ROUND_DECIMALS = 6
_MAX_BOLUS_DURATION_MS = 86_400_000.0  # schema maximum of a bolus duration [3]
_TYPES = ("cbg", "smbg", "basal", "bolus", "wizard")
_NO_ZONE = "a timezoneOffset [min], a deviceTime, or the tz option (e.g. Europe/Paris)"


def sniff_tidepool(head: str) -> str | None:
    """None if ``head`` is a JSON array of Tidepool records (a data ``type`` and Tidepool time keys)."""
    if not head.lstrip().startswith("["):
        return "not a JSON array"
    has_type = re.search(r'"type"\s*:\s*"(' + "|".join(_TYPES) + ')"', head)
    has_keys = re.search(r'"(deviceTime|timezoneOffset|uploadId|deviceId)"\s*:', head)
    if has_type and has_keys:
        return None
    return "a JSON array without Tidepool 'type' (cbg, basal, ...) and 'deviceTime'/'timezoneOffset' keys"


def _time(source: Source, line: int, item: dict[str, Any]) -> int:
    return _instant_and_local(source, line, item)[1]


def _instant_and_local(source: Source, line: int, item: dict[str, Any]) -> tuple[int, int]:
    """(UTC ms, or the wall clock for a deviceTime-only record; local wall-clock ms)."""
    if item.get("time") is not None:
        utc, written, zoned = iso_instant(item["time"], source.where(line, "time"))
        if zoned:
            offset = None
            if item.get("timezoneOffset") is not None:
                offset = check_offset(item["timezoneOffset"], source.where(line, "timezoneOffset"))
            if source.tz is not None or offset is not None or written is not None:
                return utc, local_from_utc(
                    utc,
                    offset if offset is not None else written,
                    source.tz,
                    source.where(line, "time"),
                    _NO_ZONE,
                )
    if item.get("deviceTime") is not None:
        wall, _, zoned = iso_instant(item["deviceTime"], source.where(line, "deviceTime"))
        if not zoned:
            return wall, wall
    raise InputRangeError(source.where(line, "timezoneOffset"), None, _NO_ZONE)


Reading = tuple[int, int, float, CgmFlag]  # UTC ms, local ms, mg/dL, flag


def _cbg(source: Source, line: int, item: dict[str, Any], readings: list[Reading]) -> None:
    where = source.where(line, "value")
    value = number_field(item, "value", where, str(item.get("units")), positive=True)
    if value is None:
        raise InputRangeError(where, None, "a glucose value")
    units = str(item.get("units", "mmol/L")).casefold()
    if units not in ("mmol/l", "mg/dl"):
        raise InputRangeError(source.where(line, "units"), item.get("units"), "mmol/L or mg/dL")
    mgdl = value if units == "mg/dl" else round(value * TIDEPOOL_MGDL_PER_MMOLL, _ROUND_DECIMALS)
    flag = CgmFlag.OK
    notes = item.get("annotations")
    for note in notes if isinstance(notes, list) else []:
        if isinstance(note, dict) and note.get("code") == "bg/out-of-range":
            threshold = number_field(
                note, "threshold", source.where(line, "annotations"), "mg/dL", positive=True
            )
            flag = CgmFlag.LOW if note.get("value") == "low" else CgmFlag.HIGH
            mgdl = threshold if threshold is not None else mgdl
    if mgdl < MIN_GLUCOSE_MGDL:
        raise InputRangeError(where, item.get("value"), f"a glucose of at least {MIN_GLUCOSE_MGDL:g} mg/dL")
    utc, local = _instant_and_local(source, line, item)
    readings.append((utc, local, mgdl, flag))


def _basal(source: Source, rec: PatientRecords, line: int, item: dict[str, Any]) -> None:
    kind = item.get("deliveryType")
    rate = number_field(item, "rate", source.where(line, "rate"), "U/h")
    factor = math.nan
    if kind == "suspend":
        rate = 0.0
    elif rate is None and kind == "temp":
        factor = number_field(item, "percent", source.where(line, "percent"), "fraction") or math.nan
        suppressed = item.get("suppressed")
        if isinstance(suppressed, dict):
            base = number_field(suppressed, "rate", source.where(line, "suppressed.rate"), "U/h")
            rate = None if base is None or math.isnan(factor) else base * factor
    if rate is None and math.isnan(factor):
        raise InputRangeError(source.where(line, "rate"), None, f"a basal rate [U/h] ({kind} basal)")
    t = _time(source, line, item)
    duration = number_field(item, "duration", source.where(line, "duration"), "ms", hi=MAX_DURATION_MS)
    if duration is None:
        rec.add_basal_rate(t, rate if rate is not None else math.nan)
        return
    end = t + round(duration)
    if rate is not None:
        rec.add_temp_basal(t, end, rate_u_per_h=rate)
    else:
        rec.add_temp_basal(t, end, factor=factor)


def _amount(source: Source, rec: PatientRecords, line: int, item: dict[str, Any]) -> None:
    if item["type"] == "bolus":
        normal = number_field(item, "normal", source.where(line, "normal"), "U")
        extended = number_field(item, "extended", source.where(line, "extended"), "U")
        t = _time(source, line, item)
        rec.add_amount("insulin_bolus", t, normal or 0.0)
        if extended:
            where = source.where(line, "duration")
            duration = number_field(item, "duration", where, "ms", hi=_MAX_BOLUS_DURATION_MS)
            if duration is None:
                raise InputRangeError(where, None, "the duration [ms] of the extended part")
            rec.add_spread("insulin_bolus", t, t + round(duration), extended)
        return
    carbs = number_field(item, "carbInput", source.where(line, "carbInput"), "g")
    if carbs and str(item.get("carbUnits", "grams")).casefold() in ("grams", "g"):
        rec.add_amount("carbs", _time(source, line, item), carbs)


def read_tidepool(source: Source) -> list[PatientRecords]:
    rec = PatientRecords(source.patient_id)
    readings: list[Reading] = []
    for line, item in json_records(source):
        kind = item.get("type")
        if not isinstance(kind, str):
            raise InputRangeError(source.where(line, "type"), kind, "a Tidepool data type (cbg, basal, ...)")
        if kind == "cbg":
            _cbg(source, line, item, readings)
        elif kind == "basal":
            _basal(source, rec, line, item)
        elif kind in ("bolus", "wizard"):
            _amount(source, rec, line, item)
    for _, t, mgdl, flag in sorted(readings, key=lambda r: r[0]):  # of one wall time, the later instant wins
        rec.add_cgm(t, mgdl, flag)
    return [rec]
