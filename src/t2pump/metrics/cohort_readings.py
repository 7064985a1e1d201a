"""Reading-based metrics of many patients at once, from each patient's distribution of readings.

The metrics of :mod:`basic`, :mod:`ranges` and :mod:`risk` are means of a per-reading term, shares
of readings, or order statistics, so each needs only how many times each value occurs. CGM devices
report whole mg/dL within 40-400 (Dexcom, Libre, Medtronic; research note cgm_metrics.md 5): for
rows of whole numbers up to 1024 mg/dL the readings are counted per value (one ``bincount`` for
a block of patients) and every term is evaluated once per value of 1 ... 1024 mg/dL, the same
axis for every patient, instead of once per reading (``log``, ``pow`` and ``log10`` dominate
otherwise). Other rows (mmol/L conversions, simulated sensors) are reduced reading by reading
along the row. Both give, patient by
patient, what :mod:`basic`, :mod:`ranges` and :mod:`risk` give on that patient's readings: shares,
quantiles and means of whole numbers to the last bit, sums of non-integer terms to rounding
(summation order, ~1e-16 relative; tested at 1e-12).

The formulas are the per-patient modules' own: the per-reading terms (``_bgi_terms``,
``_grade_scores``, ``_m_value_terms``), GRI from the four shares, J-index from mean and SD, R's
type-7 quantiles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from t2pump.metrics import _rstats
from t2pump.metrics.basic import (
    EA1C_INTERCEPT_MGDL,
    EA1C_SLOPE_MGDL_PER_PERCENT,
    GMI_INTERCEPT_PERCENT,
    GMI_SLOPE_PERCENT_PER_MGDL,
)
from t2pump.metrics.ranges import (
    HYPER_L1_MGDL,
    HYPER_L2_MGDL,
    HYPO_L1_MGDL,
    HYPO_L2_MGDL,
    PREGNANCY_RANGE_MGDL,
    TARGET_RANGE_MGDL,
    TIGHT_RANGE_MGDL,
    _gri_from_percents,
)
from t2pump.metrics.risk import (
    BGI_RISK_SCALE,
    _bgi_terms,
    _grade_bands,
    _grade_scores,
    _j_index_from,
    _m_value_terms,
)

__all__ = ["QUANTILE_KEYS", "reading_metrics"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

QUANTILE_KEYS = {"min": 0.0, "q25": 0.25, "median": 0.5, "q75": 0.75, "max": 1.0}  # R type 7
_VALUE_BINS = 1024  # rows of whole numbers up to 1024 mg/dL are counted per value (1 ... 1024)


@dataclass(frozen=True, slots=True, eq=False)
class _Counts:
    """Rows of whole numbers as counts per value: ``counts[p, r]`` readings equal to ``values[r]``."""

    values: FloatArray  # (n_values,) consecutive whole numbers [mg/dL]
    counts: FloatArray  # (n_rows, n_values)

    def total(self, term: FloatArray) -> FloatArray:
        """Per row, the sum over readings of ``term`` (of ``values``' shape, or per row)."""
        out: FloatArray = np.sum(np.where(self.counts > 0, self.counts * term, 0.0), axis=-1)
        return out

    def count(self, cond: BoolArray) -> FloatArray:
        """Per row, the readings whose value meets ``cond`` (of ``values``' shape)."""
        return self.total(cond.astype(np.float64))

    def order_statistics(self, ranks: IntArray) -> FloatArray:
        """``ranks`` (n_rows, k), 0-based -> the values of those ranks in each sorted row."""
        cum = np.cumsum(self.counts, axis=1)
        index = np.sum(cum[:, None, :] <= ranks[:, :, None], axis=2)
        out: FloatArray = self.values[np.minimum(index, self.values.shape[0] - 1)]
        return out


@dataclass(frozen=True, slots=True, eq=False)
class _Rows:
    """Rows of readings reduced along the row, NaN where missing."""

    values: FloatArray  # (n_rows, n_times)
    missing: BoolArray  # (n_rows, n_times)
    ascending: FloatArray  # each row sorted, NaN last

    @staticmethod
    def of(values: FloatArray) -> _Rows:
        return _Rows(values, np.isnan(values), np.sort(values, axis=1))

    def total(self, term: FloatArray) -> FloatArray:
        out: FloatArray = np.sum(np.where(self.missing, 0.0, term), axis=-1)
        return out

    def count(self, cond: BoolArray) -> FloatArray:
        out: FloatArray = np.sum(cond, axis=-1, dtype=np.float64)  # a missing reading meets no condition
        return out

    def order_statistics(self, ranks: IntArray) -> FloatArray:
        s = self.ascending
        out: FloatArray = np.take_along_axis(s, np.clip(ranks, 0, s.shape[1] - 1), axis=1)
        return out


def _metrics(d: _Counts | _Rows, n: IntArray) -> dict[str, FloatArray]:
    """Every reading metric of rows described by ``d`` (``n`` readings each)."""
    v = d.values
    mean = _rstats.divide(d.total(v), n)
    dev = v - mean[:, None]
    sd = np.sqrt(_rstats.divide(d.total(dev * dev), np.where(n >= 2, n - 1, 0)))

    def percent(cond: BoolArray) -> FloatArray:
        return _rstats.divide(d.count(cond), n) * 100.0

    b54, b70 = percent(v < HYPO_L2_MGDL), percent(v < HYPO_L1_MGDL)
    a180, a250 = percent(v > HYPER_L1_MGDL), percent(v > HYPER_L2_MGDL)
    low, high = _bgi_terms(v)
    score = _grade_scores(v)
    scored = ~np.isnan(score)
    score = np.where(scored, score, 0.0)
    grade_total = d.total(score)

    def grade_share(mask: BoolArray) -> FloatArray:
        return _rstats.divide(d.total(np.where(mask, score, 0.0)), grade_total) * 100.0

    hypo, eu, hyper = _grade_bands(v)
    lo, hi, h = _rstats.quantile7_positions(n[:, None], list(QUANTILE_KEYS.values()))
    q = _rstats.quantile7_combine(n[:, None], d.order_statistics(lo), d.order_statistics(hi), h)
    out = {
        "n_readings": n.astype(np.float64),
        "mean": mean,
        "sd": sd,
        "cv": sd / mean * 100.0,
        "gmi": GMI_INTERCEPT_PERCENT + GMI_SLOPE_PERCENT_PER_MGDL * mean,
        "ea1c": (EA1C_INTERCEPT_MGDL + mean) / EA1C_SLOPE_MGDL_PER_PERCENT,
        "below_54": b54,
        "below_70": b70,
        "in_range_70_180": percent((v >= TARGET_RANGE_MGDL[0]) & (v <= TARGET_RANGE_MGDL[1])),
        "in_range_70_140": percent((v >= TIGHT_RANGE_MGDL[0]) & (v <= TIGHT_RANGE_MGDL[1])),
        "in_range_63_140": percent((v >= PREGNANCY_RANGE_MGDL[0]) & (v <= PREGNANCY_RANGE_MGDL[1])),
        "below_63": percent(v < PREGNANCY_RANGE_MGDL[0]),
        "above_140": percent(v > PREGNANCY_RANGE_MGDL[1]),
        "above_180": a180,
        "above_250": a250,
        "lbgi": BGI_RISK_SCALE * _rstats.divide(d.total(low), n),
        "hbgi": BGI_RISK_SCALE * _rstats.divide(d.total(high), n),
        "gri": _gri_from_percents(b54, b70, a180, a250).gri,
        "j_index": _j_index_from(mean, sd),
        "grade": _rstats.divide(grade_total, d.count(scored)),
        "grade_hypo": grade_share(hypo),
        "grade_eugly": grade_share(eu),
        "grade_hyper": grade_share(hyper),
        "m_value": _rstats.divide(d.total(_m_value_terms(v)), n),
    }
    out.update({key: q[:, i] for i, key in enumerate(QUANTILE_KEYS)})
    return out


def _whole_number_rows(g: FloatArray, valid: BoolArray) -> tuple[BoolArray, _Counts | None]:
    """Rows whose readings are all whole numbers up to 1024 mg/dL, and their counts per value.

    The value axis is the same for every row (1 ... 1024 mg/dL), so each patient's sums run over
    the same terms in the same order whatever other patients it is computed with.
    """
    whole = ~np.any((np.floor(g) < g) | (g > _VALUE_BINS), axis=1)  # NaN compares false
    rows = np.flatnonzero(whole)
    sub, ok = (g, valid) if rows.shape[0] == g.shape[0] else (g[rows], valid[rows])
    if rows.shape[0] == 0:
        return whole, None
    # Each row its own bins; a missing reading casts to a negative code and is dropped.
    offset = np.arange(rows.shape[0]) * float(_VALUE_BINS) - 1.0
    with np.errstate(invalid="ignore"):
        code = (sub + offset[:, None]).astype(np.int64)
    counts = np.bincount(code[ok], minlength=rows.shape[0] * _VALUE_BINS).reshape(rows.shape[0], _VALUE_BINS)
    return whole, _Counts(np.arange(1, _VALUE_BINS + 1, dtype=np.float64), counts.astype(np.float64))


def reading_metrics(glucose_mgdl: FloatArray) -> dict[str, FloatArray]:
    """The reading metrics (keys as :data:`~t2pump.metrics.batch.TABLE_KEYS`) of each row of checked
    glucose ``(n_rows, n_times)``.

    Shares are % of readings; NaN where a row has no reading (SD and CV need two).
    """
    g = glucose_mgdl
    valid = ~np.isnan(g)
    n: IntArray = np.sum(valid, axis=1, dtype=np.int64)
    whole, counts = _whole_number_rows(g, valid)
    out: dict[str, FloatArray] = {}
    parts: list[tuple[IntArray, _Counts | _Rows]] = []
    if counts is not None:
        parts.append((np.flatnonzero(whole), counts))
    rest = np.flatnonzero(~whole) if counts is not None else np.arange(g.shape[0])
    if rest.shape[0]:
        parts.append((rest, _Rows.of(g[rest])))
    for rows, dist in parts:
        for key, value in _metrics(dist, n[rows]).items():
            out.setdefault(key, np.full(g.shape[0], np.nan))[rows] = value
    return out
