"""Titration suggestions for a pump program from CGM or capillary (SMBG) data in the trace format.

Three parts, all bounded and explained:

1. **Basal algorithms**, one pure, vectorised function per published rule (arrays over patients, so
   that in-silico trials can run them inside the simulator): :func:`riddle_2003_step_u` (the
   treat-to-target trial, weekly, by mean fasting glucose bands +2/+4/+6/+8 U), the patient-led
   3-day rule :func:`davies_2005_step_u` (AT.LANTUS algorithm 2: +2 U every 3 days) and
   :func:`has_2013_step_u` (HAS 2013: every 3 days +/- 1 or 2 U). Each returns the change of the
   daily basal dose [U/day]; the thresholds, steps and citations are in
   ``data/settings_titration.toml`` (what could not be verified at the source is marked there).
2. **Pattern rules** on the data (:func:`suggest_titration`): the fasting values feed the chosen
   basal algorithm, whose daily change is spread over the basal segments in proportion to their
   insulin (an increase only over segments without hypoglycaemia in their fasting, post-absorptive
   readings); post-meal glucose per meal slot changes that slot's fixed meal bolus or carb ratio
   (ADA 2024: 10 % steps, 10-20 % down after hypoglycaemia); the outcomes of isolated correction
   boluses move the sensitivity (a t2pump heuristic, marked unverified).
3. **Safety first**: any level-2 hypoglycaemia in the window (CGM: the 2023 consensus event,
   >= 15 min < 54 mg/dL, from :func:`t2pump.metrics.episodes.find_episodes`; SMBG: a reading
   < 54 mg/dL) makes every suggestion a reduction or no change: the dose in whose action the event
   fell is reduced first (a meal's bolus, the correction factor, else the basal), and any increase
   is held. Every suggested value then passes a maximum step (20 % of the current value per
   adjustment) and :mod:`t2pump.therapy.limits` (hard, patient and pump maxima; the pump's
   increments, rounded down; guardrails of carb ratio and sensitivity), each clamp recorded.

In pregnancy (``program.pregnant``) the rules use the pregnancy targets
(:mod:`t2pump.decision.pregnancy`): fasting < 95 mg/dL as the basal algorithms' target, and
1 h < 140 or 2 h < 120 mg/dL after meals; the report adds the CGM summary against 63-140 mg/dL.

Time: minutes since midnight of day 0 of the trace (docs/trace_format.md); day ``d`` is
``floor(t / 1440)``. Decision support for a clinician, not a prescription.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.decision._rulebook import RULE_SET_VERSION, Rule, rule
from t2pump.decision.pregnancy import PregnancyCgmSummary, pregnancy_cgm_summary, pregnancy_targets
from t2pump.decision.settings import (
    DISCLAIMER,
    MEAL_SLOTS,
    PumpProgram,
    Scheme,
    _clamp_dict,
    program_to_dict,
)
from t2pump.devices.pump import Pump
from t2pump.errors import InputRangeError, check_range
from t2pump.metrics.episodes import EpisodeClass, find_episodes
from t2pump.metrics.grid import interpolation_grid
from t2pump.metrics.ranges import HYPO_L1_MGDL, HYPO_L2_MGDL
from t2pump.schedule import DailySchedule
from t2pump.simulation.engine import Trace
from t2pump.therapy.limits import GUARDRAILS, Clamp, limit_basal_rate, limit_bolus
from t2pump.units import MIN_PER_DAY, MIN_PER_H

__all__ = [
    "TITRATION_FORMAT",
    "BasalAlgorithm",
    "GlucoseData",
    "HypoEvent",
    "Suggestion",
    "TitrationReport",
    "davies_2005_step_u",
    "glucose_data",
    "has_2013_step_u",
    "riddle_2003_step_u",
    "suggest_titration",
]

TITRATION_FORMAT = "t2pump.titration/1"
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
_EPS = 1e-9
_MEAL_GROUP_MIN = 30.0  # carbohydrate entries within 30 min are one meal (t2pump convention)
_PRE_MEAL_MIN = 30.0  # pre-meal glucose: the last reading in the 30 min before the meal


class BasalAlgorithm(StrEnum):
    RIDDLE_2003 = "riddle-2003"
    DAVIES_2005 = "davies-2005"
    HAS_2013 = "has-2013"


# --------------------------------------------------------------------------- basal algorithms


def _arrays(*values: ArrayLike) -> list[FloatArray]:
    return [np.asarray(v, dtype=np.float64) for v in values]


def _bands(mean: FloatArray, bands: list[tuple[float, float]], target: FloatArray) -> FloatArray:
    """The increase of the band ``mean`` falls in; the first band starts just above ``target``."""
    out = np.zeros(np.broadcast(mean, target).shape)
    for lower, step in bands[1:]:
        out = np.where(mean >= lower, step, out)
    first = bands[0][1]
    return np.where((mean > target) & (out == 0.0), first, out)


def riddle_2003_step_u(
    mean_fasting_mgdl: ArrayLike,
    min_glucose_mgdl: ArrayLike,
    severe_hypo: ArrayLike = False,
    *,
    target_mgdl: ArrayLike = 100.0,
) -> FloatArray:
    """Riddle, Rosenstock & Gerich 2003 treat-to-target: weekly change of the basal dose [U/day].

    Parameters
    ----------
    mean_fasting_mgdl : mean self-monitored fasting glucose of the preceding 2 days [mg/dL]
    min_glucose_mgdl : lowest glucose of the preceding week [mg/dL]
    severe_hypo : severe hypoglycaemia (requiring assistance) in the preceding week
    target_mgdl : the fasting target; the +2 U band starts just above it (100 in the trial; 95 in
        pregnancy is t2pump's adaptation)

    Notes
    -----
    Table 1 of the trial: mean FPG >= 180 mg/dL +8, 140-180 +6, 120-140 +4, 100-120 +2 IU/day;
    no increase if any glucose < 72 mg/dL in the week; decreases of 2-4 IU/day if severe
    hypoglycaemia or glucose < 56 mg/dL. t2pump takes 4 U when the lowest glucose is < 54 mg/dL
    (level 2) or hypoglycaemia was severe, else 2 U. NaN (no fasting value) gives 0.
    """
    r = rule("titration.basal.riddle2003")
    mean, low, target = _arrays(mean_fasting_mgdl, min_glucose_mgdl, target_mgdl)
    severe = np.asarray(severe_hypo, dtype=bool)
    bands = [(float(a), float(b)) for a, b in r.values["bands"]]
    up = np.where(np.isnan(mean), 0.0, _bands(mean, bands, target))
    small, large = r.pair("decrease_u")
    down = np.where((low < HYPO_L2_MGDL) | severe, -large, -small)
    decrease = (low < r.number("decrease_below_mgdl")) | severe
    hold = low < r.number("no_increase_below_mgdl")
    return np.asarray(np.where(decrease, down, np.where(hold, 0.0, up)), dtype=np.float64)


def davies_2005_step_u(
    mean_fasting_mgdl: ArrayLike,
    min_glucose_mgdl: ArrayLike,
    *,
    target_mgdl: ArrayLike = 100.0,
    discretionary_u: float = 0.0,
) -> FloatArray:
    """The patient-led 3-day rule (AT.LANTUS algorithm 2, Davies 2005): change every 3 days [U/day].

    Parameters
    ----------
    mean_fasting_mgdl : mean fasting glucose of the previous 3 consecutive days [mg/dL]
    min_glucose_mgdl : lowest glucose of those 3 days [mg/dL]
    target_mgdl : fasting target (100 in the trial; 95 in pregnancy, t2pump's adaptation)
    discretionary_u : increase between the target and 120 mg/dL, "0-2 IU at the discretion of the
        investigator" (t2pump default 0, the conservative end)

    Notes
    -----
    +2 IU if the mean is >= 120 mg/dL; titration only without glucose < 72 mg/dL. The source has
    no decrease: t2pump takes ADA 2024's "-2 units every 3 days below target" when a glucose
    < 72 mg/dL occurred. NaN (no fasting value) gives 0.
    """
    r = rule("titration.basal.davies2005")
    lo, hi = r.pair("discretionary_band_u")
    step = check_range("discretionary_u", discretionary_u, lo, hi, "U")
    mean, low, target = _arrays(mean_fasting_mgdl, min_glucose_mgdl, target_mgdl)
    bands = [(float(a), float(b)) for a, b in r.values["bands"]]
    bands[0] = (bands[0][0], step)
    up = np.where(np.isnan(mean), 0.0, _bands(mean, bands, target))
    hypo = low < r.number("no_increase_below_mgdl")
    return np.asarray(np.where(hypo, -r.number("decrease_u"), up), dtype=np.float64)


def has_2013_step_u(
    mean_fasting_mgdl: ArrayLike,
    min_glucose_mgdl: ArrayLike,
    target_low_mgdl: ArrayLike,
    target_high_mgdl: ArrayLike,
    *,
    step_u: float = 2.0,
) -> FloatArray:
    """HAS 2013: every 3 days, +/- 1 or 2 U on the waking glucose against the individual target [U/day].

    Parameters
    ----------
    mean_fasting_mgdl : mean waking glucose of the last 3 days [mg/dL]
    min_glucose_mgdl : lowest glucose of those days [mg/dL]
    target_low_mgdl, target_high_mgdl : the individual fasting objective [mg/dL]
    step_u : 1 or 2 U (HAS leaves the choice to the prescriber; t2pump default 2)

    Notes
    -----
    Above the objective +step, below it -step; a glucose < 70 mg/dL also gives -step (t2pump's
    reading of "reduce first"; HAS asks to reassess the treatment after hypoglycaemia).
    """
    r = rule("titration.basal.has2013")
    if step_u not in [float(s) for s in r.values["step_u"]]:
        raise InputRangeError("step_u", step_u, "1 or 2 U (HAS 2013)")
    mean, low, lo, hi = _arrays(mean_fasting_mgdl, min_glucose_mgdl, target_low_mgdl, target_high_mgdl)
    up = np.where(mean > hi, step_u, 0.0)
    down = (mean < lo) | (low < HYPO_L1_MGDL)
    return np.asarray(np.where(down, -step_u, np.where(np.isnan(mean), 0.0, up)), dtype=np.float64)


# --------------------------------------------------------------------------- the data


@dataclass(frozen=True, slots=True, eq=False)
class GlucoseData:
    """One patient's glucose and insulin records from a trace (mg/dL, U, g; time in min)."""

    patient: str
    t_min: FloatArray  # reading times
    glucose_mgdl: FloatArray  # readings
    kind: str  # "cgm" or "smbg"
    bolus_t_min: FloatArray
    bolus_u: FloatArray
    carb_t_min: FloatArray  # first time of each meal (entries within 30 min grouped)
    has_carbs: bool


def glucose_data(trace: Trace, patient: int = 0, window_days: float = 7.0) -> GlucoseData:
    """The last ``window_days`` of one patient's ``smbg``/``cgm`` glucose, boluses and meals."""
    if not 0 <= patient < len(trace.patients):
        raise InputRangeError("patient", patient, f"an index in [0, {len(trace.patients)})")
    check_range("window_days", window_days, 1.0, 90.0, "days")
    name = next((s for s in ("smbg", "cgm", "bg_plasma") if s in trace.signals), None)
    if name is None:
        raise InputRangeError("trace.signals", sorted(trace.signals), "a glucose signal: cgm (or smbg)")
    t = np.asarray(trace.t_min, dtype=np.float64)
    g = np.asarray(trace.signals[name], dtype=np.float64)[patient]
    have = ~np.isnan(g)
    if int(np.sum(have)) < 2:
        raise InputRangeError(
            f"trace[{trace.patients[patient]}].{name}", int(np.sum(have)), "at least 2 readings"
        )
    start = t[have][-1] - window_days * MIN_PER_DAY
    keep = have & (t > start)
    tg, gg = t[keep], g[keep]
    interval = float(np.median(np.diff(tg))) if tg.shape[0] > 1 else math.inf
    kind = (
        "cgm"
        if name != "smbg" and interval <= rule("titration.cgm_interval").number("max_interval_min")
        else "smbg"
    )
    bolus = _amounts(trace, "insulin_bolus", patient, t, start)
    carbs = _amounts(trace, "carbs", patient, t, start)
    meals = _group(carbs[0], _MEAL_GROUP_MIN)
    return GlucoseData(
        trace.patients[patient], tg, gg, kind, bolus[0], bolus[1], meals, "carbs" in trace.signals
    )


def _amounts(
    trace: Trace, name: str, patient: int, t: FloatArray, start: float
) -> tuple[FloatArray, FloatArray]:
    if name not in trace.signals:
        return np.empty(0), np.empty(0)
    x = np.nan_to_num(np.asarray(trace.signals[name], dtype=np.float64)[patient])
    keep = (x > 0) & (t > start)
    return t[keep], x[keep]


def _group(times: FloatArray, gap_min: float) -> FloatArray:
    """The first time of each run of times less than ``gap_min`` apart."""
    if times.shape[0] == 0:
        return times
    first = np.append(True, np.diff(times) >= gap_min)
    out: FloatArray = times[first]
    return out


@dataclass(frozen=True, slots=True)
class HypoEvent:
    """A level-2 hypoglycaemia and the dose in whose action it fell."""

    start_min: float
    duration_min: float  # 0 for a capillary reading
    nadir_mgdl: float
    context: str  # "meal_bolus[lunch]", "correction", "basal"


def _level2_events(d: GlucoseData) -> tuple[list[tuple[float, float, float]], list[str]]:
    """(start, duration, nadir) of the level-2 events: consensus episodes (CGM) or readings (SMBG),
    and the caveats of the episode search (e.g. a 15-min episode read as 20 min on 10-min data)."""
    if d.kind == "smbg":
        low = d.glucose_mgdl < HYPO_L2_MGDL
        return [(float(t), 0.0, float(g)) for t, g in zip(d.t_min[low], d.glucose_mgdl[low], strict=True)], []
    grid = interpolation_grid(d.t_min, d.glucose_mgdl)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        episodes = find_episodes(grid)[EpisodeClass.HYPO_LV2]
    notes = [f"level-2 episodes: {w.message}" for w in caught]
    out = []
    for ep in episodes:
        inside = (d.t_min >= ep.start_min - grid.dt0_min) & (d.t_min <= ep.start_min + ep.duration_min)
        nadir = float(np.min(d.glucose_mgdl[inside])) if np.any(inside) else ep.mean_glucose_mgdl
        out.append((ep.start_min, ep.duration_min, nadir))
    return out, notes


def _slot(t_min: float) -> str:
    """The meal slot of a time of day (rule titration.meal.slots)."""
    tod = t_min % MIN_PER_DAY
    starts = [(float(s), str(n)) for s, n in rule("titration.meal.slots").values["starts"]]
    name = starts[-1][1]  # dinner wraps past midnight
    for start, slot in starts:
        if tod >= start:
            name = slot
    return name


def _corrections(d: GlucoseData, ait_min: float) -> FloatArray:
    """Indices of boluses with no meal within 30 min before to the end of their action, alone in it."""
    if not d.has_carbs:
        return np.empty(0, dtype=np.int64)
    keep = []
    for i, t in enumerate(d.bolus_t_min):
        meal = np.any((d.carb_t_min >= t - _MEAL_GROUP_MIN) & (d.carb_t_min <= t + ait_min))
        other = np.any((np.abs(d.bolus_t_min - t) < ait_min) & (np.arange(d.bolus_t_min.shape[0]) != i))
        if not meal and not other:
            keep.append(i)
    return np.asarray(keep, dtype=np.int64)


def _context(t: float, d: GlucoseData, ait_min: float, meal_window_min: float) -> str:
    """The dose a level-2 event at ``t`` is attributed to: the last meal, a correction, else basal."""
    meals = d.carb_t_min[(d.carb_t_min <= t) & (d.carb_t_min > t - meal_window_min)]
    if meals.shape[0]:
        return f"meal_bolus[{_slot(float(meals[-1]))}]"
    corr = d.bolus_t_min[_corrections(d, ait_min)]
    if np.any((corr <= t) & (corr > t - ait_min)):
        return "correction"
    if not d.has_carbs:  # without meal records, boluses in the meal windows are the meals
        bol = d.bolus_t_min[(d.bolus_t_min <= t) & (d.bolus_t_min > t - meal_window_min)]
        if bol.shape[0]:
            return f"meal_bolus[{_slot(float(bol[-1]))}]"
    return "basal"


def _reading_near(d: GlucoseData, t: float, tol: float) -> float:
    """The reading nearest ``t`` within ``tol`` min, NaN if none."""
    if d.t_min.shape[0] == 0:
        return math.nan
    i = int(np.argmin(np.abs(d.t_min - t)))
    return float(d.glucose_mgdl[i]) if abs(d.t_min[i] - t) <= tol else math.nan


def _fasting(d: GlucoseData) -> dict[int, float]:
    """Each day's fasting glucose: mean (CGM) or first (SMBG) reading 05:00-09:00 before the first meal
    (carbohydrate records, or boluses when the data have none)."""
    w = rule("titration.fasting_window")
    meals = d.carb_t_min if d.has_carbs else _group(d.bolus_t_min, _MEAL_GROUP_MIN)
    out: dict[int, float] = {}
    days = np.floor(d.t_min / MIN_PER_DAY).astype(np.int64)
    for day in np.unique(days):
        start, end = day * MIN_PER_DAY + w.number("start_min"), day * MIN_PER_DAY + w.number("end_min")
        first_meal = meals[(meals >= start) & (meals < end)]
        stop = float(first_meal[0]) if first_meal.shape[0] else end
        sel = (d.t_min >= start) & (d.t_min < stop)
        if np.any(sel):
            g = d.glucose_mgdl[sel]
            out[int(day)] = float(np.mean(g)) if d.kind == "cgm" else float(g[0])
    return out


# --------------------------------------------------------------------------- suggestions


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggested change (or none), with its evidence, rule, source and clamps."""

    setting: str
    current: float
    suggested: float
    unit: str
    direction: int  # insulin delivered: +1 more, -1 less, 0 unchanged
    rule_id: str
    reason: str
    citation: str
    evidence: dict[str, Any] = field(default_factory=dict)
    clamps: tuple[Clamp, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "setting": self.setting,
            "current": round(self.current, 6),
            "suggested": round(self.suggested, 6),
            "unit": self.unit,
            "change": {1: "more insulin", -1: "less insulin", 0: "no change"}[self.direction],
            "rule_id": self.rule_id,
            "reason": self.reason,
            "citation": self.citation,
            "evidence": self.evidence,
            "clamps": [_clamp_dict(c) for c in self.clamps],
        }


def _max_step(setting: str, current: float, proposed: float) -> tuple[float, list[Clamp]]:
    """At most ``titration.max_step`` of the current value per adjustment (clamp recorded)."""
    r = rule("titration.max_step")
    span = r.number("max_fraction") * abs(current)
    result = min(max(proposed, current - span), current + span)
    if abs(result - proposed) <= _EPS:
        return proposed, []
    reason = f"a change of at most {r.number('max_fraction'):.0%} of the current {current:g} per adjustment"
    return result, [Clamp(setting, proposed, result, reason, r.rule_id, r.provenance)]


def _direction(current: float, new: float, more_when_higher: bool) -> int:
    if abs(new - current) <= _EPS:
        return 0
    return 1 if (new > current) == more_when_higher else -1


@dataclass(frozen=True, slots=True)
class _Context:
    data: GlucoseData
    program: PumpProgram
    pump: Pump
    events: tuple[HypoEvent, ...]
    ait_min: float

    @property
    def level2(self) -> bool:
        return bool(self.events)

    def events_in(self, context: str) -> list[HypoEvent]:
        return [e for e in self.events if e.context == context]


def _basal_change(
    c: _Context, algorithm: BasalAlgorithm, has_step_u: float
) -> tuple[float, Rule, str, dict[str, Any]]:
    """The algorithm's change of the daily basal dose [U/day], its rule, reason and evidence."""
    r = rule(f"titration.basal.{algorithm.value.replace('-', '')}")
    fasting = _fasting(c.data)
    n_days = int(r.number("fasting_days"))
    last = sorted(fasting)[-n_days:]
    evidence: dict[str, Any] = {
        "fasting_mgdl_by_day": {str(k): round(fasting[k], 1) for k in sorted(fasting)}
    }
    if len(last) < n_days:
        return (
            0.0,
            r,
            f"insufficient data: {n_days} days with a fasting value needed, {len(last)} found",
            evidence,
        )
    mean = float(np.mean([fasting[k] for k in last]))
    end = c.data.t_min[-1]
    recent = c.data.t_min > end - r.number("hypo_window_days") * MIN_PER_DAY
    low = float(np.min(c.data.glucose_mgdl[recent]))
    target = (
        pregnancy_targets().fasting_below_mgdl if c.program.pregnant else r.values.get("target_mgdl", 100.0)
    )
    evidence |= {"mean_fasting_mgdl": round(mean, 1), "days": last, "min_glucose_mgdl": round(low, 1)}
    if algorithm is BasalAlgorithm.RIDDLE_2003:
        delta = float(riddle_2003_step_u(mean, low, target_mgdl=target))
    elif algorithm is BasalAlgorithm.DAVIES_2005:
        delta = float(davies_2005_step_u(mean, low, target_mgdl=target))
    else:
        lo, hi = c.program.target_low_mgdl, c.program.target_high_mgdl
        delta = float(has_2013_step_u(mean, low, lo, hi, step_u=has_step_u))
    target_text = (
        f"target {target:g} mg/dL" if algorithm is not BasalAlgorithm.HAS_2013 else "individual target"
    )
    reason = (
        f"{r.values['name']}: mean fasting {mean:.0f} mg/dL over {len(last)} days, lowest glucose "
        f"{low:.0f} mg/dL, {target_text}: {delta:+g} U/day"
    )
    return delta, r, reason, evidence


def _segment_lows(c: _Context) -> list[float]:
    """Per basal segment: the lowest post-absorptive reading (no meal in 4 h, no bolus in the AIT)."""
    d = c.data
    window = rule("titration.meal").number("post_meal_window_min")
    fed = np.zeros(d.t_min.shape, dtype=bool)
    for t in d.carb_t_min:
        fed |= (d.t_min >= t) & (d.t_min < t + window)
    for t in d.bolus_t_min:
        fed |= (d.t_min >= t) & (d.t_min < t + c.ait_min)
    tod = d.t_min % MIN_PER_DAY
    lows = []
    for start, end, _ in c.program.basal.segments():
        sel = ~fed & (tod >= start) & (tod < end)
        lows.append(float(np.min(d.glucose_mgdl[sel])) if np.any(sel) else math.nan)
    return lows


def _basal_suggestions(
    c: _Context, algorithm: BasalAlgorithm, has_step_u: float
) -> tuple[DailySchedule, list[Suggestion]]:
    delta, r, reason, evidence = _basal_change(c, algorithm, has_step_u)
    basal_events = c.events_in("basal")
    if basal_events:
        lv2 = rule("titration.basal.level2_reduction")
        cut = max(-min(delta, 0.0), lv2.number("min_fraction") * c.program.basal_u_per_day)
        if delta > -cut:
            reason += (
                f"; level-2 hypoglycaemia outside meals and corrections: reduced by {cut:.3g} U/day "
                f"({lv2.rule_id})"
            )
            delta = -cut
    lows = _segment_lows(c)
    segments = c.program.basal.segments()
    hours = np.array([(e - s) / MIN_PER_H for s, e, _ in segments])
    rates = np.array([v for _, _, v in segments])
    eligible = np.ones(len(segments), dtype=bool)
    if delta > 0:
        eligible = ~(np.nan_to_num(np.array(lows), nan=math.inf) < HYPO_L1_MGDL)
    pool = float(np.sum(rates * hours * eligible))
    factor = 1.0 + (delta / pool if pool > 0 else 0.0)
    new_rates, out = [], []
    for (start, _, rate), ok, low in zip(segments, eligible, lows, strict=True):
        name = f"basal[{int(start) // 60:02d}:{int(start) % 60:02d}]"
        proposed = rate * factor if ok else rate
        step, clamps = _max_step(name, rate, proposed)
        limited = limit_basal_rate(step, device=c.pump, limits=c.program.limits, field_name=name)
        new = limited.units
        why = reason if ok else reason + f"; segment held: a glucose of {low:.0f} mg/dL < 70 between meals"
        seg_evidence = evidence | {
            "segment_low_post_absorptive_mgdl": None if math.isnan(low) else round(low, 1)
        }
        out.append(
            Suggestion(
                name,
                rate,
                new,
                "U/h",
                _direction(rate, new, True),
                r.rule_id,
                why,
                r.provenance,
                seg_evidence,
                (*clamps, *limited.clamps),
            )
        )
        new_rates.append(new)
    return DailySchedule(c.program.basal.starts_min, tuple(new_rates), "basal"), out


def _daily_basal(current: DailySchedule, new: DailySchedule, first: Suggestion) -> Suggestion:
    """The basal program's daily total before and after (rounding and limits included)."""
    before, after = current.daily_integral(), new.daily_integral()
    reason = (
        f"{first.reason}; programmed {after - before:+.3g} U/day once every rate is rounded down to the "
        "pump's increment and within the limits"
    )
    return Suggestion(
        "basal_u_per_day",
        before,
        after,
        "U/day",
        _direction(before, after, True),
        first.rule_id,
        reason,
        first.citation,
    )


def _meal_stats(c: _Context) -> dict[str, dict[str, Any]]:
    """Per meal slot: meals, mean 1-h and 2-h glucose, lowest glucose in the 4 h after."""
    d = c.data
    tol = rule("titration.isf").number("outcome_window_tolerance_min")
    window = rule("titration.meal").number("post_meal_window_min")
    meals = d.carb_t_min if d.has_carbs else _group(d.bolus_t_min, _MEAL_GROUP_MIN)
    stats: dict[str, dict[str, Any]] = {
        s: {"meals": 0, "g1h": [], "g2h": [], "low": math.inf} for s in MEAL_SLOTS
    }
    for t in meals:
        s = stats[_slot(float(t))]
        s["meals"] += 1
        s["g1h"].append(_reading_near(d, t + 60.0, tol))
        s["g2h"].append(_reading_near(d, t + 120.0, tol))
        after = (d.t_min > t) & (d.t_min <= t + window)
        if np.any(after):
            s["low"] = min(s["low"], float(np.min(d.glucose_mgdl[after])))
    return stats


def _meal_change(c: _Context, slot: str, s: dict[str, Any]) -> tuple[float, str, dict[str, Any]]:
    """The fractional change of a slot's meal insulin, and why."""
    m = rule("titration.meal")
    g1 = [x for x in s["g1h"] if not math.isnan(x)]
    g2 = [x for x in s["g2h"] if not math.isnan(x)]
    evidence: dict[str, Any] = {
        "meals": s["meals"],
        "mean_1h_mgdl": round(float(np.mean(g1)), 1) if g1 else None,
        "mean_2h_mgdl": round(float(np.mean(g2)), 1) if g2 else None,
        "lowest_4h_mgdl": None if math.isinf(s["low"]) else round(s["low"], 1),
    }
    if c.events_in(f"meal_bolus[{slot}]"):
        return (
            -m.number("decrease_level2_fraction"),
            "level-2 hypoglycaemia within 4 h after this meal",
            evidence,
        )
    if s["low"] < HYPO_L1_MGDL:
        return (
            -m.number("decrease_level1_fraction"),
            f"glucose {s['low']:.0f} mg/dL < 70 within 4 h after this meal",
            evidence,
        )
    if s["meals"] < m.number("min_meals") or not (g2 or (c.program.pregnant and g1)):
        return (
            0.0,
            f"insufficient data: {s['meals']} meal(s) in this slot with {len(g2)} 2-h reading(s); "
            f"{m.number('min_meals'):g} meals with post-meal readings needed",
            evidence,
        )
    if c.program.pregnant:
        p = pregnancy_targets()
        # ADA: "either" 1 h < 140 "or" 2 h < 120: above target only when every measured one is missed
        miss_1h = not g1 or float(np.mean(g1)) >= p.one_hour_below_mgdl
        miss_2h = not g2 or float(np.mean(g2)) >= p.two_hour_below_mgdl
        high = bool(g1 or g2) and miss_1h and miss_2h
        target = f"pregnancy: 1 h < {p.one_hour_below_mgdl:g} or 2 h < {p.two_hour_below_mgdl:g} mg/dL"
    else:
        high = bool(g2) and float(np.mean(g2)) >= m.number("postprandial_peak_target_mgdl")
        target = f"2 h < {m.number('postprandial_peak_target_mgdl'):g} mg/dL"
    if high:
        return m.number("increase_fraction"), f"post-meal glucose above target ({target})", evidence
    return 0.0, f"post-meal glucose within target ({target})", evidence


def _meal_suggestions(
    c: _Context,
) -> tuple[tuple[float, float, float] | None, DailySchedule | None, list[Suggestion]]:
    m = rule("titration.meal")
    stats = _meal_stats(c)
    out: list[Suggestion] = []
    doses = list(c.program.meal_bolus_u or ())
    ratios: dict[str, float] = {}
    for i, slot in enumerate(MEAL_SLOTS):
        change, why, evidence = _meal_change(c, slot, stats[slot])
        if c.program.scheme is Scheme.FIXED:
            doses[i], sug = _meal_bolus(c, slot, doses[i], change, why, evidence, m)
        else:
            ratios[slot], sug = _carb_ratio(c, slot, change, why, evidence, m)
        out.append(sug)
    if c.program.scheme is Scheme.FIXED:
        return (doses[0], doses[1], doses[2]), None, out
    return None, _ratio_schedule(ratios), out


def _meal_bolus(
    c: _Context, slot: str, dose: float, change: float, why: str, evidence: dict[str, Any], m: Rule
) -> tuple[float, Suggestion]:
    name = f"meal_bolus[{slot}]"
    step, clamps = _max_step(name, dose, dose * (1.0 + change))
    limited = limit_bolus(step, device=c.pump, limits=c.program.limits, field_name=name)
    new = limited.units if change != 0.0 else dose
    all_clamps = (*clamps, *limited.clamps) if change != 0.0 else ()
    return new, Suggestion(
        name, dose, new, "U", _direction(dose, new, True), m.rule_id, why, m.provenance, evidence, all_clamps
    )


def _carb_ratio(
    c: _Context, slot: str, change: float, why: str, evidence: dict[str, Any], m: Rule
) -> tuple[float, Suggestion]:
    """A slot's carb ratio for ``change`` more meal insulin: ratio / (1 + change), up to 0.1 g/U."""
    assert c.program.carb_ratio is not None
    name = f"carb_ratio[{slot}]"
    start = next(float(s) for s, n in rule("titration.meal.slots").values["starts"] if n == slot)
    current = c.program.carb_ratio.scalar_at(start)
    step, clamps = _max_step(name, current, current / (1.0 + change))
    new = math.ceil(step * 10.0 - _EPS) / 10.0  # up to 0.1 g/U: the rounding gives less insulin
    g = GUARDRAILS["carb_ratio_g_per_u"]
    if not g.absolute[0] <= new <= g.absolute[1]:
        bounded = min(max(new, g.absolute[0]), g.absolute[1])
        clamps.append(
            Clamp(
                name,
                new,
                bounded,
                f"outside {g.absolute[0]:g}-{g.absolute[1]:g} g/U",
                "limits.carb_ratio_g_per_u",
                g.citation,
            )
        )
        new = bounded
    if change == 0.0:
        new, clamps = current, []
    return new, Suggestion(
        name,
        current,
        new,
        "g/U",
        _direction(current, new, False),
        m.rule_id,
        why,
        m.provenance,
        evidence,
        tuple(clamps),
    )


def _ratio_schedule(ratios: dict[str, float]) -> DailySchedule:
    starts = [(int(s), str(n)) for s, n in rule("titration.meal.slots").values["starts"]]
    pairs = [(0, ratios[starts[-1][1]])] + [(s, ratios[n]) for s, n in starts]
    merged = [pairs[0]]
    for start, value in pairs[1:]:
        if value != merged[-1][1]:
            merged.append((start, value))
    return DailySchedule(tuple(s for s, _ in merged), tuple(v for _, v in merged), "carb_ratio")


def _isf_suggestion(c: _Context) -> Suggestion:
    r = rule("titration.isf")
    d = c.data
    isf = c.program.isf_mgdl_per_u
    tol = r.number("outcome_window_tolerance_min")
    ratios, lows = [], []
    for i in _corrections(d, c.ait_min):
        t, dose = float(d.bolus_t_min[i]), float(d.bolus_u[i])
        g0, g1 = _reading_near(d, t, tol), _reading_near(d, t + c.ait_min, tol)
        after = (d.t_min > t) & (d.t_min <= t + c.ait_min)
        if np.any(after):
            lows.append(float(np.min(d.glucose_mgdl[after])))
        if not (math.isnan(g0) or math.isnan(g1)):
            ratios.append((g0 - g1) / dose / isf)
    evidence: dict[str, Any] = {
        "corrections": len(ratios),
        "observed_over_set": [round(x, 2) for x in ratios],
    }
    f = r.number("change_fraction")
    lo, hi = r.pair("ratio_band")
    if c.events_in("correction") or (lows and min(lows) < HYPO_L1_MGDL):
        change, why = f, "a correction was followed by glucose < 70 mg/dL: weaker correction"
    elif not d.has_carbs:
        change, why = 0.0, "no meal records: corrections cannot be told from meal boluses"
    elif len(ratios) < r.number("min_corrections"):
        change, why = (
            0.0,
            f"insufficient data: {len(ratios)} isolated correction(s), "
            f"{r.number('min_corrections'):g} needed",
        )
    elif float(np.median(ratios)) < lo:
        change, why = (
            -f,
            f"corrections lowered glucose by {np.median(ratios):.0%} of the expected drop: "
            "stronger correction",
        )
    elif float(np.median(ratios)) > hi:
        change, why = (
            f,
            f"corrections lowered glucose by {np.median(ratios):.0%} of the expected drop: weaker correction",
        )
    else:
        change, why = 0.0, "corrections lowered glucose as expected"
    step, clamps = _max_step("isf_mgdl_per_u", isf, isf * (1.0 + change))
    new = float(math.ceil(step - _EPS)) if change != 0.0 else isf  # whole mg/dL, rounded to less insulin
    return Suggestion(
        "isf_mgdl_per_u",
        isf,
        new,
        "mg/dL/U",
        _direction(isf, new, False),
        r.rule_id,
        why,
        r.provenance,
        evidence,
        tuple(clamps) if change else (),
    )


def _clock_text(t_min: float) -> str:
    minute = int(t_min % MIN_PER_DAY)
    return f"day {int(t_min // MIN_PER_DAY)} {minute // 60:02d}:{minute % 60:02d}"


def _hold_increases(suggestions: list[Suggestion], events: tuple[HypoEvent, ...]) -> list[Suggestion]:
    """After a level-2 hypoglycaemia no dose goes up: increases become 'no change' (reduce first)."""
    if not events:
        return suggestions
    r = rule("titration.level2_hypo")
    first = events[0]
    note = (
        f"held: {len(events)} level-2 hypoglycaemia event(s) (first {_clock_text(first.start_min)}, "
        f"nadir {first.nadir_mgdl:.0f} mg/dL): reduce first, no increase"
    )
    return [_held(s, f"{s.reason}; {note}", r) if s.direction > 0 else s for s in suggestions]


def _held(s: Suggestion, reason: str, r: Rule) -> Suggestion:
    return replace(
        s,
        suggested=s.current,
        direction=0,
        rule_id=r.rule_id,
        reason=reason,
        citation=r.provenance,
        clamps=(),
    )


@dataclass(frozen=True, slots=True)
class TitrationReport:
    """The suggestions for one patient, the program they give, and what the data showed."""

    patient: str
    algorithm: BasalAlgorithm
    data_kind: str
    first_min: float
    last_min: float
    level2_events: tuple[HypoEvent, ...]
    suggestions: tuple[Suggestion, ...]
    current: PumpProgram
    program: PumpProgram  # the suggested program (same schema as SETTINGS)
    warnings: tuple[str, ...] = ()
    pregnancy: PregnancyCgmSummary | None = None
    rule_set_version: str = RULE_SET_VERSION

    def to_dict(self) -> dict[str, Any]:
        """The titration JSON; its ``program`` is the suggested one, readable as a SETTINGS file."""
        return {
            "format": TITRATION_FORMAT,
            "rule_set_version": self.rule_set_version,
            "disclaimer": dict(DISCLAIMER),
            "patient": self.patient,
            "algorithm": self.algorithm.value,
            "data": {"kind": self.data_kind, "first_min": self.first_min, "last_min": self.last_min},
            "level2_hypoglycaemia": [
                {
                    "start_min": e.start_min,
                    "duration_min": e.duration_min,
                    "nadir_mgdl": e.nadir_mgdl,
                    "attributed_to": e.context,
                }
                for e in self.level2_events
            ],
            "suggestions": [s.to_dict() for s in self.suggestions],
            "warnings": list(self.warnings),
            "pregnancy_cgm": None if self.pregnancy is None else self.pregnancy.to_dict(),
            "current_program": program_to_dict(self.current),
            "program": program_to_dict(self.program),
        }


def suggest_titration(
    trace: Trace,
    program: PumpProgram,
    *,
    algorithm: BasalAlgorithm = BasalAlgorithm.DAVIES_2005,
    patient: int = 0,
    window_days: float = 7.0,
    has_step_u: float = 2.0,
) -> TitrationReport:
    """Titration suggestions for ``program`` from the last ``window_days`` of ``trace`` (module docstring)."""
    d = glucose_data(trace, patient, window_days)
    ait_min = program.active_insulin_time_h * MIN_PER_H
    meal_window = rule("titration.meal").number("post_meal_window_min")
    found, notes = _level2_events(d)
    events = tuple(HypoEvent(t, dur, nadir, _context(t, d, ait_min, meal_window)) for t, dur, nadir in found)
    c = _Context(d, program, program.device(), events, ait_min)
    basal, suggestions = _basal_suggestions(c, algorithm, has_step_u)
    meal, ratio, meal_sugs = _meal_suggestions(c)
    suggestions += meal_sugs
    suggestions.append(_isf_suggestion(c))
    suggestions = _hold_increases(suggestions, events)
    by_name = {s.setting: s.suggested for s in suggestions}
    new_basal = DailySchedule(
        basal.starts_min, tuple(by_name[s.setting] for s in suggestions[: len(basal.values)]), "basal"
    )
    suggestions.insert(0, _daily_basal(program.basal, new_basal, suggestions[0]))
    if meal is not None:
        meal = (by_name["meal_bolus[breakfast]"], by_name["meal_bolus[lunch]"], by_name["meal_bolus[dinner]"])
    if ratio is not None:
        ratio = _ratio_schedule({slot: by_name[f"carb_ratio[{slot}]"] for slot in MEAL_SLOTS})
    new = replace(
        program,
        basal=new_basal,
        meal_bolus_u=meal,
        carb_ratio=ratio,
        isf_mgdl_per_u=by_name["isf_mgdl_per_u"],
    )
    caveats = list(notes)
    if d.kind == "smbg":
        caveats.append("capillary data: level-2 hypoglycaemia read from single readings < 54 mg/dL")
    preg = pregnancy_cgm_summary(d.glucose_mgdl) if program.pregnant and d.kind == "cgm" else None
    return TitrationReport(
        d.patient,
        algorithm,
        d.kind,
        float(d.t_min[0]),
        float(d.t_min[-1]),
        events,
        tuple(suggestions),
        program,
        new,
        tuple(caveats),
        preg,
    )
