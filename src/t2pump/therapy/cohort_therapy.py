"""Therapies for many patients at once: the simulator's view of CSII and MDI.

The rules are those of the single-patient objects (:mod:`t2pump.therapy.bolus` Medtronic Bolus
Wizard, :mod:`t2pump.therapy.limits`, the pump's increments and pulses, the pens' steps), written
over arrays of patients so that the simulation loops over time only. Tests check that each
vectorised rule gives the single-patient result patient by patient.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from t2pump.devices.envelope import PumpEnvelope
from t2pump.devices.pen import Pen
from t2pump.errors import InputRangeError, check_array_range
from t2pump.insulin.curves import ActionCurve
from t2pump.physiology.elementwise import select
from t2pump.schedule import DailySchedule
from t2pump.therapy.limits import GUARDRAILS, limit_bolus_array, limit_injection_array
from t2pump.units import MIN_PER_DAY, Concentration

__all__ = ["WIZARD_ROWS", "CohortCsii", "CohortMdi", "wizard_bolus_array", "wizard_bolus_values"]

FloatArray = NDArray[np.float64]
_HALF_HOURS = 48


def wizard_bolus_values(
    carbs_g: Any,
    glucose_mgdl: Any,
    bolus_iob_u: Any,
    carb_ratio_g_per_u: Any,
    isf_mgdl_per_u: Any,
    target_low_mgdl: Any,
    target_high_mgdl: Any,
) -> Any:
    """The Medtronic Bolus Wizard rule (:func:`t2pump.therapy.bolus.calculate_bolus`), elementwise:
    NumPy arrays, or one patient's scalars where the simulation kernel compiles it.

    ``glucose_mgdl`` NaN means no glucose entered (food bolus only).
    """
    food = carbs_g / carb_ratio_g_per_u
    g = select(np.isnan(glucose_mgdl), 0.5 * (target_low_mgdl + target_high_mgdl), glucose_mgdl)
    high_corr = np.maximum(0.0, (g - target_high_mgdl) / isf_mgdl_per_u - bolus_iob_u)
    low_corr = (g - target_low_mgdl) / isf_mgdl_per_u
    below = select(g < target_low_mgdl, np.maximum(0.0, food + low_corr), food)
    return select(g > target_high_mgdl, food + high_corr, below)


def wizard_bolus_array(
    carbs_g: FloatArray,
    glucose_mgdl: FloatArray,
    bolus_iob_u: FloatArray,
    carb_ratio_g_per_u: FloatArray,
    isf_mgdl_per_u: FloatArray,
    target_low_mgdl: FloatArray,
    target_high_mgdl: FloatArray,
) -> FloatArray:
    """:func:`wizard_bolus_values` for arrays of patients."""
    total = wizard_bolus_values(
        carbs_g,
        glucose_mgdl,
        bolus_iob_u,
        carb_ratio_g_per_u,
        isf_mgdl_per_u,
        target_low_mgdl,
        target_high_mgdl,
    )
    return np.asarray(total, dtype=np.float64)


# Rows of the per-patient table of a cohort therapy's wizard settings (``wizard_table``): what the
# simulation kernel needs to take the meal-bolus decisions itself.
WIZARD_ROWS = (
    "carb_ratio_g_per_u", "isf_mgdl_per_u", "target_low_mgdl", "target_high_mgdl",
    "patient_max_bolus_u", "device_max_bolus_u",
)  # fmt: skip


_PEN_MAX_U = GUARDRAILS["bolus_u"].absolute[1]  # a pen dose above a pen's maximum is split, not capped


def _table(s: _WizardSettings, device_max_u: FloatArray) -> FloatArray:
    rows = (
        s.carb_ratio_g_per_u,
        s.isf_mgdl_per_u,
        s.target_low_mgdl,
        s.target_high_mgdl,
        s.patient_max_bolus_u,
    )
    return np.ascontiguousarray(np.vstack([*rows, device_max_u]), dtype=np.float64)


_T = TypeVar("_T", "CohortCsii", "CohortMdi")


def _take_rows(therapy: _T, indices: NDArray[np.intp]) -> _T:
    """A copy of ``therapy`` for the patients at ``indices`` (the rows of every per-patient array)."""
    values: dict[str, Any] = {f.name: getattr(therapy, f.name) for f in fields(therapy)}
    rows: dict[str, Any] = {k: v[indices] for k, v in values.items() if isinstance(v, np.ndarray)}
    return replace(therapy, **rows)


def _grid(schedules: list[DailySchedule]) -> FloatArray:
    """Each schedule's value in each half hour of the day, shape (n, 48)."""
    t = np.arange(_HALF_HOURS) * 30.0
    return np.array([s.value_at(t) for s in schedules])


