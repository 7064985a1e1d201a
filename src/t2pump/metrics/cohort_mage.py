"""MAGE (iglu's moving-average algorithm) for many patients at once, equal to :func:`mage_mgdl`.

:mod:`t2pump.metrics.mage` reproduces iglu 4.3.0 ``mage(version = "ma")`` [1]_ one subject at a
time, following iglu's loops. Here the same steps run on the rows of a 5-min
:class:`~t2pump.metrics.cohort_grid.CohortGrid` (one row per patient) with whole-array operations,
giving the same numbers (tested against :func:`~t2pump.metrics.mage.mage_mgdl`, patient by patient):

1. segments: runs of grid values split at missing runs longer than ``max_gap`` (and at row ends);
   those with at least 7 and at least ``long_ma`` points and an SD of at least 1 mg/dL are kept.
   Each SD is computed by NumPy on the segment alone (segments grouped by length), as the
   per-patient code does, because it is a threshold;
2. moving averages of every window at once, added in NumPy's order (:mod:`t2pump.metrics._exact`),
   so that their difference has the same sign as per patient, then the crossings: iglu's scan
   ("a crossing is a step whose sign differs from the previous step's or from the last crossing's")
   is equivalent to a rule on each point and the last point before it with a sign, which needs no
   loop (module functions below give the derivation);
3. turning points: the extreme of each interval from the previous turning point to the next
   crossing. Each interval's extreme over its own crossing-to-crossing part is one reduction for all
   intervals; the part that starts at the previous turning point depends on that point, which is
   settled by fixed-point rounds (recompute only the intervals whose predecessor moved; round ``r``
   makes the first ``r`` turning points of every segment final; in practice 2-4 rounds);
4. excursions: iglu's left-side accumulation is a scan over the turning points with a small state;
   it runs as a loop over scan steps, every segment and both directions advancing together
   (a loop over steps, not over patients), the only sequential part;
5. the segments' MAGE+ and MAGE- are averaged per patient, weighted by segment duration (``avg``).

Only ``direction = "avg"`` (iglu's default) is batched; the others are per patient in
:func:`~t2pump.metrics.mage.mage_mgdl`.

One tie is not reproduced bit for bit: when two turning points before an excursion's start differ
by about one unit in the last place, iglu's ``which.max`` of the differences may pick the earlier
one where this code takes the true minimum; the height then differs in the last bit only.

References
----------
.. [1] iglu 4.3.0 ``R/mage.R``, ``R/mage_ma_single.R`` (GitHub irinagain/iglu, commit 33d72695);
   Fernandes NJ, et al. J Diabetes Sci Technol 2022;16(2):576-577. doi:10.1177/19322968211061165
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from t2pump.errors import InputRangeError
from t2pump.metrics import _rstats
from t2pump.metrics._exact import runs_by_length, window_sums
from t2pump.metrics._inputs import positive_int
from t2pump.metrics.mage import LONG_MA_POINTS, MAGE_GRID_MIN, MAX_GAP_MIN, SHORT_MA_POINTS

__all__ = ["MageTurns", "mage_from_turns", "mage_turns"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

_MIN_POINTS = 7  # mage._MIN_POINTS: fewer points, no MAGE [1]
_MIN_SD_MGDL = 1.0  # mage._MIN_SD_MGDL [1]
_SEARCH, _EXTEND, _DONE = 0, 1, 2


@dataclass(frozen=True, slots=True, eq=False)
class MageTurns:
    """The kept segments of a set of rows and their turning points (steps 1-3 of the module doc)."""

    row: IntArray  # (n_segments,) row (patient) of each segment, ascending
    duration_min: FloatArray  # (n_segments,) (points - 1) x 5 min
    sd_mgdl: FloatArray  # (n_segments,) SD of the segment's grid values
    turns_mgdl: FloatArray  # all turning points, segment after segment
    n_turns: IntArray  # (n_segments,) turning points per segment

    @staticmethod
    def empty() -> MageTurns:
        e = np.empty(0, dtype=np.int64)
        return MageTurns(e, np.empty(0), np.empty(0), np.empty(0), e)

    @staticmethod
    def concatenate(parts: list[tuple[int, MageTurns]]) -> MageTurns:
        """Join the turns of consecutive row blocks; ``parts`` = (first row of the block, turns)."""
        if not parts:
            return MageTurns.empty()
        return MageTurns(
            np.concatenate([p.row + r0 for r0, p in parts]),
            np.concatenate([p.duration_min for _, p in parts]),
            np.concatenate([p.sd_mgdl for _, p in parts]),
            np.concatenate([p.turns_mgdl for _, p in parts]),
            np.concatenate([p.n_turns for _, p in parts]),
        )


def _check_windows(short_ma: int, long_ma: int) -> tuple[int, int]:
    short = positive_int("short_ma", short_ma)
    long = positive_int("long_ma", long_ma)
    if short >= long:
        raise InputRangeError("short_ma", short_ma, f"fewer points than long_ma = {long}")
    return short, long


def _segment_sd(xz: FloatArray, have: BoolArray) -> FloatArray:
    """Row-wise ``_rstats.nansd`` of segments given as values with 0 for missing and their mask
    (the same operations in the same order, so the same bits)."""
    n = np.sum(have, axis=-1, dtype=np.int64)
    m = _rstats.divide(np.sum(xz, axis=-1), n)
    dev = np.where(have, xz - m[:, None], 0.0)
    return np.sqrt(_rstats.divide(np.sum(dev * dev, axis=-1), np.where(n >= 2, n - 1, 0)))


def _segments(have: BoolArray, max_gap_min: float) -> tuple[IntArray, IntArray]:
    """Flat first and last index of each segment: runs of values split at long missing runs."""
    start = have.copy()
    start[:, 1:] &= ~have[:, :-1]
    end = have.copy()
    end[:, :-1] &= ~have[:, 1:]
    ps, pe = np.flatnonzero(start), np.flatnonzero(end)
    if ps.shape[0] == 0:
        return ps, pe
    width = have.shape[1]
    gap = ps[1:] - pe[:-1] - 1
    new = np.ones(ps.shape[0], dtype=bool)
    new[1:] = (ps[1:] // width != pe[:-1] // width) | (gap * MAGE_GRID_MIN > max_gap_min)
    first = np.flatnonzero(new)
    last = np.append(first[1:] - 1, ps.shape[0] - 1)
    return ps[first], pe[last]


def _moving_average(xz: FloatArray, counts: IntArray, width: int, seg_start: IntArray) -> FloatArray:
    """Right-aligned NaN-skipping mean of ``width`` points, back-filled at each segment start."""
    n = xz.shape[0]
    out = np.full(n, np.nan)
    sums = window_sums(xz, width)
    cnt = counts[width:] - counts[:-width]  # counts = cumsum with a leading 0
    with np.errstate(invalid="ignore"):
        np.divide(sums, cnt, out=out[width - 1 :])  # 0 / 0 = NaN for an empty window, as _rstats.divide
    fill = seg_start[:, None] + np.arange(width - 1)
    out[fill] = out[seg_start + width - 1][:, None]
    return out


def _crossings(have: BoolArray, delta: FloatArray, seg_start: IntArray, seg_end: IntArray) -> IntArray:
    """Flat positions of the crossings of the two moving averages in the segments (sorted).

    iglu scans each segment keeping ``L``, the sign of the last crossing (first the sign at the
    segment's first point): a point ``i`` whose predecessor also has a value is a crossing if its
    sign is opposite to the previous point's ("by step") or, when ``L != 0``, equal to ``-L``; a
    crossing sets ``L`` to its sign. Once ``L != 0`` it equals the sign of the last point with a
    value, a predecessor with a value, and a nonzero sign (a "setter"): such a point is a crossing
    or already has sign ``L``. So a point is a crossing iff it is a by-step crossing, or its sign is
    opposite to the last setter before it - needed only where the point just before is not a setter
    (else it is a by-step crossing) - provided ``L != 0`` by then: if the first point's sign is 0,
    ``L`` stays 0 until the segment's first by-step crossing. (A missing moving average has no sign,
    like 0, in iglu's scan.)
    """
    n = delta.shape[0]
    up, down = delta > 0, delta < 0
    sign = up.view(np.int8) - down.view(np.int8)
    signed = sign != 0
    step_ok = np.zeros(n, dtype=bool)
    step_ok[1:] = have[1:] & have[:-1]
    step_ok[seg_start] = False
    flip = sign[1:] * sign[:-1] < 0
    steps = _inside(np.flatnonzero(step_ok[1:] & flip) + 1, seg_start, seg_end)
    setter = step_ok & signed
    setter[seg_start] = signed[seg_start]
    c = _inside(np.flatnonzero(step_ok[1:] & signed[1:] & ~setter[:-1]) + 1, seg_start, seg_end)
    if c.shape[0] == 0:
        return steps
    seg = np.searchsorted(seg_start, c, side="right") - 1
    # The last setter before c: the point before the run of non-setters that ends at c - 1.
    others = np.flatnonzero(~setter)
    run_first = others[np.flatnonzero(np.diff(others, prepend=-2) != 1)]
    last = run_first[np.searchsorted(run_first, c - 1, side="right") - 1] - 1
    defined = last >= seg_start[seg]
    padded = np.append(steps, n)  # n: no by-step crossing
    i_star = padded[np.searchsorted(steps, seg_start[seg])]
    i_star = np.where(i_star <= seg_end[seg], i_star, n)
    live = signed[seg_start[seg]] | (c > i_star)
    last = np.maximum(last, 0)
    is_step = padded[np.searchsorted(steps, c)] == c
    opposite = defined & live & (sign[c] == -sign[last]) & ~is_step
    return np.sort(np.concatenate((steps, c[opposite])))


def _inside(p: IntArray, seg_start: IntArray, seg_end: IntArray) -> IntArray:
    """The positions ``p`` (sorted) that lie in a segment."""
    k = np.searchsorted(seg_start, p, side="right") - 1
    out: IntArray = p[(k >= 0) & (p <= seg_end[np.maximum(k, 0)])]
    return out


def _range_extremes(
    x: FloatArray, start: IntArray, length: IntArray, is_max: BoolArray
) -> tuple[FloatArray, IntArray]:
    """Max (``is_max``) or min of ``x[start : start + length]`` (NaN skipped, length > 0), first index."""
    offs = np.cumsum(length) - length
    total = int(np.sum(length))
    idx = np.repeat(start - offs, length) + np.arange(total)
    z = x[idx]
    z = np.where(np.repeat(is_max, length), z, -z)
    best = np.fmax.reduceat(z, offs)
    hits = np.flatnonzero(z == np.repeat(best, length))
    first = hits[np.searchsorted(hits, offs)]
    pos = start + (first - offs)
    return x[pos], pos


def _turning_points(
    x: FloatArray, ids: IntArray, is_max: BoolArray, first_of_seg: BoolArray, seg_end: IntArray
) -> FloatArray:
    """Turning-point values of every interval (ids[i], ids[i+1]) of the segments (module doc, 3).

    ``ids`` are all segments' crossing lists concatenated (first point, crossings, last point);
    ``first_of_seg`` marks each segment's first id. Interval ``i`` joins ``ids[i]`` and ``ids[i+1]``
    within a segment; its extreme is searched from the previous interval's extreme.
    """
    interval = np.flatnonzero(~np.append(first_of_seg[1:], True))  # ids[i] that start an interval
    a, b = ids[interval], ids[interval + 1]
    typ = is_max[interval]
    first = first_of_seg[interval]
    # Own part: closed [a, b] = half-open block [a, b) (one reduceat) + the point b.
    cuts = np.concatenate((a, seg_end))
    order = np.argsort(cuts, kind="stable")
    sorted_cuts = cuts[order]
    hi_val = np.fmax.reduceat(x, sorted_cuts)
    lo_val = np.fmin.reduceat(x, sorted_cuts)
    block = np.empty(cuts.shape[0], dtype=np.int64)
    block[order] = np.arange(cuts.shape[0])
    blk = block[: a.shape[0]]
    ext = np.where(typ, hi_val[blk], lo_val[blk])
    lengths = np.diff(np.append(sorted_cuts, x.shape[0]))
    target = np.full(cuts.shape[0], np.nan)
    target[blk] = ext
    hits = np.flatnonzero(x[sorted_cuts[0] :] == np.repeat(target, lengths)) + sorted_cuts[0]
    empty = b == a
    pos_own = hits[np.minimum(np.searchsorted(hits, a), hits.shape[0] - 1)]
    xb = x[b]
    end_wins = empty | np.where(typ, xb > ext, xb < ext)
    own_val = np.where(end_wins, xb, ext)
    own_pos = np.where(end_wins, b, pos_own)
    # Fixed-point rounds for the part from the previous extreme to a. It can only win if the
    # previous block's extreme (an upper bound while that part lies in the previous block) does.
    block_hi, block_lo = hi_val[blk], lo_val[blk]
    pos = own_pos.copy()
    todo = np.flatnonzero(~first)
    while todo.shape[0]:
        prev = pos[todo - 1]
        length = a[todo] - prev
        new = own_pos[todo].copy()
        beats = np.where(typ[todo], block_hi[todo - 1] >= own_val[todo], block_lo[todo - 1] <= own_val[todo])
        has = (length > 0) & ((prev < a[todo - 1]) | beats)
        if np.any(has):
            i_h = todo[has]
            d_val, d_pos = _range_extremes(x, prev[has], length[has], typ[i_h])
            earlier_wins = np.where(typ[i_h], d_val >= own_val[i_h], d_val <= own_val[i_h])
            new[has] = np.where(earlier_wins, d_pos, own_pos[i_h])
        moved = todo[new != pos[todo]]
        pos[todo] = new
        nxt = moved + 1
        todo = nxt[nxt < a.shape[0]]
        todo = todo[~first[todo]]
    turns: FloatArray = x[pos]
    return turns


def mage_turns(
    grid_mgdl: FloatArray,
    *,
    short_ma: int = SHORT_MA_POINTS,
    long_ma: int = LONG_MA_POINTS,
    max_gap_min: float = MAX_GAP_MIN,
) -> MageTurns:
    """Steps 1-3 of the module doc for the rows of a 5-min grid ``(n_rows, n_columns)`` [mg/dL]."""
    short, long = _check_windows(short_ma, long_ma)
    values = np.ascontiguousarray(grid_mgdl, dtype=np.float64)
    have_2d = ~np.isnan(values)
    seg_start, seg_end = _segments(have_2d, max_gap_min)
    n_pts = seg_end - seg_start + 1
    keep = (n_pts >= _MIN_POINTS) & (n_pts >= long)
    seg_start, seg_end, n_pts = seg_start[keep], seg_end[keep], n_pts[keep]
    x, have = values.reshape(-1), have_2d.reshape(-1)
    xz = np.where(have, x, 0.0)
    sd = np.empty(seg_start.shape[0])
    for members, index in runs_by_length(seg_start, n_pts):
        sd[members] = _segment_sd(xz[index], have[index])
    keep = sd >= _MIN_SD_MGDL
    seg_start, seg_end, n_pts, sd = seg_start[keep], seg_end[keep], n_pts[keep], sd[keep]
    if seg_start.shape[0] == 0:
        return MageTurns.empty()
    counts = np.concatenate(([0], np.cumsum(have, dtype=np.int64)))
    delta = _moving_average(xz, counts, short, seg_start) - _moving_average(xz, counts, long, seg_start)
    cross = _crossings(have, delta, seg_start, seg_end)
    pos = np.concatenate((seg_start, cross, seg_end))
    tag = np.concatenate((np.zeros_like(seg_start), np.ones_like(cross), np.full_like(seg_end, 2)))
    order = np.lexsort((tag, pos))
    ids, first_of_seg = pos[order], tag[order] == 0
    turns = _turning_points(x, ids, delta[ids] > 0, first_of_seg, seg_end)
    n_turns = np.diff(np.append(np.flatnonzero(first_of_seg), ids.shape[0])) - 1
    return MageTurns(
        row=seg_start // values.shape[1],
        duration_min=(n_pts - 1).astype(np.float64) * MAGE_GRID_MIN,
        sd_mgdl=sd,
        turns_mgdl=turns,
        n_turns=n_turns,
    )


def _excursion_heights(turns: MageTurns) -> tuple[FloatArray, IntArray]:
    """iglu's left-side accumulation (module doc, 4) on every segment, both directions at once.

    Returns the excursion heights (rises positive; falls as positive drops) and each height's
    machine: machine ``s`` is segment ``s``'s rises, ``S + s`` its falls, run on the negated
    turning points (a fall of ``mm`` is a rise of ``-mm``; only the restart point differs: iglu
    restarts the search for rises at the reversal point and for falls at the nadir).
    """
    n_seg = turns.n_turns.shape[0]
    vals = np.concatenate((turns.turns_mgdl, -turns.turns_mgdl))
    seg_off = np.cumsum(turns.n_turns) - turns.n_turns
    off = np.concatenate((seg_off, seg_off + turns.turns_mgdl.shape[0]))
    n = np.concatenate((turns.n_turns, turns.n_turns))
    sd = np.concatenate((turns.sd_mgdl, turns.sd_mgdl))
    at_extreme = np.arange(2 * n_seg) >= n_seg  # falls restart the search at the extreme
    mode = np.where(n > 0, _SEARCH, _DONE)
    j = np.zeros(2 * n_seg, dtype=np.int64)
    k = np.zeros(2 * n_seg, dtype=np.int64)
    run_min = np.full(2 * n_seg, np.inf)
    start_val = np.zeros(2 * n_seg)
    peak = np.zeros(2 * n_seg)
    min_since_peak = np.zeros(2 * n_seg)
    heights: list[FloatArray] = []
    owners: list[IntArray] = []
    while True:
        search = np.flatnonzero(mode == _SEARCH)
        extend = np.flatnonzero(mode == _EXTEND)
        if search.shape[0] == 0 and extend.shape[0] == 0:
            break
        if search.shape[0]:
            v = vals[off[search] + j[search]]
            lowest = np.minimum(run_min[search], v)
            run_min[search] = lowest
            big = v - lowest >= sd[search]
            go = search[big]
            mode[go], k[go], peak[go], min_since_peak[go] = _EXTEND, j[go], v[big], v[big]
            start_val[go] = lowest[big]
            stay = search[~big]
            j[stay] += 1
            mode[stay[j[stay] >= n[stay]]] = _DONE
        if extend.shape[0]:
            v = vals[off[extend] + k[extend]]
            up = v > peak[extend]
            top = np.where(up, v, peak[extend])
            peak[extend] = top
            min_since_peak[extend] = np.where(up, v, np.minimum(min_since_peak[extend], v))
            stop = (v - top < -sd[extend]) | (k[extend] == n[extend] - 1)
            done = extend[stop]
            heights.append(top[stop] - start_val[done])
            owners.append(done)
            mode[done], j[done] = _SEARCH, k[done]
            run_min[done] = np.where(at_extreme[done], min_since_peak[done], np.inf)
            k[extend[~stop]] += 1
    if not heights:
        return np.empty(0), np.empty(0, dtype=np.int64)
    return np.concatenate(heights), np.concatenate(owners)


def _means_by_owner(values: FloatArray, owner: IntArray, n_owners: int) -> FloatArray:
    """``np.mean`` of each owner's values in their order (NaN if none), NumPy's own sum per owner."""
    order = np.argsort(owner, kind="stable")
    v = values[order]
    count = np.bincount(owner, minlength=n_owners)
    start = np.cumsum(count) - count
    out = np.full(n_owners, np.nan)
    for members, index in runs_by_length(start, count):
        out[members] = np.sum(v[index], axis=-1) / index.shape[1]
    return out


def mage_from_turns(turns: MageTurns, n_rows: int) -> FloatArray:
    """Steps 4-5 of the module doc: MAGE (``avg``) of each of ``n_rows`` rows [mg/dL], NaN if none."""
    n_seg = turns.n_turns.shape[0]
    heights, owner = _excursion_heights(turns)
    means = _means_by_owner(heights, owner, 2 * n_seg)
    plus, minus = means[:n_seg], means[n_seg:]
    # Per row, iglu's list: MAGE+ then MAGE- of each segment that has them, with its duration.
    v = np.column_stack((plus, minus)).reshape(-1)
    h = np.repeat(turns.duration_min, 2)
    row = np.repeat(turns.row, 2)
    use = ~np.isnan(v)
    v, h, row = v[use], h[use], row[use]
    count = np.bincount(row, minlength=n_rows)
    start = np.cumsum(count) - count
    out = np.full(n_rows, np.nan)
    for members, index in runs_by_length(start, count):
        hours = h[index]
        out[members] = np.sum(v[index] * (hours / np.sum(hours, axis=-1)[:, None]), axis=-1)
    return out
