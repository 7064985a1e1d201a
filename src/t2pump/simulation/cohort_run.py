"""Therapy in the loop: a cohort of type 2 patients on CSII or MDI, simulated minute by minute.

One loop over minutes; every quantity is an array over patients. Each minute:

1. behaviour: carbohydrate eaten (``CohortInputs.carbs_g``), carbohydrate entered in the bolus
   calculator (``announced_carbs_g``: 0 where no bolus is taken, shifted where it is late, with the
   person's counting error);
2. therapy: at an announcement the wizard dose is computed from the glucose reading (the last CGM
   sample when a sensor is given, a meter value when it has none, else interstitial glucose plus
   ``reading_noise_mgdl``) and the bolus insulin on board, through the limits
   (:class:`~t2pump.therapy.cohort_therapy.CohortCsii` / ``CohortMdi``); every cap (hard, patient or
   device maximum; not the rounding to an increment) is counted in the ``bolus_capped`` signal;
3. device: the pump delivers basal in whole pulses and boluses at its bolus speed; pens give the
   dose in the minute it is injected, and basal injections at their clock times when taken;
4. absorption: with patient ``seeds``, each delivery's absorbed exposure gets an independent
   within-subject log-normal factor (see ``RAPID_PROXY_CV`` below);
5. physiology: :class:`~t2pump.physiology.dalla_man_2007.DallaManRun` advances with RK4, insulin
   action scaled by the patient's circadian and day-to-day factors when ``sensitivity`` is given.

Signals are recorded every ``record_every_min`` minutes (sums of insulin and carbohydrate over the
period, glucose and IOB at its end), so memory grows with the trace asked for, not with the steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from t2pump.devices.cgm import CgmErrors
from t2pump.errors import InputRangeError
from t2pump.insulin.products import get_product
from t2pump.physiology.dalla_man_2007 import DallaMan2007, DallaManRun
from t2pump.physiology.sensitivity_variation import SensitivityVariation
from t2pump.randomness import SeedArray, lognormal_factor, normal_quantile, substream, uniform01
from t2pump.simulation.engine import DEFAULT_SUBSTEPS, SimulationError, Trace, rk4_step
from t2pump.therapy.cohort_therapy import CohortCsii, CohortMdi
from t2pump.therapy.limits import ClampCode
from t2pump.units import MIN_PER_DAY, MIN_PER_H

__all__ = ["CohortInputs", "InputSource", "simulate_cohort"]

FloatArray = NDArray[np.float64]
_EPS = 1e-9
_DAY = int(MIN_PER_DAY)


@dataclass(frozen=True, slots=True)
class CohortInputs:
    """Per-minute behaviour for ``n`` patients over ``n_minutes`` (arrays ``(n, n_minutes)``)."""

    carbs_g: FloatArray
    announced_carbs_g: FloatArray
    reading_noise_mgdl: FloatArray | None = None
    basal_taken: NDArray[np.bool_] | None = None  # MDI: (n, n_days, injections per day)
    seeds: SeedArray | None = None  # patients' keys (t2pump.randomness): turns absorption variability on

    @property
    def n_patients(self) -> int:
        return int(self.carbs_g.shape[0])

    @property
    def n_minutes(self) -> int:
        return int(self.carbs_g.shape[1])

    def window(self, day: int) -> CohortInputs:
        """The inputs of day ``day`` (views, no copy): minutes ``1440 day`` onwards, one day at most."""
        lo = day * _DAY
        hi = min(lo + _DAY, self.n_minutes)
        noise = self.reading_noise_mgdl[:, lo:hi] if self.reading_noise_mgdl is not None else None
        taken = self.basal_taken[:, day : day + 1] if self.basal_taken is not None else None
        return CohortInputs(
            self.carbs_g[:, lo:hi], self.announced_carbs_g[:, lo:hi], noise, taken, self.seeds
        )

    def __post_init__(self) -> None:
        if self.carbs_g.shape != self.announced_carbs_g.shape or self.carbs_g.ndim != 2:
            raise InputRangeError(
                "inputs.shape",
                (self.carbs_g.shape, self.announced_carbs_g.shape),
                "carbs and announced carbs of the same (n, n_minutes) shape",
            )


# Within-patient variability of absorbed exposure per delivery (log-normal, mean 1): each delivery,
# a pump pulse or a pen injection, gets an independent factor with the product's within-subject CV
# of exposure (t2pump.insulin.products: glargine U100 33 %, NPH 28 %, detemir 14 %, glargine U300
# 17.4 %; rapid analogs 10 % from the Lyumjev label, the only rapid-analog figure found, applied to
# all rapid analogs as a proxy). A once-daily depot therefore varies by the full CV, while a day of
# basal pulses averages out (CV / sqrt(number of pulses)); no source shows the CV itself growing with
# dose (docs/research_insulin_pk.md 4), so none is assumed.
RAPID_PROXY_CV = 0.10
_STREAM_RAPID = 300  # t2pump.randomness stream ids of the simulation (300-399)
_STREAM_BASAL = 301


def _exposure_factor(seeds: SeedArray, stream: int, k: int, cv: float) -> FloatArray:
    if cv <= 0:
        return np.ones(seeds.shape[0])
    z = normal_quantile(uniform01(substream(seeds, stream), [k])[:, 0])
    return lognormal_factor(z, np.full(seeds.shape[0], cv))


class InputSource(Protocol):
    """Where the loop gets each day's behaviour: a whole-run :class:`CohortInputs`, or a stream that
    draws each day when it is needed (memory for one day, whatever the run length)."""

    @property
    def n_patients(self) -> int: ...

    @property
    def n_minutes(self) -> int: ...

    @property
    def seeds(self) -> SeedArray | None: ...

    def window(self, day: int) -> CohortInputs: ...


class _IobBuffer:
    """Bolus insulin delivered over the last ``curve`` duration, to compute IOB at any minute."""

    def __init__(self, n: int, weights: FloatArray) -> None:
        self.weights = weights  # iob fraction at age 0, 1, ... L-1 minutes
        self.length = weights.size
        self.buf = np.zeros((n, self.length))

    def add(self, k: int, units: FloatArray) -> None:
        self.buf[:, k % self.length] = units

    def iob(self, k: int) -> FloatArray:
        ages = (k - np.arange(self.length)) % self.length
        # A row-wise sum (not BLAS) so that each patient's result does not depend on the cohort size.
        return np.asarray(np.sum(self.buf * self.weights[ages], axis=1), dtype=np.float64)


class _CohortLoop:
    """The state of one cohort run between minutes: patients, devices, buffers and records."""

    def __init__(
        self,
        model: DallaMan2007,
        therapy: CohortCsii | CohortMdi,
        inputs: InputSource,
        x0: FloatArray | None,
        record_every_min: int,
        cgm: CgmErrors | None,
        sensitivity: SensitivityVariation | None = None,
    ) -> None:
        n, n_min = inputs.n_patients, inputs.n_minutes
        self.model, self.source, self.n = model, inputs, n
        self.day = -1
        self.win = inputs.window(0)
        self.pump = therapy if isinstance(therapy, CohortCsii) else None
        self.mdi = therapy if isinstance(therapy, CohortMdi) else None
        curve = therapy.active_insulin
        ages = np.arange(int(np.ceil(curve.duration_min)) + 1, dtype=float)
        self.iob_buf = _IobBuffer(n, curve.iob_fraction(ages))
        self.run = DallaManRun.start(model)
        self.x = self._basal_steady_state() if x0 is None else np.array(x0, dtype=np.float64, copy=True)
        self.every = record_every_min
        n_rec = n_min // record_every_min
        self.rec = {k: np.zeros((n, n_rec)) for k in _SIGNALS}
        self.basal_acc = np.zeros(n)
        self.bolus_queue = np.zeros(n)
        self.cgm = cgm
        self.seeds = inputs.seeds
        self.sensitivity = sensitivity if inputs.seeds is not None else None
        if self.sensitivity is not None and inputs.seeds is not None:
            self.si_circadian = self.sensitivity.circadian_log_amplitudes(inputs.seeds)
            self.si_day = self.sensitivity.day_factors(inputs.seeds, -(-n_min // int(MIN_PER_DAY)))
        rapid_cv = get_product(model.rapid_product).exposure_cv_within or RAPID_PROXY_CV
        basal_cv = get_product(model.basal_product).exposure_cv_within or 0.0
        self.cv = (rapid_cv, basal_cv)
        if cgm is not None:
            self.cgm_period = int(cgm.t_min[1] - cgm.t_min[0]) if cgm.t_min.size > 1 else 1
            if record_every_min % self.cgm_period:
                raise InputRangeError(
                    "record_every_min",
                    record_every_min,
                    f"a multiple of the CGM sample period ({self.cgm_period} min)",
                )
            self.rec["cgm"] = np.full((n, n_rec), np.nan)

    def _basal_steady_state(self) -> FloatArray:
        """Fasting steady state under the arm's basal insulin (its daily amount as a constant rate),
        so that a run does not start with an empty basal depot."""
        if self.pump is not None:
            return self.model.steady_state(rapid_u_per_min=self.pump.basal_u_per_h.mean(axis=1) / MIN_PER_H)
        assert self.mdi is not None
        return self.model.steady_state(basal_u_per_min=self.mdi.basal_dose_u.sum(axis=1) / MIN_PER_DAY)

    def reading(self, k: int) -> FloatArray:
        """The glucose the person sees at minute ``k``: the last CGM sample, or a meter (plasma) value."""
        if self.cgm is None:
            noise = (
                self.win.reading_noise_mgdl[:, k % _DAY] if self.win.reading_noise_mgdl is not None else 0.0
            )
            return np.asarray(self.model.interstitial_glucose_mgdl(self.x) + noise, dtype=np.float64)
        j = k // self.cgm_period
        sample = self.cgm.apply(self.model.interstitial_glucose_mgdl(self.x)[:, None], start=j)
        value = sample.glucose_mgdl[:, 0]
        return np.asarray(
            np.where(np.isnan(value), self.model.plasma_glucose_mgdl(self.x), value), dtype=np.float64
        )

    def decide(self, k: int) -> FloatArray:
        """Meal-time doses: queued on the pump, returned (given now) for pens."""
        given_now = np.zeros(self.n)
        due = self.win.announced_carbs_g[:, k % _DAY] > 0
        if not np.any(due):
            return given_now
        reading = self.reading(k)
        carbs = self.win.announced_carbs_g[:, k % _DAY]
        if self.pump is not None:
            dose, codes = self.pump.meal_bolus(carbs, reading, self.iob_buf.iob(k))
            self.bolus_queue += np.where(due, dose, 0.0)
        else:
            assert self.mdi is not None
            dose, codes = self.mdi.meal_dose(carbs, reading, self.iob_buf.iob(k))
            given_now = np.where(due, dose, 0.0)
        self.rec["bolus_capped"][:, k // self.every] += due & ((codes & ~int(ClampCode.ROUNDED)) != 0)
        return given_now

    def deliver(self, k: int, pen_bolus_u: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(rapid basal, rapid bolus, basal-depot) insulin given in minute ``k`` [U]."""
        zero = np.zeros(self.n)
        if self.pump is not None:
            pulse = self.pump.basal_pulse_u
            self.basal_acc += self.pump.basal_rate_u_per_h(k) / MIN_PER_H
            basal_u = np.floor(self.basal_acc / pulse + _EPS) * pulse
            self.basal_acc -= basal_u
            chunk = np.minimum(self.bolus_queue, self.pump.bolus_speed_u_per_min)
            self.bolus_queue -= chunk
            return basal_u, chunk, zero
        assert self.mdi is not None
        depot = zero.copy()
        tod = k % int(MIN_PER_DAY)
        for j, clock in enumerate(self.mdi.basal_clock_min):
            if tod == clock:
                dose, _ = self.mdi.basal_injection(j)
                taken = (
                    self.win.basal_taken[:, 0, j]
                    if self.win.basal_taken is not None
                    else np.ones(self.n, dtype=bool)
                )
                depot += np.where(taken, dose, 0.0)
        return zero, pen_bolus_u, depot

    def step(self, k: int, substeps: int) -> None:
        if k // _DAY != self.day:
            self.day = k // _DAY
            self.win = self.source.window(self.day)
        basal_u, bolus_u, depot_u = self.deliver(k, self.decide(k))
        self.iob_buf.add(k, bolus_u)
        rapid_in, depot_in = basal_u + bolus_u, depot_u
        if self.seeds is not None:
            if np.any(rapid_in > 0):
                rapid_in = rapid_in * _exposure_factor(self.seeds, _STREAM_RAPID, k, self.cv[0])
            if np.any(depot_in > 0):
                depot_in = depot_in * _exposure_factor(self.seeds, _STREAM_BASAL, k, self.cv[1])
        si = None
        if self.sensitivity is not None:
            day = self.si_day[:, k // int(MIN_PER_DAY)]
            si = day * SensitivityVariation.circadian_factor(self.si_circadian, k)
        step_inputs = self.run.begin_minute(self.x, self.win.carbs_g[:, k % _DAY], rapid_in, depot_in, si)
        for _ in range(substeps):
            self.x = rk4_step(self.run.derivatives, self.x, 1.0 / substeps, *step_inputs)
        r = k // self.every
        self.rec["insulin_basal"][:, r] += basal_u + depot_u
        self.rec["insulin_bolus"][:, r] += bolus_u
        self.rec["carbs"][:, r] += self.win.carbs_g[:, k % _DAY]
        if (k + 1) % self.every == 0:
            self.record(k, r)

    def record(self, k: int, r: int) -> None:
        bg = self.model.plasma_glucose_mgdl(self.x)
        bad = ~np.all(np.isfinite(self.x), axis=0) | (bg < 0)
        if np.any(bad):
            i = int(np.argmax(bad))
            raise SimulationError(
                f"simulation blew up for patient {self.model.names[i]!r} at t = {k + 1} min"
            )
        self.rec["bg_plasma"][:, r] = bg
        self.rec["g_sub"][:, r] = self.model.interstitial_glucose_mgdl(self.x)
        self.rec["iob"][:, r] = self.iob_buf.iob(k)
        self.rec["secretion"][:, r] = self.model.secretion_pmol_kg_min(self.x) * self.model.body_weight_kg
        if self.cgm is not None:
            j = (k + 1) // self.cgm_period
            if j < self.cgm.t_min.size:
                g_sub = self.model.interstitial_glucose_mgdl(self.x)[:, None]
                self.rec["cgm"][:, r] = self.cgm.apply(g_sub, start=j).glucose_mgdl[:, 0]


_SIGNALS = {
    "bg_plasma": "mg/dL",
    "g_sub": "mg/dL",
    "insulin_basal": "U per period",
    "insulin_bolus": "U per period",
    "carbs": "g per period",
    "iob": "U (bolus insulin on board)",
    "secretion": "pmol/min",
    "bolus_capped": "count",
}


def simulate_cohort(
    model: DallaMan2007,
    therapy: CohortCsii | CohortMdi,
    inputs: InputSource,
    *,
    x0: FloatArray | None = None,  # default: the steady state under the arm's basal insulin
    record_every_min: int = 5,
    substeps: int = DEFAULT_SUBSTEPS,
    cgm: CgmErrors | None = None,
    progress: Callable[[int], None] | None = None,
    sensitivity: SensitivityVariation | None = None,
) -> Trace:
    """Simulate the cohort; see the module docstring. Raises SimulationError naming patient and minute."""
    n, n_min = inputs.n_patients, inputs.n_minutes
    if model.n_patients != n or therapy.n_patients != n:
        raise InputRangeError(
            "n_patients", (model.n_patients, therapy.n_patients, n), "the same number everywhere"
        )
    if record_every_min < 1 or n_min % record_every_min:
        raise InputRangeError("record_every_min", record_every_min, f"a divisor of the run length {n_min}")
    loop = _CohortLoop(model, therapy, inputs, x0, record_every_min, cgm, sensitivity)
    for k in range(n_min):
        loop.step(k, substeps)
        if progress is not None and (k + 1) % 60 == 0:
            progress(60)
    t = (np.arange(n_min // record_every_min, dtype=np.float64) + 1.0) * record_every_min
    units = dict(_SIGNALS) | ({"cgm": "mg/dL (NaN: warm-up or dropout)"} if cgm is not None else {})
    return Trace(t_min=t, patients=model.names, signals=loop.rec, units=units)
