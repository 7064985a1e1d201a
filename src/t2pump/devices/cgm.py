"""Continuous glucose monitor: what a CGM shows, sample by sample, given interstitial glucose.

A :class:`CgmSensor` is a value: an error model (:class:`CgmErrorModel`), a sample period, a
reporting range, a warm-up, a session length, dropouts and a plasma-to-interstitial lag.
:func:`read` turns minute-by-minute glucose ``(n_patients, n_minutes + 1)`` into a
:class:`CgmTrace` of readings (NaN where the sensor shows none) and flags (:class:`CgmFlag`).
:func:`sensor_errors` computes the sensor's error for a horizon *before* glucose is known (every
model here is gain x glucose + offset with an offset independent of glucose), so a closed-loop
simulator can read one sample at a time with :meth:`CgmErrors.apply`; :class:`SeededCgmErrors`
makes the same errors a window at a time for long runs.

Error models (one published model each; parameter tables below):

``johnson_su``
    Breton & Kovatchev 2008 [1]_ as simglucose implements it [2]_: a latent
    ``e_0 ~ N(0, 1)``, ``e_k = PACF (e_{k-1} + w_k)`` with ``w_k ~ N(0, 1)`` every 15 min, mapped
    through the Johnson S_U transform ``eps = xi + lambda sinh((e - gamma) / delta)``, cubic
    interpolation to the sample times, reading = interstitial glucose + eps. The interpolation is
    simglucose's: a not-a-knot cubic spline (``scipy.interpolate.interp1d(kind="cubic")``) through
    blocks of 10 intervals (150 min) sharing their end knots (``CGMNoise.PRECOMPUTE = 10``).
``vettoretti_2019_g6``
    Facchinetti et al. 2014 [3]_ structure with the Dexcom G6 parameters of Vettoretti et al.
    2019 [4]_: ``reading = a(t) IG + b(t) + v + cc``, ``a(t) = a0 + a1 t + a2 t^2``,
    ``b(t) = b0 + b1 t + b2 t^2`` (t in days since sensor insertion), ``v`` and ``cc`` two AR(2)
    processes stepped every 5 min (the papers' CGM sample period) and interpolated like the
    Johnson noise (blocks of 150 min) when the sample period is 1 or 3 min.
``ideal``
    No measurement error (reading = interstitial glucose); range, warm-up and dropouts still apply.

Johnson S_U, simglucose ``params/sensor_params.csv`` (Dexcom, GuardianRT and Navigator rows share
them) [2]_, read in code; the paper's table [1]_ was not read. The sign convention differs from the
book table (xi +5.471, gamma +0.5444; docs/research_t2d_model.md 5.6): simglucose's signs are used,
which give a mean error of +0.7 mg/dL instead of -0.7.

=========  ===========  ============================================  ==================
parameter  value        unit and source                                status
=========  ===========  ============================================  ==================
PACF       0.7          [-] per 15 min, simglucose sensor_params [2]   [V-code]
gamma      -0.5444      [-], simglucose sensor_params [2]              [V-code]
lambda     15.9574      [mg/dL], simglucose sensor_params [2]          [V-code]
delta      1.6898       [-], simglucose sensor_params [2]              [V-code]
xi         -5.47        [mg/dL], simglucose sensor_params [2]          [V-code]
step       15           [min], simglucose noise_gen MDL_SAMPLE_TIME    [V-code]
=========  ===========  ============================================  ==================

Vettoretti 2019, Dexcom G6 (Tables 1 and 2 of [4]_ as transcribed in LoopInsighT1
``src/core/sensors/Vettoretti2019.ts`` [5]_; the paper's tables were not read).

=========  ===========  ============================================  ==================
parameter  value        unit and source                                status
=========  ===========  ============================================  ==================
a0         1.048        [-], [4]_ Table 1 via [5]_                     [V-code]
a1         -0.033       [1/day], [4]_ Table 1 via [5]_                 [V-code]
a2         0.002        [1/day^2], [4]_ Table 1 via [5]_               [V-code]
b0         -6.398       [mg/dL], [4]_ Table 1 via [5]_                 [V-code]
b1         6.179        [mg/dL/day], [4]_ Table 1 via [5]_             [V-code]
b2         -0.448       [mg/dL/day^2], [4]_ Table 1 via [5]_           [V-code]
alpha1     1.220        [-] per 5 min, sensor-specific AR(2), Table 2  [V-code]
alpha2     -0.331       [-] per 5 min, sensor-specific AR(2), Table 2  [V-code]
lambda^2   3.641        [(mg/dL)^2], sensor-specific innovation, T. 2  [V-code]
beta1      1.34         [-] per 5 min, common-component AR(2), T. 2    [V-code]
beta2      -0.492       [-] per 5 min, common-component AR(2), T. 2    [V-code]
sigma^2    5.538        [(mg/dL)^2], common-component innovation, T. 2 [V-code]
step       5            [min], CGM sample period of the data [3]_ [4]_ [R]; LoopInsighT1 steps 1 min
=========  ===========  ============================================  ==================

The G6 noise has a stationary SD of about 8 mg/dL (v 5.1, cc 6.1); the mean error is
``(a(t) - 1) IG + b(t)``: at 120 mg/dL, -0.6 mg/dL at insertion, +1.4 after one day, +5.3 at day 5.

Device envelope and t2pump choices:

=====================  ===========  ======================================================  ==========
setting                default      unit and source                                          status
=====================  ===========  ======================================================  ==========
sample_min             5            [min], Dexcom G6/G7 (15 for Libre-like sensors)          [R]
range_mgdl             40-400       [mg/dL], Dexcom G6 reports LOW/HIGH outside              [R]
warm_up_min            120          [min], Dexcom G6 (G7: 30)                                 [R] ([M] G7)
session_days           10           [day], Dexcom G6 user guide ch. 13; G7 10 d + 12 h grace [V]
dropout_prob           0.005        [1/reading], chance a dropout starts                     [A]
dropout_mean_min       20           [min], mean dropout length (gives ~2 % missing at 5 min) [A]
plasma_lag_tau_min     6            [min], plasma -> interstitial first-order lag [6]_ [7]_   [V-abs]
=====================  ===========  ======================================================  ==========

Tags as in docs/research_t2d_model.md: [V] read in the source, [V-abs] read in an abstract,
[V-code] read in open code citing the paper, [M] secondary source only, [R] recall, not checked,
[A] t2pump assumption. Dropouts are a two-state Markov chain (research note 5.6 proposes 15-30 min
gaps, 1-3 % missing, with no source). A first-order lag with time constant equal to the measured
mean plasma-to-interstitial delay (5.3-6.2 min [6]_; 4.4-12 min in dogs [7]_) is a t2pump modelling
choice; it is applied only to plasma input (the simulators already give interstitial glucose).

Sessions and sample times: readings are taken at ``t = 0, sample_min, 2 sample_min, ...`` of the
input's minute grid. A sensor's age at ``t`` is ``(sensor_age_min + t) mod session``; a new sensor
starts every ``session_days`` and shows nothing during its warm-up. The noise of each new sensor is
independent of the last: at the first noise knot of a session the latent process restarts (Johnson:
``e = N(0, 1)`` as simglucose starts; AR(2): a draw from its stationary distribution); the spline
runs on through the change, so with a warm-up shorter than two knots the first interpolated
readings keep a small weight of the old sensor's last knots. Readings
outside the range are clipped to its bounds and flagged LOW or HIGH; warm-up wins over dropout.
Values are not rounded to whole mg/dL.

Randomness: patient *i* draws from ``np.random.default_rng(seeds[i])`` only (three children
spawned from it: noise innovations, session-start states, dropouts), so its readings do not depend
on the cohort's size, order or chunking; :func:`seeds_for` derives ``seeds[i]`` from a run seed and
the patient index. Each stream is drawn in time order and the spline works on fixed 150-min blocks,
so the readings of the first T minutes do not depend on the run's length either. NumPy bit
generators take one key each (``Philox(key=...)`` accepts a single 128-bit key, not a vector), so
the draws are made in one loop over patients, one call per stream and window (microseconds per
patient); everything else is vectorised over patients and loops over time.

Memory: :func:`sensor_errors` returns the whole horizon, O(n_patients x n_samples).
:class:`SeededCgmErrors` holds only the seeds and makes the same values window by window when a
simulation reads them (one day at a time in :mod:`t2pump.simulation.cohort_run`): the latent
processes' states, the session count and the dropout chain are carried from window to window, and
the spline's 150-min blocks are made whole ahead of the window that needs them, so memory holds a
day and a block whatever the horizon (10,000 patients x 365 days whole: ~18 GB).

References
----------
.. [1] Breton M, Kovatchev B. Analysis, modeling, and simulation of the accuracy of continuous
   glucose sensors. J Diabetes Sci Technol 2008;2(5):853-862. doi:10.1177/193229680800200517.
.. [2] Xie J. simglucose v0.2.1 (2018), ``simglucose/sensor/noise_gen.py`` and
   ``simglucose/params/sensor_params.csv``. https://github.com/jxx123/simglucose
.. [3] Facchinetti A, Del Favero S, Sparacino G, Castle JR, Ward WK, Cobelli C. Modeling the
   glucose sensor error. IEEE Trans Biomed Eng 2014;61(3):620-629. doi:10.1109/TBME.2013.2284023.
.. [4] Vettoretti M, Del Favero S, Sparacino G, Facchinetti A. Modeling the error of
   factory-calibrated continuous glucose monitoring sensors: application to Dexcom G6 sensor data.
   41st Annu Int Conf IEEE EMBC 2019:750-753. doi:10.1109/EMBC.2019.8856790.
.. [5] Peuscher H. LoopInsighT1, ``src/core/sensors/Vettoretti2019.ts`` (comments cite Tables 1-2).
   https://github.com/hpeuscher/loopinsight1
.. [6] Basu A, Dube S, Slama M, et al. Time lag of glucose from intravascular to interstitial
   compartment in humans. Diabetes 2013;62(12):4083-4087. doi:10.2337/db13-1132. Mean lag 5.3-6.2 min.
.. [7] Rebrin K, Steil GM, van Antwerp WP, Mastrototaro JJ. Subcutaneous glucose predicts plasma
   glucose independent of insulin: implications for continuous monitoring. Am J Physiol
   Endocrinol Metab 1999;277(3):E561-E571. ISF equilibration delay 4.4 +/- 0.8 min (dogs).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from functools import lru_cache
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import InputRangeError, check_range, parse_enum
from t2pump.physiology.elementwise import select
from t2pump.randomness import patient_seeds, spawned_generators, substream
from t2pump.units import MIN_PER_DAY

__all__ = [
    "DEFAULT_SENSOR",
    "DEXCOM_G6",
    "DEXCOM_G7",
    "ERROR_PARAMETERS",
    "JOHNSON_SU_SIMGLUCOSE",
    "LIBRE_LIKE",
    "SIMGLUCOSE_DEXCOM",
    "VETTORETTI_2019_G6",
    "Ar2Process",
    "CgmErrorModel",
    "CgmErrorReader",
    "CgmErrorSource",
    "CgmErrors",
    "CgmFlag",
    "CgmSensor",
    "CgmTrace",
    "FacchinettiError",
    "GlucoseSite",
    "JohnsonSuNoise",
    "SeededCgmErrors",
    "plasma_to_interstitial",
    "read",
    "seeds_for",
    "sensor_errors",
    "shown_glucose",
]

FloatArray = NDArray[np.float64]

SAMPLE_PERIODS_MIN = (1, 3, 5, 15)
_BLOCK_MIN = 150  # simglucose CGMNoise: PRECOMPUTE (10) x MDL_SAMPLE_TIME (15 min) per spline [2]
_DROPOUT_RUN_BLOCK = 64  # runs drawn per call; a fixed size keeps a patient's draws horizon-free
_MAX_SEED = 2**64 - 1


class CgmErrorModel(StrEnum):
    JOHNSON_SU = "johnson_su"
    VETTORETTI_2019_G6 = "vettoretti_2019_g6"
    IDEAL = "ideal"


class CgmFlag(IntEnum):
    """What each reading is: a value in range, a clipped value, or no value and why."""

    OK = 0
    LOW = 1  # below the range: clipped to its lower bound
    HIGH = 2  # above the range: clipped to its upper bound
    WARM_UP = 3  # no reading: sensor warm-up
    DROPOUT = 4  # no reading: signal loss


class GlucoseSite(StrEnum):
    """Where the input glucose was taken: the sensor's own compartment, or plasma."""

    INTERSTITIAL = "interstitial"
    PLASMA = "plasma"


