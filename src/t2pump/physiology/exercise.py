"""Physical activity: the heart-rate exercise model of Breton 2008 in the Dalla Man meal model.

Dalla Man, Breton & Cobelli 2009 [1]_ put the exercise model of Breton 2008 [2]_ into the meal
simulation model: heart rate above rest drives a fast state ``Y`` (insulin-independent uptake,
during exercise) and a slow insulin-action enhancement (after exercise). Published equations as
transcribed in open code [3]_ (their numbers)::

    Y'   = -(Y - (HR - HR_b)) / T_HR                                        (7)
    Z'   = -(f(Y)/T_in + 1/T_ex) Z + f(Y),   f(Y) = (Y/(a HR_b))^n / (1 + (Y/(a HR_b))^n)   (8), (9)
    W'   = HR - HR_b                                                        (12)
    U_id = [V_m0 (1 + beta Y) + V_mx (1 + alpha Z W)(X + I_b) - V_mx I_b] G_t
           / (K_m0 (1 - gamma Z W (X + I_b)) + G_t)                          (12)

The reference code resets ``W`` to 0 when ``Z`` has decayed back to about 0 (a jump, outside the
equations). With a session every day ``Z`` never gets there (``exp(-24 h / T_ex)`` = 0.09), so
``W`` grows without bound over weeks. This module keeps ``Y`` as published and replaces the
product ``Z W`` by one bounded state, the exercise volume ``W`` of a leaky integrator::

    Y' = (dHR - Y) / T_HR          W' = dHR - W / T_ex          dHR = HR - HR_b  [bpm]

During a session ``Z`` sits at its plateau (``f/(f + T_in/T_ex)``: above 0.9 once ``Y`` exceeds about
2 bpm, 0.998 at full activation, reached within minutes), so ``Z W`` grows at ``dHR`` as the leaky
``W`` does (which loses ``d/(2 T_ex)`` of it by the end of a ``d``-minute session: 2.5 % for 30 min);
afterwards both decay with ``T_ex`` (``Z`` about 10 min later, while ``Y`` is still above ``a HR_b``).
``tests/simulation/test_exercise.py`` integrates the published three states beside this form.
Without the reset, ``a``, ``n`` and ``T_in`` have no effect left and are not parameters here.

**Where the terms enter** :func:`t2pump.physiology.dalla_man_2007.rhs` (``x[4]`` = g_t,
``x[9]`` = X, ``IB_PMOL_L`` = I_b; only the ``g_t'`` equation changes, ``g_p'`` keeps ``F_cns``)::

    uid = insulin_dependent_utilisation(x[4], x[9], IB_PMOL_L, p[VM0], si * p[VMX], p[KM0],
                                        x[Y_EX], x[W_EX], ex)     # replaces the uid line
    out[4] = -uid + p[K1] * x[3] - p[K2] * x[4]                    # unchanged
    out[Y_EX], out[W_EX] = exercise_rates(x[Y_EX], x[W_EX], u[U_ACTIVITY], ex)

with ``u[U_ACTIVITY]`` the intensity [fraction of VO2max] of
:func:`t2pump.behaviour.to_minute_grid` (``"activity_intensity"``), ``ex`` = :meth:`Exercise.as_array`
(or its rows over patients), both exercise states 0 at the fasting steady state. That is::

    uid = (V_m0 (1 + beta Y) + si V_mx (X + alpha W R)) g_t / (K_m0 max(1 - gamma W R, floor) + g_t),
    R = max(X + I_b, 0)   (remote insulin, pmol/L)

Heart rate from intensity: heart-rate reserve equals VO2 reserve (Swain & Leutholtz 1997 [4]_:
slope 1.00, intercept -0.1 %), so ``dHR = (HR_max - HR_b) min(max(i VO2max - VO2_rest, 0) / (VO2max -
VO2_rest), 1)`` for intensity ``i`` (fraction of VO2max).

The functions are elementwise: only ``+ - * /`` and ``np.maximum`` / ``np.minimum``, so the same code
runs on rows over patients (NumPy) and on one patient's scalars (compiled by numba).

Parameters (:class:`Exercise`; tags as in docs/research_t2d_model.md, section "Physical activity"):
``T_HR``, ``T_ex``, ``beta``, ``alpha``, ``gamma`` and ``HR_b`` are the values of [1]_ read in open
code [3]_ [V-code], not in the paper. All come from type 1 diabetes; none is calibrated for type 2
(:attr:`Exercise.calibrated_for_t2d`). ``HR_max`` = 220 - 58 years (Fox formula [5]_, OpT2mise-like
mean age), ``VO2max`` = 20 mL/kg/min (sedentary obese adults [6]_), ``VO2_rest`` = 3.5 mL/kg/min
(1 MET), ``floor`` = 0.2 is a t2pump guard [A].

References
----------
.. [1] Dalla Man C, Breton MD, Cobelli C. Physical activity into the meal glucose-insulin model of
   type 1 diabetes: in silico studies. J Diabetes Sci Technol 2009;3(1):56-67.
   doi:10.1177/193229680900300107. Equations (7)-(9), (12).
.. [2] Breton MD. Physical activity - the major unaccounted impediment to closed loop control.
   J Diabetes Sci Technol 2008;2(1):169-174 (abstract read: PMC2769710).
.. [3] LoopInsighT1 (hpeuscher/loopinsight1, MIT), ``src/core/models/UvaPadova_Breton2008.js``,
   commit 6853937 (2022): the equations and parameter values above, citing [1]_ by equation number.
.. [4] Swain DP, Leutholtz BC. Heart rate reserve is equivalent to %VO2 reserve, not to %VO2max.
   Med Sci Sports Exerc 1997;29(3):410-414 (abstract read).
.. [5] HR_max = 220 - age (Fox et al.), SD 10-12 bpm: as reviewed in J Strength Cond Res 2011;25(9)
   ("Comparisons of age-predicted maximum heart rate equations").
.. [6] Newsom SA, Everett AC, Hinko A, Horowitz JF. A single session of low-intensity exercise is
   sufficient to enhance insulin sensitivity into the next day in obese adults. Diabetes Care
   2013;36(9):2516-2522 (abstract read: VO2peak 20 +/- 1 mL/kg/min).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from t2pump.errors import InputRangeError, check_range

__all__ = [
    "EXERCISE_PARAMS",
    "EXERCISE_STATES",
    "Exercise",
    "exercise_effects",
    "exercise_rates",
    "fox_max_heart_rate",
    "heart_rate_above_rest",
    "insulin_dependent_utilisation",
]

FloatArray = NDArray[np.float64]

EXERCISE_STATES = ("y_ex", "w_ex")  # Y [bpm] and the exercise volume W [bpm min]; both 0 at rest

# Parameter order of Exercise.as_array (the elementwise functions below take that array or its rows).
EXERCISE_PARAMS = (
    "tau_hr_min", "tau_ex_min", "beta_per_bpm", "alpha_per_bpm_min", "gamma_per_bpm_min_pmol_l",
    "hr_rest_bpm", "hr_max_bpm", "vo2max_ml_kg_min", "vo2rest_ml_kg_min", "km_floor",
)  # fmt: skip
(
    EX_TAU_HR, EX_TAU_EX, EX_BETA, EX_ALPHA, EX_GAMMA,
    EX_HR_REST, EX_HR_MAX, EX_VO2MAX, EX_VO2REST, EX_KM_FLOOR,
) = range(len(EXERCISE_PARAMS))  # fmt: skip

_FOX_INTERCEPT_BPM = 220.0  # [5]
_DEFAULT_AGE_YEARS = 58.0  # OpT2mise-like mean age (docs/research_t2d_model.md 5.8, Caen proxy)


def fox_max_heart_rate(age_years: float) -> float:
    """HR_max = 220 - age [bpm] (Fox formula [5]; SD of individuals about 10-12 bpm)."""
    check_range("age_years", age_years, 18.0, 100.0, "years")
    return _FOX_INTERCEPT_BPM - float(age_years)


@dataclass(frozen=True, slots=True)
class Exercise:
    """The exercise model's parameters, one line each: value, unit, source (module docstring)."""

    tau_hr_min: float = 5.0  # T_HR [min], [1] eq. (7) via [3] [V-code]
    tau_ex_min: float = 600.0  # T_ex [min], [1] eq. (8) via [3] [V-code]
    beta_per_bpm: float = 0.01  # beta [1/bpm], V_m0 (1 + beta Y), [1] eq. (12) via [3] [V-code]
    alpha_per_bpm_min: float = 3e-4  # alpha [1/(bpm min)], with W, [1] eq. (12) via [3] [V-code]
    gamma_per_bpm_min_pmol_l: float = 1e-7  # gamma [1/(bpm min pmol/L)], K_m term, [1] (12) via [3]
    hr_rest_bpm: float = 60.0  # HR_b [bpm], default of [3] [V-code]
    hr_max_bpm: float = _FOX_INTERCEPT_BPM - _DEFAULT_AGE_YEARS  # 162 bpm, [5] at 58 years
    vo2max_ml_kg_min: float = 20.0  # [mL/kg/min] sedentary obese adults [6] (proxy for T2D)
    vo2rest_ml_kg_min: float = 3.5  # [mL/kg/min] 1 MET (convention)
    km_floor: float = 0.2  # lower bound of K_m0's exercise factor [-], t2pump guard [A]
    calibrated_for_t2d: bool = False  # type 1 values (Dalla Man 2009); no type 2 calibration yet

    def __post_init__(self) -> None:
        check_range("exercise.tau_hr_min", self.tau_hr_min, 0.1, 60.0, "min")
        check_range("exercise.tau_ex_min", self.tau_ex_min, 10.0, 10_000.0, "min")
        check_range("exercise.beta_per_bpm", self.beta_per_bpm, 0.0, 0.1, "1/bpm")
        check_range("exercise.alpha_per_bpm_min", self.alpha_per_bpm_min, 0.0, 0.01, "1/(bpm min)")
        check_range("exercise.gamma_per_bpm_min_pmol_l", self.gamma_per_bpm_min_pmol_l, 0.0, 1e-4)
        check_range("exercise.hr_rest_bpm", self.hr_rest_bpm, 30.0, 120.0, "bpm")
        check_range("exercise.hr_max_bpm", self.hr_max_bpm, 100.0, 230.0, "bpm")
        if self.hr_max_bpm <= self.hr_rest_bpm:
            raise InputRangeError("exercise.hr_max_bpm", self.hr_max_bpm, "more than hr_rest_bpm")
        check_range("exercise.vo2max_ml_kg_min", self.vo2max_ml_kg_min, 5.0, 90.0, "mL/kg/min")
        check_range("exercise.vo2rest_ml_kg_min", self.vo2rest_ml_kg_min, 1.0, 10.0, "mL/kg/min")
        if self.vo2max_ml_kg_min <= self.vo2rest_ml_kg_min:
            raise InputRangeError("exercise.vo2max_ml_kg_min", self.vo2max_ml_kg_min, "more than VO2 at rest")
        check_range("exercise.km_floor", self.km_floor, 0.01, 1.0)

    @classmethod
    def for_age(cls, age_years: float) -> Exercise:
        """The default parameters with HR_max from age (Fox formula [5])."""
        return cls(hr_max_bpm=fox_max_heart_rate(age_years))

    def as_array(self) -> FloatArray:
        """The parameters in :data:`EXERCISE_PARAMS` order (for the kernel and the NumPy engine)."""
        return np.array([float(getattr(self, name)) for name in EXERCISE_PARAMS])

    def heart_rate_above_rest(self, intensity_vo2max: FloatArray) -> FloatArray:
        """dHR [bpm] for an intensity [fraction of VO2max]."""
        return np.asarray(
            heart_rate_above_rest(np.asarray(intensity_vo2max, dtype=np.float64), self.as_array())
        )


