"""Mean Amplitude of Glycaemic Excursions: iglu's moving-average algorithm (Fernandes 2022).

Service et al. [1]_ defined MAGE as the mean height of the glucose excursions larger than one SD.
Fernandes et al. [2]_ automated the choice of peaks and nadirs with two moving averages; iglu 4.3.0
``mage(version = "ma")`` [3]_ implements it and was validated against hand calculation [2]. t2pump
reproduces iglu's implementation step by step:

1. the readings go on a **5-min** grid whatever the sensor (``CGMS2DayByDay(dt0 = 5)``, gaps over
   ``inter_gap`` left missing), trimmed to the first and last value;
2. the series is split at runs of missing points longer than ``max_gap`` (180 min);
3. in each segment (at least 7 points, at least ``long_ma`` points and SD >= 1 mg/dL, else no
   value) the right-aligned moving averages of ``short_ma`` = 5 and ``long_ma`` = 32 points
   (missing points skipped; the first window's value back-filled) are compared: the segment's
   first point, each crossing of the two averages and the last point delimit intervals, and the
   glucose minimum (after a downward cross) or maximum (after an upward cross) between the previous
   turning point and the next crossing is a turning point;
4. MAGE+ is the mean of the nadir-to-peak rises of at least one SD of the segment's glucose and
   MAGE- that of the peak-to-nadir falls, each found by iglu's left-side accumulation;
5. per segment the direction is chosen: ``avg`` (mean of MAGE+ and MAGE-), ``service`` (the
   direction of the first excursion), ``max``, ``plus`` or ``minus``; the segments are averaged,
   weighted by their duration.

iglu's edge cases are kept: with ``plus`` (``minus``) a segment with no rise (fall) makes the result
NaN; with ``max`` a segment with only one direction is dropped, and one whose two values are equal
counts twice.

References
----------
.. [1] Service FJ, Molnar GD, Rosevear JW, et al. Mean amplitude of glycemic excursions, a measure
   of diabetic instability. Diabetes 1970;19(9):644-655. doi:10.2337/diab.19.9.644
.. [2] Fernandes NJ, Nguyen N, Chun E, Punjabi N, Gaynanova I. Open-source algorithm to calculate
   mean amplitude of glycemic excursions using short and long moving averages. J Diabetes Sci
   Technol 2022;16(2):576-577. doi:10.1177/19322968211061165
.. [3] iglu 4.3.0 ``R/mage.R``, ``R/mage_ma_single.R`` (GitHub irinagain/iglu, commit 33d72695).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import InputRangeError, check_range, parse_enum
from t2pump.metrics import _rstats
from t2pump.metrics._inputs import glucose_array, positive_int
from t2pump.metrics.grid import DEFAULT_INTER_GAP_MIN, interpolation_grid

__all__ = ["MageDirection", "MageSegment", "mage_mgdl", "mage_naive_mgdl", "mage_segments"]

FloatArray = NDArray[np.float64]

MAGE_GRID_MIN = 5  # iglu always interpolates to a 5-min grid for MAGE [3]
SHORT_MA_POINTS = 5  # [2], [3]
LONG_MA_POINTS = 32  # [2], [3]
MAX_GAP_MIN = 180.0  # segments are split at longer gaps [3]
_MIN_POINTS = 7  # fewer points: no MAGE [3]
_MIN_SD_MGDL = 1.0  # a flatter segment has no MAGE [3]


class MageDirection(StrEnum):
    """Which excursions MAGE averages, per segment (iglu ``direction``) [3]."""

    AVG = "avg"
    SERVICE = "service"
    MAX = "max"
    PLUS = "plus"
    MINUS = "minus"


@dataclass(frozen=True, slots=True)
class MageSegment:
    """MAGE of one segment of the 5-min grid (NaN where the segment has no such excursion)."""

    start_min: float  # first grid time of the segment [min]
    duration_min: float  # last - first grid time [min]
    mage_plus_mgdl: float
    mage_minus_mgdl: float
    plus_first: bool  # the first countable excursion is a rise


def _rolling_mean_right(x: FloatArray, width: int) -> FloatArray:
    """zoo ``rollapply(mean, na.rm = TRUE, align = "right")`` with the first value back-filled."""
    windows = np.lib.stride_tricks.sliding_window_view(x, width)
    means = _rstats.nanmean(windows)
    out = np.empty(x.shape[0])
    out[width - 1 :] = means
    out[: width - 1] = means[0]
    return out


def _crossings(x: FloatArray, delta: FloatArray) -> tuple[list[int], list[bool]]:
    """Crossing points of the two moving averages: (indexes, is_max), first and last point included.

    iglu scans the points in order: a point with a value, whose predecessor has a value, is a
    crossing if ``delta`` changed sign from the predecessor or from the last crossing (the latter
    catches crossings hidden in a gap). A crossing is a peak interval (max) if ``delta > 0`` there.
    """
    n = x.shape[0]
    s = np.sign(delta)
    valid = np.zeros(n, dtype=bool)
    valid[1:] = ~np.isnan(x[1:]) & ~np.isnan(x[:-1])
    s_prev = np.concatenate(([0.0], s[:-1]))
    by_step = np.flatnonzero(valid & (s * s_prev < 0))
    positive = np.flatnonzero(valid & (s > 0))
    negative = np.flatnonzero(valid & (s < 0))
    ids, is_max = [0], [bool(delta[0] > 0)]
    last_sign, p = float(s[0]), 0
    while True:
        nxt = n
        k = np.searchsorted(by_step, p, side="right")
        if k < by_step.shape[0]:
            nxt = int(by_step[k])
        opposite = negative if last_sign > 0 else positive if last_sign < 0 else None
        if opposite is not None:
            k = np.searchsorted(opposite, p, side="right")
            if k < opposite.shape[0]:
                nxt = min(nxt, int(opposite[k]))
        if nxt >= n:
            break
        ids.append(nxt)
        is_max.append(bool(delta[nxt] > 0))
        last_sign, p = float(s[nxt]), nxt
    ids.append(n - 1)
    is_max.append(bool(delta[n - 1] > 0))
    return ids, is_max


def _turning_points(x: FloatArray, ids: list[int], is_max: list[bool]) -> FloatArray:
    """Glucose extreme between the previous turning point and the next crossing, per interval."""
    values = np.empty(len(ids) - 1)
    prev = ids[0]
    for i in range(len(ids) - 1):
        window = x[prev : ids[i + 1] + 1]
        k = int(np.nanargmax(window)) if is_max[i] else int(np.nanargmin(window))
        values[i] = window[k]
        prev += k
    return values


def _excursions(mm: FloatArray, sd: float, *, rising: bool) -> tuple[list[float], list[tuple[int, int]]]:
    """iglu's left-side accumulation: heights of rises (falls) of at least ``sd``, with (i, j) pairs."""
    heights: list[float] = []
    pairs: list[tuple[int, int]] = []
    n = mm.shape[0]
    j = prev_j = 0
    while j < n:
        delta = mm[j] - mm[prev_j : j + 1]
        i = prev_j + int(np.argmax(delta) if rising else np.argmin(delta))
        big = delta[i - prev_j] >= sd if rising else delta[i - prev_j] <= -sd
        if not big:
            j += 1
            continue
        for k in range(j, n):
            if (mm[k] > mm[j]) if rising else (mm[k] < mm[j]):
                j = k
            reversed_ = (mm[k] - mm[j] < -sd) if rising else (mm[k] - mm[j] > sd)
            if reversed_ or k == n - 1:
                heights.append(float(mm[j] - mm[i]))
                pairs.append((i, j))
                prev_j = k if rising else j  # iglu restarts MAGE+ at k but MAGE- at the nadir
                j = k
                break
    return heights, pairs


