"""The compiled minute kernel: blocks of patients on SIMD lanes.

The cohort loop (:mod:`t2pump.simulation.cohort_run`) owns time: it prepares each day's inputs as
arrays over patients (behaviour, device programs, the day's announced meals with what is known of
them beforehand) and calls :func:`advance`, which runs the day's minutes for all patients and takes
the meal-bolus decisions at their minutes (:func:`_decide`: the wizard and the limits, the therapy
layer's elementwise functions compiled as they are). Deciding inside the kernel keeps a block of
patients in the core's caches for the whole day and is what a GPU backend needs (one launch a day,
no round trip per decision); it replaced one call per block and announcement with the decisions
taken in NumPy between calls (benchmarks/README.md, session 5).
Patients go in blocks of :data:`~t2pump.simulation.lanes.LANES`; a block's states, parameters,
inputs and RK4 stages live in one lane-major scratch array for the whole stretch, and the
right-hand side runs over the lanes in a loop that LLVM compiles to SIMD arithmetic
(:mod:`t2pump.simulation.lanes`; benchmarks/README.md). The kernel is serial and releases the GIL:
the cohort loop runs parts of the cohort in threads, one core each.

There is one definition of the model: :func:`t2pump.physiology.dalla_man_2007.rhs` (and the
gastric-emptying and glucotoxicity functions it calls) is compiled here as it is, on one patient's
lane of a block, the NumPy engine runs the very same function on whole rows, and a test checks the two
agree. :func:`~t2pump.physiology.elementwise.select` and ``tanh`` get their scalar forms here (an
LLVM select; exp in arithmetic, :func:`~t2pump.simulation.lanes.exp_arith`). The integrator is
compiled with fused multiply-adds (``fastmath={"contract"}``, nothing else): the kernel and the NumPy
engine then differ in the last bits (about 1e-13 mg/dL over days), and tests compare them to 1e-11.

The per-minute bookkeeping (:func:`_begin_minute`: eating at a finite rate and the meal size D of
gastric emptying, the pump's basal pulses and bolus speed, the record period's sums) follows
:class:`~t2pump.physiology.dalla_man_2007.DallaManRun` and
:class:`~t2pump.therapy.cohort_therapy.CohortCsii` with selects instead of branches, so it runs on
the lanes too; tests compare the kernel with them. Bolus insulin on board is a ring over the next
minutes: each delivered chunk adds its curve once, and records and the wizard read one slot, instead
of summing the last 300 minutes of deliveries at every record.

GPU: the model function is elementwise and takes indexable arguments (NumPy rows, scalars, lane
views), the shape ``numba.cuda.jit`` (one thread per patient, a lane view per thread) or a JAX
``vmap`` over patients needs; it is not to change for that.
"""

from __future__ import annotations

import hashlib
import inspect
import math
from typing import Any

import numpy as np
from numba import njit, types
from numba.core.caching import CompileResultCacheImpl, InTreeCacheLocator
from numba.extending import overload, register_jitable
from numpy.typing import NDArray

from t2pump.devices import cgm
from t2pump.physiology import dalla_man_2007, elementwise, exercise, meal, progression
from t2pump.physiology.dalla_man_2007 import (
    BW,
    GAMMA,
    N_INPUTS,
    N_PARAMS,
    U_ACTIVITY,
    U_BASAL,
    U_CHO,
    U_MEAL_D,
    U_RAPID,
    U_SI,
    VG,
)
from t2pump.simulation import engine, lanes
from t2pump.simulation.engine import TINY as _TINY
from t2pump.simulation.lanes import LANES, lane_view
from t2pump.therapy import cohort_therapy, limits
from t2pump.units import PMOL_PER_U

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

__all__ = [
    "AUX_NAMES",
    "DAY_INPUTS",
    "EVENT_NAMES",
    "N_KERNEL_STATES",
    "REC_NAMES",
    "REC_SNAPSHOTS",
    "REC_SUMS",
    "advance",
    "pack_blocks",
    "unpack_states",
]


@overload(elementwise.select, inline="always")
def _select_scalar(cond: Any, if_true: Any, if_false: Any) -> Any:
    if isinstance(cond, types.Boolean):

        def impl(cond: Any, if_true: Any, if_false: Any) -> Any:
            return lanes.select(cond, if_true, if_false)

        return impl
    return None


