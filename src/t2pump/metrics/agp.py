"""Ambulatory Glucose Profile numbers: percentiles by time of day, and daily profiles (no plotting).

The AGP [1]_ shows, for each time of day, the 5th, 25th, 50th, 75th and 95th percentiles of glucose
across the days of the report (IDC AGP v5; the older AGP used the 10th and 90th). t2pump computes
them as iglu ``plot_agp`` [2]_ does before smoothing: on the interpolation grid
(:func:`~t2pump.metrics.grid.interpolation_grid`), per grid column (time of day ``dt0 ... 1440``
min after midnight), R ``quantile(type = 7)`` across the days that have a value. The smoothing
iglu applies for display (``loess(span = 0.3)``) belongs to the report, not here.

References
----------
.. [1] Johnson ML, Martens TW, Criego AB, Carlson AL, Simonson GD, Bergenstal RM. Utilizing the
   ambulatory glucose profile to standardize and implement continuous glucose monitoring in
   clinical practice. Diabetes Technol Ther 2019;21(S2):S217-S225. doi:10.1089/dia.2019.0034
.. [2] iglu 4.3.0 ``R/plot_agp.R``, ``R/plot_daily.R`` (GitHub irinagain/iglu, commit 33d72695).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from t2pump.errors import InputRangeError
from t2pump.metrics import _rstats
from t2pump.metrics._inputs import positive_int
from t2pump.metrics.grid import GlucoseGrid

__all__ = ["AGP_PERCENTILES", "AgpProfile", "DailyProfiles", "agp_profile", "daily_profiles"]

FloatArray = NDArray[np.float64]

AGP_PERCENTILES = (5.0, 25.0, 50.0, 75.0, 95.0)  # [1]
_DAILY_MAX_DAYS = 14  # iglu plot_daily ``maxd`` and the 14 tiles of the AGP report [1], [2]


@dataclass(frozen=True, slots=True, eq=False)
class AgpProfile:
    """Unsmoothed AGP curves: ``glucose_mgdl[i, k]`` is percentile ``percentiles[i]`` at column ``k``."""

    minute_of_day: FloatArray  # (n_times,) dt0 ... 1440 [min after midnight]
    n_days: NDArray[np.int64]  # (n_times,) days with a value at that time
    percentiles: tuple[float, ...]  # [%]
    glucose_mgdl: FloatArray  # (n_percentiles, n_times), NaN where no day has a value


def agp_profile(grid: GlucoseGrid, percentiles: Sequence[float] = AGP_PERCENTILES) -> AgpProfile:
    """AGP percentiles by time of day across the grid's days (module doc)."""
    p = tuple(float(x) for x in percentiles)
    if not p or any(not 0.0 <= x <= 100.0 for x in p):
        raise InputRangeError("percentiles", p, "a non-empty sequence of percents in [0, 100]")
    columns = grid.glucose_mgdl.T  # (n_times, n_days)
    q = _rstats.nanquantile7(columns, [x / 100.0 for x in p])  # (n_times, n_percentiles)
    return AgpProfile(
        minute_of_day=grid.minute_of_day,
        n_days=_rstats.count(columns),
        percentiles=p,
        glucose_mgdl=np.ascontiguousarray(q.T),
    )


@dataclass(frozen=True, slots=True, eq=False)
class DailyProfiles:
    """The last days of the grid, one row per calendar day (the AGP report's daily tiles)."""

    day: NDArray[np.int64]  # (n_days,) calendar day of each row (days since the time origin)
    minute_of_day: FloatArray  # (n_times,) dt0 ... 1440 [min after midnight]
    glucose_mgdl: FloatArray  # (n_days, n_times), NaN where not interpolated


def daily_profiles(grid: GlucoseGrid, max_days: int = _DAILY_MAX_DAYS) -> DailyProfiles:
    """The ``max_days`` most recent days that have at least one grid value, oldest first."""
    k = positive_int("max_days", max_days)
    has_data = np.flatnonzero(np.any(~np.isnan(grid.glucose_mgdl), axis=1))[-k:]
    return DailyProfiles(
        day=grid.first_day + has_data.astype(np.int64),
        minute_of_day=grid.minute_of_day,
        glucose_mgdl=grid.glucose_mgdl[has_data].copy(),
    )
