"""Bolus calculator against documented cases.

Sources (figures as recorded in t2pump research notes pumps_aid.md sections 3.3 and 4.1):
* MiniMed 712 user manual p. 55: 45 g -> 3.0 U food, BG 160 -> 2.0 U correction, active
  insulin 1.0 U -> 4.0 U; the manual does not print the ratio/ISF/target, so we use values that
  give its figures (15 g/U, 20 mg/dL/U, high target 120 mg/dL).
* MiniMed 712 manual: estimate 30 U with max bolus 25 U -> 25 U delivered, "MAX BOLUS EXCEEDED".
* AndroidAPS BolusWizard worked example (T2D): 90 g, IC 6, BG 220, target 100-120, ISF 25, bolus
  IOB 3.0, basal IOB 0.5, trend +3 mg/dL/5 min, step 0.05 -> 15.86 -> 15.85 U; 130 g -> 22.55 U,
  17 U with AAPS adult max bolus. Same inputs in the Medtronic wizard -> 16.0 U.
Tolerance: the documented figures are printed to 0.05 U or better, so we require equality after the
pump's rounding (1e-9).
"""

from __future__ import annotations

import pytest

from t2pump.devices.envelope import get_envelope
from t2pump.devices.pump import Pump, PumpSettings
from t2pump.schedule import DailySchedule
from t2pump.therapy.bolus import BolusPolicy, BolusRequest, BolusSettings, GlucoseUnit, calculate_bolus
from t2pump.therapy.limits import TherapyLimits

pytestmark = pytest.mark.reference


def _pump(max_bolus: float = 30.0) -> Pump:
    return Pump(get_envelope("insulet_omnipod_5"), PumpSettings(max_basal_u_per_h=5.0, max_bolus_u=max_bolus))


def _settings(ratio: float, isf: float, low: float, high: float, policy: BolusPolicy) -> BolusSettings:
    c = DailySchedule.constant
    return BolusSettings(c(ratio), c(isf), c(low), c(high), GlucoseUnit.MGDL, policy)


def test_medtronic_712_manual_example() -> None:
    s = _settings(15.0, 20.0, 100.0, 120.0, BolusPolicy.MEDTRONIC_WIZARD)
    rec = calculate_bolus(
        BolusRequest(0.0, carbs_g=45.0, glucose=160.0, bolus_iob_u=1.0),
        s,
        device=_pump(),
        limits=TherapyLimits(),
    )
    parts = {c.name: c.units for c in rec.components}
    assert parts["food"] == pytest.approx(3.0)
    assert parts["correction"] == pytest.approx(2.0)
    assert rec.recommended_u == pytest.approx(4.0)
    assert not rec.limited.clamped


def test_medtronic_max_bolus_exceeded_is_capped_and_says_so() -> None:
    s = _settings(10.0, 50.0, 100.0, 120.0, BolusPolicy.MEDTRONIC_WIZARD)
    rec = calculate_bolus(
        BolusRequest(0.0, carbs_g=300.0), s, device=_pump(max_bolus=25.0), limits=TherapyLimits()
    )
    assert rec.calculated_u == pytest.approx(30.0)
    assert rec.recommended_u == pytest.approx(25.0)
    (clamp,) = rec.limited.clamps
    assert clamp.rule_id == "limits.bolus.device_max"
    assert "max bolus" in clamp.reason
    assert any("max bolus" in r for r in rec.reasons)


def test_medtronic_active_insulin_reduces_only_the_correction() -> None:
    s = _settings(6.0, 25.0, 100.0, 120.0, BolusPolicy.MEDTRONIC_WIZARD)
    rec = calculate_bolus(
        BolusRequest(0.0, carbs_g=90.0, glucose=220.0, bolus_iob_u=3.0, basal_iob_u=0.5, trend_per_5min=3.0),
        s,
        device=_pump(),
        limits=TherapyLimits(),
    )
    assert rec.recommended_u == pytest.approx(16.0)  # 15.0 + max(0, 4.0 - 3.0); basal IOB and trend ignored
    big_iob = calculate_bolus(
        BolusRequest(0.0, carbs_g=90.0, glucose=220.0, bolus_iob_u=9.0),
        s,
        device=_pump(),
        limits=TherapyLimits(),
    )
    assert big_iob.recommended_u == pytest.approx(15.0)  # the food bolus is not reduced


