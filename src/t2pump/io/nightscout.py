"""Nightscout (cgm-remote-monitor) REST API v1 JSON: ``entries``, ``treatments`` and ``profile``.

Input: a JSON array as ``GET /api/v1/entries.json``, ``/api/v1/treatments.json`` or
``/api/v1/profile.json`` return it (one file each, or mixed in one array). Fields (research note
cgm_metrics.md section 5.5, swagger ``Entry`` and ``Treatment``; cgm-remote-monitor files named
below):

* an **entry** (has ``sgv``, or ``type``): ``type: "sgv"`` -> ``cgm``; ``sgv`` is mg/dL whatever the
  site's display unit. Values below 39 are Dexcom error codes, not readings, and are skipped; 39
  is the Dexcom ``LOW`` code and becomes 40 mg/dL flagged LOW (``lib/client/index.js``
  ``updateCurrentSGV``: ``< 39`` error code, ``< 40`` LOW). Values above 400 are kept as readings
  (Libre uploaders send up to 500). ``mbg`` and ``cal`` entries are skipped. Time: ``date`` (epoch
  ms), else ``dateString``.
* a **treatment** (has ``eventType``; skipped when ``isValid`` is false, AndroidAPS's mark of a
  deleted record): ``insulin`` [U] -> ``insulin_bolus`` and ``carbs`` [g] -> ``carbs``, whatever the
  event type. Time: ``created_at``, else ``timestamp``, else ``mills``.

  - ``Combo Bolus`` (extended or dual-wave bolus): ``insulin`` is the part given now, and the
    extended part, ``relative`` [U/h] x ``duration`` [min], is **spread evenly** over
    ``[created_at, created_at + duration)`` in ``insulin_bolus``. This is what the care portal
    writes (``lib/client/careportal.js`` ``postTreatment``: ``enteredinsulin`` = the total,
    ``insulin`` = total x ``splitNow`` %, ``relative`` = total x ``splitExt`` % / duration) and what
    AndroidAPS writes for an extended bolus (``splitNow`` 0, ``splitExt`` 100, ``enteredinsulin``,
    ``relative``; ``ExtendedBolusExtension.kt``). Without ``relative`` the extended part is
    ``enteredinsulin`` x ``splitExt`` %. (An AndroidAPS extended bolus that emulates a temporary
    basal is uploaded as a ``Temp Basal`` whose rate already includes it, with the bolus nested in
    ``extendedEmulated``: it counts once, as basal.)
  - ``Temp Basal`` with ``duration`` [min] (``durationInMilliseconds`` [ms] if given, AndroidAPS's
    unrounded value) and ``absolute`` or ``rate`` [U/h] -> a temporary rate; with ``percent`` ->
    ``(100 + percent) %`` of the programmed rate (``lib/profilefunctions.js`` ``getTempBasal``); a
    ``Temp Basal`` with no duration ends the running one.
  - ``Profile Switch``: ``profile`` (a program name), ``duration`` [min] (0 or none: until the
    next switch), ``percentage``, ``timeshift`` [h] and ``profileJson`` (the program itself): see
    :mod:`t2pump.io._programs`.

* a **profile document** (has ``store`` or ``defaultProfile``; a pre-0.9 document with ``basal``
  is one program named ``Default``, as ``lib/profilefunctions.js`` ``convertToProfileStore`` reads
  it): from ``startDate`` (else ``mills``, else ``created_at``; none: from the start) the programs
  of ``store`` with their ``basal`` schedule (``[{"time": "HH:MM", "value": U/h}, ...]`` from
  00:00, or one number; ``timeAsSeconds`` if there is no ``time``) and ``defaultProfile``.

Basal. With a profile, the programmed basal of the running program is the trace's basal, over
the span of the patient's other records, and temporary basals from the treatments override it
for their duration: an absolute rate replaces it, a ``percent`` scales it; at the end of the
temporary rate (or at a ``Temp Basal`` without duration) the program resumes. Without a profile
``insulin_basal`` is known only inside absolute temporary rates and NaN elsewhere. Read the
entries, treatments and profile together under one patient id (``read_files(..., patient_id=)``)
or as one array.

Readings are taken in the order of their instants (the API lists newest first), so of two
readings at one wall-clock time (a repeated autumn hour) the later instant wins.

Time zone: Nightscout stores UTC instants. The local wall clock is the instant plus, in order of
preference: the ``tz`` option (a zone, DST rules applied), the profile's ``timezone`` (the zone
in which Nightscout reads the basal programs, ``getValueByTime``; used for every Nightscout file
read with the profile, see :func:`profile_zone`), the record's ``utcOffset`` [min], or the offset
written in its ``dateString``/``created_at`` (``...-05:00``; ``Z`` says UTC, not where the patient
was). A record with none of these is an error naming it. Uploaders that send fixed offsets
(pumps keep no DST) give the wall clock of that offset (nightscout issues #4901, #8461). The id
is the file's stem, or ``patient_id`` (give the same one to an entries, a treatments and a
profile file to merge them).
"""

