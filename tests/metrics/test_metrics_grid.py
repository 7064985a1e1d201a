"""Unit tests of iglu's interpolation grid (CGMS2DayByDay), the clock helpers and CGM wear.

Each test states one rule of t2pump.metrics.grid / wear with a small hand-made trace whose
expected grid or percentage is worked out in the test from the rule, not from the code.
"""

from __future__ import annotations

import numpy as np
import pytest

from t2pump.errors import InputRangeError
from t2pump.metrics import (
    active_percent,
    active_percent_window,
    data_sufficiency,
    interpolation_grid,
    minutes_since_midnight,
    sampling_interval_min,
    sleep_mask,
    wear_days,
)
from t2pump.metrics.clock import grid_step_min


def _regular(start_min: float, end_min: float, step_min: float = 5.0) -> np.ndarray:
    return np.arange(start_min, end_min + step_min / 2, step_min)


def test_grid_runs_from_dt0_after_midnight_to_the_next_midnight() -> None:
    t = _regular(8 * 60 + 2.5, 20 * 60 + 2.5)  # 08:02:30 to 20:02:30, day 0
    grid = interpolation_grid(t, 100.0 + t / 10.0)
    assert grid.dt0_min == 5
    assert grid.glucose_mgdl.shape == (2, 288)  # ceil(0.5 day + 1): iglu adds an empty day
    assert grid.minute_of_day[0] == 5.0
    assert grid.minute_of_day[-1] == 1440.0
    # Before the first and after the last reading nothing is extrapolated.
    assert np.isnan(grid.glucose_mgdl[0, : 8 * 12]).all()  # 00:05 ... 08:00
    assert np.isnan(grid.glucose_mgdl[0, 20 * 12 + 1 :]).all()  # 20:05 ... 24:00
    assert np.isnan(grid.glucose_mgdl[1]).all()
    # 08:05 lies halfway between readings at 08:02:30 and 08:07:30: the line gives 100 + 485 / 10.
    assert grid.glucose_mgdl[0, 8 * 12] == pytest.approx(100.0 + 485.0 / 10.0, rel=1e-15)


def test_interpolation_lands_exactly_on_a_threshold_between_whole_second_readings() -> None:
    # Readings at 10:02:17 and 10:07:17 with 170 and 190; at 10:04:47 the line is exactly 180.
    t, _ = minutes_since_midnight(np.array(["2024-01-01 10:02:17", "2024-01-01 10:07:17"], "datetime64[s]"))
    t = np.concatenate(([t[0] - 0.5], t))  # a reading 30 s earlier keeps the median interval at 5 min
    grid = interpolation_grid(t, [170.0, 170.0, 190.0], dt0_min=5)
    assert grid.time_min[10 * 12] == 605.0  # 10:05
    # 10:05 is 2 min 43 s after 10:02:17 -> 170 + 20 x 163/300, computed as R does (no 1-ulp drift).
    assert grid.flat[10 * 12] == 170.0 + 20.0 * (163.0 / 300.0)


def test_no_interpolation_across_gaps_longer_than_45_min_but_45_min_exactly_is_interpolated() -> None:
    t = np.concatenate((_regular(60, 120), [165.0], _regular(165 + 45 + 1 / 60, 300)))
    grid = interpolation_grid(t, np.full(t.shape, 100.0))
    flat, times = grid.flat, grid.time_min
    across_45 = (times > 120) & (times < 165)
    across_46 = (times > 165) & (times < 165 + 45 + 1 / 60)
    assert np.all(flat[across_45] == 100.0)  # 45 min 00 s: interpolated (strictly greater is a gap)
    assert np.isnan(flat[across_46]).all()  # 45 min 01 s: left missing
    assert flat[times == 165.0] == 100.0  # a reading on the grid keeps its value at a gap's edge


def test_days_are_ceil_span_plus_one_which_can_add_an_empty_trailing_day() -> None:
    t = np.array([600.0, 605.0, 1440.0 + 600.0, 1440.0 + 601.0])  # 10:00 day 0 -> 10:01 day 1
    grid = interpolation_grid(t, [100.0, 100.0, 100.0, 100.0], dt0_min=5)
    assert grid.n_days == 3  # ceil(1 day 1 min + 1 day)
    assert np.isnan(grid.glucose_mgdl[2]).all()


def test_grid_days_follow_the_first_reading_date() -> None:
    t = _regular(3 * 1440 + 100, 3 * 1440 + 200)  # all readings on day 3
    grid = interpolation_grid(t, np.full(t.shape, 120.0))
    assert grid.first_day == 3
    assert grid.time_min[0] == 3 * 1440 + 5


