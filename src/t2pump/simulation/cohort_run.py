"""Therapy in the loop: a cohort of type 2 patients on CSII or MDI, simulated minute by minute.

The loop owns time; every quantity is an array over patients. Per day it prepares the day's inputs:

1. behaviour: carbohydrate eaten (``CohortInputs.carbs_g``), carbohydrate entered in the bolus
   calculator (``announced_carbs_g``: 0 where no bolus is taken, shifted where it is late, with the
   person's counting error);
2. device programs: the pump's basal rate of each minute, MDI basal injections at their clock times
   when taken (doses through the limits);
3. absorption: with patient ``seeds``, each delivery's absorbed exposure gets an independent
   within-subject log-normal factor (see ``RAPID_PROXY_CV`` below);
4. insulin action: the patient's circadian and day-to-day factors when ``sensitivity`` is given.

Then the compiled kernel (:func:`t2pump.simulation.kernel.advance`) runs the whole day, integrating
the Dalla Man 2007 model with RK4, and takes each announced meal's bolus decision at its minute: the
wizard dose (:func:`~t2pump.therapy.cohort_therapy.wizard_bolus_values`) from the patient's glucose
reading (the last CGM sample as the sensor shows it, plasma glucose if it shows none; a meter value
when there is no sensor: interstitial glucose plus ``reading_noise_mgdl``) and bolus insulin on
board, through the limits (:func:`~t2pump.therapy.limits.limit_bolus_values`): the therapy layer's
own elementwise functions, compiled as they are, and tested against
:class:`~t2pump.therapy.cohort_therapy.CohortCsii` / ``CohortMdi``. Every cap (hard, patient or device
maximum; not the rounding to an increment) is counted in the ``bolus_capped`` signal. The pump
delivers basal in whole pulses and boluses at its bolus speed; pens give the dose in the minute it is
decided. What each decision saw and gave (reading, IOB, requested and limited dose, clamp codes) is
written into the day's announcement table (:data:`~t2pump.simulation.kernel.EVENT_NAMES`).

Signals are recorded every ``record_every_min`` minutes (sums of insulin and carbohydrate over the
period, glucose and IOB at its end), so memory grows with the trace asked for, not with the steps.
The sensor's errors are read a day at a time from a :class:`~t2pump.devices.cgm.CgmErrorSource`
(made when read by :class:`~t2pump.devices.cgm.SeededCgmErrors`), the behaviour from an
:class:`InputSource` (drawn a day at a time by the named cohorts' source): besides the trace, a
run holds one day of inputs.
"""

from __future__ import annotations

import itertools
import math
import mmap
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol, cast

import numba
import numpy as np
from numpy.typing import NDArray

from t2pump.devices.cgm import CgmErrors, CgmErrorSource, CgmFlag
from t2pump.errors import InputRangeError
from t2pump.insulin.products import get_product
from t2pump.physiology.dalla_man_2007 import EAT_RATE_G_PER_MIN, DallaMan2007
from t2pump.physiology.sensitivity_variation import SensitivityVariation
from t2pump.randomness import (
    SeedArray,
    lognormal_factor,
    normal_quantile,
    substream,
    uniform01,
    uniform01_pairs,
)
from t2pump.simulation import kernel
from t2pump.simulation.engine import DECISION_FIELDS, SimulationError, Trace
from t2pump.simulation.kernel import AUX_NAMES, EVENT_NAMES, N_KERNEL_STATES, REC_NAMES
from t2pump.simulation.lanes import LANES
from t2pump.therapy.cohort_therapy import WIZARD_ROWS, CohortCsii, CohortMdi
from t2pump.units import MIN_PER_DAY, MIN_PER_H

