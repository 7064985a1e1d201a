"""What the person does: meals, meal boluses, basal injections and physical activity, day by day.

Three per-patient plans describe a person's habits: :class:`MealPlan` (usual meal times and
carbohydrate, their day-to-day variation), :class:`Adherence` (missed and late meal boluses,
skipped basal injections, carbohydrate-counting error, correction boluses) and
:class:`ActivityPlan` (exercise sessions). :func:`draw_days` turns the plans into the events of
``n_days`` days for every patient at once; :func:`to_minute_grid` puts those events on a
per-minute grid for the simulation engine. Plans for a population are drawn by
:func:`draw_meal_plan`, :func:`draw_adherence` and :func:`draw_activity_plan` from population
priors (:class:`MealPrior`, :class:`AdherencePrior`, :class:`ActivityPrior`) whose defaults carry
their sources below.

Every array is vectorised over patients: per-patient values have shape ``(n_patients,)`` (or
``(n_patients, 4)`` for the four meal slots), per-event values ``(n_patients, n_days * 4)`` and
per-day values ``(n_patients, n_days)``. Time is in minutes from midnight of day 0.

Randomness (documented choice)
------------------------------
A patient's draws depend only on (run seed, patient index), never on the cohort size, on how the
cohort is chunked or on which days are drawn together: counter-based numbers from
:mod:`t2pump.randomness` (SplitMix64 [1]_ keys per patient and per :class:`Stream`, inverse-CDF
normals [2]_). Counters are the event position (day x 4 + meal slot, or the day), so day ``d`` of a
patient is the same whether 7 or 180 days are drawn and whatever ``first_day`` is.

References
----------
.. [1] Steele GL, Lea D, Flood CH. Fast splittable pseudorandom number generators. OOPSLA 2014:
   453-472. doi:10.1145/2660193.2660195 (SplitMix64; finaliser constants 0xBF58476D1CE4E5B9,
   0x94D049BB133111EB, golden gamma 0x9E3779B97F4A7C15, as in Vigna's ``splitmix64.c``).
.. [2] Wichura MJ. Algorithm AS 241: the percentage points of the normal distribution. Applied
   Statistics 1988;37(3):477-484. doi:10.2307/2347330 (PPND16, relative accuracy about 1e-16;
   the same coefficients as CPython's ``statistics.NormalDist.inv_cdf``).
.. [3] simglucose ``simglucose/simulation/scenario_gen.py`` ``RandomScenario`` (jxx123/simglucose,
   commit 3f80f3dd): meal probability 0.95 for breakfast, lunch, dinner and 0.3 for each snack;
   usual times 7:00, 12:00, 18:00 (SD 60 min) and snacks 9:30, 15:00, 21:30 (SD 30 min), each
   truncated to +/- 2 SD; carbohydrate 45, 70, 80 g (SD 10 g) and 10 g (SD 5 g) for snacks.
   A type 1 simulator's defaults; their use for type 2 adults is a t2pump assumption.
.. [4] Peyrot M, Barnett AH, Meneghini LF, Schumm-Draeger PM. Insulin adherence behaviours and
   barriers in the multinational Global Attitudes of Patients and Physicians in Insulin Therapy
   study. Diabet Med 2012;29:682-689. doi:10.1111/j.1464-5491.2012.03605.x (GAPP; 1530 patients,
   1350 with T2D): 33.2 % reported insulin omission/non-adherence on >= 1 day in the last month,
   on average 3.3 days; physicians estimate 4.3 days/month of basal and 5.7 days/month of
   prandial omission. [abstract read; pages recalled]
.. [5] GAPP2: Curr Med Res Opin 2012;28(12):1933-1946. doi:10.1185/03007995.2012.743458 (PMID
   23150949; 3042 T2D patients on basal analogues): in the last 30 days 22 % missed a basal
   dose, on 3 +/- 0.16 occasions; 24 % mistimed one by > 2 h. [abstract read; authors Brod M,
   Rana A, Barnett AH recalled]
.. [6] Schaper NC, Nikolajsen A, Sandberg A, Buchs S, Bogelund M. Timing of insulin injections,
   adherence, and glycemic control in a multinational sample of people with type 2 diabetes.
   Diabetes Ther 2017;8(6):1319-1329. doi:10.1007/s13300-017-0317-9: of 1483 T2D bolus users,
   58 % inject before meals, 24 % during or after meals, 18 % before, during or after.
.. [7] Brazeau AS, Mircescu H, Desjardins K, et al. Carbohydrate counting accuracy and blood
   glucose variability in adults with type 1 diabetes. Diabetes Res Clin Pract 2013;99(1):19-23:
   mean counting error about 20 % of the meal's carbohydrate. [R: recalled, not re-read]
.. [8] Carbohydrate counting in 74 adults with T1D, 24 weighed test meals; Exp Clin Endocrinol
   Diabetes 2021, doi:10.1055/a-1493-2324: median error -28 % (IQR -50 to 0 %), -34 % for
   high-carbohydrate meals. [abstract read] Roversi C, et al. Diabetes Technol Ther 2020,
   doi:10.1089/dia.2019.0502: larger meals are mostly underestimated. [abstract read]
.. [9] Randlov J, Poulsen JU. How much do forgotten insulin injections matter to hemoglobin A1c
   in people with diabetes? A simulation study. J Diabetes Sci Technol 2008;2(2):229-235. [R]
   (why missed meal boluses are modelled at all).
.. [10] t2pump research notes, clinical.md section 4.7: 60 min walking at about 50 % VO2max in a
   pump exercise trial (ADA 2018 abstract 65-OR). Colberg SR, et al. Diabetes Care
   2016;39:2065-2079 (ADA position statement: >= 150 min/week of moderate-to-vigorous activity
   over >= 3 days) [R].

Values marked [A] are t2pump assumptions (no source found); [D] are derived from the cited
numbers by the arithmetic shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from enum import IntEnum
from typing import TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import InputRangeError, check_one_of, check_range
from t2pump.randomness import (
    SeedArray,
    lognormal_factor,
    normal_quantile,
    substream,
    truncated_standard_normal,
    uniform01,
)
from t2pump.units import MIN_PER_DAY

__all__ = [
    "GRID_SIGNALS",
    "N_MEAL_SLOTS",
    "SUPERVISED_ADHERENCE",
    "ActivityPlan",
    "ActivityPrior",
    "Adherence",
    "AdherencePrior",
    "BehaviourEvents",
    "MealPlan",
    "MealPrior",
    "MealSlot",
    "Stream",
    "draw_activity_plan",
    "draw_adherence",
    "draw_days",
    "draw_meal_plan",
    "to_minute_grid",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

_DAY_MIN = int(MIN_PER_DAY)
_TRUNCATION_SD = 2.0  # meal and activity times truncated to +/- 2 SD, as simglucose does [3]

# ---- random streams ----------------------------------------------------------------------------


class Stream(IntEnum):
    """Stream ids of the random quantities drawn here (1-99). ``t2pump.cohort`` uses 100-199."""

    MEAL_EATEN = 1
    MEAL_TIME = 2
    MEAL_CARBS = 3
    CARB_COUNT = 4
    BOLUS_MISSED = 5
    BOLUS_LATE = 6
    BOLUS_DELAY = 7
    CORRECTION = 8
    BASAL_SKIPPED = 9
    ACTIVITY_DAY = 10
    ACTIVITY_START = 11
    PLAN_MEAL_TIME = 21
    PLAN_MEAL_CARBS = 22
    PLAN_BOLUS_OMITTER = 23
    PLAN_BOLUS_TIMING = 24
    PLAN_BASAL_MISSER = 25
    PLAN_CARB_BIAS = 26
    PLAN_ACTIVE = 27
    PLAN_SESSIONS = 28
    PLAN_DURATION = 29
    PLAN_INTENSITY = 30
    PLAN_ACTIVITY_TIME = 31


def _uniform_one(seeds: SeedArray, stream: int, counter: int = 0) -> FloatArray:
    """One uniform per patient from ``stream``, shape ``(n_patients,)``."""
    return uniform01(substream(seeds, stream), [counter])[:, 0]


# ---- per-patient plans ------------------------------------------------------------------------


class MealSlot(IntEnum):
    """Columns of the per-slot arrays of :class:`MealPlan` (events are ordered day by day, slot by slot)."""

    BREAKFAST = 0
    LUNCH = 1
    DINNER = 2
    SNACK = 3


N_MEAL_SLOTS = len(MealSlot)


def _per_patient(
    owner: object, name: str, value: object, ndim: int, lo: float, hi: float, unit: str
) -> FloatArray:
    """Convert ``value`` to a finite float array of ``ndim`` dimensions within [lo, hi]."""
    arr = np.array(value, dtype=np.float64)
    label = f"{type(owner).__name__}.{name}"
    if arr.ndim != ndim or (ndim == 2 and arr.shape[1] != N_MEAL_SLOTS):
        shape = "(n_patients,)" if ndim == 1 else f"(n_patients, {N_MEAL_SLOTS})"
        raise InputRangeError(label, f"an array of shape {arr.shape}", f"shape {shape}")
    ok = np.isfinite(arr) & (arr >= lo) & (arr <= hi)
    if not bool(ok.all()):
        where = tuple(int(i) for i in np.argwhere(~ok)[0])
        index = ",".join(map(str, where))
        raise InputRangeError(f"{label}[{index}]", float(arr[where]), f"a value in [{lo:g}, {hi:g}] {unit}")
    arr.setflags(write=False)
    return arr


def _same_length(owner: object) -> int:
    sizes = {f.name: len(getattr(owner, f.name)) for f in fields(owner)}  # type: ignore[arg-type]
    if len(set(sizes.values())) > 1:
        raise InputRangeError(f"{type(owner).__name__}", sizes, "the same number of patients in every field")
    return next(iter(sizes.values()))


def _validate_fields(owner: object, limits: dict[str, tuple[float, float, str]], ndim: int) -> None:
    """Replace each field by its checked read-only float array; all fields share one patient count."""
    for name, (lo, hi, unit) in limits.items():
        object.__setattr__(owner, name, _per_patient(owner, name, getattr(owner, name), ndim, lo, hi, unit))
    _same_length(owner)


_Plan = TypeVar("_Plan", "MealPlan", "Adherence", "ActivityPlan")


def _take(plan: _Plan, indices: ArrayLike) -> _Plan:
    """The patients at positions ``indices`` of a plan."""
    idx = np.asarray(indices, dtype=np.int64)
    return type(plan)(*(getattr(plan, f.name)[idx] for f in fields(plan)))


def _check_time_window(
    owner: object, name: str, earliest: FloatArray, latest: FloatArray, limit: float = MIN_PER_DAY
) -> None:
    bad = (earliest < 0.0) | (latest > limit)
    if bool(bad.any()):
        i = tuple(int(j) for j in np.argwhere(bad)[0])
        raise InputRangeError(
            f"{type(owner).__name__}.{name}[{','.join(map(str, i))}]",
            (float(earliest[i]), float(latest[i])),
            f"a usual time +/- 2 SD (plus the session) within the day, 0-{limit:g} min",
        )


@dataclass(frozen=True, slots=True, eq=False)
class MealPlan:
    """Each patient's eating habits; per-slot arrays of shape ``(n_patients, 4)`` (:class:`MealSlot`).

    ``usual_time_min``: usual start of each meal [min after midnight]; ``time_sd_min``: its
    day-to-day SD [min] (draws truncated to +/- 2 SD, which must stay within the day);
    ``carbs_g``: mean carbohydrate of the meal when eaten [g]; ``carbs_cv``: its day-to-day
    coefficient of variation (log-normal) [-]; ``meal_prob``: probability that the meal is eaten
    on a given day [-] (the snack probability is ``meal_prob[:, MealSlot.SNACK]``).
    """

    usual_time_min: FloatArray
    time_sd_min: FloatArray
    carbs_g: FloatArray
    carbs_cv: FloatArray
    meal_prob: FloatArray

    def __post_init__(self) -> None:
        limits = {
            "usual_time_min": (0.0, MIN_PER_DAY, "min"),
            "time_sd_min": (0.0, 240.0, "min"),
            "carbs_g": (0.0, 400.0, "g (AndroidAPS MAX_CARBS)"),
            "carbs_cv": (0.0, 2.0, "(coefficient of variation)"),
            "meal_prob": (0.0, 1.0, "(probability)"),
        }
        _validate_fields(self, limits, 2)
        spread = _TRUNCATION_SD * self.time_sd_min
        # A meal starts within its day: at most 23:59 after rounding to the minute.
        _check_time_window(
            self,
            "usual_time_min",
            self.usual_time_min - spread,
            self.usual_time_min + spread,
            MIN_PER_DAY - 1.0,
        )

    @property
    def n_patients(self) -> int:
        return len(self.carbs_g)

    @classmethod
    def typical(cls, n: int, prior: MealPrior | None = None) -> MealPlan:
        """``n`` patients with the population's usual habits, no between-patient variation.

        Default: :class:`MealPrior`, i.e. simglucose's RandomScenario [3]_ with one snack.
        """
        rows = _check_count("n", n)
        p = prior or MealPrior()

        def tile(v: tuple[float, ...]) -> FloatArray:
            return np.tile(np.asarray(v, dtype=np.float64), (rows, 1))

        return cls(
            tile(p.usual_time_min), tile(p.time_sd_min), tile(p.carbs_g), tile(p.carbs_cv), tile(p.meal_prob)
        )

    def take(self, indices: ArrayLike) -> MealPlan:
        """The patients at positions ``indices``."""
        return _take(self, indices)


@dataclass(frozen=True, slots=True, eq=False)
class Adherence:
    """Each patient's dosing behaviour; arrays of shape ``(n_patients,)``.

    ``missed_bolus_prob``: probability that the bolus of an eaten meal is omitted [-];
    ``late_bolus_prob``: probability that a bolus taken is late [-], then given
    ``late_delay_min_lo``-``late_delay_min_hi`` min after the meal starts (uniform) [min];
    ``skipped_basal_prob``: probability that the day's basal injection (MDI) is skipped [-];
    ``carb_bias``: the patient's systematic counting factor (announced / eaten carbohydrate,
    1 = unbiased, < 1 = underestimates) [-]; ``carb_count_cv``: the meal-to-meal coefficient of
    variation of counting (log-normal, around the bias) [-]; ``correction_prob``: probability that
    a meal bolus includes a correction for high glucose, if one is due [-].
    """

    missed_bolus_prob: FloatArray
    late_bolus_prob: FloatArray
    late_delay_min_lo: FloatArray
    late_delay_min_hi: FloatArray
    skipped_basal_prob: FloatArray
    carb_bias: FloatArray
    carb_count_cv: FloatArray
    correction_prob: FloatArray

    def __post_init__(self) -> None:
        limits = {
            "missed_bolus_prob": (0.0, 1.0, "(probability)"),
            "late_bolus_prob": (0.0, 1.0, "(probability)"),
            "late_delay_min_lo": (0.0, 240.0, "min"),
            "late_delay_min_hi": (0.0, 240.0, "min"),
            "skipped_basal_prob": (0.0, 1.0, "(probability)"),
            "carb_bias": (0.1, 10.0, "(announced / eaten)"),
            "carb_count_cv": (0.0, 2.0, "(coefficient of variation)"),
            "correction_prob": (0.0, 1.0, "(probability)"),
        }
        _validate_fields(self, limits, 1)
        inverted = self.late_delay_min_hi < self.late_delay_min_lo
        if bool(inverted.any()):
            i = int(np.argmax(inverted))
            raise InputRangeError(
                f"Adherence.late_delay_min_hi[{i}]",
                float(self.late_delay_min_hi[i]),
                f">= late_delay_min_lo ({self.late_delay_min_lo[i]:g} min)",
            )

    @property
    def n_patients(self) -> int:
        return len(self.missed_bolus_prob)

    @classmethod
    def uniform(
        cls,
        n: int,
        *,
        missed_bolus_prob: float = 0.0,
        late_bolus_prob: float = 0.0,
        late_delay_min: tuple[float, float] = (15.0, 60.0),
        skipped_basal_prob: float = 0.0,
        carb_bias: float = 1.0,
        carb_count_cv: float = 0.0,
        correction_prob: float = 1.0,
    ) -> Adherence:
        """The same behaviour for ``n`` patients (defaults: perfect adherence, exact counting)."""
        rows = _check_count("n", n)

        def full(v: float) -> FloatArray:
            return np.full(rows, v, dtype=np.float64)

        return cls(
            full(missed_bolus_prob),
            full(late_bolus_prob),
            full(late_delay_min[0]),
            full(late_delay_min[1]),
            full(skipped_basal_prob),
            full(carb_bias),
            full(carb_count_cv),
            full(correction_prob),
        )

    def take(self, indices: ArrayLike) -> Adherence:
        """The patients at positions ``indices``."""
        return _take(self, indices)


@dataclass(frozen=True, slots=True, eq=False)
class ActivityPlan:
    """Each patient's exercise habits; arrays of shape ``(n_patients,)``.

    ``sessions_per_week`` [1/week] (at most one session a day: each day has a session with
    probability sessions/7); ``duration_min`` [min]; ``intensity_vo2max``: fraction of VO2max
    [-]; ``usual_start_min`` [min after midnight] and its day-to-day SD ``start_sd_min`` [min]
    (truncated to +/- 2 SD; the session must end by midnight).
    """

    sessions_per_week: FloatArray
    duration_min: FloatArray
    intensity_vo2max: FloatArray
    usual_start_min: FloatArray
    start_sd_min: FloatArray

    def __post_init__(self) -> None:
        limits = {
            "sessions_per_week": (0.0, 7.0, "sessions/week"),
            "duration_min": (0.0, 240.0, "min"),
            "intensity_vo2max": (0.0, 1.0, "(fraction of VO2max)"),
            "usual_start_min": (0.0, MIN_PER_DAY, "min"),
            "start_sd_min": (0.0, 240.0, "min"),
        }
        _validate_fields(self, limits, 1)
        spread = _TRUNCATION_SD * self.start_sd_min
        _check_time_window(
            self,
            "usual_start_min",
            self.usual_start_min - spread,
            self.usual_start_min + spread + self.duration_min,
        )

    @property
    def n_patients(self) -> int:
        return len(self.sessions_per_week)

    @classmethod
    def uniform(
        cls,
        n: int,
        *,
        sessions_per_week: float = 0.0,
        duration_min: float = 45.0,
        intensity_vo2max: float = 0.5,
        usual_start_min: float = 1050.0,
        start_sd_min: float = 45.0,
    ) -> ActivityPlan:
        """The same habits for ``n`` patients (default: no exercise)."""
        rows = _check_count("n", n)
        values = (sessions_per_week, duration_min, intensity_vo2max, usual_start_min, start_sd_min)
        return cls(*(np.full(rows, v, dtype=np.float64) for v in values))

    def take(self, indices: ArrayLike) -> ActivityPlan:
        """The patients at positions ``indices``."""
        return _take(self, indices)


def _check_count(field: str, n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or int(n) < 0:
        raise InputRangeError(field, n, "an integer >= 0")
    return int(n)


# ---- population priors and plan draws ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MealPrior:
    """Population values from which each patient's :class:`MealPlan` is drawn (slots B, L, D, S)."""

    usual_time_min: tuple[float, float, float, float] = (420.0, 720.0, 1080.0, 900.0)  # [3]: 7, 12, 18, 15 h
    # [A] between-patient SD of the usual time; draws truncated to +/- 2 SD.
    usual_time_between_sd_min: float = 30.0
    time_sd_min: tuple[float, float, float, float] = (60.0, 60.0, 60.0, 30.0)  # [3] day-to-day SD
    carbs_g: tuple[float, float, float, float] = (45.0, 70.0, 80.0, 10.0)  # [3] population means
    # [A] between-patient CV of a patient's mean meal size (log-normal, one factor for all meals).
    carbs_between_cv: float = 0.25
    # [D] day-to-day CV = simglucose SD / mean [3]: 10/45, 10/70, 10/80, 5/10.
    carbs_cv: tuple[float, float, float, float] = (0.22, 0.14, 0.125, 0.5)
    meal_prob: tuple[float, float, float, float] = (0.95, 0.95, 0.95, 0.3)  # [3]