# ---- error-model parameters ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class JohnsonSuNoise:
    """``e_k = pacf (e_{k-1} + w_k)`` every ``step_min``; ``eps = xi + lam sinh((e - gamma)/delta)``."""

    pacf: float  # [-] per step
    gamma: float  # [-]
    lam_mgdl: float  # [mg/dL]
    delta: float  # [-]
    xi_mgdl: float  # [mg/dL]
    step_min: int  # [min]


@dataclass(frozen=True, slots=True)
class Ar2Process:
    """``x_k = a1 x_{k-1} + a2 x_{k-2} + w_k``, ``w_k ~ N(0, innovation_var)``; must be stationary."""

    a1: float  # [-]
    a2: float  # [-]
    innovation_var_mgdl2: float  # [(mg/dL)^2]

    def __post_init__(self) -> None:
        if not (abs(self.a2) < 1 and self.a1 + self.a2 < 1 and self.a2 - self.a1 < 1):
            raise InputRangeError("ar2.(a1, a2)", (self.a1, self.a2), "a stationary AR(2) (roots in |z|<1)")
        check_range("ar2.innovation_var_mgdl2", self.innovation_var_mgdl2, 0.0, math.inf, "(mg/dL)^2")

    @property
    def stationary_var_mgdl2(self) -> float:
        """Yule-Walker: var = s2 (1 - a2) / ((1 + a2) ((1 - a2)^2 - a1^2))."""
        a1, a2 = self.a1, self.a2
        return self.innovation_var_mgdl2 * (1 - a2) / ((1 + a2) * ((1 - a2) ** 2 - a1**2))

    @property
    def lag1_corr(self) -> float:
        return self.a1 / (1 - self.a2)


