"""Checks shared by the metrics: glucose and time arrays as the metrics expect them.

Glucose is mg/dL, NaN where a reading is missing; reading-based metrics reduce along the last
axis, so ``(n_readings,)`` is one subject and ``(n_patients, n_readings)`` a cohort on one clock.
Time is minutes since the midnight of day 0 of the subject's local wall clock (the trace format,
docs/trace_format.md): day ``d`` of a metric is ``floor(time_min / 1440) == d``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import InputRangeError

FloatArray = NDArray[np.float64]


def glucose_array(values: ArrayLike, field: str = "glucose_mgdl") -> FloatArray:
    """``values`` as float64 with at least one axis; every non-missing value positive and finite."""
    g = np.asarray(values, dtype=np.float64)
    if g.ndim == 0:
        raise InputRangeError(field, "a scalar", "an array of readings (last axis = readings)")
    bad = np.isinf(g) | (g <= 0.0)
    if np.any(bad):
        i = np.unravel_index(int(np.argmax(bad)), g.shape)
        index = ",".join(str(int(k)) for k in i)
        raise InputRangeError(
            f"{field}[{index}]", float(g[i]), "a positive finite glucose in mg/dL, or NaN when missing"
        )
    return g


def time_array(values: ArrayLike, n_readings: int, field: str = "time_min") -> FloatArray:
    """``values`` as a finite 1-D float64 array of length ``n_readings`` (minutes)."""
    t = np.asarray(values, dtype=np.float64)
    if t.ndim != 1 or t.shape[0] != n_readings:
        raise InputRangeError(field, f"shape {t.shape}", f"a 1-D array of {n_readings} times in minutes")
    if not np.all(np.isfinite(t)):
        i = int(np.argmax(~np.isfinite(t)))
        raise InputRangeError(f"{field}[{i}]", float(t[i]), "a finite time in minutes")
    return t


def subject_readings(time_min: ArrayLike, glucose_mgdl: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """One subject's readings: checked, missing ones dropped, sorted by time (stable).

    Raises if fewer than two readings remain: the time-dependent metrics need an interval.
    """
    g = glucose_array(glucose_mgdl)
    if g.ndim != 1:
        raise InputRangeError("glucose_mgdl", f"shape {g.shape}", "a 1-D array: one subject's readings")
    t = time_array(time_min, g.shape[0])
    keep = ~np.isnan(g)
    t, g = t[keep], g[keep]
    if t.shape[0] < 2:
        raise InputRangeError("glucose_mgdl", f"{t.shape[0]} non-missing readings", "at least 2 readings")
    order = np.argsort(t, kind="stable")
    return t[order], g[order]


def positive_int(field: str, value: int) -> int:
    """``value`` if it is a positive whole number (bool excluded)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputRangeError(field, value, "a positive whole number")
    return int(value)
