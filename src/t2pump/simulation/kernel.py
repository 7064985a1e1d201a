"""The compiled minute kernel: one patient's minutes, for every patient in parallel.

The cohort loop (:mod:`t2pump.simulation.cohort_run`) owns time: it prepares each day's inputs as
arrays over patients, takes the therapy decisions (wizard doses through the limits) at the minutes
they are due, and between decisions calls :func:`advance`, which runs the minutes for all patients.
Inside, each patient's state stays in a few local arrays for the whole stretch, and the patients are
spread over the cores (``numba.prange``). That removes what bounded the NumPy loop: about 60
temporary arrays allocated per right-hand-side evaluation, i.e. per-call overhead, not arithmetic
(benchmarks/README.md).

There is one definition of the model: :func:`t2pump.physiology.dalla_man_2007.rhs` (and the
gastric-emptying and glucotoxicity functions it calls) is compiled here as it is, on one patient's
scalars, the NumPy engine runs the very same function on whole rows, and a test checks the two agree.
:func:`~t2pump.physiology.elementwise.select` gets its scalar form here. The per-minute bookkeeping
(eating at a finite rate and the meal size D of gastric emptying, the pump's basal pulses and bolus
speed) follows :class:`~t2pump.physiology.dalla_man_2007.DallaManRun` and
:class:`~t2pump.therapy.cohort_therapy.CohortCsii`; tests compare the kernel with them.

GPU: the body of the ``prange`` loop is one patient's sequential work on scalars and small local
arrays, the shape ``numba.cuda.jit`` (one thread per patient) or a JAX ``vmap`` over patients needs;
the model function is not to change for that.
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
    U_ACTIVITY,
    U_BASAL,
    U_CHO,
    U_MEAL_D,
    U_RAPID,
    U_SI,
    VG,
)
from t2pump.units import PMOL_PER_U

__all__ = [
    "AUX_NAMES",
    "N_KERNEL_STATES",
    "REC_SNAPSHOTS",
    "REC_SUMS",
    "advance",
]


@overload(elementwise.select)
def _select_scalar(cond: Any, if_true: Any, if_false: Any) -> Any:
    if isinstance(cond, types.Boolean):

        def impl(cond: Any, if_true: Any, if_false: Any) -> Any:
            return if_true if cond else if_false

        return impl
    return None


# The model functions compile as written (they stay plain Python for the NumPy path).
for _f in (
    elementwise.tanh,
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
_COMPILED_IN = (elementwise, meal, progression, exercise, dalla_man_2007)


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
    "bolus_exposure", "minutes_since_bolus",
)  # fmt: skip
_PLANNED, _LAST, _MEAL_START, _MEAL_EATEN, _QUEUE, _BASAL_ACC, _BOLUS_EXPOSURE, _SINCE_BOLUS = range(8)
REC_SUMS = ("insulin_basal", "insulin_bolus", "carbs")  # summed over each record period
REC_SNAPSHOTS = ("bg_plasma", "g_sub", "secretion", "iob")  # at the end of each record period
_PULSE_EPS = 1e-9  # as CohortCsii's pulse arithmetic: floor(acc / pulse + eps)
_MIN_PER_H = 60.0


@njit(inline="always", error_model="numpy")
def _rk4(x: Any, p: Any, u: Any, gtox: Any, dt: float, k1: Any, k2: Any, k3: Any, k4: Any, xt: Any) -> None:
    """One classical RK4 step in place, the arithmetic of :func:`t2pump.simulation.engine.rk4_step`."""
    ns = x.shape[0]
    _rhs(x, p, u, gtox, k1)
    for j in range(ns):
        xt[j] = x[j] + 0.5 * dt * k1[j]
    _rhs(xt, p, u, gtox, k2)
    for j in range(ns):
        xt[j] = x[j] + 0.5 * dt * k2[j]
    _rhs(xt, p, u, gtox, k3)
    for j in range(ns):
        xt[j] = x[j] + dt * k3[j]
    _rhs(xt, p, u, gtox, k4)
    for j in range(ns):
        x[j] = x[j] + (dt / 6.0) * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j])


@njit(parallel=True, cache=True, error_model="numpy")
def advance(  # noqa: PLR0915 - one patient's minute in one compiled loop body
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

    Patients are independent between decisions, so each runs to its own next decision minute.
    """
    n = x.shape[1]
    ns = x.shape[0]
    dt = 1.0 / substeps
    for i in prange(n):
        if fail[i] >= 0 or pos[i] >= stop[i]:
            continue
        xi = x[:, i].copy()
        pi = p[:, i].copy()
        k1 = np.zeros(ns)
        k2 = np.zeros(ns)
        k3 = np.zeros(ns)
        k4 = np.zeros(ns)
        xt = np.zeros(ns)
        u = np.zeros(N_INPUTS)
        planned, last, meal_start, meal_eaten = (
            aux[_PLANNED, i],
            aux[_LAST, i],
            aux[_MEAL_START, i],
            aux[_MEAL_EATEN, i],
        )
        queue, acc, bolus_exposure = aux[_QUEUE, i], aux[_BASAL_ACC, i], aux[_BOLUS_EXPOSURE, i]
        since_bolus = aux[_SINCE_BOLUS, i]
        lag = iob_w.shape[0] - 1
        for m in range(pos[i], stop[i]):
            # eating at a finite rate; D of gastric emptying is the meal's stomach content + intake
            planned += carbs[i, m]
            to_eat = min(eat_rate, planned)
            planned -= to_eat
            if to_eat > 0 and last <= 0:
                meal_start = xi[0] + xi[1]
                meal_eaten = 0.0
            meal_eaten += to_eat
            last = to_eat
            # pump: whole basal pulses, bolus at the pump's speed; pens: the whole dose now
            acc += basal_rate[i, m] / _MIN_PER_H
            basal_u = math.floor(acc / pulse_u + _PULSE_EPS) * pulse_u
            acc -= basal_u
            chunk = min(queue, bolus_speed)
            queue -= chunk
            bolus_out[i, m] = chunk
            since_bolus = 0.0 if chunk > 0 else since_bolus + 1.0
            u[U_CHO] = to_eat * 1000.0
            u[U_RAPID] = (basal_u + chunk * bolus_exposure) * PMOL_PER_U / pi[BW]
            u[U_BASAL] = depot_u[i, m] * expo_basal[i, m] * PMOL_PER_U / pi[BW]
            u[U_MEAL_D] = meal_start + meal_eaten * 1000.0
            u[U_SI] = si[i, m]
            u[U_ACTIVITY] = activity[i, m]
            for _ in range(substeps):
                _rk4(xi, pi, u, gtox, dt, k1, k2, k3, k4, xt)
            r = m // every
            rec_sum[0, i, r] += basal_u + depot_u[i, m]
            rec_sum[1, i, r] += chunk
            rec_sum[2, i, r] += carbs[i, m]
            if (m + 1) % cgm_period == 0:
                samples[i, (m + 1) // cgm_period] = xi[12] / pi[VG]
            if (m + 1) % every == 0:
                bg = xi[3] / pi[VG]
                ok = bg >= 0.0
                for j in range(ns):
                    ok = ok and math.isfinite(xi[j])
                if not ok:
                    fail[i] = m + 1
                    break
                rec_snap[0, i, r] = bg
                rec_snap[1, i, r] = xi[12] / pi[VG]
                rec_snap[2, i, r] = pi[GAMMA] * xi[10] * pi[BW]
                if since_bolus <= lag:  # bolus IOB: deliveries 0 ... lag minutes old
                    iob = 0.0
                    for a in range(lag + 1):
                        t = m - a
                        iob += (bolus_out[i, t] if t >= 0 else bolus_tail[i, lag + t]) * iob_w[a]
                    rec_snap[3, i, r] = iob
        x[:, i] = xi
        pos[i] = stop[i]
        aux[_PLANNED, i], aux[_LAST, i], aux[_MEAL_START, i], aux[_MEAL_EATEN, i] = (
            planned,
            last,
            meal_start,
            meal_eaten,
        )
        aux[_QUEUE, i], aux[_BASAL_ACC, i] = queue, acc
        aux[_SINCE_BOLUS, i] = since_bolus