@dataclass(frozen=True, slots=True)
class AdherencePrior:
    """Population values from which each patient's :class:`Adherence` is drawn.

    Patients are of types (drawn once per patient): bolus omitters or not, basal missers or not,
    pre-meal / post-meal / mixed bolus timers. Defaults describe T2D adults on MDI.
    """

    bolus_omitter_fraction: float = 0.332  # [4] GAPP: omission on >= 1 day in the last month
    # [D] from [4]: omitters omit on 3.3 of 30 days = 0.11/day; one missed bolus of three on such a
    # day gives p per meal with 1 - (1 - p)**3 = 0.11, p = 0.038.
    omitter_missed_bolus_prob: float = 0.038
    post_meal_fraction: float = 0.24  # [6] inject during or after meals
    mixed_timing_fraction: float = 0.18  # [6] before, during or after
    mixed_late_prob: float = 0.5  # [A] a mixed timer is late at half of the meals
    late_delay_min: tuple[float, float] = (15.0, 60.0)  # [A] delay after the meal start, uniform
    basal_misser_fraction: float = 0.22  # [5] GAPP2: missed a basal dose in the last 30 days
    basal_misser_skip_prob: float = 0.10  # [D] from [5]: 3 occasions / 30 days
    # [A] median systematic counting factor: T1D adults underestimate (about 20 % error [7];
    # median -28 % on test meals [8]); the T2D value is an extrapolation.
    carb_bias_median: float = 0.85
    carb_bias_between_sd_log: float = 0.15  # [A] between-patient SD of log(bias)
    carb_count_cv: float = 0.20  # [7] about 20 % meal-to-meal error [R]; T2D extrapolation [A]
    correction_prob: float = 0.5  # [A] no source found for correction-bolus use in T2D on MDI

    def __post_init__(self) -> None:
        for name in (
            "bolus_omitter_fraction",
            "omitter_missed_bolus_prob",
            "post_meal_fraction",
            "mixed_timing_fraction",
            "mixed_late_prob",
            "basal_misser_fraction",
            "basal_misser_skip_prob",
            "correction_prob",
        ):
            check_range(f"AdherencePrior.{name}", getattr(self, name), 0.0, 1.0, "(probability)")
        check_range(
            "AdherencePrior.post_meal_fraction + mixed_timing_fraction",
            self.post_meal_fraction + self.mixed_timing_fraction,
            0.0,
            1.0,
            "(the two fractions share one population)",
        )


