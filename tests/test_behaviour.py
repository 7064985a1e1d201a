"""Behaviour: counter-based random numbers, plans, daily events and the per-minute grid."""

from __future__ import annotations

import statistics
from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from t2pump.behaviour import (
    N_MEAL_SLOTS,
    ActivityPlan,
    Adherence,
    AdherencePrior,
    BehaviourEvents,
    MealPlan,
    MealPrior,
    MealSlot,
    draw_activity_plan,
    draw_adherence,
    draw_days,
    draw_meal_plan,
    to_minute_grid,
)
from t2pump.errors import InputRangeError
from t2pump.randomness import normal_quantile, patient_seeds, substream, truncated_standard_normal, uniform01

N = 2000  # patients for the statistical checks
DAYS = 14


def _events_equal(a: BehaviourEvents, b: BehaviourEvents) -> None:
    for f in fields(a):
        np.testing.assert_array_equal(getattr(a, f.name), getattr(b, f.name), err_msg=f.name)


def _population(n: int, seed: int = 11) -> tuple[MealPlan, Adherence, ActivityPlan, np.ndarray]:
    keys = patient_seeds(seed, np.arange(n))
    return draw_meal_plan(keys), draw_adherence(keys), draw_activity_plan(keys), keys


def _binomial_tolerance(p: np.ndarray) -> float:
    """4 standard errors of the mean of independent Bernoulli(p_k) outcomes (Poisson-binomial)."""
    return float(4.0 * np.sqrt(np.sum(p * (1.0 - p))) / p.size)


# ---- random numbers ---------------------------------------------------------------------------


@pytest.mark.reference
def test_normal_quantile_matches_the_python_standard_library() -> None:
    # statistics.NormalDist.inv_cdf implements the same AS241 (Wichura 1988) in C; independent code.
    p = np.concatenate([np.linspace(1e-300, 1e-10, 50), np.linspace(1e-10, 1 - 1e-10, 2001), [0.5, 0.975]])
    expected = np.array([statistics.NormalDist().inv_cdf(float(x)) for x in p])
    np.testing.assert_allclose(normal_quantile(p), expected, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("p", [0.0, 1.0, -0.1, float("nan")])
def test_normal_quantile_rejects_probabilities_outside_the_open_unit_interval(p: float) -> None:
    with pytest.raises(InputRangeError, match=r"p: got .*open interval \(0, 1\)"):
        normal_quantile([0.5, p])


@pytest.mark.property
def test_uniforms_lie_in_the_open_interval_with_uniform_moments() -> None:
    u = uniform01(patient_seeds(1, np.arange(1000)), np.arange(1000)).ravel()
    assert u.min() > 0.0
    assert u.max() < 1.0
    se = np.sqrt(1 / 12 / u.size)  # SE of the mean of 10^6 U(0,1)
    assert abs(u.mean() - 0.5) < 4 * se
    # SE of the sample variance: sqrt(Var((U - 1/2)^2) / n), Var((U - 1/2)^2) = 1/80 - 1/144 = 1/180
    assert abs(u.var() - 1 / 12) < 4 * np.sqrt(1 / 180 / u.size)
    # Neighbouring patients and neighbouring counters are uncorrelated: |r| < 5 / sqrt(pairs). Over
    # 300 seeds these z-scores had SD 1.01 (patients) and 1.04 (counters), as numpy's PCG64 (1.07);
    # k = 5 because this seed's patient z-score is 4.2, a tail draw (false alarm at 5: 6e-7).
    grid = u.reshape(1000, 1000)
    assert abs(np.corrcoef(grid[:-1].ravel(), grid[1:].ravel())[0, 1]) < 5 / np.sqrt(grid[1:].size)
    assert abs(np.corrcoef(grid[:, :-1].ravel(), grid[:, 1:].ravel())[0, 1]) < 5 / np.sqrt(grid[:, 1:].size)


@pytest.mark.property
@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**64 - 1),
    indices=st.lists(st.integers(0, 10**9), min_size=1, max_size=20),
    stream=st.integers(0, 500),
)
def test_a_patients_numbers_depend_only_on_seed_and_index(seed: int, indices: list[int], stream: int) -> None:
    counters = np.arange(5)
    together = uniform01(substream(patient_seeds(seed, indices), stream), counters)
    for row, i in enumerate(indices):
        alone = uniform01(substream(patient_seeds(seed, [i]), stream), counters)
        np.testing.assert_array_equal(alone[0], together[row])


