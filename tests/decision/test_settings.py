"""Starting pump settings from MDI: clinical vignettes, the reduction policy, limits, JSON, errors.

Expected values are the published rules applied by hand: 500 / TDD and 1800 / TDD (ADA, "Getting
started with an insulin pump"), basal 50 % of TDD / 24 and meal boluses 50 % of TDD / 3 (the OpT2mise
simple scheme, Diabetes 2018;67 Suppl 1:88-LB), reservoir capacity / TDD for the reservoir days.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from patient_fixtures import vary

from t2pump.decision.patient import patient_from_dict
from t2pump.decision.settings import (
    DISCLAIMER,
    SETTINGS_FORMAT,
    BasalProfile,
    Explanation,
    FitVerdict,
    MdiSummary,
    Scheme,
    SettingsOptions,
    StartingSettings,
    mdi_summary,
    program_from_dict,
    starting_settings,
    tdd_reduction,
)
from t2pump.devices.envelope import get_envelope
from t2pump.devices.pen import get_pen
from t2pump.errors import InputRangeError
from t2pump.insulin.curves import CurveKind, Oref0Curve
from t2pump.therapy import initial_settings as init
from t2pump.therapy.limits import TherapyLimits

POOR_CONTROL = MdiSummary(basal_u_per_day=50.0, bolus_u_per_day=58.0, hba1c_percent=9.1, below_70_percent=1.2)


def _settings(mdi: MdiSummary = POOR_CONTROL, **options: object) -> StartingSettings:
    opts = {"pump_model": "medtronic_minimed_780g", **options}
    return starting_settings(mdi, SettingsOptions(**opts))  # type: ignore[arg-type]


def _explained(s: StartingSettings, setting: str) -> Explanation:
    return next(e for e in s.explanations if e.setting == setting)


@pytest.mark.scenario
def test_58_year_old_on_108_u_day_with_hba1c_9_1_starts_at_the_full_mdi_dose() -> None:
    # baseline record: 50 U glargine + 18/20/20 U aspart, HbA1c 9.1 %, TBR within goals
    s = starting_settings(mdi_summary(patient_from_dict(vary())), SettingsOptions("medtronic_minimed_780g"))
    assert s.reduction_percent == 0.0
    assert _explained(s, "tdd_reduction").rule_id == "settings.tdd.keep_poor_control"
    assert s.starting_tdd_u == 108.0
    assert s.program.basal.values == (2.25,)  # 54 U / 24 h, a multiple of the 780G's 0.05 U/h step
    assert s.program.carb_ratio is not None
    assert s.program.carb_ratio.values == (4.6,)  # 500 / 108 = 4.63
    assert s.program.isf_mgdl_per_u == 17.0  # 1800 / 108 = 16.7
    assert (s.program.target_low_mgdl, s.program.target_high_mgdl) == (100.0, 120.0)
    assert s.program.active_insulin_time_h == 4.0


@pytest.mark.scenario
def test_fixed_scheme_of_the_t2d_trials_gives_three_equal_meal_boluses() -> None:
    s = _settings(scheme=Scheme.FIXED)
    assert s.program.meal_bolus_u == (18.0, 18.0, 18.0)  # 50 % of 108 U / 3
    assert s.program.carb_ratio is None
    assert s.programmed_u_per_day == pytest.approx(108.0)
    assert _explained(s, "meal_bolus[lunch]").rule_id == "settings.fixed.meals"


@pytest.mark.scenario
def test_120_u_day_on_mdi_which_pumps_fit_and_how_often_the_reservoir_is_changed() -> None:
    record = vary(
        mdi__basal=[{"product": "glargine_u100", "dose_u": 60}],
        mdi__bolus={"product": "aspart", "breakfast_u": 20, "lunch_u": 20, "dinner_u": 20},
    )
    s = starting_settings(mdi_summary(patient_from_dict(record)), SettingsOptions("insulet_omnipod_5"))
    assert s.starting_tdd_u == 120.0
    pod = s.pump_fit
    assert pod.reservoir_days == pytest.approx(200.0 / 120.0)  # a 200 U pod lasts 1.7 days
    assert "change it every ~1.7 days" in pod.notes[0]
    assert pod.patch
    assert pod.verdict is FitVerdict.FITS_WITH_CAVEATS
    assert any("<= 60 U/day" in n for n in pod.notes)  # French listing of patch pumps
    others = {f.model_id: f for f in s.other_pumps}
    assert others["medtronic_minimed_780g"].reservoir_days == pytest.approx(2.5)
    assert others["ypsomed_ypsopump"].reservoir_days == pytest.approx(160.0 / 120.0)
    assert not others["tandem_tslim_x2"].patch
    assert {f.verdict for f in others.values()} == {FitVerdict.FITS_WITH_CAVEATS}


@pytest.mark.scenario
def test_60_u_day_fits_a_300_u_pump_without_caveat() -> None:
    s = _settings(
        MdiSummary(30.0, 30.0, hba1c_percent=8.5, below_70_percent=0.5), pump_model="tandem_tslim_x2"
    )
    assert s.pump_fit.verdict is FitVerdict.FITS
    assert s.pump_fit.reservoir_days == pytest.approx(5.0)


@pytest.mark.scenario
def test_200_u_day_fixed_boluses_above_the_780g_max_bolus_are_clamped_and_shown() -> None:
    s = _settings(MdiSummary(100.0, 100.0, hba1c_percent=9.5, below_70_percent=0.0), scheme=Scheme.FIXED)
    assert s.program.meal_bolus_u == (25.0, 25.0, 25.0)  # 33.3 U capped at the 780G's 25 U
    clamp = next(c for c in s.clamps if c.field == "meal_bolus[breakfast]")
    assert clamp.rule_id == "limits.bolus.device_max"
    assert clamp.requested == pytest.approx(100.0 / 3.0)
    assert any("max bolus setting of 25 U" in w for w in s.warnings)
    assert s.pump_fit.verdict is FitVerdict.FITS_WITH_CAVEATS
    assert any("must be split" in n for n in s.pump_fit.notes)
    # the day no longer adds up, and the output says by how much
    assert s.programmed_u_per_day < s.starting_tdd_u - 20.0


def test_a_large_fixed_bolus_within_the_pump_maximum_asks_for_confirmation() -> None:
    s = _settings(
        MdiSummary(80.0, 80.0, hba1c_percent=9.5), pump_model="insulet_omnipod_5", scheme=Scheme.FIXED
    )
    assert s.program.meal_bolus_u == (26.65, 26.65, 26.65)  # 80 / 3 = 26.67 rounded down to 0.05
    assert any("confirm the dose" in w for w in s.warnings)


@pytest.mark.parametrize(
    ("mdi", "percent", "rule_id"),
    [
        (
            MdiSummary(40.0, 40.0, hba1c_percent=9.0, below_70_percent=5.0),
            25.0,
            "settings.tdd.reduce_hypoglycaemia",
        ),
        (
            MdiSummary(40.0, 40.0, hba1c_percent=9.0, below_54_percent=1.5),
            25.0,
            "settings.tdd.reduce_hypoglycaemia",
        ),
        (
            MdiSummary(40.0, 40.0, hba1c_percent=9.0, hypoglycaemia=True),
            25.0,
            "settings.tdd.reduce_hypoglycaemia",
        ),
        (
            MdiSummary(40.0, 40.0, hba1c_percent=7.2, below_70_percent=1.0),
            20.0,
            "settings.tdd.reduce_good_control",
        ),
        (MdiSummary(40.0, 40.0), 20.0, "settings.tdd.reduce_good_control"),
        (
            MdiSummary(40.0, 40.0, hba1c_percent=8.0, below_70_percent=3.9),
            0.0,
            "settings.tdd.keep_poor_control",
        ),
    ],
)
def test_reduction_policy(mdi: MdiSummary, percent: float, rule_id: str) -> None:
    r = tdd_reduction(mdi)
    assert (r.value, r.rule_id) == (percent, rule_id)
    assert r.citation


def test_poor_control_without_cgm_keeps_the_dose_but_warns() -> None:
    r = tdd_reduction(MdiSummary(40.0, 40.0, hba1c_percent=9.0))
    assert r.value == 0.0
    assert "hypoglycaemia not documented" in r.warnings[0]


def test_the_clinician_sets_the_reduction_within_0_to_25_percent() -> None:
    s = _settings(reduction_percent=10.0)
    assert s.starting_tdd_u == pytest.approx(97.2)
    assert _explained(s, "tdd_reduction").rule_id == "settings.tdd.override"
    with pytest.raises(InputRangeError, match=r"reduction_percent: got 30\.0"):
        _settings(reduction_percent=30.0)


@pytest.mark.scenario
def test_pregnancy_uses_pregnancy_targets_and_a_shorter_active_insulin_time() -> None:
    s = _settings(MdiSummary(30.0, 30.0, hba1c_percent=7.0, pregnant=True))
    assert (s.program.target_low_mgdl, s.program.target_high_mgdl) == (80.0, 95.0)
    assert s.program.active_insulin_time_h == 3.0
    assert s.program.pregnant
    assert s.pregnancy is not None
    assert s.pregnancy.fasting_below_mgdl == 95.0
    data = s.to_dict()
    assert data["pregnancy_targets"]["smbg"]["two_hours_after_meal_below_mgdl"] == 120.0
    assert any("reinforced diabetology and obstetric" in w for w in s.warnings)


def test_older_adults_get_a_5_hour_active_insulin_time() -> None:
    assert _settings(MdiSummary(30.0, 30.0, age_years=72.0)).program.active_insulin_time_h == 5.0


def test_variants_of_the_rules() -> None:
    s = _settings(carb_rule=450.0, isf_rule=1700.0, basal_fraction=0.55)
    assert s.program.carb_ratio is not None
    assert s.program.carb_ratio.values == (4.2,)  # 450 / 108
    assert s.program.isf_mgdl_per_u == 16.0  # 1700 / 108 = 15.7
    assert s.program.basal.values == (2.45,)  # 0.55 x 108 / 24 = 2.475, rounded down to 0.05
    with pytest.raises(InputRangeError, match="isf_rule"):
        _settings(isf_rule=1500.0)
    with pytest.raises(InputRangeError, match="basal_fraction"):
        _settings(basal_fraction=0.6)


def test_three_step_profile_is_programmable_on_a_pump_with_hourly_segments() -> None:
    s = _settings(pump_model="ypsomed_ypsopump", basal_profile=BasalProfile.THREE_STEP)
    assert s.program.basal.starts_min == (0, 180, 540, 1260)
    night, dawn, day, evening = s.program.basal.values
    assert night == evening < day < dawn
    assert s.program.basal_u_per_day == pytest.approx(54.0, abs=s.rounding_bound_u)


def test_the_calculator_rules_are_those_of_the_simulator() -> None:
    # the simulator's starting_csii and the decision layer call the same rule functions
    tdd = np.array([108.0, 45.0])
    curve = Oref0Curve.from_settings(CurveKind.RAPID_ACTING, 5.0)
    cohort = init.starting_csii(get_envelope("medtronic_minimed_780g"), tdd, curve)
    assert np.array_equal(cohort.carb_ratio_g_per_u, init.carb_ratio_rule(tdd))
    assert np.array_equal(cohort.isf_mgdl_per_u, init.isf_rule(tdd))
    mdi = init.starting_mdi(tdd, get_pen("lantus_solostar"), get_pen("novorapid_flexpen"), curve)
    assert np.array_equal(mdi.carb_ratio_g_per_u, init.carb_ratio_rule(tdd))


def test_settings_json_has_the_disclaimer_and_reads_back_as_the_same_program() -> None:
    s = _settings(scheme=Scheme.FIXED, limits=TherapyLimits(max_bolus_u=40.0))
    data = json.loads(json.dumps(s.to_dict()))
    assert data["format"] == SETTINGS_FORMAT
    assert data["disclaimer"] == DISCLAIMER
    assert "not a prescription" in data["disclaimer"]["en"]
    assert "pas une prescription" in data["disclaimer"]["fr"]
    assert program_from_dict(data) == s.program
    assert all({"rule_id", "reason", "citation"} <= set(e) for e in data["explanations"])


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("program", "scheme"), "pump", "scheme: got 'pump', expected calculator or fixed"),
        (("program", "pump_model"), "pump9000", "pump_model: got 'pump9000'"),
        (("program", "basal_u_per_h"), [["25:00", 1.0]], r"basal_u_per_h\[0\]\[0\]"),
        (("program", "basal_u_per_h"), [["00:00", 80.0]], r"basal_u_per_h\[0\]\[1\]: got 80.0"),
        (("program", "isf_mgdl_per_u"), "17", "isf_mgdl_per_u: got '17'"),
        (("program", "limits"), None, "limits: got 'NoneType', expected a JSON object"),
    ],
)
def test_bad_settings_json_names_the_field(path: tuple[str, str], value: object, message: str) -> None:
    data = _settings().to_dict()
    data[path[0]][path[1]] = value
    with pytest.raises(InputRangeError, match=message):
        program_from_dict(data, "s.json")


def test_missing_mdi_doses_are_named() -> None:
    with pytest.raises(InputRangeError, match=r"mdi\.basal"):
        mdi_summary(patient_from_dict(vary(mdi=None)))
    record = vary(mdi__bolus={"product": "aspart", "carb_ratio_g_per_u": 8})
    with pytest.raises(InputRangeError, match=r"mdi\.bolus.*daily_bolus_u"):
        mdi_summary(patient_from_dict(record))