@overload(elementwise.tanh, inline="always")
def _tanh_scalar(z: Any) -> Any:
    """elementwise.tanh's formula with :func:`~t2pump.simulation.lanes.exp_arith` for ``np.exp``."""
    if isinstance(z, types.Float):

        def impl(z: Any) -> Any:
            sat = elementwise.TANH_SATURATION
            zc = lanes.select(z > sat, sat, lanes.select(z < -sat, -sat, z))
            return 1.0 - 2.0 / (lanes.exp_arith(2.0 * zc) + 1.0)

        return impl
    return None


# The model functions compile as written (they stay plain Python for the NumPy path).
for _f in (
    meal.gastric_emptying_rate,
    progression.glucotoxic_steady_factor,
    progression.glucotoxic_rates,
    exercise.heart_rate_above_rest,
    exercise.exercise_rates,
    exercise.exercise_effects,
    exercise.insulin_dependent_utilisation,
    dalla_man_2007._glucotoxic_factor,
    dalla_man_2007.rhs,
    # the meal-bolus decision: what the sensor shows, the wizard, the limits
    cgm.shown_glucose,
    cohort_therapy.wizard_bolus_values,
    limits._cap,
    limits._floor_to_step,
    limits.limit_bolus_values,
):
    register_jitable(inline="always")(_f)
_rhs = dalla_man_2007.rhs


# Numba's on-disk cache keys a compiled function on its own file's content only: an edit to the
# model (dalla_man_2007.rhs, compiled into the kernel) would silently reuse a stale kernel. This
# locator adds the content of every file the kernel compiles in to the cache key.
_COMPILED_IN = (
    elementwise,
    meal,
    progression,
    exercise,
    dalla_man_2007,
    lanes,
    engine,
    cgm,
    cohort_therapy,
    limits,
)


def _compiled_in_digest() -> str:
    digest = hashlib.sha256()
    for module in _COMPILED_IN:
        digest.update(inspect.getsource(module).encode())
    return digest.hexdigest()


class _ModelAwareCacheLocator(InTreeCacheLocator):
    """numba's in-tree cache locator, for this file only, with the model files in the key."""

    _digest = _compiled_in_digest()

    def get_source_stamp(self) -> object:
        return (super().get_source_stamp(), self._digest)  # type: ignore[no-untyped-call]

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> Any:
        if py_file != __file__:
            return None
        return super().from_function(py_func, py_file)  # type: ignore[no-untyped-call]


if _ModelAwareCacheLocator not in CompileResultCacheImpl._locator_classes:
    CompileResultCacheImpl._locator_classes.insert(0, _ModelAwareCacheLocator)

N_KERNEL_STATES = 21  # the model's 19 states + (g_bar, phi_g), constant when glucotoxicity is off
# Per-patient bookkeeping carried between calls, rows of ``aux``.
AUX_NAMES = (
    "planned_g", "last_eaten_g", "meal_start_qsto_mg", "meal_eaten_g", "bolus_queue_u", "basal_acc_u",
    "bolus_exposure", "open_basal_u", "open_bolus_u", "open_carbs_g",
)  # fmt: skip
_PLANNED, _LAST, _MEAL_START, _MEAL_EATEN, _QUEUE, _BASAL_ACC, _EXPOSURE = range(7)
_OPEN_SUMS = 7  # REC_SUMS of the record period in progress (rows 7-9), recorded at its end
_N_AUX = len(AUX_NAMES)
REC_SUMS = ("insulin_basal", "insulin_bolus", "carbs")  # summed over each record period
REC_SNAPSHOTS = ("bg_plasma", "g_sub", "secretion", "iob")  # at the end of each record period
REC_NAMES = REC_SUMS + REC_SNAPSHOTS  # rows of ``advance``'s ``rec``
# The day's inputs of each minute, rows of the kernel's input copy.
DAY_INPUTS = ("carbs_g", "basal_u_per_h", "depot_u", "depot_exposure", "si_factor", "activity")
_IN_CARBS, _IN_BASAL, _IN_DEPOT, _IN_EXPO, _IN_SI, _IN_ACTIVITY = range(6)
_N_IN = len(DAY_INPUTS)
# A day's announced meal boluses, one column per announcement (patients in order, then minutes):
# what the cohort loop knows before the day (carbohydrate entered, the bolus depot's exposure
# factor, a meter's error, the CGM sample's error terms) and what the kernel's decision writes
# (the reading and IOB the wizard saw, its requested and limited dose, the clamp codes).
EVENT_NAMES = (
    "carbs_g", "exposure", "meter_noise_mgdl", "cgm_gain", "cgm_offset_mgdl", "cgm_ok",
    "reading_mgdl", "iob_u", "requested_u", "dose_u", "clamp_codes",
)  # fmt: skip
_EV_CARBS, _EV_EXPOSURE, _EV_NOISE, _EV_GAIN, _EV_OFFSET, _EV_OK = range(6)
_EV_READING, _EV_IOB, _EV_REQUESTED, _EV_DOSE, _EV_CODES = range(6, 11)
_ROUNDED = int(limits.ClampCode.ROUNDED)
_W_CR, _W_ISF, _W_LOW, _W_HIGH, _W_PATIENT_MAX, _W_DEVICE_MAX = (
    cohort_therapy.WIZARD_ROWS.index(name)
    for name in (
        "carb_ratio_g_per_u", "isf_mgdl_per_u", "target_low_mgdl", "target_high_mgdl",
        "patient_max_bolus_u", "device_max_bolus_u",
    )
)  # fmt: skip
_PULSE_EPS = 1e-9  # as CohortCsii's pulse arithmetic: floor(acc / pulse + eps)
_MIN_PER_H = 60.0