@dataclass(frozen=True, slots=True)
class FacchinettiError:
    """``reading = a(t) IG + b(t) + v + cc``; a, b quadratic in days since insertion; v, cc AR(2)."""

    gain: tuple[float, float, float]  # a0 [-], a1 [1/day], a2 [1/day^2]
    offset_mgdl: tuple[float, float, float]  # b0 [mg/dL], b1 [mg/dL/day], b2 [mg/dL/day^2]
    sensor_noise: Ar2Process
    common_noise: Ar2Process
    step_min: int  # [min]


JOHNSON_SU_SIMGLUCOSE = JohnsonSuNoise(
    pacf=0.7, gamma=-0.5444, lam_mgdl=15.9574, delta=1.6898, xi_mgdl=-5.47, step_min=15
)  # simglucose sensor_params.csv and noise_gen.py [2], after Breton & Kovatchev 2008 [1]
VETTORETTI_2019_G6 = FacchinettiError(
    gain=(1.048, -0.033, 0.002),
    offset_mgdl=(-6.398, 6.179, -0.448),
    sensor_noise=Ar2Process(1.220, -0.331, 3.641),
    common_noise=Ar2Process(1.34, -0.492, 5.538),
    step_min=5,
)  # Vettoretti 2019 Tables 1-2 [4] via LoopInsighT1 [5]; AR step = 5-min CGM period [R]

ERROR_PARAMETERS: Mapping[CgmErrorModel, JohnsonSuNoise | FacchinettiError | None] = {
    CgmErrorModel.JOHNSON_SU: JOHNSON_SU_SIMGLUCOSE,
    CgmErrorModel.VETTORETTI_2019_G6: VETTORETTI_2019_G6,
    CgmErrorModel.IDEAL: None,
}


# ---- the sensor ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CgmSensor:
    """A CGM's error model and envelope (defaults and sources in the module docstring)."""

    model: CgmErrorModel = CgmErrorModel.JOHNSON_SU
    sample_min: int = 5
    range_mgdl: tuple[float, float] = (40.0, 400.0)
    warm_up_min: float = 120.0
    session_days: float | None = 10.0  # None: one sensor for the whole run
    dropout_prob: float = 0.005
    dropout_mean_min: float = 20.0
    plasma_lag_tau_min: float = 6.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "model", parse_enum(CgmErrorModel, self.model, "sensor.model"))
        if isinstance(self.sample_min, bool) or self.sample_min not in SAMPLE_PERIODS_MIN:
            raise InputRangeError("sensor.sample_min", self.sample_min, "one of 1, 3, 5, 15 min")
        object.__setattr__(self, "sample_min", int(self.sample_min))
        lo, hi = self.range_mgdl
        check_range("sensor.range_mgdl[0]", lo, 0.0, math.inf, "mg/dL")
        check_range("sensor.range_mgdl[1]", hi, lo, math.inf, "mg/dL", lo_inclusive=False)
        object.__setattr__(self, "range_mgdl", (float(lo), float(hi)))
        if self.session_days is not None:
            check_range("sensor.session_days", self.session_days, 0.0, math.inf, "day", lo_inclusive=False)
            session = self.session_min
            assert session is not None
            check_range("sensor.warm_up_min", self.warm_up_min, 0.0, session, "min", hi_inclusive=False)
        else:
            check_range("sensor.warm_up_min", self.warm_up_min, 0.0, math.inf, "min")
        check_range("sensor.dropout_prob", self.dropout_prob, 0.0, 1.0, "per reading", hi_inclusive=False)
        check_range("sensor.dropout_mean_min", self.dropout_mean_min, self.sample_min, math.inf, "min")
        check_range(
            "sensor.plasma_lag_tau_min", self.plasma_lag_tau_min, 0.0, math.inf, "min", lo_inclusive=False
        )

    @property
    def session_min(self) -> int | None:
        """Sensor life in whole minutes, or None for one sensor throughout."""
        return None if self.session_days is None else max(1, round(self.session_days * MIN_PER_DAY))


DEFAULT_SENSOR = CgmSensor()
DEXCOM_G6 = CgmSensor(model=CgmErrorModel.VETTORETTI_2019_G6)
# G7: the G6 error model stands in (no published G7 error-model parameters retrieved) [A];
# 30-min warm-up [M]; 10-day wear (+12 h grace, not modelled) [V: dexcom.com G7 FAQ].
DEXCOM_G7 = CgmSensor(model=CgmErrorModel.VETTORETTI_2019_G6, warm_up_min=30.0)
# Libre-like: 15-min history, 60-min warm-up and 14-day wear (FreeStyle Libre 2) [R]; Johnson noise.
LIBRE_LIKE = CgmSensor(sample_min=15, warm_up_min=60.0, session_days=14.0)
# simglucose's "Dexcom": range [39, 600] mg/dL, no warm-up, no dropouts [2]; 3-min samples as in
# simglucose 0.2.11 (research simulators.md 1.2; other versions of sensor_params.csv say 10 min).
SIMGLUCOSE_DEXCOM = CgmSensor(
    sample_min=3, range_mgdl=(39.0, 600.0), warm_up_min=0.0, session_days=None, dropout_prob=0.0
)


