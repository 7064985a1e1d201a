"""The consensus metric set of imported patients, keyed as iglu names its outputs.

Keys are iglu 4.3.0's output names in lower case (``mean_glu()`` -> ``mean``, ``cv_glu()`` -> ``cv``,
``in_range_percent()`` -> ``in_range_70_180``, ``conga()`` (n = 24 h) -> ``conga_24``; research note
cgm_metrics.md section 2), computed by :func:`t2pump.metrics.batch.metric_table`, which reproduces
iglu's numbers for all the trace's patients at once (one clock; a trace whose clock is not strictly
increasing goes patient by patient through the single-subject functions). ``Low``/``High`` readings
count at their clipped values (40 or the device's limit), as the device reports count them. A
metric that the data cannot give (no reading; fewer than two; readings more than iglu's 45-min
``inter_gap`` apart for the grid metrics) is NaN, never a guess.
"""

from __future__ import annotations

import math

import numpy as np

from t2pump.errors import InputRangeError
from t2pump.metrics.batch import SUMMARY_KEYS, metric_table
from t2pump.simulation.engine import Trace

__all__ = ["METRIC_KEYS", "metric_summaries", "metric_summary"]

METRIC_KEYS: tuple[str, ...] = SUMMARY_KEYS  # keys of the JSON output, in this order


def metric_summaries(trace: Trace) -> list[dict[str, float]]:
    """iglu-named metrics of every patient of ``trace`` (its ``cgm`` signal), in patient order."""
    cgm = trace.signals.get("cgm")
    if cgm is None:
        empty = dict.fromkeys(METRIC_KEYS, math.nan) | {"n_readings": 0.0}
        return [dict(empty) for _ in trace.patients]
    table = metric_table(trace.t_min, np.asarray(cgm, dtype=np.float64), METRIC_KEYS)
    return [{key: float(table[key][i]) for key in METRIC_KEYS} for i in range(len(trace.patients))]


def metric_summary(trace: Trace, patient: int = 0) -> dict[str, float]:
    """iglu-named metrics of patient ``patient`` of ``trace`` (its ``cgm`` signal) [mg/dL, %, ...]."""
    if not 0 <= patient < len(trace.patients):
        raise InputRangeError("patient", patient, f"an index in [0, {len(trace.patients)})")
    cgm = trace.signals.get("cgm")
    if cgm is not None:
        cgm = np.asarray(cgm, dtype=np.float64)[patient : patient + 1]
    one = Trace(trace.t_min, (trace.patients[patient],), {} if cgm is None else {"cgm": cgm}, {})
    return metric_summaries(one)[0]