#: Hospital-supervised intensive insulin therapy (e.g. the 2-week CSII of Li 2004 / Weng 2008):
#: doses given by staff on time, standard meals of known carbohydrate. [A]
SUPERVISED_ADHERENCE = AdherencePrior(
    bolus_omitter_fraction=0.0,
    post_meal_fraction=0.0,
    mixed_timing_fraction=0.0,
    basal_misser_fraction=0.0,
    carb_bias_median=1.0,
    carb_bias_between_sd_log=0.0,
    carb_count_cv=0.05,
    correction_prob=1.0,
)


@dataclass(frozen=True, slots=True)
class ActivityPrior:
    """Population values from which each patient's :class:`ActivityPlan` is drawn. All [A] unless cited."""

    inactive_fraction: float = 0.4  # [A] no planned exercise at all
    sessions_per_week: tuple[int, int] = (1, 4)  # [A] active patients: uniform integer in range
    duration_min: tuple[float, float] = (30.0, 60.0)  # [A] uniform
    # [10] about 50 % VO2max for a walking session; [A] spread 40-60 %.
    intensity_vo2max: tuple[float, float] = (0.4, 0.6)
    usual_start_min: tuple[float, float] = (480.0, 1140.0)  # [A] 08:00-19:00, uniform
    start_sd_min: float = 45.0  # [A] day-to-day SD


