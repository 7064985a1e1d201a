"""Insulin action curves: insulin on board (IOB) and activity after a unit dose.

Three published families, each a pure function of the time since the dose:

* oref0 ``bilinear``: a triangular activity (peak 75 min, end 180 min at DIA 3 h, time-scaled to
  other DIAs) with oref0's quadratic IOB fits [1]_.
* oref0 ``rapid-acting`` / ``ultra-rapid``: the exponential model of D. Maksimovic [2]_ with peak
  75 or 55 min, custom peaks clamped as oref0 clamps them [1]_.
* LoopKit's ``ExponentialInsulinModel``: the same exponential with a delay before action starts
  and 6 h presets [3]_.

Time is in minutes, IOB is a fraction of the dose (0-1), activity is the fraction of the dose
acting per minute [1/min]. Functions are vectorised over ``t_min``.

References
----------
.. [1] OpenAPS oref0, ``lib/iob/calculate.js`` and ``lib/iob/total.js``, commit 88cf032a (v0.7.1,
   2022-06-18). https://github.com/openaps/oref0
.. [2] D. Maksimovic, "Exponential insulin curves", LoopKit/Loop issue 388 (2016), the model
   behind oref0's and LoopKit's exponential curves.
.. [3] LoopKit, ``LoopKit/InsulinKit/ExponentialInsulinModel.swift`` and
   ``ExponentialInsulinModelPreset.swift``. https://github.com/LoopKit/LoopKit
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import InputRangeError, check_finite, check_range, parse_enum

__all__ = [
    "OREF0_CUSTOM_PEAK_CLAMP_MIN",
    "OREF0_DEFAULT_PEAK_MIN",
    "OREF0_MIN_DIA_H",
    "ActionCurve",
    "CurveKind",
    "ExponentialInsulinModel",
    "LoopKitPreset",
    "Oref0Curve",
    "exponential_activity",
    "exponential_iob_fraction",
    "loopkit_preset",
]

FloatArray = NDArray[np.float64]


class ActionCurve(Protocol):
    """What every insulin action curve offers."""

    @property
    def duration_min(self) -> float:
        """Time after which IOB is exactly 0 [min]."""
        ...

    def iob_fraction(self, t_min: ArrayLike) -> FloatArray:
        """Fraction of a dose still on board ``t_min`` minutes after it [-]."""
        ...

    def activity(self, t_min: ArrayLike) -> FloatArray:
        """Fraction of a dose acting per minute ``t_min`` minutes after it [1/min]."""
        ...


class CurveKind(StrEnum):
    """oref0's curve names (``profile.curve``)."""

    BILINEAR = "bilinear"
    RAPID_ACTING = "rapid-acting"
    ULTRA_RAPID = "ultra-rapid"


# oref0 lib/iob/total.js: DIA below 3 h is raised to 3 h for every curve; the exponential curves
# ("requireLongDia") raise it to 5 h [1].
OREF0_MIN_DIA_H: dict[CurveKind, float] = {
    CurveKind.BILINEAR: 3.0,
    CurveKind.RAPID_ACTING: 5.0,
    CurveKind.ULTRA_RAPID: 5.0,
}
# oref0 lib/iob/calculate.js iobCalcExponential: default peaks and custom-peak clamps [1].
OREF0_DEFAULT_PEAK_MIN: dict[CurveKind, float] = {CurveKind.RAPID_ACTING: 75.0, CurveKind.ULTRA_RAPID: 55.0}
OREF0_CUSTOM_PEAK_CLAMP_MIN: dict[CurveKind, tuple[float, float]] = {
    CurveKind.RAPID_ACTING: (50.0, 120.0),
    CurveKind.ULTRA_RAPID: (35.0, 100.0),
}
# Bilinear shape at the reference DIA of 3 h: activity peaks at 75 min and ends at 180 min [1].
_BILINEAR_REF_DIA_H = 3.0
_BILINEAR_PEAK_MIN = 75.0
_BILINEAR_END_MIN = 180.0


def _as_array(t_min: ArrayLike) -> FloatArray:
    return np.asarray(t_min, dtype=np.float64)


