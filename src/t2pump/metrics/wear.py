"""CGM wear: percentage of time the sensor was active, days worn, data sufficiency.

``active_percent`` reproduces iglu 4.3.0 ``active_percent`` [1]_ for one subject (iglu computes
it per subject only when called on one subject: on a multi-subject frame it reuses the first
subject's sampling interval for everyone; t2pump always uses each subject's own).

Data sufficiency follows the international consensus on time in range [2]_: at least 14 days of
CGM data with at least 70 % of the possible readings (Battelino 2019, "CGM data sufficiency",
Table 1 and text; Riddlesworth et al. 2018 for the 14 days).

References
----------
.. [1] iglu 4.3.0 ``R/active_percent.R`` (GitHub irinagain/iglu, commit 33d72695).
.. [2] Battelino T, Danne T, Bergenstal RM, et al. Clinical targets for continuous glucose
   monitoring data interpretation: recommendations from the international consensus on time in
   range. Diabetes Care 2019;42(8):1593-1603. doi:10.2337/dci19-0028
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import check_range
from t2pump.metrics._inputs import positive_int, subject_readings
from t2pump.metrics._rstats import round_half_even
from t2pump.metrics.clock import sampling_interval_min
from t2pump.units import MIN_PER_DAY

__all__ = [
    "SUFFICIENT_ACTIVE_PERCENT",
    "SUFFICIENT_DAYS",
    "DataSufficiency",
    "active_percent",
    "active_percent_window",
    "data_sufficiency",
    "wear_days",
]

FloatArray = NDArray[np.float64]

SUFFICIENT_DAYS = 14  # days of CGM data [2]
SUFFICIENT_ACTIVE_PERCENT = 70.0  # % of possible readings over those days [2]


def _averaged_duplicates(time_min: ArrayLike, glucose_mgdl: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Sorted readings with the values at a repeated time averaged (iglu ``check_data_time``)."""
    t, g = subject_readings(time_min, glucose_mgdl)
    new = np.append(True, np.diff(t) != 0.0)
    if np.all(new):
        return t, g
    starts = np.flatnonzero(new)
    sums = np.add.reduceat(g, starts)
    counts = np.diff(np.append(starts, g.shape[0]))
    return t[starts], sums / counts


def active_percent(time_min: ArrayLike, glucose_mgdl: ArrayLike, *, dt0_min: int | None = None) -> float:
    """Percentage of time the CGM was active between the first and the last reading [%].

    iglu's "automatic" range [1]_: with ``dt0`` the rounded median interval, the expected number of
    readings is ``round(round(span_min) / dt0) + 1``; the intervals whose rounded length exceeds
    ``dt0`` are gaps, and ``round((sum of gap lengths - n_gaps dt0) / dt0)`` readings are missing.

    Parameters
    ----------
    time_min : reading times [min]
    glucose_mgdl : readings [mg/dL], NaN where missing (missing readings are not readings)
    dt0_min : sampling interval [min]; default the rounded median interval
    """
    t, _ = _averaged_duplicates(time_min, glucose_mgdl)
    dt0 = sampling_interval_min(t) if dt0_min is None else positive_int("dt0_min", dt0_min)
    diffs = np.diff(t)
    expected = round_half_even(round_half_even(t[-1] - t[0]) / dt0) + 1
    is_gap = np.round(diffs) > dt0
    n_gaps = int(np.sum(is_gap))
    missing = round_half_even((float(np.sum(diffs[is_gap])) - n_gaps * dt0) / dt0)
    return (expected - missing) / expected * 100.0


def wear_days(time_min: ArrayLike, glucose_mgdl: ArrayLike) -> float:
    """Days from the first to the last reading [days] (iglu ``ndays``, unrounded)."""
    t, _ = subject_readings(time_min, glucose_mgdl)
    return float((t[-1] - t[0]) / MIN_PER_DAY)


def active_percent_window(
    time_min: ArrayLike,
    glucose_mgdl: ArrayLike,
    *,
    window_days: int = SUFFICIENT_DAYS,
    end_min: float | None = None,
    dt0_min: int | None = None,
) -> float:
    """Readings in the last ``window_days`` as a percentage of the possible readings [%].

    iglu ``active_percent(range_type = "manual", ndays)`` [1]_: readings with
    ``end - window <= t <= end`` divided by ``window_days * 1440 / dt0``. ``end_min`` defaults to the
    last reading (iglu ``consistent_end_date = NULL``).
    """
    days = positive_int("window_days", window_days)
    t, _ = _averaged_duplicates(time_min, glucose_mgdl)
    dt0 = sampling_interval_min(t) if dt0_min is None else positive_int("dt0_min", dt0_min)
    end = float(t[-1]) if end_min is None else check_range("end_min", end_min, -np.inf, np.inf, "min")
    start = end - days * MIN_PER_DAY
    n = int(np.sum((t >= start) & (t <= end)))
    return n / (days * (MIN_PER_DAY / dt0)) * 100.0


@dataclass(frozen=True, slots=True)
class DataSufficiency:
    """Is there enough CGM data for the consensus metrics? [2]"""

    days_covered: float  # (last - first reading + dt0) / 1440: each reading stands for dt0 [days]
    window_active_percent: float  # readings in the last ``window_days`` / possible readings [%]
    window_days: int
    sufficient: bool  # days_covered >= window_days and window_active_percent >= the threshold


def data_sufficiency(
    time_min: ArrayLike,
    glucose_mgdl: ArrayLike,
    *,
    window_days: int = SUFFICIENT_DAYS,
    min_active_percent: float = SUFFICIENT_ACTIVE_PERCENT,
) -> DataSufficiency:
    """Consensus data sufficiency [2]: 14 days of data with >= 70 % of the possible readings.

    Days covered count each reading as one sampling interval, so 14 full days of 5-min readings
    (00:00 to 23:55) cover 14 days (iglu's ``ndays``, :func:`wear_days`, would say 13.997). The
    active percentage is :func:`active_percent_window` over the last ``window_days``.
    """
    threshold = check_range("min_active_percent", min_active_percent, 0.0, 100.0, "%")
    days = positive_int("window_days", window_days)
    t, _ = _averaged_duplicates(time_min, glucose_mgdl)
    dt0 = sampling_interval_min(t)
    covered = float((t[-1] - t[0] + dt0) / MIN_PER_DAY)
    window = active_percent_window(time_min, glucose_mgdl, window_days=days)
    return DataSufficiency(
        days_covered=covered,
        window_active_percent=window,
        window_days=days,
        sufficient=covered >= days and window >= threshold,
    )