def _uniform_between(u: FloatArray, lo: float, hi: float) -> FloatArray:
    return np.asarray(lo + (hi - lo) * u, dtype=np.float64)


def draw_meal_plan(seeds: SeedArray, prior: MealPrior | None = None) -> MealPlan:
    """Each patient's :class:`MealPlan` from ``prior`` (default :class:`MealPrior`)."""
    prior = prior or MealPrior()
    keys = np.asarray(seeds, dtype=np.uint64)
    slots = np.arange(N_MEAL_SLOTS)
    z_time = truncated_standard_normal(
        uniform01(substream(keys, Stream.PLAN_MEAL_TIME), slots), -_TRUNCATION_SD, _TRUNCATION_SD
    )
    usual = np.asarray(prior.usual_time_min) + prior.usual_time_between_sd_min * z_time
    z_size = normal_quantile(_uniform_one(keys, Stream.PLAN_MEAL_CARBS))
    size = lognormal_factor(z_size, np.full(len(keys), prior.carbs_between_cv))
    typical = MealPlan.typical(len(keys), prior)
    return MealPlan(
        usual_time_min=usual,
        time_sd_min=typical.time_sd_min,
        carbs_g=size[:, None] * typical.carbs_g,
        carbs_cv=typical.carbs_cv,
        meal_prob=typical.meal_prob,
    )