# One block's scratch (simulation.lanes): rows of LANES values, lane j = patient block_start + j.
_NS = N_KERNEL_STATES
_R_X, _R_XT, _R_K1, _R_K2, _R_K3, _R_K4 = (r * _NS for r in range(6))  # state, stage input, stages
_R_P = 6 * _NS  # parameters (N_PARAMS rows)
_R_U = _R_P + N_PARAMS  # the model's inputs of the current minute (N_INPUTS rows)
_R_ACT = _R_U + N_INPUTS  # 1.0 where the lane's patient runs, else 0.0
_R_AUX = _R_ACT + 1  # the bookkeeping (AUX_NAMES rows)
_R_IN = _R_AUX + _N_AUX  # the day's inputs of the current minute (DAY_INPUTS rows)
_R_CHUNK = _R_IN + _N_IN  # bolus delivered in the current minute [U]
_N_ROWS = _R_CHUNK + 1


@njit(error_model="numpy", fastmath={"contract"})
def _stage(s: Any, gtox: Any, x_row: int, k_row: int) -> None:
    """k = rhs(x) for every lane: the loop LLVM vectorises over patients (simulation.lanes).

    The loop is written twice so that the model's branches on whether glucotoxicity is modelled
    are decided outside it (LLVM does not unswitch them by itself, and a branch in the loop body
    keeps it scalar)."""
    if gtox.shape[0] > 0:
        for j in range(LANES):
            _rhs(
                lane_view(s, x_row * LANES + j),
                lane_view(s, _R_P * LANES + j),
                lane_view(s, _R_U * LANES + j),
                gtox,
                lane_view(s, k_row * LANES + j),
            )
    else:
        for j in range(LANES):
            _rhs(
                lane_view(s, x_row * LANES + j),
                lane_view(s, _R_P * LANES + j),
                lane_view(s, _R_U * LANES + j),
                gtox,
                lane_view(s, k_row * LANES + j),
            )


@njit(error_model="numpy", fastmath={"contract"})
def _stage_input(s: Any, k_row: int, h: float) -> None:
    """Stage input x + h k for every state and lane."""
    for q in range(_NS * LANES):
        s[_R_XT * LANES + q] = s[_R_X * LANES + q] + h * s[k_row * LANES + q]