# ---- outputs ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CgmTrace:
    """Readings at ``t_min`` [min]: ``glucose_mgdl`` (NaN where none) and ``flags`` (CgmFlag codes)."""

    t_min: NDArray[np.int64]  # (n_samples,)
    glucose_mgdl: FloatArray  # (n_patients, n_samples)
    flags: NDArray[np.int8]  # (n_patients, n_samples)

    def flag_counts(self) -> dict[CgmFlag, int]:
        return {f: int(np.count_nonzero(self.flags == f)) for f in CgmFlag}


@dataclass(frozen=True, slots=True)
class CgmErrors:
    """A sensor's error over a horizon, known before the glucose: ``reading = gain x IG + offset``.

    ``status`` holds CgmFlag.OK, WARM_UP or DROPOUT per sample; the range is applied by
    :meth:`apply`.
    """

    t_min: NDArray[np.int64]  # (n_samples,)
    gain: FloatArray  # (n_patients, n_samples) [-]
    offset_mgdl: FloatArray  # (n_patients, n_samples) [mg/dL]
    status: NDArray[np.int8]  # (n_patients, n_samples)
    range_mgdl: tuple[float, float]

    def apply(self, glucose_mgdl: ArrayLike, *, start: int = 0) -> CgmTrace:
        """Readings of samples ``start, start + 1, ...`` from glucose at those sample times [mg/dL]."""
        n_p, n_s = self.gain.shape
        g = _check_glucose(glucose_mgdl, "glucose_mgdl")
        if isinstance(start, bool) or not 0 <= start < n_s:
            raise InputRangeError("start", start, f"a sample index in [0, {n_s})")
        if g.shape[0] != n_p or start + g.shape[1] > n_s:
            raise InputRangeError(
                "glucose_mgdl.shape", g.shape, f"({n_p}, m) with m <= {n_s - start} samples from {start}"
            )
        window = slice(start, start + g.shape[1])
        raw = self.gain[:, window] * g + self.offset_mgdl[:, window]
        lo, hi = self.range_mgdl
        flags = np.full(raw.shape, CgmFlag.OK, dtype=np.int8)
        flags[raw < lo] = CgmFlag.LOW
        flags[raw > hi] = CgmFlag.HIGH
        status = self.status[:, window]
        missing = status != CgmFlag.OK
        flags[missing] = status[missing]
        values = shown_glucose(g, self.gain[:, window], self.offset_mgdl[:, window], ~missing, lo, hi)
        return CgmTrace(t_min=self.t_min[window].copy(), glucose_mgdl=values, flags=flags)

    def take(self, indices: NDArray[np.intp]) -> CgmErrors:
        """The sensors of the patients at ``indices``."""
        return CgmErrors(
            self.t_min, self.gain[indices], self.offset_mgdl[indices], self.status[indices], self.range_mgdl
        )

    @property
    def n_patients(self) -> int:
        return int(self.gain.shape[0])

    @property
    def n_samples(self) -> int:
        return int(self.t_min.size)

    @property
    def sample_min(self) -> int | None:
        """The sample period [min]; None for a single sample."""
        return int(self.t_min[1] - self.t_min[0]) if self.t_min.size > 1 else None

    def window(self, first: int, count: int) -> CgmErrors:
        """Samples ``first, ..., first + count - 1`` (views)."""
        n_s = self.n_samples
        if isinstance(first, bool) or not 0 <= first < n_s:
            raise InputRangeError("first", first, f"a sample index in [0, {n_s})")
        if isinstance(count, bool) or not 1 <= count <= n_s - first:
            raise InputRangeError("count", count, f"a number of samples in [1, {n_s - first}]")
        w = slice(first, first + count)
        return CgmErrors(
            self.t_min[w], self.gain[:, w], self.offset_mgdl[:, w], self.status[:, w], self.range_mgdl
        )

    def reader(self) -> CgmErrors:
        """Itself: its windows are slices (the interface of :meth:`SeededCgmErrors.reader`)."""
        return self

    def readings_at(
        self, samples: NDArray[np.int64], glucose_mgdl: FloatArray, patients: NDArray[np.intp]
    ) -> FloatArray:
        """What ``patients[i]`` sees at sample ``samples[i]`` from glucose ``glucose_mgdl[i]`` at its
        time (NaN: none shown): the arithmetic of :meth:`apply` for a few patients, one sample each
        (a bolus decision needs the reading of those about to bolus, not of the whole cohort)."""
        n_s = self.gain.shape[1]
        if samples.size and not (int(samples.min()) >= 0 and int(samples.max()) < n_s):
            raise InputRangeError("samples", samples.tolist(), f"sample indices in [0, {n_s})")
        ok = self.status[patients, samples] == CgmFlag.OK
        lo, hi = self.range_mgdl
        values = shown_glucose(
            glucose_mgdl, self.gain[patients, samples], self.offset_mgdl[patients, samples], ok, lo, hi
        )
        return np.asarray(values, dtype=np.float64)


class CgmErrorReader(Protocol):
    """Reads a sensor's errors window by window (windows in order of ``first``)."""

    def window(self, first: int, count: int) -> CgmErrors: ...


class CgmErrorSource(Protocol):
    """A cohort's sensor errors over a horizon, whole (:class:`CgmErrors`) or made when read
    (:class:`SeededCgmErrors`): what a closed-loop simulation takes."""

    @property
    def n_patients(self) -> int: ...

    @property
    def n_samples(self) -> int: ...

    @property
    def sample_min(self) -> int | None: ...

    @property
    def range_mgdl(self) -> tuple[float, float]: ...

    def take(self, indices: NDArray[np.intp]) -> CgmErrorSource: ...

    def reader(self) -> CgmErrorReader: ...


def shown_glucose(glucose_mgdl: Any, gain: Any, offset_mgdl: Any, ok: Any, lo: float, hi: float) -> Any:
    """What the sensor shows from interstitial glucose: ``gain x IG + offset`` within the range
    ``[lo, hi]``, NaN where the sample is not ``ok`` (warm-up, dropout): :meth:`CgmErrors.apply`'s
    arithmetic, elementwise (arrays, or one patient's scalars where the simulation kernel compiles
    it for its bolus decisions)."""
    raw = gain * glucose_mgdl + offset_mgdl
    return select(ok, np.minimum(np.maximum(raw, lo), hi), np.nan)


# ---- seeds -----------------------------------------------------------------------------------
CGM_STREAM = 200  # t2pump.randomness stream id of the sensor (ids 200-299 belong to devices.cgm)


