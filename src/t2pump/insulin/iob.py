"""Insulin on board from a delivery timeline, for any action curve.

A pump's timeline (insulin delivered each time step) or a list of doses is turned into IOB and
insulin activity by superposition: each dose contributes ``dose x curve(t - t_dose)``. The
timeline form is vectorised over leading axes (patients), looping only over the curve's lags.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import InputRangeError, check_range
from t2pump.insulin.curves import ActionCurve

__all__ = ["iob_from_doses", "iob_timeline"]

FloatArray = NDArray[np.float64]


def iob_from_doses(
    dose_times_min: ArrayLike, dose_units: ArrayLike, curve: ActionCurve, at_min: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """IOB [U] and activity [U/min] at ``at_min`` from doses given at ``dose_times_min``.

    Doses after a time do not count at that time (the curve is 1 before a dose, so they are
    masked explicitly).
    """
    times = np.asarray(dose_times_min, dtype=np.float64).reshape(-1)
    units = np.asarray(dose_units, dtype=np.float64).reshape(-1)
    if times.shape != units.shape:
        raise InputRangeError("dose_units", units.shape, f"one dose per time ({times.shape[0]})")
    at = np.asarray(at_min, dtype=np.float64)
    lag = at[..., None] - times
    given = lag >= 0
    iob = np.where(given, curve.iob_fraction(lag), 0.0) @ units
    act = np.where(given, curve.activity(lag), 0.0) @ units
    return iob, act


def iob_timeline(
    delivered_u: ArrayLike, curve: ActionCurve, dt_min: float = 1.0
) -> tuple[FloatArray, FloatArray]:
    """IOB [U] and activity [U/min] at the start of each step of a delivery series.

    ``delivered_u[..., k]`` is the insulin delivered at the start of step ``k`` (as a pump's
    per-minute timeline records it). IOB at step ``k`` includes the dose of step ``k``
    (curve(0) = 1). Leading axes (e.g. patients) are computed at once.

    The convolution is done by FFT along time (O(n log n) per series; a direct sum over the
    curve's lags is memory-bound and 50-100x slower on a day of minutes for 1,000 patients,
    benchmarks/README.md). Results equal the direct sum to float rounding (~1e-13 U).
    """
    d = np.asarray(delivered_u, dtype=np.float64)
    dt = check_range("dt_min", dt_min, 0.0, 60.0, "min", lo_inclusive=False)
    n = d.shape[-1]
    if n == 0:
        return np.zeros_like(d), np.zeros_like(d)
    n_lags = min(n, int(np.ceil(curve.duration_min / dt)) + 1)
    lags = np.arange(n_lags) * dt
    kernels = np.stack([curve.iob_fraction(lags), curve.activity(lags)])
    size = 1 << int(np.ceil(np.log2(n + n_lags - 1)))
    spectrum = np.fft.rfft(d, size, axis=-1)
    k_spec = np.fft.rfft(kernels, size, axis=-1)
    iob = np.fft.irfft(spectrum * k_spec[0], size, axis=-1)[..., :n]
    act = np.fft.irfft(spectrum * k_spec[1], size, axis=-1)[..., :n]
    return iob, act