class _WizardSettings(Protocol):
    """The calculator settings both arms carry, per patient."""

    @property
    def carb_ratio_g_per_u(self) -> FloatArray: ...

    @property
    def isf_mgdl_per_u(self) -> FloatArray: ...

    @property
    def target_low_mgdl(self) -> FloatArray: ...

    @property
    def target_high_mgdl(self) -> FloatArray: ...

    @property
    def patient_max_bolus_u(self) -> FloatArray: ...


def _check_wizard_settings(s: _WizardSettings) -> None:
    check_array_range("carb_ratio_g_per_u", s.carb_ratio_g_per_u, *GUARDRAILS["carb_ratio_g_per_u"].absolute)
    check_array_range("isf_mgdl_per_u", s.isf_mgdl_per_u, *GUARDRAILS["isf_mgdl_per_u"].absolute)
    check_array_range("target_low_mgdl", s.target_low_mgdl, *GUARDRAILS["target_mgdl"].absolute)
    check_array_range("target_high_mgdl", s.target_high_mgdl, *GUARDRAILS["target_mgdl"].absolute)
    check_array_range("patient_max_bolus_u", s.patient_max_bolus_u, 0.0, GUARDRAILS["bolus_u"].absolute[1])


def _wizard_dose(
    s: _WizardSettings,
    carbs_g: FloatArray,
    glucose_mgdl: FloatArray,
    iob_u: FloatArray,
    device_max_u: FloatArray,
    step_u: float,
    patients: NDArray[np.intp] | None,
) -> tuple[FloatArray, NDArray[np.int64]]:
    """The wizard's dose through the limits (array forms of therapy.limits): (doses, clamp codes).

    ``patients`` (indices) says whose settings the inputs are for; None means everyone's, in order.
    """
    sel: NDArray[np.intp] | slice = slice(None) if patients is None else patients
    raw = wizard_bolus_array(
        carbs_g,
        glucose_mgdl,
        iob_u,
        s.carb_ratio_g_per_u[sel],
        s.isf_mgdl_per_u[sel],
        s.target_low_mgdl[sel],
        s.target_high_mgdl[sel],
    )
    return limit_bolus_array(
        raw, patient_max_u=s.patient_max_bolus_u[sel], device_max_u=device_max_u, step_u=step_u
    )