def heart_rate_above_rest(intensity_vo2max: Any, g: Any) -> Any:
    """dHR = HR - HR_b [bpm] at an intensity [fraction of VO2max]: %HRR = %VO2R ([4]); 0 at or below
    resting VO2, HR_max at or above VO2max. Elementwise; ``g`` is :meth:`Exercise.as_array` (or its
    rows over patients)."""
    vo2 = intensity_vo2max * g[EX_VO2MAX]
    reserve_fraction = np.maximum(vo2 - g[EX_VO2REST], 0.0) / (g[EX_VO2MAX] - g[EX_VO2REST])
    return np.minimum(reserve_fraction, 1.0) * (g[EX_HR_MAX] - g[EX_HR_REST])


def exercise_rates(y: Any, w: Any, intensity_vo2max: Any, g: Any) -> tuple[Any, Any]:
    """dY/dt [bpm/min] ([1] eq. 7) and dW/dt [bpm] (bounded form of Z W, module docstring)."""
    dhr = heart_rate_above_rest(intensity_vo2max, g)
    return (dhr - y) / g[EX_TAU_HR], dhr - w / g[EX_TAU_EX]


def exercise_effects(y: Any, w: Any, remote_insulin_pmol_l: Any, g: Any) -> tuple[Any, Any, Any]:
    """The three factors exercise puts in the insulin-dependent utilisation ([1] eq. 12):

    * ``vm0_factor`` = 1 + beta Y, multiplies V_m0 (insulin-independent part, during exercise);
    * ``insulin_gain`` = alpha W: extra uptake ``V_mx insulin_gain R`` with R the remote insulin
      X + I_b [pmol/L] (the post-exercise rise in insulin action);
    * ``km_factor`` = max(1 - gamma W R, floor), multiplies K_m0.

    All three are neutral (1, 0, 1) when Y = W = 0.
    """
    r = np.maximum(remote_insulin_pmol_l, 0.0)
    vm0_factor = 1.0 + g[EX_BETA] * y
    insulin_gain = g[EX_ALPHA] * w
    km_factor = np.maximum(1.0 - g[EX_GAMMA] * w * r, g[EX_KM_FLOOR])
    return vm0_factor, insulin_gain, km_factor


def insulin_dependent_utilisation(
    g_t: Any, x: Any, ib_pmol_l: Any, vm0: Any, vmx: Any, km0: Any, y: Any, w: Any, g: Any
) -> Any:
    """U_id [mg/kg/min] of Dalla Man 2007 with exercise ([1] eq. 12, bounded W): ``g_t`` tissue
    glucose [mg/kg], ``x`` remote insulin above basal [pmol/L], ``vmx`` already scaled by the
    insulin-action factor. Equals ``(vm0 + vmx x) g_t / (km0 + g_t)`` when Y = W = 0."""
    vm0_factor, insulin_gain, km_factor = exercise_effects(y, w, x + ib_pmol_l, g)
    remote = np.maximum(x + ib_pmol_l, 0.0)
    vm = vm0 * vm0_factor + vmx * (x + insulin_gain * remote)
    return vm * g_t / (km0 * km_factor + g_t)