def draw_adherence(seeds: SeedArray, prior: AdherencePrior | None = None) -> Adherence:
    """Each patient's :class:`Adherence` from ``prior`` (default :class:`AdherencePrior`)."""
    prior = prior or AdherencePrior()
    keys = np.asarray(seeds, dtype=np.uint64)
    n = len(keys)
    omitter = _uniform_one(keys, Stream.PLAN_BOLUS_OMITTER) < prior.bolus_omitter_fraction
    u_timing = _uniform_one(keys, Stream.PLAN_BOLUS_TIMING)
    late = np.where(
        u_timing < prior.post_meal_fraction,
        1.0,
        np.where(
            u_timing < prior.post_meal_fraction + prior.mixed_timing_fraction, prior.mixed_late_prob, 0.0
        ),
    )
    misser = _uniform_one(keys, Stream.PLAN_BASAL_MISSER) < prior.basal_misser_fraction
    z_bias = normal_quantile(_uniform_one(keys, Stream.PLAN_CARB_BIAS))
    bias = prior.carb_bias_median * np.exp(prior.carb_bias_between_sd_log * z_bias)
    return Adherence(
        missed_bolus_prob=np.where(omitter, prior.omitter_missed_bolus_prob, 0.0),
        late_bolus_prob=late,
        late_delay_min_lo=np.full(n, prior.late_delay_min[0]),
        late_delay_min_hi=np.full(n, prior.late_delay_min[1]),
        skipped_basal_prob=np.where(misser, prior.basal_misser_skip_prob, 0.0),
        carb_bias=np.clip(bias, 0.1, 10.0),
        carb_count_cv=np.full(n, prior.carb_count_cv),
        correction_prob=np.full(n, prior.correction_prob),
    )