@dataclass(frozen=True, slots=True)
class CohortCsii:
    """Pump therapy for ``n`` patients: basal programs on the half-hour grid, wizard settings, limits."""

    envelope: PumpEnvelope
    basal_u_per_h: FloatArray  # (n, 48)
    carb_ratio_g_per_u: FloatArray
    isf_mgdl_per_u: FloatArray
    target_low_mgdl: FloatArray
    target_high_mgdl: FloatArray
    patient_max_bolus_u: FloatArray
    pump_max_bolus_u: FloatArray
    active_insulin: ActionCurve
    concentration: Concentration = Concentration.U100

    def __post_init__(self) -> None:
        n = self.basal_u_per_h.shape[0]
        if self.basal_u_per_h.shape != (n, _HALF_HOURS):
            raise InputRangeError(
                "basal_u_per_h.shape", self.basal_u_per_h.shape, f"({n}, 48) half-hour rates"
            )
        f = float(self.concentration) / 100.0
        lo, hi = self.envelope.basal_rate_range_u_per_h
        check_array_range("basal_u_per_h", self.basal_u_per_h, lo * f, hi * f, "U/h")
        steps = self._basal_steps(self.basal_u_per_h)
        off_grid = np.abs(np.round(self.basal_u_per_h / steps) * steps - self.basal_u_per_h) > 1e-9
        if np.any(off_grid):
            i, j = np.argwhere(off_grid)[0]
            raise InputRangeError(
                f"basal_u_per_h[{i}][{j}]",
                float(self.basal_u_per_h[i, j]),
                f"a multiple of the {self.envelope.name} basal increment",
            )
        _check_wizard_settings(self)
        check_array_range("pump_max_bolus_u", self.pump_max_bolus_u, 0.0, self.envelope.bolus_max_u * f)

    def _basal_steps(self, rates: FloatArray) -> FloatArray:
        f = float(self.concentration) / 100.0
        steps = np.full(rates.shape, self.envelope.basal_increments.bands[0][1] * f)
        for start, step in self.envelope.basal_increments.bands[1:]:
            steps = np.where(rates + 1e-9 >= start * f, step * f, steps)
        return steps

    @classmethod
    def from_schedules(
        cls,
        envelope: PumpEnvelope,
        basal: list[DailySchedule],
        carb_ratio: FloatArray,
        isf: FloatArray,
        target_low: FloatArray,
        target_high: FloatArray,
        patient_max_bolus_u: FloatArray,
        pump_max_bolus_u: FloatArray,
        active_insulin: ActionCurve,
    ) -> CohortCsii:
        for i, s in enumerate(basal):
            if any(start % 30 for start in s.starts_min) or len(s.starts_min) > envelope.basal_segments_max:
                raise InputRangeError(
                    f"basal[{i}]",
                    s.starts_min,
                    f"at most {envelope.basal_segments_max} segments on 30-min boundaries",
                )
        return cls(
            envelope,
            _grid(basal),
            carb_ratio,
            isf,
            target_low,
            target_high,
            patient_max_bolus_u,
            pump_max_bolus_u,
            active_insulin,
        )

    @property
    def n_patients(self) -> int:
        return int(self.basal_u_per_h.shape[0])

    def take(self, indices: NDArray[np.intp]) -> CohortCsii:
        """The patients at ``indices``."""
        return _take_rows(self, indices)

    @property
    def basal_pulse_u(self) -> float:
        return self.envelope.basal_pulse_u * float(self.concentration) / 100.0

    @property
    def bolus_step_u(self) -> float:
        return self.envelope.bolus_increments.finest * float(self.concentration) / 100.0

    @property
    def bolus_speed_u_per_min(self) -> float:
        f = float(self.concentration) / 100.0
        step = self.bolus_step_u
        return max(step, float(np.floor(self.envelope.bolus_speed_u_per_min * f / step + 1e-9) * step))

    def basal_rate_u_per_h(self, t_min: int) -> FloatArray:
        return np.asarray(self.basal_u_per_h[:, int(t_min % MIN_PER_DAY) // 30], dtype=np.float64)

    def meal_bolus(
        self,
        carbs_g: FloatArray,
        glucose_mgdl: FloatArray,
        bolus_iob_u: FloatArray,
        patients: NDArray[np.intp] | None = None,
    ) -> tuple[FloatArray, NDArray[np.int64]]:
        """Wizard bolus through the limits: (doses, clamp codes); inputs for ``patients`` (default all)."""
        device_max = self.pump_max_bolus_u if patients is None else self.pump_max_bolus_u[patients]
        return _wizard_dose(self, carbs_g, glucose_mgdl, bolus_iob_u, device_max, self.bolus_step_u, patients)

    def wizard_table(self) -> tuple[FloatArray, float]:
        """The wizard settings (WIZARD_ROWS, n) and the bolus step [U] of :meth:`meal_bolus`."""
        return _table(self, self.pump_max_bolus_u), self.bolus_step_u


@dataclass(frozen=True, slots=True)
class CohortMdi:
    """MDI for ``n`` patients: basal injections at fixed clock times, wizard meal doses on a pen."""

    basal_product: str
    basal_clock_min: tuple[int, ...]  # one or two injections a day
    basal_dose_u: FloatArray  # (n, len(basal_clock_min))
    basal_pen: Pen
    rapid_product: str
    rapid_pen: Pen
    carb_ratio_g_per_u: FloatArray
    isf_mgdl_per_u: FloatArray
    target_low_mgdl: FloatArray
    target_high_mgdl: FloatArray
    patient_max_bolus_u: FloatArray
    active_insulin: ActionCurve

    def __post_init__(self) -> None:
        if not 1 <= len(self.basal_clock_min) <= 2:
            raise InputRangeError("basal_clock_min", self.basal_clock_min, "1 or 2 injections a day")
        check_array_range("basal_dose_u", self.basal_dose_u, 0.0, GUARDRAILS["injection_u"].absolute[1], "U")
        _check_wizard_settings(self)

    @property
    def n_patients(self) -> int:
        return int(self.basal_dose_u.shape[0])

    def take(self, indices: NDArray[np.intp]) -> CohortMdi:
        """The patients at ``indices``."""
        return _take_rows(self, indices)

    def basal_injection(self, which: int) -> tuple[FloatArray, NDArray[np.int64]]:
        """The ``which``-th daily basal dose of every patient, through the limits (pen step)."""
        return limit_injection_array(self.basal_dose_u[:, which], step_u=self.basal_pen.step_u)

    def meal_dose(
        self,
        carbs_g: FloatArray,
        glucose_mgdl: FloatArray,
        iob_u: FloatArray,
        patients: NDArray[np.intp] | None = None,
    ) -> tuple[FloatArray, NDArray[np.int64]]:
        """Wizard dose on the rapid pen through the limits; inputs for ``patients`` (default all)."""
        pen_max = np.full(carbs_g.shape, _PEN_MAX_U)
        return _wizard_dose(self, carbs_g, glucose_mgdl, iob_u, pen_max, self.rapid_pen.step_u, patients)

    def wizard_table(self) -> tuple[FloatArray, float]:
        """The wizard settings (WIZARD_ROWS, n) and the pen step [U] of :meth:`meal_dose`."""
        return _table(self, np.full(self.n_patients, _PEN_MAX_U)), self.rapid_pen.step_u