def _segment(x: FloatArray, start_min: float, short_ma: int, long_ma: int) -> MageSegment | None:
    n = x.shape[0]
    if n < _MIN_POINTS or n < long_ma:
        return None
    sd = float(_rstats.nansd(x))
    if not sd >= _MIN_SD_MGDL:
        return None
    delta = _rolling_mean_right(x, short_ma) - _rolling_mean_right(x, long_ma)
    ids, is_max = _crossings(x, delta)
    mm = _turning_points(x, ids, is_max)
    plus, plus_pairs = _excursions(mm, sd, rising=True)
    minus, minus_pairs = _excursions(mm, sd, rising=False)
    if not plus and not minus:
        return None
    plus_first = bool(plus) and (not minus or plus_pairs[0][1] <= minus_pairs[0][0])
    return MageSegment(
        start_min=start_min,
        duration_min=float((n - 1) * MAGE_GRID_MIN),
        mage_plus_mgdl=float(np.mean(plus)) if plus else math.nan,
        mage_minus_mgdl=abs(float(np.mean(minus))) if minus else math.nan,
        plus_first=plus_first,
    )


def mage_segments(
    time_min: ArrayLike,
    glucose_mgdl: ArrayLike,
    *,
    short_ma: int = SHORT_MA_POINTS,
    long_ma: int = LONG_MA_POINTS,
    inter_gap_min: float = DEFAULT_INTER_GAP_MIN,
    max_gap_min: float = MAX_GAP_MIN,
) -> list[MageSegment]:
    """Steps 1-4 of the module doc: MAGE+ and MAGE- of each segment that has an excursion."""
    short = positive_int("short_ma", short_ma)
    long = positive_int("long_ma", long_ma)
    if short >= long:
        raise InputRangeError("short_ma", short_ma, f"fewer points than long_ma = {long}")
    max_gap = check_range("max_gap_min", max_gap_min, 0.0, np.inf, "min")
    grid = interpolation_grid(time_min, glucose_mgdl, dt0_min=MAGE_GRID_MIN, inter_gap_min=inter_gap_min)
    flat, times = grid.flat, grid.time_min
    have = np.flatnonzero(~np.isnan(flat))
    if have.shape[0] == 0:
        return []
    x, times = flat[have[0] : have[-1] + 1], times[have[0] : have[-1] + 1]
    if x.shape[0] < _MIN_POINTS or x.shape[0] < long:
        return []
    # Split at runs of missing points longer than max_gap.
    missing = np.isnan(x).astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], missing, [0]))))
    run_start, run_end = edges[::2], edges[1::2]  # [start, end) of each missing run
    long_run = (run_end - run_start) * MAGE_GRID_MIN > max_gap
    bounds = np.concatenate(([0], np.column_stack((run_start, run_end))[long_run].reshape(-1), [x.shape[0]]))
    segments = []
    for a, b in bounds.reshape(-1, 2):
        seg = _segment(x[a:b], float(times[a]), short, long) if b > a else None
        if seg is not None:
            segments.append(seg)
    return segments