from __future__ import annotations

import json
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from t2pump.devices.cgm import CgmFlag
from t2pump.errors import InputRangeError
from t2pump.io._json import json_records, number_field
from t2pump.io._programs import FULL_PERCENT, ProgramSwitch, ProgramTable
from t2pump.io._records import PatientRecords
from t2pump.io._text import MAX_VALUE, Source
from t2pump.io._time import (
    MAX_DURATION_MS,
    MS_PER_H,
    MS_PER_MIN,
    check_offset,
    finite_float,
    instant_ms,
    iso_instant,
    local_from_utc,
)
from t2pump.io.clarity import DEXCOM_RANGE_MGDL
from t2pump.schedule import DailySchedule

__all__ = ["profile_zone", "read_nightscout", "sniff_nightscout"]

_ERROR_CODE_BELOW = 39.0  # sgv < 39: Dexcom error codes (lib/plugins/errorcodes.js)
_LOW_CODE = 39.0  # sgv == 39: LOW (lib/client/index.js)
_S_PER_MIN = 60
_MIN_PER_DAY = 1440
_MAX_SHIFT_H = 23  # AndroidAPS time shifts: -23 ... +23 h
_NO_ZONE = (
    "a utcOffset [min], a time written with its UTC offset, a profile timezone, or the tz option "
    "(e.g. Europe/Paris)"
)
_PROFILE_KEYS = ("store", "defaultProfile")
_LEGACY_DEFAULT = "Default"  # name of a pre-0.9 profile's one program (convertToProfileStore)


def sniff_nightscout(head: str) -> str | None:
    """None if ``head`` is a JSON array with Nightscout ``sgv``, ``eventType`` or profile keys."""
    if not head.lstrip().startswith("["):
        return "not a JSON array"
    if re.search(r'"(sgv|eventType|defaultProfile)"\s*:', head):
        return None
    if re.search(r'"store"\s*:\s*\{', head) and re.search(r'"basal"\s*:', head):
        return None
    return "a JSON array without Nightscout 'sgv', 'eventType' or profile ('defaultProfile') keys"


def _is_profile(item: dict[str, Any]) -> bool:
    if any(k in item for k in _PROFILE_KEYS):
        return True
    return "basal" in item and not any(k in item for k in ("eventType", "sgv", "type"))


def _zone(name: object, where: str) -> ZoneInfo:
    if not isinstance(name, str):
        raise InputRangeError(where, name, "an IANA time zone such as Europe/Paris")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputRangeError(where, name, "an IANA time zone such as Europe/Paris") from None


def profile_zone(source: Source) -> ZoneInfo | None:
    """The one ``timezone`` named by the profile documents of ``source`` (None if they name none).

    Profiles that name different zones are an error: the ``tz`` option then says which to use.
    """
    if '"timezone"' not in source.text:  # cheap test: most entries files have no profile
        return None
    zones: dict[str, str] = {}
    for line, item in json_records(source):
        if not _is_profile(item):
            continue
        for name, program in _store(source, line, item).items():
            if isinstance(program, dict) and program.get("timezone") not in (None, ""):
                where = source.where(line, f"store.{name}.timezone")
                zones.setdefault(_zone(program["timezone"], where).key, where)
    if len(zones) > 1:
        where = list(zones.values())[1]
        raise InputRangeError(where, ", ".join(zones), "one time zone in all profiles, or the tz option")
    return ZoneInfo(next(iter(zones))) if zones else None


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


def _duration_ms(source: Source, line: int, item: dict[str, Any]) -> float | None:
    """``durationInMilliseconds`` [ms] if given, else ``duration`` [min], as ms; None if neither."""
    hi = float(MAX_DURATION_MS)
    ms = number_field(
        item, "durationInMilliseconds", source.where(line, "durationInMilliseconds"), "ms", hi=hi
    )
    if ms is not None:
        return ms
    minutes = number_field(item, "duration", source.where(line, "duration"), "min", hi=hi / MS_PER_MIN)
    return None if minutes is None else minutes * MS_PER_MIN


