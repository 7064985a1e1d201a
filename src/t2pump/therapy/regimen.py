"""Regimens: continuous subcutaneous insulin infusion (pump) and multiple daily injections (pens).

These are the only paths by which t2pump's therapy layer sends a dose to a device, and each
passes through :mod:`t2pump.therapy.limits`:

* :class:`CsiiTherapy` wraps a :class:`~t2pump.devices.pump.Pump` with the patient's limits and
  bolus calculator: it computes insulin on board from the pump's own delivery timeline,
  recommends boluses, and delivers them (normal, extended, dual-wave) and temporary basals for
  physical activity within the limits; a dose above the confirmation threshold needs ``confirmed``.
* :class:`MdiRegimen` is the comparator: one or two basal injections a day (analog or NPH) and
  rapid-acting injections at meals, each rounded to the pen's step and split into several
  injections when larger than the pen's maximum.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from t2pump.devices.envelope import BolusType, TempBasalType
from t2pump.devices.pen import Pen
from t2pump.devices.pump import Pump, PumpStateError, TempBasal
from t2pump.errors import InputRangeError, T2pumpError, check_range, parse_enum
from t2pump.insulin.curves import ActionCurve
from t2pump.insulin.iob import iob_from_doses
from t2pump.insulin.products import InsulinClass, get_product
from t2pump.schedule import parse_clock
from t2pump.therapy.bolus import BolusRecommendation, BolusRequest, BolusSettings, calculate_bolus
from t2pump.therapy.limits import LimitedDose, TherapyLimits, limit_basal_rate, limit_bolus, limit_injection
from t2pump.units import MIN_PER_DAY

__all__ = ["BasalInjection", "ConfirmationRequiredError", "CsiiTherapy", "Injection", "MdiRegimen"]


class ConfirmationRequiredError(T2pumpError):
    """A dose above the confirmation threshold was sent without ``confirmed=True``."""


@dataclass
class CsiiTherapy:
    """A pump, the patient's limits and bolus settings, and the pump's active insulin curve."""

    pump: Pump
    limits: TherapyLimits
    bolus_settings: BolusSettings
    active_insulin: ActionCurve

    def insulin_on_board(self) -> tuple[float, float]:
        """(bolus IOB, basal IOB net of the schedule) [U] now, from the pump's own timeline."""
        tl = self.pump.timeline()
        if tl.t_min.size == 0:
            return 0.0, 0.0
        now = float(self.pump.now_min)
        bolus_iob, _ = iob_from_doses(tl.t_min, tl.bolus_delivered_u, self.active_insulin, now)
        net_basal = tl.basal_delivered_u - tl.scheduled_basal_u
        basal_iob, _ = iob_from_doses(tl.t_min, net_basal, self.active_insulin, now)
        return float(bolus_iob), float(basal_iob)

    def recommend(
        self, carbs_g: float = 0.0, glucose: float | None = None, **extra: Any
    ) -> BolusRecommendation:
        """A bolus recommendation now with the pump's IOB (``extra``: other BolusRequest fields)."""
        bolus_iob, basal_iob = self.insulin_on_board()
        request = BolusRequest(
            time_min=float(self.pump.now_min),
            carbs_g=carbs_g,
            glucose=glucose,
            bolus_iob_u=bolus_iob,
            basal_iob_u=basal_iob,
        )
        request = replace(request, **extra)
        return calculate_bolus(
            request,
            self.bolus_settings,
            device=self.pump,
            limits=self.limits,
            device_step_u=self.pump.bolus_step_u,
        )

    def deliver(self, recommendation: BolusRecommendation, *, confirmed: bool = False) -> int | None:
        """Deliver a recommendation as a normal bolus (None when it is 0 U)."""
        return self._send_normal(recommendation.limited, confirmed)

    def bolus(
        self,
        units: float,
        *,
        kind: BolusType | str = BolusType.NORMAL,
        now_fraction: float = 1.0,
        duration_min: float = 0.0,
        confirmed: bool = False,
    ) -> tuple[LimitedDose, int | None]:
        """Give ``units`` (limited) as a normal, extended or dual-wave bolus.

        For a dual-wave bolus ``now_fraction`` is the part given now (e.g. 0.5); the extended part
        takes the rest, both rounded down to the pump's increment.
        """
        kind = parse_enum(BolusType, kind, "bolus.kind")
        limited = limit_bolus(units, device=self.pump, limits=self.limits)
        if kind is BolusType.NORMAL:
            return limited, self._send_normal(limited, confirmed)
        self._check_confirmation(limited, confirmed)
        if limited.units <= 0:
            return limited, None
        if kind is BolusType.EXTENDED:
            return limited, self.pump.bolus(
                0.0, kind=kind, extended_units=limited.units, duration_min=duration_min
            )
        frac = check_range("now_fraction", now_fraction, 0.0, 1.0, lo_inclusive=False, hi_inclusive=False)
        now_u = self.pump.round_bolus_down(limited.units * frac)
        ext_u = self.pump.round_bolus_down(limited.units - now_u)
        return limited, self.pump.bolus(now_u, kind=kind, extended_units=ext_u, duration_min=duration_min)

    def _check_confirmation(self, limited: LimitedDose, confirmed: bool) -> None:
        if limited.requires_confirmation and not confirmed:
            raise ConfirmationRequiredError(limited.confirmation_reason or "confirmation required")

    def _send_normal(self, limited: LimitedDose, confirmed: bool) -> int | None:
        self._check_confirmation(limited, confirmed)
        if limited.units <= 0:
            return None
        return self.pump.bolus(limited.units)

    def temp_basal_for_activity(self, percent: float, duration_min: float) -> tuple[LimitedDose, TempBasal]:
        """A temporary basal as a percentage of the schedule (e.g. 50 % for exercise).

        The highest rate it would produce over its duration is checked against the limits; a pump
        that sets only absolute temps gets the current scheduled rate x percent, limited.
        """
        p = check_range("temp_basal.percent", percent, 0.0, 200.0, "%")
        pattern = self.pump.active_pattern
        if pattern is None:
            raise PumpStateError("temp basal: no basal pattern is active")
        sched = self.pump.patterns[pattern]
        now = self.pump.now_min
        times = now + np.arange(0.0, float(duration_min), 30.0)
        peak = float(np.max(sched.value_at(times))) * p / 100.0
        limited = limit_basal_rate(
            peak, device=self.pump, limits=self.limits, field_name="temp_basal_rate_u_per_h"
        )
        if limited.clamped:
            raise InputRangeError(
                "temp_basal.percent",
                percent,
                f"a percentage whose rate stays within limits ({limited.clamps[0].reason})",
            )
        if TempBasalType.PERCENT in self.pump.envelope.temp_basal_types:
            return limited, self.pump.start_temp_basal(duration_min, percent=p)
        rate = limit_basal_rate(sched.scalar_at(now) * p / 100.0, device=self.pump, limits=self.limits)
        return rate, self.pump.start_temp_basal(duration_min, rate_u_per_h=rate.units)


