"""Display smoothing of the AGP curves: local quadratic regression (loess), as iglu ``plot_agp`` draws them.

iglu 4.3.0 ``plot_agp`` [1]_ smooths each percentile curve with R ``loess(y ~ x, span = 0.3)``
(degree 2, tricube weights, Gaussian family) before drawing; the IDC AGP [2]_ also shows smoothed
curves. This module computes the loess fit directly at every point (R ``surface = "direct"``); R's
default ``surface = "interpolate"`` evaluates the same local fits on a k-d tree and interpolates, so
the two differ slightly. The numbers of the report (t2pump.metrics AGP percentiles) are not changed:
only the drawn curves are smoothed.

Local fit at ``x0``: the ``q = floor(n span)`` nearest points, distance ``h`` to the q-th, weights
``(1 - (d/h)^3)^3`` for ``d < h``, weighted least squares of ``y`` on ``1, u, u^2`` with
``u = (x - x0) / h``; the fit is the intercept (Cleveland, Grosse & Shyu 1992 [3]_).

References
----------
.. [1] iglu 4.3.0 ``R/plot_agp.R`` (GitHub irinagain/iglu, commit 33d72695).
.. [2] Johnson ML, et al. Diabetes Technol Ther 2019;21(S2):S217-S225. doi:10.1089/dia.2019.0034
.. [3] Cleveland WS, Grosse E, Shyu WM. Local regression models. In: Chambers JM, Hastie TJ (eds),
   Statistical Models in S. Wadsworth & Brooks/Cole, 1992, chapter 8.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import check_range

__all__ = ["AGP_LOESS_SPAN", "loess"]

FloatArray = NDArray[np.float64]

AGP_LOESS_SPAN = 0.3  # iglu plot_agp [1]
_DEGREE = 2  # R loess default


def loess(x: ArrayLike, y: ArrayLike, span: float = AGP_LOESS_SPAN) -> FloatArray:
    """Loess fit of ``y`` on ``x`` at each ``x`` (NaN in ``y`` ignored and kept NaN).

    Fewer than 3 points in a neighbourhood leave ``y`` unchanged (no quadratic fit possible).
    """
    s = check_range("span", span, 0.0, 1.0, lo_inclusive=False)
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    out = ya.copy()
    ok = np.isfinite(ya)
    xs, ys = xa[ok], ya[ok]
    q = math.floor(xs.shape[0] * s)
    if q < _DEGREE + 1:
        return out
    d = np.abs(xs[None, :] - xs[:, None])  # (fit point, data point)
    h = np.partition(d, q - 1, axis=1)[:, q - 1 : q]
    h = np.where(h > 0.0, h, 1.0)
    r = d / h
    w = np.where(r < 1.0, (1.0 - r**3) ** 3, 0.0)
    u = (xs[None, :] - xs[:, None]) / h
    basis = np.stack([np.ones_like(u), u, u**2], axis=-1)  # (fit, data, 3)
    wb = basis * w[..., None]
    normal = np.einsum("fdi,fdj->fij", wb, basis)
    rhs = np.einsum("fdi,d->fi", wb, ys)
    out[ok] = np.linalg.solve(normal, rhs[..., None])[:, 0, 0]
    return out
