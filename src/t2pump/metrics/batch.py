"""The full per-patient metric set of a cohort on one clock, computed for all patients at once.

:func:`metric_table` takes a trace's glucose ``(n_patients, n_times)`` on its shared clock
``time_min (n_times,)`` (NaN = no reading) and returns one array per metric of :data:`TABLE_KEYS`,
patient ``i`` at index ``i``. :func:`metric_row` computes the same set for one patient with the
single-subject functions of :mod:`t2pump.metrics` (the iglu-validated reference); the table equals
it patient by patient: counts, shares, quantiles, MODD, CONGA and MAGE to the last bit, sums of
non-integer terms to rounding (~1e-16 relative; tests/metrics/test_metrics_batch.py checks 1e-12).

Vectorised over patients (STYLE.md): patients are processed in blocks of about 260,000 readings
(10 patients x 90 days of 5-min data, so that every temporary array stays in cache and is reused
rather than allocated anew: benchmarks/README.md), and in each block every step is a whole-array
operation over the block's patients:

* reading metrics from each patient's distribution of readings (:mod:`cohort_readings`);
* ADRR from per-day extremes (``reduceat`` over the clock's calendar days);
* active percent from the runs of missing readings;
* iglu's interpolation grid for all patients that share a grid step
  (:mod:`~t2pump.metrics.cohort_grid`); MODD, CONGA, MAG and AUC on each patient's own part of
  it (patients grouped by number of grid days, so each is reduced exactly as alone); episode
  counts (:func:`~t2pump.metrics.episodes.episode_counts`);
* MAGE's segments, moving averages, crossings and turning points (:mod:`cohort_mage`); its
  excursion scan then runs once for the whole cohort, a loop over scan steps.

Python loops run over blocks, distinct grid steps, scan steps and distinct lengths (an exact row
sum needs rows of one length, :mod:`~t2pump.metrics._exact`; at worst one small NumPy call per
patient: 1,000 patients x 90 days whose MAGE segments all differ in length took no measurable extra
time), never over patients, except :func:`metric_table`'s documented fallback for a clock that is
not strictly increasing (readings at the same time are merged by the per-patient rules) and the
final rounding of ``ndays`` to 0.1 day with Python's ``round`` (as iglu and :func:`metric_row`).

Keys: iglu 4.3.0's output names in lower case as ``t2pump metrics`` prints them (``conga_24`` =
``conga()``, n = 24 h), plus ``min``/``q25``/``q75``/``max`` (``quantile_glu``), GRADE and its
shares, ``m_value`` (r = 90), ``mag`` (4.3.0, n = dt0), ``auc`` (hourly average), and
episode counts (``episodes_<class>``; ``hyper_extended`` = level 2 with 120-min start, as iglu's
``all_metrics(consensus_only)``). A metric the data cannot give is NaN (no reading; fewer than
two; a sampling interval over iglu's 45-min ``inter_gap`` for the grid metrics).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import InputRangeError
from t2pump.metrics import _rstats
from t2pump.metrics._exact import runs_by_length
from t2pump.metrics._inputs import glucose_array, time_array
from t2pump.metrics.auc import auc_hourly_iglu_mgdl
from t2pump.metrics.basic import (
    cv_percent,
    ea1c_percent,
    gmi_percent,
    mean_glucose_mgdl,
    median_glucose_mgdl,
    quantiles_glucose_mgdl,
    sd_glucose_mgdl,
)
from t2pump.metrics.clock import day_index, grid_step_min, sampling_interval_min
from t2pump.metrics.cohort_grid import CohortGrid, _cohort_grid, _nan_runs, _sampling_intervals
from t2pump.metrics.cohort_mage import MageTurns, mage_from_turns, mage_turns
from t2pump.metrics.cohort_readings import QUANTILE_KEYS, reading_metrics
from t2pump.metrics.episodes import (
    EXTENDED_HYPER_CRITERIA,
    EpisodeClass,
    episode_counts,
    episode_summaries,
)
from t2pump.metrics.grid import DEFAULT_INTER_GAP_MIN, GlucoseGrid, interpolation_grid
from t2pump.metrics.mage import MAGE_GRID_MIN, mage_mgdl
from t2pump.metrics.ranges import PREGNANCY_RANGE_MGDL, gri, percent_above, percent_below, percent_in_range
from t2pump.metrics.risk import BGI_RISK_SCALE, _bg_risk, adrr, grade, hbgi, j_index, lbgi, m_value
from t2pump.metrics.variability import conga_mgdl, mag_mgdl_per_h, modd_mgdl
from t2pump.metrics.wear import active_percent, wear_days
from t2pump.units import MIN_PER_DAY, MIN_PER_H

__all__ = ["SUMMARY_KEYS", "TABLE_KEYS", "metric_row", "metric_table"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_NDAYS_DECIMALS = 1  # iglu active_percent() rounds ndays to 0.1 day
_EPISODE_KEYS = {
    "episodes_hypo_lv1": EpisodeClass.HYPO_LV1,
    "episodes_hypo_lv2": EpisodeClass.HYPO_LV2,
    "episodes_hypo_extended": EpisodeClass.HYPO_EXTENDED,
    "episodes_hyper_lv1": EpisodeClass.HYPER_LV1,
    "episodes_hyper_lv2": EpisodeClass.HYPER_LV2,
}
_HYPER_EXTENDED_KEY = "episodes_hyper_extended"
_LV2_HYPER = EpisodeClass.HYPER_LV2
_GRID_KEYS = ("modd", "conga_24", "mag", "auc", *_EPISODE_KEYS, _HYPER_EXTENDED_KEY)
SUMMARY_KEYS: tuple[str, ...] = (  # what t2pump metrics prints (io.summary.METRIC_KEYS)
    "n_readings",
    "mean",
    "median",
    "sd",
    "cv",
    "gmi",
    "ea1c",
    "below_54",
    "below_70",
    "in_range_70_180",
    "in_range_70_140",
    "in_range_63_140",  # pregnancy range (Battelino 2019 Table 4)
    "below_63",
    "above_140",
    "above_180",
    "above_250",
    "lbgi",
    "hbgi",
    "gri",
    "j_index",
    "adrr",
    "active_percent",
    "ndays",
    "mage",
    "modd",
    "conga_24",
)
TABLE_KEYS: tuple[str, ...] = (
    *SUMMARY_KEYS,
    "min",
    "q25",
    "q75",
    "max",
    "grade",
    "grade_hypo",
    "grade_eugly",
    "grade_hyper",
    "m_value",
    "mag",
    "auc",
    *_EPISODE_KEYS,
    _HYPER_EXTENDED_KEY,
)
_BLOCK_READINGS = 1 << 18  # readings per block of patients (module doc)


@dataclass(frozen=True, slots=True)
class _Wanted:
    """Which groups of metrics a call computes (reading metrics always: they are cheap)."""

    keys: tuple[str, ...]
    mage: bool
    grid: bool
    episodes: bool

    @staticmethod
    def of(keys: Iterable[str] | None) -> _Wanted:
        chosen = TABLE_KEYS if keys is None else tuple(keys)
        unknown = [k for k in chosen if k not in TABLE_KEYS]
        if unknown:
            raise InputRangeError("keys", unknown, "names among " + ", ".join(TABLE_KEYS))
        wanted = set(chosen)
        return _Wanted(
            keys=tuple(k for k in TABLE_KEYS if k in wanted),
            mage="mage" in wanted,
            grid=bool(wanted & {"modd", "conga_24", "mag", "auc"}),
            episodes=bool(wanted & {*_EPISODE_KEYS, _HYPER_EXTENDED_KEY}),
        )


def metric_row(
    time_min: ArrayLike, glucose_mgdl: ArrayLike, keys: Iterable[str] | None = None
) -> dict[str, float]:
    """:data:`TABLE_KEYS` (or ``keys``) of one patient, from the single-subject functions.

    The reference path for :func:`metric_table`.

    Parameters
    ----------
    time_min : reading times [min since the midnight of day 0, local wall clock]
    glucose_mgdl : readings [mg/dL], NaN where missing
    keys : the metrics wanted (default all); MAGE, the grid metrics and the episodes are only
        computed when asked for
    """
    wanted = _Wanted.of(keys)
    g_all = glucose_array(glucose_mgdl)
    t_all = time_array(time_min, g_all.shape[-1])
    have = ~np.isnan(g_all)
    t, g = t_all[have], g_all[have]
    out = dict.fromkeys(TABLE_KEYS, math.nan)
    out["n_readings"] = float(g.shape[0])
    if g.shape[0] == 0:
        return {key: out[key] for key in wanted.keys}
    q = quantiles_glucose_mgdl(g, [100.0 * p for p in QUANTILE_KEYS.values()])
    gr = grade(g)
    reading = {
        "mean": mean_glucose_mgdl(g),
        "median": median_glucose_mgdl(g),
        "sd": sd_glucose_mgdl(g),
        "cv": cv_percent(g),
        "gmi": gmi_percent(g),
        "ea1c": ea1c_percent(g),
        "below_54": percent_below(g, 54.0),
        "below_70": percent_below(g, 70.0),
        "in_range_70_180": percent_in_range(g, 70.0, 180.0),
        "in_range_70_140": percent_in_range(g, 70.0, 140.0),
        "in_range_63_140": percent_in_range(g, *PREGNANCY_RANGE_MGDL),
        "below_63": percent_below(g, PREGNANCY_RANGE_MGDL[0]),
        "above_140": percent_above(g, PREGNANCY_RANGE_MGDL[1]),
        "above_180": percent_above(g, 180.0),
        "above_250": percent_above(g, 250.0),
        "lbgi": lbgi(g),
        "hbgi": hbgi(g),
        "gri": gri(g).gri,
        "j_index": j_index(g),
        "adrr": adrr(t, g),
        "grade": gr.grade,
        "grade_hypo": gr.hypo_percent,
        "grade_eugly": gr.eu_percent,
        "grade_hyper": gr.hyper_percent,
        "m_value": m_value(g),
        **{key: q[i] for i, key in enumerate(QUANTILE_KEYS) if key != "median"},
    }
    out.update({key: float(value) for key, value in reading.items()})
    if np.unique(t).shape[0] >= 2:
        out["active_percent"] = active_percent(t, g)
        out["ndays"] = round(wear_days(t, g), _NDAYS_DECIMALS)
        if wanted.mage:
            out["mage"] = mage_mgdl(t, g)
        if (wanted.grid or wanted.episodes) and sampling_interval_min(t) <= DEFAULT_INTER_GAP_MIN:
            _row_grid_metrics(interpolation_grid(t, g), wanted, out)
    return {key: out[key] for key in wanted.keys}


def _row_grid_metrics(grid: GlucoseGrid, wanted: _Wanted, out: dict[str, float]) -> None:
    if wanted.grid:
        out["modd"] = modd_mgdl(grid)
        out["conga_24"] = conga_mgdl(grid, lag_h=24)
        out["mag"] = mag_mgdl_per_h(grid)
        out["auc"] = auc_hourly_iglu_mgdl(grid)
    if wanted.episodes:
        episodes = episode_summaries(grid)
        for key, cls in _EPISODE_KEYS.items():
            out[key] = float(episodes[cls].total_episodes)
        extended = episode_summaries(grid, EXTENDED_HYPER_CRITERIA)[EpisodeClass.HYPER_LV2]
        out[_HYPER_EXTENDED_KEY] = float(extended.total_episodes)


def metric_table(
    time_min: ArrayLike, glucose_mgdl: ArrayLike, keys: Iterable[str] | None = None
) -> dict[str, FloatArray]:
    """:data:`TABLE_KEYS` (or ``keys``) of every patient at once (module doc), each ``(n_patients,)``.

    Parameters
    ----------
    time_min : (n_times,) the shared clock [min since the midnight of day 0, local wall clock]
    glucose_mgdl : (n_patients, n_times) readings [mg/dL], NaN where a patient has none
    keys : the metrics wanted (default all); MAGE, the grid metrics and the episodes are only
        computed when asked for
    """
    wanted = _Wanted.of(keys)
    g = glucose_array(glucose_mgdl)
    g = g.reshape(1, -1) if g.ndim == 1 else g
    if g.ndim != 2:
        raise InputRangeError("glucose_mgdl", f"shape {g.shape}", "(n_patients, n_times)")
    t = time_array(time_min, g.shape[1])
    if np.any(np.diff(t) <= 0.0):
        return _per_patient(t, g, wanted)
    n_patients = g.shape[0]
    out = {key: np.full(n_patients, np.nan) for key in TABLE_KEYS}
    day = day_index(t)
    day_starts = np.flatnonzero(np.append(True, np.diff(day) != 0))
    block = max(1, _BLOCK_READINGS // max(1, g.shape[1]))
    turns: list[tuple[int, MageTurns]] = []
    for r0 in range(0, n_patients, block):
        part, grid5 = _block(t, g[r0 : r0 + block], day_starts, wanted)
        for key, value in part.items():
            out[key][r0 : r0 + block] = value
        if grid5 is not None and wanted.mage:
            turns.append((r0, mage_turns(grid5.glucose_mgdl)))
    if wanted.mage:
        out["mage"] = mage_from_turns(MageTurns.concatenate(turns), n_patients)
    # Python's round, as iglu/metric_row (0.1-day rounding of floats is not NumPy's rint(10 x)/10).
    out["ndays"] = np.array([round(float(x), _NDAYS_DECIMALS) for x in out["ndays"]])
    return {key: out[key] for key in wanted.keys}


def _per_patient(t: FloatArray, g: FloatArray, wanted: _Wanted) -> dict[str, FloatArray]:
    """Fallback for a clock that is not strictly increasing: :func:`metric_row` patient by patient."""
    rows = [metric_row(t, row, wanted.keys) for row in g]
    return {key: np.array([r[key] for r in rows], dtype=np.float64).reshape(-1) for key in wanted.keys}


def _block(
    t: FloatArray, g: FloatArray, day_starts: IntArray, wanted: _Wanted
) -> tuple[dict[str, FloatArray], CohortGrid | None]:
    """Every metric but MAGE for a block of patients, and the block's 5-min grid (MAGE's: iglu
    always interpolates to 5 min for MAGE; None when neither MAGE nor a grid metric is wanted)."""
    out = reading_metrics(g)
    out["adrr"] = _adrr(g, day_starts)
    valid = ~np.isnan(g)
    n = np.sum(valid, axis=1)
    two = n >= 2
    first = np.argmax(valid, axis=1)
    last = g.shape[1] - 1 - np.argmax(valid[:, ::-1], axis=1)
    dt0 = _sampling_intervals(t, valid)
    out["ndays"] = np.where(two, (t[last] - t[first]) / MIN_PER_DAY, np.nan)
    out["active_percent"] = _active_percent(t, valid, first, last, dt0)
    for key in _GRID_KEYS:
        out[key] = np.full(g.shape[0], np.nan)
    step = np.zeros(g.shape[0], dtype=np.int64)
    for d in np.unique(dt0[two & (dt0 <= DEFAULT_INTER_GAP_MIN)]):
        step[two & (dt0 == d)] = grid_step_min(int(d))
    if not (wanted.mage or wanted.grid or wanted.episodes):
        return out, None
    grid5 = _cohort_grid(t, g, MAGE_GRID_MIN, DEFAULT_INTER_GAP_MIN)
    for s in np.unique(step[step > 0] if wanted.grid or wanted.episodes else []):
        rows = np.flatnonzero(step == s)
        grid = (
            grid5.rows(rows)
            if s == MAGE_GRID_MIN
            else _cohort_grid(t, g[rows], int(s), DEFAULT_INTER_GAP_MIN)
        )
        if wanted.grid:
            _grid_metrics(grid, rows, out)
        if wanted.episodes:
            counts = episode_counts(grid.glucose_mgdl, grid.dt0_min)
            for key, cls in _EPISODE_KEYS.items():
                out[key][rows] = counts[cls]
            longer = episode_counts(grid.glucose_mgdl, grid.dt0_min, EXTENDED_HYPER_CRITERIA, (_LV2_HYPER,))
            out[_HYPER_EXTENDED_KEY][rows] = longer[_LV2_HYPER]
    return out, grid5


def _adrr(g: FloatArray, day_starts: IntArray) -> FloatArray:
    """ADRR from each day's highest and lowest reading (risk is increasing in glucose from 1 mg/dL;
    below 1 mg/dL it is undefined, as in :func:`~t2pump.metrics.risk.adrr`, whose max/min skip it)."""
    usable = np.where(g >= 1.0, g, np.nan) if np.any(g < 1.0) else g
    f_max = _bg_risk(np.fmax.reduceat(usable, day_starts, axis=1))
    f_min = _bg_risk(np.fmin.reduceat(usable, day_starts, axis=1))
    high = np.maximum(f_max, 0.0)
    low = np.minimum(f_min, 0.0)
    return _rstats.nanmean(BGI_RISK_SCALE * high * high + BGI_RISK_SCALE * low * low)


def _active_percent(
    t: FloatArray, valid: NDArray[np.bool_], first: IntArray, last: IntArray, dt0: IntArray
) -> FloatArray:
    """:func:`~t2pump.metrics.wear.active_percent` of each row (rows with dt0 < 1 get NaN).

    Intervals between successive readings are either across a run of missing readings (one per
    run) or one clock step; the gaps (rounded interval > dt0) are summed per patient in time order
    with NumPy's own summation (patients grouped by number of gaps).
    """
    n_rows, n_times = valid.shape
    ok = dt0 >= 1
    d0 = np.maximum(dt0, 1)
    run_start, run_end = _nan_runs(valid)
    row = run_start // n_times
    c_start, c_end = run_start - row * n_times, run_end - row * n_times
    inside = (c_start > first[row]) & (c_end < last[row])
    gap_row, gap_col = row[inside], c_end[inside] + 1
    gap_len = t[gap_col] - t[c_start[inside] - 1]
    step = np.diff(t)
    wide = np.flatnonzero(np.round(step) > np.min(d0)) + 1  # clock steps that can be gaps
    if wide.shape[0]:
        both = valid[:, wide] & valid[:, wide - 1]
        r, k = np.nonzero(both)
        gap_row = np.concatenate((gap_row, r))
        gap_col = np.concatenate((gap_col, wide[k]))
        gap_len = np.concatenate((gap_len, step[wide[k] - 1]))
    is_gap = np.round(gap_len) > d0[gap_row]
    gap_row, gap_col, gap_len = gap_row[is_gap], gap_col[is_gap], gap_len[is_gap]
    order = np.lexsort((gap_col, gap_row))
    gap_len = gap_len[order]
    n_gaps = np.bincount(gap_row, minlength=n_rows)
    start = np.cumsum(n_gaps) - n_gaps
    gap_sum = np.zeros(n_rows)
    for members, index in runs_by_length(start, n_gaps):
        gap_sum[members] = np.sum(gap_len[index], axis=-1)
    expected = np.round(np.round(t[last] - t[first]) / d0) + 1.0
    missing = np.round((gap_sum - n_gaps * d0) / d0)
    return np.where(ok, (expected - missing) / expected * 100.0, np.nan)


def _grid_metrics(grid: CohortGrid, rows: IntArray, out: dict[str, FloatArray]) -> None:
    """MODD, CONGA24, MAG and AUC of ``rows`` from their grid (one grid step).

    Patients with the same number of grid days are taken together, each on its own grid columns,
    so that every sum runs over the same values in the same order as for the patient alone.
    """
    lo, hi = grid.columns
    values = grid.glucose_mgdl
    flat = values.reshape(-1)
    dt0, per_day = grid.dt0_min, grid.points_per_day
    lag_24h = 24 * _rstats.round_half_even(MIN_PER_H / dt0)  # iglu conga(): round(60 / dt0) n
    h = dt0 / MIN_PER_H
    for members, index in runs_by_length(np.arange(rows.shape[0]) * values.shape[1] + lo, hi - lo):
        same = np.all(lo[members] == lo[members[0]]) and members[-1] - members[0] == members.shape[0] - 1
        # each patient's own grid, as interpolation_grid gives it (a view when the rows allow)
        w = values[members[0] : members[-1] + 1, lo[members[0]] : hi[members[0]]] if same else flat[index]
        n_days = w.shape[1] // per_day
        target = rows[members]
        d = _lagged_diff(w, lag_24h)
        miss = np.isnan(d)
        n = np.sum(~miss, axis=-1, dtype=np.int64)
        dz = np.where(miss, 0.0, d)
        mean = _rstats.divide(np.sum(dz, axis=-1), n)
        dev = np.where(miss, 0.0, d - mean[:, None])
        out["conga_24"][target] = np.sqrt(
            _rstats.divide(np.sum(dev * dev, axis=-1), np.where(n >= 2, n - 1, 0))
        )
        if lag_24h == per_day:  # MODD's day-to-day differences are CONGA24's
            out["modd"][target] = _rstats.divide(np.sum(np.abs(dz), axis=-1), n)
        else:
            days = w.reshape(w.shape[0], n_days, per_day)
            out["modd"][target] = _rstats.nanmean(np.abs(days[:, 1:] - days[:, :-1]).reshape(w.shape[0], -1))
        d = np.diff(w, axis=1)
        miss = np.isnan(d)
        n_d = np.sum(~miss, axis=-1, dtype=np.int64)
        out["mag"][target] = _rstats.divide(
            np.sum(np.where(miss, 0.0, np.abs(d)), axis=-1), n_d * (dt0 / MIN_PER_H)
        )
        area = h * (_lagged_sum(w, n_days) / 2.0)
        miss = np.isnan(area)
        n_a = np.sum(~miss, axis=-1, dtype=np.int64)
        out["auc"][target] = _rstats.divide(np.sum(np.where(miss, 0.0, area), axis=-1), h * n_a)


def _lagged_diff(w: FloatArray, lag: int) -> FloatArray:
    """Row-wise R ``diff(x, lag)``: ``x[i + lag] - x[i]`` (no column when ``lag >= width``)."""
    width = max(w.shape[1] - lag, 0)
    out: FloatArray = w[:, w.shape[1] - width :] - w[:, :width]
    return out


def _lagged_sum(w: FloatArray, lag: int) -> FloatArray:
    """Row-wise ``x[i + lag] + x[i]`` (no column when ``lag >= width``), as auc pairs points."""
    width = max(w.shape[1] - lag, 0)
    out: FloatArray = w[:, w.shape[1] - width :] + w[:, :width]
    return out
