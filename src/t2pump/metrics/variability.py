"""Glycaemic variability on the interpolation grid: CONGA, MODD, MAG, GVP, SD of the rate of
change, and the between/within-day SD and CV measures.

Each function takes one subject's :class:`~t2pump.metrics.grid.GlucoseGrid` (iglu
``CGMS2DayByDay``) and returns a float [mg/dL unless named otherwise]. "Pairs" are pairs of grid
points that both have a value; a metric with no such pair is NaN. Definitions are those of iglu
4.3.0 [1]_, which t2pump reproduces; the docstrings name the papers they implement and where
iglu's choices (lags, time bases) matter.

References
----------
.. [1] iglu 4.3.0 ``R/conga.R``, ``modd.R``, ``mag.R``, ``gvp.r``, ``roc.R``, ``sd_roc.R``,
   ``cv_measures.R``, ``sd_measures.R``, ``optimized_iglu_functions.R`` (GitHub irinagain/iglu,
   commit 33d72695).
.. [2] McDonnell CM, Donath SM, Vidmar SI, Werther GA, Cameron FJ. A novel approach to continuous
   glucose analysis utilizing glycemic variation. Diabetes Technol Ther 2005;7(2):253-263.
   doi:10.1089/dia.2005.7.253 (CONGA_n)
.. [3] Service FJ, Nelson RL. Characteristics of glycemic stability. Diabetes Care
   1980;3(1):58-62. doi:10.2337/diacare.3.1.58 (MODD)
.. [4] Hermanides J, Vriesendorp TM, Bosman RJ, et al. Glucose variability is associated with
   intensive care unit mortality. Crit Care Med 2010;38(3):838-842.
   doi:10.1097/CCM.0b013e3181cc4be9 (MAG)
.. [5] Peyser TA, Balo AK, Buckingham BA, Hirsch IB, Garcia A. Glycemic variability percentage:
   a novel method for assessing glycemic variability from continuous glucose monitor data.
   Diabetes Technol Ther 2018;20(1):6-16. doi:10.1089/dia.2017.0187 (GVP)
.. [6] Clarke W, Kovatchev B. Statistical tools to analyze continuous glucose monitor data.
   Diabetes Technol Ther 2009;11(S1):S45-S54. doi:10.1089/dia.2008.0138 (rate of change)
.. [7] Rodbard D. New and improved methods to characterize glycemic variability using continuous
   glucose monitoring. Diabetes Technol Ther 2009;11(9):551-565. doi:10.1089/dia.2009.0015
   (SD_w, SD_hh:mm, SD_dm, SD_b, SD_b//dm)
.. [8] Umpierrez GE, Kovatchev BP. Glycemic variability: how to measure and its clinical
   implication for type 2 diabetes. Am J Med Sci 2018;356(6):518-527.
   doi:10.1016/j.amjms.2018.09.010 (CV measures)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from t2pump.metrics import _rstats
from t2pump.metrics._inputs import positive_int
from t2pump.metrics._rstats import round_half_even
from t2pump.metrics.grid import GlucoseGrid
from t2pump.units import MIN_PER_H

__all__ = [
    "CvMeasures",
    "SdMeasures",
    "conga_mgdl",
    "cv_measures",
    "gvp_percent",
    "mag_hourly_legacy_mgdl_per_h",
    "mag_mgdl_per_h",
    "modd_mgdl",
    "roc_mgdl_per_min",
    "sd_measures",
    "sd_roc_mgdl_per_min",
]

FloatArray = NDArray[np.float64]

_RUNSD_MIN_WINDOW = 3  # caTools::runsd requires k > 2
_ROC_TIMELAG_MIN = 15  # iglu ``roc``/``sd_roc`` default [1], after Clarke & Kovatchev [6]


def _lagged_diff(x: FloatArray, lag: int) -> FloatArray:
    """R ``diff(x, lag)``: ``x[i + lag] - x[i]`` (empty if ``lag >= len(x)``)."""
    if lag >= x.shape[0]:
        return np.empty(0)
    return x[lag:] - x[:-lag]


def _sd(x: FloatArray) -> float:
    return float(_rstats.nansd(x))


def conga_mgdl(grid: GlucoseGrid, *, lag_h: int) -> float:
    """CONGA_n [2]: SD of the differences between glucose now and ``lag_h`` hours earlier [mg/dL].

    The lag is explicit because iglu's ``conga()`` defaults to n = 24 h (CONGA24) while most papers
    report CONGA1: pass ``lag_h=1`` for CONGA1 and ``lag_h=24`` to reproduce ``iglu::conga()``.
    The lag in grid points is ``round(60 / dt0) x lag_h`` (iglu [1]); SD uses n - 1 over the pairs.
    """
    lag = round_half_even(MIN_PER_H / grid.dt0_min) * positive_int("lag_h", lag_h)
    return _sd(_lagged_diff(grid.flat, lag))


def modd_mgdl(grid: GlucoseGrid, *, lag_days: int = 1) -> float:
    """Mean Of Daily Differences [3]: mean |G(t) - G(t - lag days)| over the pairs [mg/dL]."""
    lag = positive_int("lag_days", lag_days)
    m = grid.glucose_mgdl
    if lag >= m.shape[0]:
        return math.nan
    return float(_rstats.nanmean(np.abs(m[lag:] - m[:-lag]).reshape(-1)))


def mag_mgdl_per_h(grid: GlucoseGrid, *, n_min: int | None = None) -> float:
    """Mean Absolute Glucose change [4], iglu 4.3.0 definition [mg/dL/h].

    Every ``n_min / dt0``-th grid point is kept; MAG = sum |differences between successive kept
    points| / (number of such differences x n_min / 60), differences involving a missing point
    being dropped. ``n_min`` defaults to ``dt0`` (iglu 4.3.0 ``mag(n = NULL)``); a value below
    ``dt0`` becomes ``dt0`` and a value that is not a multiple of ``dt0`` is rounded to the nearest
    multiple (iglu, which prints a message; t2pump warns).
    """
    dt0 = grid.dt0_min
    n = dt0 if n_min is None else positive_int("n_min", n_min)
    if n < dt0:
        warnings.warn(f"MAG: n_min = {n} is below the grid step; using {dt0} min", stacklevel=2)
        n = dt0
    elif n % dt0 != 0:
        rounded = round_half_even(n / dt0) * dt0
        warnings.warn(f"MAG: n_min = {n} is not a multiple of {dt0} min; using {rounded}", stacklevel=2)
        n = rounded
    kept = grid.flat[:: n // dt0]
    d = np.diff(kept)
    d = d[~np.isnan(d)]
    if d.shape[0] == 0:
        return math.nan
    return float(np.sum(np.abs(d)) / (d.shape[0] * (n / MIN_PER_H)))


def mag_hourly_legacy_mgdl_per_h(grid: GlucoseGrid) -> float:
    """MAG as iglu <= 4.2 and iglu 4.3.0 ``all_metrics()`` compute it [mg/dL/h].

    The grid columns ``1, 1 + 60/dt0, ...`` (one per hour, from 00:00 + dt0) are taken day by day;
    MAG = sum |successive differences| (missing ones dropped) / number of non-missing values kept.
    The denominator counts values, not differences (iglu issue #184), so this differs slightly
    from :func:`mag_mgdl_per_h` with ``n_min=60``; it exists to reproduce ``all_metrics()``.
    """
    step = round_half_even(MIN_PER_H / grid.dt0_min)
    kept = grid.glucose_mgdl[:, ::step].reshape(-1)
    d = np.diff(kept)
    n_values = int(np.sum(~np.isnan(kept)))
    if n_values == 0:
        return math.nan
    return float(np.sum(np.abs(d[~np.isnan(d)])) / n_values)


def gvp_percent(grid: GlucoseGrid) -> float:
    """Glycaemic Variability Percentage [5]: 100 (L / L0 - 1) [%].

    L = sum of sqrt(dt0^2 + dG^2) over successive grid pairs, L0 = number of pairs x dt0 (time in
    min, glucose in mg/dL, as Peyser 2018 and iglu [1]).
    """
    d = np.diff(grid.flat)
    d = d[~np.isnan(d)]
    if d.shape[0] == 0:
        return math.nan
    dt0 = float(grid.dt0_min)
    return float((np.sum(np.sqrt(dt0 * dt0 + d * d)) / (d.shape[0] * dt0) - 1.0) * 100.0)


def roc_mgdl_per_min(grid: GlucoseGrid, *, timelag_min: int = _ROC_TIMELAG_MIN) -> FloatArray:
    """Rate of change on the grid [mg/dL/min]: (G(t) - G(t - timelag)) / timelag (iglu ``roc`` [1]).

    Same length as :attr:`GlucoseGrid.flat`, NaN for the first ``timelag / dt0`` points. A lag below
    ``dt0`` becomes ``dt0``; the lag in points is ``timelag // dt0``.
    """
    lag_min = positive_int("timelag_min", timelag_min)
    lag_min = max(lag_min, grid.dt0_min)
    lag = lag_min // grid.dt0_min
    x = grid.flat
    out = np.full(x.shape[0], np.nan)
    out[lag:] = _lagged_diff(x, lag) / lag_min
    return out


def sd_roc_mgdl_per_min(grid: GlucoseGrid, *, timelag_min: int = _ROC_TIMELAG_MIN) -> float:
    """Standard deviation of the rate of change [mg/dL/min] (iglu ``sd_roc`` [1], Clarke 2009 [6])."""
    return _sd(roc_mgdl_per_min(grid, timelag_min=timelag_min))


@dataclass(frozen=True, slots=True)
class CvMeasures:
    """Mean and SD of the daily coefficients of variation [%] (Umpierrez & Kovatchev 2018 [8])."""

    cv_mean_percent: float
    cv_sd_percent: float


def cv_measures(grid: GlucoseGrid) -> CvMeasures:
    """CV of each grid day (100 SD / mean), then their mean and SD (iglu ``cv_measures`` [1])."""
    m = grid.glucose_mgdl
    daily = _rstats.nansd(m) / _rstats.nanmean(m) * 100.0
    return CvMeasures(cv_mean_percent=float(_rstats.nanmean(daily)), cv_sd_percent=_sd(daily))


@dataclass(frozen=True, slots=True)
class SdMeasures:
    """Rodbard's components of the SD [mg/dL] [7]."""

    sd_within_days: float  # SD_w: mean of the daily SDs
    sd_between_times: float  # SD_hh:mm: SD of the mean profile by time of day
    sd_within_series_1h: float  # SD_ws,h: mean of the SDs of the 1-h windows of the series
    sd_daily_means: float  # SD_dm: SD of the daily means
    sd_between_days: float  # SD_b: mean over times of day of the SD across days
    sd_between_days_within_dm: float  # SD_b//dm: SD_b after subtracting each day's mean


def sd_measures(grid: GlucoseGrid) -> SdMeasures:
    """Rodbard 2009 [7] SD components on the grid, as iglu ``sd_measures`` [1].

    SD_ws,h is the mean over every full window of ``round(60 / dt0)`` successive grid points of the
    SD of the values present in the window (n - 1; windows with fewer than two values skipped), as
    ``caTools::runsd(endrule = "trim")`` computes it in iglu; it is NaN when the window has fewer
    than 3 points (dt0 > 20 min), where caTools stops with an error.
    """
    m = grid.glucose_mgdl
    day_mean = _rstats.nanmean(m)
    win = round_half_even(MIN_PER_H / grid.dt0_min)
    flat = grid.flat
    if win < _RUNSD_MIN_WINDOW or win > flat.shape[0]:
        within_series = math.nan
    else:
        windows = np.lib.stride_tricks.sliding_window_view(flat, win)
        within_series = float(_rstats.nanmean(_rstats.nansd(windows)))
    return SdMeasures(
        sd_within_days=float(_rstats.nanmean(_rstats.nansd(m))),
        sd_between_times=_sd(_rstats.nanmean(m.T)),
        sd_within_series_1h=within_series,
        sd_daily_means=_sd(day_mean),
        sd_between_days=float(_rstats.nanmean(_rstats.nansd(m.T))),
        sd_between_days_within_dm=float(_rstats.nanmean(_rstats.nansd((m - day_mean[:, None]).T))),
    )
