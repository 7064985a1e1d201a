"""Therapy limits: the one place every dose passes through before it reaches a device.

A dose computed by t2pump (a bolus recommendation, a basal rate, a pen injection) is never sent
as it is: :func:`limit_bolus`, :func:`limit_basal_rate` and :func:`limit_injection` bring it within

1. the hard limits of t2pump (absolute bounds no setting can exceed),
2. the patient's clinical limits (:class:`TherapyLimits`, set by the diabetes team),
3. the device's own limits (max bolus setting, max basal, per-injection maximum), and
4. the device's increments (rounded *down*, as Omnipod's calculator rounds boluses down),

and record each adjustment as a :class:`Clamp` with its reason, rule id and citation. Large doses
are not refused but flagged for confirmation above a threshold (type 2 diabetes routinely needs
30-75 U meal boluses). Values typed by a person (a prescription) are checked by
:func:`check_prescribed_dose`, which raises instead of clamping: a 500 U bolus typed by mistake is an
error to correct, not a dose to trim.

Guardrails follow LoopKit's pattern (absolute bounds, recommended range) [1]_, with T2D values
from AndroidAPS's "insulin-resistant adult" hard limits [2]_.

References
----------
.. [1] LoopKit ``LoopKit/Extensions/Guardrail+Settings.swift`` (commit 2f535b3c): absolute and
   recommended bounds per setting; max bolus absolute 30 U, warning above 20 U (type 1 scale).
.. [2] AndroidAPS ``core/interfaces/.../HardLimits.kt`` (commit 02052250): MAX_BOLUS 17 U adult,
   25 U insulin-resistant adult, 60 U pregnant; MAX_BASAL 10 / 12 / 25 U/h; ISF 2-1000 mg/dL/U;
   IC 2-100 g/U (0.3 pregnant); targets 80-200 mg/dL.
.. [3] Medtronic MiniMed 780G system user guide: Max Bolus setting 0-25 U (0-75 U on older
   Paradigm pumps, t2pump research notes [R]); Active Insulin Time 2-8 h.
.. [4] Bode BW, et al. / PMC10563601 (insulin pump initiation review): active insulin time usually
   3-5 h; "1700 or 1800 / TDD" and "450 or 500 / TDD" rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntFlag, StrEnum
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from t2pump.errors import InputRangeError, check_finite, check_range
from t2pump.physiology.elementwise import select

__all__ = [
    "GUARDRAILS",
    "BasalDevice",
    "BolusDevice",
    "Clamp",
    "ClampCode",
    "DoseKind",
    "Guardrail",
    "LimitedDose",
    "TherapyLimits",
    "check_prescribed_dose",
    "check_setting",
    "limit_basal_rate",
    "limit_basal_rate_array",
    "limit_bolus",
    "limit_bolus_array",
    "limit_bolus_values",
    "limit_injection",
    "limit_injection_array",
]

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Guardrail:
    """Absolute bounds (an error beyond them) and a recommended range (a warning outside it)."""

    setting: str
    unit: str
    absolute: tuple[float, float]
    recommended: tuple[float, float] | None
    citation: str


GUARDRAILS: dict[str, Guardrail] = {
    # 75 U: the largest single bolus t2pump lets through (Paradigm max-bolus setting up to 75 U [3],
    # the top of the T2D range of issue 2); recommended <= 25 U = AAPS insulin-resistant adult [2].
    "bolus_u": Guardrail(
        "bolus_u", "U", (0.0, 75.0), (0.0, 25.0), "[2] AAPS HardLimits; [3] Medtronic max bolus"
    ),
    # 40 U/h: the largest basal rate of any pump envelope in t2pump (YpsoPump 40 U/h, AndroidAPS
    # PumpType); recommended <= 12 U/h = AAPS insulin-resistant adult MAX_BASAL [2].
    "basal_rate_u_per_h": Guardrail(
        "basal_rate_u_per_h", "U/h", (0.0, 40.0), (0.0, 12.0), "[2] AAPS HardLimits; YpsoPump envelope"
    ),
    # AAPS IC 0.3-100 g/U (0.3 for pregnancy) [2]; LoopKit recommends 4-28 g/U [1].
    "carb_ratio_g_per_u": Guardrail(
        "carb_ratio_g_per_u",
        "g/U",
        (0.3, 150.0),
        (4.0, 28.0),
        "[2] AAPS HardLimits MIN_IC; [1] LoopKit carb ratio 2-150, recommended 4-28",
    ),
    # AAPS ISF 2-1000 mg/dL/U [2]; LoopKit recommends 15.1-399.9 mg/dL/U [1] (T2D ISFs below 15 are common).
    "isf_mgdl_per_u": Guardrail(
        "isf_mgdl_per_u",
        "mg/dL/U",
        (2.0, 1000.0),
        (15.1, 399.9),
        "[2] AAPS HardLimits; [1] LoopKit ISF recommended range",
    ),
    # AAPS profile targets 80-200 mg/dL [2]; LoopKit correction range 86.1-180.5 mg/dL absolute [1].
    "target_mgdl": Guardrail("target_mgdl", "mg/dL", (80.0, 200.0), None, "[2] AAPS HardLimits targets"),
    # Medtronic Active Insulin Time 2-8 h [3]; usually 3-5 h [4].
    "active_insulin_time_h": Guardrail(
        "active_insulin_time_h", "h", (2.0, 8.0), (3.0, 5.0), "[3] Medtronic AIT 2-8 h; [4] usually 3-5 h"
    ),
    # One prescribed injection: 200 U. Above 200 U/day of U-100 insulin, U-500 is considered
    # (Clinical Diabetes review, t2pump research notes clinical.md 4.6); no single injection above it.
    "injection_u": Guardrail(
        "injection_u",
        "U",
        (0.0, 200.0),
        None,
        "severe insulin resistance > 200 U/day: U-500 considered (clinical.md 4.6)",
    ),
    # Carbohydrate per meal entry: AAPS MAX_CARBS 400 g [2].
    "carbs_g": Guardrail("carbs_g", "g", (0.0, 400.0), None, "[2] AAPS HardLimits MAX_CARBS"),
}


def check_setting(name: str, value: float, guardrail: str | None = None) -> tuple[float, str | None]:
    """Check a setting against its guardrail: error beyond the absolute bounds, warning outside the
    recommended range. Returns ``(value, warning or None)``."""
    g = GUARDRAILS[guardrail or name]
    x = check_range(name, value, g.absolute[0], g.absolute[1], g.unit)
    if g.recommended is not None and not (g.recommended[0] <= x <= g.recommended[1]):
        lo, hi = g.recommended
        return x, f"{name} {x:g} {g.unit} is outside the recommended {lo:g}-{hi:g} {g.unit} ({g.citation})"
    return x, None


def check_prescribed_dose(field_name: str, units: float, guardrail: str = "bolus_u") -> float:
    """A dose typed by a person: an error, never a clamp, beyond the absolute bounds."""
    g = GUARDRAILS[guardrail]
    return check_range(field_name, units, g.absolute[0], g.absolute[1], f"{g.unit} ({g.citation})")


class DoseKind(StrEnum):
    BOLUS = "bolus"
    BASAL_RATE = "basal_rate"
    INJECTION = "injection"


@dataclass(frozen=True, slots=True)
class Clamp:
    """One adjustment made to a dose: from ``requested`` to ``result``, and why."""

    field: str
    requested: float
    result: float
    reason: str
    rule_id: str
    citation: str


@dataclass(frozen=True, slots=True)
class LimitedDose:
    """A dose after the limits: what was asked, what may be given, and every adjustment."""

    kind: DoseKind
    requested_u: float
    units: float
    clamps: tuple[Clamp, ...] = ()
    requires_confirmation: bool = False
    confirmation_reason: str | None = None
    warnings: tuple[str, ...] = ()
    injections_u: tuple[float, ...] = field(default=())  # pen doses: the injections, each within the pen

    @property
    def clamped(self) -> bool:
        return bool(self.clamps)


@dataclass(frozen=True, slots=True)
class TherapyLimits:
    """A patient's clinical limits, set by the diabetes team (real units).

    Defaults suit an insulin-resistant adult with type 2 diabetes: large boluses allowed up to the
    hard limit but confirmed above ``confirm_bolus_above_u`` (25 U = AAPS insulin-resistant adult
    max bolus [2]); max basal 12 U/h [2].
    """

    max_bolus_u: float = 75.0
    max_basal_u_per_h: float = 12.0
    confirm_bolus_above_u: float = 25.0

    def __post_init__(self) -> None:
        bolus = GUARDRAILS["bolus_u"]
        basal = GUARDRAILS["basal_rate_u_per_h"]
        check_range("limits.max_bolus_u", self.max_bolus_u, 0.0, bolus.absolute[1], "U", lo_inclusive=False)
        check_range(
            "limits.max_basal_u_per_h",
            self.max_basal_u_per_h,
            0.0,
            basal.absolute[1],
            "U/h",
            lo_inclusive=False,
        )
        check_range("limits.confirm_bolus_above_u", self.confirm_bolus_above_u, 0.0, bolus.absolute[1], "U")


class BolusDevice(Protocol):
    """What the limits need to know of a device that gives boluses."""

    @property
    def device_name(self) -> str: ...

    @property
    def max_bolus_u(self) -> float: ...

    def round_bolus_down(self, units: float) -> float: ...


class BasalDevice(Protocol):
    @property
    def device_name(self) -> str: ...

    @property
    def max_basal_u_per_h(self) -> float: ...

    def round_basal_down(self, rate_u_per_h: float) -> float: ...


class _Ledger:
    """Collects the clamps applied to one dose."""

    def __init__(self, field_name: str, value: float) -> None:
        self.field = field_name
        self.value = value
        self.clamps: list[Clamp] = []

    def cap(self, upper: float, reason: str, rule_id: str, citation: str) -> None:
        if self.value > upper + _EPS:
            self.clamps.append(Clamp(self.field, self.value, upper, reason, rule_id, citation))
            self.value = upper

    def floor_zero(self) -> None:
        if self.value < 0:
            self.clamps.append(
                Clamp(
                    self.field,
                    self.value,
                    0.0,
                    "a dose cannot be negative",
                    "limits.non_negative",
                    "physical: insulin cannot be withdrawn",
                )
            )
            self.value = 0.0

    def round_to(self, rounded: float, step_text: str, device: str) -> None:
        if abs(rounded - self.value) > _EPS:
            self.clamps.append(
                Clamp(
                    self.field,
                    self.value,
                    rounded,
                    f"rounded down to the {device} increment ({step_text})",
                    "limits.increment",
                    f"{device} envelope",
                )
            )
        self.value = rounded


def limit_bolus(
    requested_u: float, *, device: BolusDevice, limits: TherapyLimits, field_name: str = "bolus_u"
) -> LimitedDose:
    """Bring a computed bolus within hard, clinical and device limits, rounded down to an increment."""
    x = check_finite(field_name, requested_u)
    led = _Ledger(field_name, x)
    led.floor_zero()
    hard = GUARDRAILS["bolus_u"]
    led.cap(
        hard.absolute[1],
        f"above the t2pump hard limit of {hard.absolute[1]:g} U",
        "limits.bolus.hard",
        hard.citation,
    )
    led.cap(
        limits.max_bolus_u,
        f"above the patient's max bolus of {limits.max_bolus_u:g} U",
        "limits.bolus.patient_max",
        "patient therapy limits (set by the diabetes team)",
    )
    led.cap(
        device.max_bolus_u,
        f"above the {device.device_name} max bolus setting of {device.max_bolus_u:g} U",
        "limits.bolus.device_max",
        f"{device.device_name} settings",
    )
    led.round_to(device.round_bolus_down(led.value), "bolus step", device.device_name)
    return _with_confirmation(DoseKind.BOLUS, x, led, limits)


def _with_confirmation(
    kind: DoseKind, requested: float, led: _Ledger, limits: TherapyLimits, injections: tuple[float, ...] = ()
) -> LimitedDose:
    confirm = led.value > limits.confirm_bolus_above_u + _EPS
    reason = (
        (
            f"{led.value:g} U is above the confirmation threshold of {limits.confirm_bolus_above_u:g} U: "
            "confirm the dose before delivery"
        )
        if confirm
        else None
    )
    return LimitedDose(
        kind, requested, led.value, tuple(led.clamps), confirm, reason, injections_u=injections
    )


def limit_basal_rate(
    requested_u_per_h: float,
    *,
    device: BasalDevice,
    limits: TherapyLimits,
    field_name: str = "basal_rate_u_per_h",
) -> LimitedDose:
    """Bring a computed basal or temporary basal rate within limits, rounded down to an increment."""
    x = check_finite(field_name, requested_u_per_h)
    led = _Ledger(field_name, x)
    led.floor_zero()
    hard = GUARDRAILS["basal_rate_u_per_h"]
    led.cap(
        hard.absolute[1],
        f"above the t2pump hard limit of {hard.absolute[1]:g} U/h",
        "limits.basal.hard",
        hard.citation,
    )
    led.cap(
        limits.max_basal_u_per_h,
        f"above the patient's max basal of {limits.max_basal_u_per_h:g} U/h",
        "limits.basal.patient_max",
        "patient therapy limits (set by the diabetes team)",
    )
    led.cap(
        device.max_basal_u_per_h,
        f"above the {device.device_name} max basal of {device.max_basal_u_per_h:g} U/h",
        "limits.basal.device_max",
        f"{device.device_name} settings",
    )
    led.round_to(device.round_basal_down(led.value), "basal step", device.device_name)
    return LimitedDose(DoseKind.BASAL_RATE, x, led.value, tuple(led.clamps))


class InjectionDevice(Protocol):
    @property
    def device_name(self) -> str: ...

    @property
    def max_per_injection_u(self) -> float: ...

    def round_dose_down(self, units: float) -> float: ...

    def split(self, units: float) -> tuple[float, ...]: ...


def limit_injection(
    requested_u: float,
    *,
    pen: InjectionDevice,
    limits: TherapyLimits,
    field_name: str = "injection_u",
    rapid: bool = True,
) -> LimitedDose:
    """Bring a computed pen dose within limits; split it into injections the pen can give.

    A rapid-acting (meal) dose is held to the bolus limits; every dose to the per-dose hard limit.
    A dose larger than the pen's maximum per injection is split into equal injections, as
    patients do, and the split is recorded as a clamp so that it is shown.
    """
    x = check_finite(field_name, requested_u)
    led = _Ledger(field_name, x)
    led.floor_zero()
    hard = GUARDRAILS["injection_u"]
    led.cap(
        hard.absolute[1],
        f"above the t2pump hard limit of {hard.absolute[1]:g} U per dose",
        "limits.injection.hard",
        hard.citation,
    )
    if rapid:
        bolus_hard = GUARDRAILS["bolus_u"]
        led.cap(
            bolus_hard.absolute[1],
            f"above the t2pump hard limit of {bolus_hard.absolute[1]:g} U",
            "limits.bolus.hard",
            bolus_hard.citation,
        )
        led.cap(
            limits.max_bolus_u,
            f"above the patient's max bolus of {limits.max_bolus_u:g} U",
            "limits.bolus.patient_max",
            "patient therapy limits (set by the diabetes team)",
        )
    led.round_to(pen.round_dose_down(led.value), "dial step", pen.device_name)
    injections = pen.split(led.value) if led.value > 0 else ()
    if len(injections) > 1:
        led.clamps.append(
            Clamp(
                field_name,
                led.value,
                led.value,
                f"split into {len(injections)} injections of "
                + " + ".join(f"{u:g}" for u in injections)
                + f" U (the {pen.device_name} gives at most {pen.max_per_injection_u:g} U)",
                "limits.injection.split",
                f"{pen.device_name} instructions for use",
            )
        )
    if not rapid:
        return LimitedDose(DoseKind.INJECTION, x, led.value, tuple(led.clamps), injections_u=injections)
    return _with_confirmation(DoseKind.INJECTION, x, led, limits, injections)


def round_down(value: float, step: float) -> float:
    """``value`` rounded down to a multiple of ``step``."""
    if step <= 0 or not math.isfinite(step):
        raise InputRangeError("step", step, "a positive finite step")
    return round(math.floor(value / step + _EPS) * step, 10)


class ClampCode(IntFlag):
    """Why a dose computed for a cohort was changed (bit flags, one value per patient and event)."""

    NONE = 0
    NEGATIVE = 1
    HARD_LIMIT = 2
    PATIENT_MAX = 4
    DEVICE_MAX = 8
    ROUNDED = 16


# ClampCode's flags as plain ints, for the elementwise forms below (compiled into the simulation kernel).
_NEGATIVE, _HARD_LIMIT, _PATIENT_MAX = (
    int(ClampCode.NEGATIVE),
    int(ClampCode.HARD_LIMIT),
    int(ClampCode.PATIENT_MAX),
)
_DEVICE_MAX, _ROUNDED = int(ClampCode.DEVICE_MAX), int(ClampCode.ROUNDED)
_BOLUS_HARD_MAX_U = GUARDRAILS["bolus_u"].absolute[1]


def _cap(x: Any, codes: Any, upper: Any, flag: int) -> tuple[Any, Any]:
    """``x`` brought down to ``upper``, ``flag`` added to ``codes`` where it was above it
    (elementwise: arrays, or scalars in the simulation kernel)."""
    return np.minimum(x, upper), codes | select(x > upper + _EPS, flag, 0)


def _floor_to_step(x: Any, codes: Any, step: Any) -> tuple[Any, Any]:
    """Negative -> 0, then down to a multiple of ``step`` (elementwise), with their flags."""
    codes = codes | select(x < 0, _NEGATIVE, 0)
    x = np.maximum(x, 0.0)
    rounded = np.round(np.floor(x / step + _EPS) * step, 10)
    return rounded, codes | select(np.abs(rounded - x) > _EPS, _ROUNDED, 0)


def limit_bolus_values(
    requested_u: Any, patient_max_u: Any, device_max_u: Any, step_u: Any
) -> tuple[Any, Any]:
    """The rules of :func:`limit_bolus_array` on finite doses, elementwise: NumPy arrays, or one
    patient's scalars where the simulation kernel compiles it (it takes the cohort's wizard
    decisions inside its minute loop, through this very function). Returns (doses, clamp codes)."""
    x, codes = _cap(requested_u, 0, _BOLUS_HARD_MAX_U, _HARD_LIMIT)
    x, codes = _cap(x, codes, patient_max_u, _PATIENT_MAX)
    x, codes = _cap(x, codes, device_max_u, _DEVICE_MAX)
    return _floor_to_step(x, codes, step_u)


def _finite(requested_u: NDArray[np.float64], field: str) -> NDArray[np.float64]:
    x = np.asarray(requested_u, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        i = int(np.argmax(~np.isfinite(x)))
        raise InputRangeError(f"{field}[{i}]", float(x.reshape(-1)[i]), "a finite number")
    return x


def _limit_array(
    requested_u: NDArray[np.float64],
    caps: list[tuple[ClampCode, object]],
    step_u: float | NDArray[np.float64],
    field: str,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    x = _finite(requested_u, field)
    codes = np.zeros(x.shape, dtype=np.int64)
    for flag, upper in caps:
        x, codes = _cap(x, codes, np.asarray(upper, dtype=np.float64), int(flag))
    rounded, codes = _floor_to_step(x, codes, step_u)
    return np.asarray(rounded, dtype=np.float64), np.asarray(codes, dtype=np.int64)


def limit_bolus_array(
    requested_u: NDArray[np.float64],
    *,
    patient_max_u: NDArray[np.float64],
    device_max_u: NDArray[np.float64],
    step_u: float,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """:func:`limit_bolus` for many patients at once: the same rules, clamps as :class:`ClampCode` flags.

    Caps as in :func:`limit_bolus` (t2pump hard limit, patient max, device max), negative -> 0, then
    round down to the device step. Returns the doses and, per patient, the OR of the clamps applied.
    """
    x = _finite(requested_u, "bolus_u")
    doses, codes = limit_bolus_values(
        x, np.asarray(patient_max_u, dtype=np.float64), np.asarray(device_max_u, dtype=np.float64), step_u
    )
    return np.asarray(doses, dtype=np.float64), np.asarray(codes, dtype=np.int64).reshape(x.shape)


def limit_basal_rate_array(
    requested_u_per_h: NDArray[np.float64],
    *,
    patient_max_u_per_h: float | NDArray[np.float64],
    device_max_u_per_h: float | NDArray[np.float64],
    step_u_per_h: float | NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """:func:`limit_basal_rate` for many patients: hard, patient and device maxima, then the increment."""
    caps: list[tuple[ClampCode, object]] = [
        (ClampCode.HARD_LIMIT, GUARDRAILS["basal_rate_u_per_h"].absolute[1]),
        (ClampCode.PATIENT_MAX, patient_max_u_per_h),
        (ClampCode.DEVICE_MAX, device_max_u_per_h),
    ]
    return _limit_array(requested_u_per_h, caps, step_u_per_h, "basal_rate_u_per_h")


def limit_injection_array(
    requested_u: NDArray[np.float64], *, step_u: float
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """:func:`limit_injection` (basal doses) for many patients: hard limit per dose, pen step."""
    caps: list[tuple[ClampCode, object]] = [(ClampCode.HARD_LIMIT, GUARDRAILS["injection_u"].absolute[1])]
    return _limit_array(requested_u, caps, step_u, "injection_u")
