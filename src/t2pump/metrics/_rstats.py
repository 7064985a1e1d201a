"""NaN-aware statistics along the last axis, as R computes them with ``na.rm = TRUE``.

No RuntimeWarning for empty slices: an empty slice gives NaN (R gives NaN or NA there too).
Sample SD uses n - 1 (R ``sd``); quantiles are R ``quantile(type = 7)`` [1]_, which is also
NumPy's default "linear" method.

References
----------
.. [1] Hyndman RJ, Fan Y. Sample quantiles in statistical packages. Am Stat 1996;50(4):361-365.
   doi:10.1080/00031305.1996.10473566 (definition 7).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def count(x: FloatArray) -> IntArray:
    """Number of non-NaN values along the last axis."""
    out: IntArray = np.sum(~np.isnan(x), axis=-1, dtype=np.int64)
    return out


def divide(num: ArrayLike, den: ArrayLike) -> FloatArray:
    """``num / den`` with NaN where ``den == 0`` (no warning)."""
    n = np.asarray(num, dtype=np.float64)
    d = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(n, d).shape, np.nan)
    np.divide(n, d, out=out, where=d != 0)
    return out


def nansum(x: FloatArray) -> FloatArray:
    out: FloatArray = np.sum(np.where(np.isnan(x), 0.0, x), axis=-1)
    return out


def nanmean(x: FloatArray) -> FloatArray:
    """Mean of the non-NaN values along the last axis (NaN if none)."""
    missing = np.isnan(x)
    return divide(np.sum(np.where(missing, 0.0, x), axis=-1), np.sum(~missing, axis=-1, dtype=np.int64))


def nansd(x: FloatArray) -> FloatArray:
    """Sample standard deviation (n - 1) of the non-NaN values (NaN if fewer than two)."""
    missing = np.isnan(x)
    n = np.sum(~missing, axis=-1, dtype=np.int64)
    m = divide(np.sum(np.where(missing, 0.0, x), axis=-1), n)
    dev = np.where(missing, 0.0, x - m[..., None])
    return np.sqrt(divide(np.sum(dev * dev, axis=-1), np.where(n >= 2, n - 1, 0)))


def nanquantile7(x: FloatArray, probs: Sequence[float] | FloatArray) -> FloatArray:
    """R ``quantile(x, probs, type = 7, na.rm = TRUE)`` along the last axis.

    Returns shape ``x.shape[:-1] + (len(probs),)``; NaN where a slice has no value.
    R's formula is kept: ``(1 - h) x[lo] + h x[hi]`` with ``index = 1 + (n - 1) p``.
    """
    s = np.sort(x, axis=-1)  # NaN sorts last
    n = count(x)[..., None]
    lo, hi, h = quantile7_positions(n, probs)
    last = s.shape[-1] - 1
    x_lo = np.take_along_axis(s, np.clip(lo, 0, last), axis=-1)
    x_hi = np.take_along_axis(s, np.clip(hi, 0, last), axis=-1)
    return quantile7_combine(n, x_lo, x_hi, h)


def quantile7_positions(
    n: IntArray, probs: Sequence[float] | FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Type-7 order statistics for ``n`` values: 0-based ranks ``lo``, ``hi`` and the weight ``h``.

    ``n`` has shape ``(..., 1)``; the results ``(..., len(probs))``. With the sorted values ``s``,
    the quantile is :func:`quantile7_combine` of ``s[lo]`` and ``s[hi]``.
    """
    p = np.asarray(probs, dtype=np.float64)
    index = (n - 1) * p  # 0-based
    lo = np.floor(index).astype(np.int64)
    hi = np.ceil(index).astype(np.int64)
    return lo, hi, index - lo


def quantile7_combine(n: IntArray, x_lo: FloatArray, x_hi: FloatArray, h: FloatArray) -> FloatArray:
    """R's ``(1 - h) x[lo] + h x[hi]`` (``x[lo]`` when ``h = 0``); NaN where ``n = 0``."""
    q = np.where(h > 0, (1.0 - h) * x_lo + h * x_hi, x_lo)
    return np.where(n > 0, q, np.nan)


def nanmedian(x: FloatArray) -> FloatArray:
    return nanquantile7(x, (0.5,))[..., 0]


def round_half_even(x: float) -> int:
    """R ``round(x)`` (IEC 60559: halves to even), as an int."""
    return int(np.round(x))
