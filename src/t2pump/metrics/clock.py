"""Local wall-clock time for the metrics: minutes since midnight, days, hours, sampling interval.

Every day-based metric (ADRR, MODD, the interpolation grid, AGP) uses the calendar days of the
subject's local wall clock, as iglu [1]_ and the device reports do: day ``d`` holds the readings
with ``1440 d <= time_min < 1440 (d + 1)``, so a reading at 00:00:00 opens its day. (The
simulator's records close periods, docs/trace_format.md; for a 5-min grid this is the same
labelling: iglu's grid for a day runs from 00:00 + dt0 to the following midnight.)

References
----------
.. [1] Broll S, Urbanek J, Buchanan D, et al. Interpreting blood GLUcose data with R package iglu.
   PLoS One 2021;16(4):e0248560. doi:10.1371/journal.pone.0248560; iglu 4.3.0 ``R/utils.R``
   (``CGMS2DayByDay``), ``R/active_percent.R``, ``R/calculate_sleep_wake.r``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import InputRangeError, check_range
from t2pump.metrics._inputs import time_array
from t2pump.metrics._rstats import round_half_even
from t2pump.units import MIN_PER_DAY, MIN_PER_H

__all__ = [
    "GRID_STEPS_MIN",
    "day_index",
    "grid_step_min",
    "hour_of_day",
    "minutes_since_midnight",
    "sampling_interval_min",
    "sleep_mask",
]

FloatArray = NDArray[np.float64]

_NS_PER_MIN = 60_000_000_000
# Grid steps longer than this are set to 20 min when they do not divide a day (iglu CGMS2DayByDay).
_MAX_UNEVEN_STEP_MIN = 20
GRID_STEPS_MIN = 5  # uneven steps up to 20 min are rounded to a multiple of 5 min (iglu)


def minutes_since_midnight(times: ArrayLike) -> tuple[FloatArray, np.datetime64]:
    """Naive local wall-clock datetimes -> (minutes since the first reading's midnight, that date).

    ``times`` is anything ``numpy.datetime64`` accepts (e.g. ``"2024-08-25 09:14:56"``), read as
    the local wall clock with no zone and no DST shift (convert instants to local time first).
    Differences are taken in integer nanoseconds, so whole seconds give minutes exact to 1 ulp.
    """
    t = np.asarray(times, dtype="datetime64[ns]")
    if t.ndim != 1 or t.shape[0] == 0:
        raise InputRangeError("times", f"shape {t.shape}", "a non-empty 1-D array of datetimes")
    if np.any(np.isnat(t)):
        i = int(np.argmax(np.isnat(t)))
        raise InputRangeError(f"times[{i}]", "NaT", "a datetime")
    day0 = t.min().astype("datetime64[D]")
    ns = (t - day0.astype("datetime64[ns]")).astype(np.int64)
    return ns / _NS_PER_MIN, day0


def day_index(time_min: ArrayLike) -> NDArray[np.int64]:
    """Calendar day of each time: ``floor(time_min / 1440)``."""
    t = np.asarray(time_min, dtype=np.float64)
    return np.floor(t / MIN_PER_DAY).astype(np.int64)


def hour_of_day(time_min: ArrayLike) -> NDArray[np.int64]:
    """Hour of the wall clock, 0-23 (lubridate ``hour``)."""
    t = np.asarray(time_min, dtype=np.float64)
    return np.floor(np.mod(t, MIN_PER_DAY) / MIN_PER_H).astype(np.int64)


def sleep_mask(time_min: ArrayLike, start_h: int = 0, end_h: int = 6) -> NDArray[np.bool_]:
    """Readings in the sleep window ``start_h <= hour < end_h`` (wrapping midnight if start > end).

    Default 00:00-06:00, the night block of Danne et al. 2017 (doi:10.2337/dc17-1600, Table 1)
    and iglu ``calculate_sleep_wake``. Apply a metric to ``np.where(mask, glucose, nan)`` for the
    sleep value and to ``np.where(~mask, glucose, nan)`` for the wake value.
    """
    start = int(check_range("start_h", start_h, 0, 23, "h"))
    end = int(check_range("end_h", end_h, 0, 24, "h"))
    if start == end:
        raise InputRangeError("end_h", end_h, f"an hour different from start_h = {start}")
    t = np.asarray(time_min, dtype=np.float64)
    h = hour_of_day(time_array(t, t.size))
    if start < end:
        return (h >= start) & (h < end)
    return (h >= start) | (h < end)


def sampling_interval_min(time_min: ArrayLike) -> int:
    """The sampling interval ``dt0``: the median interval between readings, rounded (R ``round``).

    ``time_min`` must hold at least two readings (sorted or not; duplicates are not intervals).
    """
    t = np.sort(np.asarray(time_min, dtype=np.float64))
    d = np.diff(t)
    d = d[d > 0]
    if d.shape[0] == 0:
        raise InputRangeError("time_min", f"{t.shape[0]} readings", "at least 2 distinct times")
    return round_half_even(float(np.median(d)))


def grid_step_min(dt0_min: int) -> int:
    """iglu's grid step for a sampling interval: ``dt0`` if it divides a day, else adjusted.

    A step that does not divide 1440 min is set to 20 min if it is longer than 20 min, otherwise
    rounded to a multiple of 5 min (remainder > 2 rounds up) (iglu ``CGMS2DayByDay``).
    """
    if dt0_min < 1:
        raise InputRangeError("dt0_min", dt0_min, "a sampling interval of at least 1 min")
    if int(MIN_PER_DAY) % dt0_min == 0:
        return dt0_min
    if dt0_min > _MAX_UNEVEN_STEP_MIN:
        return _MAX_UNEVEN_STEP_MIN
    remainder = dt0_min % GRID_STEPS_MIN
    if remainder > 2:
        return dt0_min + GRID_STEPS_MIN - remainder
    return dt0_min - remainder