def draw_activity_plan(seeds: SeedArray, prior: ActivityPrior | None = None) -> ActivityPlan:
    """Each patient's :class:`ActivityPlan` from ``prior`` (default :class:`ActivityPrior`)."""
    prior = prior or ActivityPrior()
    keys = np.asarray(seeds, dtype=np.uint64)
    n = len(keys)
    active = _uniform_one(keys, Stream.PLAN_ACTIVE) >= prior.inactive_fraction
    lo_s, hi_s = prior.sessions_per_week
    sessions = lo_s + np.floor(_uniform_one(keys, Stream.PLAN_SESSIONS) * (hi_s - lo_s + 1))
    return ActivityPlan(
        sessions_per_week=np.where(active, sessions, 0.0),
        duration_min=np.rint(_uniform_between(_uniform_one(keys, Stream.PLAN_DURATION), *prior.duration_min)),
        intensity_vo2max=_uniform_between(_uniform_one(keys, Stream.PLAN_INTENSITY), *prior.intensity_vo2max),
        usual_start_min=np.rint(
            _uniform_between(_uniform_one(keys, Stream.PLAN_ACTIVITY_TIME), *prior.usual_start_min)
        ),
        start_sd_min=np.full(n, prior.start_sd_min),
    )


# ---- daily events -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class BehaviourEvents:
    """The events of days ``first_day`` .. ``first_day + n_days - 1`` for every patient.

    Meal events are ordered day by day, then slot by slot (``meal_day``, ``meal_slot``; shape
    ``(n_days * 4,)``), so per-event arrays have shape ``(n_patients, n_days * 4)`` and are not
    sorted by time. A meal not eaten keeps its drawn time with ``meal_eaten`` False and zero
    carbohydrate. Times are minutes from midnight of day 0.
    """

    first_day: int
    n_days: int
    meal_day: IntArray
    meal_slot: IntArray
    meal_eaten: BoolArray
    meal_time_min: IntArray
    carbs_g: FloatArray
    announced_carbs_g: FloatArray  # what the patient counts (carb_bias and counting error) [g]
    bolus_taken: BoolArray
    bolus_delay_min: IntArray  # minutes after the meal start; 0 when on time or not taken
    correction_used: BoolArray
    basal_taken: BoolArray  # (n_patients, n_days): the day's basal injection (MDI)
    activity_start_min: IntArray  # (n_patients, n_days)
    activity_duration_min: IntArray  # 0 on days without a session
    activity_intensity: FloatArray  # fraction of VO2max; 0 on days without a session

    @property
    def n_patients(self) -> int:
        return int(self.meal_eaten.shape[0])

    @property
    def bolus_time_min(self) -> IntArray:
        return np.asarray(self.meal_time_min + self.bolus_delay_min, dtype=np.int64)