__all__ = ["PATIENT_BLOCK", "T2D_SUBSTEPS", "CohortInputs", "InputSource", "simulate_cohort"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
_DAY = int(MIN_PER_DAY)
advance = cast(Callable[..., None], kernel.advance)  # the compiled kernel (numba dispatcher)
# RK4 steps per minute for the type 2 model. Unlike simglucose's fastest adult (k_abs 0.58/min,
# engine.DEFAULT_SUBSTEPS = 2), the Dalla Man 2007 T2D parameters (k_abs 0.023/min; fastest insulin
# modes about 1.5/min) allow h = 1 min: halving it changes plasma glucose by at most 0.012 mg/dL over
# two closed-loop days of 50 opt2mise patients on either arm (tests/simulation/test_cohort_run.py
# checks the < 0.1 mg/dL criterion).
T2D_SUBSTEPS = 1
# Patients simulated together. A day's input arrays are (patients x 1,440) float64: above about 2,900
# patients each exceeds glibc's largest mmap threshold (32 MB), so every day's arrays come fresh from
# the kernel with page faults (measured: 10,000 patients at 1,049 patient-days/s against 2,445 for
# 1,000). Larger cohorts run in parts of at most this size (_parts), as many at a time as there are
# threads (numba.get_num_threads(): the cores, or NUMBA_NUM_THREADS); patients are independent, so
# nothing else changes.
PATIENT_BLOCK = 2048


@dataclass(frozen=True, slots=True)
class CohortInputs:
    """Per-minute behaviour for ``n`` patients over ``n_minutes`` (arrays ``(n, n_minutes)``)."""

    carbs_g: FloatArray
    announced_carbs_g: FloatArray
    reading_noise_mgdl: FloatArray | None = None
    basal_taken: NDArray[np.bool_] | None = None  # MDI: (n, n_days, injections per day)
    seeds: SeedArray | None = None  # patients' keys (t2pump.randomness): turns absorption variability on
    activity_intensity: FloatArray | None = None  # physical activity [fraction of VO2max], (n, n_minutes)

    @property
    def n_patients(self) -> int:
        return int(self.carbs_g.shape[0])

    @property
    def n_minutes(self) -> int:
        return int(self.carbs_g.shape[1])

    def take(self, indices: NDArray[np.intp]) -> CohortInputs:
        """The inputs of the patients at ``indices``."""
        return CohortInputs(
            self.carbs_g[indices],
            self.announced_carbs_g[indices],
            None if self.reading_noise_mgdl is None else self.reading_noise_mgdl[indices],
            None if self.basal_taken is None else self.basal_taken[indices],
            None if self.seeds is None else self.seeds[indices],
            None if self.activity_intensity is None else self.activity_intensity[indices],
        )

    def window(self, day: int) -> CohortInputs:
        """The inputs of day ``day`` (views, no copy): minutes ``1440 day`` onwards, one day at most."""
        lo = day * _DAY
        hi = min(lo + _DAY, self.n_minutes)
        noise = self.reading_noise_mgdl[:, lo:hi] if self.reading_noise_mgdl is not None else None
        taken = self.basal_taken[:, day : day + 1] if self.basal_taken is not None else None
        activity = self.activity_intensity[:, lo:hi] if self.activity_intensity is not None else None
        return CohortInputs(
            self.carbs_g[:, lo:hi], self.announced_carbs_g[:, lo:hi], noise, taken, self.seeds, activity
        )

    def __post_init__(self) -> None:
        if self.carbs_g.shape != self.announced_carbs_g.shape or self.carbs_g.ndim != 2:
            raise InputRangeError(
                "inputs.shape",
                (self.carbs_g.shape, self.announced_carbs_g.shape),
                "carbs and announced carbs of the same (n, n_minutes) shape",
            )


# Within-patient variability of absorbed exposure (log-normal, mean 1) per subcutaneous depot: each
# bolus (pump or pen) and each basal injection gets an independent factor with the product's
# within-subject CV of exposure (t2pump.insulin.products: glargine U100 33 %, NPH 28 %, detemir 14 %,
# glargine U300 17.4 %; rapid analogs 10 % from the Lyumjev label, the only rapid-analog figure found,
# applied to all rapid analogs as a proxy). A once-daily basal depot therefore varies by the full CV.
# The pump's basal is a continuous infusion of 0.025-0.05 U pulses a minute or two apart: it gets no
# factor (independent per-pulse factors would average to CV / sqrt(pulses), about 1.6 % over an hour
# at 10 %, while drawing them cost more than the physiology). No source shows the CV itself growing
# with dose (docs/research_insulin_pk.md 4), so none is assumed.
RAPID_PROXY_CV = 0.10
_STREAM_RAPID = 300  # t2pump.randomness stream ids of the simulation (300-399)
_STREAM_BASAL = 301
_AUX_EXPOSURE = AUX_NAMES.index("bolus_exposure")
_EV = {name: k for k, name in enumerate(EVENT_NAMES)}


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

    def take(self, indices: NDArray[np.intp]) -> InputSource: ...


def _iob_weights(curve_duration_min: float, iob_fraction: Callable[[FloatArray], FloatArray]) -> FloatArray:
    """IOB fraction of a delivery at ages 0, 1, ... minutes, over the curve's duration."""
    ages = np.arange(int(np.ceil(curve_duration_min)) + 1, dtype=np.float64)
    return np.asarray(iob_fraction(ages), dtype=np.float64)


class _CohortLoop:
    """The state of one cohort run between days: patients, devices, histories and records."""

    def __init__(
        self,
        model: DallaMan2007,
        therapy: CohortCsii | CohortMdi | None,
        inputs: InputSource,
        x0: FloatArray | None,
        record_every_min: int,
        cgm: CgmErrorSource | None,
        sensitivity: SensitivityVariation | None,
        substeps: int,
        out: dict[str, FloatArray] | None = None,  # the signals' arrays to write (default: new ones)
    ) -> None:
        n, n_min = inputs.n_patients, inputs.n_minutes
        self.model, self.source, self.n, self.n_min = model, inputs, n, n_min
        self.pump = therapy if isinstance(therapy, CohortCsii) else None
        self.mdi = therapy if isinstance(therapy, CohortMdi) else None
        if therapy is None:  # untreated: no insulin, no bolus, IOB zero
            self.iob_w = np.array([1.0, 0.0])
        else:
            curve = therapy.active_insulin
            self.iob_w = _iob_weights(curve.duration_min, curve.iob_fraction)
        self.iob_ring = np.zeros((n, self.iob_w.size))  # bolus IOB by minute (kernel.advance)
        x = self._basal_steady_state() if x0 is None else np.array(x0, dtype=np.float64, copy=True)
        self.n_model_states = x.shape[0]
        if x.shape[0] < N_KERNEL_STATES:  # glucotoxicity off: constant (g_bar, phi_g) rows
            x = np.vstack([x, model.plasma_glucose_mgdl(x)[None, :], np.ones((1, n))])
        aux = np.zeros((len(AUX_NAMES), n))
        aux[_AUX_EXPOSURE] = 1.0
        self.params = np.ascontiguousarray(model.params)
        self.blocks = kernel.pack_blocks(x, self.params, aux)  # the patients' state from here on
        self.gtox = model.glucotoxicity_params
        self.substeps = substeps
        self.every = record_every_min
        self.rec = _new_signals(n, n_min // record_every_min, cgm is not None) if out is None else out
        self.rec_kernel = tuple(self.rec[k] for k in REC_NAMES)  # what the kernel writes
        self.fail = np.full(n, -1, dtype=np.int64)
        self.decision_days: list[FloatArray] = []  # each day's decisions (DECISION_FIELDS rows)
        # without a sensor, samples are only kept for the records
        self.cgm_period = (cgm.sample_min if cgm is not None else None) or record_every_min
        if record_every_min % self.cgm_period or _DAY % record_every_min:
            raise InputRangeError(
                "record_every_min",
                record_every_min,
                f"a divisor of a day and a multiple of the CGM sample period ({self.cgm_period} min)",
            )
        if cgm is not None and cgm.n_samples <= n_min // self.cgm_period:
            raise InputRangeError(
                "cgm.n_samples",
                cgm.n_samples,
                f"the run's {n_min // self.cgm_period + 1} samples (t = 0 included)",
            )
        self.cgm = cgm.reader() if cgm is not None else None  # one day's errors at a time
        self.cgm_range = cgm.range_mgdl if cgm is not None else (0.0, 0.0)
        # the interstitial glucose at the last CGM sample time (sample 0 of the next day)
        self.last_sample = np.asarray(model.interstitial_glucose_mgdl(x), dtype=np.float64)
        self.seeds = inputs.seeds
        rapid_cv = get_product(model.rapid_product).exposure_cv_within or RAPID_PROXY_CV
        basal_cv = get_product(model.basal_product).exposure_cv_within or 0.0
        self.cv = (rapid_cv, basal_cv)
        self.sensitivity = sensitivity if inputs.seeds is not None else None
        if self.sensitivity is not None and inputs.seeds is not None:
            amplitudes = self.sensitivity.circadian_log_amplitudes(inputs.seeds)
            self.si_circadian = SensitivityVariation.circadian_factors(
                amplitudes, np.arange(_DAY, dtype=float)
            )
            self.si_day = self.sensitivity.day_factors(inputs.seeds, -(-n_min // _DAY))
        self._init_day_inputs()

    def _init_day_inputs(self) -> None:
        """What the day's kernel inputs are made of: an input the same all day is one column
        (kernel.advance); the sensitivity factors of a day go to a buffer reused every day."""
        n = self.n
        self.zeros_col, self.ones_col = np.zeros((n, 1)), np.ones((n, 1))
        self.si_buffer = np.empty((n, _DAY)) if self.sensitivity is not None else self.ones_col
        if self.pump is not None:
            self.basal_rate = np.ascontiguousarray(self.pump.basal_u_per_h)  # (n, segments of the day)
            self.pulse_u, self.bolus_speed = self.pump.basal_pulse_u, self.pump.bolus_speed_u_per_min
        else:
            self.basal_rate = self.zeros_col
            self.pulse_u, self.bolus_speed = 1.0, math.inf
        self.basal_minutes = _DAY // self.basal_rate.shape[1]  # a day's program, also on a short last day
        therapy = self.pump if self.pump is not None else self.mdi
        if therapy is not None:
            self.wizard, self.bolus_step = therapy.wizard_table()
        else:  # untreated: no announcement reaches the kernel
            self.wizard, self.bolus_step = np.zeros((len(WIZARD_ROWS), n)), 1.0
        lo, hi = self.cgm_range
        self.sensor = np.array([1.0 if self.cgm is not None else 0.0, lo, hi])

    def _basal_steady_state(self) -> FloatArray:
        """Fasting steady state under the arm's basal insulin (its daily amount as a constant rate),
        so that a run does not start with an empty basal depot."""
        if self.pump is not None:
            return self.model.steady_state(rapid_u_per_min=self.pump.basal_u_per_h.mean(axis=1) / MIN_PER_H)
        if self.mdi is not None:
            return self.model.steady_state(basal_u_per_min=self.mdi.basal_dose_u.sum(axis=1) / MIN_PER_DAY)
        return self.model.steady_state()

    # ---- one day ------------------------------------------------------------------------------
    def run_day(self, day: int) -> int:
        """Simulate day ``day``; returns its number of minutes."""
        win = self.source.window(day)
        n, length = self.n, win.n_minutes
        k0 = day * _DAY
        depot, expo_basal = self._basal_injections(win, length, k0)
        si = self.ones_col
        if self.sensitivity is not None:
            si = np.multiply(
                self.si_day[:, day][:, None], self.si_circadian[:, :length], out=self.si_buffer[:, :length]
            )
        activity = self.zeros_col if win.activity_intensity is None else win.activity_intensity

        # kernel.DAY_INPUTS, each with the minutes one column covers: 1 for an input by minute, the
        # whole day for a single column, the pump program's segment for the basal rate
        def span(a: FloatArray) -> int:
            return 1 if a.shape[1] > 1 else _DAY

        columns = (
            (win.carbs_g, span(win.carbs_g)), (self.basal_rate, self.basal_minutes),
            (depot, span(depot)), (expo_basal, span(expo_basal)), (si, span(si)), (activity, span(activity)),
        )  # fmt: skip
        day_inputs = tuple(np.ascontiguousarray(a, dtype=np.float64) for a, _ in columns)
        input_minutes = np.array([minutes for _, minutes in columns], dtype=np.int64)
        samples = np.zeros((n, length // self.cgm_period + 1))
        samples[:, 0] = self.last_sample
        # the sensor's errors at the day's samples (its first is the previous day's last)
        errors = None if self.cgm is None else self.cgm.window(k0 // self.cgm_period, samples.shape[1])
        event_ptr, event_minute, events = self._day_events(win, k0, errors)
        advance(
            self.blocks, self.gtox, np.zeros(n, dtype=np.int64), np.full(n, length, dtype=np.int64),
            self.substeps, self.every, self.cgm_period, EAT_RATE_G_PER_MIN, self.pulse_u, self.bolus_speed,
            day_inputs, input_minutes, self.iob_w, self.iob_ring, k0, self.rec_kernel, k0 // self.every,
            samples, self.fail, event_ptr, event_minute, events, self.wizard, self.bolus_step, self.sensor,
            self.rec["bolus_capped"],
        )  # fmt: skip
        if np.any(self.fail >= 0):
            i = int(np.argmax(self.fail >= 0))
            t = k0 + int(self.fail[i])
            raise SimulationError(f"simulation blew up for patient {self.model.names[i]!r} at t = {t} min")
        self._record_day(day, samples, errors)
        if events.shape[1]:
            patient = np.repeat(np.arange(n), np.diff(event_ptr))
            logged = [events[_EV[f]] for f in DECISION_FIELDS[2:]]
            self.decision_days.append(np.vstack([patient, k0 + event_minute, *logged]))
        return length

    def decision_log(self, t0_min: float, first_patient: int = 0) -> dict[str, NDArray[np.generic]]:
        """Every decision of the run so far, by patient then time (engine.DECISION_FIELDS), the
        patients numbered from ``first_patient`` and times offset by ``t0_min``."""
        table = np.hstack([np.zeros((len(DECISION_FIELDS), 0)), *self.decision_days])
        table = table[:, np.lexsort((table[1], table[0]))]
        log: dict[str, NDArray[np.generic]] = dict(zip(DECISION_FIELDS, table, strict=True))
        log["patient"] = table[0].astype(np.int64) + first_patient
        log["t_min"] = table[1] + t0_min
        log["clamp_codes"] = table[-1].astype(np.int64)
        return log

    def _basal_injections(self, win: CohortInputs, length: int, k0: int) -> tuple[FloatArray, FloatArray]:
        """MDI basal-depot doses of the day at their clock times, when taken [U], and their
        exposure factors (a zero and a one column on a pump)."""
        if self.mdi is None:
            return self.zeros_col, self.ones_col
        depot = np.zeros((self.n, length))
        for j, clock in enumerate(self.mdi.basal_clock_min):
            if clock < length:
                dose, _ = self.mdi.basal_injection(j)
                taken = win.basal_taken[:, 0, j] if win.basal_taken is not None else True
                depot[:, clock] = np.where(taken, dose, 0.0)
        return depot, self._basal_exposure(k0, depot)

    def _basal_exposure(self, k0: int, depot: FloatArray) -> FloatArray:
        """Exposure factors of the day's basal injections (counter = absolute minute)."""
        factors = np.ones(depot.shape)
        cols = np.flatnonzero(np.any(depot > 0, axis=0))
        if self.seeds is not None and cols.size:
            factors[:, cols] = _exposure_factors(self.seeds, _STREAM_BASAL, k0 + cols, self.cv[1])
        return factors

    def _day_events(
        self, win: CohortInputs, k0: int, errors: CgmErrors | None
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """The day's announced meal boluses for the kernel's decisions (kernel.EVENT_NAMES): each
        patient's announcements in minute order, with the carbohydrate entered, the exposure factor
        of the bolus's depot (one log-normal factor per bolus, counter = the absolute minute), the
        meter's error and the error terms of the CGM sample the reading comes from."""
        n = self.n
        treated = self.pump is not None or self.mdi is not None
        rows, cols = np.nonzero(win.announced_carbs_g > 0) if treated else (np.zeros(0, np.intp),) * 2
        event_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=event_ptr[1:])
        events = np.zeros((len(EVENT_NAMES), rows.size))
        events[_EV["carbs_g"]] = win.announced_carbs_g[rows, cols]
        events[_EV["exposure"]] = 1.0
        if self.seeds is not None and rows.size:
            factors = _exposure_factors(self.seeds[rows], _STREAM_RAPID, k0 + cols, self.cv[0], diagonal=True)
            events[_EV["exposure"]] = factors[:, 0]
        if win.reading_noise_mgdl is not None:
            events[_EV["meter_noise_mgdl"]] = win.reading_noise_mgdl[rows, cols]
        if errors is not None:  # the last sample at or before the decision (the day's window)
            sample = cols // self.cgm_period
            events[_EV["cgm_gain"]] = errors.gain[rows, sample]
            events[_EV["cgm_offset_mgdl"]] = errors.offset_mgdl[rows, sample]
            events[_EV["cgm_ok"]] = errors.status[rows, sample] == CgmFlag.OK
        return event_ptr, cols.astype(np.int64), events

    def _record_day(self, day: int, samples: FloatArray, errors: CgmErrors | None) -> None:
        """The day's sensor readings at the records; the last sample starts the next day."""
        self.last_sample = samples[:, -1].copy()
        if errors is not None and samples.shape[1] > 1:
            r0 = day * _DAY // self.every
            per = self.every // self.cgm_period
            shown = errors.apply(samples[:, 1:], start=1).glucose_mgdl  # samples[:, 0] was yesterday's
            cols = np.arange(per - 1, shown.shape[1], per)
            self.rec["cgm"][:, r0 : r0 + cols.size] = shown[:, cols]


def _exposure_factors(
    seeds: SeedArray, stream: int, counters: NDArray[np.int64], cv: float, *, diagonal: bool = False
) -> FloatArray:
    """Log-normal mean-one factors with within-subject CV ``cv``, one per patient and counter
    (``diagonal``: patient ``i`` with counter ``i`` only, shape (n, 1))."""
    n = seeds.shape[0]
    if cv <= 0:
        return np.ones((n, 1 if diagonal else counters.size))
    keys = substream(seeds, stream)
    u = uniform01_pairs(keys, counters)[:, None] if diagonal else uniform01(keys, counters)
    z = normal_quantile(u)
    return lognormal_factor(z, np.full(z.shape, cv))


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
    therapy: CohortCsii | CohortMdi | None,
    inputs: InputSource,
    *,
    x0: FloatArray | None = None,  # default: the steady state under the arm's basal insulin
    record_every_min: int = 5,
    substeps: int = T2D_SUBSTEPS,
    cgm: CgmErrorSource | None = None,
    progress: Callable[[int], None] | None = None,
    sensitivity: SensitivityVariation | None = None,
) -> Trace:
    """Simulate the cohort; see the module docstring. ``therapy`` None: no insulin at all (untreated;
    announced meals get no bolus). Raises SimulationError naming patient and minute."""
    n, n_min = inputs.n_patients, inputs.n_minutes
    n_therapy = n if therapy is None else therapy.n_patients
    if model.n_patients != n or n_therapy != n:
        raise InputRangeError("n_patients", (model.n_patients, n_therapy, n), "the same number everywhere")
    if record_every_min < 1 or n_min % record_every_min:
        raise InputRangeError("record_every_min", record_every_min, f"a divisor of the run length {n_min}")
    if substeps < 1:
        raise InputRangeError("substeps", substeps, "an integer >= 1")
    trace, _ = run_with_final_state(
        model, therapy, inputs, x0, record_every_min, substeps, cgm, progress, sensitivity
    )
    return trace


def run_with_final_state(
    model: DallaMan2007,
    therapy: CohortCsii | CohortMdi | None,
    inputs: InputSource,
    x0: FloatArray | None,
    record_every_min: int,
    substeps: int,
    cgm: CgmErrorSource | None,
    progress: Callable[[int], None] | None,
    sensitivity: SensitivityVariation | None,
    t0_min: float = 0.0,
) -> tuple[Trace, FloatArray]:
    """The cohort loop of :func:`simulate_cohort`, returning the trace (times offset by ``t0_min``)
    and the model's final state, so that a run can go on in another phase (a change of therapy)
    from where it stopped.

    The cohort runs in parts (:func:`_parts`: at most PATIENT_BLOCK patients, at least one per
    thread), each its own loop in a thread of its own: the kernel releases the GIL, so one part's
    minutes run while another part takes its dose decisions in Python. Patients are independent,
    so the parts change nothing in the results (tested)."""
    n = model.n_patients
    threads = numba.get_num_threads()
    parts = _parts(n, threads)
    if len(parts) == 1:
        return _run_part(
            model, therapy, inputs, x0, record_every_min, substeps, cgm, progress, sensitivity, t0_min
        )

    # the parts write their rows of the cohort's signals: no copies of the trace at the end
    signals = _new_signals(n, inputs.n_minutes // record_every_min, cgm is not None)

    def run_part(idx: NDArray[np.intp]) -> tuple[Trace, FloatArray]:
        rows = slice(int(idx[0]), int(idx[-1]) + 1)  # parts are contiguous
        return _run_part(
            model.take(idx),
            None if therapy is None else therapy.take(idx),
            inputs.take(idx),
            None if x0 is None else x0[:, idx],
            record_every_min,
            substeps,
            None if cgm is None else cgm.take(idx),
            None if progress is None else _scaled(progress, idx.size / n),
            sensitivity,
            t0_min,
            {k: v[rows] for k, v in signals.items()},
            int(idx[0]),
        )

    with ThreadPoolExecutor(max_workers=min(threads, len(parts))) as pool:
        results = list(pool.map(run_part, parts))
    first = results[0][0]
    final = np.concatenate([state for _, state in results], axis=1)
    logs = [trace.decisions for trace, _ in results if trace.decisions is not None]
    # each part's log is by patient then time, its patients numbered in the cohort (_run_part)
    decisions = {f: np.concatenate([log[f] for log in logs]) for f in DECISION_FIELDS}
    trace = Trace(first.t_min, model.names, signals, first.units, decisions=decisions)
    return trace, final


def _parts(n: int, threads: int) -> list[NDArray[np.intp]]:
    """Contiguous parts of the cohort: at most about PATIENT_BLOCK patients each and, when there
    are enough patients, at least one part per thread (a multiple of the threads when there are
    more parts than threads); whole blocks of LANES patients where the
    parts can be (a part's last block may be partial)."""
    n_parts = max(-(-n // PATIENT_BLOCK), min(threads, -(-n // LANES)))
    if n_parts > threads:  # a whole number of rounds: no part left to run alone on one core
        n_parts = -(-n_parts // threads) * threads
    unit = LANES if n >= n_parts * LANES else 1
    units = -(-n // unit)
    edges = [min(n, (k * units // n_parts) * unit) for k in range(n_parts + 1)]
    return [np.arange(lo, hi) for lo, hi in itertools.pairwise(edges) if hi > lo]


def _run_part(
    model: DallaMan2007,
    therapy: CohortCsii | CohortMdi | None,
    inputs: InputSource,
    x0: FloatArray | None,
    record_every_min: int,
    substeps: int,
    cgm: CgmErrorSource | None,
    progress: Callable[[int], None] | None,
    sensitivity: SensitivityVariation | None,
    t0_min: float,
    out: dict[str, FloatArray] | None = None,
    first_patient: int = 0,  # the part's first patient in the cohort (numbers the decision log)
) -> tuple[Trace, FloatArray]:
    """One part's cohort loop, all its patients at once (writing ``out`` when given)."""
    n_min = inputs.n_minutes
    loop = _CohortLoop(model, therapy, inputs, x0, record_every_min, cgm, sensitivity, substeps, out)
    for day in range(-(-n_min // _DAY)):
        done = loop.run_day(day)
        if progress is not None:
            progress(done)
    t = (np.arange(n_min // record_every_min, dtype=np.float64) + 1.0) * record_every_min + t0_min
    units = dict(_SIGNALS) | ({"cgm": "mg/dL (NaN: warm-up or dropout)"} if cgm is not None else {})
    final = kernel.unpack_states(loop.blocks, loop.n)[: loop.n_model_states]
    trace = Trace(
        t_min=t,
        patients=model.names,
        signals=loop.rec,
        units=units,
        decisions=loop.decision_log(t0_min, first_patient),
    )
    return trace, final


def _new_signals(n: int, n_rec: int, with_cgm: bool) -> dict[str, FloatArray]:
    """Zeroed record arrays (n, n_rec) of the trace's signals (the CGM's too: every day writes all
    its records, NaN where the sensor shows nothing)."""
    return {k: _zeros((n, n_rec)) for k in (*_SIGNALS, *(("cgm",) if with_cgm else ()))}


# Trace arrays from an anonymous private memory map, not NumPy's allocator: NumPy asks the system
# for transparent huge pages on arrays of 4 MiB and more (madvise: indicate_hugepages in
# numpy/_core/src/multiarray/alloc.c, ``size >= 1u << 22``; NUMPY_MADVISE_HUGEPAGE turns it off
# process-wide), and a record array (patients x records, rows in time order) has every 2 MiB page
# touched on the first day. Where the system compacts memory to find huge pages on the fault (THP
# defrag "madvise", as on the machine of benchmarks/README.md) that cost 0.50 s for 1,000 patients
# x 14 days of records (290 MB), against 0.12 s in all with ordinary pages, each faulted in on the
# day that writes it.
_MAPPED_BYTES = 4 << 20


def _zeros(shape: tuple[int, int]) -> FloatArray:
    nbytes = shape[0] * shape[1] * 8
    if nbytes < _MAPPED_BYTES or not hasattr(mmap, "MAP_PRIVATE"):
        return np.zeros(shape)
    buffer = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    return np.frombuffer(buffer, dtype=np.float64).reshape(shape)


def _scaled(progress: Callable[[int], None], share: float) -> Callable[[int], None]:
    """A progress callback for one block: its minutes count for its share of the patients."""
    return lambda minutes: progress(max(1, round(minutes * share)))
