"""The vectorised therapy rules give the single-patient results, patient by patient."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from t2pump.devices.envelope import get_envelope
from t2pump.devices.pen import get_pen
from t2pump.devices.pump import Pump, PumpSettings
from t2pump.errors import InputRangeError
from t2pump.insulin.curves import CurveKind, Oref0Curve
from t2pump.schedule import DailySchedule
from t2pump.therapy.bolus import BolusRequest, BolusSettings, calculate_bolus
from t2pump.therapy.cohort_therapy import CohortCsii, CohortMdi
from t2pump.therapy.limits import (
    ClampCode,
    TherapyLimits,
    limit_basal_rate,
    limit_basal_rate_array,
    limit_bolus,
    limit_bolus_array,
)

pytestmark = pytest.mark.property

ENV = get_envelope("roche_accuchek_insight")


@settings(max_examples=60, deadline=None)
@given(
    carbs=st.floats(0, 250),
    glucose=st.one_of(st.none(), st.floats(40, 450)),
    iob=st.floats(0, 30),
    ratio=st.floats(2, 20),
    isf=st.floats(5, 80),
    low=st.floats(80, 130),
    width=st.floats(0, 40),
    patient_max=st.floats(5, 75),
)
def test_cohort_wizard_equals_the_single_patient_calculator(
    carbs: float,
    glucose: float | None,
    iob: float,
    ratio: float,
    isf: float,
    low: float,
    width: float,
    patient_max: float,
) -> None:
    high = min(low + width, 200.0)
    pump = Pump(ENV, PumpSettings(max_basal_u_per_h=5.0, max_bolus_u=50.0))
    limits = TherapyLimits(max_bolus_u=patient_max)
    c = DailySchedule.constant
    single = calculate_bolus(
        BolusRequest(0.0, carbs, glucose, bolus_iob_u=iob),
        BolusSettings(c(ratio), c(isf), c(low), c(high)),
        device=pump,
        limits=limits,
    )
    cohort = CohortCsii(
        ENV,
        np.full((1, 48), 1.0),
        np.array([ratio]),
        np.array([isf]),
        np.array([low]),
        np.array([high]),
        np.array([patient_max]),
        np.array([50.0]),
        Oref0Curve.from_settings(CurveKind.RAPID_ACTING, 5.0),
    )
    dose, codes = cohort.meal_bolus(
        np.array([carbs]), np.array([math.nan if glucose is None else glucose]), np.array([iob])
    )
    assert dose[0] == pytest.approx(single.recommended_u, abs=1e-9)
    assert bool(codes[0]) == single.limited.clamped


@settings(max_examples=80, deadline=None)
@given(requested=st.floats(-5, 200), patient_max=st.floats(1, 75), device_max=st.floats(1, 50))
def test_array_limits_equal_scalar_limits(requested: float, patient_max: float, device_max: float) -> None:
    pump = Pump(ENV, PumpSettings(max_basal_u_per_h=5.0, max_bolus_u=device_max))
    scalar = limit_bolus(requested, device=pump, limits=TherapyLimits(max_bolus_u=patient_max))
    arr, codes = limit_bolus_array(
        np.array([requested]),
        patient_max_u=np.array([patient_max]),
        device_max_u=np.array([device_max]),
        step_u=pump.bolus_step_u,
    )
    assert arr[0] == pytest.approx(scalar.units, abs=1e-9)
    rule_ids = {c.rule_id for c in scalar.clamps}
    assert bool(codes[0] & ClampCode.PATIENT_MAX) == ("limits.bolus.patient_max" in rule_ids)
    assert bool(codes[0] & ClampCode.DEVICE_MAX) == ("limits.bolus.device_max" in rule_ids)


def test_mdi_calculator_settings_are_checked_like_the_pump_arm() -> None:
    curve = Oref0Curve.from_settings(CurveKind.RAPID_ACTING, 5.0)
    with pytest.raises(InputRangeError, match=r"isf_mgdl_per_u\[1\]"):
        CohortMdi(
            "glargine_u100",
            (1320,),
            np.array([[40.0], [50.0]]),
            get_pen("lantus_solostar"),
            "aspart",
            get_pen("novorapid_flexpen"),
            np.array([5.0, 5.0]),
            np.array([20.0, 0.5]),
            np.full(2, 100.0),
            np.full(2, 120.0),
            np.full(2, 75.0),
            curve,
        )


@settings(max_examples=60, deadline=None)
@given(requested=st.floats(-2, 60), model=st.sampled_from(["medtronic_minimed_780g", "ypsomed_ypsopump"]))
def test_array_basal_limits_equal_scalar_basal_limits(requested: float, model: str) -> None:
    pump = Pump(get_envelope(model), PumpSettings(max_basal_u_per_h=10.0, max_bolus_u=10.0))
    limits = TherapyLimits()
    scalar = limit_basal_rate(requested, device=pump, limits=limits)
    capped = min(max(requested, 0.0), 40.0, limits.max_basal_u_per_h, pump.max_basal_u_per_h)
    step = pump.basal_increments.step_at(capped)
    arr, _ = limit_basal_rate_array(
        np.array([requested]),
        patient_max_u_per_h=limits.max_basal_u_per_h,
        device_max_u_per_h=pump.max_basal_u_per_h,
        step_u_per_h=step,
    )
    assert arr[0] == pytest.approx(scalar.units, abs=1e-9)
