"""Hypo- and hyperglycaemia episodes (events) per the 2023 consensus, as iglu computes them.

Battelino et al. 2023 [1]_ (Table 3) define CGM events: level 1 hypoglycaemia starts with at least
15 consecutive minutes < 70 mg/dL and ends with at least 15 consecutive minutes >= 70 mg/dL;
level 2 with < 54 / >= 54; level 1 and 2 hyperglycaemia with > 180 / <= 180 and > 250 / <= 250;
extended hypoglycaemia with more than 120 consecutive minutes < 70 mg/dL. iglu 4.3.0
``episode_calculation`` [2]_ encodes them on the interpolation grid, and t2pump reproduces it:

1. the readings go on the grid (:func:`~t2pump.metrics.grid.interpolation_grid`, step ``dt0``,
   no interpolation across gaps > 45 min); each run of grid points with a value is a segment;
2. in a segment, a run of at least ``ceil(dur_length / dt0)`` points meeting the condition (e.g.
   ``g < 70``) starts an episode; the episode ends just before the first later run of at least
   ``ceil(end_length / dt0)`` points not meeting it, or at the end of the segment, so short returns
   across the threshold do not end it; starts inside an episode are absorbed;
3. extended hypoglycaemia: a run of at least ``120 / dt0 + 1`` points (over 120 min) < 70 starts it,
   with the same end rule; level 2 is counted as a subset of level 1 (iglu's reading of the
   consensus); ``lv1_excl`` are the level-1 episodes that contain no level-2 point;
4. per class: number of episodes; episodes per day of data (points with a value x dt0 / 1440,
   gaps excluded); mean duration (points x dt0) [min]; mean of the episodes' mean glucose [mg/dL]
   (NaN when there is none).

When ``dur_length`` is not a multiple of ``dt0`` the duration is rounded up to one (iglu does the
same and warns; so does t2pump): ``pgs`` on 15-min data uses 30-min episodes instead of 20.

References
----------
.. [1] Battelino T, Alexander CM, Amiel SA, et al. Continuous glucose monitoring and metrics for
   clinical trials: an international consensus statement. Lancet Diabetes Endocrinol
   2023;11(1):42-57. doi:10.1016/S2213-8587(22)00319-9
.. [2] iglu 4.3.0 ``R/episode_calculation.R`` (GitHub irinagain/iglu, commit 33d72695).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from t2pump.errors import InputRangeError, check_range
from t2pump.metrics.grid import GlucoseGrid
from t2pump.metrics.ranges import HYPER_L1_MGDL, HYPER_L2_MGDL, HYPO_L1_MGDL, HYPO_L2_MGDL
from t2pump.units import MIN_PER_DAY

__all__ = [
    "EPISODE_MIN_DURATION_MIN",
    "EXTENDED_HYPER_CRITERIA",
    "EXTENDED_HYPO_MIN",
    "Episode",
    "EpisodeClass",
    "EpisodeCriteria",
    "EpisodeSummary",
    "episode_summaries",
    "find_episodes",
]

IntArray = NDArray[np.int64]

EPISODE_MIN_DURATION_MIN = 15.0  # start and end runs last >= 15 min [1]
EXTENDED_HYPO_MIN = 120.0  # extended hypoglycaemia: > 120 min below 70 mg/dL [1]


class EpisodeClass(StrEnum):
    """Event classes of iglu ``episode_calculation`` (``<type>_<level>``) [2]."""

    HYPO_LV1 = "hypo_lv1"
    HYPO_LV2 = "hypo_lv2"
    HYPO_EXTENDED = "hypo_extended"
    HYPER_LV1 = "hyper_lv1"
    HYPER_LV2 = "hyper_lv2"
    HYPO_LV1_EXCL = "hypo_lv1_excl"
    HYPER_LV1_EXCL = "hyper_lv1_excl"


@dataclass(frozen=True, slots=True)
class Episode:
    """One episode on the grid."""

    start_min: float  # time of its first grid point [min since the time origin]
    duration_min: float  # grid points x dt0 [min]
    mean_glucose_mgdl: float


@dataclass(frozen=True, slots=True)
class EpisodeSummary:
    """iglu's summary of one class of episodes [2]."""

    total_episodes: int
    episodes_per_day: float  # per day of data with a grid value [1/day]
    mean_duration_min: float  # 0 when there is none (iglu)
    mean_glucose_mgdl: float  # NaN when there is none (iglu NA)


