"""From a named cohort to a ready run: patients, starting therapy, behaviour and sensor.

Each patient's physiology, behaviour and sensor noise come from (run seed, patient index) alone,
so patient ``i`` has the same trajectory in a cohort of 10 or 10,000 and in any chunking.

Reversible glucotoxicity (``prepare_cohort_run(..., glucotoxicity=...)``): the cohort's calibrated
secretion factor (:attr:`t2pump.cohort.Cohort.beta_cell_function`) is split into a chronic part,
fixed, and a glucotoxic part carried as model states (mean glucose ``g_bar``, factor ``phi_g``,
:class:`t2pump.physiology.progression.Glucotoxicity`). The run starts from the cohort's baseline
steady state (under its own basal insulin, none if insulin-naive) with ``g_bar`` at the patient's
own baseline mean glucose and ``phi_g`` at that mean glucose's steady factor, so a patient left as
drawn stays where the cohort calibration put it (:func:`glucotoxic_baseline`).

Protocols of several phases (intensive insulin, then diet only, ...) continue a run from its final
state with another therapy (:func:`continue_cohort_run`); behaviour and day-to-day insulin
sensitivity carry on with the calendar day, and the chronic beta-cell factor can be lowered between
phases (disease progression, :func:`t2pump.physiology.progression.beta_cell_after`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from t2pump.behaviour import draw_days, to_minute_grid
from t2pump.cohort import Cohort, draw_cohort
from t2pump.devices.cgm import DEXCOM_G6, SeededCgmErrors, seeds_for
from t2pump.devices.envelope import get_envelope
from t2pump.devices.pen import get_pen
from t2pump.errors import InputRangeError, check_array_range, check_range, parse_enum
from t2pump.insulin.curves import CurveKind, Oref0Curve
from t2pump.physiology.dalla_man_2007 import DallaMan2007
from t2pump.physiology.progression import Glucotoxicity
from t2pump.physiology.sensitivity_variation import SensitivityVariation
from t2pump.simulation.cohort_run import T2D_SUBSTEPS, CohortInputs, run_with_final_state, simulate_cohort
from t2pump.simulation.engine import Trace
from t2pump.therapy.cohort_therapy import CohortCsii, CohortMdi
from t2pump.therapy.initial_settings import BASAL_FRACTION, starting_csii, starting_mdi, starting_tdd
from t2pump.therapy.limits import ClampCode
from t2pump.units import MIN_PER_DAY

__all__ = [
    "Arm",
    "CohortRun",
    "StreamedBehaviour",
    "continue_cohort_run",
    "glucotoxic_baseline",
    "prepare_cohort_run",
    "starting_therapy",
    "summarise",
]

FloatArray = NDArray[np.float64]

# The pump's and the pens' active insulin curve: oref0 rapid-acting, DIA 5 h (t2pump.insulin.curves).
ACTIVE_INSULIN = Oref0Curve.from_settings(CurveKind.RAPID_ACTING, 5.0)


class Arm(StrEnum):
    PUMP = "pump"
    MDI = "mdi"
    NONE = "none"  # no insulin: a cohort's untreated (or diet-only) state


@dataclass(frozen=True, slots=True)
class StreamedBehaviour:
    """Behaviour drawn one day at a time (memory for a day, whatever the run length).

    Day ``d`` is drawn with day ``d - 1`` so that events of the previous day that spill past
    midnight (a late dinner bolus) are kept; draws depend only on the seeds and the day.
    """

    cohort: Cohort
    days: int
    first_day: int = 0  # calendar day of the run's day 0 (a protocol's later phase)

    @property
    def n_patients(self) -> int:
        return self.cohort.n_patients

    @property
    def n_minutes(self) -> int:
        return int(self.days * MIN_PER_DAY)

    @property
    def seeds(self) -> NDArray[np.uint64]:
        return self.cohort.seeds

    def take(self, indices: NDArray[np.intp]) -> StreamedBehaviour:
        """The behaviour of the patients at ``indices`` (drawn for them only)."""
        return StreamedBehaviour(self.cohort.take(indices), self.days, self.first_day)

    def window(self, day: int) -> CohortInputs:
        c = self.cohort
        day = day + self.first_day
        first = max(day - 1, 0)
        events = draw_days(c.meals, c.adherence, c.activity, day - first + 1, c.seeds, first_day=first)
        grid = to_minute_grid(events, int(MIN_PER_DAY), t0_min=int(day * MIN_PER_DAY), signals=_GRID)
        taken: NDArray[np.bool_] = events.basal_taken[:, -1:, None]
        return CohortInputs(
            grid["carbs_g_per_min"],
            grid["bolus_carbs_g"],
            basal_taken=taken,
            seeds=c.seeds,
            activity_intensity=grid["activity_intensity"],
        )


_GRID = ("carbs_g_per_min", "bolus_carbs_g", "activity_intensity")  # what CohortInputs takes


@dataclass(frozen=True, slots=True)
class _SensitivityFromDay(SensitivityVariation):
    """Day-to-day factors from calendar day ``first_day`` on (a protocol's later phase)."""

    first_day: int = 0

    def day_factors(self, seeds: NDArray[np.uint64], n_days: int) -> FloatArray:
        return SensitivityVariation.day_factors(self, seeds, self.first_day + n_days)[:, self.first_day :]


@dataclass(frozen=True, slots=True)
class CohortRun:
    cohort: Cohort
    model: DallaMan2007
    therapy: CohortCsii | CohortMdi | None
    inputs: StreamedBehaviour
    cgm: SeededCgmErrors  # made a day at a time as the run reads it
    days: int
    x0: FloatArray | None = None  # None: the steady state under the arm's basal insulin

    def run(self, progress: Callable[[int], None] | None = None) -> Trace:
        return simulate_cohort(
            self.model,
            self.therapy,
            self.inputs,
            x0=self.x0,
            cgm=self.cgm,
            progress=progress,
            sensitivity=SensitivityVariation(),
        )


BASELINE_DAYS = 7  # static run whose mean glucose (days 1 on) sets each patient's glucotoxic split


def _static_model(cohort: Cohort, names: tuple[str, ...] | list[str]) -> DallaMan2007:
    """The cohort's patients with their calibrated (fixed) secretion factor."""
    return DallaMan2007.build(
        list(names),
        cohort.weight_kg,
        cohort.insulin_sensitivity_rel,
        cohort.beta_cell_function,
        age_y=cohort.age_y,
    )


def glucotoxic_baseline(
    cohort: Cohort, glucotoxicity: Glucotoxicity, days: int = BASELINE_DAYS
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(chronic beta-cell factor, initial glucotoxic factor, initial mean glucose [mg/dL]) per patient.

    The cohort's calibrated secretion factor ``beta_cell_function`` (chronic x glucotoxic, the
    product its fasting glucose and HbA1c were solved with) is split with *this* glucotoxicity at the
    patient's own baseline: the mean plasma glucose of ``days`` days (the first dropped) as drawn,
    secretion fixed, on its own basal insulin (the cohort's MDI starting settings when it is on
    insulin, none when insulin-naive), with its behaviour and day-to-day sensitivity. The glucotoxic
    factor is the steady factor of that mean, the chronic factor the rest; so each patient starts
    at a fixed point of the glucotoxic dynamics and, left as drawn, stays where the cohort
    calibration put it. (The eAG of the drawn HbA1c, which the cohort's own split uses, matches
    the simulated mean only on average over the cohort; a patient whose own mean is lower would
    start over-suppressed and recover without any treatment.) The product, hence the baseline
    physiology, does not depend on ``glucotoxicity``.
    """
    check_range("days", days, 2, 60, "days")
    static = _static_model(cohort, [str(i) for i in range(cohort.n_patients)])
    on_insulin = bool(np.any(cohort.tdd_u_per_day > 0))
    therapy = starting_therapy(cohort, Arm.MDI if on_insulin else Arm.NONE)
    trace = simulate_cohort(
        static, therapy, StreamedBehaviour(cohort, days), sensitivity=SensitivityVariation()
    )
    after_day_0 = trace.t_min > MIN_PER_DAY
    mean = np.asarray(trace.signals["bg_plasma"][:, after_day_0].mean(axis=1), dtype=np.float64)
    factor = glucotoxicity.steady_factor(mean)
    chronic = np.asarray(cohort.beta_cell_function / factor, dtype=np.float64)
    return chronic, factor, mean


def _baseline_state(cohort: Cohort, model: DallaMan2007, factor: FloatArray, mean: FloatArray) -> FloatArray:
    """The cohort's baseline steady state (its own basal insulin, as calibrated) with glucotoxic rows."""
    static = _static_model(cohort, model.names)
    x = static.steady_state(basal_u_per_min=BASAL_FRACTION * cohort.tdd_u_per_day / MIN_PER_DAY)
    return np.vstack([x, mean[None, :], factor[None, :]])


def starting_therapy(
    cohort: Cohort,
    arm: Arm | str,
    pump_model: str = "medtronic_minimed_780g",
    tdd_u_per_day: FloatArray | None = None,
) -> CohortCsii | CohortMdi | None:
    """The arm's starting settings (t2pump.therapy.initial_settings) for the cohort's starting daily
    dose, or for ``tdd_u_per_day`` (e.g. a titrated dose); None for the arm without insulin."""
    arm = parse_enum(Arm, arm, "therapy")
    tdd = starting_tdd(cohort.tdd_u_per_day, cohort.weight_kg) if tdd_u_per_day is None else tdd_u_per_day
    if arm is Arm.PUMP:
        return starting_csii(get_envelope(pump_model), tdd, ACTIVE_INSULIN)
    if arm is Arm.MDI:
        return starting_mdi(tdd, get_pen("lantus_solostar"), get_pen("novorapid_flexpen"), ACTIVE_INSULIN)
    return None


def prepare_cohort_run(
    cohort_name: str,
    n_patients: int,
    days: int,
    arm: Arm | str,
    seed: int,
    *,
    pump_model: str = "medtronic_minimed_780g",
    first_index: int = 0,
    glucotoxicity: Glucotoxicity | None = None,
) -> CohortRun:
    """The cohort, its model and starting therapy, behaviour and sensor for ``days`` days.

    ``glucotoxicity`` None: the secretion factor is fixed at its calibrated value and the run starts
    at the steady state under the arm's basal insulin. Given: glucotoxicity is dynamic (module
    notes) and the run starts from the cohort's baseline state (untreated if insulin-naive), so
    that an intensive-insulin phase starts where the patients are at diagnosis.
    """
    arm = parse_enum(Arm, arm, "therapy")
    check_range("days", days, 1, 366, "days")
    cohort = draw_cohort(cohort_name, n_patients, seed, first_index=first_index)
    n_min = int(days * MIN_PER_DAY)
    beta = cohort.beta_cell_function
    if glucotoxicity is not None:
        beta, factor, mean = glucotoxic_baseline(cohort, glucotoxicity)
    model = DallaMan2007.build(
        list(cohort.patient_ids),
        cohort.weight_kg,
        cohort.insulin_sensitivity_rel,
        beta,
        glucotoxicity=glucotoxicity,
        age_y=cohort.age_y,
    )
    therapy = starting_therapy(cohort, arm, pump_model)
    inputs = StreamedBehaviour(cohort, days)
    cgm = SeededCgmErrors(n_min, seeds_for(seed, cohort.patient_index), DEXCOM_G6)
    x0 = None if glucotoxicity is None else _baseline_state(cohort, model, factor, mean)
    return CohortRun(cohort, model, therapy, inputs, cgm, days, x0)


def continue_cohort_run(
    run: CohortRun,
    x0: FloatArray,
    therapy: CohortCsii | CohortMdi | None,
    days: int,
    first_day: int,
    *,
    beta_cell_function: FloatArray | None = None,
    record_every_min: int = 5,
) -> tuple[Trace, FloatArray]:
    """Run ``run``'s patients for ``days`` more days from state ``x0`` with ``therapy`` (None: no
    insulin): (trace, final state). ``first_day`` is the calendar day the phase starts on (behaviour
    and day-to-day sensitivity go on from there); ``beta_cell_function``, when given, replaces the
    model's chronic beta-cell factor (e.g. lowered by progression). No sensor: the trace's glucose
    is plasma and interstitial glucose.

    What a phase boundary does not carry (the cohort loop keeps it in its own bookkeeping): a meal
    still being eaten at midnight, a pump bolus still being delivered, the boluses of the last
    hours as insulin on board for the next wizard dose (the insulin itself is in the depots of
    ``x0``), and the pump's fractional basal pulse.
    """
    check_range("days", days, 1, 3660, "days")
    check_range("first_day", first_day, 0, 36600, "days")
    model = run.model
    n = model.n_patients
    if x0.shape != (model.n_states, n):
        raise InputRangeError("x0.shape", x0.shape, f"({model.n_states}, {n}), the model's states")
    if beta_cell_function is not None:
        beta = np.broadcast_to(np.asarray(beta_cell_function, dtype=np.float64), (n,))
        check_array_range("beta_cell_function", beta, 0.0, 5.0)
        model = DallaMan2007.build(
            model.names,
            model.body_weight_kg,
            model.insulin_sensitivity,
            beta,
            model.rapid_product,
            model.basal_product,
            model.glucotoxicity,
            age_y=run.cohort.age_y,
        )
    inputs = StreamedBehaviour(run.cohort, days, first_day)
    sensitivity = _SensitivityFromDay(first_day=first_day)
    return run_with_final_state(
        model, therapy, inputs, x0, record_every_min, T2D_SUBSTEPS, None, None, sensitivity,
        t0_min=first_day * MIN_PER_DAY,
    )  # fmt: skip


def summarise(trace: Trace, days: int) -> list[dict[str, object]]:
    """Per patient: mean plasma glucose, % time 70-180 mg/dL (plasma), total daily dose, the number
    of meal boluses the limits capped (hard, patient or device maximum) and, for each, what the
    wizard saw and asked and what the limits gave."""
    bg = trace.signals["bg_plasma"]
    tir = 100.0 * np.mean((bg >= 70.0) & (bg <= 180.0), axis=1)
    tdd = (trace.signals["insulin_basal"].sum(axis=1) + trace.signals["insulin_bolus"].sum(axis=1)) / days
    capped = trace.signals.get("bolus_capped", np.zeros_like(bg)).sum(axis=1)
    decisions = _capped_decisions(trace)
    return [
        {
            "patient": p,
            "mean_glucose_mgdl": round(float(m), 1),
            "time_in_range_70_180_pct": round(float(t), 1),
            "total_daily_dose_u": round(float(d), 2),
            "capped_boluses": int(c),
            "capped_decisions": decisions[i],
        }
        for i, (p, m, t, d, c) in enumerate(
            zip(trace.patients, bg.mean(axis=1), tir, tdd, capped, strict=True)
        )
    ]


def _capped_decisions(trace: Trace) -> list[list[dict[str, object]]]:
    """Each patient's meal boluses that a limit capped (not only rounded), in time order (the log
    is by patient then time)."""
    per_patient: list[list[dict[str, object]]] = [[] for _ in trace.patients]
    log = trace.decisions
    if log is None:
        return per_patient
    codes = log["clamp_codes"]
    for k in np.flatnonzero((codes & ~int(ClampCode.ROUNDED)) != 0).tolist():
        per_patient[int(log["patient"][k])].append(
            {
                "t_min": int(log["t_min"][k]),
                "carbs_g": round(float(log["carbs_g"][k]), 1),
                "reading_mgdl": round(float(log["reading_mgdl"][k]), 1),
                "iob_u": round(float(log["iob_u"][k]), 2),
                "requested_u": round(float(log["requested_u"][k]), 2),
                "dose_u": round(float(log["dose_u"][k]), 2),
                "limits": [
                    str(f.name).lower()
                    for f in ClampCode
                    if f and f & int(codes[k]) and f is not ClampCode.ROUNDED
                ],
            }
        )
    return per_patient
