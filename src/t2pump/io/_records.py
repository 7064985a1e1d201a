"""One patient's imported records, and how they become a :class:`~t2pump.simulation.engine.Trace`.

The time axis is the union of every record's time (sorted, each time once), on the local wall
clock; ``t_min`` counts minutes from the midnight of the first record's day (``origin_date``).

Duplicates (rows repeated inside a file, overlapping exports, two uploaders of one sensor):

* glucose is an instantaneous value: of several readings at one time the **later row wins** (the
  last in file order, files in the order given), as iglu's ``CGMS2DayByDay`` does; identical
  rows therefore collapse to one reading;
* amounts (bolus, carbohydrate, MDI basal injections): identical (time, amount) records count
  **once**; different amounts at one time are distinct deliveries and are **summed**;
* spread amounts (the extended part of an extended or dual-wave bolus, delivered evenly over
  ``[start, end)``): identical (start, end, amount) records count once, different ones are summed;
* basal rate changes at one time: the later row wins; temporary rates (with a duration) override
  the programmed rate, and a temporary rate ends where the next one starts.

Basal becomes insulin per period: ``insulin_basal[k]`` is the integral of the basal rate over
``(t[k-1], t[k]]`` [U] (the trace convention: a record closes its period), NaN where the rate is
not known over that period (before the first rate, or inside a temporary rate given as a
percentage of an unknown programmed rate) and at the first time. A programmed rate holds until
the next change, the last one until the patient's last record. Daily basal programs (a
Nightscout profile) become programmed rate changes over the span of the patient's other records
(:mod:`t2pump.io._programs`).

A spread amount becomes amount per period in proportion to the overlap of the period with its
``[start, end)``; its start and end are record times, so each period is wholly inside or outside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from t2pump.devices.cgm import CgmFlag
from t2pump.errors import InputRangeError
from t2pump.io._programs import ProgramSwitch, ProgramTable, program_steps
from t2pump.io._time import MS_PER_DAY, MS_PER_H, MS_PER_MIN
from t2pump.simulation.engine import Trace

__all__ = ["AMOUNT_SIGNALS", "SIGNAL_UNITS", "PatientRecords", "build_trace"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

SIGNAL_UNITS = {
    "cgm": "mg/dL (sensor glucose; NaN where no reading)",
    "cgm_flag": "0 in range, 1 LOW (value = device's lower limit), 2 HIGH (upper limit); NaN: no reading",
    "insulin_basal": "U per period (t[k-1], t[k]]: pump basal or MDI basal injections; NaN where unknown",
    "insulin_bolus": "U per period: boluses delivered, extended parts spread evenly (0 where none)",
    "carbs": "g per period: carbohydrate entered (0 where none)",
}
AMOUNT_SIGNALS = ("insulin_bolus", "carbs", "insulin_basal")


@dataclass(slots=True)
class PatientRecords:
    """Everything read for one patient, in file order. Times are local wall-clock ms."""

    patient: str
    cgm_t: list[int] = field(default_factory=list)
    cgm_v: list[float] = field(default_factory=list)
    cgm_flag: list[int] = field(default_factory=list)
    amounts: dict[str, tuple[list[int], list[float]]] = field(default_factory=dict)
    basal_steps: list[tuple[int, float]] = field(default_factory=list)
    # (start, end, rate [U/h] or NaN, factor of the programmed rate or NaN)
    basal_temps: list[tuple[int, int, float, float]] = field(default_factory=list)
    # signal -> (start, end, amount): amounts delivered evenly over [start, end)
    spread: dict[str, list[tuple[int, int, float]]] = field(default_factory=dict)
    programs: list[ProgramTable] = field(default_factory=list)  # daily basal programs
    switches: list[ProgramSwitch] = field(default_factory=list)  # switches between them

    def add_cgm(self, t_ms: int, mgdl: float, flag: CgmFlag = CgmFlag.OK) -> None:
        self.cgm_t.append(t_ms)
        self.cgm_v.append(mgdl)
        self.cgm_flag.append(int(flag))

    def add_amount(self, signal: str, t_ms: int, amount: float) -> None:
        """A bolus [U], carbohydrate [g] or basal injection [U] at ``t_ms`` (zero amounts ignored)."""
        if amount > 0.0:
            ts, vs = self.amounts.setdefault(signal, ([], []))
            ts.append(t_ms)
            vs.append(amount)

    def add_spread(self, signal: str, start_ms: int, end_ms: int, amount: float) -> None:
        """An amount [U] delivered evenly over ``[start, end)`` (at ``start`` if the span is empty)."""
        if end_ms <= start_ms:
            self.add_amount(signal, start_ms, amount)
        elif amount > 0.0:
            self.spread.setdefault(signal, []).append((start_ms, end_ms, amount))

    def add_basal_rate(self, t_ms: int, rate_u_per_h: float) -> None:
        """A programmed basal rate [U/h] that holds from ``t_ms`` until the next change."""
        self.basal_steps.append((t_ms, rate_u_per_h))

    def add_temp_basal(
        self, start_ms: int, end_ms: int, *, rate_u_per_h: float = math.nan, factor: float = math.nan
    ) -> None:
        """A temporary basal over ``[start, end)``: an absolute rate, or a factor of the programmed rate."""
        if end_ms > start_ms:
            self.basal_temps.append((start_ms, end_ms, rate_u_per_h, factor))

    def extend(self, other: PatientRecords) -> None:
        """Append ``other``'s records after this one's (its rows count as later)."""
        self.cgm_t += other.cgm_t
        self.cgm_v += other.cgm_v
        self.cgm_flag += other.cgm_flag
        for name, (ts, vs) in other.amounts.items():
            mine = self.amounts.setdefault(name, ([], []))
            mine[0].extend(ts)
            mine[1].extend(vs)
        self.basal_steps += other.basal_steps
        self.basal_temps += other.basal_temps
        for name, items in other.spread.items():
            self.spread.setdefault(name, []).extend(items)
        self.programs += other.programs
        self.switches += other.switches

    def all_times(self) -> IntArray:
        """Every record's time (programs excluded: they hold over the records' span)."""
        parts = [np.asarray(self.cgm_t, dtype=np.int64)]
        parts += [np.asarray(ts, dtype=np.int64) for ts, _ in self.amounts.values()]
        parts.append(np.asarray([t for t, _ in self.basal_steps], dtype=np.int64))
        parts.append(np.asarray([t for s, e, _, _ in self.basal_temps for t in (s, e)], dtype=np.int64))
        for items in self.spread.values():
            parts.append(np.asarray([t for s, e, _ in items for t in (s, e)], dtype=np.int64))
        return np.concatenate(parts)

    def has_content(self) -> bool:
        """Any record at all, daily programs included (a profile file alone has no times)."""
        return self.all_times().shape[0] > 0 or bool(self.programs or self.switches)

    def has_basal(self) -> bool:
        return bool(self.basal_steps or self.basal_temps)


def _last_per_time(t: IntArray, values: FloatArray) -> tuple[IntArray, FloatArray]:
    """Sorted unique times with, for each, the value of the last row in input order."""
    order = np.argsort(t, kind="stable")
    t, values = t[order], values[order]
    last = np.append(t[1:] != t[:-1], True)
    return t[last], values[last]


def _instant(axis: IntArray, t: list[int], values: list[float]) -> FloatArray:
    out = np.full(axis.shape[0], np.nan)
    ts, vs = _last_per_time(np.asarray(t, dtype=np.int64), np.asarray(values, dtype=np.float64))
    out[np.searchsorted(axis, ts)] = vs
    return out


def _amounts(axis: IntArray, t: list[int], values: list[float]) -> FloatArray:
    ts = np.asarray(t, dtype=np.int64)
    vs = np.asarray(values, dtype=np.float64)
    order = np.lexsort((vs, ts))
    ts, vs = ts[order], vs[order]
    new = np.append(True, (ts[1:] != ts[:-1]) | (vs[1:] != vs[:-1]))  # identical records count once
    out = np.zeros(axis.shape[0])
    np.add.at(out, np.searchsorted(axis, ts[new]), vs[new])
    return out


def _spread(axis: IntArray, items: list[tuple[int, int, float]]) -> FloatArray:
    """Amounts delivered evenly over their spans, per period ``(t[k-1], t[k]]`` (module doc)."""
    unique = np.asarray(sorted(set(items)), dtype=np.float64)  # identical records count once
    start, end, amount = unique[:, 0], unique[:, 1], unique[:, 2]
    rate = amount / (end - start)  # [U/ms]
    i0, i1 = np.searchsorted(axis, start.astype(np.int64)), np.searchsorted(axis, end.astype(np.int64))
    delta = np.zeros(axis.shape[0] + 1)
    np.add.at(delta, i0, rate)
    np.add.at(delta, i1, -rate)
    active = np.zeros(axis.shape[0] + 1, dtype=np.int64)  # how many spans run: exact, unlike the sum
    np.add.at(active, i0, 1)
    np.add.at(active, i1, -1)
    n = axis.shape[0]
    running = np.where(np.cumsum(active)[:n] > 0, np.maximum(np.cumsum(delta)[:n], 0.0), 0.0)  # from axis[k]
    return np.concatenate(([0.0], running[:-1] * np.diff(axis)))


def _basal(axis: IntArray, rec: PatientRecords) -> FloatArray:
    mid = (axis[:-1] + axis[1:]) / 2.0  # every period lies between two record times (module doc)
    rate = np.full(mid.shape[0], np.nan)
    if rec.basal_steps:
        st, sv = _last_per_time(
            np.asarray([t for t, _ in rec.basal_steps], dtype=np.int64),
            np.asarray([r for _, r in rec.basal_steps], dtype=np.float64),
        )
        k = np.searchsorted(st, mid, side="right") - 1
        rate = np.where(k >= 0, sv[np.clip(k, 0, None)], np.nan)
    programmed = rate.copy()
    temps = sorted(rec.basal_temps, key=lambda x: x[0])  # stable: of equal starts the later row wins
    for i, (start, end, r, factor) in enumerate(temps):
        stop = min(end, temps[i + 1][0]) if i + 1 < len(temps) else end
        lo, hi = np.searchsorted(mid, start), np.searchsorted(mid, stop)
        rate[lo:hi] = r if not math.isnan(r) else factor * programmed[lo:hi]
    return np.concatenate(([np.nan], rate * np.diff(axis) / MS_PER_H))


def build_trace(rec: PatientRecords, source: str) -> Trace:
    """One patient's records as a one-patient :class:`Trace` (module doc for the rules)."""
    times = rec.all_times()
    if times.shape[0] == 0:
        raise InputRangeError(
            source,
            f"no records for patient {rec.patient!r}",
            "at least one reading or dose (a profile alone needs the patient's entries or treatments,"
            " read together under one patient id)",
        )
    if rec.programs or rec.switches:
        steps = program_steps(rec.programs, rec.switches, int(times.min()), int(times.max()))
        rec = _with_steps(rec, steps)
        times = rec.all_times()
    axis = np.unique(times)
    day0 = int(axis[0]) // MS_PER_DAY * MS_PER_DAY
    signals: dict[str, FloatArray] = {}
    if rec.cgm_t:
        signals["cgm"] = _instant(axis, rec.cgm_t, rec.cgm_v)
        signals["cgm_flag"] = _instant(axis, rec.cgm_t, [float(f) for f in rec.cgm_flag])
    for name in AMOUNT_SIGNALS:
        parts = []
        if name in rec.amounts:
            parts.append(_amounts(axis, *rec.amounts[name]))
        if name in rec.spread:
            parts.append(_spread(axis, rec.spread[name]))
        if parts:
            signals[name] = np.sum(parts, axis=0)
    if rec.has_basal():
        pump = _basal(axis, rec)
        injected = signals.get("insulin_basal")
        signals["insulin_basal"] = (
            pump if injected is None else np.where(np.isnan(pump), 0.0, pump) + injected
        )
    origin = str(np.datetime64(day0, "ms").astype("datetime64[D]"))
    return Trace(
        t_min=(axis - day0) / MS_PER_MIN,
        patients=(rec.patient,),
        signals={k: v[None, :] for k, v in signals.items()},
        units={k: SIGNAL_UNITS[k] for k in signals},
        origin_date=origin,
    )


def _with_steps(rec: PatientRecords, steps: list[tuple[int, float]]) -> PatientRecords:
    """A copy of ``rec`` with programmed rate changes added before its own (its own win ties)."""
    out = PatientRecords(rec.patient)
    out.extend(rec)
    out.basal_steps = steps + out.basal_steps
    out.programs, out.switches = [], []
    return out
