"""The interpolation grid every time-dependent metric uses: iglu's ``CGMS2DayByDay`` [1]_.

One subject's readings are put on an even grid of step ``dt0`` by linear interpolation, one row
per calendar day. The rules, reproduced exactly because every iglu number depends on them:

1. readings with a missing value are dropped; times are sorted; of two readings at the same time
   the later one in the input is kept;
2. ``dt0`` = the median interval between readings, rounded (R ``round``, halves to even), unless
   given; a step that does not divide a day is adjusted (:func:`~t2pump.metrics.clock.grid_step_min`);
   ``dt0 > inter_gap`` is an error;
3. ``n_days = ceil((last - first) / 1440 + 1)``, which can add a trailing all-missing day;
4. grid times are ``00:00 + k dt0`` of the first reading's day for ``k = 1 ... n_days 1440 / dt0``:
   the first point is 00:00 + dt0 and the last the midnight after the last day, so row ``d`` holds
   the minutes ``dt0 ... 1440`` of day ``d`` (minute 1440 being the next midnight);
5. values are linearly interpolated (R ``approx``), missing outside [first, last reading];
6. grid points strictly between two consecutive readings more than ``inter_gap`` minutes apart
   (strictly greater: a 45 min 00 s interval is interpolated) are missing.

Choices documented where iglu is silent: times are float minutes, so an interval is "more than
``inter_gap``" only if it exceeds it by more than 1e-6 min (60 us), which absorbs floating-point
noise from converting whole seconds to minutes and nothing else; ``n_days`` gets the same guard;
interpolation weights use time differences rounded to the microsecond, which reproduces R's
arithmetic on whole-second times exactly (see ``_approx``).

References
----------
.. [1] iglu 4.3.0, ``R/utils.R`` ``CGMS2DayByDay`` (GitHub irinagain/iglu, commit 33d72695);
   Broll S, et al. PLoS One 2021;16(4):e0248560. doi:10.1371/journal.pone.0248560.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import InputRangeError, check_range
from t2pump.metrics._inputs import positive_int, subject_readings
from t2pump.metrics.clock import grid_step_min, sampling_interval_min
from t2pump.units import MIN_PER_DAY

__all__ = ["DEFAULT_INTER_GAP_MIN", "TIME_EPS_MIN", "GlucoseGrid", "approx_weights", "interpolation_grid"]

FloatArray = NDArray[np.float64]

DEFAULT_INTER_GAP_MIN = 45.0  # iglu default ``inter_gap`` [1]
TIME_EPS_MIN = 1e-6  # float-noise guard for "longer than" comparisons of times (see module doc)
_US_PER_MIN = 60e6  # interpolation weights are computed on whole microseconds (see _approx)


@dataclass(frozen=True, slots=True, eq=False)
class GlucoseGrid:
    """One subject's glucose on iglu's day-by-day grid.

    ``glucose_mgdl[d, k]`` is the value at minute ``first_day * 1440 + d * 1440 + (k + 1) * dt0_min``
    (NaN where not interpolated).
    """

    glucose_mgdl: FloatArray  # (n_days, 1440 / dt0_min), mg/dL
    first_day: int  # calendar day of row 0 (days since the time origin)
    dt0_min: int  # grid step [min]

    @property
    def n_days(self) -> int:
        return int(self.glucose_mgdl.shape[0])

    @property
    def points_per_day(self) -> int:
        return int(self.glucose_mgdl.shape[1])

    @property
    def flat(self) -> FloatArray:
        """The grid in time order (row-major), shape ``(n_days * points_per_day,)``."""
        return self.glucose_mgdl.reshape(-1)

    @property
    def time_min(self) -> FloatArray:
        """Grid times [min since the time origin], in the order of :attr:`flat`."""
        n = self.n_days * self.points_per_day
        return self.first_day * MIN_PER_DAY + self.dt0_min * np.arange(1, n + 1, dtype=np.float64)

    @property
    def minute_of_day(self) -> FloatArray:
        """Column times [min after the row's midnight]: ``dt0 ... 1440``."""
        return self.dt0_min * np.arange(1, self.points_per_day + 1, dtype=np.float64)


def interpolation_grid(
    time_min: ArrayLike,
    glucose_mgdl: ArrayLike,
    *,
    dt0_min: int | None = None,
    inter_gap_min: float = DEFAULT_INTER_GAP_MIN,
) -> GlucoseGrid:
    """iglu ``CGMS2DayByDay``: one subject's readings on an even day-by-day grid (rules above).

    Parameters
    ----------
    time_min : reading times [min since the midnight of day 0, local wall clock]
    glucose_mgdl : readings [mg/dL], NaN where missing
    dt0_min : grid step [min]; default the rounded median interval (iglu ``dt0 = NULL``)
    inter_gap_min : longest interval interpolated across [min] (iglu ``inter_gap = 45``)
    """
    gap = check_range("inter_gap_min", inter_gap_min, 0.0, MIN_PER_DAY, "min", lo_inclusive=False)
    t, g = subject_readings(time_min, glucose_mgdl)
    # Of readings at the same time keep the last one in input order (iglu drops the earlier).
    dup = np.diff(t) == 0.0
    if np.any(dup):
        keep = np.append(~dup, True)
        t, g = t[keep], g[keep]
        if t.shape[0] < 2:
            raise InputRangeError("time_min", "a single distinct time", "at least 2 distinct times")
    dt0 = sampling_interval_min(t) if dt0_min is None else positive_int("dt0_min", dt0_min)
    if dt0 > gap:
        raise InputRangeError("dt0_min", dt0, f"a sampling interval no longer than inter_gap = {gap:g} min")
    dt0 = grid_step_min(dt0)
    day_min = int(MIN_PER_DAY)
    n_days = math.ceil((t[-1] - t[0]) / MIN_PER_DAY + 1.0 - TIME_EPS_MIN / MIN_PER_DAY)
    first_day = math.floor(t[0] / MIN_PER_DAY)
    per_day = day_min // dt0
    x = first_day * MIN_PER_DAY + dt0 * np.arange(1, n_days * per_day + 1, dtype=np.float64)
    y = _approx(t, g, x)
    # No interpolation strictly inside an interval longer than inter_gap.
    long_gap = np.diff(t) > gap + TIME_EPS_MIN
    if np.any(long_gap):
        j = np.clip(np.searchsorted(t, x, side="right") - 1, 0, t.shape[0] - 2)
        y[long_gap[j] & (x > t[j]) & (x < t[j + 1])] = np.nan
    return GlucoseGrid(glucose_mgdl=y.reshape(n_days, per_day), first_day=first_day, dt0_min=dt0)


def approx_weights(offset_min: FloatArray, span_min: FloatArray) -> FloatArray:
    """R ``approx``'s weight ``offset / span`` of a point between two readings, on whole microseconds.

    ``offset_min`` = point - earlier reading, ``span_min`` = later - earlier reading [min]; see
    ``_approx``. Readings less than 0.5 us apart (never in device data) use plain minutes.
    """
    raw_num = offset_min * _US_PER_MIN
    raw_den = span_min * _US_PER_MIN
    den = np.round(raw_den)
    whole_us = den > 0.0
    out: FloatArray = np.where(whole_us, np.round(raw_num) / np.where(whole_us, den, 1.0), raw_num / raw_den)
    return out


def _approx(t: FloatArray, g: FloatArray, x: FloatArray) -> FloatArray:
    """R ``approx(t, g, xout = x)`` (linear, NaN outside ``[t[0], t[-1]]``), bit for bit.

    R computes ``g[i] + (g[i+1] - g[i]) * ((x - t[i]) / (t[i+1] - t[i]))`` on POSIXct seconds,
    which are exact for whole-second data. Minutes are not (1 s = 1/60 min), so the two time
    differences are taken in whole microseconds: the weight is then the same correctly rounded
    quotient as R's, and a glucose interpolated exactly onto a threshold (180 between 170 and 190)
    stays exactly on it instead of 1e-14 above or below, which would change an episode count.
    """
    j = np.clip(np.searchsorted(t, x, side="right") - 1, 0, t.shape[0] - 2)
    y = g[j] + (g[j + 1] - g[j]) * approx_weights(x - t[j], t[j + 1] - t[j])
    y[x == t[-1]] = g[-1]
    y[(x < t[0]) | (x > t[-1])] = np.nan
    return y