def mage_mgdl(
    time_min: ArrayLike,
    glucose_mgdl: ArrayLike,
    *,
    direction: MageDirection | str = MageDirection.AVG,
    short_ma: int = SHORT_MA_POINTS,
    long_ma: int = LONG_MA_POINTS,
    inter_gap_min: float = DEFAULT_INTER_GAP_MIN,
    max_gap_min: float = MAX_GAP_MIN,
) -> float:
    """MAGE [mg/dL], iglu ``mage(version = "ma")`` [3] (module doc); NaN if no segment qualifies.

    Parameters
    ----------
    time_min : reading times [min since the midnight of day 0, local wall clock]
    glucose_mgdl : readings [mg/dL], NaN where missing
    direction : ``avg`` (default, iglu's), ``service``, ``max``, ``plus`` or ``minus``
    short_ma, long_ma : moving-average windows [5-min grid points]
    inter_gap_min : longest interval interpolated [min]
    max_gap_min : longer runs of missing grid points split the series [min]
    """
    how = parse_enum(MageDirection, direction, "direction")
    segments = mage_segments(
        time_min,
        glucose_mgdl,
        short_ma=short_ma,
        long_ma=long_ma,
        inter_gap_min=inter_gap_min,
        max_gap_min=max_gap_min,
    )
    values: list[float] = []
    hours: list[float] = []
    for s in segments:
        pm = (s.mage_plus_mgdl, s.mage_minus_mgdl)
        if how is MageDirection.PLUS:
            chosen = [pm[0]]
        elif how is MageDirection.MINUS:
            chosen = [pm[1]]
        elif how is MageDirection.AVG:
            chosen = [v for v in pm if not math.isnan(v)]
        elif how is MageDirection.SERVICE:
            chosen = [pm[0] if s.plus_first else pm[1]]
        else:  # MAX: iglu drops a segment with a missing direction and keeps ties twice
            chosen = [] if any(math.isnan(v) for v in pm) else [v for v in pm if v == max(pm)]
        values.extend(chosen)
        hours.extend([s.duration_min] * len(chosen))
    if not values:
        return math.nan
    h = np.asarray(hours)
    return float(np.sum(np.asarray(values) * (h / np.sum(h))))


def mage_naive_mgdl(glucose_mgdl: ArrayLike, sd_multiplier: float = 1.0) -> FloatArray:
    """iglu's legacy MAGE (``version = "naive"``) [mg/dL]: mean |g - mean| over readings farther
    than ``sd_multiplier`` SD from the mean. Kept for comparison only; it is not Service's MAGE.

    Takes ``(n_readings,)`` or ``(n_patients, n_readings)``; returns ``()`` or ``(n_patients,)``.
    """
    k = check_range("sd_multiplier", sd_multiplier, 0.0, np.inf)
    g = glucose_array(glucose_mgdl)
    dev = np.abs(g - _rstats.nanmean(g)[..., None])
    far = dev > k * _rstats.nansd(g)[..., None]
    return _rstats.nanmean(np.where(far, dev, np.nan))
