"""Starting pump settings from a multiple-daily-injection (MDI) regimen, each value explained.

From the patient's MDI doses, the rules of ``data/settings_titration.toml`` give, for a chosen
pump model:

1. the **starting total daily dose** (TDD): the MDI dose less 0-25 %: 0 % when control is poor
   (HbA1c >= 8 %) without hypoglycaemia (the OpT2mise simple scheme started at the MDI dose),
   20 % otherwise (ADA: "about 20 % less"; Terveyskyla: 10-25 % by HbA1c), 25 % with
   hypoglycaemia (CGM time below range above the consensus goals); the clinician may set any
   value in 0-25 %;
2. the **basal program**: a fraction of that TDD (50 % by default, 40-55 % allowed) as one flat
   rate (OpT2mise's "one basal rate") or a three-step profile, each rate through
   :mod:`t2pump.therapy.limits` (hard, patient and pump maxima, rounded *down* to the pump's
   increment) and checked by the pump engine (:class:`t2pump.devices.pump.Pump`);
3. the **boluses**, either the **calculator** (carbohydrate ratio 500 or 450 / TDD, sensitivity
   1800 or 1700 / TDD, which is the "100 rule" in mmol/L, a target range, the active insulin
   time) or the **fixed scheme** of the T2D trials: three equal meal boluses that share the rest
   of the TDD (each through the limits, rounded down to the bolus increment);
4. which pump models can deliver it, and how often each reservoir must be changed.

The rules themselves live in :mod:`t2pump.therapy.initial_settings` (the simulator uses the same
functions), called here on one patient. Every value carries its rule id, its reason and its
citation; every clamp made by the limits is recorded and shown. The result serialises to the
documented SETTINGS JSON (docs/decision_support.md, "Starting settings and titration"), which is
the input of :mod:`t2pump.decision.titration`. Decision support for a clinician, not a
prescription.

Rounding bound. Rates and doses are rounded down, never up, so the programmed day (24-h basal
plus planned boluses) is at most the starting TDD and short of it by less than
``sum(hours_i x basal_step_i) + meals x bolus_step`` (:attr:`StartingSettings.rounding_bound_u`)
when no limit capped a value. With the calculator the planned boluses are the bolus share of the
TDD (a budget, not doses), so only the basal part is rounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from t2pump.decision._rulebook import RULE_SET_VERSION, Rule, rule
from t2pump.decision.patient import Patient
from t2pump.decision.pregnancy import PregnancyTargets, pregnancy_targets
from t2pump.devices.envelope import PumpEnvelope, get_envelope, load_envelopes
from t2pump.devices.pump import Pump, PumpSettings
from t2pump.errors import InputRangeError, check_finite, check_range
from t2pump.schedule import DailySchedule, parse_clock
from t2pump.therapy import initial_settings as init
from t2pump.therapy.limits import (
    GUARDRAILS,
    Clamp,
    LimitedDose,
    TherapyLimits,
    check_setting,
    limit_basal_rate,
    limit_bolus,
)
from t2pump.units import MIN_PER_DAY, MIN_PER_H, Concentration, mgdl_to_mmoll

__all__ = [
    "DISCLAIMER",
    "MEAL_SLOTS",
    "SETTINGS_FORMAT",
    "BasalProfile",
    "Explanation",
    "FitVerdict",
    "MdiSummary",
    "PumpFit",
    "PumpProgram",
    "Scheme",
    "SettingsOptions",
    "StartingSettings",
    "load_program",
    "mdi_summary",
    "program_from_dict",
    "program_to_dict",
    "pump_device",
    "starting_settings",
    "tdd_reduction",
]

SETTINGS_FORMAT = "t2pump.settings/1"
DISCLAIMER = {
    "en": "Decision support for a clinician, not a prescription.",
    "fr": "Aide à la décision pour un clinicien, pas une prescription.",
}
MEAL_SLOTS = ("breakfast", "lunch", "dinner")
_EPS = 1e-9


class Scheme(StrEnum):
    CALCULATOR = "calculator"  # carb ratio, sensitivity, target, active insulin time
    FIXED = "fixed"  # three fixed meal boluses (OpT2mise simple scheme)


class BasalProfile(StrEnum):
    FLAT = "flat"
    THREE_STEP = "three_step"


class FitVerdict(StrEnum):
    FITS = "fits"
    FITS_WITH_CAVEATS = "fits_with_caveats"
    DOES_NOT_FIT = "does_not_fit"


@dataclass(frozen=True, slots=True)
class MdiSummary:
    """What the starting rules read from a patient on MDI (explicit values; see :func:`mdi_summary`)."""

    basal_u_per_day: float  # long-acting insulin [U/day]
    bolus_u_per_day: float  # rapid-acting insulin, meals and corrections [U/day]
    hba1c_percent: float | None = None
    below_70_percent: float | None = None  # CGM time below 70 mg/dL [%]
    below_54_percent: float | None = None  # CGM time below 54 mg/dL [%]
    hypoglycaemia: bool | None = None  # the clinician's statement; overrides the CGM figures
    pregnant: bool = False
    age_years: float | None = None
    weight_kg: float | None = None

    def __post_init__(self) -> None:
        check_range("mdi.basal_u_per_day", self.basal_u_per_day, 0.0, 400.0, "U/day")
        check_range("mdi.bolus_u_per_day", self.bolus_u_per_day, 0.0, 400.0, "U/day")
        check_range("mdi.total_daily_dose_u", self.tdd_u, 0.0, 400.0, "U/day", lo_inclusive=False)

    @property
    def tdd_u(self) -> float:
        return self.basal_u_per_day + self.bolus_u_per_day


def mdi_summary(patient: Patient, source: str = "patient") -> MdiSummary:
    """The MDI figures of a patient record; an error names the missing field."""
    mdi = patient.mdi
    if mdi is None or not mdi.basal:
        raise InputRangeError(f"{source}: mdi.basal", None, "the long-acting doses [U] of the MDI regimen")
    bolus = None if mdi.bolus is None else mdi.bolus.daily_u()
    if bolus is None:
        raise InputRangeError(
            f"{source}: mdi.bolus",
            None if mdi.bolus is None else "carb ratio without daily_bolus_u",
            "breakfast_u, lunch_u and dinner_u [U], or daily_bolus_u [U/day] with a carb ratio",
        )
    return MdiSummary(
        basal_u_per_day=mdi.basal_u,
        bolus_u_per_day=bolus,
        hba1c_percent=None if patient.hba1c is None else patient.hba1c.percent,
        below_70_percent=patient.cgm_metric("below_70"),
        below_54_percent=patient.cgm_metric("below_54"),
        pregnant=bool(patient.pregnant),
        age_years=patient.age_years,
        weight_kg=patient.weight_kg,
    )


@dataclass(frozen=True, slots=True)
class SettingsOptions:
    """The clinician's choices; None takes the rule set's default."""

    pump_model: str
    scheme: Scheme = Scheme.CALCULATOR
    reduction_percent: float | None = None  # 0-25 %, None: the policy of rules settings.tdd.*
    basal_fraction: float | None = None  # 0.40-0.55, None: 0.50
    basal_profile: BasalProfile = BasalProfile.FLAT
    carb_rule: float | None = None  # 450 or 500 [g/U x U/day]
    isf_rule: float | None = None  # 1700 or 1800 [mg/dL/U x U/day]
    concentration: int = int(Concentration.U100)
    limits: TherapyLimits = field(default_factory=TherapyLimits)


@dataclass(frozen=True, slots=True)
class Explanation:
    """One setting: its value, unit, the rule that gave it, why, the source, and any clamp."""

    setting: str
    value: Any  # JSON value: a number, a string or a list of [clock, number] pairs
    unit: str
    rule_id: str
    reason: str
    citation: str
    clamps: tuple[Clamp, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "setting": self.setting,
            "value": self.value,
            "unit": self.unit,
            "rule_id": self.rule_id,
            "reason": self.reason,
            "citation": self.citation,
            "clamps": [_clamp_dict(c) for c in self.clamps],
            "warnings": list(self.warnings),
        }


def _clamp_dict(c: Clamp) -> dict[str, Any]:
    return {
        "field": c.field,
        "requested": round(c.requested, 6),
        "result": round(c.result, 6),
        "reason": c.reason,
        "rule_id": c.rule_id,
        "citation": c.citation,
    }


@dataclass(frozen=True, slots=True)
class PumpProgram:
    """The settings as a pump would hold them (real units, mg/dL): the input of titration."""

    pump_model: str
    concentration: int
    scheme: Scheme
    basal: DailySchedule  # [U/h]
    carb_ratio: DailySchedule | None  # [g/U] (calculator)
    meal_bolus_u: tuple[float, float, float] | None  # breakfast, lunch, dinner [U] (fixed scheme)
    isf_mgdl_per_u: float
    target_low_mgdl: float
    target_high_mgdl: float
    active_insulin_time_h: float
    pregnant: bool
    limits: TherapyLimits = field(default_factory=TherapyLimits)

    @property
    def envelope(self) -> PumpEnvelope:
        return get_envelope(self.pump_model)

    def device(self) -> Pump:
        """The pump as the limits see it (:func:`pump_device`)."""
        return pump_device(self.pump_model, self.concentration, self.limits)

    @property
    def basal_u_per_day(self) -> float:
        return self.basal.daily_integral()


def pump_device(model_id: str, concentration: int, limits: TherapyLimits) -> Pump:
    """A pump of ``model_id`` whose max basal and max bolus settings are the lower of pump and patient."""
    env = get_envelope(model_id)
    conc = Concentration.parse(concentration)
    f = float(conc) / float(Concentration.U100)
    settings = PumpSettings(
        max_basal_u_per_h=min(env.basal_rate_range_u_per_h[1] * f, limits.max_basal_u_per_h),
        max_bolus_u=min(env.bolus_max_u * f, limits.max_bolus_u),
    )
    return Pump(env, settings, concentration=conc)


def program_to_dict(p: PumpProgram) -> dict[str, Any]:
    """The ``program`` object of the SETTINGS JSON."""

    def pairs(s: DailySchedule | None) -> list[list[Any]] | None:
        if s is None:
            return None
        return [
            [f"{start // 60:02d}:{start % 60:02d}", round(v, 6)]
            for start, v in zip(s.starts_min, s.values, strict=True)
        ]

    return {
        "pump_model": p.pump_model,
        "concentration": p.concentration,
        "scheme": p.scheme.value,
        "basal_u_per_h": pairs(p.basal),
        "carb_ratio_g_per_u": pairs(p.carb_ratio),
        "meal_bolus_u": None
        if p.meal_bolus_u is None
        else dict(zip(MEAL_SLOTS, p.meal_bolus_u, strict=True)),
        "isf_mgdl_per_u": p.isf_mgdl_per_u,
        "isf_mmoll_per_u": round(float(mgdl_to_mmoll(p.isf_mgdl_per_u)), 2),
        "target_low_mgdl": p.target_low_mgdl,
        "target_high_mgdl": p.target_high_mgdl,
        "active_insulin_time_h": p.active_insulin_time_h,
        "pregnant": p.pregnant,
        "limits": {
            "max_bolus_u": p.limits.max_bolus_u,
            "max_basal_u_per_h": p.limits.max_basal_u_per_h,
            "confirm_bolus_above_u": p.limits.confirm_bolus_above_u,
        },
    }


class _Fields:
    """Reads one JSON object of the SETTINGS file; errors name the file and the field."""

    def __init__(self, obj: object, where: str) -> None:
        if not isinstance(obj, dict):
            raise InputRangeError(where, type(obj).__name__, "a JSON object")
        self.obj: dict[str, Any] = obj
        self.where = where

    def get(self, key: str, expected: str) -> Any:
        if key not in self.obj:
            raise InputRangeError(f"{self.where}.{key}", None, f"{expected} (required)")
        return self.obj[key]

    def number(self, key: str, lo: float, hi: float, unit: str) -> float:
        value = self.get(key, f"a number in [{lo:g}, {hi:g}] {unit}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputRangeError(f"{self.where}.{key}", value, f"a number in [{lo:g}, {hi:g}] {unit}")
        return check_range(f"{self.where}.{key}", float(value), lo, hi, unit)

    def schedule(self, key: str, name: str, guardrail: str) -> DailySchedule | None:
        value = self.get(key, 'a list of ["HH:MM", value] pairs, or null')
        if value is None:
            return None
        g = GUARDRAILS[guardrail]
        expected = (
            f'a list of ["HH:MM", value] pairs, values in [{g.absolute[0]:g}, {g.absolute[1]:g}] {g.unit}'
        )
        if not isinstance(value, list) or not value:
            raise InputRangeError(f"{self.where}.{key}", value, expected)
        pairs: list[tuple[str | int, float]] = []
        for i, item in enumerate(value):
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                raise InputRangeError(f"{self.where}.{key}[{i}]", item, expected)
            parse_clock(item[0], f"{self.where}.{key}[{i}][0]")
            v = item[1]
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise InputRangeError(f"{self.where}.{key}[{i}][1]", v, expected)
            pairs.append((item[0], check_range(f"{self.where}.{key}[{i}][1]", float(v), *g.absolute, g.unit)))
        return DailySchedule.from_pairs(pairs, name)


def program_from_dict(data: object, source: str = "settings") -> PumpProgram:
    """Read and check a ``program`` object (the SETTINGS JSON's, or a titration output's)."""
    top = _Fields(data, source)
    r = _Fields(top.get("program", "the pump program object"), f"{source}: program")
    model = r.get("pump_model", "a pump model id")
    envelopes = load_envelopes()
    if model not in envelopes:
        raise InputRangeError(f"{r.where}.pump_model", model, "one of " + ", ".join(sorted(envelopes)))
    scheme_text = r.get("scheme", "calculator or fixed")
    if scheme_text not in tuple(Scheme):
        raise InputRangeError(f"{r.where}.scheme", scheme_text, "calculator or fixed")
    scheme = Scheme(scheme_text)
    basal = r.schedule("basal_u_per_h", "basal", "basal_rate_u_per_h")
    if basal is None:
        raise InputRangeError(f"{r.where}.basal_u_per_h", None, 'a list of ["HH:MM", U/h] pairs')
    carb_ratio = r.schedule("carb_ratio_g_per_u", "carb_ratio", "carb_ratio_g_per_u")
    meal = r.get("meal_bolus_u", "an object {breakfast, lunch, dinner} [U], or null")
    meal_bolus: tuple[float, float, float] | None = None
    if meal is not None:
        m = _Fields(meal, f"{r.where}.meal_bolus_u")
        b, lu, d = (m.number(k, *GUARDRAILS["bolus_u"].absolute, "U") for k in MEAL_SLOTS)
        meal_bolus = (b, lu, d)
    if scheme is Scheme.CALCULATOR and carb_ratio is None:
        raise InputRangeError(
            f"{r.where}.carb_ratio_g_per_u", None, "a carb ratio schedule with scheme calculator"
        )
    if scheme is Scheme.FIXED and meal_bolus is None:
        raise InputRangeError(f"{r.where}.meal_bolus_u", None, "the three meal boluses with scheme fixed")
    lim = _Fields(r.get("limits", "an object of patient limits"), f"{r.where}.limits")
    pregnant = r.get("pregnant", "true or false")
    if not isinstance(pregnant, bool):
        raise InputRangeError(f"{r.where}.pregnant", pregnant, "true or false")
    conc = r.get("concentration", "100 or 200 (U/mL)")
    if conc not in (100, 200):
        raise InputRangeError(f"{r.where}.concentration", conc, "100 or 200 (U/mL)")
    low = r.number("target_low_mgdl", *GUARDRAILS["target_mgdl"].absolute, "mg/dL")
    high = r.number("target_high_mgdl", *GUARDRAILS["target_mgdl"].absolute, "mg/dL")
    if high < low:
        raise InputRangeError(f"{r.where}.target_high_mgdl", high, f">= target_low_mgdl ({low:g})")
    return PumpProgram(
        pump_model=str(model),
        concentration=int(conc),
        scheme=scheme,
        basal=basal,
        carb_ratio=carb_ratio,
        meal_bolus_u=meal_bolus,
        isf_mgdl_per_u=r.number("isf_mgdl_per_u", *GUARDRAILS["isf_mgdl_per_u"].absolute, "mg/dL/U"),
        target_low_mgdl=low,
        target_high_mgdl=high,
        active_insulin_time_h=r.number(
            "active_insulin_time_h", *GUARDRAILS["active_insulin_time_h"].absolute, "h"
        ),
        pregnant=pregnant,
        limits=TherapyLimits(
            max_bolus_u=lim.number("max_bolus_u", 0.0, GUARDRAILS["bolus_u"].absolute[1], "U"),
            max_basal_u_per_h=lim.number(
                "max_basal_u_per_h", 0.0, GUARDRAILS["basal_rate_u_per_h"].absolute[1], "U/h"
            ),
            confirm_bolus_above_u=lim.number(
                "confirm_bolus_above_u", 0.0, GUARDRAILS["bolus_u"].absolute[1], "U"
            ),
        ),
    )


def load_program(path: str | Path) -> PumpProgram:
    """The pump program of a SETTINGS JSON file (or of a titration output); errors name the file."""
    import json  # noqa: PLC0415 - only the file readers need it

    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputRangeError(f"{p}", str(p), f"a readable SETTINGS JSON file ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise InputRangeError(f"{p}:{exc.lineno}", exc.msg, "valid JSON") from None
    return program_from_dict(data, str(p))


# --------------------------------------------------------------------------- the rules


def tdd_reduction(mdi: MdiSummary, override_percent: float | None = None) -> Explanation:
    """The reduction of the MDI dose at pump start [%] and why (module docstring, 1)."""
    if override_percent is not None:
        r = rule("settings.tdd.override")
        pct = check_range(
            "reduction_percent", override_percent, r.number("min_percent"), r.number("max_percent"), "%"
        )
        return Explanation("tdd_reduction", pct, "%", r.rule_id, "set by the clinician", r.provenance)
    hypo_rule = rule("settings.tdd.reduce_hypoglycaemia")
    hypo, hypo_reason = _hypoglycaemia(mdi, hypo_rule)
    if hypo:
        return _reduction(hypo_rule, hypo_reason)
    keep = rule("settings.tdd.keep_poor_control")
    a1c = mdi.hba1c_percent
    if a1c is not None and a1c >= keep.number("hba1c_at_least_percent"):
        warnings = (
            ()
            if hypo is not None
            else (
                "hypoglycaemia not documented (no CGM time below range): check before keeping the full dose",
            )
        )
        limit = keep.number("hba1c_at_least_percent")
        reason = f"HbA1c {a1c:.1f} % >= {limit:g} % (poor control) and {hypo_reason}"
        return replace(_reduction(keep, reason), warnings=warnings)
    good = rule("settings.tdd.reduce_good_control")
    a1c_text = (
        "HbA1c not given"
        if a1c is None
        else f"HbA1c {a1c:.1f} % < {keep.number('hba1c_at_least_percent'):g} %"
    )
    return _reduction(good, f"{a1c_text} and {hypo_reason}")


def _reduction(r: Rule, reason: str) -> Explanation:
    return Explanation("tdd_reduction", r.number("reduction_percent"), "%", r.rule_id, reason, r.provenance)


def _hypoglycaemia(mdi: MdiSummary, r: Rule) -> tuple[bool | None, str]:
    if mdi.hypoglycaemia is not None:
        return (
            mdi.hypoglycaemia,
            f"hypoglycaemia {'reported' if mdi.hypoglycaemia else 'excluded'} by the clinician",
        )
    b70, b54 = mdi.below_70_percent, mdi.below_54_percent
    if b70 is None and b54 is None:
        return None, "no CGM time below range given"
    lim70, lim54 = r.number("below_70_at_least_percent"), r.number("below_54_at_least_percent")
    hypo = (b70 is not None and b70 >= lim70) or (b54 is not None and b54 >= lim54)
    shown = ", ".join(f"{k} {v:g} %" for k, v in (("below 70", b70), ("below 54", b54)) if v is not None)
    verdict = "above" if hypo else "within"
    return hypo, f"CGM time below range {shown} {verdict} the consensus goals (< {lim70:g} %, < {lim54:g} %)"


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _basal_program(
    pump: Pump, limits: TherapyLimits, basal_u_per_day: float, profile: BasalProfile
) -> tuple[DailySchedule, list[Explanation], float]:
    """The basal rates [U/h] through the limits, one explanation per segment, and the rounding bound [U]."""
    r = rule(f"settings.basal.profile.{profile.value}")
    weights = [(int(s), float(w)) for s, w in r.values["weights"]]
    ends = [*(s for s, _ in weights[1:]), int(MIN_PER_DAY)]
    hours = [(e - s) / MIN_PER_H for (s, _), e in zip(weights, ends, strict=True)]
    per_weight = basal_u_per_day / sum(w * h for (_, w), h in zip(weights, hours, strict=True))
    rates: list[float] = []
    explanations: list[Explanation] = []
    bound = 0.0
    lowest = pump.envelope.basal_rate_range_u_per_h[0] * pump.factor
    for (start, w), h in zip(weights, hours, strict=True):
        field_name = f"basal[{_clock(start)}]"
        limited = limit_basal_rate(per_weight * w, device=pump, limits=limits, field_name=field_name)
        clamps = list(limited.clamps)
        rate = limited.units
        if rate < lowest - _EPS:
            clamps.append(_raise_to_minimum(field_name, rate, lowest, pump))
            rate = lowest
        bound += h * pump.basal_increments.step_at(rate)
        rates.append(rate)
        explanations.append(
            Explanation(
                field_name,
                rate,
                "U/h",
                r.rule_id,
                f"{w:g} x {per_weight:.4g} U/h ({profile.value} profile of {basal_u_per_day:.4g} U/day)",
                r.provenance,
                tuple(clamps),
            )
        )
    schedule = DailySchedule(tuple(s for s, _ in weights), tuple(rates), "basal")
    pump.set_pattern("starting", schedule)  # the pump engine accepts it (segments, grid, increments)
    return schedule, explanations, bound


def _raise_to_minimum(field_name: str, rate: float, lowest: float, pump: Pump) -> Clamp:
    return Clamp(
        field_name,
        rate,
        lowest,
        f"raised to the lowest rate the {pump.device_name} programs ({lowest:g} U/h)",
        "settings.basal.pump_minimum",
        f"{pump.device_name} envelope",
    )


def _guarded(setting: str, value: float, guardrail: str, unit: str, r: Rule, reason: str) -> Explanation:
    """A calculator setting within its guardrail's absolute bounds (clamp recorded); warned outside
    the recommended range (``therapy.limits.check_setting``)."""
    g = GUARDRAILS[guardrail]
    lo, hi = g.absolute
    result = min(max(value, lo), hi)
    clamps: tuple[Clamp, ...] = ()
    if result != value:
        bounds = f"outside the t2pump absolute bounds {lo:g}-{hi:g} {g.unit}"
        clamps = (Clamp(setting, value, result, bounds, f"limits.{guardrail}", g.citation),)
    _, warning = check_setting(setting, result, guardrail)
    warnings = () if warning is None else (warning,)
    return Explanation(setting, result, unit, r.rule_id, reason, r.provenance, clamps, warnings)


def _fixed_boluses(
    pump: Pump, limits: TherapyLimits, tdd_u: float, basal_fraction: float
) -> tuple[tuple[float, float, float], list[Explanation], float]:
    """Three equal meal boluses through the limits; their explanations and the rounding bound [U]."""
    r = rule("settings.fixed.meals")
    meals = int(r.number("meals"))
    dose = float(init.fixed_meal_bolus_u(np.array([tdd_u]), basal_fraction, meals)[0])
    out: list[float] = []
    explanations = []
    bound = 0.0
    for slot in MEAL_SLOTS[:meals]:
        limited = limit_bolus(dose, device=pump, limits=limits, field_name=f"meal_bolus[{slot}]")
        bound += pump.bolus_increments.step_at(limited.units)
        out.append(limited.units)
        reason = f"{1 - basal_fraction:.0%} of {tdd_u:.4g} U/day in {meals} equal meal doses ({dose:.4g} U)"
        explanations.append(
            Explanation(
                f"meal_bolus[{slot}]",
                limited.units,
                "U",
                r.rule_id,
                reason,
                r.provenance,
                limited.clamps,
                _confirm(limited),
            )
        )
    return (out[0], out[1], out[2]), explanations, bound


def _confirm(limited: LimitedDose) -> tuple[str, ...]:
    return (limited.confirmation_reason,) if limited.confirmation_reason else ()


def _calculator(tdd_u: float, o: SettingsOptions) -> tuple[DailySchedule, list[Explanation]]:
    """Carbohydrate ratio and sensitivity from the TDD rules, within their guardrails."""
    cr_rule, isf_rule = rule("settings.carb_ratio.rule"), rule("settings.isf.rule")
    carb = _allowed("carb_rule", o.carb_rule, cr_rule)
    sens = _allowed("isf_rule", o.isf_rule, isf_rule)
    tdd = np.array([tdd_u])
    ratio = _guarded(
        "carb_ratio_g_per_u",
        float(init.carb_ratio_rule(tdd, carb)[0]),
        "carb_ratio_g_per_u",
        "g/U",
        cr_rule,
        f"{carb:g} / {tdd_u:.4g} U/day ({carb:g} rule), to 0.1 g/U",
    )
    isf = _isf(tdd, sens, isf_rule)
    return DailySchedule.constant(float(ratio.value), "carb_ratio"), [ratio, *isf]


def _isf(tdd: np.ndarray[Any, np.dtype[np.float64]], sens: float, r: Rule) -> list[Explanation]:
    isf = _guarded(
        "isf_mgdl_per_u",
        float(init.isf_rule(tdd, sens)[0]),
        "isf_mgdl_per_u",
        "mg/dL/U",
        r,
        f"{sens:g} / {float(tdd[0]):.4g} U/day ({sens:g} rule), whole mg/dL",
    )
    mmol = round(float(mgdl_to_mmoll(float(isf.value))), 2)
    rule_name = f"{sens / 18.0156:.0f} rule" if sens != init.ISF_RULE else "100 rule"
    return [
        isf,
        replace(
            isf,
            setting="isf_mmoll_per_u",
            value=mmol,
            unit="mmol/L/U",
            reason=f"the same in mmol/L ({rule_name})",
            clamps=(),
            warnings=(),
        ),
    ]


def _allowed(name: str, value: float | None, r: Rule) -> float:
    allowed = [float(a) for a in r.values["allowed"]]
    x = r.number("default") if value is None else check_finite(name, value)
    if x not in allowed:
        raise InputRangeError(name, value, " or ".join(f"{a:g}" for a in allowed))
    return x


def _targets_and_ait(mdi: MdiSummary) -> tuple[float, float, float, list[Explanation]]:
    """Calculator target range [mg/dL] and active insulin time [h], pregnancy-aware."""
    t = rule("settings.target.pregnancy" if mdi.pregnant else "settings.target.standard")
    why = "pregnancy: fasting < 95 mg/dL" if mdi.pregnant else "pre-meal target"
    low = _guarded("target_low_mgdl", t.number("low_mgdl"), "target_mgdl", "mg/dL", t, why)
    high = _guarded("target_high_mgdl", t.number("high_mgdl"), "target_mgdl", "mg/dL", t, why)
    a = rule("settings.ait")
    older = mdi.age_years is not None and mdi.age_years >= a.number("older_from_age_years")
    if mdi.pregnant:
        hours, reason = a.number("pregnancy_h"), "pregnancy"
    elif older:
        hours, reason = (
            a.number("older_h"),
            f"age {mdi.age_years:g} >= {a.number('older_from_age_years'):g} years",
        )
    else:
        hours, reason = a.number("default_h"), "adult"
    ait = _guarded("active_insulin_time_h", hours, "active_insulin_time_h", "h", a, reason)
    return float(low.value), float(high.value), float(ait.value), [low, high, ait]


@dataclass(frozen=True, slots=True)
class PumpFit:
    """Whether a pump model can deliver the starting settings, and how long its reservoir lasts."""

    model_id: str
    name: str
    reservoir_capacity_u: float  # real units
    reservoir_days: float  # capacity / starting TDD [days]
    patch: bool
    verdict: FitVerdict
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "name": self.name,
            "reservoir_capacity_u": self.reservoir_capacity_u,
            "reservoir_days": round(self.reservoir_days, 2),
            "patch": self.patch,
            "verdict": self.verdict.value,
            "notes": list(self.notes),
        }


def _fit(pump: Pump, tdd_u: float, clamps: list[Clamp], mean_meal_bolus_u: float) -> PumpFit:
    res, patch_rule = rule("settings.pump.reservoir_days"), rule("settings.pump.patch_listing_fr")
    env = pump.envelope
    cap = pump.reservoir_capacity_u
    days = cap / tdd_u
    patch = env.model_id in patch_rule.values["patch_models"]
    notes = [
        f"reservoir {cap:g} U lasts {days:.1f} days at {tdd_u:.4g} U/day: change it every ~{days:.1f} days"
    ]
    fatal, caveats = [], []
    if any(c.rule_id == "limits.basal.device_max" for c in clamps):
        fatal.append(
            f"a basal rate is above the {env.name} maximum ({pump.settings.max_basal_u_per_h:g} U/h)"
        )
    if days < res.number("least_days"):
        fatal.append(f"more than one reservoir a day ({cap:g} U for {tdd_u:.4g} U/day)")
    elif days < res.number("comfortable_days"):
        caveats.append(f"reservoir changes more often than every {res.number('comfortable_days'):g} days")
    if (
        any(c.rule_id == "limits.bolus.device_max" for c in clamps)
        or mean_meal_bolus_u > pump.settings.max_bolus_u + _EPS
    ):
        caveats.append(
            f"meal boluses above the {env.name} max bolus ({pump.settings.max_bolus_u:g} U) must be split"
        )
    if patch and tdd_u > patch_rule.number("max_u_per_day"):
        caveats.append(
            f"patch pump listed in France for <= {patch_rule.number('max_u_per_day'):g} U/day "
            f"except a particular medical situation ({patch_rule.rule_id})"
        )
    verdict = (
        FitVerdict.DOES_NOT_FIT if fatal else FitVerdict.FITS_WITH_CAVEATS if caveats else FitVerdict.FITS
    )
    return PumpFit(env.model_id, env.name, cap, days, patch, verdict, tuple(notes + fatal + caveats))


@dataclass(frozen=True, slots=True)
class StartingSettings:
    """Starting pump settings with every value explained (module docstring)."""

    program: PumpProgram
    mdi_tdd_u: float
    reduction_percent: float
    starting_tdd_u: float
    basal_fraction: float
    planned_bolus_u_per_day: float  # fixed doses x 3, or the calculator's bolus share of TDD
    rounding_bound_u: float  # [U/day] see the module docstring
    explanations: tuple[Explanation, ...]
    warnings: tuple[str, ...]
    pump_fit: PumpFit
    other_pumps: tuple[PumpFit, ...] = ()
    pregnancy: PregnancyTargets | None = None
    rule_set_version: str = RULE_SET_VERSION

    @property
    def programmed_u_per_day(self) -> float:
        """The 24-h basal program plus the planned boluses [U/day]."""
        return self.program.basal_u_per_day + self.planned_bolus_u_per_day

    @property
    def clamps(self) -> tuple[Clamp, ...]:
        return tuple(c for e in self.explanations for c in e.clamps)

    def to_dict(self) -> dict[str, Any]:
        """The SETTINGS JSON (docs/decision_support.md)."""
        return {
            "format": SETTINGS_FORMAT,
            "rule_set_version": self.rule_set_version,
            "disclaimer": dict(DISCLAIMER),
            "program": program_to_dict(self.program),
            "tdd": {
                "mdi_u_per_day": self.mdi_tdd_u,
                "reduction_percent": self.reduction_percent,
                "starting_u_per_day": round(self.starting_tdd_u, 6),
                "basal_fraction": self.basal_fraction,
                "basal_u_per_day": round(self.program.basal_u_per_day, 6),
                "planned_bolus_u_per_day": round(self.planned_bolus_u_per_day, 6),
                "programmed_u_per_day": round(self.programmed_u_per_day, 6),
                "rounding_bound_u": round(self.rounding_bound_u, 6),
            },
            "pump_fit": self.pump_fit.to_dict(),
            "other_pumps": [f.to_dict() for f in self.other_pumps],
            "explanations": [e.to_dict() for e in self.explanations],
            "clamps": [_clamp_dict(c) for c in self.clamps],
            "warnings": list(self.warnings),
            "pregnancy_targets": None if self.pregnancy is None else self.pregnancy.to_dict(),
        }


def starting_settings(mdi: MdiSummary, options: SettingsOptions) -> StartingSettings:
    """Starting settings for ``options.pump_model``, and how every other packaged pump fits them."""
    chosen = _build(mdi, options)
    others = tuple(
        _build(mdi, replace(options, pump_model=m)).pump_fit
        for m in sorted(load_envelopes())
        if m != options.pump_model
    )
    return replace(chosen, other_pumps=others)


def _build(mdi: MdiSummary, o: SettingsOptions) -> StartingSettings:
    pump = pump_device(o.pump_model, o.concentration, o.limits)
    reduction = tdd_reduction(mdi, o.reduction_percent)
    tdd_u = float(init.reduced_tdd(np.array([mdi.tdd_u]), float(reduction.value) / 100.0)[0])
    frac_rule = rule("settings.basal.fraction")
    frac = frac_rule.number("default")
    if o.basal_fraction is not None:
        frac = check_range(
            "basal_fraction",
            o.basal_fraction,
            frac_rule.number("min"),
            frac_rule.number("max"),
            "(fraction of TDD)",
        )
    explanations = [
        Explanation(
            "mdi_tdd_u",
            mdi.tdd_u,
            "U/day",
            "settings.input",
            f"basal {mdi.basal_u_per_day:g} + bolus {mdi.bolus_u_per_day:g} U/day on MDI",
            "patient record",
        ),
        reduction,
        Explanation(
            "starting_tdd_u",
            round(tdd_u, 6),
            "U/day",
            reduction.rule_id,
            f"{mdi.tdd_u:g} x (1 - {float(reduction.value):g} %)",
            reduction.citation,
        ),
        Explanation(
            "basal_fraction",
            frac,
            "of TDD",
            frac_rule.rule_id,
            "default" if o.basal_fraction is None else "set by the clinician",
            frac_rule.provenance,
        ),
    ]
    basal, basal_expl, bound = _basal_program(pump, o.limits, frac * tdd_u, o.basal_profile)
    explanations += basal_expl
    carb_ratio: DailySchedule | None = None
    meal: tuple[float, float, float] | None = None
    if o.scheme is Scheme.FIXED:
        meal, meal_expl, meal_bound = _fixed_boluses(pump, o.limits, tdd_u, frac)
        explanations += meal_expl
        bound += meal_bound
        planned = sum(meal)
        isf_rule = rule("settings.isf.rule")
        explanations += _isf(np.array([tdd_u]), _allowed("isf_rule", o.isf_rule, isf_rule), isf_rule)
    else:
        carb_ratio, calc_expl = _calculator(tdd_u, o)
        explanations += calc_expl
        planned = (1.0 - frac) * tdd_u
    low, high, ait, target_expl = _targets_and_ait(mdi)
    explanations += target_expl
    isf = next(float(e.value) for e in explanations if e.setting == "isf_mgdl_per_u")
    program = PumpProgram(
        o.pump_model,
        int(o.concentration),
        o.scheme,
        basal,
        carb_ratio,
        meal,
        isf,
        low,
        high,
        ait,
        mdi.pregnant,
        o.limits,
    )
    clamps = [c for e in explanations for c in e.clamps]
    fit = _fit(pump, tdd_u, clamps, planned / len(MEAL_SLOTS))
    warnings = [w for e in explanations for w in e.warnings]
    warnings += [f"{c.field}: {c.reason}" for c in clamps if c.rule_id != "limits.increment"]
    if int(o.concentration) not in pump.envelope.insulin_concentrations:
        warnings.append(
            f"off-label: the {pump.device_name} is labelled for U-100; U-{o.concentration} chosen, "
            "all doses in real units"
        )
    pregnancy = pregnancy_targets() if mdi.pregnant else None
    if mdi.pregnant:
        warnings.append(
            "pregnancy: pump data in type 2 diabetes pregnancy are essentially absent (trials are in "
            "type 1); start only in a centre with reinforced diabetology and obstetric follow-up"
        )
    return StartingSettings(
        program=program,
        mdi_tdd_u=mdi.tdd_u,
        reduction_percent=float(reduction.value),
        starting_tdd_u=tdd_u,
        basal_fraction=frac,
        planned_bolus_u_per_day=planned,
        rounding_bound_u=bound,
        explanations=tuple(explanations),
        warnings=tuple(warnings),
        pump_fit=fit,
        pregnancy=pregnancy,
    )
