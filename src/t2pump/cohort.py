"""Virtual type 2 populations: per-patient parameter arrays drawn from published cohort summaries.

:func:`draw_cohort` draws a named cohort (:data:`COHORTS`) of ``n`` patients: demographics,
glycaemic state, insulin dose, two relative physiology factors for the patient model and the
behaviour plans of :mod:`t2pump.behaviour`. Every quantity is drawn for all patients at once from
counter-based random numbers keyed by (seed, patient index) (see :mod:`t2pump.behaviour`), so
patient ``i`` is the same in a cohort of 10 or of 10,000 and in any chunk
(``first_index``); cohort attributes use streams 100-199.

Distributions (documented choices)
----------------------------------
Each continuous quantity is a normal or log-normal **parent truncated to the inclusion
range** whose location is solved so that the *truncated* mean equals the published mean
(:class:`TruncatedDistribution`; a few are uniform on a range). The parent SD is the published
SD (or a proxy's); the SD after truncation is smaller and is what
:meth:`TruncatedDistribution.std` returns. Quantities
are drawn independently except where a formula links them (weight = BMI x height², dose per
day = dose per kg x weight, the physiology factors below). OpT2mise Table 1 was not retrieved
(clinical.md section 5): its SDs, and the means marked "proxy", come from the Caen real-life
cohort of T2D pump starters, which clinical.md section 1.3 shows to be very close to the
OpT2mise phenotype.

Physiology factors: drawn priors, then calibrated on the patient's glycaemia and dose [C]
------------------------------------------------------------------------------------------
* ``beta_cell_rel`` prior (1 = the Dalla Man 2007 T2D reference [6]_): UKPDS-style exponential
  loss of HOMA-%B, ``exp(-r (duration - 5 y))`` with ``r = ln(50/28)/6 = 0.097 /y`` (HOMA-%B
  about 50 % of normal at diagnosis, 28 % after 6 years [7]_), times a log-normal factor (CV 0.25),
  clipped to [0.02, 3]. That the reference group had 5 years of diabetes is [A].
* ``glucotoxicity_rel`` (1 = none): the reversible glucotoxic loss of secretion at the steady
  state of the patient's mean glucose (:class:`t2pump.physiology.progression.Glucotoxicity`,
  calibrated on Kramer 2013 remission rates) with ``eAG = 28.7 HbA1c - 46.7`` mg/dL (ADAG [8]_).
* ``insulin_sensitivity_rel`` (1 = the Dalla Man 2007 T2D reference) is *solved*, not drawn
  (:func:`calibrate_physiology`): the model's fasting steady state under the patient's basal
  insulin (half the daily dose as glargine; none if insulin-naive) must sit
  ``fasting_below_mean_mgdl`` under the eAG of the patient's HbA1c, so that the drawn HbA1c, dose
  and secretion are consistent in the model. Where the solution falls outside [0.05, 1.38] (the
  model's floor; the healthy subjects' V_mx relative to the T2D group's in Table 1 of [6]_), the
  sensitivity stays at the bound and the beta-cell factor is solved instead. The offset is
  calibrated per cohort so that the cohort in its baseline state reproduces its published mean
  HbA1c (tests/simulation/test_cohort_calibration.py). Drawing the sensitivity independently of
  the dose (an earlier version) gave patients whose own doses drove them to negative glucose.
  The patient model's secretion is scaled by ``beta_cell_rel x glucotoxicity_rel``
  (:attr:`Cohort.beta_cell_function`).

References
----------
.. [1] Reznik Y, Cohen O, Aronson R, et al. Insulin pump treatment compared with multiple daily
   injections for treatment of type 2 diabetes (OpT2mise): a randomised open-label controlled
   trial. Lancet 2014;384(9950):1265-1272 [title recalled] (research notes clinical.md 1.1-1.3,
   1.8): HbA1c 8.0-12.0 % after the run-in, baseline 9.0 % [V]; age 30-75 y [S]; mean dose
   about 1 U/kg/day [S]; BMI "> 33" [S]; BMI <= 45 [M].
.. [2] Conget I, et al. Diabetes Technol Ther 2016;18:22-28
   (PMC4717502): OpT2mise inclusion dose 0.7-1.8 U/kg/day [V].
.. [3] Caen cohort of 161 T2D pump starters, Diabetes Care 2016;39(6):e74 [V]: age 58.3 +/- 9.8 y,
   BMI 33.2 +/- 6.6, duration 15 +/- 8.1 y, HbA1c 9.0 +/- 1.7 %, dose 1.2 +/- 0.9 U/kg/day.
.. [4] Weng J, Li Y, Xu W, et al. Effect of intensive insulin therapy on beta-cell function and
   glycaemic control in patients with newly diagnosed type 2 diabetes: a multicentre randomised
   parallel-group trial. Lancet 2008;371:1753-1760 [title recalled]: newly diagnosed, age 25-70 y,
   FPG 7.0-16.7 mmol/L. Mean age about 50 y, BMI about 25, about 60 % men [R: recalled].
.. [5] Li Y, Xu W, Liao Z, et al. Induction of long-term glycemic control in newly diagnosed
   type 2 diabetic patients is associated with improvement of beta-cell function. Diabetes Care
   2004;27:2597-2602 [title recalled]: 2-week CSII in 138 newly diagnosed patients with FPG > 11.1 mmol/L
   (200 mg/dL), treated in hospital [R].
.. [6] Dalla Man C, Rizza RA, Cobelli C. Meal simulation model of the glucose-insulin system.
   IEEE Trans Biomed Eng 2007;54(10):1740-1749, Table 1 T2D column (research_t2d_model.md 1.1).
.. [7] UKPDS 16. Diabetes 1995;44:1249-1258: HOMA-%B about 50 % of normal at diagnosis [V-abs];
   28 % after 6 years [M] (research_t2d_model.md section 4; simulators.md section 5.1).
.. [8] Nathan DM, Kuenen J, Borg R, et al. Translating the A1C assay into estimated average
   glucose values. Diabetes Care 2008;31:1473-1478: eAG [mg/dL] = 28.7 x A1C [%] - 46.7 [R].
.. [9] Adult heights: NCD Risk Factor Collaboration, eLife 2016;5:e13410 (Europe about
   176/163 cm, China about 171/159 cm for men/women) [R]; SDs 7/6.5 cm [A].
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import IntEnum, StrEnum
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.behaviour import (
    SUPERVISED_ADHERENCE,
    ActivityPlan,
    ActivityPrior,
    Adherence,
    AdherencePrior,
    MealPlan,
    MealPrior,
    draw_activity_plan,
    draw_adherence,
    draw_meal_plan,
)
from t2pump.errors import InputRangeError, check_range
from t2pump.physiology.dalla_man_2007 import DallaMan2007
from t2pump.physiology.progression import Glucotoxicity
from t2pump.randomness import normal_quantile, patient_seeds, substream, truncated_standard_normal, uniform01
from t2pump.therapy.initial_settings import BASAL_FRACTION
from t2pump.units import MIN_PER_DAY

__all__ = [
    "COHORTS",
    "Cohort",
    "CohortName",
    "CohortSpec",
    "Sex",
    "Shape",
    "TruncatedDistribution",
    "calibrate_physiology",
    "cohort_names",
    "draw_cohort",
    "estimated_average_glucose",
    "glucotoxicity_from_hba1c",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# ---- physiology-factor constants (see the module notes) ---------------------------------------
# Insulin-sensitivity factors a calibrated patient may get: from the least the model accepts
# (DallaMan2007.build) to the normal subjects' peripheral sensitivity, V_mx 0.047 vs 0.034 for the
# type 2 group in Table 1 of Dalla Man 2007 [6] (research_t2d_model.md 1.1): no person with type 2
# diabetes is more insulin-sensitive than the paper's healthy subjects.
SI_CLIP = (0.05, 0.047 / 0.034)
BETA_DECLINE_PER_Y = math.log(50.0 / 28.0) / 6.0  # [D] from [7]: 0.0966 /y
BETA_REFERENCE_DURATION_Y = 5.0  # [A] diabetes duration the DM2007 T2D group stands for
BETA_CLIP = (0.02, 3.0)  # [A]
BETA_BETWEEN_CV = 0.25  # [A]
MIN_ONSET_AGE_Y = 10.0  # [A] duration is capped at age - 10 y
ADAG_SLOPE_MGDL_PER_PERCENT = 28.7  # [8]
ADAG_INTERCEPT_MGDL = -46.7  # [8]


class CohortName(StrEnum):
    OPT2MISE = "opt2mise"
    NEW_ONSET_SEVERE = "new_onset_severe"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


class Shape(StrEnum):
    NORMAL = "normal"
    LOGNORMAL = "lognormal"
    UNIFORM = "uniform"


class _Stream(IntEnum):
    """Stream ids of the cohort attributes (100-199; t2pump.behaviour uses 1-99)."""

    AGE = 101
    SEX = 102
    HEIGHT = 103
    BMI = 104
    DURATION = 105
    HBA1C = 106
    TDD = 107
    SENSITIVITY = 108
    BETA_CELL = 109


# ---- truncated distributions ------------------------------------------------------------------


def _cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _mass(a: float, b: float) -> float:
    """Phi(b) - Phi(a), accurate in either tail."""
    return _cdf(-a) - _cdf(-b) if a > 0.0 else _cdf(b) - _cdf(a)


def _truncated_moments(loc: float, scale: float, lo: float, hi: float, log: bool) -> tuple[float, float]:
    """Mean and SD of the parent N(loc, scale) (of log x if ``log``) truncated to [lo, hi] (log bounds)."""
    a, b = (lo - loc) / scale, (hi - loc) / scale
    z = _mass(a, b)
    if not log:
        ratio = (_pdf(a) - _pdf(b)) / z
        var = scale**2 * (1.0 + (a * _pdf(a) - b * _pdf(b)) / z - ratio**2)
        return loc + scale * ratio, math.sqrt(max(var, 0.0))
    m1 = math.exp(loc + 0.5 * scale**2) * _mass(a - scale, b - scale) / z
    m2 = math.exp(2.0 * loc + 2.0 * scale**2) * _mass(a - 2.0 * scale, b - 2.0 * scale) / z
    return m1, math.sqrt(max(m2 - m1 * m1, 0.0))


@lru_cache(maxsize=256)
def _solve_location(mean: float, scale: float, lo: float, hi: float, log: bool) -> float:
    """The parent location whose truncation to [lo, hi] has mean ``mean`` (bisection; monotone)."""
    left, right = lo - 8.0 * scale, hi + 8.0 * scale
    m_left = _truncated_moments(left, scale, lo, hi, log)[0]
    m_right = _truncated_moments(right, scale, lo, hi, log)[0]
    if not m_left < mean < m_right:
        raise InputRangeError(
            "TruncatedDistribution.mean",
            mean,
            f"a mean reachable with this SD inside the bounds ({m_left:.4g}-{m_right:.4g})",
        )
    for _ in range(200):
        mid = 0.5 * (left + right)
        if _truncated_moments(mid, scale, lo, hi, log)[0] < mean:
            left = mid
        else:
            right = mid
        if right - left < 1e-13 * max(1.0, abs(mid)):
            break
    return 0.5 * (left + right)


@dataclass(frozen=True, slots=True)
class TruncatedDistribution:
    """A quantity drawn from a parent distribution truncated to [lo, hi], with truncated mean ``mean``.

    ``shape="normal"``: parent N(loc, sd) with loc solved for the mean. ``shape="lognormal"``:
    log x ~ N(loc, s) with ``s = sqrt(ln(1 + cv²))``, ``cv = sd / mean`` (the published SD and
    mean), loc solved for the mean of x. ``shape="uniform"``: uniform on [lo, hi] (``mean`` must
    be the midpoint; ``sd`` is ignored). ``source`` says where the numbers come from.
    """

    mean: float
    sd: float
    lo: float
    hi: float
    shape: Shape = Shape.NORMAL
    source: str = ""

    def __post_init__(self) -> None:
        check_range(
            "TruncatedDistribution.lo", self.lo, -1e12, self.hi, lo_inclusive=True, hi_inclusive=False
        )
        check_range(
            "TruncatedDistribution.mean", self.mean, self.lo, self.hi, lo_inclusive=False, hi_inclusive=False
        )
        if self.shape is Shape.UNIFORM:
            mid = 0.5 * (self.lo + self.hi)
            if abs(self.mean - mid) > 1e-9 * max(1.0, abs(mid)):
                raise InputRangeError("TruncatedDistribution.mean", self.mean, f"{mid:g} (uniform midpoint)")
            return
        check_range("TruncatedDistribution.sd", self.sd, 0.0, 1e12, lo_inclusive=False)
        if self.shape is Shape.LOGNORMAL and self.lo <= 0.0:
            raise InputRangeError("TruncatedDistribution.lo", self.lo, "> 0 for a log-normal quantity")
        self._parent()  # fails early when the mean cannot be reached

    def _parent(self) -> tuple[float, float, float, float, bool]:
        """(loc, scale, lo, hi, log) of the parent normal, bounds on its scale."""
        if self.shape is Shape.LOGNORMAL:
            scale = math.sqrt(math.log1p((self.sd / self.mean) ** 2))
            lo, hi = math.log(self.lo), math.log(self.hi)
            return _solve_location(self.mean, scale, lo, hi, True), scale, lo, hi, True
        return _solve_location(self.mean, self.sd, self.lo, self.hi, False), self.sd, self.lo, self.hi, False

    def std(self) -> float:
        """The SD of the truncated distribution (what a sample's SD estimates)."""
        if self.shape is Shape.UNIFORM:
            return (self.hi - self.lo) / math.sqrt(12.0)
        loc, scale, lo, hi, log = self._parent()
        return _truncated_moments(loc, scale, lo, hi, log)[1]

    def sample(self, u: FloatArray) -> FloatArray:
        """Values from uniforms ``u`` in (0, 1), one per patient (inverse CDF; within [lo, hi])."""
        ua = np.asarray(u, dtype=np.float64)
        if self.shape is Shape.UNIFORM:
            return np.asarray(self.lo + (self.hi - self.lo) * ua, dtype=np.float64)
        loc, scale, lo, hi, log = self._parent()
        x = loc + scale * truncated_standard_normal(ua, (lo - loc) / scale, (hi - loc) / scale)
        values = np.exp(x) if log else x
        return np.asarray(np.clip(values, self.lo, self.hi), dtype=np.float64)


# ---- cohort specifications --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CohortSpec:
    """How one named cohort is drawn. ``tdd_u_per_kg_day`` None: insulin-naive patients."""

    name: CohortName
    description: str
    age_y: TruncatedDistribution
    bmi_kg_m2: TruncatedDistribution
    hba1c_percent: TruncatedDistribution
    duration_y: TruncatedDistribution
    tdd_u_per_kg_day: TruncatedDistribution | None
    # How far the fasting steady state under the basal insulin sits below the eAG of the HbA1c:
    # calibrated [C] so that the cohort in its baseline state (on its MDI, or untreated) reproduces
    # the mean HbA1c it is drawn for (tests/simulation/test_cohort_calibration.py).
    fasting_below_mean_mgdl: float
    male_fraction: float
    male_fraction_source: str
    height_male_m: TruncatedDistribution
    height_female_m: TruncatedDistribution
    meal_prior: MealPrior = field(default_factory=MealPrior)
    adherence_prior: AdherencePrior = field(default_factory=AdherencePrior)
    activity_prior: ActivityPrior = field(default_factory=ActivityPrior)


_EUROPE_HEIGHT_MALE = TruncatedDistribution(1.76, 0.07, 1.50, 2.05, source="[9] Europe men [R]; SD [A]")
_EUROPE_HEIGHT_FEMALE = TruncatedDistribution(1.63, 0.065, 1.40, 1.90, source="[9] Europe women [R]; SD [A]")

COHORTS: Mapping[str, CohortSpec] = {
    CohortName.OPT2MISE: CohortSpec(
        name=CohortName.OPT2MISE,
        description="T2D poorly controlled on MDI with analogues, as randomised in OpT2mise [1]",
        age_y=TruncatedDistribution(58.3, 9.8, 30.0, 75.0, source="range [1] [S]; mean, SD: Caen proxy [3]"),
        bmi_kg_m2=TruncatedDistribution(
            33.2, 6.6, 20.0, 45.0, source="'> 33' [1] [S]; mean, SD: Caen [3]; <= 45 [1] [M]; >= 20 [A]"
        ),
        hba1c_percent=TruncatedDistribution(
            9.0, 1.7, 8.0, 12.0, source="8-12 %, mean 9.0 % [1] [V]; SD: Caen [3]"
        ),
        duration_y=TruncatedDistribution(15.0, 8.1, 1.0, 45.0, source="mean, SD: Caen [3]; bounds [A]"),
        tdd_u_per_kg_day=TruncatedDistribution(
            1.0,
            0.75,
            0.7,
            1.8,
            Shape.LOGNORMAL,
            source="0.7-1.8 U/kg/day [2] [V]; mean about 1 [1] [S]; CV 0.9/1.2 = 0.75: Caen [3]",
        ),
        # [C] re-solved with the calibrated glucotoxicity (scripts/calibrate_glucotoxicity.py): 40 before
        fasting_below_mean_mgdl=34.0,
        male_fraction=0.55,
        male_fraction_source="[A] OpT2mise sex ratio not retrieved (about 55 % men recalled [R])",
        height_male_m=_EUROPE_HEIGHT_MALE,
        height_female_m=_EUROPE_HEIGHT_FEMALE,
    ),
    CohortName.NEW_ONSET_SEVERE: CohortSpec(
        name=CohortName.NEW_ONSET_SEVERE,
        description=(
            "newly diagnosed, insulin-naive T2D with severe hyperglycaemia (HbA1c >= 10 %, standing for "
            "FPG > 11.1 mmol/L) for short intensive insulin therapy, as in Li 2004 / Weng 2008 [4] [5]"
        ),
        age_y=TruncatedDistribution(50.0, 10.0, 25.0, 70.0, source="25-70 y [4] [V]; mean [4] [R]; SD [A]"),
        bmi_kg_m2=TruncatedDistribution(25.0, 3.0, 18.5, 40.0, source="mean, SD [4] [R]; bounds [A]"),
        hba1c_percent=TruncatedDistribution(
            11.0, 1.5, 10.0, 15.0, source=">= 10 % for FPG > 11.1 mmol/L [5] [A]; mean, SD, upper bound [A]"
        ),
        duration_y=TruncatedDistribution(
            0.125, 0.0, 0.0, 0.25, Shape.UNIFORM, source="newly diagnosed: 0-3 months [A]"
        ),
        tdd_u_per_kg_day=None,
        # [C] re-solved with the calibrated glucotoxicity (untreated mean CGM = eAG of 11 %): 82 before
        fasting_below_mean_mgdl=60.8,
        male_fraction=0.6,
        male_fraction_source="[4] about 60 % men [R]",
        height_male_m=TruncatedDistribution(1.71, 0.07, 1.50, 1.95, source="[9] China men [R]; SD [A]"),
        height_female_m=TruncatedDistribution(1.59, 0.065, 1.40, 1.80, source="[9] China women [R]; SD [A]"),
        adherence_prior=SUPERVISED_ADHERENCE,
    ),
}


def cohort_names() -> tuple[str, ...]:
    return tuple(sorted(str(name) for name in COHORTS))


# ---- the cohort -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Cohort:
    """A drawn cohort: per-patient arrays of shape ``(n_patients,)`` and the behaviour plans.

    ``seeds`` are the patients' random keys, for :func:`t2pump.behaviour.draw_days` and any
    later per-patient draw (each module with its own stream ids).
    """

    name: str
    seed: int
    patient_index: IntArray
    seeds: NDArray[np.uint64]
    sex: NDArray[np.str_]
    age_y: FloatArray
    height_m: FloatArray
    weight_kg: FloatArray
    bmi_kg_m2: FloatArray
    diabetes_duration_y: FloatArray
    hba1c_percent: FloatArray
    tdd_u_per_day: FloatArray  # on MDI before the trial; 0 for insulin-naive patients
    tdd_u_per_kg_day: FloatArray
    insulin_sensitivity_rel: FloatArray  # 1 = Dalla Man 2007 T2D reference
    beta_cell_rel: FloatArray  # chronic (progression) part; 1 = Dalla Man 2007 T2D reference
    glucotoxicity_rel: FloatArray  # reversible part; 1 = no glucotoxicity
    meals: MealPlan
    adherence: Adherence
    activity: ActivityPlan

    @property
    def n_patients(self) -> int:
        return len(self.patient_index)

    def __len__(self) -> int:
        return self.n_patients

    @property
    def beta_cell_function(self) -> FloatArray:
        """Secretion factor for the patient model: ``beta_cell_rel * glucotoxicity_rel``."""
        return np.asarray(self.beta_cell_rel * self.glucotoxicity_rel, dtype=np.float64)

    @property
    def patient_ids(self) -> NDArray[np.str_]:
        """``"<cohort>-<index, 6 digits>"``, e.g. ``"opt2mise-000042"``."""
        digits = np.char.zfill(self.patient_index.astype(np.str_), 6)
        return np.asarray(np.char.add(f"{self.name}-", digits), dtype=np.str_)

    def take(self, indices: ArrayLike) -> Cohort:
        """The patients at positions ``indices`` (positions in this cohort, not patient indices)."""
        idx = np.asarray(indices, dtype=np.int64)
        values: dict[str, object] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                values[f.name] = v[idx]
            elif isinstance(v, MealPlan | Adherence | ActivityPlan):
                values[f.name] = v.take(idx)
            else:
                values[f.name] = v
        return Cohort(**values)  # type: ignore[arg-type]


def estimated_average_glucose(hba1c_percent: FloatArray) -> FloatArray:
    """ADAG eAG [mg/dL] of an HbA1c [%] [8]."""
    hba1c = np.asarray(hba1c_percent, dtype=np.float64)
    return np.asarray(ADAG_SLOPE_MGDL_PER_PERCENT * hba1c + ADAG_INTERCEPT_MGDL, dtype=np.float64)


def glucotoxicity_from_hba1c(hba1c_percent: FloatArray) -> FloatArray:
    """Steady-state reversible secretion factor for a mean glucose given by HbA1c (module notes):
    :meth:`t2pump.physiology.progression.Glucotoxicity.steady_factor` of the eAG."""
    return Glucotoxicity().steady_factor(estimated_average_glucose(hba1c_percent))


def calibrate_physiology(
    weight_kg: FloatArray,
    hba1c_percent: FloatArray,
    tdd_u_per_day: FloatArray,
    beta_cell_function: FloatArray,
    fasting_below_mean_mgdl: float,
) -> tuple[FloatArray, FloatArray]:
    """(insulin sensitivity, beta-cell function) of each patient such that the model's fasting
    steady state under the patient's basal insulin (``BASAL_FRACTION`` of the daily dose as
    glargine; none for insulin-naive patients) is ``fasting_below_mean_mgdl`` under the eAG of the
    patient's HbA1c. The sensitivity is solved first, with the drawn beta-cell function; where it
    falls outside ``SI_CLIP``, it is held at the bound and the beta-cell function is solved instead:
    a dose too large for the drawn secretion means less secretion, not an impossible resistance,
    and a dose too small for it means more secretion, not more sensitivity than healthy subjects.
    """
    n = weight_kg.shape[0]
    names = [str(i) for i in range(n)]
    target = np.clip(estimated_average_glucose(hba1c_percent) - fasting_below_mean_mgdl, 60.0, 590.0)
    basal = BASAL_FRACTION * tdd_u_per_day / MIN_PER_DAY
    model = DallaMan2007.build(names, weight_kg, 1.0, beta_cell_function)
    si = np.clip(model.sensitivity_for_fasting_glucose(target, basal_u_per_min=basal), *SI_CLIP)
    at_bound = (si <= SI_CLIP[0] * (1.0 + 1e-9)) | (si >= SI_CLIP[1] * (1.0 - 1e-9))
    beta = beta_cell_function.copy()
    if np.any(at_bound):
        bounded = DallaMan2007.build(names, weight_kg, si, beta_cell_function)
        beta = np.where(at_bound, bounded.beta_cell_for_fasting_glucose(target, basal_u_per_min=basal), beta)
    return np.asarray(si, dtype=np.float64), np.asarray(beta, dtype=np.float64)


def _lognormal_median_one(u: FloatArray, cv: float) -> FloatArray:
    sigma = math.sqrt(math.log1p(cv * cv))
    return np.asarray(np.exp(sigma * normal_quantile(u)), dtype=np.float64)


def _spec(name: str) -> CohortSpec:
    if name not in COHORTS:
        raise InputRangeError("cohort", name, "one of " + ", ".join(repr(n) for n in cohort_names()))
    return COHORTS[name]


def _check_int(field_name: str, value: int, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or int(value) < lo:
        raise InputRangeError(field_name, value, f"an integer >= {lo}")
    return int(value)


def draw_cohort(name: str, n: int, seed: int, *, first_index: int = 0) -> Cohort:
    """Draw patients ``first_index`` .. ``first_index + n - 1`` of cohort ``name`` for run ``seed``.

    Patient ``i`` depends only on (``name``, ``seed``, ``i``): ``draw_cohort(c, n, s)`` equals
    the first ``n`` patients of ``draw_cohort(c, m, s)`` for any ``m > n``, and chunks drawn
    with ``first_index`` concatenate to the whole cohort.
    """
    spec = _spec(name)
    count = _check_int("n", n, 0)
    first = _check_int("first_index", first_index, 0)
    index = np.arange(first, first + count, dtype=np.int64)
    keys = patient_seeds(seed, index)

    def u(stream: _Stream) -> FloatArray:
        return uniform01(substream(keys, stream), [0])[:, 0]

    age = spec.age_y.sample(u(_Stream.AGE))
    male = u(_Stream.SEX) < spec.male_fraction
    u_height = u(_Stream.HEIGHT)
    height = np.where(male, spec.height_male_m.sample(u_height), spec.height_female_m.sample(u_height))
    bmi = spec.bmi_kg_m2.sample(u(_Stream.BMI))
    weight = bmi * height**2
    duration = np.minimum(spec.duration_y.sample(u(_Stream.DURATION)), age - MIN_ONSET_AGE_Y)
    hba1c = spec.hba1c_percent.sample(u(_Stream.HBA1C))

    if spec.tdd_u_per_kg_day is None:
        tdd_per_kg = np.zeros(count)
    else:
        tdd_per_kg = spec.tdd_u_per_kg_day.sample(u(_Stream.TDD))
    beta = np.exp(-BETA_DECLINE_PER_Y * (duration - BETA_REFERENCE_DURATION_Y)) * _lognormal_median_one(
        u(_Stream.BETA_CELL), BETA_BETWEEN_CV
    )
    glucotoxic = glucotoxicity_from_hba1c(hba1c)
    sensitivity, phi = calibrate_physiology(
        weight,
        hba1c,
        tdd_per_kg * weight,
        np.clip(beta, *BETA_CLIP) * glucotoxic,
        spec.fasting_below_mean_mgdl,
    )

    return Cohort(
        name=str(spec.name),
        seed=int(seed),
        patient_index=index,
        seeds=keys,
        sex=np.where(male, Sex.MALE.value, Sex.FEMALE.value).astype(np.str_),
        age_y=age,
        height_m=height,
        weight_kg=weight,
        bmi_kg_m2=bmi,
        diabetes_duration_y=duration,
        hba1c_percent=hba1c,
        tdd_u_per_day=tdd_per_kg * weight,
        tdd_u_per_kg_day=tdd_per_kg,
        insulin_sensitivity_rel=sensitivity,
        beta_cell_rel=phi / glucotoxic,
        glucotoxicity_rel=glucotoxic,
        meals=draw_meal_plan(keys, spec.meal_prior),
        adherence=draw_adherence(keys, spec.adherence_prior),
        activity=draw_activity_plan(keys, spec.activity_prior),
    )
