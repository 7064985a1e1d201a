"""Summary statistics of the readings and the HbA1c estimates derived from mean glucose.

Each function takes glucose [mg/dL] of shape ``(n_readings,)`` (one subject) or
``(n_patients, n_readings)`` (a cohort; NaN where a reading is missing) and returns an array of
shape ``()`` or ``(n_patients,)``; ``float()`` gives the number for one subject. Readings are
counted, not weighted by time, as in the consensus [1]_ and iglu [2]_ ("% of readings").

References
----------
.. [1] Battelino T, et al. Clinical targets for CGM data interpretation: international consensus
   on time in range. Diabetes Care 2019;42(8):1593-1603. doi:10.2337/dci19-0028
.. [2] iglu 4.3.0 ``R/mean_glu.R``, ``sd_glu.R``, ``cv_glu.R``, ``quantile_glu.R``, ``iqr_glu.R``,
   ``mad_glu.r``, ``range_glu.R``, ``gmi.R``, ``ea1c.R`` (GitHub irinagain/iglu, commit 33d72695).
.. [3] Bergenstal RM, Beck RW, Close KL, et al. Glucose Management Indicator (GMI): a new term for
   estimating A1C from continuous glucose monitoring. Diabetes Care 2018;41(11):2275-2280.
   doi:10.2337/dc18-1581
.. [4] Nathan DM, Kuenen J, Borg R, et al. Translating the A1C assay into estimated average
   glucose values. Diabetes Care 2008;31(8):1473-1478. doi:10.2337/dc08-0545
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import InputRangeError
from t2pump.metrics import _rstats
from t2pump.metrics._inputs import glucose_array

__all__ = [
    "EA1C_INTERCEPT_MGDL",
    "EA1C_SLOPE_MGDL_PER_PERCENT",
    "GMI_INTERCEPT_PERCENT",
    "GMI_SLOPE_PERCENT_PER_MGDL",
    "MAD_CONSISTENCY",
    "count_readings",
    "cv_percent",
    "ea1c_percent",
    "gmi_percent",
    "iqr_glucose_mgdl",
    "mad_glucose_mgdl",
    "mean_glucose_mgdl",
    "median_glucose_mgdl",
    "quantiles_glucose_mgdl",
    "range_glucose_mgdl",
    "sd_glucose_mgdl",
]

FloatArray = NDArray[np.float64]

GMI_INTERCEPT_PERCENT = 3.31  # [3] GMI (%) = 3.31 + 0.02392 x mean glucose (mg/dL)
GMI_SLOPE_PERCENT_PER_MGDL = 0.02392  # [3]
EA1C_SLOPE_MGDL_PER_PERCENT = 28.7  # [4] eAG (mg/dL) = 28.7 x A1C (%) - 46.7
EA1C_INTERCEPT_MGDL = 46.7  # [4]
MAD_CONSISTENCY = 1.4826  # R ``mad`` constant: MAD x 1.4826 estimates the SD of a normal sample


def count_readings(glucose_mgdl: ArrayLike) -> NDArray[np.int64]:
    """Number of non-missing readings."""
    return _rstats.count(glucose_array(glucose_mgdl))


def mean_glucose_mgdl(glucose_mgdl: ArrayLike) -> FloatArray:
    """Mean glucose [mg/dL] (consensus core metric [1])."""
    return _rstats.nanmean(glucose_array(glucose_mgdl))


def median_glucose_mgdl(glucose_mgdl: ArrayLike) -> FloatArray:
    """Median glucose [mg/dL]."""
    return _rstats.nanmedian(glucose_array(glucose_mgdl))


def sd_glucose_mgdl(glucose_mgdl: ArrayLike) -> FloatArray:
    """Sample standard deviation (n - 1) of glucose [mg/dL]."""
    return _rstats.nansd(glucose_array(glucose_mgdl))


def cv_percent(glucose_mgdl: ArrayLike) -> FloatArray:
    """Coefficient of variation, 100 SD / mean [%] (consensus target <= 36 % [1])."""
    g = glucose_array(glucose_mgdl)
    return _rstats.nansd(g) / _rstats.nanmean(g) * 100.0


def quantiles_glucose_mgdl(
    glucose_mgdl: ArrayLike, percents: Sequence[float] = (0.0, 25.0, 50.0, 75.0, 100.0)
) -> FloatArray:
    """Glucose quantiles [mg/dL], R ``quantile(type = 7)``; last axis = ``percents``."""
    p = np.asarray(percents, dtype=np.float64)
    if p.ndim != 1 or np.any(~np.isfinite(p) | (p < 0.0) | (p > 100.0)):
        raise InputRangeError("percents", np.atleast_1d(p).tolist(), "a sequence of percents in [0, 100]")
    return _rstats.nanquantile7(glucose_array(glucose_mgdl), p / 100.0)


def iqr_glucose_mgdl(glucose_mgdl: ArrayLike) -> FloatArray:
    """Interquartile range, Q75 - Q25 (type 7) [mg/dL]."""
    q = _rstats.nanquantile7(glucose_array(glucose_mgdl), (0.25, 0.75))
    return q[..., 1] - q[..., 0]


def range_glucose_mgdl(glucose_mgdl: ArrayLike) -> FloatArray:
    """Maximum - minimum glucose [mg/dL]."""
    q = _rstats.nanquantile7(glucose_array(glucose_mgdl), (0.0, 1.0))
    return q[..., 1] - q[..., 0]


def mad_glucose_mgdl(glucose_mgdl: ArrayLike, constant: float = MAD_CONSISTENCY) -> FloatArray:
    """Median absolute deviation, ``constant x median(|g - median(g)|)`` [mg/dL] (R ``mad``)."""
    g = glucose_array(glucose_mgdl)
    med = _rstats.nanmedian(g)
    return constant * _rstats.nanmedian(np.abs(g - med[..., None]))


def gmi_percent(glucose_mgdl: ArrayLike) -> FloatArray:
    """Glucose Management Indicator [%], Bergenstal 2018 [3] equation: 3.31 + 0.02392 x mean."""
    return GMI_INTERCEPT_PERCENT + GMI_SLOPE_PERCENT_PER_MGDL * mean_glucose_mgdl(glucose_mgdl)


def ea1c_percent(glucose_mgdl: ArrayLike) -> FloatArray:
    """Estimated A1C [%], the ADAG regression [4] solved for A1C: (46.7 + mean) / 28.7."""
    return (EA1C_INTERCEPT_MGDL + mean_glucose_mgdl(glucose_mgdl)) / EA1C_SLOPE_MGDL_PER_PERCENT