def _runs(values: NDArray[np.bool_], segment: IntArray) -> tuple[IntArray, IntArray]:
    """Starts and lengths of the runs of equal ``values`` within each segment."""
    n = values.shape[0]
    change = np.ones(n, dtype=bool)
    change[1:] = (values[1:] != values[:-1]) | (segment[1:] != segment[:-1])
    starts = np.flatnonzero(change)
    lengths = np.diff(np.append(starts, n))
    return starts, lengths


def _episode_bounds(
    cond: NDArray[np.bool_], segment: IntArray, start_points: int, end_points: int
) -> tuple[IntArray, IntArray]:
    """First and last index (inclusive) of each episode on the compressed series (module doc, 2)."""
    starts, lengths = _runs(cond, segment)
    is_start = cond[starts] & (lengths >= start_points)
    is_end = ~cond[starts] & (lengths >= end_points)
    seg_last = np.flatnonzero(np.append(segment[1:] != segment[:-1], True))
    markers = np.union1d(starts[is_end], seg_last + 1)  # an end run or the end of the segment
    ep_start = starts[is_start]
    if ep_start.shape[0] == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    ep_end = markers[np.searchsorted(markers, ep_start, side="right")] - 1
    _, first = np.unique(ep_end, return_index=True)  # starts inside an episode are absorbed
    return ep_start[first], ep_end[first]


@dataclass(frozen=True, slots=True)
class EpisodeCriteria:
    """Thresholds and durations that define the episodes (defaults: Battelino 2023 [1], iglu [2])."""

    lv1_hypo_mgdl: float = HYPO_L1_MGDL  # level 1 hypo: below
    lv2_hypo_mgdl: float = HYPO_L2_MGDL  # level 2 hypo: below
    lv1_hyper_mgdl: float = HYPER_L1_MGDL  # level 1 hyper: above
    lv2_hyper_mgdl: float = HYPER_L2_MGDL  # level 2 hyper: above
    dur_length_min: float = EPISODE_MIN_DURATION_MIN  # shortest run that starts an episode [min]
    end_length_min: float = EPISODE_MIN_DURATION_MIN  # shortest run back that ends it [min]


# iglu's stand-in for the consensus "extended hyperglycaemia" (> 250 mg/dL for >= 120 min [1]):
# level-2 hyperglycaemia episodes with dur_length = 120 min (all_metrics "consensus_only" [2]).
EXTENDED_HYPER_CRITERIA = EpisodeCriteria(dur_length_min=EXTENDED_HYPO_MIN)


def _point_counts(criteria: EpisodeCriteria, dt0: int) -> tuple[int, int]:
    """Grid points of the start and end runs, checking the criteria (module doc, 2)."""
    c = criteria
    for field in ("lv1_hypo_mgdl", "lv2_hypo_mgdl", "lv1_hyper_mgdl", "lv2_hyper_mgdl"):
        check_range(field, getattr(c, field), 0.0, np.inf, "mg/dL", lo_inclusive=False)
    if c.lv2_hypo_mgdl > c.lv1_hypo_mgdl:
        raise InputRangeError(
            "lv2_hypo_mgdl", c.lv2_hypo_mgdl, f"a threshold <= lv1_hypo_mgdl = {c.lv1_hypo_mgdl:g}"
        )
    if c.lv2_hyper_mgdl < c.lv1_hyper_mgdl:
        raise InputRangeError(
            "lv2_hyper_mgdl", c.lv2_hyper_mgdl, f"a threshold >= lv1_hyper_mgdl = {c.lv1_hyper_mgdl:g}"
        )
    dur = check_range("dur_length_min", c.dur_length_min, 0.0, MIN_PER_DAY, "min", lo_inclusive=False)
    end = check_range("end_length_min", c.end_length_min, 0.0, MIN_PER_DAY, "min", lo_inclusive=False)
    if dur % dt0 != 0:
        warnings.warn(
            f"episode duration {dur:g} min is not a multiple of the grid step {dt0} min; "
            f"using {math.ceil(dur / dt0) * dt0} min",
            stacklevel=3,
        )
    return math.ceil(dur / dt0), math.ceil(end / dt0)


