"""iglu's interpolation grid for many patients on one clock, built at once (no loop over patients).

:func:`~t2pump.metrics.grid.interpolation_grid` builds one subject's iglu ``CGMS2DayByDay`` grid
[1]_. When patients share a clock (a trace: ``time_min (n_times,)``, ``glucose (n_patients,
n_times)``, NaN = no reading) and a grid step, every patient's grid points lie on one lattice,
``00:00 + k dt0`` of the clock's day 0: patient ``i``'s grid is the columns ``lo[i]:hi[i]`` of one
``(n_patients, n_columns)`` matrix. :func:`cohort_grid` fills that matrix with the rules of
:mod:`~t2pump.metrics.grid` applied row by row, and :meth:`CohortGrid.patient` gives each
patient's grid, equal to ``interpolation_grid`` on its readings to the last bit (tested):

* a lattice point that is a patient's reading takes its value (iglu's interpolation weight is 0);
* every other point between the patient's first and last reading is interpolated between the
  readings before and after it, with the same arithmetic (weights on whole microseconds), and left
  missing strictly inside an interval longer than ``inter_gap``; only these points are computed;
* outside a patient's own grid the matrix is NaN, so lags and differences never mix patients.

:func:`sampling_intervals_min` gives each patient's ``dt0`` (rounded median interval between its
readings) at once: on an evenly spaced clock the median is the clock step whenever more than half
of the patient's intervals are single steps (counted, no sort); the other patients' intervals are
sorted row-wise.

References
----------
.. [1] iglu 4.3.0, ``R/utils.R`` ``CGMS2DayByDay`` (GitHub irinagain/iglu, commit 33d72695).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import InputRangeError, check_range
from t2pump.metrics._inputs import glucose_array, positive_int, time_array
from t2pump.metrics.clock import grid_step_min
from t2pump.metrics.grid import DEFAULT_INTER_GAP_MIN, TIME_EPS_MIN, GlucoseGrid, approx_weights
from t2pump.units import MIN_PER_DAY

__all__ = ["CohortGrid", "cohort_grid", "sampling_intervals_min", "shared_clock"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, slots=True, eq=False)
class CohortGrid:
    """Patients' iglu grids on one lattice: row ``i`` is patient ``i``.

    ``glucose_mgdl[i, c]`` is the value at minute ``(first_day * 1440) + (c + 1) * dt0_min``; patient
    ``i``'s own grid (iglu's ``gd2d``, flattened) is ``glucose_mgdl[i, lo[i]:hi[i]]`` with
    :attr:`columns`; everything else is NaN.
    """

    glucose_mgdl: FloatArray  # (n_patients, n_columns) [mg/dL]
    first_day: int  # calendar day of columns 0 ... points_per_day - 1
    dt0_min: int  # grid step [min]
    patient_first_day: IntArray  # (n_patients,) calendar day of each patient's first grid row
    patient_n_days: IntArray  # (n_patients,) grid rows of each patient (0: fewer than 2 readings)

    @property
    def points_per_day(self) -> int:
        return int(MIN_PER_DAY) // self.dt0_min

    @property
    def columns(self) -> tuple[IntArray, IntArray]:
        """``(lo, hi)``: patient ``i``'s grid is columns ``lo[i]:hi[i]`` (empty when it has none)."""
        lo = (self.patient_first_day - self.first_day) * self.points_per_day
        lo = np.where(self.patient_n_days > 0, lo, 0)
        return lo, lo + self.patient_n_days * self.points_per_day

    def rows(self, index: IntArray) -> CohortGrid:
        """The grid of patients ``index`` only (same lattice)."""
        return CohortGrid(
            self.glucose_mgdl[index],
            self.first_day,
            self.dt0_min,
            self.patient_first_day[index],
            self.patient_n_days[index],
        )

    def patient(self, i: int) -> GlucoseGrid:
        """Patient ``i``'s grid, as :func:`~t2pump.metrics.grid.interpolation_grid` returns it."""
        if self.patient_n_days[i] == 0:
            raise InputRangeError(f"patient {i}", "fewer than 2 readings", "at least 2 readings")
        lo, hi = self.columns
        values = self.glucose_mgdl[i, lo[i] : hi[i]].reshape(-1, self.points_per_day).copy()
        return GlucoseGrid(
            glucose_mgdl=values, first_day=int(self.patient_first_day[i]), dt0_min=self.dt0_min
        )