def _n_patients(plan: MealPlan, adherence: Adherence, activity: ActivityPlan, seeds: SeedArray) -> int:
    sizes = {
        "plan": plan.n_patients,
        "adherence": adherence.n_patients,
        "activity": activity.n_patients,
        "seeds": len(seeds),
    }
    if len(set(sizes.values())) > 1:
        raise InputRangeError("draw_days", sizes, "the same number of patients in every input")
    return sizes["plan"]


def draw_days(
    plan: MealPlan,
    adherence: Adherence,
    activity: ActivityPlan,
    n_days: int,
    seeds: SeedArray,
    *,
    first_day: int = 0,
) -> BehaviourEvents:
    """Draw ``n_days`` days of meals, boluses, basal injections and exercise for every patient.

    ``seeds`` are the patients' keys (:func:`patient_seeds`, or ``Cohort.seeds``). The draws of
    patient ``i`` on day ``d`` depend only on ``seeds[i]`` and ``d``.
    """
    days_n = _check_count("n_days", n_days)
    day0 = _check_count("first_day", first_day)
    keys = np.asarray(seeds, dtype=np.uint64)
    if keys.ndim != 1:
        raise InputRangeError("seeds", f"an array of shape {keys.shape}", "shape (n_patients,)")
    _n_patients(plan, adherence, activity, keys)

    days = np.arange(day0, day0 + days_n, dtype=np.int64)
    meal_day = np.repeat(days, N_MEAL_SLOTS)
    meal_slot = np.tile(np.arange(N_MEAL_SLOTS, dtype=np.int64), days_n)
    counters = meal_day * N_MEAL_SLOTS + meal_slot

    def u(stream: Stream, c: IntArray = counters) -> FloatArray:
        return uniform01(substream(keys, stream), c)

    eaten = u(Stream.MEAL_EATEN) < plan.meal_prob[:, meal_slot]
    z_time = truncated_standard_normal(u(Stream.MEAL_TIME), -_TRUNCATION_SD, _TRUNCATION_SD)
    clock = plan.usual_time_min[:, meal_slot] + plan.time_sd_min[:, meal_slot] * z_time
    meal_time = (meal_day * _DAY_MIN + np.rint(clock)).astype(np.int64)
    carbs_factor = lognormal_factor(normal_quantile(u(Stream.MEAL_CARBS)), plan.carbs_cv[:, meal_slot])
    carbs = np.where(eaten, plan.carbs_g[:, meal_slot] * carbs_factor, 0.0)
    count_factor = lognormal_factor(
        normal_quantile(u(Stream.CARB_COUNT)), np.broadcast_to(adherence.carb_count_cv[:, None], carbs.shape)
    )
    announced = carbs * adherence.carb_bias[:, None] * count_factor

    taken = eaten & (u(Stream.BOLUS_MISSED) >= adherence.missed_bolus_prob[:, None])
    late = taken & (u(Stream.BOLUS_LATE) < adherence.late_bolus_prob[:, None])
    lo, hi = adherence.late_delay_min_lo[:, None], adherence.late_delay_min_hi[:, None]
    delay = np.where(late, np.rint(lo + (hi - lo) * u(Stream.BOLUS_DELAY)), 0.0).astype(np.int64)
    correction = taken & (u(Stream.CORRECTION) < adherence.correction_prob[:, None])

    basal_taken = u(Stream.BASAL_SKIPPED, days) >= adherence.skipped_basal_prob[:, None]
    has_session = u(Stream.ACTIVITY_DAY, days) < activity.sessions_per_week[:, None] / 7.0
    z_start = truncated_standard_normal(u(Stream.ACTIVITY_START, days), -_TRUNCATION_SD, _TRUNCATION_SD)
    start_clock = np.rint(activity.usual_start_min[:, None] + activity.start_sd_min[:, None] * z_start)
    duration = np.where(has_session, activity.duration_min[:, None], 0.0).astype(np.int64)

    return BehaviourEvents(
        first_day=day0,
        n_days=days_n,
        meal_day=meal_day,
        meal_slot=meal_slot,
        meal_eaten=eaten,
        meal_time_min=meal_time,
        carbs_g=carbs,
        announced_carbs_g=announced,
        bolus_taken=taken,
        bolus_delay_min=delay,
        correction_used=correction,
        basal_taken=basal_taken,
        activity_start_min=(days * _DAY_MIN + start_clock).astype(np.int64),
        activity_duration_min=duration,
        activity_intensity=np.where(has_session, activity.intensity_vo2max[:, None], 0.0),
    )