def _exclusive(
    lv1: tuple[IntArray, IntArray], lv2: tuple[IntArray, IntArray], n: int
) -> tuple[IntArray, IntArray]:
    """The level-1 episodes that contain no point of a level-2 episode."""
    step = np.zeros(n + 1, dtype=np.int64)
    np.add.at(step, lv2[0], 1)
    np.add.at(step, lv2[1] + 1, -1)
    covered = np.concatenate(([0], np.cumsum(np.cumsum(step)[:-1] > 0)))
    s1, e1 = lv1
    keep = covered[e1 + 1] - covered[s1] == 0
    return s1[keep], e1[keep]


def find_episodes(
    grid: GlucoseGrid, criteria: EpisodeCriteria = EpisodeCriteria()
) -> dict[EpisodeClass, list[Episode]]:
    """The episodes of each class on one subject's grid (module doc), in time order."""
    c = criteria
    dur, end = _point_counts(c, grid.dt0_min)
    flat = grid.flat
    have = ~np.isnan(flat)
    segment = np.cumsum(np.append(True, have[1:] != have[:-1]))[have].astype(np.int64)
    g, times = flat[have], grid.time_min[have]
    ext = math.ceil(EXTENDED_HYPO_MIN / grid.dt0_min + 1)  # iglu: at least 120 / dt0 + 1 points
    bounds = {
        EpisodeClass.HYPO_LV1: _episode_bounds(g < c.lv1_hypo_mgdl, segment, dur, end),
        EpisodeClass.HYPO_LV2: _episode_bounds(g < c.lv2_hypo_mgdl, segment, dur, end),
        EpisodeClass.HYPO_EXTENDED: _episode_bounds(g < c.lv1_hypo_mgdl, segment, ext, end),
        EpisodeClass.HYPER_LV1: _episode_bounds(g > c.lv1_hyper_mgdl, segment, dur, end),
        EpisodeClass.HYPER_LV2: _episode_bounds(g > c.lv2_hyper_mgdl, segment, dur, end),
    }
    n = g.shape[0]
    bounds[EpisodeClass.HYPO_LV1_EXCL] = _exclusive(
        bounds[EpisodeClass.HYPO_LV1], bounds[EpisodeClass.HYPO_LV2], n
    )
    bounds[EpisodeClass.HYPER_LV1_EXCL] = _exclusive(
        bounds[EpisodeClass.HYPER_LV1], bounds[EpisodeClass.HYPER_LV2], n
    )
    return {
        cls: [
            Episode(
                start_min=float(times[a]),
                duration_min=float((b - a + 1) * grid.dt0_min),
                mean_glucose_mgdl=float(np.mean(g[a : b + 1])),
            )
            for a, b in zip(s, e, strict=True)
        ]
        for cls, (s, e) in bounds.items()
    }


def episode_summaries(
    grid: GlucoseGrid, criteria: EpisodeCriteria = EpisodeCriteria()
) -> dict[EpisodeClass, EpisodeSummary]:
    """iglu ``episode_calculation`` for one subject's grid: a summary per class (module doc, 4)."""
    episodes = find_episodes(grid, criteria)
    data_days = int(np.sum(~np.isnan(grid.flat))) * grid.dt0_min / MIN_PER_DAY
    out: dict[EpisodeClass, EpisodeSummary] = {}
    for cls, eps in episodes.items():
        n = len(eps)
        out[cls] = EpisodeSummary(
            total_episodes=n,
            episodes_per_day=n / data_days if n else 0.0,
            mean_duration_min=float(np.mean([e.duration_min for e in eps])) if n else 0.0,
            mean_glucose_mgdl=float(np.mean([e.mean_glucose_mgdl for e in eps])) if n else math.nan,
        )
    return out


_BATCHED_CLASSES = (
    EpisodeClass.HYPO_LV1,
    EpisodeClass.HYPO_LV2,
    EpisodeClass.HYPO_EXTENDED,
    EpisodeClass.HYPER_LV1,
    EpisodeClass.HYPER_LV2,
)