@pytest.mark.parametrize(
    ("interval_min", "dt0_min"),
    [(5.0, 5), (5.4, 5), (15.0, 15), (7.0, 5), (8.0, 8), (13.0, 15), (25.0, 20), (30.0, 30)],
)
def test_grid_step_is_the_rounded_median_interval_adjusted_to_divide_a_day(
    interval_min: float, dt0_min: int
) -> None:
    t = np.arange(0.0, 50 * interval_min, interval_min) + 3.0
    assert interpolation_grid(t, np.full(t.shape, 100.0)).dt0_min == dt0_min


def test_uneven_step_rules() -> None:
    assert [grid_step_min(d) for d in (5, 7, 8, 11, 13, 14, 16, 19, 21, 45, 50)] == [
        5,
        5,
        8,
        10,
        15,
        15,
        16,
        20,
        20,
        45,
        20,
    ]


def test_median_interval_rounds_half_to_even_as_r() -> None:
    assert sampling_interval_min([0.0, 2.5, 5.0]) == 2
    assert sampling_interval_min([0.0, 3.5, 7.0]) == 4


def test_repeated_time_keeps_the_last_reading_and_order_does_not_matter() -> None:
    t = np.array([0.0, 5.0, 10.0, 10.0, 15.0, 20.0])
    g = np.array([100.0, 100.0, 50.0, 200.0, 200.0, 200.0])
    grid = interpolation_grid(t, g)
    assert grid.flat[1] == 200.0  # 00:10 takes the later of the two readings
    shuffled = interpolation_grid(t[[5, 0, 4, 1, 2, 3]], g[[5, 0, 4, 1, 2, 3]])
    np.testing.assert_array_equal(shuffled.glucose_mgdl, grid.glucose_mgdl)


def test_step_longer_than_inter_gap_is_an_error() -> None:
    t = np.arange(0.0, 600.0, 60.0)
    with pytest.raises(InputRangeError, match="dt0_min: got 60"):
        interpolation_grid(t, np.full(t.shape, 100.0))


def test_minutes_since_midnight_uses_the_first_date() -> None:
    t, day0 = minutes_since_midnight(["2024-08-25 09:14:56", "2024-08-26 00:00:00"])
    assert day0 == np.datetime64("2024-08-25")
    assert t.tolist() == [9 * 60 + 14 + 56 / 60, 1440.0]


def test_sleep_mask_is_midnight_to_six_and_wraps_when_asked() -> None:
    t = np.array([0.0, 359.9, 360.0, 1439.0, 1440.0 + 30.0])
    assert sleep_mask(t).tolist() == [True, True, False, False, True]
    assert sleep_mask(t, start_h=22, end_h=6).tolist() == [True, True, False, True, True]


def test_active_percent_counts_missing_readings_in_gaps() -> None:
    # 10 h of 5-min readings with one 60-min interval: 121 expected readings, (60 - 5) / 5 = 11 missing.
    t = np.concatenate((_regular(0, 300), _regular(360, 600)))
    assert active_percent(t, np.full(t.shape, 100.0)) == pytest.approx(100.0 * (121 - 11) / 121, rel=1e-15)
    assert wear_days(t, np.full(t.shape, 100.0)) == pytest.approx(600.0 / 1440.0, rel=1e-15)


def test_missing_values_are_not_readings() -> None:
    t = _regular(0, 600)
    g = np.full(t.shape, 100.0)
    g[10:22] = np.nan  # an hour without values: as if the readings were absent
    keep = ~np.isnan(g)
    assert active_percent(t, g) == active_percent(t[keep], g[keep]) < 100.0


def test_window_active_percent_is_readings_over_possible_in_the_last_days() -> None:
    t = _regular(0, 14 * 1440 - 5)  # 14 full days of 5-min readings: 4032 readings
    g = np.full(t.shape, 120.0)
    assert active_percent_window(t, g, window_days=14) == pytest.approx(100.0, rel=1e-15)
    assert active_percent_window(t, g, window_days=28) == pytest.approx(50.0, rel=1e-15)


def test_consensus_sufficiency_needs_14_days_and_70_percent() -> None:
    t = _regular(0, 14 * 1440 - 5)  # 00:00 day 0 to 23:55 day 13: 14 full days
    g = np.full(t.shape, 120.0)
    full = data_sufficiency(t, g)
    assert full.sufficient
    assert full.days_covered == pytest.approx(14.0, rel=1e-15)
    short = t < 13 * 1440
    assert not data_sufficiency(t[short], g[short]).sufficient  # 13 days only
    sparse = g.copy()
    sparse[(np.arange(t.shape[0]) % 10) >= 6] = np.nan  # 60 % of readings, the first and last kept
    result = data_sufficiency(t, sparse)
    assert not result.sufficient
    assert result.window_active_percent == pytest.approx(60.0, abs=0.1)
