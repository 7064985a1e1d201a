"""Circadian and day-to-day variation of insulin sensitivity.

Structure: insulin action (V_mx and k_p3 of the Dalla Man model) is multiplied by
``s(t) = s_circ(t) * s_day(d)``.

* ``s_circ``: a 24-h periodic, piecewise-linear log-profile through three knots (08:00, 13:00,
  20:00) with per-patient log-amplitudes drawn around 0. Healthy subjects are more sensitive at
  breakfast than at dinner; in type 1 diabetes the pattern is individual with no population trend
  (Hinshaw et al. 2013 [1]_); the UVA/Padova S2017 simulator models intraday variability per
  subject (Visentin et al. 2018 [2]_). No type 2 numbers were found, so the population mean profile
  is flat.
* ``s_day``: log-normal AR(1) across days (day-to-day variability).

Every number here is a t2pump assumption (docs/research_t2d_model.md 5.3), not a published
estimate: circadian log-amplitude SD 0.2, day-to-day CV 0.2, lag-1 correlation 0.5.

References
----------
.. [1] Hinshaw L, Dalla Man C, Nandy DK, et al. Diurnal pattern of insulin action in type 1
   diabetes: implications for a closed-loop system. Diabetes 2013;62:2223-2229.
.. [2] Visentin R, Campos-Nanez E, Schiavon M, et al. The UVA/Padova type 1 diabetes simulator goes
   from single meal to single day. J Diabetes Sci Technol 2018;12(2):273-281.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from t2pump.errors import check_range
from t2pump.randomness import SeedArray, lognormal_factor, normal_quantile, substream, uniform01

__all__ = ["SensitivityVariation"]

FloatArray = NDArray[np.float64]

_KNOTS_MIN = np.array([8 * 60, 13 * 60, 20 * 60], dtype=np.float64)
_STREAM_CIRCADIAN = 310  # t2pump.randomness ids (simulation/physiology range 300-399)
_STREAM_DAY = 311


@dataclass(frozen=True, slots=True)
class SensitivityVariation:
    """Per-patient circadian profile and day-to-day factors (t2pump assumptions, uncalibrated)."""

    circadian_log_sd: float = 0.2  # [A]
    day_cv: float = 0.2  # [A]
    day_autocorrelation: float = 0.5  # [A]
    calibrated: bool = False

    def __post_init__(self) -> None:
        check_range("circadian_log_sd", self.circadian_log_sd, 0.0, 1.0)
        check_range("day_cv", self.day_cv, 0.0, 1.0)
        check_range("day_autocorrelation", self.day_autocorrelation, 0.0, 0.99)

    def circadian_log_amplitudes(self, seeds: SeedArray) -> FloatArray:
        """(n, 3) log-amplitudes at the three knots, mean 0."""
        u = uniform01(substream(seeds, _STREAM_CIRCADIAN), np.arange(3))
        return np.asarray(self.circadian_log_sd * normal_quantile(u), dtype=np.float64)

    def day_factors(self, seeds: SeedArray, n_days: int) -> FloatArray:
        """(n, n_days) mean-one log-normal AR(1) factors; day d depends only on the seed and d."""
        z = normal_quantile(uniform01(substream(seeds, _STREAM_DAY), np.arange(max(n_days, 1))))
        rho = self.day_autocorrelation
        ar = np.empty_like(z)
        ar[:, 0] = z[:, 0]
        for d in range(1, z.shape[1]):  # loop over days, vectorised over patients
            ar[:, d] = rho * ar[:, d - 1] + np.sqrt(1.0 - rho * rho) * z[:, d]
        return lognormal_factor(ar, np.full(ar.shape, self.day_cv))[:, :n_days]

    @staticmethod
    def circadian_factor(log_amplitudes: FloatArray, t_min: float) -> FloatArray:
        """exp of the periodic piecewise-linear profile at clock time ``t_min`` for every patient."""
        return SensitivityVariation.circadian_factors(log_amplitudes, np.array([float(t_min)]))[:, 0]

    @staticmethod
    def circadian_factors(log_amplitudes: FloatArray, t_min: FloatArray) -> FloatArray:
        """:meth:`circadian_factor` at several clock times at once: shape (n, len(t_min))."""
        tod = np.asarray(t_min, dtype=np.float64) % 1440.0
        knots = np.concatenate([_KNOTS_MIN - 1440.0, _KNOTS_MIN, _KNOTS_MIN + 1440.0])
        j = np.searchsorted(knots, tod, side="right") - 1
        w = (tod - knots[j]) / (knots[j + 1] - knots[j])
        a = np.tile(log_amplitudes, (1, 3))
        # (1 - w) a_j + w a_j+1, then exp, in place: two (n, len(t_min)) arrays instead of six
        out = a[:, j]
        out *= 1.0 - w
        upper = a[:, j + 1]
        upper *= w
        out += upper
        return np.exp(out, out=out)
