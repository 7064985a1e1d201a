"""Titration: the published basal algorithms, clinical scenarios on CGM and SMBG traces, limits.

Expected algorithm values come from the sources' tables: Riddle 2003 Table 1 (mean FPG >= 180 mg/dL
+8, 140-180 +6, 120-140 +4, 100-120 +2 IU/day; no increase below 72, decrease 2-4 IU below 56),
AT.LANTUS algorithm 2 (Davies 2005 Table 1: +2 IU every 3 days from 120 mg/dL, 0-2 between 100 and
120, none after a glucose < 72) and HAS 2013 (+/- 1 or 2 U every 3 days). Traces are built here:
5-min CGM, three meals a day with carbohydrate and a bolus, fasting and post-meal levels chosen per
scenario.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pytest

from t2pump.decision.settings import (
    MdiSummary,
    PumpProgram,
    Scheme,
    SettingsOptions,
    program_from_dict,
    starting_settings,
)
from t2pump.decision.titration import (
    BasalAlgorithm,
    Suggestion,
    TitrationReport,
    davies_2005_step_u,
    has_2013_step_u,
    riddle_2003_step_u,
    suggest_titration,
)
from t2pump.errors import InputRangeError
from t2pump.simulation.engine import Trace

MEALS = (480.0, 750.0, 1140.0)  # 08:00, 12:30, 19:00


def make_trace(
    *,
    days: int = 7,
    base: float = 140.0,
    fasting: float = 140.0,
    post_meal: float = 140.0,
    meal_bolus_u: float = 18.0,
    dips: Sequence[tuple[float, float, float]] = (),
    corrections: Sequence[tuple[float, float, float, float]] = (),
    with_carbs: bool = True,
) -> Trace:
    """A 5-min CGM trace: fasting level 05:00-08:00, post-meal level for 3 h after each meal.

    ``dips``: (start, duration, glucose) [min, min, mg/dL]; ``corrections``: (time, dose, glucose
    before, glucose 4 h later), glucose linear in between [min, U, mg/dL, mg/dL].
    """
    t = np.arange(5.0, days * 1440.0 + 2.5, 5.0)
    tod = t % 1440.0
    g = np.full(t.shape, base)
    g[(tod >= 300) & (tod < 480)] = fasting
    carbs, bolus = np.zeros(t.shape), np.zeros(t.shape)
    for m in MEALS:
        at = np.isclose(tod, m)
        carbs[at], bolus[at] = 60.0, meal_bolus_u
        g[(tod > m) & (tod <= m + 180)] = post_meal
    for start, dose, before, after in corrections:
        bolus[np.isclose(t, start)] = dose
        span = (t >= start) & (t <= start + 240)
        g[span] = before + (after - before) * (t[span] - start) / 240.0
    for start, duration, value in dips:
        g[(t >= start) & (t < start + duration)] = value
    signals = {"cgm": g[None], "insulin_bolus": bolus[None]}
    if with_carbs:
        signals["carbs"] = carbs[None]
    return Trace(t, ("p1",), signals, dict.fromkeys(signals, ""))


def smbg_trace(days: int = 7, fasting: float = 180.0, low: float | None = None) -> Trace:
    """Capillary readings 4 a day (07:00 fasting, 2 h after each meal), meals with carbs and bolus."""
    readings = (420.0, 600.0, 870.0, 1260.0)
    times = np.array(sorted({d * 1440.0 + x for d in range(days) for x in (*readings, *MEALS)}))
    tod = times % 1440.0
    g = np.where(np.isin(tod, readings), 150.0, np.nan)
    g[np.isclose(tod, 420.0)] = fasting
    if low is not None:
        g[np.flatnonzero(np.isclose(tod, 870.0))[2]] = low  # day 2, 2 h after lunch
    meal = np.isin(tod, MEALS)
    signals = {
        "cgm": g[None],
        "carbs": np.where(meal, 60.0, 0.0)[None],
        "insulin_bolus": np.where(meal, 18.0, 0.0)[None],
    }
    return Trace(times, ("p1",), signals, {})


def program(
    scheme: Scheme = Scheme.FIXED, pregnant: bool = False, model: str = "medtronic_minimed_780g"
) -> PumpProgram:
    mdi = MdiSummary(50.0, 58.0, hba1c_percent=9.1, below_70_percent=1.0, pregnant=pregnant)
    return starting_settings(mdi, SettingsOptions(model, scheme=scheme)).program


def by_setting(r: TitrationReport) -> dict[str, Suggestion]:
    return {s.setting: s for s in r.suggestions}


# --------------------------------------------------------------------------- the algorithms


@pytest.mark.reference
@pytest.mark.parametrize(
    ("fasting", "low", "expected"),
    [
        (200.0, 90.0, 8.0),
        (180.0, 90.0, 8.0),
        (179.0, 90.0, 6.0),
        (140.0, 90.0, 6.0),
        (130.0, 90.0, 4.0),
        (110.0, 90.0, 2.0),
        (100.0, 90.0, 0.0),  # target <= 100 mg/dL
        (85.0, 80.0, 0.0),
        (180.0, 70.0, 0.0),  # a glucose < 72 in the week: no increase
        (180.0, 55.0, -2.0),  # < 56: decrease 2-4 IU (2 above level 2)
        (180.0, 50.0, -4.0),  # level 2 (< 54): the larger decrease
        (np.nan, 90.0, 0.0),  # no fasting value: no change
    ],
)
def test_riddle_2003_bands(fasting: float, low: float, expected: float) -> None:
    assert float(riddle_2003_step_u(fasting, low)) == expected


@pytest.mark.reference
def test_riddle_2003_is_vectorised_over_patients_and_takes_severe_hypoglycaemia() -> None:
    fasting = np.array([200.0, 150.0, 125.0, 105.0, 150.0])
    low = np.array([100.0, 100.0, 100.0, 100.0, 100.0])
    severe = np.array([False, False, False, False, True])
    out = riddle_2003_step_u(fasting, low, severe)
    assert out.tolist() == [8.0, 6.0, 4.0, 2.0, -4.0]
    assert [
        float(riddle_2003_step_u(f, x, s)) for f, x, s in zip(fasting, low, severe, strict=True)
    ] == out.tolist()
    # pregnancy: the +2 band starts above 95 mg/dL (t2pump's adaptation)
    assert riddle_2003_step_u(np.array([97.0, 97.0]), 90.0, target_mgdl=np.array([95.0, 100.0])).tolist() == [
        2.0,
        0.0,
    ]


@pytest.mark.reference
@pytest.mark.parametrize(
    ("fasting", "low", "discretionary", "expected"),
    [
        (180.0, 90.0, 0.0, 2.0),  # "fasting 180 mg/dL for 3 days": +2 U
        (250.0, 90.0, 0.0, 2.0),  # the patient-led rule never gives more than 2 U
        (120.0, 90.0, 0.0, 2.0),
        (110.0, 90.0, 0.0, 0.0),  # 100-120: 0-2 at the investigator's discretion
        (110.0, 90.0, 2.0, 2.0),
        (100.0, 90.0, 2.0, 0.0),
        (180.0, 71.0, 0.0, -2.0),  # a glucose < 72: no increase; ADA 2024: -2 U
    ],
)
def test_davies_2005_three_day_rule(
    fasting: float, low: float, discretionary: float, expected: float
) -> None:
    assert float(davies_2005_step_u(fasting, low, discretionary_u=discretionary)) == expected


@pytest.mark.reference
def test_has_2013_plus_or_minus_1_or_2_u() -> None:
    fasting = np.array([150.0, 150.0, 110.0, 90.0, 110.0])
    low = np.array([100.0, 100.0, 100.0, 85.0, 65.0])
    assert has_2013_step_u(fasting, low, 100.0, 120.0).tolist() == [2.0, 2.0, 0.0, -2.0, -2.0]
    assert has_2013_step_u(fasting, low, 100.0, 120.0, step_u=1.0).tolist() == [1.0, 1.0, 0.0, -1.0, -1.0]
    with pytest.raises(InputRangeError, match="step_u"):
        has_2013_step_u(150.0, 100.0, 100.0, 120.0, step_u=3.0)


# --------------------------------------------------------------------------- scenarios


@pytest.mark.scenario
def test_fasting_180_for_3_days_gives_plus_2_u_by_the_3_day_rule() -> None:
    r = suggest_titration(make_trace(fasting=180.0, days=3), program(), algorithm=BasalAlgorithm.DAVIES_2005)
    s = by_setting(r)
    daily = s["basal_u_per_day"]
    assert "+2 U/day" in daily.reason
    assert daily.direction == 1
    # 54 U/day + 2 U/day = 2.333 U/h, rounded down to the 780G's 0.05 U/h: +1.2 U/day programmed
    assert s["basal[00:00]"].suggested == 2.3
    assert 0.0 < daily.suggested - daily.current <= 2.0
    assert s["basal[00:00]"].evidence["mean_fasting_mgdl"] == 180.0


@pytest.mark.scenario
def test_riddle_weekly_plus_8_u_is_capped_at_a_20_percent_step_on_a_small_basal() -> None:
    mdi = MdiSummary(6.0, 6.0, hba1c_percent=9.0, below_70_percent=0.0)
    small = starting_settings(mdi, SettingsOptions("tandem_tslim_x2", scheme=Scheme.FIXED)).program
    r = suggest_titration(make_trace(fasting=200.0), small, algorithm=BasalAlgorithm.RIDDLE_2003)
    basal = by_setting(r)["basal[00:00]"]
    assert basal.current == 0.25
    assert basal.suggested == pytest.approx(0.3)  # +8/24 = +0.33 U/h, capped at +20 %
    assert [c.rule_id for c in basal.clamps] == ["titration.max_step"]


@pytest.mark.scenario
def test_night_level_2_hypoglycaemia_reduces_basal_first_and_holds_every_increase() -> None:
    dip = (3 * 1440.0 + 150.0, 30.0, 48.0)  # day 3, 02:30, 30 min at 48 mg/dL
    r = suggest_titration(make_trace(fasting=180.0, post_meal=250.0, dips=[dip]), program())
    assert [e.context for e in r.level2_events] == ["basal"]
    s = by_setting(r)
    assert s["basal[00:00]"].suggested <= 2.25 * 0.9  # at least 10 % less
    assert all(x.direction <= 0 for x in r.suggestions)
    assert s["meal_bolus[lunch]"].suggested == 18.0  # high after meals, held
    assert "held" in s["meal_bolus[lunch]"].reason


@pytest.mark.scenario
def test_level_2_hypoglycaemia_after_lunch_cuts_the_lunch_bolus_by_20_percent() -> None:
    dip = (2 * 1440.0 + 750.0 + 150.0, 25.0, 50.0)  # 2 h 30 after lunch on day 2
    r = suggest_titration(make_trace(fasting=130.0, post_meal=200.0, dips=[dip]), program())
    assert [e.context for e in r.level2_events] == ["meal_bolus[lunch]"]
    s = by_setting(r)
    assert s["meal_bolus[lunch]"].suggested == pytest.approx(14.4)
    assert s["meal_bolus[dinner]"].suggested == 18.0
    assert s["basal[00:00]"].suggested <= 2.25


@pytest.mark.scenario
def test_level_1_low_after_dinner_cuts_the_dinner_bolus_by_10_percent() -> None:
    dip = (1440.0 + 1140.0 + 200.0, 10.0, 62.0)  # 10 min at 62 mg/dL: level 1, not an episode < 54
    r = suggest_titration(make_trace(post_meal=150.0, dips=[dip]), program())
    assert r.level2_events == ()
    assert by_setting(r)["meal_bolus[dinner]"].suggested == pytest.approx(16.2)


@pytest.mark.scenario
def test_high_after_meals_with_the_calculator_strengthens_the_carb_ratio() -> None:
    calc = program(Scheme.CALCULATOR)
    r = suggest_titration(make_trace(post_meal=230.0), calc)
    s = by_setting(r)
    assert s["carb_ratio[breakfast]"].current == 4.6
    assert s["carb_ratio[breakfast]"].suggested == 4.2  # 10 % more insulin
    assert s["carb_ratio[breakfast]"].direction == 1
    assert r.program.carb_ratio is not None
    assert r.program.carb_ratio.values == (4.2,)


@pytest.mark.scenario
def test_pregnancy_targets_drive_the_rules() -> None:
    trace = make_trace(fasting=98.0, post_meal=145.0)
    normal = suggest_titration(trace, program(), algorithm=BasalAlgorithm.RIDDLE_2003)
    pregnant = suggest_titration(trace, program(pregnant=True), algorithm=BasalAlgorithm.RIDDLE_2003)
    assert by_setting(normal)["basal[00:00]"].direction == 0  # 98 <= 100
    assert by_setting(pregnant)["basal[00:00]"].direction == 1  # 98 > 95
    assert by_setting(normal)["meal_bolus[lunch]"].direction == 0
    # 145 mg/dL 1 h and 2 h after meals: within 180 mg/dL, but neither < 140 at 1 h nor < 120 at 2 h
    assert by_setting(pregnant)["meal_bolus[lunch]"].direction == 1
    either = suggest_titration(make_trace(fasting=90.0, post_meal=135.0), program(pregnant=True))
    assert by_setting(either)["meal_bolus[lunch]"].direction == 0  # 1 h < 140 met
    assert pregnant.pregnancy is not None
    assert pregnant.to_dict()["pregnancy_cgm"]["percent"]["above_140"] > 0.0
    assert normal.pregnancy is None


@pytest.mark.scenario
def test_capillary_data_four_a_day() -> None:
    r = suggest_titration(smbg_trace(fasting=180.0), program())
    assert r.data_kind == "smbg"
    assert by_setting(r)["basal_u_per_day"].direction == 1
    low = suggest_titration(smbg_trace(fasting=180.0, low=50.0), program())
    assert [e.duration_min for e in low.level2_events] == [0.0]
    assert all(s.direction <= 0 for s in low.suggestions)
    assert any("capillary" in w for w in low.warnings)


@pytest.mark.scenario
def test_corrections_followed_by_a_low_weaken_the_correction_factor() -> None:
    corrections = [(d * 1440.0 + 1400.0, 4.0, 250.0, 60.0) for d in range(4)]
    r = suggest_titration(make_trace(corrections=corrections), program())
    isf = by_setting(r)["isf_mgdl_per_u"]
    assert isf.suggested > isf.current


@pytest.mark.scenario
def test_corrections_that_drop_too_little_strengthen_the_correction_factor() -> None:
    # 4 U with a factor of 17 mg/dL/U should drop 68 mg/dL; they drop 34 (50 %)
    corrections = [(d * 1440.0 + 1400.0, 4.0, 250.0, 216.0) for d in range(4)]
    r = suggest_titration(make_trace(corrections=corrections), program())
    isf = by_setting(r)["isf_mgdl_per_u"]
    assert isf.suggested == pytest.approx(16.0)  # 17 x 0.9 = 15.3, rounded up
    assert isf.evidence["corrections"] == 4


def test_one_day_of_data_is_insufficient_for_the_3_day_rule() -> None:
    r = suggest_titration(make_trace(days=1, fasting=200.0), program())
    s = by_setting(r)["basal[00:00]"]
    assert s.direction == 0
    assert "insufficient data: 3 days" in s.reason


def test_without_meal_records_boluses_mark_the_meals() -> None:
    r = suggest_titration(make_trace(with_carbs=False, fasting=130.0, post_meal=230.0), program())
    assert "no meal records" in by_setting(r)["isf_mgdl_per_u"].reason
    assert by_setting(r)["meal_bolus[lunch]"].direction == 1
    # the fasting value stops at the breakfast bolus (08:00): 130 mg/dL, not the post-meal 230
    assert by_setting(r)["basal[00:00]"].evidence["mean_fasting_mgdl"] == 130.0


def test_the_titration_json_is_a_settings_file_for_the_next_round() -> None:
    r = suggest_titration(make_trace(fasting=180.0), program())
    data = json.loads(json.dumps(r.to_dict()))
    assert data["format"] == "t2pump.titration/1"
    assert "not a prescription" in data["disclaimer"]["en"]
    again = program_from_dict(data, "titration.json")
    assert again == r.program
    assert again.basal.values == (2.3,)


def test_a_trace_without_glucose_is_an_error_naming_the_signal() -> None:
    bare = Trace(np.array([5.0, 10.0]), ("p1",), {"carbs": np.zeros((1, 2))}, {})
    with pytest.raises(InputRangeError, match="cgm"):
        suggest_titration(bare, program())