@njit(error_model="numpy", fastmath={"contract"})
def _rk4(s: Any, gtox: Any, dt: float) -> None:
    """One classical RK4 step for the active lanes, the arithmetic of
    :func:`t2pump.simulation.engine.rk4_step` (with fused multiply-adds; states below
    ``engine.TINY`` set to zero); inactive lanes keep their state."""
    _stage(s, gtox, _R_X, _R_K1)
    _stage_input(s, _R_K1, 0.5 * dt)
    _stage(s, gtox, _R_XT, _R_K2)
    _stage_input(s, _R_K2, 0.5 * dt)
    _stage(s, gtox, _R_XT, _R_K3)
    _stage_input(s, _R_K3, dt)
    _stage(s, gtox, _R_XT, _R_K4)
    for r in range(_NS):
        for j in range(LANES):
            q = r * LANES + j
            x = s[_R_X * LANES + q]
            k1, k2 = s[_R_K1 * LANES + q], s[_R_K2 * LANES + q]
            k3, k4 = s[_R_K3 * LANES + q], s[_R_K4 * LANES + q]
            new = x + (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            new = lanes.select(np.abs(new) < _TINY, 0.0, new)  # engine.TINY: the underflow guard
            s[_R_X * LANES + q] = lanes.select(s[_R_ACT * LANES + j] > 0.0, new, x)


@njit(error_model="numpy")
def _begin_minute(s: Any, eat_rate: float, pulse_u: float, bolus_speed: float) -> None:
    """The minute's bookkeeping for every lane, from the day's inputs (rows ``_R_IN``) to the
    model's inputs (rows ``_R_U``), without a branch (so that it runs on SIMD lanes too):

    * eating at a finite rate; D of gastric emptying is the meal's stomach content when it started
      plus what has been eaten of it (:class:`~t2pump.physiology.dalla_man_2007.DallaManRun`);
    * the pump's basal in whole pulses and its bolus at the pump's speed (a pen dose, at infinite
      speed, in its minute): :class:`~t2pump.therapy.cohort_therapy.CohortCsii`'s arithmetic;
    * the open record period's sums.
    """
    for j in range(LANES):
        v = lane_view(s, j)
        cho, depot = v[_R_IN + _IN_CARBS], v[_R_IN + _IN_DEPOT]
        planned = v[_R_AUX + _PLANNED] + cho
        to_eat = lanes.select(planned < eat_rate, planned, eat_rate)  # min(eat_rate, planned)
        v[_R_AUX + _PLANNED] = planned - to_eat
        # a meal starts where eating starts: D restarts from the stomach's content
        starts_now = v[_R_AUX + _LAST] <= 0.0
        eating = to_eat > 0.0
        start, eaten = v[_R_AUX + _MEAL_START], v[_R_AUX + _MEAL_EATEN]
        start = lanes.select(eating, lanes.select(starts_now, v[_R_X] + v[_R_X + 1], start), start)
        eaten = lanes.select(eating, lanes.select(starts_now, 0.0, eaten), eaten) + to_eat
        v[_R_AUX + _MEAL_START], v[_R_AUX + _MEAL_EATEN], v[_R_AUX + _LAST] = start, eaten, to_eat
        acc = v[_R_AUX + _BASAL_ACC] + v[_R_IN + _IN_BASAL] / _MIN_PER_H
        basal_u = np.floor(acc / pulse_u + _PULSE_EPS) * pulse_u
        v[_R_AUX + _BASAL_ACC] = acc - basal_u
        queue = v[_R_AUX + _QUEUE]
        chunk = lanes.select(bolus_speed < queue, bolus_speed, queue)  # min(queue, bolus_speed)
        v[_R_AUX + _QUEUE] = queue - chunk
        v[_R_CHUNK] = chunk
        bw = v[_R_P + BW]
        v[_R_U + U_CHO] = to_eat * 1000.0
        v[_R_U + U_RAPID] = (basal_u + chunk * v[_R_AUX + _EXPOSURE]) * PMOL_PER_U / bw
        v[_R_U + U_BASAL] = depot * v[_R_IN + _IN_EXPO] * PMOL_PER_U / bw
        v[_R_U + U_MEAL_D] = start + eaten * 1000.0
        v[_R_U + U_SI] = v[_R_IN + _IN_SI]
        v[_R_U + U_ACTIVITY] = v[_R_IN + _IN_ACTIVITY]
        v[_R_AUX + _OPEN_SUMS] = v[_R_AUX + _OPEN_SUMS] + basal_u + depot
        v[_R_AUX + _OPEN_SUMS + 1] = v[_R_AUX + _OPEN_SUMS + 1] + chunk
        v[_R_AUX + _OPEN_SUMS + 2] = v[_R_AUX + _OPEN_SUMS + 2] + cho


@njit(error_model="numpy")
def _decide(
    s: Any,
    j: int,
    i: int,
    e: int,
    slot: int,
    m: int,
    events: Any,
    wizard: Any,
    step: float,
    sensor: Any,
    iob_ring: Any,
    samples: Any,
    cgm_period: int,
    capped: Any,
    rec_at: int,
    fail: Any,
) -> bool:
    """Lane ``j`` (patient ``i``) announces meal ``e`` of the day at minute ``m``: the wizard dose
    through the limits (:func:`t2pump.therapy.cohort_therapy.wizard_bolus_values`,
    :func:`t2pump.therapy.limits.limit_bolus_values`, compiled as they are) is queued for delivery.

    The reading is the last CGM sample as the sensor shows it (:func:`t2pump.devices.cgm.shown_glucose`;
    plasma glucose where it shows none), or interstitial glucose plus a meter's error without a sensor.
    The IOB is the bolus on board at the start of the minute (the ring's slot, before the minute's
    delivery). Returns False (and marks the patient failed) if the requested dose is not finite."""
    vg = s[(_R_P + VG) * LANES + j]
    if sensor[0] > 0.0:
        g = samples[i, m // cgm_period]
        value = cgm.shown_glucose(
            g, events[_EV_GAIN, e], events[_EV_OFFSET, e], events[_EV_OK, e] > 0.0, sensor[1], sensor[2]
        )
        plasma = s[(_R_X + 3) * LANES + j] / vg
        reading = plasma if math.isnan(value) else value
    else:
        reading = s[(_R_X + 12) * LANES + j] / vg + events[_EV_NOISE, e]
    iob = iob_ring[i, slot]
    cr, isf, low, high = wizard[_W_CR, i], wizard[_W_ISF, i], wizard[_W_LOW, i], wizard[_W_HIGH, i]
    requested = cohort_therapy.wizard_bolus_values(events[_EV_CARBS, e], reading, iob, cr, isf, low, high)
    events[_EV_READING, e], events[_EV_IOB, e], events[_EV_REQUESTED, e] = reading, iob, requested
    if not math.isfinite(requested):
        fail[i] = m + 1
        return False
    patient_max, device_max = wizard[_W_PATIENT_MAX, i], wizard[_W_DEVICE_MAX, i]
    dose, codes = limits.limit_bolus_values(requested, patient_max, device_max, step)
    events[_EV_DOSE, e], events[_EV_CODES, e] = dose, codes
    s[(_R_AUX + _QUEUE) * LANES + j] += dose
    s[(_R_AUX + _EXPOSURE) * LANES + j] = events[_EV_EXPOSURE, e]  # one depot per bolus: its factor
    if codes & ~_ROUNDED:  # a cap (not the rounding to the increment): counted in the records
        capped[i, rec_at] += 1.0
    return True


@njit(nogil=True, cache=True, error_model="numpy")
def advance(  # noqa: PLR0912, PLR0915 - a block's minutes in one compiled loop body
    blocks: Any,  # (blocks, _N_ROWS * LANES) the blocks' scratch (pack_blocks), updated in place
    gtox: Any,  # Glucotoxicity.as_array() or empty
    pos: Any,  # (n,) int64: each patient's next minute of the day, advanced
    stop: Any,  # (n,) int64: each patient stops before this minute
    substeps: int,
    every: int,  # record period [min]
    cgm_period: int,  # CGM sample period [min]
    eat_rate: float,  # [g/min]
    pulse_u: float,  # pump basal pulse [U] (any positive value when there is no pump)
    bolus_speed: float,  # [U/min] (inf: a pen dose is given in its minute)
    day_inputs: Any,  # tuple of the DAY_INPUTS, each (n, columns): column c holds minutes
    input_minutes: Any,  # (len(DAY_INPUTS),) int64: c * input_minutes[k] ... of the day (1: by minute)
    iob_w: Any,  # (lag + 1,) IOB fraction of a delivery 0 ... lag minutes old
    iob_ring: Any,  # (n, lag + 1) bolus IOB [U] by minute of the run modulo lag + 1, updated
    k0: int,  # minute of the run at the day's minute 0
    rec: Any,  # tuple of the REC_NAMES arrays, each (n, records of the run), written
    r0: int,  # record of the run at the day's first record
    samples: Any,  # (n, L // cgm_period + 1) interstitial glucose at the CGM sample times, written
    fail: Any,  # (n,) int64: minute + 1 of a blow-up, -1 if none
    event_ptr: Any,  # (n + 1,) int64: patient i's announcements are columns event_ptr[i] ... [i + 1] - 1
    event_minute: Any,  # (announcements,) int64: minute of the day, increasing per patient
    events: Any,  # (EVENT_NAMES, announcements): inputs read, decisions written
    wizard: Any,  # (cohort_therapy.WIZARD_ROWS, n) the patients' wizard settings and maxima
    bolus_step: float,  # the device's bolus step [U]
    sensor: Any,  # (3,): 1.0 with a CGM (0.0: a meter), its range's low and high [mg/dL]
    capped: Any,  # (n, records of the run): capped doses, counted
) -> None:
    """Run minutes ``pos[i] <= m < stop[i]`` of the day for every patient ``i`` (module docstring),
    taking each announced meal's bolus decision at the top of its minute (:func:`_decide`).

    Patients are independent. A block of LANES patients runs its minutes together: all its running
    patients must be at the same minute with the same stop, otherwise ValueError. A patient's
    arithmetic is the same in any lane and any block (no value crosses lanes), so results do not
    depend on the cohort's size or on how a day is split into calls.

    Bolus insulin on board: each minute's delivered bolus is added, times the curve, to the
    ``iob_ring`` slots of the minutes it will be on board (``lag + 1`` of them, the ring's size); a
    slot is read at its minute (the record's IOB; the wizard's IOB is the slot of the decision
    minute before that minute's delivery) and cleared when the minute ends.
    """
    n = pos.shape[0]
    ns = N_KERNEL_STATES
    dt = 1.0 / substeps
    lag = iob_w.shape[0] - 1
    ring = iob_ring.shape[1]
    n_blocks = (n + LANES - 1) // LANES
    mismatch = np.zeros(n_blocks, dtype=np.bool_)
    running = np.zeros(LANES, dtype=np.bool_)
    touched = np.zeros(LANES, dtype=np.bool_)
    nxt = np.zeros(LANES, dtype=np.int64)  # each lane's next announcement (column of events)
    for b in range(n_blocks):
        i0 = b * LANES
        width = min(LANES, n - i0)
        running[:] = False
        m0, m1 = -1, -1
        for j in range(width):
            i = i0 + j
            if fail[i] < 0 and pos[i] < stop[i]:
                running[j] = True
                if m0 < 0:
                    m0, m1 = pos[i], stop[i]
                elif pos[i] != m0 or stop[i] != m1:
                    mismatch[b] = True
        if m0 < 0 or mismatch[b]:
            continue
        steps = m1 - m0
        touched[:] = running
        s = blocks[b]
        decide_at = m1  # the block's next announcement minute (m1: none before its stop)
        for j in range(LANES):
            s[_R_ACT * LANES + j] = 1.0 if running[j] else 0.0
            if j < width:
                e = event_ptr[i0 + j]
                while e < event_ptr[i0 + j + 1] and event_minute[e] < m0:
                    e += 1
                nxt[j] = e
                if running[j] and e < event_ptr[i0 + j + 1]:
                    decide_at = min(decide_at, event_minute[e])
        rec_left, r = every - m0 % every, m0 // every
        cgm_left, c = cgm_period - m0 % cgm_period, m0 // cgm_period
        for t in range(steps):
            m = m0 + t
            slot = (k0 + m) % ring
            if m == decide_at:  # decisions of the lanes announcing now, then the block's next one
                decide_at = m1
                for j in range(width):
                    i, e = i0 + j, nxt[j]
                    if running[j] and e < event_ptr[i + 1] and event_minute[e] == m:
                        ok = _decide(
                            s, j, i, e, slot, m, events, wizard, bolus_step, sensor, iob_ring, samples,
                            cgm_period, capped, r0 + r, fail,
                        )  # fmt: skip
                        if not ok:
                            running[j] = False
                            s[_R_ACT * LANES + j] = 0.0
                        e += 1
                        nxt[j] = e
                    if running[j] and e < event_ptr[i + 1]:
                        decide_at = min(decide_at, event_minute[e])
            for k in range(_N_IN):  # the day's inputs of the minute, into the lanes
                day_input, col = day_inputs[k], m // input_minutes[k]
                for j in range(width):
                    s[(_R_IN + k) * LANES + j] = day_input[i0 + j, col]
            _begin_minute(s, eat_rate, pulse_u, bolus_speed)
            for _ in range(substeps):
                _rk4(s, gtox, dt)
            for j in range(width):
                chunk = s[_R_CHUNK * LANES + j]
                if chunk > 0.0 and running[j]:
                    for a in range(lag + 1):  # on board for the next lag minutes, by age
                        q = slot + a
                        if q >= ring:
                            q -= ring
                        iob_ring[i0 + j, q] += chunk * iob_w[a]
            cgm_left -= 1
            if cgm_left == 0:
                cgm_left, c = cgm_period, c + 1
                for j in range(width):
                    if running[j]:
                        samples[i0 + j, c] = s[(_R_X + 12) * LANES + j] / s[(_R_P + VG) * LANES + j]
            rec_left -= 1
            if rec_left == 0:
                for j in range(width):
                    if not running[j]:
                        continue
                    i = i0 + j
                    vg = s[(_R_P + VG) * LANES + j]
                    bg = s[(_R_X + 3) * LANES + j] / vg
                    ok = bg >= 0.0
                    for k in range(ns):
                        ok = ok and math.isfinite(s[(_R_X + k) * LANES + j])
                    if not ok:
                        fail[i] = m + 1
                        running[j] = False
                        s[_R_ACT * LANES + j] = 0.0
                        continue
                    for k in range(len(REC_SUMS)):
                        rec[k][i, r0 + r] = s[(_R_AUX + _OPEN_SUMS + k) * LANES + j]
                        s[(_R_AUX + _OPEN_SUMS + k) * LANES + j] = 0.0
                    rec[3][i, r0 + r] = bg
                    rec[4][i, r0 + r] = s[(_R_X + 12) * LANES + j] / vg
                    gamma, bw = s[(_R_P + GAMMA) * LANES + j], s[(_R_P + BW) * LANES + j]
                    rec[5][i, r0 + r] = gamma * s[(_R_X + 10) * LANES + j] * bw
                    rec[6][i, r0 + r] = iob_ring[i, slot]
                rec_left, r = every, r + 1
            for j in range(width):
                if running[j]:
                    iob_ring[i0 + j, slot] = 0.0
        for j in range(width):
            if touched[j]:
                pos[i0 + j] = stop[i0 + j]
    if np.any(mismatch):
        raise ValueError("advance: a block's running patients must share their minute and stop")


# ---- the blocks' scratch from and to patient-major arrays (NumPy, outside the minute loop) -----
def pack_blocks(x: FloatArray, p: FloatArray, aux: FloatArray) -> FloatArray:
    """The scratch of every block of LANES patients for :func:`advance`: states ``x``
    (N_KERNEL_STATES, n), parameters ``p`` (N_PARAMS, n) and bookkeeping ``aux`` (AUX_NAMES, n)
    in their lanes. It stays the patients' state between calls, so a call does not copy it in
    and out. Lanes past the cohort's end repeat their block's first patient and never run."""
    n = x.shape[1]
    n_blocks = -(-n // LANES)
    lane = np.arange(n_blocks * LANES)
    src = np.where(lane < n, lane, (lane // LANES) * LANES)
    scratch = np.zeros((n_blocks, _N_ROWS, LANES))
    for row, values in ((_R_X, x), (_R_P, p), (_R_AUX, aux)):
        rows = values.shape[0]
        scratch[:, row : row + rows, :] = values[:, src].reshape(rows, n_blocks, LANES).transpose(1, 0, 2)
    return scratch.reshape(n_blocks, _N_ROWS * LANES)


def unpack_states(blocks: FloatArray, n: int) -> FloatArray:
    """The patients' states (N_KERNEL_STATES, n) from the blocks' scratch."""
    lanes3 = blocks.reshape(blocks.shape[0], _N_ROWS, LANES)[:, _R_X : _R_X + _NS, :]
    return np.ascontiguousarray(lanes3.transpose(1, 0, 2).reshape(_NS, -1)[:, :n])