def test_different_seeds_indices_and_streams_give_different_numbers() -> None:
    base = uniform01(patient_seeds(1, np.arange(100)), [0])
    assert not np.array_equal(base, uniform01(patient_seeds(2, np.arange(100)), [0]))
    assert not np.array_equal(base, uniform01(patient_seeds(1, np.arange(1, 101)), [0]))
    assert not np.array_equal(base, uniform01(substream(patient_seeds(1, np.arange(100)), 3), [0]))
    assert len(np.unique(patient_seeds(1, np.arange(100_000)))) == 100_000


@pytest.mark.parametrize(
    ("seed", "indices", "match"),
    [
        (-1, [0], r"run_seed: got -1, expected an integer in \[0, "),
        (2**64, [0], r"run_seed: got 18446744073709551616"),
        (True, [0], r"run_seed: got True"),
        (1, [0, -3], r"indices: got -3, expected patient indices >= 0"),
        (1, [0.5], r"indices: .*1-D array of patient indices"),
    ],
)
def test_bad_seeds_and_indices_are_rejected(seed: int, indices: list[float], match: str) -> None:
    with pytest.raises(InputRangeError, match=match):
        patient_seeds(seed, indices)


@pytest.mark.property
@pytest.mark.parametrize(("lo", "hi"), [(-2.0, 2.0), (3.0, np.inf), (-np.inf, -4.0), (0.5, 0.6)])
def test_truncated_normal_stays_within_its_bounds_with_the_truncated_mean(lo: float, hi: float) -> None:
    u = uniform01(patient_seeds(5, np.arange(20_000)), [0])[:, 0]
    z = truncated_standard_normal(u, lo, hi)
    assert z.min() >= lo
    assert z.max() <= hi
    # truncated-normal mean (phi(lo) - phi(hi)) / (Phi(hi) - Phi(lo)); SE from the sample SD
    nd = statistics.NormalDist()
    mean = (nd.pdf(lo) - nd.pdf(hi)) / (nd.cdf(hi) - nd.cdf(lo))
    assert abs(z.mean() - mean) < 4 * z.std() / np.sqrt(z.size) + 1e-12


# ---- plans ------------------------------------------------------------------------------------


def test_probabilities_outside_zero_one_name_the_field_and_patient() -> None:
    good = Adherence.uniform(5)
    probs = good.missed_bolus_prob.copy()
    probs[3] = 1.2
    with pytest.raises(
        InputRangeError, match=r"Adherence\.missed_bolus_prob\[3\]: got 1\.2, expected a value in \[0, 1\]"
    ):
        Adherence(*(probs if f.name == "missed_bolus_prob" else getattr(good, f.name) for f in fields(good)))
    with pytest.raises(InputRangeError, match=r"MealPlan\.meal_prob\[0,3\]: got -0\.1"):
        MealPlan.typical(1, MealPrior(meal_prob=(1.0, 1.0, 1.0, -0.1)))
    with pytest.raises(InputRangeError, match=r"AdherencePrior\.basal_misser_fraction: got 1\.5"):
        AdherencePrior(basal_misser_fraction=1.5)
    with pytest.raises(InputRangeError, match=r"post_meal_fraction \+ mixed_timing_fraction"):
        AdherencePrior(post_meal_fraction=0.6, mixed_timing_fraction=0.6)


