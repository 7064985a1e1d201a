"""Disease progression over years and reversible glucotoxicity over weeks: the beta-cell factor.

The Dalla Man 2007 model's secretion is multiplied by a relative beta-cell function ``phi``
(:mod:`t2pump.physiology.dalla_man_2007`). Two processes set it:

* **Progression** (years, irreversible): UKPDS 16 [1]_ showed beta-cell function (HOMA-%B) falling
  steadily after diagnosis, from about 50 % of normal at diagnosis [2]_ to about 28 % after 6 years
  [3]_, whatever the treatment. An exponential fit gives ln(50/28)/6 = 0.097 per year (derived).
* **Glucotoxicity** (weeks, reversible): sustained hyperglycaemia suppresses secretion and
  normalising glucose restores it, which is why short intensive insulin therapy at diagnosis
  brings remissions (Kramer 2013 meta-analysis: 66 / 59 / 46 % at 3 / 6 / 12 months [4]_). Here:
  a 1-day running mean of plasma glucose ``G_bar`` drives the glucotoxic factor ``phi_g`` towards
  ``phi_inf(G_bar) = 1 - g_max (G_bar - G_thr)+^n / ((G_bar - G_thr)+^n + G_50^n)`` with a slower
  time constant for suppression than for recovery.

Every glucotoxicity number below is a t2pump assumption (docs/research_t2d_model.md 5.5): no
published parameter set was found (Ha, Satin & Sherman 2016; De Gaetano DPM15: abstracts only).
They are placeholders to be calibrated on the Kramer 2013 remission rates (with diet-only follow-up)
and validated on Weng 2008; :attr:`Glucotoxicity.calibrated` says so.

References
----------
.. [1] UK Prospective Diabetes Study Group. UKPDS 16: overview of 6 years' therapy of type II
   diabetes: a progressive disease. Diabetes 1995;44:1249-1258.
.. [2] HOMA-%B about 50 % of normal at diagnosis in UKPDS (commentary "HOMA-beta in the UKPDS and
   ADOPT", abstract read; t2pump research notes).
.. [3] 28 % after 6 years: secondary review citing UKPDS 16 (not the paper itself) [M].
.. [4] Kramer CK, Zinman B, Retnakaran R. Short-term intensive insulin therapy in type 2 diabetes
   mellitus: a systematic review and meta-analysis. Lancet Diabetes Endocrinol 2013;1:28-34.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import check_range
from t2pump.physiology.elementwise import select

__all__ = [
    "GLUCOTOXICITY_PARAMS",
    "UKPDS_DECLINE_PER_YEAR",
    "Glucotoxicity",
    "beta_cell_after",
    "glucotoxic_rates",
    "glucotoxic_steady_factor",
]

FloatArray = NDArray[np.float64]

UKPDS_DECLINE_PER_YEAR = math.log(50.0 / 28.0) / 6.0  # [1]-[3], derived: 0.0966 per year
_MIN_PER_DAY = 1440.0


def beta_cell_after(
    phi_now: ArrayLike, years: float, decline_per_year: float = UKPDS_DECLINE_PER_YEAR
) -> FloatArray:
    """Progression: beta-cell function ``years`` later, exponential decline (UKPDS-derived rate)."""
    check_range("years", years, 0.0, 50.0, "years")
    check_range("decline_per_year", decline_per_year, 0.0, 1.0, "1/year")
    return np.asarray(
        np.asarray(phi_now, dtype=np.float64) * math.exp(-decline_per_year * years), dtype=np.float64
    )


@dataclass(frozen=True, slots=True)
class Glucotoxicity:
    """Reversible suppression of secretion by sustained hyperglycaemia (all values t2pump assumptions)."""

    threshold_mgdl: float = 126.0  # G_thr: no suppression below the diabetic fasting threshold [A]
    half_effect_mgdl: float = 100.0  # G_50 above the threshold [A]
    hill: float = 2.0  # n [A]
    max_suppression: float = 0.6  # g_max [A]
    onset_days: float = 21.0  # tau when suppression deepens (2-4 weeks) [A]
    recovery_days: float = 10.0  # tau when it lifts (1-2 weeks) [A]
    mean_glucose_days: float = 1.0  # running-mean window of G_bar [A]
    calibrated: bool = False  # not yet calibrated on Kramer 2013

    def __post_init__(self) -> None:
        check_range("glucotoxicity.threshold_mgdl", self.threshold_mgdl, 70.0, 300.0, "mg/dL")
        check_range("glucotoxicity.half_effect_mgdl", self.half_effect_mgdl, 1.0, 500.0, "mg/dL")
        check_range("glucotoxicity.hill", self.hill, 0.5, 8.0)
        check_range("glucotoxicity.max_suppression", self.max_suppression, 0.0, 0.95)
        for name in ("onset_days", "recovery_days", "mean_glucose_days"):
            check_range(f"glucotoxicity.{name}", getattr(self, name), 0.01, 365.0, "days")

    def as_array(self) -> FloatArray:
        """The parameters in :data:`GLUCOTOXICITY_PARAMS` order, times in minutes (for the kernel)."""
        return np.array(
            [
                self.threshold_mgdl,
                self.half_effect_mgdl,
                self.hill,
                self.max_suppression,
                self.onset_days * _MIN_PER_DAY,
                self.recovery_days * _MIN_PER_DAY,
                self.mean_glucose_days * _MIN_PER_DAY,
            ]
        )

    def steady_factor(self, mean_glucose_mgdl: ArrayLike) -> FloatArray:
        """phi_inf: the glucotoxic factor that a sustained mean glucose leads to (1 = none)."""
        g = np.asarray(mean_glucose_mgdl, dtype=np.float64)
        return np.asarray(glucotoxic_steady_factor(g, self.as_array()), dtype=np.float64)

    def derivatives(
        self, glucose_mgdl: FloatArray, mean_glucose: FloatArray, factor: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """d(G_bar)/dt and d(phi_g)/dt [per min]."""
        d_mean, d_factor = glucotoxic_rates(glucose_mgdl, mean_glucose, factor, self.as_array())
        return np.asarray(d_mean, dtype=np.float64), np.asarray(d_factor, dtype=np.float64)


# Parameter order of Glucotoxicity.as_array (the elementwise functions below take that array).
GLUCOTOXICITY_PARAMS = (
    "threshold_mgdl", "half_effect_mgdl", "hill", "max_suppression", "onset_min", "recovery_min", "mean_min",
)  # fmt: skip


def glucotoxic_steady_factor(mean_glucose_mgdl: Any, g: FloatArray) -> Any:
    """phi_inf of :class:`Glucotoxicity` with parameters ``g`` (its ``as_array``); elementwise
    (NumPy arrays, or one patient's scalars in the compiled kernel)."""
    excess = np.maximum(mean_glucose_mgdl - g[0], 0.0)
    e_n = excess ** g[2]
    return 1.0 - g[3] * e_n / (e_n + g[1] ** g[2])


def glucotoxic_rates(glucose_mgdl: Any, mean_glucose: Any, factor: Any, g: FloatArray) -> tuple[Any, Any]:
    """d(G_bar)/dt and d(phi_g)/dt [per min], elementwise, parameters ``g`` as in ``as_array``."""
    d_mean = (glucose_mgdl - mean_glucose) / g[6]
    target = glucotoxic_steady_factor(mean_glucose, g)
    tau_min = select(target < factor, g[4], g[5])
    return d_mean, (target - factor) / tau_min