class _Treatments:
    """What the treatments of one file add to a patient's records."""

    def __init__(self, source: Source, rec: PatientRecords) -> None:
        self.source, self.rec = source, rec
        self.cancels: list[int] = []  # times of Temp Basal records without duration

    def add(self, line: int, item: dict[str, Any]) -> None:
        if item.get("isValid") is False:
            return
        source, rec = self.source, self.rec
        insulin = number_field(item, "insulin", source.where(line, "insulin"), "U")
        carbs = number_field(item, "carbs", source.where(line, "carbs"), "g")
        kind = str(item.get("eventType", "")).strip().casefold()
        if not (insulin or carbs or kind in ("temp basal", "combo bolus", "profile switch")):
            return
        _, t = _time(source, line, item, ("created_at", "timestamp", "mills"))
        rec.add_amount("insulin_bolus", t, insulin or 0.0)
        rec.add_amount("carbs", t, carbs or 0.0)
        if kind == "temp basal":
            self._temp_basal(line, item, t)
        elif kind == "combo bolus":
            self._combo(line, item, t)
        elif kind == "profile switch":
            self._switch(line, item, t)

    def _temp_basal(self, line: int, item: dict[str, Any], t: int) -> None:
        source = self.source
        duration = _duration_ms(source, line, item)
        if not duration:
            self.cancels.append(t)
            return
        end = t + round(duration)
        rate = number_field(item, "absolute", source.where(line, "absolute"), "U/h")
        if rate is None:
            rate = number_field(item, "rate", source.where(line, "rate"), "U/h")
        if rate is not None:
            self.rec.add_temp_basal(t, end, rate_u_per_h=rate)
        elif item.get("percent") is not None:
            self.rec.add_temp_basal(t, end, factor=_factor(item["percent"], source.where(line, "percent")))

    def _combo(self, line: int, item: dict[str, Any], t: int) -> None:
        source = self.source
        duration = _duration_ms(source, line, item) or 0.0
        relative = number_field(item, "relative", source.where(line, "relative"), "U/h")
        if relative is not None:
            extended = relative * duration / MS_PER_H
        else:
            total = number_field(item, "enteredinsulin", source.where(line, "enteredinsulin"), "U")
            split = number_field(item, "splitExt", source.where(line, "splitExt"), "%", hi=FULL_PERCENT)
            extended = (total or 0.0) * (split or 0.0) / FULL_PERCENT
        if extended > MAX_VALUE:
            raise InputRangeError(
                source.where(line, "relative"), item.get("relative"), "an extended part of at most 1e4 U"
            )
        self.rec.add_spread("insulin_bolus", t, t + round(duration), extended)

    def _switch(self, line: int, item: dict[str, Any], t: int) -> None:
        source = self.source
        name = item.get("profile")
        if not isinstance(name, str):
            raise InputRangeError(source.where(line, "profile"), name, "the name of a profile")
        duration = _duration_ms(source, line, item)
        percentage = number_field(item, "percentage", source.where(line, "percentage"), "%")
        shift_h = finite_float(item.get("timeshift", 0))
        if shift_h is None or abs(shift_h) > _MAX_SHIFT_H or shift_h != int(shift_h):
            where = source.where(line, "timeshift")
            raise InputRangeError(
                where, item.get("timeshift"), f"a whole number of hours in +-{_MAX_SHIFT_H}"
            )
        program = None
        if isinstance(item.get("profileJson"), str):
            program = _profile_json(source, line, item["profileJson"])
        self.rec.switches.append(
            ProgramSwitch(
                start_ms=t,
                end_ms=t + round(duration) if duration else None,
                name=name,
                percentage=FULL_PERCENT if percentage is None else percentage,
                shift_ms=round(shift_h * MS_PER_H),
                program=program,
            )
        )

    def finish(self) -> None:
        """A Temp Basal without duration ends the one running at its time."""
        temps = self.rec.basal_temps
        for c in self.cancels:
            temps[:] = [(s, min(e, c) if s < c else e, r, f) for s, e, r, f in temps]


def _factor(percent: object, where: str) -> float:
    """Nightscout's temp-basal ``percent`` (a change: -50 = half rate) -> factor of the programmed rate."""
    x = finite_float(percent)
    if x is None and isinstance(percent, str):
        try:
            x = finite_float(float(percent))
        except ValueError:
            x = None
    if x is None or x < -FULL_PERCENT or x > MAX_VALUE:
        raise InputRangeError(where, percent, "a percent change in [-100, 1e4]")
    return (FULL_PERCENT + x) / FULL_PERCENT


def _store(source: Source, line: int, item: dict[str, Any]) -> dict[str, Any]:
    """The programs of a profile document, by name (a pre-0.9 document is one program)."""
    if "store" not in item and "defaultProfile" not in item:
        return {_LEGACY_DEFAULT: item}
    store = item.get("store")
    if not isinstance(store, dict) or not store:
        raise InputRangeError(source.where(line, "store"), store, "an object of named profiles")
    return store