GRID_SIGNALS = ("carbs_g_per_min", "bolus_carbs_g", "bolus_correction", "activity_intensity")


def to_minute_grid(
    events: BehaviourEvents, n_minutes: int, *, t0_min: int = 0, signals: Sequence[str] = GRID_SIGNALS
) -> dict[str, FloatArray]:
    """Per-minute arrays ``(n_patients, n_minutes)`` for minutes ``t0_min`` .. ``t0_min + n_minutes - 1``,
    the ``signals`` asked for (default all; each is a patients x minutes array to build):

    * ``"carbs_g_per_min"``: each meal's carbohydrate [g] at its start minute (the patient model
      decides how fast it is eaten and absorbed);
    * ``"bolus_carbs_g"``: the announced carbohydrate [g] at the minute each meal bolus is taken;
    * ``"bolus_correction"``: 1 at the minute of a bolus that includes a correction, else 0;
    * ``"activity_intensity"``: exercise intensity [fraction of VO2max] during sessions, else 0.

    Events outside the window are left out; two meals in one minute add up.
    """
    width = _check_count("n_minutes", n_minutes)
    for name in signals:
        check_one_of("signals", name, GRID_SIGNALS)
    n = events.n_patients
    rows = np.broadcast_to(np.arange(n)[:, None], events.meal_time_min.shape)

    def place(times: IntArray, values: FloatArray, mask: BoolArray) -> FloatArray:
        cols = times - t0_min
        keep = mask & (cols >= 0) & (cols < width)
        grid = np.zeros((n, width))  # untouched pages stay the zero page until read
        np.add.at(grid.reshape(-1), rows[keep] * width + cols[keep], values[keep])  # same-minute events add
        return grid

    bolus_time = events.bolus_time_min

    def build(name: str) -> FloatArray:
        if name == "carbs_g_per_min":
            return place(events.meal_time_min, events.carbs_g, events.meal_eaten)
        if name == "bolus_carbs_g":
            return place(bolus_time, events.announced_carbs_g, events.bolus_taken)
        if name == "bolus_correction":
            return np.minimum(place(bolus_time, np.ones(bolus_time.shape), events.correction_used), 1.0)
        return _activity_grid(events, width, t0_min)

    return {name: build(name) for name in signals}


def _activity_grid(events: BehaviourEvents, width: int, t0_min: int) -> FloatArray:
    """Intensity per minute: zeros, then each kept session's minutes (all sessions' flat positions
    at once; a patient's sessions never overlap)."""
    n = events.n_patients
    start = events.activity_start_min - t0_min
    end = start + events.activity_duration_min
    keep = (events.activity_duration_min > 0) & (end > 0) & (start < width)
    rows = np.broadcast_to(np.arange(n, dtype=np.int64)[:, None], start.shape)[keep]
    first = rows * width + np.clip(start[keep], 0, width)
    lengths = rows * width + np.clip(end[keep], 0, width) - first
    offsets = np.cumsum(lengths) - lengths  # where each session's minutes begin in the flat list
    flat = np.arange(int(lengths.sum())) + np.repeat(first - offsets, lengths)
    grid = np.zeros((n, width))
    grid.reshape(-1)[flat] = np.repeat(events.activity_intensity[keep], lengths)
    return grid