def test_inconsistent_plans_are_rejected() -> None:
    with pytest.raises(InputRangeError, match=r"MealPlan\.usual_time_min.*shape \(n_patients, 4\)"):
        MealPlan(*(np.zeros(4) for _ in range(5)))
    with pytest.raises(InputRangeError, match=r"Adherence: .*same number of patients"):
        Adherence(*(np.ones(3 if i == 2 else 4) for i in range(8)))
    with pytest.raises(InputRangeError, match=r"MealPlan\.usual_time_min\[0,0\].*within the day"):
        MealPlan.typical(1, MealPrior(usual_time_min=(60.0, 720.0, 1080.0, 900.0)))  # 01:00 - 2 x 60 min < 0
    with pytest.raises(InputRangeError, match=r"ActivityPlan\.usual_start_min\[0\].*within the day"):
        ActivityPlan.uniform(1, sessions_per_week=3, usual_start_min=1380.0, duration_min=60.0)
    with pytest.raises(
        InputRangeError, match=r"Adherence\.late_delay_min_hi\[0\]: got 10\.0, expected >= late_delay_min_lo"
    ):
        Adherence.uniform(1, late_delay_min=(30.0, 10.0))
    with pytest.raises(InputRangeError, match=r"n: got -1, expected an integer >= 0"):
        MealPlan.typical(-1)


@pytest.mark.property
def test_population_adherence_types_are_realised_within_binomial_tolerance() -> None:
    prior = AdherencePrior()
    adherence = draw_adherence(patient_seeds(3, np.arange(N)), prior)
    omitters = np.mean(adherence.missed_bolus_prob > 0)
    missers = np.mean(adherence.skipped_basal_prob > 0)
    always_late = np.mean(adherence.late_bolus_prob == 1.0)
    for realised, fraction in (
        (omitters, prior.bolus_omitter_fraction),  # GAPP 33.2 %
        (missers, prior.basal_misser_fraction),  # GAPP2 22 %
        (always_late, prior.post_meal_fraction),  # Schaper 2017 24 %
    ):
        assert abs(realised - fraction) < _binomial_tolerance(np.full(N, fraction))


def test_plans_of_a_subset_equal_the_same_patients_in_the_population() -> None:
    meals, adherence, activity, keys = _population(50)
    picked = np.array([3, 17, 42])
    for whole, part in (
        (meals, draw_meal_plan(keys[picked])),
        (adherence, draw_adherence(keys[picked])),
        (activity, draw_activity_plan(keys[picked])),
    ):
        taken = whole.take(picked)
        for f in fields(whole):
            np.testing.assert_array_equal(getattr(taken, f.name), getattr(part, f.name))


# ---- daily events -----------------------------------------------------------------------------


def test_events_have_the_documented_shapes_and_respect_their_bounds() -> None:
    meals, adherence, activity, keys = _population(300)
    ev = draw_days(meals, adherence, activity, DAYS, keys)
    n_events = DAYS * N_MEAL_SLOTS
    assert ev.meal_time_min.shape == (300, n_events)
    assert ev.basal_taken.shape == ev.activity_start_min.shape == (300, DAYS)
    clock = ev.meal_time_min - ev.meal_day * 1440
    slot = ev.meal_slot
    spread = 2 * meals.time_sd_min[:, slot]
    assert np.all(np.abs(clock - meals.usual_time_min[:, slot]) <= spread + 0.5)  # +/- 2 SD, rounded
    assert np.all((clock >= 0) & (clock < 1440))
    assert np.all(ev.carbs_g[~ev.meal_eaten] == 0.0)
    assert np.all(ev.carbs_g[ev.meal_eaten] > 0.0)
    assert not np.any(ev.bolus_taken & ~ev.meal_eaten)
    assert not np.any(ev.correction_used & ~ev.bolus_taken)
    late = ev.bolus_delay_min > 0
    assert np.all(ev.bolus_delay_min[~ev.bolus_taken] == 0)
    assert np.all((ev.bolus_delay_min[late] >= 15) & (ev.bolus_delay_min[late] <= 60))
    day_start = np.arange(DAYS) * 1440
    end = ev.activity_start_min + ev.activity_duration_min
    assert np.all(ev.activity_start_min >= day_start)
    assert np.all(end <= day_start + 1440)
    assert np.all((ev.activity_intensity > 0) == (ev.activity_duration_min > 0))


