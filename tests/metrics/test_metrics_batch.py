"""The batched metric table equals the per-patient reference, patient by patient.

``metric_table`` (t2pump.metrics.batch) computes the full metric set for every patient of a shared
clock at once; ``metric_row`` computes it for one patient with the single-subject functions, which
reproduce iglu 4.3.0 (test_metrics_iglu_reference.py). The batched path adds in another order only
where a sum has non-integer terms, so those keys are compared at 1e-12 relative (observed <= 5e-16)
or 1e-10 absolute (a value that is 0 in exact arithmetic, e.g. the SD of equal non-integer
readings, is 0 or ~1e-15 depending on the order); every other key (counts, shares, quantiles, wear,
MAGE, MODD, CONGA, episodes) must be equal to the last bit.

Data: the iglu synthetic dev set on one clock (20 subjects, seconds jitter, 5- and 15-min sensors:
every grid point is interpolated off the clock), a scenario cohort with the edge cases named in
``scenario_cohort``, and Hypothesis-generated traces.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from test_metrics_iglu_reference import cohort, subjects

from t2pump.errors import InputRangeError
from t2pump.metrics import batch
from t2pump.metrics._exact import runs_by_length, window_sums
from t2pump.metrics.batch import TABLE_KEYS, metric_row, metric_table
from t2pump.metrics.cohort_grid import cohort_grid, sampling_intervals_min
from t2pump.metrics.episodes import EpisodeClass, EpisodeCriteria, episode_counts, episode_summaries
from t2pump.metrics.grid import interpolation_grid

FloatArray = NDArray[np.float64]

ROUNDED_KEYS = {"mean", "sd", "cv", "gmi", "ea1c", "lbgi", "hbgi", "j_index", "adrr", "m_value", "mag", "auc"}
ROUNDED_KEYS |= {"grade", "grade_hypo", "grade_eugly", "grade_hyper"}
REL, ABS = 1e-12, 1e-10


def assert_table_equals_rows(t: FloatArray, g: FloatArray) -> dict[str, FloatArray]:
    table = metric_table(t, g)
    assert tuple(table) == TABLE_KEYS
    for i in range(g.shape[0]):
        row = metric_row(t, g[i])
        for key in TABLE_KEYS:
            got, want = float(table[key][i]), row[key]
            if key in ROUNDED_KEYS:
                assert got == pytest.approx(want, rel=REL, abs=ABS, nan_ok=True), (i, key)
            else:
                assert got == want or (math.isnan(got) and math.isnan(want)), (i, key, got, want)
    return table


# ---- reference data --------------------------------------------------------------------------------


@pytest.mark.reference
def test_iglu_dev_set_on_one_clock() -> None:
    t, g = cohort()
    table = assert_table_equals_rows(t, g)
    assert np.all(np.isfinite(table["mage"]))  # every subject has MAGE: the comparison is not vacuous


def test_grid_of_each_patient_is_its_interpolation_grid() -> None:
    t, g = cohort()
    dt0 = sampling_intervals_min(t, g)
    for step in (5, 15):
        grid = cohort_grid(t, g, step)
        for i, s in enumerate(subjects()):
            ref = interpolation_grid(s.time_min, s.glucose_mgdl, dt0_min=step)
            got = grid.patient(i)
            assert (got.first_day, got.dt0_min) == (ref.first_day, ref.dt0_min)
            assert np.array_equal(got.glucose_mgdl, ref.glucose_mgdl, equal_nan=True), s.id
            if step == 5:
                assert dt0[i] == interpolation_grid(s.time_min, s.glucose_mgdl).dt0_min


@pytest.mark.parametrize(
    "criteria", [EpisodeCriteria(), EpisodeCriteria(dur_length_min=20.0, end_length_min=30.0)]
)
def test_episode_counts_equal_episode_summaries(criteria: EpisodeCriteria) -> None:
    t, g = cohort()
    grid = cohort_grid(t, g, 5)
    counts = episode_counts(grid.glucose_mgdl, 5, criteria)
    halves = [episode_counts(grid.glucose_mgdl[part], 5, criteria) for part in (slice(0, 10), slice(10, 20))]
    total = 0
    for i in range(g.shape[0]):
        ref = episode_summaries(grid.patient(i), criteria)
        for cls, n in counts.items():
            assert n[i] == ref[cls].total_episodes == halves[i // 10][cls][i % 10], (i, cls)
            total += int(n[i])
    assert total > 0


# ---- scenarios ----------------------------------------------------------------------------------------

DAY = 1440.0


def scenario_cohort() -> tuple[FloatArray, FloatArray]:
    """Four days of a 5-min clock (readings at midnight open the grid's first day) and patients:

    0 steady type 2 profile; 1 two gaps of 50 min and one of 4 h (grid holes; MAGE segments);
    2 no reading; 3 one reading; 4 two readings; 5 a 15-min sensor (another grid step);
    6 hourly readings (dt0 > 45 min: no grid metrics); 7 mmol/L converted (not whole mg/dL);
    8 constant 120 mg/dL (SD 0: no MAGE); 9 nocturnal hypos < 54 and a 3-h stay > 250;
    10 readings of 12 mg/dL (below 18 mg/dL GRADE is undefined and left out);
    11 a reading only on day 3 and day 4 afternoons (leading missing days).
    """
    t = np.arange(0.0, 4 * DAY, 5.0)
    tod = t % DAY
    base = 140.0 + 45.0 * np.sin(2 * np.pi * tod / DAY) + 35.0 * np.sin(2 * np.pi * t / 170.0)
    g = np.full((12, t.shape[0]), np.nan)
    g[0] = np.round(base)
    g[1] = np.round(base + 10.0)
    for a, b in ((300.0, 350.0), (1700.0, 1750.0), (3000.0, 3240.0)):
        g[1, (t > a) & (t < b)] = np.nan
    g[3, 100] = 150.0
    g[4, [100, 400]] = (150.0, 160.0)
    g[5, ::3] = np.round(base[::3] - 5.0)
    g[6, ::12] = np.round(base[::12])
    g[7] = np.round(base / 18.0, 1) * 18.0156
    g[8] = 120.0
    g[9] = np.round(base + 20.0)
    night = (tod > 120.0) & (tod < 180.0)
    g[9, night] = 48.0 + (t[night] % 10.0)
    hyper = (t > 2 * DAY + 600.0) & (t < 2 * DAY + 780.0)
    g[9, hyper] = 260.0 + (t[hyper] % 30.0)
    g[10] = np.round(base)
    g[10, 50:60] = 12.0
    g[11, (t > 2 * DAY + 720.0) & (t < 2 * DAY + 1000.0)] = 150.0 + (
        t[(t > 2 * DAY + 720.0) & (t < 2 * DAY + 1000.0)] % 40
    )
    g[11, (t > 3 * DAY + 720.0) & (t < 3 * DAY + 1000.0)] = 130.0
    return t, g


@pytest.mark.scenario
def test_scenario_cohort() -> None:
    t, g = scenario_cohort()
    table = assert_table_equals_rows(t, g)
    assert table["n_readings"][2] == 0
    assert math.isnan(table["mean"][2])
    assert table["n_readings"][3] == 1
    assert math.isnan(table["mage"][3])
    assert math.isnan(table["modd"][6])
    assert not math.isnan(table["active_percent"][6])
    assert table["episodes_hypo_lv2"][9] >= 3
    assert table["episodes_hyper_extended"][9] == 1
    assert 0.0 < table["grade"][10] < 50.0


def test_results_do_not_depend_on_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    t, g = scenario_cohort()
    whole = metric_table(t, g)
    monkeypatch.setattr(batch, "_BLOCK_READINGS", 1)  # one patient per block
    for key, value in metric_table(t, g).items():
        assert np.array_equal(value, whole[key], equal_nan=True), key
    alone = [metric_table(t, g[i : i + 1]) for i in range(g.shape[0])]
    for key, value in whole.items():
        assert np.array_equal(value, np.concatenate([a[key] for a in alone]), equal_nan=True), key


def test_asking_for_some_keys_gives_the_same_numbers() -> None:
    t, g = scenario_cohort()
    whole = metric_table(t, g)
    some = metric_table(t, g, keys=("mage", "mean", "conga_24"))
    assert tuple(some) == ("mean", "mage", "conga_24")
    for key, value in some.items():
        assert np.array_equal(value, whole[key], equal_nan=True), key
    assert tuple(metric_row(t, g[0], ("mean",))) == ("mean",)


def test_a_clock_that_is_not_strictly_increasing_goes_patient_by_patient() -> None:
    t, g = scenario_cohort()
    t2 = t.copy()
    t2[10] = t2[9]  # two readings at the same time: iglu's per-patient rules apply
    table = metric_table(t2, g[:2])
    for i in range(2):
        row = metric_row(t2, g[i])
        for key in TABLE_KEYS:
            assert table[key][i] == row[key] or (math.isnan(table[key][i]) and math.isnan(row[key])), key


def test_bad_inputs_are_named() -> None:
    t, g = scenario_cohort()
    with pytest.raises(InputRangeError, match="keys"):
        metric_table(t, g, keys=("mean", "conga_1"))
    with pytest.raises(InputRangeError, match="glucose_mgdl"):
        metric_table(t, g[None])
    with pytest.raises(InputRangeError, match="dt0_min"):
        cohort_grid(t, g, 60)
    with pytest.raises(InputRangeError, match="time_min"):
        cohort_grid(t[::-1], g, 5)
    with pytest.raises(InputRangeError, match="classes"):
        episode_counts(g, 5, classes=(EpisodeClass.HYPO_LV1_EXCL,))


# ---- the exact-order sums the batched MAGE relies on ---------------------------------------------------


@pytest.mark.parametrize("width", [1, 2, 5, 7, 8, 9, 16, 31, 32, 33, 100, 128, 129])
def test_window_sums_add_in_numpys_order(width: int) -> None:
    rng = np.random.default_rng(width)
    x = rng.uniform(40.0, 400.0, 2000) * rng.choice([1.0, 1e-3, 1e4], 2000)
    x[rng.random(2000) < 0.1] = 0.0
    windows = np.lib.stride_tricks.sliding_window_view(x, width)
    assert np.array_equal(window_sums(x, width), np.sum(windows, axis=-1))


def test_row_sums_equal_each_run_summed_alone() -> None:
    rng = np.random.default_rng(7)
    x = rng.uniform(40.0, 400.0, 50_000) * rng.choice([1.0, 1e-3, 1e4], 50_000)
    lengths = rng.integers(0, 3000, 30)
    starts = rng.integers(0, 47_000, 30)
    seen = 0
    for members, index in runs_by_length(starts, lengths):
        sums = np.sum(x[index], axis=-1)
        for m, s in zip(members, sums, strict=True):
            assert s == np.sum(x[starts[m] : starts[m] + lengths[m]])
            seen += 1
    assert seen == int(np.sum(lengths > 0))


# ---- generated traces -----------------------------------------------------------------------------------


@st.composite
def traces(draw: st.DrawFn) -> tuple[FloatArray, FloatArray]:
    """A clock of 40-400 steps (mostly 5 min; 1-, 15- and 60-min steps and seconds offsets mixed
    in) and 1-4 patients: fractional, whole or 10-mg/dL-step values (plateaus and ties), random
    missing readings and missing runs."""
    n = draw(st.integers(40, 400))
    steps = draw(
        st.lists(st.sampled_from([5.0, 5.0, 5.0, 5.0, 1.0, 15.0, 60.0, 299 / 60]), min_size=n, max_size=n)
    )
    t = np.cumsum(steps) + draw(st.sampled_from([0.0, 1435.0, 2.5]))
    n_pat = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    level = rng.uniform(60.0, 250.0, (n_pat, 1))
    g = level + np.cumsum(rng.normal(0.0, 6.0, (n_pat, n)), axis=1)
    g = np.clip(g, 40.0, 400.0)
    quantum = draw(st.sampled_from([0.0, 1.0, 1.0, 10.0]))  # coarse steps: plateaus and ties
    if quantum:
        g = np.round(g / quantum) * quantum
    missing = rng.random((n_pat, n)) < draw(st.sampled_from([0.0, 0.05, 0.5]))
    for _ in range(draw(st.integers(0, 3))):
        a = int(rng.integers(0, n))
        missing[int(rng.integers(0, n_pat)), a : a + int(rng.integers(1, 60))] = True
    return t, np.where(missing, np.nan, g)


@pytest.mark.property
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trace=traces())
def test_generated_traces(trace: tuple[FloatArray, FloatArray]) -> None:
    t, g = trace
    with warnings.catch_warnings():
        # both paths warn alike when a grid step does not divide the 15-min episode duration
        warnings.filterwarnings("ignore", message="episode duration", category=UserWarning)
        assert_table_equals_rows(t, g)
