"""Bolus calculator: carbohydrate and correction insulin, less insulin on board, within limits.

Two published policies:

* ``medtronic-wizard`` — the Medtronic Bolus Wizard [1]_: food = carbs / ratio; above the high
  target, correction = (BG - high) / ISF minus *active bolus insulin*, and a negative result does
  not reduce the food bolus; below the low target the (negative) correction reduces the food
  bolus and active insulin is not used; in range or with no BG, food only.
* ``aaps-additive`` — AndroidAPS ``BolusWizard.doCalc`` [2]_: BG difference to the target range /
  ISF, + 15-min trend / ISF, + carbs / IC, + COB / IC, - (bolus IOB + basal IOB), + manual
  correction, + superbolus (basal now + basal in 1 h); a positive total is scaled by the
  percentage (10-250 %), a negative one is reported as carbohydrate equivalent; the total is
  rounded to the nearest pump step.

Whatever the policy, the result then passes through :func:`t2pump.therapy.limits.limit_bolus`:
every cap and rounding is recorded, and a dose above the confirmation threshold is flagged.
Schedules (carb ratio, ISF, targets) are read at the time of the request; glucose may be in
mg/dL or mmol/L (converted in :mod:`t2pump.units`).

References
----------
.. [1] Medtronic MiniMed Paradigm 522/722 user guide, Bolus Wizard (p. 187); MiniMed 712 user
   manual p. 55 worked example (45 g -> 3.0 U food, BG 160 -> 2.0 U correction, 1.0 U active
   insulin -> 4.0 U) and the max-bolus cap (estimate 30 U, max 25 U -> 25 U); t2pump research
   notes pumps_aid.md section 4.1.
.. [2] AndroidAPS ``core/objects/.../wizard/BolusWizard.kt`` ``doCalc()``, commit 02052250
   (AAPS 3.4.2); t2pump research notes pumps_aid.md section 3.1 and the worked example of 3.3.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from t2pump.errors import InputRangeError, check_finite, check_range, parse_enum
from t2pump.schedule import DailySchedule
from t2pump.therapy.limits import (
    BolusDevice,
    LimitedDose,
    TherapyLimits,
    check_setting,
    limit_bolus,
)
from t2pump.units import mmoll_to_mgdl

__all__ = [
    "BolusComponent",
    "BolusPolicy",
    "BolusRecommendation",
    "BolusRequest",
    "BolusSettings",
    "GlucoseUnit",
    "calculate_bolus",
]

_EPS = 1e-9
_CITATIONS = {
    "medtronic-wizard": "Medtronic MiniMed Bolus Wizard (Paradigm 522/722 user guide p.187; 712 manual p.55)",
    "aaps-additive": "AndroidAPS BolusWizard.doCalc (commit 02052250, AAPS 3.4.2)",
}
_AAPS_PERCENT_RANGE = (10.0, 250.0)  # AAPS calcPercentageWithConstraints [2]
_AAPS_TREND_MINUTES = 15.0  # AAPS: shortAvgDelta (per 5 min) x 3 [2]


class BolusPolicy(StrEnum):
    MEDTRONIC_WIZARD = "medtronic-wizard"
    AAPS_ADDITIVE = "aaps-additive"


class GlucoseUnit(StrEnum):
    MGDL = "mg/dL"
    MMOLL = "mmol/L"

    def to_mgdl(self, value: float) -> float:
        return value if self is GlucoseUnit.MGDL else float(mmoll_to_mgdl(value))


@dataclass(frozen=True, slots=True)
class BolusSettings:
    """Calculator settings by time of day. ISF, targets and trend are in ``unit``."""

    carb_ratio_g_per_u: DailySchedule
    isf_per_u: DailySchedule
    target_low: DailySchedule
    target_high: DailySchedule
    unit: GlucoseUnit = GlucoseUnit.MGDL
    policy: BolusPolicy = BolusPolicy.MEDTRONIC_WIZARD
    basal_u_per_h: DailySchedule | None = None  # needed for the AAPS superbolus only
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit", parse_enum(GlucoseUnit, self.unit, "unit"))
        object.__setattr__(self, "policy", parse_enum(BolusPolicy, self.policy, "policy"))
        notes: list[str] = []
        for i, v in enumerate(self.carb_ratio_g_per_u.values):
            _, w = check_setting(f"carb_ratio_g_per_u[{i}]", v, "carb_ratio_g_per_u")
            notes += [w] if w else []
        for i, v in enumerate(self.isf_per_u.values):
            _, w = check_setting(f"isf[{i}] ({v:g} {self.unit}/U)", self.unit.to_mgdl(v), "isf_mgdl_per_u")
            notes += [w] if w else []
        for sched, name in ((self.target_low, "target_low"), (self.target_high, "target_high")):
            for i, v in enumerate(sched.values):
                check_setting(f"{name}[{i}] ({v:g} {self.unit})", self.unit.to_mgdl(v), "target_mgdl")
        boundaries = sorted(set(self.target_low.starts_min) | set(self.target_high.starts_min))
        for t in boundaries:
            lo, hi = self.target_low.scalar_at(t), self.target_high.scalar_at(t)
            if lo > hi:
                raise InputRangeError("target_low", lo, f"<= target_high ({hi:g} {self.unit}) at minute {t}")
        object.__setattr__(self, "warnings", tuple(notes))


@dataclass(frozen=True, slots=True)
class BolusRequest:
    """What the person enters, and what the pump knows (IOB, COB, trend), at ``time_min``."""

    time_min: float
    carbs_g: float = 0.0
    glucose: float | None = None  # in the settings' unit; None: no BG entered
    bolus_iob_u: float = 0.0
    basal_iob_u: float = 0.0  # net of the scheduled basal; may be negative (AAPS only)
    trend_per_5min: float | None = None  # in the settings' unit per 5 min (AAPS only)
    cob_g: float = 0.0  # carbohydrate on board (AAPS only)
    correction_u: float = 0.0  # manual correction (AAPS only)
    percentage: float = 100.0  # AAPS only
    superbolus: bool = False  # AAPS only
    include_bolus_iob: bool = True
    include_basal_iob: bool = True
    positive_iob_only: bool = False


@dataclass(frozen=True, slots=True)
class BolusComponent:
    name: str
    units: float
    explanation: str


@dataclass(frozen=True, slots=True)
class BolusRecommendation:
    """The full breakdown: each component, the raw total, and what the limits made of it."""

    policy: BolusPolicy
    time_min: float
    components: tuple[BolusComponent, ...]
    calculated_u: float  # after the policy's own arithmetic (percentage, rounding), before limits
    carbs_equivalent_g: float  # AAPS: carbohydrate needed to cover a negative total
    limited: LimitedDose
    reasons: tuple[str, ...]
    citation: str

    @property
    def recommended_u(self) -> float:
        return self.limited.units

    @property
    def requires_confirmation(self) -> bool:
        return self.limited.requires_confirmation

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["policy"] = self.policy.value
        d["recommended_u"] = self.recommended_u
        d["requires_confirmation"] = self.requires_confirmation
        d["limited"]["kind"] = self.limited.kind.value
        return d


def _check_request(req: BolusRequest, settings: BolusSettings) -> None:
    check_finite("time_min", req.time_min)
    check_setting("carbs_g", req.carbs_g)
    if req.glucose is not None:
        mgdl = settings.unit.to_mgdl(check_finite("glucose", req.glucose))
        check_range(f"glucose ({req.glucose:g} {settings.unit})", mgdl, 10.0, 1000.0, "mg/dL")
    check_range("bolus_iob_u", req.bolus_iob_u, 0.0, 300.0, "U")
    check_range("basal_iob_u", req.basal_iob_u, -100.0, 100.0, "U")
    check_range("cob_g", req.cob_g, 0.0, 1000.0, "g")
    check_range("correction_u", req.correction_u, -75.0, 75.0, "U")
    check_range("percentage", req.percentage, *_AAPS_PERCENT_RANGE, "%")
    if req.trend_per_5min is not None:
        check_range(
            "trend_per_5min", settings.unit.to_mgdl(req.trend_per_5min), -50.0, 50.0, "mg/dL per 5 min"
        )


def _medtronic(
    req: BolusRequest, s: BolusSettings, ratio: float, isf: float, low: float, high: float
) -> tuple[list[BolusComponent], float, list[str]]:
    food = req.carbs_g / ratio
    comps = [BolusComponent("food", food, f"{req.carbs_g:g} g / {ratio:g} g/U")]
    reasons: list[str] = []
    if req.glucose is None:
        reasons.append("no glucose entered: food bolus only")
        return comps, food, reasons
    bg = req.glucose
    if bg > high:
        corr = (bg - high) / isf
        comps.append(BolusComponent("correction", corr, f"({bg:g} - {high:g}) / {isf:g} {s.unit}/U"))
        net = corr - req.bolus_iob_u
        used_iob = min(req.bolus_iob_u, corr)
        comps.append(
            BolusComponent(
                "active_insulin",
                0.0 - used_iob + 0.0,
                f"active bolus insulin {req.bolus_iob_u:g} U subtracted from the correction only",
            )
        )
        if net < 0:
            reasons.append("active insulin exceeds the correction: the food bolus is not reduced")
        return comps, food + max(0.0, net), reasons
    if bg < low:
        corr = (bg - low) / isf
        comps.append(
            BolusComponent(
                "correction",
                corr,
                f"({bg:g} - {low:g}) / {isf:g} {s.unit}/U: below target, "
                "reduces the food bolus; active insulin not used",
            )
        )
        return comps, max(0.0, food + corr), reasons
    reasons.append(f"glucose {bg:g} {s.unit} within the target {low:g}-{high:g}: no correction")
    return comps, food, reasons


def _aaps(
    req: BolusRequest, s: BolusSettings, ratio: float, isf: float, low: float, high: float
) -> tuple[list[BolusComponent], float, float, list[str]]:
    comps: list[BolusComponent] = []
    reasons: list[str] = []
    if req.glucose is not None:
        bg = req.glucose
        diff = 0.0 if low <= bg <= high else (bg - low if bg < low else bg - high)
        comps.append(BolusComponent("correction", diff / isf, f"BG difference {diff:g} {s.unit} / {isf:g}"))
    if req.trend_per_5min is not None:
        trend = req.trend_per_5min * (_AAPS_TREND_MINUTES / 5.0)
        comps.append(BolusComponent("trend", trend / isf, f"15-min trend {trend:g} {s.unit} / {isf:g}"))
    comps.append(BolusComponent("food", req.carbs_g / ratio, f"{req.carbs_g:g} g / {ratio:g} g/U"))
    if req.cob_g:
        comps.append(BolusComponent("cob", req.cob_g / ratio, f"COB {req.cob_g:g} g / {ratio:g} g/U"))
    bolus_iob = round(req.bolus_iob_u, 3) if req.include_bolus_iob else 0.0  # AAPS IobTotal.round(): 3 dp
    basal_iob = round(req.basal_iob_u, 3) if req.include_basal_iob else 0.0
    total_iob = bolus_iob + basal_iob
    iob_term = 0.0 if (req.positive_iob_only and total_iob < 0) else -total_iob
    comps.append(BolusComponent("iob", iob_term, f"bolus IOB {bolus_iob:g} U + basal IOB {basal_iob:g} U"))
    if req.correction_u and req.percentage == 100.0:
        comps.append(BolusComponent("manual_correction", req.correction_u, "entered by the user"))
    if req.superbolus:
        if s.basal_u_per_h is None:
            raise InputRangeError("settings.basal_u_per_h", None, "a basal schedule for the superbolus")
        sb = s.basal_u_per_h.scalar_at(req.time_min) + s.basal_u_per_h.scalar_at(req.time_min + 60.0)
        comps.append(
            BolusComponent("superbolus", sb, "basal now + basal in 1 h (a 2-h zero temp must follow)")
        )
        reasons.append("superbolus: program a zero temporary basal for 120 min")
    total = sum(c.units for c in comps)
    carbs_eq = 0.0
    if total >= 0:
        if req.percentage != 100.0:
            reasons.append(f"total scaled by {req.percentage:g} %")
        total *= req.percentage / 100.0
    else:
        carbs_eq = -total * ratio
        reasons.append(f"negative total: {carbs_eq:.0f} g of carbohydrate would be needed; bolus 0")
        total = 0.0
    return comps, total, carbs_eq, reasons


def calculate_bolus(
    request: BolusRequest,
    settings: BolusSettings,
    *,
    device: BolusDevice,
    limits: TherapyLimits,
    device_step_u: float | None = None,
) -> BolusRecommendation:
    """Recommend a bolus: the policy's breakdown, then the limits.

    ``device_step_u`` is the pump step the AAPS policy rounds its total to (nearest); the limits
    then round down to the device's increments in any case.
    """
    _check_request(request, settings)
    t = request.time_min
    ratio = settings.carb_ratio_g_per_u.scalar_at(t)
    isf = settings.isf_per_u.scalar_at(t)
    low, high = settings.target_low.scalar_at(t), settings.target_high.scalar_at(t)
    carbs_eq = 0.0
    if settings.policy is BolusPolicy.MEDTRONIC_WIZARD:
        comps, total, reasons = _medtronic(request, settings, ratio, isf, low, high)
    else:
        comps, total, carbs_eq, reasons = _aaps(request, settings, ratio, isf, low, high)
        if device_step_u:
            total = round(math.floor(total / device_step_u + 0.5) * device_step_u, 10)  # AAPS Round.roundTo
    limited = limit_bolus(total, device=device, limits=limits)
    reasons += [c.reason for c in limited.clamps]
    if limited.confirmation_reason:
        reasons.append(limited.confirmation_reason)
    reasons += list(settings.warnings)
    return BolusRecommendation(
        settings.policy,
        t,
        tuple(comps),
        total,
        carbs_eq,
        limited,
        tuple(reasons),
        _CITATIONS[settings.policy.value],
    )