def _exponential_constants(td: float, tp: float) -> tuple[float, float, float]:
    """tau, a, S of the exponential model for action duration ``td`` and peak ``tp`` [2]."""
    tau = tp * (1.0 - tp / td) / (1.0 - 2.0 * tp / td)
    a = 2.0 * tau / td
    s = 1.0 / (1.0 - a + (1.0 + a) * np.exp(-td / tau))
    return float(tau), float(a), float(s)


def exponential_iob_fraction(t_min: ArrayLike, td: float, tp: float) -> FloatArray:
    """IOB fraction of the exponential model [2]: 1 before the dose, 0 from ``td`` on."""
    t = _as_array(t_min)
    tau, a, s = _exponential_constants(td, tp)
    tc = np.clip(t, 0.0, td)
    iob = 1.0 - s * (1.0 - a) * ((tc**2 / (tau * td * (1.0 - a)) - tc / tau - 1.0) * np.exp(-tc / tau) + 1.0)
    return np.where(t <= 0.0, 1.0, np.where(t >= td, 0.0, iob))


def exponential_activity(t_min: ArrayLike, td: float, tp: float) -> FloatArray:
    """Activity of the exponential model [2] [1/min]: (S/tau^2) t (1 - t/td) exp(-t/tau) on (0, td)."""
    t = _as_array(t_min)
    tau, _, s = _exponential_constants(td, tp)
    act = (s / tau**2) * t * (1.0 - t / td) * np.exp(-t / tau)
    return np.where((t > 0.0) & (t < td), act, 0.0)


@dataclass(frozen=True, slots=True)
class Oref0Curve:
    """An oref0 insulin curve after oref0's own DIA and peak rules.

    Build it with :meth:`from_settings`, which applies oref0's rules and records each adjustment
    in ``adjustments`` (a user who asks for a 3 h DIA with the rapid-acting curve gets 5 h, and
    must be told).
    """

    kind: CurveKind
    dia_h: float  # effective DIA after oref0's minimums [h]
    peak_min: float  # effective peak [min]; 75 (unused) for bilinear, as oref0 stores it
    adjustments: tuple[str, ...] = field(default=())

    @classmethod
    def from_settings(
        cls, kind: CurveKind | str, dia_h: float, custom_peak_min: float | None = None
    ) -> Oref0Curve:
        """Apply oref0's rules [1]: DIA minimum per curve; default peak, or a custom peak clamped.

        ``custom_peak_min`` plays the role of oref0's ``insulinPeakTime`` with
        ``useCustomPeakTime: true``; it is rejected for the bilinear curve, which has a fixed shape.
        """
        kind = parse_enum(CurveKind, kind, "curve")
        dia = check_range("dia_h", dia_h, 0.0, 24.0, "h", lo_inclusive=False)
        notes: list[str] = []
        min_dia = OREF0_MIN_DIA_H[kind]
        if dia < min_dia:
            notes.append(
                f"DIA {dia:g} h raised to the {kind.value} minimum of {min_dia:g} h (oref0 total.js)"
            )
            dia = min_dia
        if kind is CurveKind.BILINEAR:
            if custom_peak_min is not None:
                raise InputRangeError("peak_min", custom_peak_min, "no custom peak with the bilinear curve")
            return cls(kind, dia, _BILINEAR_PEAK_MIN, tuple(notes))
        peak = OREF0_DEFAULT_PEAK_MIN[kind]
        if custom_peak_min is not None:
            requested = check_finite("peak_min", custom_peak_min)
            lo, hi = OREF0_CUSTOM_PEAK_CLAMP_MIN[kind]
            peak = min(max(requested, lo), hi)
            if peak != requested:
                notes.append(
                    f"custom peak {requested:g} min clamped to {peak:g} min "
                    f"({kind.value} accepts {lo:g}-{hi:g} min, oref0 calculate.js)"
                )
        return cls(kind, dia, peak, tuple(notes))

    @property
    def duration_min(self) -> float:
        return self.dia_h * 60.0

    def iob_fraction(self, t_min: ArrayLike) -> FloatArray:
        t = _as_array(t_min)
        if self.kind is not CurveKind.BILINEAR:
            return exponential_iob_fraction(t, self.duration_min, self.peak_min)
        s = t * (_BILINEAR_REF_DIA_H / self.dia_h)
        x1 = s / 5.0 + 1.0
        x2 = (s - _BILINEAR_PEAK_MIN) / 5.0
        # oref0's quadratic fits of the bilinear IOB (calculate.js iobCalcBilinear) [1].
        rising = -0.001852 * x1**2 + 0.001852 * x1 + 1.0
        falling = 0.001323 * x2**2 - 0.054233 * x2 + 0.555560
        iob = np.where(s < _BILINEAR_PEAK_MIN, rising, np.where(s < _BILINEAR_END_MIN, falling, 0.0))
        return np.where(t < 0.0, 1.0, iob)

    def activity(self, t_min: ArrayLike) -> FloatArray:
        t = _as_array(t_min)
        if self.kind is not CurveKind.BILINEAR:
            return exponential_activity(t, self.duration_min, self.peak_min)
        s = t * (_BILINEAR_REF_DIA_H / self.dia_h)
        peak_activity = 2.0 / (self.dia_h * 60.0)
        slope_up = peak_activity / _BILINEAR_PEAK_MIN
        slope_down = -peak_activity / (_BILINEAR_END_MIN - _BILINEAR_PEAK_MIN)
        act = np.where(
            s < _BILINEAR_PEAK_MIN,
            slope_up * s,
            np.where(s < _BILINEAR_END_MIN, peak_activity + slope_down * (s - _BILINEAR_PEAK_MIN), 0.0),
        )
        return np.where(t < 0.0, 0.0, act)


