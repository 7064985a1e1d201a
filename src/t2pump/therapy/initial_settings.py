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
* Or fixed meal boluses (the OpT2mise "simple scheme"): the bolus share of TDD in equal doses at
  three meals [1]_.

The same rules, with their other published variants (a reduced TDD, 450 / 1700 rules, another
basal fraction), serve the decision layer's starting settings (``t2pump.decision.settings``),
which calls these functions on one patient and explains each value.

References
----------
.. [1] Reznik Y, Cohen O, Aronson R, et al. Insulin pump treatment compared with multiple daily
   injections for treatment of type 2 diabetes (OpT2mise). Lancet 2014;384:1265-1272; settings as
   relayed by the ACC journal scan and the Dutch real-life study of the simple infusion scheme
   (t2pump research notes clinical.md 1.5).
.. [2] Insulin pump initiation review, PMC10563601, Table 3: weight-based start 0.5 U/kg; carbohydrate
   ratio 450-500 / TDD; sensitivity 1700-1800 / TDD (t2pump research notes clinical.md 4.1-4.5).
.. [3] Terveyskyla (Finnish national diabetes hub), Starting insulin pump therapy: TDD reduced by
   10-25 % depending on HbA1c; American Diabetes Association, Getting started with an insulin pump:
   "about 20% less".
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

__all__ = [
    "BASAL_FRACTION",
    "CARB_RULE",
    "ISF_RULE",
    "MEALS_PER_DAY",
    "NAIVE_U_PER_KG",
    "TARGET_HIGH_MGDL",
    "TARGET_LOW_MGDL",
    "carb_ratio_rule",
    "fixed_meal_bolus_u",
    "isf_rule",
    "reduced_tdd",
    "starting_csii",
    "starting_mdi",
    "starting_tdd",
]

FloatArray = NDArray[np.float64]

NAIVE_U_PER_KG = 0.5  # [2]
BASAL_FRACTION = 0.5  # [1]
CARB_RULE = 500.0  # g/U x U/day [2]
ISF_RULE = 1800.0  # mg/dL/U x U/day [2]
TARGET_LOW_MGDL = 100.0  # [2]
TARGET_HIGH_MGDL = 120.0  # [2]
GLARGINE_CLOCK_MIN = 22 * 60  # evening injection (t2pump choice; the basal depot is ~flat)
MEALS_PER_DAY = 3  # fixed meal boluses at three meals [1]
CARB_RATIO_RANGE_G_PER_U = (1.0, 150.0)
ISF_RANGE_MGDL_PER_U = (2.0, 1000.0)


def starting_tdd(tdd_on_mdi_u: FloatArray, weight_kg: FloatArray) -> FloatArray:
    check_array_range("tdd_on_mdi_u", tdd_on_mdi_u, 0.0, 400.0, "U/day")
    check_array_range("weight_kg", weight_kg, 30.0, 300.0, "kg")
    return np.asarray(np.where(tdd_on_mdi_u > 0, tdd_on_mdi_u, NAIVE_U_PER_KG * weight_kg), dtype=np.float64)


def reduced_tdd(tdd_u: FloatArray, reduction_fraction: float | FloatArray) -> FloatArray:
    """The starting TDD on a pump: the dose on MDI less a fraction (0 to 0.25 as published [3])."""
    check_array_range("reduction_fraction", reduction_fraction, 0.0, 0.25, "(fraction of TDD)")
    return np.asarray(tdd_u * (1.0 - np.asarray(reduction_fraction)), dtype=np.float64)


def carb_ratio_rule(tdd_u: FloatArray, rule: float = CARB_RULE) -> FloatArray:
    """Carbohydrate ratio ``rule / TDD`` [g/U] ("500 rule"; "450 rule"), to 0.1 g/U, within 1-150 g/U."""
    lo, hi = CARB_RATIO_RANGE_G_PER_U
    return np.asarray(np.clip(np.round(rule / tdd_u, 1), lo, hi), dtype=np.float64)


def isf_rule(tdd_u: FloatArray, rule: float = ISF_RULE) -> FloatArray:
    """Sensitivity ``rule / TDD`` [mg/dL/U] ("1800 rule"; "1700 rule"), whole mg/dL, within 2-1000."""
    lo, hi = ISF_RANGE_MGDL_PER_U
    return np.asarray(np.clip(np.round(rule / tdd_u), lo, hi), dtype=np.float64)


def fixed_meal_bolus_u(
    tdd_u: FloatArray, basal_fraction: float = BASAL_FRACTION, meals: int = MEALS_PER_DAY
) -> FloatArray:
    """Each fixed meal bolus: the bolus share of TDD in equal doses [U] (before the device's rounding)."""
    check_array_range("basal_fraction", basal_fraction, 0.0, 1.0, "(fraction of TDD)")
    return np.asarray(tdd_u * (1.0 - basal_fraction) / meals, dtype=np.float64)


def _calculator(tdd: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    n = tdd.shape[0]
    return carb_ratio_rule(tdd), isf_rule(tdd), np.full(n, TARGET_LOW_MGDL), np.full(n, TARGET_HIGH_MGDL)


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
