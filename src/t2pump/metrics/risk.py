"""Glycaemic risk and quality indices computed on the readings.

Glucose [mg/dL] of shape ``(n_readings,)`` or ``(n_patients, n_readings)`` (NaN = missing); each
function returns an array of shape ``()`` or ``(n_patients,)``. Definitions are those of the cited
papers as implemented by iglu 4.3.0 [1]_, whose numbers t2pump reproduces; where iglu departs from
a paper (a rounded constant, a missing correction) the docstring says so.

References
----------
.. [1] iglu 4.3.0 ``R/lbgi.R``, ``hbgi.R``, ``adrr.R``, ``grade*.R``, ``j_index.R``, ``m_value.R``,
   ``hypo_index.R``, ``hyper_index.R``, ``igc.R`` (GitHub irinagain/iglu, commit 33d72695).
.. [2] Kovatchev BP, Cox DJ, Gonder-Frederick LA, Clarke W. Symmetrization of the blood glucose
   measurement scale and its applications. Diabetes Care 1997;20(11):1655-1658.
   doi:10.2337/diacare.20.11.1655 (f(BG) = 1.509 [(ln BG)^1.084 - 5.381], BG in mg/dL)
.. [3] Kovatchev BP, Otto E, Cox D, Gonder-Frederick L, Clarke W. Evaluation of a new measure of
   blood glucose variability in diabetes. Diabetes Care 2006;29(11):2433-2438.
   doi:10.2337/dc06-1085 (risk r = 10 f^2, LBGI/HBGI, ADRR)
.. [4] Hill NR, Hindmarsh PC, Stevens RJ, et al. A method for assessing quality of control from
   glucose profiles. Diabet Med 2007;24(7):753-758. doi:10.1111/j.1464-5491.2007.02119.x (GRADE)
.. [5] Wojcicki JM. "J"-index. A new proposition of the assessment of current glucose control in
   diabetic patients. Horm Metab Res 1995;27(1):41-42. doi:10.1055/s-2007-979906
.. [6] Schlichtkrull J, Munck O, Jersild M. The M-value, an index of blood-sugar control in
   diabetics. Acta Med Scand 1965;177(1):95-102. doi:10.1111/j.0954-6820.1965.tb01810.x
.. [7] Rodbard D. Interpretation of continuous glucose monitoring data: glycemic variability and
   quality of glycemic control. Diabetes Technol Ther 2009;11(S1):S55-S67.
   doi:10.1089/dia.2008.0132 (hypoglycaemia and hyperglycaemia indices, IGC)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import check_finite, check_range
from t2pump.metrics import _rstats
from t2pump.metrics._inputs import glucose_array, time_array
from t2pump.metrics.clock import day_index

__all__ = [
    "BGI_RISK_SCALE",
    "Grade",
    "adrr",
    "bg_risk_function",
    "grade",
    "hbgi",
    "hyper_index",
    "hypo_index",
    "igc",
    "j_index",
    "lbgi",
    "m_value",
]

FloatArray = NDArray[np.float64]

# f(BG) = 1.509 [(ln BG)^1.084 - 5.381] [2]; risk = 10 f^2 [3]. iglu folds 10 x 1.509^2 = 22.77081
# into 22.77 [1]; t2pump keeps iglu's rounded constant so LBGI/HBGI/ADRR match it (the difference
# is 3.6e-5 relative).
_BGI_EXPONENT = 1.084  # [2]
_BGI_OFFSET = 5.381  # [2]
BGI_RISK_SCALE = 22.77  # 10 x 1.509^2 rounded, as iglu [1]
_BGI_ZERO_MGDL = 112.5  # f(BG) = 0 at 112.5 mg/dL; below it the risk is "low" [2], [1]

_GRADE_SCALE = 425.0  # GRADE = 425 [log10(log10(BG mmol/L)) + 0.16]^2 [4]
_GRADE_OFFSET = 0.16  # [4]
_GRADE_CAP = 50.0  # each reading's score is capped at 50 [4]
_GRADE_MGDL_PER_MMOLL = 18.0  # iglu divides mg/dL by 18 [1]
_GRADE_HYPO_MGDL = 80.0  # GRADE hypo contribution: < 4.4 mmol/L ~ 80 mg/dL [4], iglu default [1]
_GRADE_EU_MGDL = (70.0, 140.0)  # iglu grade_eugly defaults [1]
_GRADE_HYPER_MGDL = 140.0  # > 7.8 mmol/L ~ 140 mg/dL [4], iglu default [1]

_J_SCALE = 0.001  # J = 0.001 (mean + SD)^2, mg/dL [5]
_M_SCALE = 1000.0  # M = mean(|1000 log10(BG / r)|^3) ... see m_value [6]
_M_REFERENCE_MGDL = 90.0  # iglu default r [1]; Schlichtkrull used 120 mg/dL [6]

_HYPO_LLTR_MGDL, _HYPO_B, _HYPO_D = 80.0, 2.0, 30.0  # Rodbard 2009 [7], iglu defaults [1]
_HYPER_ULTR_MGDL, _HYPER_A, _HYPER_C = 140.0, 1.1, 30.0  # Rodbard 2009 [7], iglu defaults [1]


def bg_risk_function(glucose_mgdl: ArrayLike) -> FloatArray:
    """Kovatchev's symmetrising transform without its 1.509 factor: (ln BG)^1.084 - 5.381 [2]."""
    return _bg_risk(glucose_array(glucose_mgdl))


