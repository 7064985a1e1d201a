"""Unit tests: input errors name the field, the value and what was expected; edge cases."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from t2pump.errors import InputRangeError
from t2pump.metrics import (
    GlucoseGrid,
    GriZone,
    conga_mgdl,
    gri_zone,
    interpolation_grid,
    lbgi,
    mag_mgdl_per_h,
    mage_mgdl,
    mean_glucose_mgdl,
    percent_below,
    percent_in_range,
    quantiles_glucose_mgdl,
    sd_glucose_mgdl,
    time_in_ranges,
)


def _grid() -> GlucoseGrid:
    t = np.arange(5.0, 1441.0, 5.0)
    return interpolation_grid(t, np.full(t.shape, 120.0))


def test_negative_glucose_is_refused_with_its_index() -> None:
    with pytest.raises(
        InputRangeError, match=r"glucose_mgdl\[2\]: got -5.0, expected a positive finite glucose"
    ):
        mean_glucose_mgdl([100.0, 110.0, -5.0])
    with pytest.raises(InputRangeError, match=r"glucose_mgdl\[1,0\]"):
        lbgi([[100.0, 110.0], [np.inf, 90.0]])


def test_time_must_match_the_readings() -> None:
    with pytest.raises(
        InputRangeError, match="time_min: got 'shape \\(2,\\)', expected a 1-D array of 3 times"
    ):
        interpolation_grid([0.0, 5.0], [100.0, 110.0, 120.0])


def test_a_grid_needs_two_readings() -> None:
    with pytest.raises(InputRangeError, match="at least 2 readings"):
        interpolation_grid([0.0, 5.0], [100.0, np.nan])


def test_conga_lag_must_be_a_positive_whole_number_of_hours() -> None:
    with pytest.raises(InputRangeError, match="lag_h: got 0"):
        conga_mgdl(_grid(), lag_h=0)


def test_mag_rounds_n_to_the_grid_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="not a multiple of 5 min; using 10"):
        mag_mgdl_per_h(_grid(), n_min=12)


def test_range_bounds_and_percent_checks() -> None:
    with pytest.raises(InputRangeError, match="high_mgdl: got 60, expected a value >= low_mgdl = 70"):
        percent_in_range([100.0], 70, 60)
    with pytest.raises(InputRangeError, match="percents"):
        quantiles_glucose_mgdl([100.0], [150.0])


def test_unknown_mage_direction() -> None:
    with pytest.raises(InputRangeError, match="direction: got 'sideways', expected one of 'avg', 'service'"):
        mage_mgdl([0.0, 5.0], [100.0, 110.0], direction="sideways")


def test_no_reading_gives_nan_without_numpy_warnings() -> None:
    g = np.full((2, 4), np.nan)
    g[1] = [100.0, 200.0, 60.0, 50.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mean = mean_glucose_mgdl(g)
        sd = sd_glucose_mgdl(g)
        below = percent_below(g, 70)
        tir = time_in_ranges(g)
    for first_patient in (mean[0], sd[0], below[0], tir.target[0]):
        assert math.isnan(first_patient)
    assert below[1] == 50.0


def test_one_reading_has_no_sd() -> None:
    assert math.isnan(float(sd_glucose_mgdl([120.0])))


@pytest.mark.parametrize(
    ("value", "zone"),
    [(0.0, GriZone.A), (20.0, GriZone.A), (20.01, GriZone.B), (40.0, GriZone.B), (60.0, GriZone.C),
     (80.0, GriZone.D), (80.01, GriZone.E), (100.0, GriZone.E)],
)  # fmt: skip
def test_gri_zones_are_quintiles(value: float, zone: GriZone) -> None:
    assert gri_zone(value) is zone


def test_gri_zone_outside_the_scale() -> None:
    with pytest.raises(InputRangeError, match=r"gri_value: got 101.0, expected a GRI in \[0, 100\]"):
        gri_zone(101.0)