def test_medtronic_below_target_reduces_the_food_bolus_without_iob() -> None:
    s = _settings(10.0, 40.0, 100.0, 120.0, BolusPolicy.MEDTRONIC_WIZARD)
    rec = calculate_bolus(
        BolusRequest(0.0, carbs_g=50.0, glucose=60.0, bolus_iob_u=2.0),
        s,
        device=_pump(),
        limits=TherapyLimits(),
    )
    assert rec.recommended_u == pytest.approx(4.0)  # 5.0 + (60 - 100)/40


def test_aaps_worked_example_t2d() -> None:
    s = _settings(6.0, 25.0, 100.0, 120.0, BolusPolicy.AAPS_ADDITIVE)
    req = BolusRequest(0.0, carbs_g=90.0, glucose=220.0, bolus_iob_u=3.0, basal_iob_u=0.5, trend_per_5min=3.0)
    pump = _pump()
    rec = calculate_bolus(req, s, device=pump, limits=TherapyLimits(), device_step_u=pump.bolus_step_u)
    assert sum(c.units for c in rec.components) == pytest.approx(15.86)
    assert rec.recommended_u == pytest.approx(15.85)
    big = BolusRequest(
        0.0, carbs_g=130.0, glucose=220.0, bolus_iob_u=3.0, basal_iob_u=0.5, trend_per_5min=3.0
    )
    resistant = calculate_bolus(
        big, s, device=pump, limits=TherapyLimits(max_bolus_u=25.0), device_step_u=0.05
    )
    assert resistant.recommended_u == pytest.approx(22.55)
    adult = calculate_bolus(big, s, device=pump, limits=TherapyLimits(max_bolus_u=17.0), device_step_u=0.05)
    assert adult.recommended_u == pytest.approx(17.0)
    assert adult.limited.clamps[0].rule_id == "limits.bolus.patient_max"


def test_aaps_negative_total_reports_carbohydrate_equivalent() -> None:
    s = _settings(10.0, 50.0, 100.0, 120.0, BolusPolicy.AAPS_ADDITIVE)
    rec = calculate_bolus(
        BolusRequest(0.0, glucose=70.0, bolus_iob_u=2.0), s, device=_pump(), limits=TherapyLimits()
    )
    # (70 - 100)/50 - 2.0 = -2.6 U -> 26 g of carbohydrate, bolus 0
    assert rec.recommended_u == 0.0
    assert rec.carbs_equivalent_g == pytest.approx(26.0)


def test_aaps_superbolus_and_percentage() -> None:
    c = DailySchedule.constant
    s = BolusSettings(
        c(10.0), c(50.0), c(100.0), c(120.0), policy=BolusPolicy.AAPS_ADDITIVE, basal_u_per_h=c(1.5)
    )
    rec = calculate_bolus(
        BolusRequest(0.0, carbs_g=60.0, superbolus=True), s, device=_pump(), limits=TherapyLimits()
    )
    assert rec.recommended_u == pytest.approx(9.0)  # 6 + 1.5 + 1.5
    assert any("zero temporary basal" in r for r in rec.reasons)
    half = calculate_bolus(
        BolusRequest(0.0, carbs_g=60.0, percentage=50.0), s, device=_pump(), limits=TherapyLimits()
    )
    assert half.recommended_u == pytest.approx(3.0)


def test_mmol_settings_give_the_same_dose_as_mgdl() -> None:
    mg = _settings(8.0, 36.0, 90.0, 126.0, BolusPolicy.MEDTRONIC_WIZARD)
    k = 18.0156
    mmol = BolusSettings(
        DailySchedule.constant(8.0),
        DailySchedule.constant(36.0 / k),
        DailySchedule.constant(90.0 / k),
        DailySchedule.constant(126.0 / k),
        GlucoseUnit.MMOLL,
    )
    a = calculate_bolus(BolusRequest(0.0, 40.0, 250.0, 1.0), mg, device=_pump(), limits=TherapyLimits())
    b = calculate_bolus(BolusRequest(0.0, 40.0, 250.0 / k, 1.0), mmol, device=_pump(), limits=TherapyLimits())
    assert a.recommended_u == pytest.approx(b.recommended_u)
