"""The numbers of the AGP report, computed once by t2pump.metrics: no plotting here.

The report period is the last ``window_days`` days of readings (default 14, the consensus report
length [1]_): readings with ``t > t_last - window_days x 1440`` (strictly, so 14 days of 5-min readings
are 14 x 288 slots). Every number is then a t2pump.metrics function of the period's readings:

* % time CGM active: :func:`~t2pump.metrics.active_percent` (iglu, first to last reading of the
  period); data sufficiency (14 days, >= 70 % of possible readings [1]_):
  :func:`~t2pump.metrics.data_sufficiency`;
* mean glucose, GMI, %CV: :func:`~t2pump.metrics.mean_glucose_mgdl`, :func:`gmi_percent`,
  :func:`cv_percent`; time in ranges: :func:`time_in_ranges` and the ``percent_*`` functions
  (:mod:`t2pump.report.targets`);
* AGP curves and daily tiles: :func:`agp_profile` and :func:`daily_profiles` on the iglu
  interpolation grid (:func:`interpolation_grid`). The daily tiles are the last (up to 14) calendar
  days of the period, a day with no reading left empty. A simulated trace's days end with their
  midnight record (:func:`day_of`): its last record, at midnight, adds no day of its own.

References
----------
.. [1] Battelino T, et al. Diabetes Care 2019;42(8):1593-1603. doi:10.2337/dci19-0028
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import InputRangeError, check_one_of, parse_enum
from t2pump.metrics import (
    AgpProfile,
    active_percent,
    agp_profile,
    cv_percent,
    daily_profiles,
    data_sufficiency,
    gmi_percent,
    interpolation_grid,
    mean_glucose_mgdl,
)
from t2pump.report.targets import (
    TARGET_SETS,
    BandKind,
    GoalKind,
    TargetSet,
    TargetSetName,
    band_percents,
    goal_percents,
)
from t2pump.simulation.engine import Trace
from t2pump.units import MIN_PER_DAY

__all__ = [
    "DEFAULT_WINDOW_DAYS",
    "MAX_DAILY_TILES",
    "AgpReportData",
    "agp_report_data",
    "agp_report_data_from_trace",
    "day_of",
]

FloatArray = NDArray[np.float64]

DEFAULT_WINDOW_DAYS = 14  # consensus report length [1]
MAX_DAILY_TILES = 14  # the AGP report's 14 daily tiles (IDC AGP v5; iglu plot_daily maxd)
_SIMULATOR_SIGNALS = ("bg_plasma", "g_sub")  # only the simulator records these (docs/trace_format.md)


@dataclass(frozen=True, slots=True, eq=False)
class AgpReportData:
    """Everything the one-page AGP report shows, for one patient and one period."""

    patient_id: str
    origin_date: dt.date | None  # calendar date of day 0; None for simulations without one
    simulated: bool
    first_min: float  # first and last reading of the period [min since midnight of day 0]
    last_min: float
    n_readings: int
    days_covered: float  # (last - first + dt0) / 1440 [days]
    active_percent: float  # % time CGM active (iglu active_percent over the period) [%]
    sufficient: bool  # consensus data sufficiency: >= 14 days with >= 70 % of readings
    mean_mgdl: float
    gmi_percent: float
    cv_percent: float
    targets: TargetSet
    bands: dict[BandKind, float]  # % of readings per band of ``targets`` (they sum to 100)
    goals: dict[GoalKind, float]  # % of readings each goal of ``targets`` is judged on
    agp: AgpProfile  # unsmoothed percentiles (t2pump.metrics)
    tile_days: NDArray[np.int64]  # calendar days of the daily tiles, oldest first
    tile_minute_of_day: FloatArray  # (n_points,) [min after midnight]
    tile_glucose_mgdl: FloatArray  # (n_tiles, n_points), NaN where no interpolated value

    def calendar_date(self, day: int) -> dt.date | None:
        """The date of calendar day ``day`` (days since day 0), if the origin is known."""
        return None if self.origin_date is None else self.origin_date + dt.timedelta(days=day)

    @property
    def first_day(self) -> int:
        return day_of(self.first_min, self.simulated)

    @property
    def last_day(self) -> int:
        return day_of(self.last_min, self.simulated)


def day_of(t_min: float, simulated: bool) -> int:
    """The calendar day of a reading at ``t_min``. A device's reading at midnight opens the new day
    (the clock's day); the simulator's record at ``1440 (d + 1)`` closes day ``d``, whose records
    are ``t_min in (1440 d, 1440 (d + 1)]`` (docs/trace_format.md), so a 7-day run is days 1-7."""
    return math.ceil(t_min / MIN_PER_DAY) - 1 if simulated else math.floor(t_min / MIN_PER_DAY)


def agp_report_data(
    time_min: ArrayLike,
    glucose_mgdl: ArrayLike,
    *,
    patient_id: str = "",
    origin_date: str | dt.date | None = None,
    simulated: bool = False,
    target_set: str = TargetSetName.STANDARD.value,
    window_days: int | None = DEFAULT_WINDOW_DAYS,
) -> AgpReportData:
    """The report's numbers from one patient's readings.

    Parameters
    ----------
    time_min : reading times [min since the midnight of day 0, local wall clock]
    glucose_mgdl : CGM readings [mg/dL], NaN where missing
    patient_id : shown in the header
    origin_date : ISO date (or date) of day 0; without it days are numbered
    simulated : the data come from the simulator (the header says so; its days end with their
        midnight record, :func:`day_of`)
    target_set : ``"standard"``, ``"older_high_risk"`` or ``"pregnancy"`` (:mod:`targets`)
    window_days : report period [days], counted back from the last reading; None = all readings
    """
    targets = TARGET_SETS[parse_enum(TargetSetName, target_set, "target_set")]
    if window_days is not None and (
        isinstance(window_days, bool) or not isinstance(window_days, int) or window_days < 1
    ):
        raise InputRangeError("window_days", window_days, "a whole number of days >= 1, or None for all")
    origin = _origin(origin_date)
    t, g = _readings(time_min, glucose_mgdl)
    if window_days is not None:
        keep = t > t[-1] - window_days * MIN_PER_DAY
        t, g = t[keep], g[keep]
    grid = interpolation_grid(t, g)
    sufficiency = data_sufficiency(t, g)
    profiles = daily_profiles(grid, MAX_DAILY_TILES)
    last_day = day_of(float(t[-1]), simulated)
    n_tiles = min(MAX_DAILY_TILES, last_day - day_of(float(t[0]), simulated) + 1)
    tile_days = np.arange(last_day - n_tiles + 1, last_day + 1, dtype=np.int64)
    tiles = np.full((n_tiles, profiles.minute_of_day.shape[0]), np.nan)
    for row, day in zip(profiles.glucose_mgdl, profiles.day, strict=True):
        if tile_days[0] <= day <= tile_days[-1]:
            tiles[day - tile_days[0]] = row
    return AgpReportData(
        patient_id=patient_id,
        origin_date=origin,
        simulated=simulated,
        first_min=float(t[0]),
        last_min=float(t[-1]),
        n_readings=int(t.shape[0]),
        days_covered=sufficiency.days_covered,
        active_percent=active_percent(t, g),
        sufficient=sufficiency.sufficient,
        mean_mgdl=float(mean_glucose_mgdl(g)),
        gmi_percent=float(gmi_percent(g)),
        cv_percent=float(cv_percent(g)),
        targets=targets,
        bands=band_percents(g, targets),
        goals=goal_percents(g, targets),
        agp=agp_profile(grid),
        tile_days=tile_days,
        tile_minute_of_day=profiles.minute_of_day,
        tile_glucose_mgdl=tiles,
    )


def agp_report_data_from_trace(
    trace: Trace,
    *,
    patient: str | None = None,
    signal: str = "cgm",
    target_set: str = TargetSetName.STANDARD.value,
    window_days: int | None = DEFAULT_WINDOW_DAYS,
) -> AgpReportData:
    """The report's numbers for one patient of a trace (``patient`` may be omitted if there is one).

    ``signal`` must be a glucose signal in mg/dL (``cgm`` by default, the sensor reading).
    """
    if trace.t_min.shape[0] == 0 or not trace.patients:
        raise InputRangeError(
            "trace",
            f"{trace.t_min.shape[0]} times, {len(trace.patients)} patients",
            "a trace with at least one patient and 2 readings",
        )
    check_one_of("signal", signal, sorted(trace.signals))
    unit = trace.units.get(signal, "mg/dL")
    if not unit.startswith("mg/dL"):
        raise InputRangeError(f"trace.units[{signal!r}]", unit, "mg/dL")
    if patient is None:
        if len(trace.patients) != 1:
            raise InputRangeError("patient", None, "one of " + ", ".join(repr(p) for p in trace.patients))
        index = 0
    else:
        index = trace.patients.index(check_one_of("patient", patient, trace.patients))
    values = trace.signals[signal][index]
    if not np.any(np.isfinite(values)):
        raise InputRangeError(
            f"trace.signals[{signal!r}]",
            f"no reading for patient {trace.patients[index]!r}",
            "at least 2 non-missing glucose readings",
        )
    return agp_report_data(
        trace.t_min,
        values,
        patient_id=trace.patients[index],
        origin_date=trace.origin_date,
        simulated=any(name in trace.signals for name in _SIMULATOR_SIGNALS),
        target_set=target_set,
        window_days=window_days,
    )


def _origin(origin_date: str | dt.date | None) -> dt.date | None:
    if origin_date is None or isinstance(origin_date, dt.date):
        return origin_date
    try:
        return dt.date.fromisoformat(origin_date)
    except ValueError:
        raise InputRangeError("origin_date", origin_date, "an ISO date YYYY-MM-DD") from None


def _readings(time_min: ArrayLike, glucose_mgdl: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Non-missing readings sorted by time (at least 2)."""
    g = np.asarray(glucose_mgdl, dtype=np.float64)
    t = np.asarray(time_min, dtype=np.float64)
    if g.ndim != 1 or t.shape != g.shape:
        raise InputRangeError("time_min", f"shapes {t.shape} and {g.shape}", "two 1-D arrays of equal length")
    keep = ~np.isnan(g)
    if int(np.sum(keep)) < 2:
        raise InputRangeError(
            "glucose_mgdl", f"{int(np.sum(keep))} non-missing readings", "at least 2 readings"
        )
    order = np.argsort(t[keep], kind="stable")
    return t[keep][order], g[keep][order]
