"""The compiled minute kernel: blocks of patients on SIMD lanes, blocks in parallel.

The cohort loop (:mod:`t2pump.simulation.cohort_run`) owns time: it prepares each day's inputs as
arrays over patients, takes the therapy decisions (wizard doses through the limits) at the minutes
they are due, and between decisions calls :func:`advance`, which runs the minutes for all patients.
Patients go in blocks of :data:`~t2pump.simulation.lanes.LANES` (spread over the cores with
``numba.prange``); a block's states, parameters, inputs and RK4 stages live in one lane-major
scratch array for the whole stretch, and the right-hand side runs over the lanes in a loop that LLVM
compiles to SIMD arithmetic (:mod:`t2pump.simulation.lanes`; benchmarks/README.md).

There is one definition of the model: :func:`t2pump.physiology.dalla_man_2007.rhs` (and the
gastric-emptying and glucotoxicity functions it calls) is compiled here as it is, on one patient's
lane of a block, the NumPy engine runs the very same function on whole rows, and a test checks the two
agree. :func:`~t2pump.physiology.elementwise.select` and ``tanh`` get their scalar forms here (an
LLVM select; exp in arithmetic, :func:`~t2pump.simulation.lanes.exp_arith`). The per-minute bookkeeping
(eating at a finite rate and the meal size D of gastric emptying, the pump's basal pulses and bolus
speed) follows :class:`~t2pump.physiology.dalla_man_2007.DallaManRun` and
:class:`~t2pump.therapy.cohort_therapy.CohortCsii`; tests compare the kernel with them.

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
from numba import njit, prange, types
from numba.core.caching import CompileResultCacheImpl, InTreeCacheLocator
from numba.extending import overload, register_jitable

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
from t2pump.simulation import lanes
from t2pump.simulation.lanes import LANES, lane_view
from t2pump.units import PMOL_PER_U

__all__ = [
    "AUX_NAMES",
    "N_KERNEL_STATES",
    "REC_SNAPSHOTS",
    "REC_SUMS",
    "advance",
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
):
    register_jitable(inline="always")(_f)
_rhs = dalla_man_2007.rhs


# Numba's on-disk cache keys a compiled function on its own file's content only: an edit to the
# model (dalla_man_2007.rhs, compiled into the kernel) would silently reuse a stale kernel. This
# locator adds the content of every file the kernel compiles in to the cache key.
_COMPILED_IN = (elementwise, meal, progression, exercise, dalla_man_2007, lanes)


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
    "bolus_exposure", "minutes_since_bolus", "open_basal_u", "open_bolus_u", "open_carbs_g",
)  # fmt: skip
_PLANNED, _LAST, _MEAL_START, _MEAL_EATEN, _QUEUE, _BASAL_ACC, _BOLUS_EXPOSURE, _SINCE_BOLUS = range(8)
_OPEN_SUMS = 8  # REC_SUMS of the record period in progress (rows 8-10), added to rec_sum at its end
REC_SUMS = ("insulin_basal", "insulin_bolus", "carbs")  # summed over each record period
REC_SNAPSHOTS = ("bg_plasma", "g_sub", "secretion", "iob")  # at the end of each record period
_PULSE_EPS = 1e-9  # as CohortCsii's pulse arithmetic: floor(acc / pulse + eps)
_MIN_PER_H = 60.0


# One block's scratch (simulation.lanes): rows of LANES values, lane j = patient block_start + j.
_NS = N_KERNEL_STATES
_R_X, _R_XT, _R_K1, _R_K2, _R_K3, _R_K4 = (r * _NS for r in range(6))  # state, stage input, stages
_R_P = 6 * _NS  # parameters (N_PARAMS rows)
_R_U = _R_P + N_PARAMS  # inputs of the current minute (N_INPUTS rows)
_R_ACT = _R_U + N_INPUTS  # 1.0 where the lane's patient runs this minute, else 0.0
_N_ROWS = _R_ACT + 1


@njit(error_model="numpy")
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


@njit(error_model="numpy")
def _stage_input(s: Any, k_row: int, h: float) -> None:
    """Stage input x + h k for every state and lane."""
    for q in range(_NS * LANES):
        s[_R_XT * LANES + q] = s[_R_X * LANES + q] + h * s[k_row * LANES + q]


@njit(error_model="numpy")
def _rk4(s: Any, gtox: Any, dt: float) -> None:
    """One classical RK4 step for the active lanes, the arithmetic of
    :func:`t2pump.simulation.engine.rk4_step`; inactive lanes keep their state."""
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
            s[_R_X * LANES + q] = lanes.select(s[_R_ACT * LANES + j] > 0.0, new, x)


@njit(parallel=True, cache=True, error_model="numpy")
def advance(  # noqa: PLR0912, PLR0915 - a block's minutes in one compiled loop body
    x: Any,  # (N_KERNEL_STATES, n) state, updated in place
    aux: Any,  # (len(AUX_NAMES), n) bookkeeping, updated in place
    p: Any,  # (N_PARAMS, n) DallaMan2007.params
    gtox: Any,  # Glucotoxicity.as_array() or empty
    pos: Any,  # (n,) int64: each patient's next minute (index into the day's arrays), advanced
    stop: Any,  # (n,) int64: each patient stops before this minute
    substeps: int,
    every: int,  # record period [min]
    cgm_period: int,  # CGM sample period [min]
    eat_rate: float,  # [g/min]
    pulse_u: float,  # pump basal pulse [U] (any positive value when there is no pump)
    bolus_speed: float,  # [U/min] (inf: a pen dose is given in its minute)
    carbs: Any,  # (n, L) carbohydrate taken [g per minute]
    basal_rate: Any,  # (n, L) programmed basal [U/h]
    depot_u: Any,  # (n, L) basal-depot injections [U]
    expo_basal: Any,  # (n, L) within-patient exposure factors of basal-depot injections
    si: Any,  # (n, L) insulin-action factor
    activity: Any,  # (n, L) physical activity [fraction of VO2max]
    bolus_out: Any,  # (n, L) bolus insulin delivered [U], written
    bolus_tail: Any,  # (n, lag) bolus delivered in the lag minutes before the day [U]
    iob_w: Any,  # (lag + 1,) IOB fraction of a delivery 0 ... lag minutes old
    rec_sum: Any,  # (3, n, L // every), REC_SUMS, added to
    rec_snap: Any,  # (4, n, L // every), REC_SNAPSHOTS, written
    samples: Any,  # (n, L // cgm_period + 1) interstitial glucose at the CGM sample times, written
    fail: Any,  # (n,) int64: minute + 1 of a blow-up, -1 if none
) -> None:
    """Run minutes ``pos[i] <= m < stop[i]`` of the day for every patient ``i`` (module docstring).

    Patients are independent between decisions, so each runs to its own next decision minute: a
    block of LANES patients steps until its last patient is done, each lane on its own minute
    (``pos[i] + t``) and frozen once its stretch ends. A patient's arithmetic is the same in any
    lane and any block (no value crosses lanes), so results do not depend on the cohort's size.
    """
    n = x.shape[1]
    ns = x.shape[0]
    dt = 1.0 / substeps
    lag = iob_w.shape[0] - 1
    n_blocks = (n + LANES - 1) // LANES
    for b in prange(n_blocks):
        i0 = b * LANES
        width = min(LANES, n - i0)
        running = np.zeros(width, dtype=np.bool_)
        steps = 0
        for j in range(width):
            running[j] = fail[i0 + j] < 0 and pos[i0 + j] < stop[i0 + j]
            if running[j]:
                steps = max(steps, stop[i0 + j] - pos[i0 + j])
        if steps == 0:
            continue
        s = np.zeros(_N_ROWS * LANES)
        for j in range(LANES):  # lanes past the cohort's end repeat its first patient, never active
            i = i0 + j if j < width else i0
            for r in range(ns):
                s[(_R_X + r) * LANES + j] = x[r, i]
            for r in range(p.shape[0]):
                s[(_R_P + r) * LANES + j] = p[r, i]
        lane_aux = aux[:, i0 : i0 + width].copy()
        planned, last = lane_aux[_PLANNED], lane_aux[_LAST]
        meal_start, meal_eaten = lane_aux[_MEAL_START], lane_aux[_MEAL_EATEN]
        queue, acc = lane_aux[_QUEUE], lane_aux[_BASAL_ACC]
        bolus_exposure, since_bolus = lane_aux[_BOLUS_EXPOSURE], lane_aux[_SINCE_BOLUS]
        touched = running.copy()
        # record period and CGM sample of each lane's minute, counted down (no division per minute)
        rec_r, rec_left = np.empty(width, dtype=np.int64), np.empty(width, dtype=np.int64)
        cgm_j, cgm_left = np.empty(width, dtype=np.int64), np.empty(width, dtype=np.int64)
        for j in range(width):
            m0 = pos[i0 + j]
            rec_r[j], rec_left[j] = m0 // every, every - m0 % every
            cgm_j[j], cgm_left[j] = m0 // cgm_period, cgm_period - m0 % cgm_period
        # the block's inputs for its minutes, copied lane-major: the minute loop then reads one
        # contiguous row a minute instead of 16 x 6 scattered values (about 10 % of kernel time)
        inp = np.zeros((steps, 6, LANES))
        for j in range(width):
            if running[j]:
                i, m0 = i0 + j, pos[i0 + j]
                for t in range(stop[i] - m0):
                    inp[t, 0, j] = carbs[i, m0 + t]
                    inp[t, 1, j] = basal_rate[i, m0 + t]
                    inp[t, 2, j] = depot_u[i, m0 + t]
                    inp[t, 3, j] = expo_basal[i, m0 + t]
                    inp[t, 4, j] = si[i, m0 + t]
                    inp[t, 5, j] = activity[i, m0 + t]
        sums = lane_aux[_OPEN_SUMS : _OPEN_SUMS + 3]  # open periods go on at the next call
        for t in range(steps):
            for j in range(width):
                i = i0 + j
                m = pos[i] + t
                if not (running[j] and m < stop[i]):
                    s[_R_ACT * LANES + j] = 0.0
                    continue
                s[_R_ACT * LANES + j] = 1.0
                cho, depot = inp[t, 0, j], inp[t, 2, j]
                # eating at a finite rate; D of gastric emptying is the meal's stomach content + intake
                planned[j] += cho
                to_eat = min(eat_rate, planned[j])
                planned[j] -= to_eat
                if to_eat > 0 and last[j] <= 0:
                    meal_start[j] = s[_R_X * LANES + j] + s[(_R_X + 1) * LANES + j]
                    meal_eaten[j] = 0.0
                meal_eaten[j] += to_eat
                last[j] = to_eat
                # pump: whole basal pulses, bolus at the pump's speed; pens: the whole dose now
                acc[j] += inp[t, 1, j] / _MIN_PER_H
                basal_u = math.floor(acc[j] / pulse_u + _PULSE_EPS) * pulse_u
                acc[j] -= basal_u
                chunk = min(queue[j], bolus_speed)
                queue[j] -= chunk
                bolus_out[i, m] = chunk
                since_bolus[j] = 0.0 if chunk > 0 else since_bolus[j] + 1.0
                bw = s[(_R_P + BW) * LANES + j]
                s[(_R_U + U_CHO) * LANES + j] = to_eat * 1000.0
                s[(_R_U + U_RAPID) * LANES + j] = (basal_u + chunk * bolus_exposure[j]) * PMOL_PER_U / bw
                s[(_R_U + U_BASAL) * LANES + j] = depot * inp[t, 3, j] * PMOL_PER_U / bw
                s[(_R_U + U_MEAL_D) * LANES + j] = meal_start[j] + meal_eaten[j] * 1000.0
                s[(_R_U + U_SI) * LANES + j] = inp[t, 4, j]
                s[(_R_U + U_ACTIVITY) * LANES + j] = inp[t, 5, j]
                sums[0, j] += basal_u + depot
                sums[1, j] += chunk
                sums[2, j] += cho
            for _ in range(substeps):
                _rk4(s, gtox, dt)
            for j in range(width):
                if s[_R_ACT * LANES + j] == 0.0:
                    continue
                i = i0 + j
                m = pos[i] + t
                vg = s[(_R_P + VG) * LANES + j]
                cgm_left[j] -= 1
                if cgm_left[j] == 0:
                    cgm_j[j] += 1
                    cgm_left[j] = cgm_period
                    samples[i, cgm_j[j]] = s[(_R_X + 12) * LANES + j] / vg
                rec_left[j] -= 1
                if rec_left[j] == 0:
                    r = rec_r[j]
                    rec_r[j] += 1
                    rec_left[j] = every
                    for k in range(3):
                        rec_sum[k, i, r] += sums[k, j]
                        sums[k, j] = 0.0
                    bg = s[(_R_X + 3) * LANES + j] / vg
                    ok = bg >= 0.0
                    for k in range(ns):
                        ok = ok and math.isfinite(s[(_R_X + k) * LANES + j])
                    if not ok:
                        fail[i] = m + 1
                        running[j] = False
                        continue
                    rec_snap[0, i, r] = bg
                    rec_snap[1, i, r] = s[(_R_X + 12) * LANES + j] / vg
                    gamma, bw = s[(_R_P + GAMMA) * LANES + j], s[(_R_P + BW) * LANES + j]
                    rec_snap[2, i, r] = gamma * s[(_R_X + 10) * LANES + j] * bw
                    if since_bolus[j] <= lag:  # bolus IOB: deliveries 0 ... lag minutes old
                        iob = 0.0
                        for a in range(lag + 1):
                            ta = m - a
                            iob += (bolus_out[i, ta] if ta >= 0 else bolus_tail[i, lag + ta]) * iob_w[a]
                        rec_snap[3, i, r] = iob
        for j in range(width):
            i = i0 + j
            if not touched[j]:
                continue
            for r in range(ns):
                x[r, i] = s[(_R_X + r) * LANES + j]
            pos[i] = stop[i]
            aux[:, i] = lane_aux[:, j]