@pytest.mark.property
def test_events_do_not_depend_on_cohort_size_or_on_which_days_are_drawn_together() -> None:
    meals, adherence, activity, keys = _population(40)
    whole = draw_days(meals, adherence, activity, 7, keys)
    picked = np.array([0, 9, 39])
    part = draw_days(meals.take(picked), adherence.take(picked), activity.take(picked), 7, keys[picked])
    for f in fields(whole):
        value = getattr(whole, f.name)
        if isinstance(value, np.ndarray) and value.ndim == 2:
            np.testing.assert_array_equal(value[picked], getattr(part, f.name), err_msg=f.name)
    early = draw_days(meals, adherence, activity, 3, keys)
    late = draw_days(meals, adherence, activity, 4, keys, first_day=3)
    events, days = slice(0, 3 * N_MEAL_SLOTS), slice(0, 3)
    np.testing.assert_array_equal(early.meal_time_min, whole.meal_time_min[:, events])
    np.testing.assert_array_equal(late.announced_carbs_g, whole.announced_carbs_g[:, 3 * N_MEAL_SLOTS :])
    np.testing.assert_array_equal(early.basal_taken, whole.basal_taken[:, days])
    np.testing.assert_array_equal(late.activity_start_min, whole.activity_start_min[:, 3:])


def test_the_same_seeds_reproduce_the_days_and_other_seeds_change_them() -> None:
    meals, adherence, activity, keys = _population(20)
    _events_equal(
        draw_days(meals, adherence, activity, 3, keys), draw_days(meals, adherence, activity, 3, keys)
    )
    other = patient_seeds(12, np.arange(20))
    assert not np.array_equal(
        draw_days(meals, adherence, activity, 3, keys).carbs_g,
        draw_days(meals, adherence, activity, 3, other).carbs_g,
    )


@pytest.mark.property
def test_adherence_probabilities_are_realised_within_binomial_tolerance() -> None:
    keys = patient_seeds(21, np.arange(N))
    meals = MealPlan.typical(N)
    adherence = Adherence.uniform(
        N, missed_bolus_prob=0.1, late_bolus_prob=0.3, skipped_basal_prob=0.05, correction_prob=0.6
    )
    activity = ActivityPlan.uniform(N, sessions_per_week=3.0)
    ev = draw_days(meals, adherence, activity, DAYS, keys)
    eaten = ev.meal_eaten
    checks = (
        (1.0 - ev.bolus_taken[eaten].mean(), 0.1, eaten.sum()),
        ((ev.bolus_delay_min[ev.bolus_taken] > 0).mean(), 0.3, ev.bolus_taken.sum()),
        (ev.correction_used[ev.bolus_taken].mean(), 0.6, ev.bolus_taken.sum()),
        (1.0 - ev.basal_taken.mean(), 0.05, ev.basal_taken.size),
        ((ev.activity_duration_min > 0).mean(), 3.0 / 7.0, ev.basal_taken.size),
        (eaten[:, ev.meal_slot == MealSlot.SNACK].mean(), 0.3, N * DAYS),  # simglucose snack probability
        (eaten[:, ev.meal_slot == MealSlot.LUNCH].mean(), 0.95, N * DAYS),
    )
    for realised, p, count in checks:
        assert abs(realised - p) < _binomial_tolerance(np.full(int(count), p)), (realised, p)


@pytest.mark.property
def test_meal_sizes_and_carb_counting_keep_their_means() -> None:
    keys = patient_seeds(4, np.arange(N))
    meals = MealPlan.typical(N)
    adherence = Adherence.uniform(N, carb_bias=0.85, carb_count_cv=0.2)
    ev = draw_days(meals, adherence, ActivityPlan.uniform(N), DAYS, keys)
    for slot in MealSlot:
        grams = ev.carbs_g[:, ev.meal_slot == slot][ev.meal_eaten[:, ev.meal_slot == slot]]
        # log-normal day-to-day variation is mean-preserving: E[carbs] = the plan's mean
        assert abs(grams.mean() - meals.carbs_g[0, slot]) < 4 * grams.std() / np.sqrt(grams.size)
    ratio = ev.announced_carbs_g[ev.meal_eaten] / ev.carbs_g[ev.meal_eaten]
    assert abs(ratio.mean() - 0.85) < 4 * ratio.std() / np.sqrt(ratio.size)  # counting noise is mean-one
    exact = draw_days(meals, Adherence.uniform(N), ActivityPlan.uniform(N), 2, keys)
    np.testing.assert_allclose(exact.announced_carbs_g, exact.carbs_g, rtol=1e-15)