def _schedule(basal: object, where: str) -> DailySchedule:
    """A profile's ``basal``: one rate, or ``[{"time": "HH:MM", "value": U/h}, ...]`` from 00:00."""
    expected = "basal rates [U/h] as [{time: HH:MM, value}] from 00:00 in increasing time, or one rate"
    if isinstance(basal, int | float | str) and not isinstance(basal, bool):
        rate = number_field({"v": basal}, "v", where, "U/h")
        if rate is None:
            raise InputRangeError(where, basal, expected)
        return DailySchedule.constant(rate, "basal")
    if not isinstance(basal, list) or not basal:
        raise InputRangeError(where, basal, expected)
    starts: list[int] = []
    rates: list[float] = []
    for i, entry in enumerate(basal):
        at = f"{where}[{i}]"
        if not isinstance(entry, dict):
            raise InputRangeError(at, entry, expected)
        start = _start_min(entry, at)
        if (not starts and start != 0) or (starts and start <= starts[-1]):
            raise InputRangeError(f"{at}.time", entry.get("time", entry.get("timeAsSeconds")), expected)
        rate = number_field(entry, "value", f"{at}.value", "U/h")
        if rate is None:
            raise InputRangeError(f"{at}.value", None, "a basal rate [U/h]")
        starts.append(start)
        rates.append(rate)
    return DailySchedule(tuple(starts), tuple(rates), "basal")


def _start_min(entry: dict[str, Any], where: str) -> int:
    """A schedule entry's start [min after midnight], from ``time`` or ``timeAsSeconds``."""
    text = entry.get("time")
    if isinstance(text, str):
        m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::00)?\s*", text)
        if m is None or int(m[1]) > 23 or int(m[2]) > 59:
            raise InputRangeError(f"{where}.time", text, "a clock time HH:MM")
        return int(m[1]) * 60 + int(m[2])
    seconds = finite_float(entry.get("timeAsSeconds"))
    if seconds is None or not 0 <= seconds < _MIN_PER_DAY * _S_PER_MIN or seconds % _S_PER_MIN:
        raise InputRangeError(
            f"{where}.time", entry.get("timeAsSeconds"), "a time HH:MM (or whole minutes in seconds)"
        )
    return int(seconds) // _S_PER_MIN


def _profile_json(source: Source, line: int, text: str) -> DailySchedule:
    where = source.where(line, "profileJson")
    try:
        program = json.loads(text)
    except (json.JSONDecodeError, RecursionError, ValueError):
        raise InputRangeError(where, text[:40], "a profile as JSON text") from None
    if not isinstance(program, dict):
        raise InputRangeError(where, text[:40], "a profile as JSON text")
    return _schedule(program.get("basal"), f"{where}.basal")


def _profile(source: Source, rec: PatientRecords, line: int, item: dict[str, Any]) -> None:
    programs: dict[str, DailySchedule] = {}
    for name, program in _store(source, line, item).items():
        where = source.where(line, f"store.{name}")
        if not isinstance(program, dict):
            raise InputRangeError(where, str(program)[:40], "a profile object")
        programs[name] = _schedule(program.get("basal"), f"{where}.basal")
    default = item.get("defaultProfile", _LEGACY_DEFAULT)
    if not isinstance(default, str) or default not in programs:
        raise InputRangeError(source.where(line, "defaultProfile"), default, "the name of a profile in store")
    start = 0
    if any(item.get(k) is not None for k in ("startDate", "mills", "created_at")):
        start = _time(source, line, item, ("startDate", "mills", "created_at"))[1]
    rec.programs.append(ProgramTable(start_ms=start, default=str(default), programs=programs))


def read_nightscout(source: Source) -> list[PatientRecords]:
    rec = PatientRecords(source.patient_id)
    treatments = _Treatments(source, rec)
    readings: list[Reading] = []
    for line, item in json_records(source):
        if "eventType" in item:
            treatments.add(line, item)
        elif "sgv" in item or "type" in item:
            _entry(source, line, item, readings)
        elif _is_profile(item):
            _profile(source, rec, line, item)
        else:
            keys = ", ".join(list(item)[:5])
            raise InputRangeError(
                source.where(line, "record"),
                keys,
                "an entry (sgv), a treatment (eventType) or a profile (store)",
            )
    for _, t, mgdl, flag in sorted(readings, key=lambda r: r[0]):  # API order is newest first
        rec.add_cgm(t, mgdl, flag)
    treatments.finish()
    return [rec]