@dataclass(frozen=True, slots=True)
class ExponentialInsulinModel:
    """LoopKit's exponential insulin model with a delay before action starts [3].

    ``action_duration_min`` is LoopKit's ``actionDuration`` (IOB reaches 0 at
    ``delay_min + action_duration_min``), ``peak_min`` its ``peakActivityTime`` counted from the end
    of the delay. LoopKit works in seconds and does not round time.
    """

    action_duration_min: float
    peak_min: float
    delay_min: float = 10.0  # LoopKit default delay 600 s [3]

    def __post_init__(self) -> None:
        td = check_range(
            "action_duration_min", self.action_duration_min, 0.0, 1440.0, "min", lo_inclusive=False
        )
        check_range(
            "peak_min",
            self.peak_min,
            0.0,
            td / 2.0,
            "min (below half the action duration)",
            lo_inclusive=False,
            hi_inclusive=False,
        )
        check_range("delay_min", self.delay_min, 0.0, 120.0, "min")

    @property
    def duration_min(self) -> float:
        """LoopKit's ``effectDuration``: delay + action duration [min]."""
        return self.delay_min + self.action_duration_min

    def iob_fraction(self, t_min: ArrayLike) -> FloatArray:
        """LoopKit ``percentEffectRemaining``."""
        return exponential_iob_fraction(
            _as_array(t_min) - self.delay_min, self.action_duration_min, self.peak_min
        )

    def activity(self, t_min: ArrayLike) -> FloatArray:
        return exponential_activity(
            _as_array(t_min) - self.delay_min, self.action_duration_min, self.peak_min
        )


class LoopKitPreset(StrEnum):
    """LoopKit's exponential insulin model presets [3]."""

    RAPID_ACTING_ADULT = "rapidActingAdult"
    RAPID_ACTING_CHILD = "rapidActingChild"
    FIASP = "fiasp"
    LYUMJEV = "lyumjev"


# LoopKit ExponentialInsulinModelPreset.swift at commit 2f535b3c (unchanged in LoopAlgorithm
# 2f5c6300, 2026-05-24): (actionDuration, peakActivityTime, delay) in minutes [3].
_LOOPKIT_PRESETS: dict[LoopKitPreset, tuple[float, float, float]] = {
    LoopKitPreset.RAPID_ACTING_ADULT: (360.0, 75.0, 10.0),
    LoopKitPreset.RAPID_ACTING_CHILD: (360.0, 65.0, 10.0),
    LoopKitPreset.FIASP: (360.0, 55.0, 10.0),
    LoopKitPreset.LYUMJEV: (360.0, 55.0, 10.0),
}


def loopkit_preset(preset: LoopKitPreset | str) -> ExponentialInsulinModel:
    try:
        key = LoopKitPreset(preset)
    except ValueError:
        raise InputRangeError(
            "preset", preset, "one of " + ", ".join(p.value for p in LoopKitPreset)
        ) from None
    td, tp, delay = _LOOPKIT_PRESETS[key]
    return ExponentialInsulinModel(td, tp, delay)