@dataclass(frozen=True, slots=True)
class BasalInjection:
    clock_min: int
    units: float


@dataclass(frozen=True, slots=True)
class Injection:
    """A dose to inject at ``time_min``: the limited dose and the pen injections it takes."""

    time_min: float
    product_id: str
    pen_id: str
    dose: LimitedDose


@dataclass(frozen=True, slots=True)
class MdiRegimen:
    """Basal injections once or twice a day, rapid-acting injections at meals."""

    basal_product: str
    basal_pen: Pen
    basal_injections: tuple[BasalInjection, ...]
    rapid_product: str
    rapid_pen: Pen
    limits: TherapyLimits
    bolus_settings: BolusSettings | None = None  # None: fixed meal doses only

    def __post_init__(self) -> None:
        basal, rapid = get_product(self.basal_product), get_product(self.rapid_product)
        if basal.insulin_class is not InsulinClass.BASAL:
            raise InputRangeError(
                "basal_product", self.basal_product, "a basal insulin (glargine, degludec, detemir, NPH)"
            )
        if rapid.insulin_class is not InsulinClass.RAPID:
            raise InputRangeError("rapid_product", self.rapid_product, "a rapid-acting analog")
        for pen, product, name in (
            (self.basal_pen, self.basal_product, "basal_pen"),
            (self.rapid_pen, self.rapid_product, "rapid_pen"),
        ):
            if product not in pen.products:
                raise InputRangeError(
                    name, pen.pen_id, f"a pen for {product} (this pen holds " + ", ".join(pen.products) + ")"
                )
        if not 1 <= len(self.basal_injections) <= 2:
            raise InputRangeError("basal_injections", len(self.basal_injections), "1 or 2 injections a day")
        for i, inj in enumerate(self.basal_injections):
            check_range(f"basal_injections[{i}].clock_min", inj.clock_min, 0, MIN_PER_DAY - 1, "min")
            check_range(f"basal_injections[{i}].units", inj.units, 0.0, 200.0, "U", lo_inclusive=False)

    @classmethod
    def basal_at(cls, pairs: list[tuple[str, float]]) -> tuple[BasalInjection, ...]:
        return tuple(
            BasalInjection(parse_clock(c, f"basal_injections[{i}].time"), u) for i, (c, u) in enumerate(pairs)
        )

    @property
    def daily_basal_u(self) -> float:
        return sum(i.units for i in self.basal_injections)

    def basal_doses(self, day: int) -> list[Injection]:
        """The basal injections of day ``day`` (day 0 starts at t = 0)."""
        return [
            Injection(
                day * MIN_PER_DAY + b.clock_min,
                self.basal_product,
                self.basal_pen.pen_id,
                limit_injection(
                    b.units,
                    pen=self.basal_pen,
                    limits=self.limits,
                    rapid=False,
                    field_name=f"basal_injection_{i}_u",
                ),
            )
            for i, b in enumerate(self.basal_injections)
        ]

    def meal_dose(
        self,
        time_min: float,
        *,
        units: float | None = None,
        carbs_g: float = 0.0,
        glucose: float | None = None,
        iob_u: float = 0.0,
    ) -> Injection:
        """A rapid-acting dose at a meal: a fixed dose, or the calculator's dose (pen increments)."""
        if units is None:
            if self.bolus_settings is None:
                raise InputRangeError(
                    "units", None, "a fixed meal dose (this regimen has no bolus calculator)"
                )
            rec = calculate_bolus(
                BolusRequest(time_min, carbs_g, glucose, bolus_iob_u=iob_u),
                self.bolus_settings,
                device=_PenAsBolusDevice(self.rapid_pen, self.limits),
                limits=self.limits,
            )
            units = rec.calculated_u
        dose = limit_injection(
            units, pen=self.rapid_pen, limits=self.limits, rapid=True, field_name="meal_dose_u"
        )
        return Injection(time_min, self.rapid_product, self.rapid_pen.pen_id, dose)


@dataclass(frozen=True, slots=True)
class _PenAsBolusDevice:
    """A pen seen by the calculator: it rounds to the pen step; its 'max bolus' is the patient's."""

    pen: Pen
    limits: TherapyLimits

    @property
    def device_name(self) -> str:
        return self.pen.name

    @property
    def max_bolus_u(self) -> float:
        return self.limits.max_bolus_u

    def round_bolus_down(self, units: float) -> float:
        return self.pen.round_dose_down(units)
