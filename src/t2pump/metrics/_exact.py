"""Batched sums that add in NumPy's own order, so batched results equal per-patient ones bit for bit.

A float sum depends on the order of its additions. Where a sum feeds a comparison (MAGE compares
moving averages and excursions with an SD), the batched metrics must add exactly as the per-patient
code does, or a tie broken by the last bit could change a turning point. NumPy reduces a
contiguous row of ``n`` float64 values by pairwise summation [1]_: fewer than 8 values left to
right; up to 128 values in eight interleaved accumulators ``r[j] = a[j] + a[j+8] + ...`` combined
as ``((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))``, then the last ``n % 8`` values left to
right; longer rows split in two at a multiple of 8 near the middle. Two helpers reproduce it:

* :func:`window_sums` - every window of a series, as ``np.sum(sliding_window_view(x, w), axis=-1)``,
  in a handful of whole-array passes instead of ``w``;
* :func:`runs_by_length` - runs of a flat array grouped by length, so that one ``np.sum(axis=-1)``
  over a ``(k, n)`` matrix gives, row by row, the sum NumPy gives for each run alone (a C-contiguous
  row is reduced like a 1-D array: tested in tests/metrics/test_metrics_batch.py).

References
----------
.. [1] NumPy ``numpy/_core/src/umath/loops_utils.h.src`` (``pairwise_sum``), NumPy 2.x; Higham NJ.
   The accuracy of floating point summation. SIAM J Sci Comput 1993;14(4):783-799.
   doi:10.1137/0914050 (pairwise summation).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

__all__ = ["runs_by_length", "window_sums"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_UNROLL = 8  # NumPy's pairwise summation: 8 accumulators
_BLOCK = 128  # ... for rows of up to 128 values (PW_BLOCKSIZE)


def window_sums(x: FloatArray, width: int) -> FloatArray:
    """``out[i] = sum(x[i : i + width])`` added in NumPy's order (module doc); ``len(x) - width + 1`` values.

    ``x`` is 1-D with no NaN (replace missing values by 0 first). Widths above 128 fall back to NumPy
    itself, window by window in blocks.
    """
    m = x.shape[0] - width + 1
    if m <= 0:
        return np.empty(0)
    if width > _BLOCK:
        windows = np.lib.stride_tricks.sliding_window_view(x, width)
        return np.concatenate([np.sum(windows[i : i + 4096], axis=-1) for i in range(0, m, 4096)])
    if width < _UNROLL:
        out = x[:m].copy()
        for k in range(1, width):
            out += x[k : k + m]
        return out
    blocks = width // _UNROLL
    acc = x[: m + _UNROLL - 1].copy()  # acc[i] = r_{i mod 8} of the window starting at i - (i mod 8)
    for b in range(1, blocks):
        acc += x[b * _UNROLL : b * _UNROLL + m + _UNROLL - 1]
    pairs = acc[:-1] + acc[1:]  # r0 + r1
    quads = pairs[:-2] + pairs[2:]  # (r0 + r1) + (r2 + r3)
    out = quads[:m] + quads[4 : m + 4]
    for k in range(blocks * _UNROLL, width):  # the last width % 8 values, left to right
        out += x[k : k + m]
    return out


def runs_by_length(starts: IntArray, lengths: IntArray) -> Iterator[tuple[IntArray, IntArray]]:
    """Runs ``[starts[i], starts[i] + lengths[i])`` grouped by length.

    Yields ``(members, index)`` per distinct positive length ``n``: ``members`` are the run numbers
    ``i`` and ``index`` the ``(len(members), n)`` flat positions of their values, so that
    ``f(x[index])`` computes a row-wise ``f`` for all of them at once. One iteration per distinct
    length, whatever the number of runs.
    """
    order = np.argsort(lengths, kind="stable")
    sorted_lengths = lengths[order]
    edges = np.flatnonzero(np.diff(sorted_lengths)) + 1
    for group in np.split(order, edges):
        n = int(lengths[group[0]]) if group.shape[0] else 0
        if n > 0:
            yield group, starts[group][:, None] + np.arange(n, dtype=np.int64)
