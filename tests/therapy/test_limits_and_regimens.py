"""Therapy limits and regimens: every dose passes the limits; clamps are recorded and shown."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from t2pump.devices.envelope import get_envelope
from t2pump.devices.pen import get_pen
from t2pump.devices.pump import Pump, PumpSettings
from t2pump.errors import InputRangeError
from t2pump.insulin.curves import CurveKind, Oref0Curve
from t2pump.schedule import DailySchedule
from t2pump.therapy.bolus import BolusSettings
from t2pump.therapy.limits import (
    TherapyLimits,
    check_prescribed_dose,
    check_setting,
    limit_bolus,
    limit_injection,
)
from t2pump.therapy.regimen import ConfirmationRequiredError, CsiiTherapy, MdiRegimen


def _pump(model: str = "roche_accuchek_insight", max_bolus: float = 50.0) -> Pump:
    p = Pump(get_envelope(model), PumpSettings(max_basal_u_per_h=6.0, max_bolus_u=max_bolus))
    p.set_pattern("weekday", DailySchedule.from_pairs([("00:00", 2.0), ("06:00", 2.5)]))
    p.activate_pattern("weekday")
    return p


def _therapy(pump: Pump, limits: TherapyLimits | None = None) -> CsiiTherapy:
    c = DailySchedule.constant
    return CsiiTherapy(
        pump,
        limits or TherapyLimits(),
        BolusSettings(c(4.0), c(15.0), c(100.0), c(130.0)),
        Oref0Curve.from_settings(CurveKind.RAPID_ACTING, 5.0),
    )


@pytest.mark.property
@settings(max_examples=80, deadline=None)
@given(units=st.floats(-10.0, 500.0), model=st.sampled_from(["insulet_omnipod_5", "roche_accuchek_insight"]))
def test_every_limited_bolus_is_within_limits_on_an_increment(units: float, model: str) -> None:
    pump = _pump(model, max_bolus=30.0)
    limits = TherapyLimits(max_bolus_u=40.0)
    dose = limit_bolus(units, device=pump, limits=limits)
    assert 0.0 <= dose.units <= min(30.0, 40.0, 75.0) + 1e-9
    assert pump.bolus_increments.is_valid(dose.units) or dose.units == 0.0
    if not math.isclose(dose.units, units, abs_tol=1e-9):
        assert dose.clamps, "every change to a dose is recorded"
        assert dose.clamps[0].requested == units
        assert dose.clamps[-1].result == dose.units


@pytest.mark.scenario
def test_t2d_meal_of_60_units_needs_confirmation_then_delivers() -> None:
    therapy = _therapy(_pump("roche_accuchek_insight", max_bolus=50.0), TherapyLimits(max_bolus_u=75.0))
    therapy.pump.advance(12 * 60)
    rec = therapy.recommend(carbs_g=180.0, glucose=250.0)  # 45 U food + 8 U correction
    assert rec.recommended_u == pytest.approx(50.0)  # capped at the pump's max bolus setting
    assert rec.limited.clamps[0].rule_id == "limits.bolus.device_max"
    assert rec.requires_confirmation
    with pytest.raises(ConfirmationRequiredError, match=r"confirmation threshold of 25 U"):
        therapy.deliver(rec)
    therapy.deliver(rec, confirmed=True)
    therapy.pump.advance(13 * 60)
    assert therapy.pump.timeline().bolus_delivered_u.sum() == pytest.approx(50.0)
    bolus_iob, _ = therapy.insulin_on_board()
    assert 0.0 < bolus_iob < 50.0


@pytest.mark.scenario
def test_iob_from_an_earlier_bolus_reduces_the_next_correction() -> None:
    therapy = _therapy(_pump())
    therapy.pump.advance(8 * 60)
    therapy.deliver(therapy.recommend(carbs_g=40.0, glucose=220.0))  # 10 + 6 = 16 U
    therapy.pump.advance(9 * 60)
    later = therapy.recommend(glucose=220.0)
    assert later.recommended_u == 0.0  # 6 U correction, more than 6 U still on board
    assert any(c.name == "active_insulin" and c.units < 0 for c in later.components)


@pytest.mark.scenario
def test_temp_basal_for_exercise_on_a_pump_that_sets_only_absolute_rates() -> None:
    pump = Pump(get_envelope("medtrum_touchcare_nano"), PumpSettings(max_basal_u_per_h=5.0, max_bolus_u=30.0))
    pump.set_pattern("weekday", DailySchedule.constant(1.7))
    pump.activate_pattern("weekday")
    therapy = _therapy(pump)
    dose, temp = therapy.temp_basal_for_activity(50.0, 60)
    assert temp.rate_u_per_h == pytest.approx(0.85)
    assert dose.units == pytest.approx(0.85)
    with pytest.raises(InputRangeError, match=r"temp_basal\.percent"):
        therapy.temp_basal_for_activity(400.0, 60)


@pytest.mark.scenario
def test_mdi_regimen_splits_a_large_basal_dose_and_rounds_meals_to_the_pen() -> None:
    limits = TherapyLimits()
    regimen = MdiRegimen(
        basal_product="glargine_u100",
        basal_pen=get_pen("lantus_solostar"),
        basal_injections=MdiRegimen.basal_at([("22:00", 120.0)]),
        rapid_product="aspart",
        rapid_pen=get_pen("novopen_echo"),
        limits=limits,
        bolus_settings=BolusSettings(*(DailySchedule.constant(v) for v in (5.0, 20.0, 100.0, 120.0))),
    )
    (basal,) = regimen.basal_doses(day=2)
    assert basal.time_min == 2 * 1440 + 22 * 60
    assert basal.dose.injections_u == (60.0, 60.0)  # Lantus SoloStar: at most 80 U per injection
    assert any(c.rule_id == "limits.injection.split" for c in basal.dose.clamps)
    meal = regimen.meal_dose(8 * 60, carbs_g=47.0, glucose=150.0)
    assert meal.dose.units == pytest.approx(10.5)  # 9.4 + 1.5 = 10.9 -> 10.5 on a half-unit pen
    assert meal.dose.injections_u == (10.5,)


def test_mdi_regimen_rejects_wrong_products_and_pens() -> None:
    with pytest.raises(InputRangeError, match="basal_pen"):
        MdiRegimen(
            "degludec",
            get_pen("lantus_solostar"),
            MdiRegimen.basal_at([("08:00", 20.0)]),
            "aspart",
            get_pen("novorapid_flexpen"),
            TherapyLimits(),
        )
    with pytest.raises(InputRangeError, match="1 or 2 injections"):
        MdiRegimen(
            "nph",
            get_pen("humulin_n_kwikpen"),
            MdiRegimen.basal_at([("08:00", 20.0)] * 3),
            "lispro",
            get_pen("humalog_kwikpen"),
            TherapyLimits(),
        )


def test_prescriptions_are_errors_not_clamps() -> None:
    with pytest.raises(InputRangeError, match=r"bolus: got 500.0, expected a value in \[0, 75\] U"):
        check_prescribed_dose("bolus", 500.0)
    with pytest.raises(InputRangeError, match="finite"):
        limit_bolus(math.nan, device=_pump(), limits=TherapyLimits())
    with pytest.raises(InputRangeError, match=r"limits\.max_bolus_u"):
        TherapyLimits(max_bolus_u=100.0)
    value, warning = check_setting("isf_mgdl_per_u", 9.0)
    assert value == 9.0
    assert warning is not None
    assert "recommended" in warning


def test_injection_limits_use_the_pen() -> None:
    dose = limit_injection(31.3, pen=get_pen("humalog_junior_kwikpen"), limits=TherapyLimits(), rapid=True)
    assert dose.units == pytest.approx(31.0)
    assert dose.injections_u == (15.5, 15.5)
    assert dose.requires_confirmation