def shared_clock(time_min: ArrayLike, glucose_mgdl: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Checked ``(time (n_times,), glucose (n_patients, n_times))``; the clock strictly increasing."""
    g = glucose_array(glucose_mgdl)
    if g.ndim != 2:
        raise InputRangeError("glucose_mgdl", f"shape {g.shape}", "(n_patients, n_times)")
    t = time_array(time_min, g.shape[1])
    if np.any(np.diff(t) <= 0.0):
        i = int(np.argmax(np.diff(t) <= 0.0)) + 1
        raise InputRangeError(f"time_min[{i}]", float(t[i]), "times strictly increasing (one shared clock)")
    return t, g


def _first_last(valid: BoolArray) -> tuple[IntArray, IntArray, IntArray]:
    """Per row: number of readings, index of the first and of the last one (0 when none)."""
    n: IntArray = np.sum(valid, axis=1, dtype=np.int64)
    first = np.argmax(valid, axis=1).astype(np.int64)
    last = (valid.shape[1] - 1 - np.argmax(valid[:, ::-1], axis=1)).astype(np.int64)
    return n, first, last


def sampling_intervals_min(time_min: ArrayLike, glucose_mgdl: ArrayLike) -> IntArray:
    """Each patient's ``dt0``: its median interval between readings, rounded (R ``round``) [min].

    As :func:`~t2pump.metrics.clock.sampling_interval_min` on each patient's readings; -1 for a
    patient with fewer than two readings.
    """
    t, g = shared_clock(time_min, glucose_mgdl)
    return _sampling_intervals(t, ~np.isnan(g))


def _sampling_intervals(t: FloatArray, valid: BoolArray) -> IntArray:
    """sampling_intervals_min on a checked clock and the patients' reading masks."""
    n, _, _ = _first_last(valid)
    m = n - 1  # intervals per patient
    out = np.full(valid.shape[0], -1, dtype=np.int64)
    rest = m >= 1
    step = np.diff(t)
    if step.shape[0] and np.all(step == step[0]):
        # Every interval is >= one step; single steps are exactly the step. If they outnumber half
        # the intervals, both middle values of the sorted intervals are the step.
        single = np.sum(valid[:, 1:] & valid[:, :-1], axis=1)
        fast = rest & (single > m // 2)
        out[fast] = int(np.round(step[0]))
        rest &= ~fast
    rows = np.flatnonzero(rest)
    if rows.shape[0]:
        out[rows] = _median_intervals(t, valid[rows], m[rows])
    return out


def _median_intervals(t: FloatArray, valid: BoolArray, m: IntArray) -> IntArray:
    """Rounded median interval per row by sorting each row's intervals (np.median's arithmetic)."""
    pos = np.flatnonzero(valid)
    row, col = np.divmod(pos, valid.shape[1])
    same = row[1:] == row[:-1]
    d = np.full(valid.shape, np.inf)
    d[row[1:][same], col[1:][same]] = t[col[1:][same]] - t[col[:-1][same]]
    d.sort(axis=1)
    r = np.arange(valid.shape[0])
    upper = d[r, m // 2]
    lower = d[r, np.maximum((m - 1) // 2, 0)]
    median = np.where(m % 2 == 1, upper, (lower + upper) / 2.0)
    return np.round(median).astype(np.int64)


def _nan_runs(valid: BoolArray) -> tuple[IntArray, IntArray]:
    """Flat first and last index of every run of missing readings (runs never cross rows)."""
    miss = ~valid
    start = miss.copy()
    start[:, 1:] &= valid[:, :-1]
    end = miss.copy()
    end[:, :-1] &= valid[:, 1:]
    return np.flatnonzero(start), np.flatnonzero(end)


def cohort_grid(
    time_min: ArrayLike,
    glucose_mgdl: ArrayLike,
    dt0_min: int,
    *,
    inter_gap_min: float = DEFAULT_INTER_GAP_MIN,
) -> CohortGrid:
    """iglu ``CGMS2DayByDay`` of every patient of a shared clock, with one grid step (module doc).

    Parameters
    ----------
    time_min : (n_times,) the shared clock [min since the midnight of day 0], strictly increasing
    glucose_mgdl : (n_patients, n_times) readings [mg/dL], NaN where a patient has none
    dt0_min : grid step [min] for every patient (adjusted to divide a day as iglu does)
    inter_gap_min : longest interval interpolated across [min] (iglu ``inter_gap = 45``)
    """
    gap = check_range("inter_gap_min", inter_gap_min, 0.0, MIN_PER_DAY, "min", lo_inclusive=False)
    t, g = shared_clock(time_min, glucose_mgdl)
    dt0 = positive_int("dt0_min", dt0_min)
    if dt0 > gap:
        raise InputRangeError("dt0_min", dt0, f"a sampling interval no longer than inter_gap = {gap:g} min")
    return _cohort_grid(t, g, grid_step_min(dt0), gap)


def _cohort_grid(t: FloatArray, g: FloatArray, dt0: int, gap: float) -> CohortGrid:
    """cohort_grid on a checked clock and glucose, with a grid step that divides a day."""
    per_day = int(MIN_PER_DAY) // dt0
    valid = ~np.isnan(g)
    n, first, last = _first_last(valid)
    ok = n >= 2
    t_first, t_last = t[first], t[last]
    p_first_day = np.where(ok, np.floor(t_first / MIN_PER_DAY), 0).astype(np.int64)
    span_days = (t_last - t_first) / MIN_PER_DAY + 1.0 - TIME_EPS_MIN / MIN_PER_DAY
    p_n_days = np.where(ok, np.ceil(span_days), 0).astype(np.int64)
    if not np.any(ok):
        empty = np.empty((g.shape[0], 0))
        return CohortGrid(empty, 0, dt0, p_first_day, p_n_days)
    day0 = int(np.min(p_first_day[ok]))
    n_cols = (int(np.max((p_first_day + p_n_days)[ok])) - day0) * per_day
    x = day0 * MIN_PER_DAY + dt0 * np.arange(1, n_cols + 1, dtype=np.float64)
    out = np.full((g.shape[0], n_cols), np.nan)
    lo = (p_first_day - day0) * per_day
    hi = lo + p_n_days * per_day
    # Readings on the lattice keep their value.
    col_of_t = np.rint((t - x[0]) / dt0).astype(np.int64)
    on = (col_of_t >= 0) & (col_of_t < n_cols)
    on[on] = x[col_of_t[on]] == t[on]
    j_on = np.flatnonzero(on)
    c_on = col_of_t[j_on]
    if j_on.shape[0]:
        if j_on[-1] - j_on[0] == j_on.shape[0] - 1 and c_on[-1] - c_on[0] == c_on.shape[0] - 1:
            out[:, c_on[0] : c_on[-1] + 1] = g[:, j_on[0] : j_on[-1] + 1]
        else:
            out[:, c_on] = g[:, j_on]
    # Points to interpolate: lattice readings a patient lacks, and lattice points off the clock,
    # strictly between its first and last reading. ``jc`` = clock index at or before the point.
    last = np.where(ok, last, -1)  # none for a patient without two readings
    inside_on = ~valid[:, j_on] & (j_on > first[:, None]) & (j_on < last[:, None])
    r_a, k_a = np.divmod(np.flatnonzero(inside_on), j_on.shape[0])
    off = np.ones(n_cols, dtype=bool)
    off[c_on] = False
    c_off = np.flatnonzero(off)
    jc_off = np.searchsorted(t, x[c_off], side="right") - 1
    inside_off = (jc_off >= first[:, None]) & (jc_off < last[:, None])
    r_b, k_b = np.divmod(np.flatnonzero(inside_off), c_off.shape[0])
    rows = np.concatenate((r_a, r_b))
    cols = np.concatenate((c_on[k_a], c_off[k_b]))
    jc = np.concatenate((j_on[k_a], jc_off[k_b]))
    if rows.shape[0]:
        out[rows, cols] = _interpolate(t, g, valid, rows, jc, x[cols], gap)
    _blank_outside(out, ok, lo, hi, t_first, t_last, x)
    return CohortGrid(out, day0, dt0, p_first_day, p_n_days)


def _interpolate(
    t: FloatArray, g: FloatArray, valid: BoolArray, rows: IntArray, jc: IntArray, x: FloatArray, gap: float
) -> FloatArray:
    """grid._approx for points ``x`` of patients ``rows`` (clock index ``jc`` at or before each)."""
    n_times = g.shape[1]
    run_start, run_end = _nan_runs(valid)
    run_start, run_end = np.insert(run_start, 0, -1), np.insert(run_end, 0, -1)  # never empty
    flat_valid = valid.reshape(-1)
    q = rows * n_times + jc  # the reading at or before x ... or the missing run holding it
    k = np.searchsorted(run_start, q, side="right") - 1
    a = np.where(flat_valid[q], q, run_start[np.maximum(k, 0)] - 1)
    q1 = q + 1  # ... and the first reading after jc
    k1 = np.searchsorted(run_start, q1, side="right") - 1
    b = np.where(flat_valid[q1], q1, run_end[np.maximum(k1, 0)] + 1)
    ja, jb = a - rows * n_times, b - rows * n_times
    ta, tb = t[ja], t[jb]
    flat_g = g.reshape(-1)
    ga, gb = flat_g[a], flat_g[b]
    y: FloatArray = ga + (gb - ga) * approx_weights(x - ta, tb - ta)
    y[tb - ta > gap + TIME_EPS_MIN] = np.nan  # strictly inside a long interval (x is never a reading)
    return y


def _blank_outside(
    out: FloatArray,
    ok: BoolArray,
    lo: IntArray,
    hi: IntArray,
    t_first: FloatArray,
    t_last: FloatArray,
    x: FloatArray,
) -> None:
    """NaN outside each patient's own grid columns.

    Only a reading exactly at the midnight that opens a patient's first day (the lattice point just
    before its grid, iglu's grid starting at 00:00 + dt0) or, with the 1e-6 min guard, just after its
    last column can lie there; only those rows are touched.
    """
    out[~ok] = np.nan
    before = ok & (lo > 0) & (t_first <= x[np.maximum(lo - 1, 0)])
    after = ok & (hi < x.shape[0]) & (t_last >= x[np.minimum(hi, x.shape[0] - 1)])
    rows = np.flatnonzero(before | after)
    if rows.shape[0]:
        c = np.arange(out.shape[1])
        outside = (c < lo[rows, None]) | (c >= hi[rows, None])
        out[rows] = np.where(outside, np.nan, out[rows])