def _bg_risk(g: FloatArray) -> FloatArray:
    out: FloatArray = np.log(g) ** _BGI_EXPONENT - _BGI_OFFSET
    return out


def _bgi_terms(g: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per checked reading: (min(f, 0)^2 if BG < 112.5 else 0, max(f, 0)^2 if BG >= 112.5 else 0).

    A missing reading gives 0 to both (NaN compares false); LBGI and HBGI are 22.77 x their means.
    """
    f = _bg_risk(g)
    low, high = np.minimum(f, 0.0), np.maximum(f, 0.0)
    return np.where(g < _BGI_ZERO_MGDL, low * low, 0.0), np.where(g >= _BGI_ZERO_MGDL, high * high, 0.0)


def lbgi(glucose_mgdl: ArrayLike) -> FloatArray:
    """Low Blood Glucose Index [3]: 22.77 x sum over BG < 112.5 of min(f, 0)^2 / N."""
    g = glucose_array(glucose_mgdl)
    low, _ = _bgi_terms(g)
    return BGI_RISK_SCALE * _rstats.divide(np.sum(low, axis=-1), _rstats.count(g))


def hbgi(glucose_mgdl: ArrayLike) -> FloatArray:
    """High Blood Glucose Index [3]: 22.77 x sum over BG >= 112.5 of max(f, 0)^2 / N."""
    g = glucose_array(glucose_mgdl)
    _, high = _bgi_terms(g)
    return BGI_RISK_SCALE * _rstats.divide(np.sum(high, axis=-1), _rstats.count(g))


def adrr(time_min: ArrayLike, glucose_mgdl: ArrayLike) -> FloatArray:
    """Average Daily Risk Range [3]: mean over calendar days of (max daily HBGI-risk + max LBGI-risk).

    For each day with readings: 22.77 max(max f, 0)^2 + 22.77 min(min f, 0)^2; then the mean over
    days. ``time_min`` is shared by every row of ``glucose_mgdl`` (one clock for the cohort).
    Kovatchev 2006 eq. for ADRR with risk = 10 f^2; days are calendar days (iglu [1]).
    """
    g = glucose_array(glucose_mgdl)
    t = time_array(time_min, g.shape[-1])
    order = np.argsort(t, kind="stable")
    t, g = t[order], g[..., order]
    day = day_index(t)
    starts = np.flatnonzero(np.append(True, np.diff(day) != 0))
    f = bg_risk_function(g)
    day_max = np.fmax.reduceat(f, starts, axis=-1)  # NaN only where the day has no reading
    day_min = np.fmin.reduceat(f, starts, axis=-1)
    high = np.maximum(day_max, 0.0)
    low = np.minimum(day_min, 0.0)
    risk = BGI_RISK_SCALE * high * high + BGI_RISK_SCALE * low * low
    return _rstats.nanmean(risk)


def _grade_scores(g: FloatArray) -> FloatArray:
    """Per-reading GRADE score, capped at 50; NaN below 18 mg/dL (log of a negative: iglu skips it)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        score = _GRADE_SCALE * (np.log10(np.log10(g / _GRADE_MGDL_PER_MMOLL)) + _GRADE_OFFSET) ** 2
    return np.where(score > _GRADE_CAP, _GRADE_CAP, score)


def _grade_bands(g: FloatArray) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
    """Readings counted in the hypo (< 80), eu (70-140) and hyper (> 140 mg/dL) shares of GRADE."""
    return g < _GRADE_HYPO_MGDL, (g >= _GRADE_EU_MGDL[0]) & (g <= _GRADE_EU_MGDL[1]), g > _GRADE_HYPER_MGDL


@dataclass(frozen=True, slots=True, eq=False)
class Grade:
    """GRADE [4] and the share of it from hypo-, eu- and hyperglycaemia [% of total GRADE]."""

    grade: FloatArray
    hypo_percent: FloatArray  # readings < 80 mg/dL
    eu_percent: FloatArray  # readings 70-140 mg/dL
    hyper_percent: FloatArray  # readings > 140 mg/dL


def grade(glucose_mgdl: ArrayLike) -> Grade:
    """Glycaemic Risk Assessment Diabetes Equation (Hill 2007 [4]), per reading then averaged.

    score = min(425 [log10(log10(BG / 18)) + 0.16]^2, 50), BG in mg/dL; the parts are the share
    of the summed score from readings < 80, 70-140 (inclusive) and > 140 mg/dL (iglu defaults [1];
    hypo and eu overlap at 70-79 as in iglu).
    """
    g = glucose_array(glucose_mgdl)
    s = _grade_scores(g)
    total = _rstats.nansum(s)

    def share(mask: NDArray[np.bool_]) -> FloatArray:
        return _rstats.divide(_rstats.nansum(np.where(mask, s, np.nan)), total) * 100.0

    hypo, eu, hyper = _grade_bands(g)
    return Grade(
        grade=_rstats.nanmean(s),
        hypo_percent=share(hypo),
        eu_percent=share(eu),
        hyper_percent=share(hyper),
    )


def j_index(glucose_mgdl: ArrayLike) -> FloatArray:
    """J-index [5]: 0.001 (mean + SD)^2, glucose in mg/dL."""
    g = glucose_array(glucose_mgdl)
    return _j_index_from(_rstats.nanmean(g), _rstats.nansd(g))


def _j_index_from(mean_mgdl: FloatArray, sd_mgdl: FloatArray) -> FloatArray:
    s = mean_mgdl + sd_mgdl
    out: FloatArray = _J_SCALE * s * s
    return out


def m_value(glucose_mgdl: ArrayLike, reference_mgdl: float = _M_REFERENCE_MGDL) -> FloatArray:
    """M-value: mean of |1000 log10(BG / r)|^3 over readings (iglu [1], after Schlichtkrull [6]).

    iglu omits Schlichtkrull's correction W/20 for the glucose range (W = max - min), and so does
    this function; ``reference_mgdl`` is iglu's ``r`` (90 by default, 120 in the 1965 paper).
    """
    r = check_range("reference_mgdl", reference_mgdl, 0.0, np.inf, "mg/dL", lo_inclusive=False)
    return _rstats.nanmean(_m_value_terms(glucose_array(glucose_mgdl), r))


def _m_value_terms(g: FloatArray, reference_mgdl: float = _M_REFERENCE_MGDL) -> FloatArray:
    """Each checked reading's |1000 log10(BG / r)|^3 (NaN where missing); M is their mean."""
    out: FloatArray = _M_SCALE * np.abs(np.log10(g / reference_mgdl)) ** 3
    return out


def _excess_index(
    glucose_mgdl: ArrayLike, threshold: float, power: float, scale: float, *, below: bool
) -> FloatArray:
    """Rodbard's index [7]: sum of (distance beyond the threshold)^power / (N x scale)."""
    g = glucose_array(glucose_mgdl)
    beyond = g < threshold if below else g > threshold
    excess = np.where(beyond, np.abs(g - threshold), 0.0) ** power
    return _rstats.divide(np.sum(np.where(beyond, excess, 0.0), axis=-1), _rstats.count(g) * scale)


def hypo_index(
    glucose_mgdl: ArrayLike, lltr_mgdl: float = _HYPO_LLTR_MGDL, b: float = _HYPO_B, d: float = _HYPO_D
) -> FloatArray:
    """Hypoglycaemia index [7]: sum over BG < LLTR of (LLTR - BG)^b / (N d)."""
    return _excess_index(
        glucose_mgdl,
        check_finite("lltr_mgdl", lltr_mgdl),
        check_finite("b", b),
        check_range("d", d, 0.0, np.inf, lo_inclusive=False),
        below=True,
    )


def hyper_index(
    glucose_mgdl: ArrayLike, ultr_mgdl: float = _HYPER_ULTR_MGDL, a: float = _HYPER_A, c: float = _HYPER_C
) -> FloatArray:
    """Hyperglycaemia index [7]: sum over BG > ULTR of (BG - ULTR)^a / (N c)."""
    return _excess_index(
        glucose_mgdl,
        check_finite("ultr_mgdl", ultr_mgdl),
        check_finite("a", a),
        check_range("c", c, 0.0, np.inf, lo_inclusive=False),
        below=False,
    )


def igc(glucose_mgdl: ArrayLike) -> FloatArray:
    """Index of glycaemic control [7]: hyperglycaemia index + hypoglycaemia index (defaults)."""
    return hyper_index(glucose_mgdl) + hypo_index(glucose_mgdl)
