"""The consensus metric set of one imported patient, keyed as iglu names its outputs.

Keys are iglu 4.3.0's output names in lower case (``mean_glu()`` -> ``mean``, ``cv_glu()`` -> ``cv``,
``in_range_percent()`` -> ``in_range_70_180``, ``conga()`` (n = 24 h) -> ``conga_24``; research note
cgm_metrics.md section 2), computed by :mod:`t2pump.metrics`, which reproduces iglu's numbers.
``Low``/``High`` readings count at their clipped values (40 or the device's limit), as the device
reports count them. A metric that the data cannot give (no reading; fewer than two; readings more
than iglu's 45-min ``inter_gap`` apart for the grid metrics) is NaN, never a guess.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from t2pump.errors import InputRangeError
from t2pump.metrics import (
    active_percent,
    adrr,
    conga_mgdl,
    cv_percent,
    ea1c_percent,
    gmi_percent,
    gri,
    hbgi,
    interpolation_grid,
    j_index,
    lbgi,
    mage_mgdl,
    mean_glucose_mgdl,
    median_glucose_mgdl,
    modd_mgdl,
    percent_above,
    percent_below,
    percent_in_range,
    sampling_interval_min,
    sd_glucose_mgdl,
    wear_days,
)
from t2pump.metrics.grid import DEFAULT_INTER_GAP_MIN
from t2pump.simulation.engine import Trace

__all__ = ["METRIC_KEYS", "metric_summary"]

FloatArray = NDArray[np.float64]
ReadingMetric = Callable[[FloatArray], object]

_CONGA_LAG_H = 24  # iglu conga() default n = 24
_NDAYS_DECIMALS = 1  # iglu active_percent() rounds ndays to 0.1 day

_READING_METRICS: dict[str, ReadingMetric] = {
    "mean": mean_glucose_mgdl,
    "median": median_glucose_mgdl,
    "sd": sd_glucose_mgdl,
    "cv": cv_percent,
    "gmi": gmi_percent,
    "ea1c": ea1c_percent,
    "below_54": lambda g: percent_below(g, 54.0),
    "below_70": lambda g: percent_below(g, 70.0),
    "in_range_70_180": lambda g: percent_in_range(g, 70.0, 180.0),
    "in_range_70_140": lambda g: percent_in_range(g, 70.0, 140.0),
    "above_180": lambda g: percent_above(g, 180.0),
    "above_250": lambda g: percent_above(g, 250.0),
    "lbgi": lbgi,
    "hbgi": hbgi,
    "gri": lambda g: gri(g).gri,
    "j_index": j_index,
}
_TIME_METRICS = ("adrr", "active_percent", "ndays", "mage", "modd", "conga_24")
METRIC_KEYS: tuple[str, ...] = ("n_readings", *_READING_METRICS, *_TIME_METRICS)


def metric_summary(trace: Trace, patient: int = 0) -> dict[str, float]:
    """iglu-named metrics of patient ``patient`` of ``trace`` (its ``cgm`` signal) [mg/dL, %, ...]."""
    if not 0 <= patient < len(trace.patients):
        raise InputRangeError("patient", patient, f"an index in [0, {len(trace.patients)})")
    cgm = trace.signals.get("cgm")
    out = dict.fromkeys(METRIC_KEYS, math.nan)
    if cgm is None:
        out["n_readings"] = 0.0
        return out
    g = np.asarray(cgm[patient], dtype=np.float64)
    have = ~np.isnan(g)
    t, g = trace.t_min[have], g[have]
    out["n_readings"] = float(g.shape[0])
    if g.shape[0] == 0:
        return out
    for key, f in _READING_METRICS.items():
        out[key] = float(np.asarray(f(g)))
    out["adrr"] = float(adrr(t, g))
    if np.unique(t).shape[0] < 2:  # an interval needs two readings
        return out
    out["active_percent"] = active_percent(t, g)
    out["ndays"] = round(wear_days(t, g), _NDAYS_DECIMALS)
    out["mage"] = mage_mgdl(t, g)
    if sampling_interval_min(t) <= DEFAULT_INTER_GAP_MIN:
        grid = interpolation_grid(t, g)
        out["modd"] = modd_mgdl(grid)
        out["conga_24"] = conga_mgdl(grid, lag_h=_CONGA_LAG_H)
    return out
