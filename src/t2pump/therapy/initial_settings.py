"""Starting doses for a simulated cohort from each patient's insulin dose on MDI (or weight).

These are the published starting rules the simulator applies before any titration; the
decision-support layer (a later issue) owns the clinical recommendation with its reasons.

* Total daily dose (TDD): the dose on MDI, unchanged (OpT2mise reports no reduction at pump
  start [1]_); insulin-naive patients start at 0.5 U/kg/day (weight-based start [2]_).
* Basal: 50 % of TDD (OpT2mise pumps "deliver half of patients' total daily dose as a continuous
  basal flow" [1]_; the Dutch simple infusion scheme: basal 50 % of TDD / 24 [1]_), one flat rate
  on the pump, one evening glargine injection on MDI.
* Meal boluses by the calculator: carbohydrate ratio 500 / TDD g/U ("500 rule"), sensitivity
  1800 / TDD mg/dL/U ("1800 rule") [2]_, target 100-120 mg/dL (pre-meal target commonly
  100-120 mg/dL [2]_).

References
----------
.. [1] Reznik Y, Cohen O, Aronson R, et al. Insulin pump treatment compared with multiple daily
   injections for treatment of type 2 diabetes (OpT2mise). Lancet 2014;384:1265-1272; settings as
   relayed by the ACC journal scan and the Dutch real-life study of the simple infusion scheme
   (t2pump research notes clinical.md 1.5).
.. [2] Insulin pump initiation review, PMC10563601, Table 3: weight-based start 0.5 U/kg; carbohydrate
   ratio 450-500 / TDD; sensitivity 1700-1800 / TDD (t2pump research notes clinical.md 4.1-4.5).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from t2pump.devices.envelope import PumpEnvelope
from t2pump.devices.pen import Pen
from t2pump.errors import check_array_range
from t2pump.insulin.curves import ActionCurve
from t2pump.therapy.cohort_therapy import CohortCsii, CohortMdi
from t2pump.therapy.limits import TherapyLimits, limit_basal_rate_array

__all__ = ["BASAL_FRACTION", "NAIVE_U_PER_KG", "starting_csii", "starting_mdi", "starting_tdd"]

FloatArray = NDArray[np.float64]

NAIVE_U_PER_KG = 0.5  # [2]
BASAL_FRACTION = 0.5  # [1]
CARB_RULE = 500.0  # g/U x U/day [2]
ISF_RULE = 1800.0  # mg/dL/U x U/day [2]
TARGET_LOW_MGDL = 100.0  # [2]
TARGET_HIGH_MGDL = 120.0  # [2]
GLARGINE_CLOCK_MIN = 22 * 60  # evening injection (t2pump choice; the basal depot is ~flat)


def starting_tdd(tdd_on_mdi_u: FloatArray, weight_kg: FloatArray) -> FloatArray:
    check_array_range("tdd_on_mdi_u", tdd_on_mdi_u, 0.0, 400.0, "U/day")
    check_array_range("weight_kg", weight_kg, 30.0, 300.0, "kg")
    return np.asarray(np.where(tdd_on_mdi_u > 0, tdd_on_mdi_u, NAIVE_U_PER_KG * weight_kg), dtype=np.float64)


def _calculator(tdd: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    n = tdd.shape[0]
    ratio = np.clip(np.round(CARB_RULE / tdd, 1), 1.0, 150.0)
    isf = np.clip(np.round(ISF_RULE / tdd), 2.0, 1000.0)
    return ratio, isf, np.full(n, TARGET_LOW_MGDL), np.full(n, TARGET_HIGH_MGDL)


def starting_csii(
    envelope: PumpEnvelope, tdd: FloatArray, active_insulin: ActionCurve, patient_max_bolus_u: float = 75.0
) -> CohortCsii:
    """Flat basal of 50 % of TDD (rounded down to the pump's increment) and the calculator rules."""
    rate = BASAL_FRACTION * tdd / 24.0
    step = np.full(rate.shape, envelope.basal_increments.bands[0][1])
    for start, s in envelope.basal_increments.bands[1:]:
        step = np.where(rate + 1e-9 >= start, s, step)
    rate, _ = limit_basal_rate_array(
        rate,
        patient_max_u_per_h=TherapyLimits().max_basal_u_per_h,
        device_max_u_per_h=envelope.basal_rate_range_u_per_h[1],
        step_u_per_h=step,
    )
    rate = np.maximum(rate, envelope.basal_rate_range_u_per_h[0])  # the pump's lowest programmable rate
    ratio, isf, low, high = _calculator(tdd)
    n = tdd.shape[0]
    return CohortCsii(
        envelope,
        np.tile(rate[:, None], (1, 48)),
        ratio,
        isf,
        low,
        high,
        np.full(n, patient_max_bolus_u),
        np.full(n, envelope.bolus_max_u),
        active_insulin,
    )


def starting_mdi(
    tdd: FloatArray,
    basal_pen: Pen,
    rapid_pen: Pen,
    active_insulin: ActionCurve,
    basal_product: str = "glargine_u100",
    rapid_product: str = "aspart",
    patient_max_bolus_u: float = 75.0,
) -> CohortMdi:
    """One evening basal injection of 50 % of TDD (pen step) and the calculator rules on a pen."""
    dose = np.floor(BASAL_FRACTION * tdd / basal_pen.step_u) * basal_pen.step_u
    ratio, isf, low, high = _calculator(tdd)
    n = tdd.shape[0]
    return CohortMdi(
        basal_product,
        (GLARGINE_CLOCK_MIN,),
        dose[:, None],
        basal_pen,
        rapid_product,
        rapid_pen,
        ratio,
        isf,
        low,
        high,
        np.full(n, patient_max_bolus_u),
        active_insulin,
    )
