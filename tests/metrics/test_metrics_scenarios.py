"""Named clinical situations: episodes, MAGE, AGP and variability on hand-built CGM days.

Readings are every 5 min from 00:05, so iglu's grid holds the readings themselves and each
expected number below follows from the definition (Battelino 2023 events, Service's MAGE, the
AGP percentiles) by counting, not from the code.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from t2pump.metrics import (
    EpisodeClass,
    EpisodeCriteria,
    MageDirection,
    agp_profile,
    auc_hourly_iglu_mgdl,
    conga_mgdl,
    daily_profiles,
    episode_summaries,
    find_episodes,
    gvp_percent,
    interpolation_grid,
    mag_mgdl_per_h,
    mage_mgdl,
    modd_mgdl,
    sd_roc_mgdl_per_min,
)
from t2pump.metrics.grid import GlucoseGrid

pytestmark = pytest.mark.scenario

BASE_MGDL = 120.0


def _day(*events: tuple[int, int, float], days: int = 1) -> GlucoseGrid:
    """``days`` of 5-min readings at 120 mg/dL from 00:05, with (start point, n points, value) events."""
    t = np.arange(5.0, days * 1440.0 + 1.0, 5.0)
    g = np.full(t.shape, BASE_MGDL)
    for start, n, value in events:
        g[start : start + n] = value
    return interpolation_grid(t, g)


def _count(grid: GlucoseGrid, cls: EpisodeClass) -> int:
    return episode_summaries(grid)[cls].total_episodes


def test_fifteen_minutes_below_70_is_a_level_1_hypoglycaemia() -> None:
    grid = _day((100, 3, 65.0))
    eps = find_episodes(grid)[EpisodeClass.HYPO_LV1]
    assert [(e.duration_min, e.mean_glucose_mgdl) for e in eps] == [(15.0, 65.0)]
    assert eps[0].start_min == (100 + 1) * 5.0
    summary = episode_summaries(grid)[EpisodeClass.HYPO_LV1]
    assert summary.episodes_per_day == pytest.approx(1.0, rel=1e-15)  # one episode in one day of data


def test_ten_minutes_below_70_is_not_an_episode() -> None:
    assert _count(_day((100, 2, 65.0)), EpisodeClass.HYPO_LV1) == 0


def test_a_ten_minute_return_above_70_does_not_end_the_episode() -> None:
    grid = _day((100, 4, 60.0), (104, 2, 75.0), (106, 3, 60.0))
    eps = find_episodes(grid)[EpisodeClass.HYPO_LV1]
    assert [e.duration_min for e in eps] == [45.0]
    assert eps[0].mean_glucose_mgdl == pytest.approx((7 * 60.0 + 2 * 75.0) / 9, rel=1e-15)


def test_fifteen_minutes_back_above_70_ends_it_and_a_new_dip_is_a_new_episode() -> None:
    grid = _day((100, 4, 60.0), (104, 3, 75.0), (107, 3, 60.0))
    assert [e.duration_min for e in find_episodes(grid)[EpisodeClass.HYPO_LV1]] == [20.0, 15.0]


def test_level_2_is_inside_level_1_and_not_exclusive() -> None:
    grid = _day((50, 3, 50.0), (150, 3, 65.0))
    s = episode_summaries(grid)
    assert s[EpisodeClass.HYPO_LV1].total_episodes == 2
    assert s[EpisodeClass.HYPO_LV2].total_episodes == 1
    assert s[EpisodeClass.HYPO_LV1_EXCL].total_episodes == 1
    assert s[EpisodeClass.HYPO_LV1_EXCL].mean_glucose_mgdl == 65.0


def test_extended_hypoglycaemia_needs_more_than_120_minutes() -> None:
    assert _count(_day((50, 24, 65.0)), EpisodeClass.HYPO_EXTENDED) == 0  # 120 min
    assert _count(_day((50, 25, 65.0)), EpisodeClass.HYPO_EXTENDED) == 1  # 125 min


def test_hyperglycaemia_levels_use_strict_thresholds() -> None:
    grid = _day((20, 3, 180.0), (60, 3, 181.0), (120, 3, 251.0))
    s = episode_summaries(grid)
    assert s[EpisodeClass.HYPER_LV1].total_episodes == 2  # 180 is not above 180
    assert s[EpisodeClass.HYPER_LV2].total_episodes == 1
    assert s[EpisodeClass.HYPER_LV1_EXCL].total_episodes == 1


def test_a_gap_longer_than_45_min_splits_an_episode() -> None:
    t = np.concatenate((np.arange(5.0, 305.0, 5.0), np.arange(365.0, 1441.0, 5.0)))
    g = np.full(t.shape, BASE_MGDL)
    g[(t >= 290) & (t <= 300)] = 60.0  # 15 min low, then 60 min without readings, then 15 min low
    g[(t >= 365) & (t <= 375)] = 60.0
    assert _count(interpolation_grid(t, g), EpisodeClass.HYPO_LV1) == 2


def test_no_episode_gives_zero_counts_and_no_mean_glucose() -> None:
    s = episode_summaries(_day())[EpisodeClass.HYPER_LV2]
    assert (s.total_episodes, s.episodes_per_day, s.mean_duration_min) == (0, 0.0, 0.0)
    assert math.isnan(s.mean_glucose_mgdl)


def test_episode_duration_not_a_multiple_of_the_step_is_rounded_up_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="using 20 min"):
        s = episode_summaries(_day((100, 3, 65.0)), EpisodeCriteria(dur_length_min=17.0))
    assert s[EpisodeClass.HYPO_LV1].total_episodes == 0  # needs 4 points now


def test_regular_six_hour_swings_of_100_mgdl_give_mage_100() -> None:
    # From a nadir of 100 to peaks of 200 every 6 h for 2 days: every excursion is 100 mg/dL (> 1 SD).
    t = np.arange(5.0, 2 * 1440.0 + 6.0, 5.0)
    g = 150.0 - 50.0 * np.cos(2.0 * np.pi * (t - 5.0) / 360.0)
    for direction in MageDirection:
        assert mage_mgdl(t, g, direction=direction) == pytest.approx(100.0, rel=1e-12)


def test_mage_is_nan_on_a_flat_trace() -> None:
    t = np.arange(5.0, 1441.0, 5.0)
    assert math.isnan(mage_mgdl(t, np.full(t.shape, 120.0)))


def test_identical_days_have_no_day_to_day_variability() -> None:
    t = np.arange(5.0, 3 * 1440.0 + 1.0, 5.0)
    g = 140.0 + 40.0 * np.sin(2.0 * np.pi * t / 1440.0)
    grid = interpolation_grid(t, g)
    assert modd_mgdl(grid) == pytest.approx(0.0, abs=1e-9)
    assert conga_mgdl(grid, lag_h=24) == pytest.approx(0.0, abs=1e-9)
    assert conga_mgdl(grid, lag_h=1) > 0.0
    agp = agp_profile(grid)
    assert agp.n_days.tolist() == [3] * 288
    for row in agp.glucose_mgdl:  # every percentile is the common day
        np.testing.assert_allclose(row, grid.glucose_mgdl[0], rtol=1e-12)


def test_a_steady_ramp_has_mag_equal_to_its_slope() -> None:
    t = np.arange(5.0, 1441.0, 5.0)
    grid = interpolation_grid(t, 100.0 + 0.1 * t)  # 0.1 mg/dL/min = 6 mg/dL/h
    assert mag_mgdl_per_h(grid) == pytest.approx(6.0, rel=1e-12)
    assert mag_mgdl_per_h(grid, n_min=60) == pytest.approx(6.0, rel=1e-12)
    assert sd_roc_mgdl_per_min(grid) == pytest.approx(0.0, abs=1e-12)


def test_flat_glucose_has_zero_gvp_and_auc_equal_to_the_level() -> None:
    grid = _day(days=2)
    assert gvp_percent(grid) == 0.0
    assert auc_hourly_iglu_mgdl(grid) == pytest.approx(BASE_MGDL, rel=1e-15)


def test_daily_profiles_keep_the_last_days_with_data() -> None:
    grid = _day(days=3)
    daily = daily_profiles(grid, max_days=2)
    assert daily.day.tolist() == [1, 2]
    assert daily.glucose_mgdl.shape == (2, 288)