def test_perfect_adherence_takes_every_bolus_on_time_and_every_basal() -> None:
    keys = patient_seeds(8, np.arange(10))
    ev = draw_days(MealPlan.typical(10), Adherence.uniform(10), ActivityPlan.uniform(10), 5, keys)
    np.testing.assert_array_equal(ev.bolus_taken, ev.meal_eaten)
    assert np.all(ev.bolus_delay_min == 0)
    assert np.all(ev.basal_taken)
    assert np.all(ev.activity_duration_min == 0)


def test_draw_days_rejects_bad_inputs() -> None:
    meals, adherence, activity, keys = _population(5)
    with pytest.raises(InputRangeError, match=r"n_days: got -1, expected an integer >= 0"):
        draw_days(meals, adherence, activity, -1, keys)
    with pytest.raises(InputRangeError, match=r"draw_days: .*'seeds': 4.*same number of patients"):
        draw_days(meals, adherence, activity, 2, keys[:4])
    with pytest.raises(InputRangeError, match=r"first_day: got -2"):
        draw_days(meals, adherence, activity, 2, keys, first_day=-2)


# ---- minute grid ------------------------------------------------------------------------------


def test_the_minute_grid_conserves_carbohydrate_boluses_and_exercise() -> None:
    meals, adherence, activity, keys = _population(200)
    ev = draw_days(meals, adherence, activity, 3, keys)
    grid = to_minute_grid(ev, 3 * 1440)
    assert all(g.shape == (200, 3 * 1440) for g in grid.values())
    np.testing.assert_allclose(grid["carbs_g_per_min"].sum(axis=1), ev.carbs_g.sum(axis=1), rtol=1e-12)
    announced = np.where(ev.bolus_taken, ev.announced_carbs_g, 0.0).sum(axis=1)
    np.testing.assert_allclose(grid["bolus_carbs_g"].sum(axis=1), announced, rtol=1e-12)
    exercise = (ev.activity_intensity * ev.activity_duration_min).sum(axis=1)
    np.testing.assert_allclose(grid["activity_intensity"].sum(axis=1), exercise, rtol=1e-12)
    assert set(np.unique(grid["bolus_correction"])) <= {0.0, 1.0}
    i, j = np.nonzero(ev.activity_duration_min)
    k = 0
    minute = ev.activity_start_min[i[k], j[k]]
    assert grid["activity_intensity"][i[k], minute] == ev.activity_intensity[i[k], j[k]]
    assert grid["activity_intensity"][i[k], minute - 1] == 0.0


def test_the_grid_builds_only_the_signals_asked_for() -> None:
    meals, adherence, activity, keys = _population(20)
    ev = draw_days(meals, adherence, activity, 2, keys)
    whole = to_minute_grid(ev, 2 * 1440)
    some = to_minute_grid(ev, 2 * 1440, signals=("activity_intensity", "carbs_g_per_min"))
    assert list(some) == ["activity_intensity", "carbs_g_per_min"]
    for name, values in some.items():
        np.testing.assert_array_equal(values, whole[name], err_msg=name)
    with pytest.raises(InputRangeError) as err:
        to_minute_grid(ev, 1440, signals=("insulin",))
    assert err.value.field == "signals"


@pytest.mark.property
def test_a_window_of_the_grid_equals_the_same_minutes_of_the_whole_grid() -> None:
    meals, adherence, activity, keys = _population(100)
    ev = draw_days(meals, adherence, activity, 3, keys)
    whole = to_minute_grid(ev, 3 * 1440)
    # a window starting mid-afternoon cuts sessions in two
    window = to_minute_grid(ev, 1000, t0_min=1440 + 1000)
    for name, values in window.items():
        np.testing.assert_array_equal(values, whole[name][:, 2440:3440], err_msg=name)
