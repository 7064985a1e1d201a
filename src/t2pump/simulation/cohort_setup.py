"""From a named cohort to a ready run: patients, starting therapy, behaviour and sensor.

Each patient's physiology, behaviour and sensor noise come from (run seed, patient index) alone,
so patient ``i`` has the same trajectory in a cohort of 10 or 10,000 and in any chunking.
Physical activity is drawn by :mod:`t2pump.behaviour` but not yet acted on by the physiology
(the exercise model's parameters are not verified yet: docs/research_t2d_model.md 2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from t2pump.behaviour import draw_days, to_minute_grid
from t2pump.cohort import Cohort, draw_cohort
from t2pump.devices.cgm import DEXCOM_G6, CgmErrors, seeds_for, sensor_errors
from t2pump.devices.envelope import get_envelope
from t2pump.devices.pen import get_pen
from t2pump.errors import check_range, parse_enum
from t2pump.insulin.curves import CurveKind, Oref0Curve
from t2pump.physiology.dalla_man_2007 import DallaMan2007
from t2pump.physiology.sensitivity_variation import SensitivityVariation
from t2pump.simulation.cohort_run import CohortInputs, simulate_cohort
from t2pump.simulation.engine import Trace
from t2pump.therapy.cohort_therapy import CohortCsii, CohortMdi
from t2pump.therapy.initial_settings import starting_csii, starting_mdi, starting_tdd
from t2pump.units import MIN_PER_DAY

__all__ = ["Arm", "CohortRun", "StreamedBehaviour", "prepare_cohort_run", "summarise"]

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

    @property
    def n_patients(self) -> int:
        return self.cohort.n_patients

    @property
    def n_minutes(self) -> int:
        return int(self.days * MIN_PER_DAY)

    @property
    def seeds(self) -> NDArray[np.uint64]:
        return self.cohort.seeds

    def window(self, day: int) -> CohortInputs:
        c = self.cohort
        first = max(day - 1, 0)
        events = draw_days(c.meals, c.adherence, c.activity, day - first + 1, c.seeds, first_day=first)
        grid = to_minute_grid(events, int(MIN_PER_DAY), t0_min=int(day * MIN_PER_DAY))
        taken: NDArray[np.bool_] = events.basal_taken[:, -1:, None]
        return CohortInputs(
            grid["carbs_g_per_min"],
            grid["bolus_carbs_g"],
            basal_taken=taken,
            seeds=c.seeds,
            activity_intensity=grid["activity_intensity"],
        )


@dataclass(frozen=True, slots=True)
class CohortRun:
    cohort: Cohort
    model: DallaMan2007
    therapy: CohortCsii | CohortMdi | None
    inputs: StreamedBehaviour
    cgm: CgmErrors
    days: int

    def run(self, progress: Callable[[int], None] | None = None) -> Trace:
        return simulate_cohort(
            self.model,
            self.therapy,
            self.inputs,
            cgm=self.cgm,
            progress=progress,
            sensitivity=SensitivityVariation(),
        )


def prepare_cohort_run(
    cohort_name: str,
    n_patients: int,
    days: int,
    arm: Arm | str,
    seed: int,
    *,
    pump_model: str = "medtronic_minimed_780g",
    first_index: int = 0,
) -> CohortRun:
    arm = parse_enum(Arm, arm, "therapy")
    check_range("days", days, 1, 366, "days")
    cohort = draw_cohort(cohort_name, n_patients, seed, first_index=first_index)
    n_min = int(days * MIN_PER_DAY)
    model = DallaMan2007.build(
        list(cohort.patient_ids),
        cohort.weight_kg,
        cohort.insulin_sensitivity_rel,
        cohort.beta_cell_function,
        age_y=cohort.age_y,
    )
    tdd = starting_tdd(cohort.tdd_u_per_day, cohort.weight_kg)
    therapy: CohortCsii | CohortMdi | None = None
    if arm is Arm.PUMP:
        therapy = starting_csii(get_envelope(pump_model), tdd, ACTIVE_INSULIN)
    elif arm is Arm.MDI:
        therapy = starting_mdi(tdd, get_pen("lantus_solostar"), get_pen("novorapid_flexpen"), ACTIVE_INSULIN)
    inputs = StreamedBehaviour(cohort, days)
    cgm = sensor_errors(n_min, seeds=seeds_for(seed, cohort.patient_index), sensor=DEXCOM_G6)
    return CohortRun(cohort, model, therapy, inputs, cgm, days)


def summarise(trace: Trace, days: int) -> list[dict[str, object]]:
    """Per patient: mean plasma glucose, % time 70-180 mg/dL (plasma), total daily dose."""
    bg = trace.signals["bg_plasma"]
    tir = 100.0 * np.mean((bg >= 70.0) & (bg <= 180.0), axis=1)
    tdd = (trace.signals["insulin_basal"].sum(axis=1) + trace.signals["insulin_bolus"].sum(axis=1)) / days
    return [
        {
            "patient": p,
            "mean_glucose_mgdl": round(float(m), 1),
            "time_in_range_70_180_pct": round(float(t), 1),
            "total_daily_dose_u": round(float(d), 2),
        }
        for p, m, t, d in zip(trace.patients, bg.mean(axis=1), tir, tdd, strict=True)
    ]
