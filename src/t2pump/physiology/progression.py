"""Disease progression over years and reversible glucotoxicity over weeks: the beta-cell factor.

The Dalla Man 2007 model's secretion is multiplied by a relative beta-cell function ``phi``
(:mod:`t2pump.physiology.dalla_man_2007`). Two processes set it:

* **Progression** (years, irreversible): UKPDS 16 [1]_ showed beta-cell function (HOMA-%B) falling
  steadily after diagnosis, from about 50 % of normal at diagnosis [2]_ to about 28 % after 6 years
  [3]_, whatever the treatment. An exponential fit gives ln(50/28)/6 = 0.097 per year (derived).
* **Glucotoxicity** (weeks, reversible): sustained hyperglycaemia suppresses secretion and
  normalising glucose restores it, which is why 2-3 weeks of intensive insulin therapy (IIT) at
  diagnosis bring drug-free remissions (Kramer 2013 meta-analysis: 66.2 / 58.9 / 46.3 % at
  3 / 6 / 12 months [4]_). Here a 1-day running mean of plasma glucose ``G_bar`` drives the
  glucotoxic factor ``phi_g`` towards
  ``phi_inf(G_bar) = 1 - g_max (G_bar - G_thr)+^n / ((G_bar - G_thr)+^n + G_50^n)``, with one time
  constant while suppression deepens and a shorter one while it lifts.

Glucotoxicity parameters and where each comes from (docs/research_t2d_model.md 5.5; tags as in
the research notes: [V] read in a source, [C] calibrated, [S] chosen in a structural screen on the
calibration data, [A] assumption):

============================  ========  ==================================================
parameter                     value     source
============================  ========  ==================================================
threshold G_thr               126 mg/dL [A] the diabetic fasting threshold, on the 1-day mean
half-effect G_50 above it     40 mg/dL  [S] screen of G_50 and n on the calibration data
Hill n                        2         [S]
max suppression g_max         0.83      [C] Kramer 2013 remission at 3, 6, 12 months [4]_
onset time constant           21 days   [C] same fit; weakly identified (30, 45 days fit too)
recovery time constant        10 days   [A] consistent with [5]_ [6]_: first-phase secretion
                                        back after 7 days, and after 2 weeks, of
                                        near-normoglycaemia
running-mean window           1 day     [A]
============================  ========  ==================================================

Calibration (scripts/calibrate_glucotoxicity.py; docs/research_t2d_model.md 5.5): the
``new_onset_severe`` cohort drawn with these values as defaults, each patient starting at the
glucotoxic steady state of its own untreated mean glucose; CSII from the starting settings titrated
daily for 18 days (Weng 2008's mean 4 days to target plus 2 weeks [6]_); then diet only for 12
months with UKPDS progression; remission = every monthly fasting plasma glucose (median of a week's
pre-breakfast values) below 7.0 mmol/L. ``g_max`` and the onset time constant were fitted on 200
patients (grid 0.82-0.85 x 21-45 days); :data:`CALIBRATION` holds the target, the fit and the
check on 400 other patients. The shape (G_50, n) was chosen in a coarse screen on the same data
(100-patient simulations, G_50 in {20, 30, 40, 60} mg/dL, n in {2, 3, 4}): steeper switches (n >= 3
or G_50 <= 30) keep nearly every remission from 3 to 12 months, a flatter one (G_50 = 60) gave few
remissions at any depth tried. A published analogue is the human model
of Ha, Satin & Sherman 2016 [7]_, whose beta-cell function switches off above about 150 mg/dL with
a 250-day time constant; its numbers are not transferable (no meals, another secretion model).
Depth and recovery agree with what IIT does to secretion: HOMA-B 2.5-3.2 times higher after 2 weeks
of CSII in 160 patients with HbA1c 11 % [8]_; here the median factor rises from 0.24 to 0.75 (x 3.2).

:attr:`Glucotoxicity.calibrated` is True for these defaults only. The cohorts split their
calibrated secretion into chronic and glucotoxic parts with these defaults
(:func:`t2pump.cohort.glucotoxicity_from_hba1c`), so their fasting offsets depend on them.

References
----------
.. [1] UK Prospective Diabetes Study Group. UKPDS 16: overview of 6 years' therapy of type II
   diabetes: a progressive disease. Diabetes 1995;44:1249-1258.
.. [2] HOMA-%B about 50 % of normal at diagnosis in UKPDS (commentary "HOMA-beta in the UKPDS and
   ADOPT", abstract read; t2pump research notes).
.. [3] 28 % after 6 years: secondary review citing UKPDS 16 (not the paper itself) [M].
.. [4] Kramer CK, Zinman B, Retnakaran R. Short-term intensive insulin therapy in type 2 diabetes
   mellitus: a systematic review and meta-analysis. Lancet Diabetes Endocrinol 2013;1:28-34.
   doi:10.1016/S2213-8587(13)70006-8 (abstract: 292/441, 222/377, 229/495 in remission).
.. [5] Liu L, Yang S, Liu J, et al. Fasting plasma glucose indicates reversibility of the acute
   insulin response after short-term intensive insulin therapy in patients with various duration
   of type 2 diabetes. J Diabetes Res 2018;2018:9423965 (PMC6276474): AIR -16.7 -> 178.7
   pmol/L min after 7 days of CSII.
.. [6] Weng J, Li Y, Xu W, et al. Effect of intensive insulin therapy on beta-cell function and
   glycaemic control in patients with newly diagnosed type 2 diabetes. Lancet 2008;371:1753-1760
   (abstract); Li Y, Xu W, Liao Z, et al. Diabetes Care 2004;27:2597-2602 (abstract).
.. [7] Ha J, Satin LS, Sherman AS. Mathematical model of the pathogenesis, prevention and
   reversal of type 2 diabetes. Endocrinology 2016;157:624-635; XPP code ``human.ode``
   (artielbm/artielbm.github.io, Models/Pathogenesis): tau_sigma = 249.9 days, sigma_MI switch at
   M(G - 75) = 0.2.
.. [8] Diabetes 2018;67(Suppl 1):1045-P (abstract; authors not read): HOMA-B 15.3 ->
   38.5 (no remission) and 21.5 -> 67.6 (remission < 1 year) after 2-week CSII.
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
    "CALIBRATION",
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

# The calibration of the Glucotoxicity defaults (scripts/calibrate_glucotoxicity.py, module notes):
# proportion in drug-free remission, months after stopping 18 days of titrated CSII -> value.
CALIBRATION: dict[str, dict[int, float]] = {
    "kramer_2013": {3: 292 / 441, 6: 222 / 377, 12: 229 / 495},  # [4], the target
    "fit_200_patients_seed_1": {3: 0.620, 6: 0.585, 12: 0.470},  # g_max, onset fitted here
    "check_400_patients_seed_2": {3: 0.635, 6: 0.620, 12: 0.490},  # other patients: within 2 SE
}


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
    """Reversible suppression of secretion by sustained hyperglycaemia; the defaults are calibrated
    on Kramer 2013 (module notes; ``calibrated`` is True for them and False for any other set)."""

    threshold_mgdl: float = 126.0  # G_thr: no suppression below the diabetic fasting threshold [A]
    half_effect_mgdl: float = 40.0  # G_50 above the threshold [S]
    hill: float = 2.0  # n [S]
    max_suppression: float = 0.83  # g_max [C] Kramer 2013 remission (CALIBRATION)
    onset_days: float = 21.0  # tau while suppression deepens [C], weakly identified
    recovery_days: float = 10.0  # tau while it lifts [A]: AIR back within 1-2 weeks [5] [6]
    mean_glucose_days: float = 1.0  # running-mean window of G_bar [A]

    def __post_init__(self) -> None:
        check_range("glucotoxicity.threshold_mgdl", self.threshold_mgdl, 70.0, 300.0, "mg/dL")
        check_range("glucotoxicity.half_effect_mgdl", self.half_effect_mgdl, 1.0, 500.0, "mg/dL")
        check_range("glucotoxicity.hill", self.hill, 0.5, 8.0)
        check_range("glucotoxicity.max_suppression", self.max_suppression, 0.0, 0.95)
        for name in ("onset_days", "recovery_days", "mean_glucose_days"):
            check_range(f"glucotoxicity.{name}", getattr(self, name), 0.01, 365.0, "days")

    @property
    def calibrated(self) -> bool:
        """True for the calibrated defaults only (any other value is not what :data:`CALIBRATION`
        measured)."""
        return self == Glucotoxicity()

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
