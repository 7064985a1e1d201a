"""Composite scores that combine several metrics: COGI and the Personal Glycemic State (PGS).

Both are reproduced as iglu 4.3.0 [1]_ computes them; each docstring gives the published equation.

References
----------
.. [1] iglu 4.3.0 ``R/cogi.r``, ``R/pgs.R`` (GitHub irinagain/iglu, commit 33d72695).
.. [2] Leelarathna L, Thabit H, Willinska ME, et al. Evaluating glucose control with a novel
   composite continuous glucose monitoring index. J Diabetes Sci Technol 2020;14(2):277-283.
   doi:10.1177/1932296819838525 (COGI)
.. [3] Hirsch IB, Balo AK, Sayer K, Garcia A, Buckingham BA, Peyser TA. A simple composite metric
   for the assessment of glycemic status from continuous glucose monitoring data: implications for
   clinical practice and the artificial pancreas. Diabetes Technol Ther 2017;19(S3):S38-S48.
   doi:10.1089/dia.2017.0080 (PGS)
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.metrics.basic import mean_glucose_mgdl, sd_glucose_mgdl
from t2pump.metrics.episodes import EpisodeClass, EpisodeCriteria, episode_summaries
from t2pump.metrics.grid import interpolation_grid
from t2pump.metrics.ranges import TARGET_RANGE_MGDL, percent_below, percent_in_range
from t2pump.metrics.variability import gvp_percent

__all__ = ["cogi", "pgs"]

FloatArray = NDArray[np.float64]

# COGI [2]: weights 0.5 (TIR 0-100 %), 0.35 (TBR < 70: 0-15 %, decreasing), 0.15 (SD 18-108
# mg/dL, decreasing); each feature scaled to [0, 1] on its range.
_COGI_W_TIR, _COGI_W_TBR, _COGI_W_SD = 0.5, 0.35, 0.15
_COGI_TIR_RANGE = (0.0, 100.0)
_COGI_TBR_RANGE = (0.0, 15.0)
_COGI_SD_RANGE_MGDL = (18.0, 108.0)

# PGS [3] (iglu's coefficients): one 1-10 score per feature, summed.
_PGS_GVP = (-0.049, 65.47)
_PGS_TIR = (0.0833, 55.04)
_PGS_MG_LOW = (0.1139, 72.08)
_PGS_MG_HIGH = (-0.09195, 157.57)
_PGS_H54_RATE = -0.81093
_PGS_H70_SLOPE, _PGS_H70_INTERCEPT, _PGS_H70_KNEE = 0.5714, 0.625, 7.65
_PGS_DUR_MIN, _PGS_END_MIN = 20.0, 30.0  # episodes for PGS [3] (iglu defaults)
_DAYS_PER_WEEK = 7.0


def _scaled(feature: FloatArray, lo: float, hi: float, *, increasing: bool) -> FloatArray:
    """iglu's ``weight_features``: the feature mapped linearly onto [0, 1] over [lo, hi]."""
    if increasing:
        return np.minimum((feature > lo) * (feature - lo) / (hi - lo), 1.0)
    return np.minimum((feature < hi) * (feature - hi) / (lo - hi), 1.0)


def cogi(glucose_mgdl: ArrayLike) -> FloatArray:
    """Continuous Glucose Monitoring Index [2], 0-100.

    COGI = 100 [0.5 s(TIR) + 0.35 s(TBR) + 0.15 s(SD)] with TIR = % 70-180, TBR = % < 70 and SD in
    mg/dL, each scaled linearly onto [0, 1] (TIR up over 0-100 %, TBR down over 0-15 %, SD down over
    18-108 mg/dL). Takes ``(n_readings,)`` or ``(n_patients, n_readings)``.
    """
    tir = percent_in_range(glucose_mgdl, *TARGET_RANGE_MGDL)
    tbr = percent_below(glucose_mgdl, TARGET_RANGE_MGDL[0])
    sd = sd_glucose_mgdl(glucose_mgdl)
    score = (
        _scaled(tir, *_COGI_TIR_RANGE, increasing=True) * _COGI_W_TIR
        + _scaled(tbr, *_COGI_TBR_RANGE, increasing=False) * _COGI_W_TBR
        + _scaled(sd, *_COGI_SD_RANGE_MGDL, increasing=False) * _COGI_W_SD
    )
    return score * 100.0


def pgs(time_min: ArrayLike, glucose_mgdl: ArrayLike) -> float:
    """Personal Glycemic State [3] for one subject, 4 (best) to 40.

    PGS = f_GVP + f_MG + f_PTIR + f_H70 + f_H54 with
    f_GVP = 1 + 9 / (1 + exp(-0.049 (GVP - 65.47))),
    f_PTIR = 1 + 9 / (1 + exp(0.0833 (TIR - 55.04))),
    f_MG = 1 + 9 [1 / (1 + exp(0.1139 (MG - 72.08))) + 1 / (1 + exp(-0.09195 (MG - 157.57)))],
    f_H54 = 0.5 + 4.5 (1 - exp(-0.81093 N54)), f_H70 = 0.5714 N70 + 0.625 if N70 <= 7.65 else 5,
    where N54 = level-2 hypoglycaemia episodes per week and N70 = level-1 episodes that do not reach
    level 2, per week, both with 20-min episodes ending after 30 min (iglu; on 15-min data the
    episodes last 30 min, with a warning, see :mod:`t2pump.metrics.episodes`).
    """
    grid = interpolation_grid(time_min, glucose_mgdl)
    g = np.asarray(glucose_mgdl, dtype=np.float64)
    gvp = gvp_percent(grid)
    tir = float(percent_in_range(g, *TARGET_RANGE_MGDL))
    mg = float(mean_glucose_mgdl(g))
    eps = episode_summaries(grid, EpisodeCriteria(dur_length_min=_PGS_DUR_MIN, end_length_min=_PGS_END_MIN))
    f_gvp = 1.0 + 9.0 / (1.0 + math.exp(_PGS_GVP[0] * (gvp - _PGS_GVP[1])))
    f_ptir = 1.0 + 9.0 / (1.0 + math.exp(_PGS_TIR[0] * (tir - _PGS_TIR[1])))
    f_mg = 1.0 + 9.0 * (
        1.0 / (1.0 + math.exp(_PGS_MG_LOW[0] * (mg - _PGS_MG_LOW[1])))
        + 1.0 / (1.0 + math.exp(_PGS_MG_HIGH[0] * (mg - _PGS_MG_HIGH[1])))
    )
    n54 = eps[EpisodeClass.HYPO_LV2].episodes_per_day * _DAYS_PER_WEEK
    f_h54 = 0.5 + 4.5 * (1.0 - math.exp(_PGS_H54_RATE * n54))
    n70 = eps[EpisodeClass.HYPO_LV1_EXCL].episodes_per_day * _DAYS_PER_WEEK
    f_h70 = _PGS_H70_SLOPE * n70 + _PGS_H70_INTERCEPT if n70 <= _PGS_H70_KNEE else 5.0
    return f_gvp + f_ptir + f_mg + f_h54 + f_h70