def seeds_for(run_seed: int, patient_index: ArrayLike) -> NDArray[np.uint64]:
    """One 64-bit sensor seed per patient from ``(run_seed, index)`` alone (vectorised).

    The project-wide scheme (:mod:`t2pump.randomness`): the patient's key from
    :func:`~t2pump.randomness.patient_seeds`, then the sensor's own stream, so that the sensor's
    noise never shares draws with behaviour or cohort quantities of the same patient.
    """
    if isinstance(run_seed, bool) or not isinstance(run_seed, (int, np.integer)) or run_seed < 0:
        raise InputRangeError("run_seed", run_seed, "an integer >= 0")
    idx = _check_nonnegative_ints(patient_index, "patient_index", max_value=_MAX_SEED)
    if idx.ndim != 1:
        raise InputRangeError("patient_index.shape", idx.shape, "a 1-D array of patient indices")
    return substream(patient_seeds(int(run_seed), idx.astype(np.int64)), CGM_STREAM)


def _check_nonnegative_ints(values: ArrayLike, field: str, *, max_value: int) -> NDArray[np.uint64]:
    arr = np.asarray(values)
    if arr.dtype.kind == "O":  # Python ints beyond int64 / uint64
        raise InputRangeError(field, values, f"integers in [0, {max_value}]")
    if arr.dtype.kind not in "iu" or arr.dtype == np.bool_:
        raise InputRangeError(f"{field}.dtype", str(arr.dtype), "an integer array")
    if arr.dtype.kind == "i" and arr.size and np.any(arr < 0):
        j = np.unravel_index(int(np.argmax(arr < 0)), arr.shape)
        name = f"{field}[{', '.join(str(int(x)) for x in j)}]"
        raise InputRangeError(name, int(arr[j]), "an integer >= 0")
    if arr.size and int(arr.max()) > max_value:
        raise InputRangeError(field, int(arr.max()), f"integers in [0, {max_value}]")
    return arr.astype(np.uint64)