def episode_counts(
    grid_mgdl: NDArray[np.float64],
    dt0_min: int,
    criteria: EpisodeCriteria = EpisodeCriteria(),
    classes: tuple[EpisodeClass, ...] = _BATCHED_CLASSES,
) -> dict[EpisodeClass, IntArray]:
    """Number of episodes of each class for many grids at once: ``total_episodes`` of
    :func:`episode_summaries`, one row of ``grid_mgdl`` per patient (batched entry point).

    ``grid_mgdl`` is ``(n_patients, n_points)``: each row a patient's grid in time order (e.g. a
    :class:`~t2pump.metrics.cohort_grid.CohortGrid` row), NaN where it has no value; runs of values
    are the segments, as in :func:`find_episodes`, and never continue into the next row.

    The definitions are :func:`find_episodes`'s own: each row is reduced to its runs of points that
    meet the condition or not, and the same ``_episode_bounds`` runs on all rows' runs at once, each
    run shortened to 1 or 2 points by the length test that decides its role (``_Runs.count``).
    Level-1-exclusive classes need point positions and are not batched.
    """
    g = np.asarray(grid_mgdl, dtype=np.float64)
    if g.ndim != 2:
        raise InputRangeError("grid_mgdl", f"shape {g.shape}", "(n_patients, n_points)")
    for cls in classes:
        if cls not in _BATCHED_CLASSES:
            raise InputRangeError("classes", str(cls), "classes among " + ", ".join(_BATCHED_CLASSES))
    c = criteria
    dur, end = _point_counts(c, dt0_min)
    ext = math.ceil(EXTENDED_HYPO_MIN / dt0_min + 1)
    rules = {
        EpisodeClass.HYPO_LV1: ("<", c.lv1_hypo_mgdl, dur),
        EpisodeClass.HYPO_LV2: ("<", c.lv2_hypo_mgdl, dur),
        EpisodeClass.HYPO_EXTENDED: ("<", c.lv1_hypo_mgdl, ext),
        EpisodeClass.HYPER_LV1: (">", c.lv1_hyper_mgdl, dur),
        EpisodeClass.HYPER_LV2: (">", c.lv2_hyper_mgdl, dur),
    }
    have = ~np.isnan(g)
    runs: dict[tuple[str, float], _Runs] = {}  # lv1 and extended share one condition
    out: dict[EpisodeClass, IntArray] = {}
    for cls in classes:
        op, threshold, start_points = rules[cls]
        key = (op, threshold)
        if key not in runs:
            runs[key] = _Runs.of(g < threshold if op == "<" else g > threshold, have)
        out[cls] = runs[key].count(start_points, end, g.shape[0])
    return out


@dataclass(frozen=True, slots=True, eq=False)
class _Runs:
    """The rows' runs of points that meet a condition (state 2), do not (1) or have no value (0)."""

    state: NDArray[np.int8]  # per run
    length: IntArray  # per run
    row: IntArray  # per run
    segment: IntArray  # per run: segment number (runs of values, never across rows), ascending

    @staticmethod
    def of(cond: NDArray[np.bool_], have: NDArray[np.bool_]) -> _Runs:
        state = have.view(np.int8) + cond.view(np.int8)  # cond implies have (NaN compares false)
        change = np.ones(state.shape, dtype=bool)
        change[:, 1:] = state[:, 1:] != state[:, :-1]
        start = np.flatnonzero(change)  # every row start is a run start
        run_state = state.reshape(-1)[start]
        row, col = np.divmod(start, state.shape[1])
        new_segment = (col == 0) | np.concatenate(([True], run_state[:-1] == 0))
        keep = run_state > 0
        return _Runs(
            state=run_state[keep],
            length=np.diff(np.append(start, state.size))[keep],
            row=row[keep],
            segment=np.cumsum(new_segment, dtype=np.int64)[keep],
        )

    def count(self, start_points: int, end_points: int, n_rows: int) -> IntArray:
        """Episodes per row: the runs, shortened, through _episode_bounds (episode_runs).

        ``_episode_bounds`` uses a run's length only through ``length >= start_points`` (a run that
        meets the condition) or ``length >= end_points`` (one that does not); each run becomes 2
        points if its test holds and 1 if not, with both thresholds 2: the same tests, the same
        episodes.
        """
        meets = self.state == 2
        long = self.length >= np.where(meets, start_points, end_points)
        points = 1 + long.astype(np.int64)
        run = np.repeat(np.arange(points.shape[0]), points)
        ep_start, _ = _episode_bounds(np.repeat(meets, points), self.segment[run], 2, 2)
        out: IntArray = np.bincount(self.row[run[ep_start]], minlength=n_rows).astype(np.int64)
        return out