# ---- input checks ----------------------------------------------------------------------------
def _check_glucose(glucose_mgdl: ArrayLike, field: str) -> FloatArray:
    try:
        g = np.asarray(glucose_mgdl, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputRangeError(field, glucose_mgdl, "a numeric array (n_patients, n_times) in mg/dL") from None
    if g.ndim != 2 or g.shape[0] < 1 or g.shape[1] < 1:
        raise InputRangeError(f"{field}.shape", g.shape, "(n_patients >= 1, n_times >= 1)")
    bad = ~np.isfinite(g) | (g < 0)
    if np.any(bad):
        p, t = np.unravel_index(int(np.argmax(bad)), g.shape)
        raise InputRangeError(f"{field}[{p}, {t}]", float(g[p, t]), "a finite glucose >= 0 mg/dL")
    return g


def _patient_rngs(
    seeds: ArrayLike | None, rngs: Sequence[np.random.Generator] | None
) -> list[np.random.Generator] | NDArray[np.uint64]:
    """The patients' generators, or their seeds (each stands for ``default_rng(seed)``)."""
    if (seeds is None) == (rngs is None):
        raise InputRangeError("seeds/rngs", "both" if seeds is not None else "neither", "exactly one of them")
    if rngs is not None:
        gens = list(rngs)
        for j, g in enumerate(gens):
            if not isinstance(g, np.random.Generator):
                raise InputRangeError(f"rngs[{j}]", type(g).__name__, "a numpy.random.Generator")
        if not gens:
            raise InputRangeError("rngs", gens, "one Generator per patient (at least one)")
        return gens
    assert seeds is not None
    s = _check_nonnegative_ints(seeds, "seeds", max_value=_MAX_SEED)
    if s.ndim != 1 or s.size < 1:
        raise InputRangeError("seeds.shape", s.shape, "(n_patients,) with n_patients >= 1")
    return s


def _check_age(sensor_age_min: ArrayLike | None, n_patients: int, session: int | None) -> NDArray[np.int64]:
    if sensor_age_min is None:
        return np.zeros(n_patients, dtype=np.int64)
    upper = _MAX_SEED if session is None else session - 1
    age = _check_nonnegative_ints(sensor_age_min, "sensor_age_min", max_value=min(upper, 2**62))
    if age.shape != (n_patients,):
        raise InputRangeError("sensor_age_min.shape", age.shape, f"({n_patients},)")
    return age.astype(np.int64)


# ---- interpolation ---------------------------------------------------------------------------
def _not_a_knot_weights(n_knots: int, positions: FloatArray) -> FloatArray:
    """``W`` (n_knots, n_positions): the not-a-knot cubic spline through ``(j, y_j)`` is ``y @ W``.

    Second derivatives M solve ``M_{i-1} + 4 M_i + M_{i+1} = 6 (y_{i-1} - 2 y_i + y_{i+1})`` with
    a continuous third derivative at the second and penultimate knots (unit knot spacing), the
    boundary condition of ``scipy.interpolate.interp1d(kind="cubic")``.
    """
    n = n_knots
    a = np.zeros((n, n))
    rhs = np.zeros((n, n))
    a[0, :3] = (1.0, -2.0, 1.0)
    a[-1, -3:] = (1.0, -2.0, 1.0)
    for i in range(1, n - 1):
        a[i, i - 1 : i + 2] = (1.0, 4.0, 1.0)
        rhs[i, i - 1 : i + 2] = (6.0, -12.0, 6.0)
    m = np.linalg.solve(a, rhs)  # m[i, j]: M_i for the data e_j
    idx = np.clip(np.floor(positions).astype(np.int64), 0, n - 2)
    u = (positions - idx)[:, None]
    eye = np.eye(n)
    w = (
        eye[idx] * (1.0 - u)
        + eye[idx + 1] * u
        + m[idx] * ((1.0 - u) ** 3 - (1.0 - u)) / 6.0
        + m[idx + 1] * (u**3 - u) / 6.0
    )
    return np.ascontiguousarray(w.T)


@lru_cache(maxsize=16)
def _block_weights(step_min: int, sample_min: int) -> FloatArray:
    """Spline weights from one 150-min block of knots to its samples ``sample_min, ..., 150``."""
    per_block = _BLOCK_MIN // step_min
    positions = np.arange(1, _BLOCK_MIN // sample_min + 1, dtype=np.float64) * sample_min / step_min
    w = _not_a_knot_weights(per_block + 1, positions)
    w.setflags(write=False)
    return w


# ---- the latent processes, block by block (loops over time, vectorised over patients) -------
class _ErrorReader:
    """The sensors' errors of a cohort, made as they are read: whole 150-min blocks of knots at a
    time, the latent processes' states carried from block to block, a patient's three streams
    (noise innovations, session-start states, dropouts) drawn in time order. So a window's values
    are those of the whole-horizon computation, and memory holds the windows being read, not the
    horizon. Windows must be read in order (``first`` never decreasing)."""

    def __init__(
        self,
        gens: list[np.random.Generator] | NDArray[np.uint64],
        n_minutes: int,
        sensor: CgmSensor,
        age0: NDArray[np.int64],
    ) -> None:
        self.sensor, self.age0, self.session = sensor, age0, sensor.session_min
        self.range_mgdl, self.sample_min = sensor.range_mgdl, sensor.sample_min
        self.n_samples = n_minutes // sensor.sample_min + 1
        n_p = len(gens)
        self.params = ERROR_PARAMETERS[sensor.model]
        self.step = self.params.step_min if self.params is not None else sensor.sample_min
        self.n_proc = 2 if isinstance(self.params, FacchinettiError) else int(self.params is not None)
        self.streams = _children(gens)  # each patient's noise, session starts, dropouts
        self.knots = 0  # knots made so far (t = 0, step, ...)
        self.first = 0  # sample index of noise[:, 0]
        self.noise = np.zeros((n_p, 0))  # interpolated latent noise of samples first, first + 1, ...
        self.last_knot = np.zeros((n_p, 1))  # latent noise at the last knot made [mg/dL]
        self.e = np.zeros(n_p)  # Johnson: latent e at the last knot
        self.x1 = np.zeros((self.n_proc, n_p))  # AR(2): x_{k-1}
        self.x2 = np.zeros((self.n_proc, n_p))  # AR(2): x_{k-2}
        self.drop_pos = np.zeros(n_p, dtype=np.int64)  # dropout chain drawn up to this sample
        self.drops = np.zeros((3, 0), dtype=np.int64)  # (patient, begin, end) of drawn dropouts

    @property
    def n_patients(self) -> int:
        return len(self.streams)

    def window(self, first: int, count: int) -> CgmErrors:
        """Samples ``first, ..., first + count - 1``; earlier samples can no longer be read."""
        if isinstance(first, bool) or not self.first <= first < self.n_samples:
            raise InputRangeError("first", first, f"a sample index in [{self.first}, {self.n_samples})")
        if isinstance(count, bool) or not 1 <= count <= self.n_samples - first:
            raise InputRangeError("count", count, f"a number of samples in [1, {self.n_samples - first}]")
        last = first + count - 1
        samples_per_block = _BLOCK_MIN // self.sample_min
        made = 0 if self.knots == 0 else (self.knots - 1) // (_BLOCK_MIN // self.step)
        needed = max(1, -(-last // samples_per_block))
        if needed > made:
            self._extend(needed - made)
        self.noise = self.noise[:, first - self.first :]
        self.first = first
        t_min = np.arange(first, first + count, dtype=np.int64) * self.sample_min
        age_min = _age(self.age0, t_min, self.session)
        noise = self.noise[:, :count]
        n_p = self.n_patients
        gain, offset = np.ones((n_p, count)), np.zeros((n_p, count))
        if isinstance(self.params, JohnsonSuNoise):
            offset = noise.copy()
        elif isinstance(self.params, FacchinettiError):
            age_days = age_min / MIN_PER_DAY
            a0, a1, a2 = self.params.gain
            b0, b1, b2 = self.params.offset_mgdl
            gain = a0 + a1 * age_days + a2 * age_days**2
            offset = b0 + b1 * age_days + b2 * age_days**2 + noise
        status = np.full((n_p, count), CgmFlag.OK, dtype=np.int8)
        status[self._dropouts(first, count)] = CgmFlag.DROPOUT
        status[age_min < self.sensor.warm_up_min] = CgmFlag.WARM_UP
        return CgmErrors(t_min, gain, offset, status, self.range_mgdl)

    def _extend(self, n_blocks: int) -> None:
        """Make ``n_blocks`` more blocks of knots and their samples."""
        per_block = _BLOCK_MIN // self.step
        n_p, k0 = self.n_patients, self.knots
        count = n_blocks * per_block + (1 if k0 == 0 else 0)
        z = np.empty((n_p, count, self.n_proc))
        if self.n_proc:
            for j, (noise_rng, _, _) in enumerate(self.streams):  # one key per generator: see module notes
                noise_rng.standard_normal(out=z[j])
        z = np.ascontiguousarray(z.transpose(1, 2, 0))  # (knot, process, patient) for the loops
        t_knots = (k0 + np.arange(count, dtype=np.int64)) * self.step
        starts = self._session_starts(t_knots)
        if isinstance(self.params, JohnsonSuNoise):
            values = self._johnson(self.params, z[:, 0, :], starts).T
        elif isinstance(self.params, FacchinettiError):
            processes = (self.params.sensor_noise, self.params.common_noise)
            values = self._ar2(processes, z, starts).T
        else:
            values = np.zeros((n_p, count))
        self.knots += count
        knots = values if k0 == 0 else np.concatenate([self.last_knot, values], axis=1)
        self.last_knot = knots[:, -1:].copy()
        samples = _interpolate(knots, self.step, self.sample_min, k0 == 0)
        self.noise = np.concatenate([self.noise, samples], axis=1)

    def _session_starts(self, t_knots: NDArray[np.int64]) -> NDArray[np.bool_] | None:
        """True where a knot is the first of a new sensor (and at t = 0), time-major
        ``(n_knots, n_patients)``; None where no knot is."""
        if t_knots[0] == 0:
            starts = np.zeros((t_knots.size, self.n_patients), dtype=np.bool_)
            starts[0] = True
        elif self.session is None or np.all(
            (self.age0 + t_knots[-1]) // self.session == (self.age0 + t_knots[0] - self.step) // self.session
        ):
            return None  # every patient on the same sensor throughout
        else:
            starts = np.zeros((t_knots.size, self.n_patients), dtype=np.bool_)
        if self.session is not None:
            t = self.age0[None, :] + t_knots[:, None]
            starts |= t // self.session != (t - self.step) // self.session
        return starts

    def _johnson(self, p: JohnsonSuNoise, z: FloatArray, starts: NDArray[np.bool_] | None) -> FloatArray:
        """Latent knots ``e_k = pacf (e_{k-1} + w_k)`` (a new sensor: ``e_k = w_k``), through the
        Johnson S_U transform; z and the result time-major ``(n_knots, n_patients)``."""
        e = np.empty_like(z)
        prev = self.e
        for k in range(z.shape[0]):
            np.add(prev, z[k], out=e[k])
            e[k] *= p.pacf
            if starts is not None and starts[k].any():
                e[k, starts[k]] = z[k, starts[k]]
            prev = e[k]
        self.e = e[-1].copy()
        return p.xi_mgdl + p.lam_mgdl * np.sinh((e - p.gamma) / p.delta)

    def _ar2(
        self, procs: tuple[Ar2Process, ...], z: FloatArray, starts: NDArray[np.bool_] | None
    ) -> FloatArray:
        """Sum over the processes at each knot; a new sensor draws ``(x_k, x_{k-1})`` from the
        stationary distribution (``x_k`` from the noise stream, ``x_{k-1}`` given it from the
        session-start stream). z ``(n_knots, n_proc, n_patients)``; the result
        ``(n_knots, n_patients)``."""
        a1 = np.array([[q.a1] for q in procs])
        a2 = np.array([[q.a2] for q in procs])
        sigma = np.sqrt([[q.innovation_var_mgdl2] for q in procs])
        sd0 = np.sqrt([[q.stationary_var_mgdl2] for q in procs])
        rho = np.array([[q.lag1_corr] for q in procs])
        cond_sd = sd0 * np.sqrt(1.0 - rho**2)
        z_start = np.zeros_like(z)
        with_starts: set[int] = set()  # knots where some patient's new sensor starts
        if starts is not None:
            n_starts = np.count_nonzero(starts, axis=0)
            for j in np.flatnonzero(n_starts).tolist():  # in time order, one call per patient
                draws = self.streams[j][1].standard_normal((int(n_starts[j]), len(procs)))
                z_start[starts[:, j], :, j] = draws
            with_starts = set(np.flatnonzero(starts.any(axis=1)).tolist())
        # x_k = (a1 x_{k-1} + a2 x_{k-2}) + sigma w_k, written into out[k] (out[k - 1] is x_{k-1})
        scaled = sigma * z
        out = np.empty(z.shape)
        tmp = np.empty(z.shape[1:])
        x1, x2 = self.x1, self.x2
        for k in range(z.shape[0]):
            x = out[k]
            np.multiply(a1, x1, out=x)
            x += np.multiply(a2, x2, out=tmp)
            x += scaled[k]
            if k in with_starts:
                assert starts is not None
                s = starts[k]
                x0 = sd0 * z[k][:, s]
                x1 = x1.copy()  # out[k - 1] keeps the old sensor's last value
                x1[:, s] = rho * x0 + cond_sd * z_start[k][:, s]
                x[:, s] = x0
            x2, x1 = x1, x
        self.x1, self.x2 = x1.copy(), x2.copy()
        total: FloatArray = out[:, 0] + out[:, 1] if len(procs) == 2 else out.sum(axis=1)
        return total

    def _dropouts(self, first: int, count: int) -> NDArray[np.bool_]:
        """Dropout mask of samples ``first ...``: per patient a two-state Markov chain from 'ok',
        ok runs ~ Geometric(p_start) and dropouts ~ Geometric(q_end) in samples, drawn
        ``_DROPOUT_RUN_BLOCK`` runs per call (a fixed size keeps the draws horizon-free)."""
        p_start = self.sensor.dropout_prob
        n_p = self.n_patients
        if p_start == 0.0:
            return np.zeros((n_p, count), dtype=np.bool_)
        q_end = self.sample_min / self.sensor.dropout_mean_min
        end_needed = first + count
        new = [self.drops]
        while np.any(needy := self.drop_pos < end_needed):  # a round of runs for each such patient
            who = np.flatnonzero(needy)
            ok = np.empty((who.size, _DROPOUT_RUN_BLOCK), dtype=np.int64)
            drop = np.empty_like(ok)
            for row, j in enumerate(who.tolist()):
                rng = self.streams[j][2]
                ok[row] = rng.geometric(p_start, size=_DROPOUT_RUN_BLOCK)
                drop[row] = rng.geometric(q_end, size=_DROPOUT_RUN_BLOCK)
            begin = self.drop_pos[who, None] + np.cumsum(ok, axis=1) + np.cumsum(drop, axis=1) - drop
            end = begin + drop
            new.append(np.stack([np.repeat(who, _DROPOUT_RUN_BLOCK), begin.ravel(), end.ravel()]))
            self.drop_pos[who] = end[:, -1]
        drops = np.concatenate(new, axis=1)
        self.drops = drops[:, drops[2] > first]  # windows come in order: earlier runs are done
        pid, lo, hi = self.drops
        lo, hi = np.clip(lo - first, 0, count), np.clip(hi - first, 0, count)
        length = hi - lo  # each run's samples in the window (dropout runs never overlap)
        at = np.repeat(pid * count + lo - np.cumsum(length) + length, length)
        at += np.arange(at.size)
        mask = np.zeros((n_p, count), dtype=np.bool_)
        mask.ravel()[at] = True
        return mask


def _children(gens: list[np.random.Generator] | NDArray[np.uint64]) -> list[list[np.random.Generator]]:
    """Each patient's three generators: ``gen.spawn(3)``, or for seeds those of
    ``default_rng(seed).spawn(3)``, built for all seeds at once without the parents
    (:func:`~t2pump.randomness.spawned_generators`)."""
    if isinstance(gens, np.ndarray):
        return spawned_generators(gens, 3)
    return [g.spawn(3) for g in gens]


def _interpolate(knots: FloatArray, step_min: int, sample_min: int, with_first: bool) -> FloatArray:
    """Block-wise not-a-knot spline (simglucose's ``CGMNoise``) from knots (whole blocks sharing
    their end knots) to the samples of the blocks (after each block's first knot; and the first
    knot's own sample when ``with_first``)."""
    per_block = _BLOCK_MIN // step_min
    n_p, n_knots = knots.shape
    n_blocks = (n_knots - 1) // per_block
    idx = np.arange(n_blocks)[:, None] * per_block + np.arange(per_block + 1)[None, :]
    w = _block_weights(step_min, sample_min)
    # (n_p x n_blocks, samples per block). einsum, not matmul: BLAS would leave its worker threads
    # spinning for about 0.1 s of CPU after the call, taken from the simulation that follows
    blocks = np.einsum("bk,ks->bs", knots[:, idx].reshape(-1, per_block + 1), w).reshape(n_p, -1)
    return np.concatenate([knots[:, :1], blocks], axis=1) if with_first else blocks


# ---- the public functions --------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SeededCgmErrors:
    """The sensor errors of seeded patients over ``n_minutes``, made when read: what
    :func:`sensor_errors` returns, window by window (:meth:`reader`), so that a long simulation
    holds one day of sensor error in memory instead of the horizon's (10,000 patients x 365 days
    of 5-min samples would be ~18 GB). A value: each :meth:`reader` starts from the seeds again."""

    n_minutes: int
    seeds: NDArray[np.uint64]  # (n_patients,), see seeds_for
    sensor: CgmSensor = DEFAULT_SENSOR
    sensor_age_min: NDArray[np.int64] | None = None  # (n_patients,) in [0, session); None: 0

    def __post_init__(self) -> None:
        _check_minutes(self.n_minutes)
        s = _check_nonnegative_ints(self.seeds, "seeds", max_value=_MAX_SEED)
        if s.ndim != 1 or s.size < 1:
            raise InputRangeError("seeds.shape", s.shape, "(n_patients,) with n_patients >= 1")
        object.__setattr__(self, "seeds", s)
        object.__setattr__(
            self, "sensor_age_min", _check_age(self.sensor_age_min, s.size, self.sensor.session_min)
        )

    @property
    def n_patients(self) -> int:
        return int(self.seeds.size)

    @property
    def n_samples(self) -> int:
        return int(self.n_minutes) // self.sensor.sample_min + 1

    @property
    def sample_min(self) -> int:
        return self.sensor.sample_min

    @property
    def range_mgdl(self) -> tuple[float, float]:
        return self.sensor.range_mgdl

    def take(self, indices: NDArray[np.intp]) -> SeededCgmErrors:
        """The sensors of the patients at ``indices``."""
        assert self.sensor_age_min is not None
        return SeededCgmErrors(self.n_minutes, self.seeds[indices], self.sensor, self.sensor_age_min[indices])

    def reader(self) -> _ErrorReader:
        """A fresh reader of the errors: ``reader().window(first, count)``, windows in order."""
        assert self.sensor_age_min is not None
        return _ErrorReader(self.seeds, int(self.n_minutes), self.sensor, self.sensor_age_min)

    def errors(self) -> CgmErrors:
        """The whole horizon at once (memory O(n_patients x n_samples))."""
        return self.reader().window(0, self.n_samples)


def _check_minutes(n_minutes: object) -> None:
    if isinstance(n_minutes, bool) or not isinstance(n_minutes, (int, np.integer)) or n_minutes < 0:
        raise InputRangeError("n_minutes", n_minutes, "an integer >= 0 min")


def sensor_errors(
    n_minutes: int,
    *,
    seeds: ArrayLike | None = None,
    rngs: Sequence[np.random.Generator] | None = None,
    sensor: CgmSensor = DEFAULT_SENSOR,
    sensor_age_min: ArrayLike | None = None,
) -> CgmErrors:
    """The sensor's error at ``t = 0, sample_min, ... <= n_minutes`` for each patient.

    Parameters
    ----------
    n_minutes : horizon [min]; the input glucose has ``n_minutes + 1`` minute samples
    seeds : (n_patients,) non-negative integer seeds, one per patient (see :func:`seeds_for`)
    rngs : instead of seeds, one Generator per patient (three children are spawned from each)
    sensor : the sensor
    sensor_age_min : (n_patients,) age of the sensor worn at t = 0 [min], in [0, session);
        default 0 (a sensor inserted at t = 0, warming up)

    For long runs, :class:`SeededCgmErrors` gives the same values a window at a time.
    """
    _check_minutes(n_minutes)
    gens = _patient_rngs(seeds, rngs)
    age0 = _check_age(sensor_age_min, len(gens), sensor.session_min)
    reader = _ErrorReader(gens, int(n_minutes), sensor, age0)
    return reader.window(0, reader.n_samples)


def _age(age0: NDArray[np.int64], t_min: NDArray[np.int64], session: int | None) -> NDArray[np.int64]:
    """Age of the sensor worn at each sample [min], (n_patients, n_samples)."""
    age = age0[:, None] + t_min[None, :]
    return age if session is None else age % session


def plasma_to_interstitial(glucose_mgdl: ArrayLike, tau_min: float) -> FloatArray:
    """First-order plasma -> interstitial lag ``IG' = (G - IG) / tau`` on a 1-min grid.

    Exact for glucose linear between minutes (first-order hold); starts at steady state
    (``IG(0) = G(0)``). After a ramp of slope ``s``, IG trails plasma by ``s x tau``.
    """
    g = _check_glucose(glucose_mgdl, "glucose_mgdl")
    tau = check_range("tau_min", tau_min, 0.0, math.inf, "min", lo_inclusive=False)
    decay = math.exp(-1.0 / tau)
    ramp = tau * (1.0 - decay)
    ig = np.empty_like(g)
    ig[:, 0] = g[:, 0]
    for k in range(g.shape[1] - 1):
        u0, u1 = g[:, k], g[:, k + 1]
        ig[:, k + 1] = u1 + (ig[:, k] - u0) * decay - (u1 - u0) * ramp
    return ig


def read(
    glucose_mgdl: ArrayLike,
    *,
    seeds: ArrayLike | None = None,
    rngs: Sequence[np.random.Generator] | None = None,
    sensor: CgmSensor = DEFAULT_SENSOR,
    sensor_age_min: ArrayLike | None = None,
    site: GlucoseSite = GlucoseSite.INTERSTITIAL,
) -> CgmTrace:
    """CGM readings from glucose sampled every minute from t = 0, ``(n_patients, n_minutes + 1)``.

    ``site`` says what the input is: interstitial glucose (what the simulators give, used as is)
    or plasma glucose (passed through :func:`plasma_to_interstitial` with the sensor's lag first).
    Randomness and ``sensor_age_min`` as in :func:`sensor_errors`.
    """
    g = _check_glucose(glucose_mgdl, "glucose_mgdl")
    if parse_enum(GlucoseSite, site, "site") is GlucoseSite.PLASMA:
        g = plasma_to_interstitial(g, sensor.plasma_lag_tau_min)
    errors = sensor_errors(
        g.shape[1] - 1, seeds=seeds, rngs=rngs, sensor=sensor, sensor_age_min=sensor_age_min
    )
    n_p = errors.gain.shape[0]
    if n_p != g.shape[0]:
        field = "rngs" if rngs is not None else "seeds"
        raise InputRangeError(f"{field}.shape", (n_p,), f"({g.shape[0]},): one per row of glucose_mgdl")
    return errors.apply(g[:, errors.t_min])
