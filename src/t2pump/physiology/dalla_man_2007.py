"""The Dalla Man 2007 meal simulation model with endogenous insulin secretion, type 2 parameters.

Glucose kinetics, insulin kinetics with hepatic extraction, endogenous glucose production, meal
absorption, utilisation, renal excretion and beta-cell secretion (Dalla Man, Rizza & Cobelli 2007
[1]_, secretion from the oral C-peptide model of Breda et al. 2001 [2]_), vectorised over patients,
with exogenous subcutaneous insulin entering plasma through the *same* absorption model as
:mod:`t2pump.insulin.products` (one rapid-acting depot for pump or pen boluses, one basal depot for
MDI basal injections) and an interstitial glucose compartment for the CGM.

Per patient (all rates per kg; ``G = g_p / V_G``, ``I = i_p / V_I``)::

    EGP   = max(k_p1 - k_p2 g_p - k_p3 i_d - k_p4 i_po, 0)
    g_p'  = EGP + Ra - F_cns min(G/20, 1) - k_e1 (g_p - k_e2)^+ - k1 g_p + k2 g_t   (see CNS_FLOOR_MGDL)
    g_t'  = -(V_m0 + V_mx x) g_t / (K_m0 + g_t) + k1 g_p - k2 g_t
    i_l'  = -(m1 + m3) i_l + m2 i_p + S            m3 = HE m1 / (1 - HE), HE = -m5 S + m6
    i_p'  = -(m2 + m4) i_p + m1 i_l + Ra_I         Ra_I = exogenous insulin appearance
    x'    = -p_2U x + p_2U (I - I_b)
    i_1'  = -k_i (i_1 - I)        i_d' = -k_i (i_d - i_1)
    i_po' = -gamma i_po + S_po                     S = gamma i_po
    S_po  = phi (Y + K max(dG/dt, 0) + S_b)
    Y'    = -alpha (Y - beta (G - h))   if beta (G - h) >= -S_b,   else  -alpha (Y + S_b)
    meal: q_sto1' = -k_max q_sto1 + d, q_sto2' = k_max q_sto1 - k_empt q_sto2,
          q_gut' = k_empt q_sto2 - k_abs q_gut,  Ra = f k_abs q_gut / BW
    g_s'  = -k_sc (g_s - g_p)                      interstitial glucose (CGM input)

Physical activity (:mod:`t2pump.physiology.exercise`, Dalla Man, Breton & Cobelli 2009 with a
bounded exercise-volume state) adds two states ``Y``, ``W`` (``STATE_NAMES`` 17, 18) driven by the
``U_ACTIVITY`` input and replaces ``U_id`` by its exercise form; at rest the equations above are
unchanged to the last bit.

``phi`` is a relative beta-cell function (1 = the paper's type 2 group): the patient's factor
(disease progression, :func:`t2pump.physiology.progression.beta_cell_after`) times, when a
:class:`~t2pump.physiology.progression.Glucotoxicity` is given, a reversible glucotoxic factor
carried as two extra states (a 1-day mean glucose and the factor itself);
``insulin_sensitivity`` scales V_mx and k_p3 (peripheral and hepatic
insulin action). Gastric emptying uses b and d with the actual meal size D (a = 5/(2D(1-b)),
c = 5/(2Dd), as simglucose and the 2006 oral glucose model do): the printed a and c correspond to
a meal of about 120-130 g and would distort other meal sizes (docs/research_t2d_model.md 1.3).

Parameters: the T2D column of Table 1 [1]_ as transcribed in open code (evabowe/Insulinpumpe
``system_parameters.py``; the normal column cross-checked against BioModels BIOMD0000000379); the
paper's printed table was not read. The basal values G_b, I_b, S_b are *derived* from that column
by the paper's own steady-state relations (docs/research_t2d_model.md 1.2: the same method gives
the published normal-subject basal state to 0.1 %); the paper's printed T2D basal values could not
be verified. Interstitial k_sc = 0.1 /min is a t2pump choice within simglucose's adult range
(0.054-0.152 /min).

References
----------
.. [1] Dalla Man C, Rizza RA, Cobelli C. Meal simulation model of the glucose-insulin system.
   IEEE Trans Biomed Eng 2007;54(10):1740-1749. doi:10.1109/TBME.2007.893506. Table 1.
.. [2] Breda E, Cavaghan MK, Toffolo G, Polonsky KS, Cobelli C. Oral glucose tolerance test minimal
   model indexes of beta-cell function and insulin sensitivity. Diabetes 2001;50(1):150-158.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import InputRangeError, check_array_range
from t2pump.insulin.products import AbsorptionModel, InsulinClass, get_product
from t2pump.physiology.elementwise import select
from t2pump.physiology.exercise import (
    EXERCISE_PARAMS,
    EXERCISE_STATES,
    Exercise,
    exercise_rates,
    fox_max_heart_rate,
    insulin_dependent_utilisation,
)
from t2pump.physiology.meal import gastric_emptying_rate
from t2pump.physiology.progression import Glucotoxicity, glucotoxic_rates
from t2pump.physiology.uva_padova import EAT_RATE_G_PER_MIN
from t2pump.units import PMOL_PER_U

__all__ = [
    "EAT_RATE_G_PER_MIN",
    "GLUCOTOXICITY_STATES",
    "N_INPUTS",
    "N_PARAMS",
    "PARAM_NAMES",
    "STATE_NAMES",
    "T2D_TABLE1",
    "DallaMan2007",
    "DallaManRun",
    "rhs",
]

FloatArray = NDArray[np.float64]

STATE_NAMES = (
    "q_sto1", "q_sto2", "q_gut", "g_p", "g_t", "i_l", "i_p", "i_1", "i_d", "x", "i_po", "y", "g_s",
    "rapid_s1", "rapid_s2", "basal_s1", "basal_s2", *EXERCISE_STATES,
)  # fmt: skip
GLUCOTOXICITY_STATES = ("g_bar", "phi_g")  # appended when glucotoxicity is modelled
Y_EX, W_EX = 17, 18  # physical activity (t2pump.physiology.exercise)
G_BAR, PHI_G = 19, 20  # glucotoxicity, when modelled

# Table 1, type 2 column [1] (value, unit). Every line: parameter, value, [unit], source.
T2D_TABLE1: dict[str, tuple[float, str]] = {
    "VG": (1.49, "dL/kg"),
    "k1": (0.042, "1/min"),
    "k2": (0.071, "1/min"),
    "VI": (0.04, "L/kg"),
    "m1": (0.379, "1/min"),
    "m2": (0.673, "1/min"),
    "m4": (0.269, "1/min"),
    "m5": (0.0526, "min kg/pmol"),
    "m6": (0.8118, "-"),
    "HEb": (0.6, "-"),
    "kmax": (0.0465, "1/min"),
    "kmin": (0.0076, "1/min"),
    "kabs": (0.023, "1/min"),
    "f": (0.90, "-"),
    "b": (0.68, "-"),
    "d": (0.09, "-"),
    "kp1": (3.09, "mg/kg/min"),
    "kp2": (0.0007, "1/min"),
    "kp3": (0.005, "mg/kg/min per pmol/L"),
    "kp4": (0.0786, "mg/kg/min per pmol/kg"),
    "ki": (0.0066, "1/min"),
    "Fcns": (1.0, "mg/kg/min"),
    "Vm0": (4.65, "mg/kg/min"),
    "Vmx": (0.034, "mg/kg/min per pmol/L"),
    "Km0": (466.21, "mg/kg"),
    "p2U": (0.0840, "1/min"),
    "K": (0.99, "pmol/kg per mg/dL"),
    "alpha": (0.013, "1/min"),
    "beta": (0.05, "pmol/kg/min per mg/dL"),
    "gamma": (0.5, "1/min"),
    "ke1": (0.0007, "1/min"),
    "ke2": (269.0, "mg/kg"),
}
# Basal values derived from Table 1 by the paper's steady-state relations (docs/research_t2d_model.md
# 1.2): S_b = (m6 - HE_b)/m5; I_b from m4 = 0.4 (S_b/I_pb)(1 - HE_b); G_b from the k_p1 and V_m0
# constraints. Not verified against the paper's printed values.
_SB = (T2D_TABLE1["m6"][0] - T2D_TABLE1["HEb"][0]) / T2D_TABLE1["m5"][0]  # 4.03 pmol/kg/min
_IPB = _SB * 0.4 * (1.0 - T2D_TABLE1["HEb"][0]) / T2D_TABLE1["m4"][0]  # 2.40 pmol/kg
IB_PMOL_L = _IPB / T2D_TABLE1["VI"][0]  # 59.9 pmol/L
# Glucose below which F_cns falls linearly to zero (t2pump guard, not in [1]: the model has no
# counter-regulation, and a constant brain uptake would drive plasma glucose negative).
CNS_FLOOR_MGDL = 20.0
KSC_PER_MIN = 0.1  # interstitial exchange, within simglucose adults' 0.054-0.152 /min (t2pump choice)
_HE_MAX = 0.95  # keeps m3 finite when secretion is very low (t2pump guard; HE_b = 0.6)


def _reference_basal_glucose() -> float:
    """G_b of the reference T2D subject: the root of the basal constraints (bisection)."""
    p = {k: v for k, (v, _) in T2D_TABLE1.items()}
    ipob = _SB / p["gamma"]

    def residual(gb: float) -> float:
        gpb = gb * p["VG"]
        egpb = p["kp1"] - p["kp2"] * gpb - p["kp3"] * IB_PMOL_L - p["kp4"] * ipob
        gtb = (p["k1"] * gpb - (egpb - p["Fcns"])) / p["k2"]
        return float(p["Vm0"] * gtb / (p["Km0"] + gtb) - (egpb - p["Fcns"]))

    lo, hi = 60.0, 400.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if residual(lo) * residual(mid) <= 0:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


GB_MGDL = _reference_basal_glucose()  # about 159 mg/dL (docs/research_t2d_model.md 1.2)


@dataclass(frozen=True, slots=True)
class DallaMan2007:
    """``n`` type 2 patients: Table 1 parameters with per-patient body weight, sensitivity and phi."""

    names: tuple[str, ...]
    body_weight_kg: FloatArray
    insulin_sensitivity: FloatArray  # scales V_mx and k_p3 (1 = reference T2D subject)
    beta_cell_function: FloatArray  # phi (1 = reference T2D subject)
    rapid_product: str = "lispro"
    basal_product: str = "glargine_u100"
    p: dict[str, FloatArray] = field(default_factory=dict)
    glucotoxicity: Glucotoxicity | None = None  # adds states g_bar, phi_g (physiology.progression)
    params: FloatArray = field(default_factory=lambda: np.empty((0, 0)))  # (N_PARAMS, n), PARAM_NAMES rows

    @classmethod
    def build(
        cls,
        names: list[str] | tuple[str, ...],
        body_weight_kg: ArrayLike,
        insulin_sensitivity: ArrayLike = 1.0,
        beta_cell_function: ArrayLike = 1.0,
        rapid_product: str = "lispro",
        basal_product: str = "glargine_u100",
        glucotoxicity: Glucotoxicity | None = None,
        exercise: Exercise | None = None,
        age_y: ArrayLike | None = None,
    ) -> DallaMan2007:
        """Patients of the T2D reference with their own factors; ``exercise`` parameters (default
        :class:`~t2pump.physiology.exercise.Exercise`) with, when ``age_y`` is given, each patient's
        maximal heart rate from age (Fox)."""
        n = len(names)
        bw = np.broadcast_to(np.asarray(body_weight_kg, dtype=np.float64), (n,)).copy()
        si = np.broadcast_to(np.asarray(insulin_sensitivity, dtype=np.float64), (n,)).copy()
        phi = np.broadcast_to(np.asarray(beta_cell_function, dtype=np.float64), (n,)).copy()
        check_array_range("body_weight_kg", bw, 30.0, 300.0, "kg")
        check_array_range("insulin_sensitivity", si, 0.05, 5.0)
        check_array_range("beta_cell_function", phi, 0.0, 5.0)
        if get_product(rapid_product).insulin_class is not InsulinClass.RAPID:
            raise InputRangeError("rapid_product", rapid_product, "a rapid-acting analog")
        if get_product(basal_product).insulin_class is not InsulinClass.BASAL:
            raise InputRangeError("basal_product", basal_product, "a basal insulin")
        p = {k: np.full(n, v) for k, (v, _) in T2D_TABLE1.items()}
        p["Vmx"] = p["Vmx"] * si
        p["kp3"] = p["kp3"] * si
        rapid = get_product(rapid_product).absorption
        basal = get_product(basal_product).absorption
        extra = {"BW": bw, "phi": phi}
        for prefix, depot in (("r_", rapid), ("b_", basal)):
            extra[prefix + "k12"] = np.full(n, depot.k12_per_min)
            extra[prefix + "k1p"] = np.full(n, depot.k1p_per_min)
            extra[prefix + "k2p"] = np.full(n, depot.k2p_per_min)
            extra[prefix + "direct"] = np.full(n, depot.direct_fraction)
            extra[prefix + "bio"] = np.full(n, depot.bioavailability)
        ex = (exercise or Exercise()).as_array()
        for j, name in enumerate(EXERCISE_PARAMS):
            extra["ex_" + name] = np.full(n, ex[j])
        if age_y is not None:
            ages = np.broadcast_to(np.asarray(age_y, dtype=np.float64), (n,))
            extra["ex_hr_max_bpm"] = np.array([fox_max_heart_rate(float(a)) for a in ages])
        rows = p | extra
        params = np.array([rows[name] for name in PARAM_NAMES], dtype=np.float64)
        return cls(tuple(names), bw, si, phi, rapid_product, basal_product, p, glucotoxicity, params)

    @property
    def n_patients(self) -> int:
        return len(self.names)

    def take(self, indices: NDArray[np.intp]) -> DallaMan2007:
        """The patients at ``indices``, with their own parameters."""
        return DallaMan2007(
            tuple(self.names[i] for i in indices),
            self.body_weight_kg[indices],
            self.insulin_sensitivity[indices],
            self.beta_cell_function[indices],
            self.rapid_product,
            self.basal_product,
            {k: v[indices] for k, v in self.p.items()},
            self.glucotoxicity,
            self.params[:, indices],
        )

    @property
    def n_states(self) -> int:
        return len(STATE_NAMES) + (len(GLUCOTOXICITY_STATES) if self.glucotoxicity is not None else 0)

    def _depots(self) -> tuple[AbsorptionModel, AbsorptionModel]:
        return get_product(self.rapid_product).absorption, get_product(self.basal_product).absorption

    def plasma_glucose_mgdl(self, x: FloatArray) -> FloatArray:
        return np.asarray(x[3] / self.p["VG"], dtype=np.float64)

    def interstitial_glucose_mgdl(self, x: FloatArray) -> FloatArray:
        return np.asarray(x[12] / self.p["VG"], dtype=np.float64)

    def plasma_insulin_pmol_l(self, x: FloatArray) -> FloatArray:
        return np.asarray(x[6] / self.p["VI"], dtype=np.float64)

    def secretion_pmol_kg_min(self, x: FloatArray) -> FloatArray:
        return np.asarray(self.p["gamma"] * x[10], dtype=np.float64)

    def insulin_input(self, u_per_min: FloatArray) -> FloatArray:
        """U/min -> pmol/kg/min."""
        return u_per_min * PMOL_PER_U / self.body_weight_kg

    def derivatives(
        self,
        x: FloatArray,
        cho_mg_per_min: FloatArray,
        rapid_pmol_kg_min: FloatArray,
        basal_pmol_kg_min: FloatArray,
        meal_d_mg: FloatArray,
        si_factor: FloatArray | None = None,
        activity: FloatArray | None = None,
    ) -> FloatArray:
        """dx/dt of every patient: :func:`rhs` on the whole arrays."""
        n = self.n_patients
        u = np.empty((N_INPUTS, n))
        u[U_CHO], u[U_RAPID], u[U_BASAL], u[U_MEAL_D] = (
            cho_mg_per_min,
            rapid_pmol_kg_min,
            basal_pmol_kg_min,
            meal_d_mg,
        )
        u[U_SI] = 1.0 if si_factor is None else si_factor
        u[U_ACTIVITY] = 0.0 if activity is None else activity
        dx = np.empty_like(x)
        rhs(x, self.params, u, self.glucotoxicity_params, dx)
        return dx

    @property
    def glucotoxicity_params(self) -> FloatArray:
        """:meth:`Glucotoxicity.as_array`, or an empty array when glucotoxicity is not modelled."""
        return np.empty(0) if self.glucotoxicity is None else self.glucotoxicity.as_array()

    def _exogenous_steady_state(
        self, rapid_u_per_min: ArrayLike, basal_u_per_min: ArrayLike
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        """Depot states (r1, r2, b1, b2) and plasma appearance [pmol/kg/min] under constant inputs."""
        n = self.n_patients
        rapid, basal = self._depots()
        u_r = self.insulin_input(np.broadcast_to(np.asarray(rapid_u_per_min, dtype=np.float64), (n,)))
        u_b = self.insulin_input(np.broadcast_to(np.asarray(basal_u_per_min, dtype=np.float64), (n,)))
        r1, r2 = _depot_steady_state(rapid, u_r)
        b1, b2 = _depot_steady_state(basal, u_b)
        ra_i = rapid.bioavailability * (rapid.k1p_per_min * r1 + rapid.k2p_per_min * r2)
        ra_i = ra_i + basal.bioavailability * (basal.k1p_per_min * b1 + basal.k2p_per_min * b2)
        return r1, r2, b1, b2, ra_i

    def _insulin_steady_state(
        self, g: FloatArray, ra_i: FloatArray, beta_cell_function: FloatArray | None = None
    ) -> tuple[FloatArray, ...]:
        """(Y, I_po, I_l, I_p) at a constant plasma glucose ``g`` and exogenous appearance ``ra_i``."""
        p = self.p
        drive = p["beta"] * (g - GB_MGDL)
        y = np.where(drive >= -_SB, drive, -_SB)
        phi = self.beta_cell_function if beta_cell_function is None else beta_cell_function
        if self.glucotoxicity is not None:
            phi = phi * self.glucotoxicity.steady_factor(g)
        secretion = np.maximum(phi * (y + _SB), 0.0)
        i_po = secretion / p["gamma"]
        he = np.clip(-p["m5"] * secretion + p["m6"], 0.0, _HE_MAX)
        m3 = he * p["m1"] / (1.0 - he)
        a = p["m1"] + m3
        i_p = (p["m1"] * secretion / a + ra_i) / (p["m2"] + p["m4"] - p["m1"] * p["m2"] / a)
        i_l = (p["m2"] * i_p + secretion) / a
        return y, i_po, i_l, i_p

    def _glucose_balance(
        self, g: FloatArray, insulin: FloatArray, i_po: FloatArray, vmx: FloatArray, kp3: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """dG_p/dt at steady glucose ``g`` and insulin (G_t solved), with V_mx and k_p3 given: (rate, G_t)."""
        p = self.p
        x_act = insulin - IB_PMOL_L
        g_p = g * p["VG"]
        vm = p["Vm0"] + vmx * x_act
        # g_t from -vm g_t/(Km0 + g_t) + k1 g_p - k2 g_t = 0 (positive root of a quadratic)
        c1 = p["k1"] * g_p
        qa = p["k2"]
        qb = vm + p["k2"] * p["Km0"] - c1
        qc = -c1 * p["Km0"]
        g_t = (-qb + np.sqrt(qb * qb - 4.0 * qa * qc)) / (2.0 * qa)
        egp = np.maximum(p["kp1"] - p["kp2"] * g_p - kp3 * insulin - p["kp4"] * i_po, 0.0)
        renal = np.where(g_p > p["ke2"], p["ke1"] * (g_p - p["ke2"]), 0.0)
        return egp - p["Fcns"] - renal - p["k1"] * g_p + p["k2"] * g_t, g_t

    def steady_state(self, rapid_u_per_min: ArrayLike = 0.0, basal_u_per_min: ArrayLike = 0.0) -> FloatArray:
        """The fasting steady state for constant insulin inputs, all patients at once (bisection on G)."""
        n = self.n_patients
        p = self.p
        r1, r2, b1, b2, ra_i = self._exogenous_steady_state(rapid_u_per_min, basal_u_per_min)

        def balance(g: FloatArray) -> FloatArray:
            _, i_po, _, i_p = self._insulin_steady_state(g, ra_i)
            return self._glucose_balance(g, i_p / p["VI"], i_po, p["Vmx"], p["kp3"])[0]

        g = _bisect_decreasing(balance, np.full(n, 20.0), np.full(n, 1000.0))
        y, i_po, i_l, i_p = self._insulin_steady_state(g, ra_i)
        insulin = i_p / p["VI"]
        _, g_t = self._glucose_balance(g, insulin, i_po, p["Vmx"], p["kp3"])
        g_p = g * p["VG"]
        z = np.zeros(n)
        rows = [
            z,
            z,
            z,
            g_p,
            g_t,
            i_l,
            i_p,
            insulin,
            insulin,
            insulin - IB_PMOL_L,
            i_po,
            y,
            g_p,
            r1,
            r2,
            b1,
            b2,
            z,  # Y_EX, W_EX: at rest
            z,
        ]
        if self.glucotoxicity is not None:
            g = g_p / p["VG"]
            rows += [g, self.glucotoxicity.steady_factor(g)]
        return np.array(rows)

    def sensitivity_for_fasting_glucose(
        self, glucose_mgdl: ArrayLike, rapid_u_per_min: ArrayLike = 0.0, basal_u_per_min: ArrayLike = 0.0
    ) -> FloatArray:
        """The insulin-sensitivity factor that puts each patient's fasting steady state under these
        constant insulin inputs at ``glucose_mgdl`` (relative to this model's own factor; bisection
        on log S_I in [0.05, 5], clipped there when no factor in that range reaches the target).

        The insulin state at a given glucose does not depend on S_I (secretion follows glucose), so
        only the glucose balance is solved: k_p3 and V_mx scale with the factor (module docstring).
        """
        n = self.n_patients
        p = self.p
        g = np.broadcast_to(np.asarray(glucose_mgdl, dtype=np.float64), (n,)).copy()
        check_array_range("glucose_mgdl", g, 40.0, 600.0, "mg/dL")
        _, _, _, _, ra_i = self._exogenous_steady_state(rapid_u_per_min, basal_u_per_min)
        _, i_po, _, i_p = self._insulin_steady_state(g, ra_i)
        insulin = i_p / p["VI"]

        def balance(log_si: FloatArray) -> FloatArray:
            si = np.exp(log_si)
            return self._glucose_balance(g, insulin, i_po, p["Vmx"] * si, p["kp3"] * si)[0]

        lo, hi = np.full(n, np.log(_SI_SOLVE_RANGE[0])), np.full(n, np.log(_SI_SOLVE_RANGE[1]))
        return np.asarray(
            self.insulin_sensitivity * np.exp(_bisect_decreasing(balance, lo, hi)), dtype=np.float64
        )

    def beta_cell_for_fasting_glucose(
        self, glucose_mgdl: ArrayLike, rapid_u_per_min: ArrayLike = 0.0, basal_u_per_min: ArrayLike = 0.0
    ) -> FloatArray:
        """The beta-cell function phi that puts each patient's fasting steady state under these
        constant insulin inputs at ``glucose_mgdl``, with this model's insulin sensitivity
        (bisection on log phi in [1e-3, 5], clipped there)."""
        n = self.n_patients
        p = self.p
        g = np.broadcast_to(np.asarray(glucose_mgdl, dtype=np.float64), (n,)).copy()
        check_array_range("glucose_mgdl", g, 40.0, 600.0, "mg/dL")
        _, _, _, _, ra_i = self._exogenous_steady_state(rapid_u_per_min, basal_u_per_min)

        def balance(log_phi: FloatArray) -> FloatArray:
            _, i_po, _, i_p = self._insulin_steady_state(g, ra_i, np.exp(log_phi))
            return self._glucose_balance(g, i_p / p["VI"], i_po, p["Vmx"], p["kp3"])[0]

        lo, hi = np.full(n, np.log(_PHI_SOLVE_RANGE[0])), np.full(n, np.log(_PHI_SOLVE_RANGE[1]))
        return np.asarray(np.exp(_bisect_decreasing(balance, lo, hi)), dtype=np.float64)


_SI_SOLVE_RANGE = (0.05, 5.0)  # the range DallaMan2007.build accepts
_PHI_SOLVE_RANGE = (1e-3, 5.0)


def _bisect_decreasing(
    f: Callable[[FloatArray], FloatArray], lo: FloatArray, hi: FloatArray, iterations: int = 60
) -> FloatArray:
    """The root of a function decreasing in its argument, every patient at once (clipped to the ends)."""
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        above = f(mid) > 0
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return np.asarray(0.5 * (lo + hi), dtype=np.float64)


# Rows of DallaMan2007.params: Table 1 (T2D_TABLE1 names, V_mx and k_p3 already scaled by the
# patient's insulin sensitivity), body weight, beta-cell function, then the rapid ("r_") and basal
# ("b_") depots of t2pump.insulin.products.AbsorptionModel. Indices are module constants so that the
# compiled kernel reads them as literals.
PARAM_NAMES = (
    "VG", "k1", "k2", "VI", "m1", "m2", "m4", "m5", "m6", "kmax", "kmin", "kabs", "f", "b", "d",
    "kp1", "kp2", "kp3", "kp4", "ki", "Fcns", "Vm0", "Vmx", "Km0", "p2U", "K", "alpha", "beta",
    "gamma", "ke1", "ke2", "BW", "phi",
    "r_k12", "r_k1p", "r_k2p", "r_direct", "r_bio", "b_k12", "b_k1p", "b_k2p", "b_direct", "b_bio",
    *("ex_" + name for name in EXERCISE_PARAMS),
)  # fmt: skip
(
    VG, K1, K2, VI, M1, M2, M4, M5, M6, KMAX, KMIN, KABS, F, B, D, KP1, KP2, KP3, KP4, KI, FCNS, VM0,
    VMX, KM0, P2U, KSEC, ALPHA, BETA, GAMMA, KE1, KE2, BW, PHI,
    R_K12, R_K1P, R_K2P, R_DIRECT, R_BIO, B_K12, B_K1P, B_K2P, B_DIRECT, B_BIO, EX0,
) = range(len(PARAM_NAMES) - len(EXERCISE_PARAMS) + 1)  # fmt: skip
EX1 = EX0 + len(EXERCISE_PARAMS)  # rows EX0:EX1 are Exercise.as_array()
N_PARAMS = len(PARAM_NAMES)
# Rows of the inputs: carbohydrate eaten [mg/min], rapid and basal-depot insulin [pmol/kg/min], meal
# size D of gastric emptying [mg], insulin-action factor (circadian x day-to-day, 1 = none).
U_CHO, U_RAPID, U_BASAL, U_MEAL_D, U_SI, U_ACTIVITY = range(6)  # activity: fraction of VO2max
N_INPUTS = 6


def _glucotoxic_factor(x: Any, gtox: FloatArray) -> Any:
    """phi_g (state 18) when glucotoxicity is modelled, else 1."""
    if gtox.shape[0] > 0:
        return x[PHI_G]
    return 1.0


def rhs(x: Any, p: Any, u: Any, gtox: FloatArray, out: Any) -> None:
    """dx/dt of the model into ``out``: the one definition of the equations in the module docstring.

    Elementwise: ``x[j]``, ``p[j]``, ``u[j]`` are rows over patients (NumPy) or one patient's scalars
    (the compiled kernel, :mod:`t2pump.simulation.kernel`); ``gtox`` is
    :meth:`Glucotoxicity.as_array`, empty when glucotoxicity is not modelled (then ``out[G_BAR:]`` is
    not written).
    """
    # meal absorption (gastric emptying with b, d at the actual meal size D)
    kempt = gastric_emptying_rate(x[0] + x[1], u[U_MEAL_D], p[KMAX], p[KMIN], p[B], p[D])
    out[0] = -p[KMAX] * x[0] + u[U_CHO]
    out[1] = p[KMAX] * x[0] - kempt * x[1]
    out[2] = kempt * x[1] - p[KABS] * x[2]
    ra = p[F] * p[KABS] * x[2] / p[BW]
    # exogenous insulin: the products' two-compartment absorption models
    ra_i = p[R_BIO] * (p[R_K1P] * x[13] + p[R_K2P] * x[14])
    ra_i = ra_i + p[B_BIO] * (p[B_K1P] * x[15] + p[B_K2P] * x[16])
    out[13] = -(p[R_K12] + p[R_K1P]) * x[13] + (1.0 - p[R_DIRECT]) * u[U_RAPID]
    out[14] = p[R_K12] * x[13] - p[R_K2P] * x[14] + p[R_DIRECT] * u[U_RAPID]
    out[15] = -(p[B_K12] + p[B_K1P]) * x[15] + (1.0 - p[B_DIRECT]) * u[U_BASAL]
    out[16] = p[B_K12] * x[15] - p[B_K2P] * x[16] + p[B_DIRECT] * u[U_BASAL]
    # glucose; insulin action scaled by the circadian / day-to-day factor
    si = u[U_SI]
    egp = np.maximum(p[KP1] - p[KP2] * x[3] - si * p[KP3] * x[8] - p[KP4] * x[10], 0.0)
    renal = select(x[3] > p[KE2], p[KE1] * (x[3] - p[KE2]), 0.0)
    # F_cns is constant in [1]; below CNS_FLOOR_MGDL (beyond the model's validity) it falls to zero
    # with glucose, so that an overdose ends in a deep but positive hypoglycaemia, not a blow-up
    fcns = p[FCNS] * np.minimum(x[3] / (p[VG] * CNS_FLOOR_MGDL), 1.0)
    out[3] = egp + ra - fcns - renal - p[K1] * x[3] + p[K2] * x[4]
    # insulin-dependent utilisation, raised during and after physical activity (exercise module)
    ex = p[EX0:EX1]
    uid = insulin_dependent_utilisation(
        x[4], x[9], IB_PMOL_L, p[VM0], si * p[VMX], p[KM0], x[Y_EX], x[W_EX], ex
    )
    out[4] = -uid + p[K1] * x[3] - p[K2] * x[4]
    out[Y_EX], out[W_EX] = exercise_rates(x[Y_EX], x[W_EX], u[U_ACTIVITY], ex)
    # insulin kinetics with hepatic extraction
    secretion = p[GAMMA] * x[10]
    he = np.minimum(np.maximum(-p[M5] * secretion + p[M6], 0.0), _HE_MAX)
    m3 = he * p[M1] / (1.0 - he)
    out[5] = -(p[M1] + m3) * x[5] + p[M2] * x[6] + secretion
    out[6] = -(p[M2] + p[M4]) * x[6] + p[M1] * x[5] + ra_i
    plasma_insulin = x[6] / p[VI]
    out[7] = -p[KI] * (x[7] - plasma_insulin)
    out[8] = -p[KI] * (x[8] - x[7])
    out[9] = -p[P2U] * x[9] + p[P2U] * (plasma_insulin - IB_PMOL_L)
    # beta-cell secretion (Breda 2001 form as in [1]), phi times the glucotoxic factor if modelled
    glucose = x[3] / p[VG]
    dgdt = out[3] / p[VG]
    spo = p[PHI] * _glucotoxic_factor(x, gtox) * (x[11] + p[KSEC] * np.maximum(dgdt, 0.0) + _SB)
    out[10] = -p[GAMMA] * x[10] + np.maximum(spo, 0.0)
    drive = p[BETA] * (glucose - GB_MGDL)
    out[11] = select(drive >= -_SB, -p[ALPHA] * (x[11] - drive), -p[ALPHA] * (x[11] + _SB))
    out[12] = -KSC_PER_MIN * (x[12] - x[3])
    if gtox.shape[0] > 0:
        out[G_BAR], out[PHI_G] = glucotoxic_rates(glucose, x[G_BAR], x[PHI_G], gtox)


def _depot_steady_state(model: AbsorptionModel, u: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Subcutaneous depots under a constant input ``u`` [pmol/kg/min]."""
    s1 = (1.0 - model.direct_fraction) * u / (model.k12_per_min + model.k1p_per_min)
    if model.k2p_per_min == 0.0:
        return s1, np.zeros_like(u)
    return s1, (model.k12_per_min * s1 + model.direct_fraction * u) / model.k2p_per_min


@dataclass(slots=True)
class DallaManRun:
    """Per-run meal bookkeeping (eating at a finite rate; D of gastric emptying per meal)."""

    model: DallaMan2007
    eat_rate_g_per_min: float
    planned_g: FloatArray
    last_eaten_g_per_min: FloatArray
    meal_start_qsto_mg: FloatArray
    meal_eaten_g: FloatArray

    @classmethod
    def start(cls, model: DallaMan2007, eat_rate_g_per_min: float = EAT_RATE_G_PER_MIN) -> DallaManRun:
        z = np.zeros(model.n_patients)
        return cls(model, eat_rate_g_per_min, z.copy(), z.copy(), z.copy(), z.copy())

    @property
    def n_patients(self) -> int:
        return self.model.n_patients

    def begin_minute(
        self,
        x: FloatArray,
        cho_g_per_min: FloatArray,
        rapid_u_per_min: FloatArray,
        basal_u_per_min: FloatArray | None = None,
        si_factor: FloatArray | None = None,
        activity: FloatArray | None = None,
    ) -> tuple[FloatArray, ...]:
        self.planned_g += cho_g_per_min
        to_eat = np.minimum(self.eat_rate_g_per_min, self.planned_g)
        self.planned_g -= to_eat
        starts = (to_eat > 0) & (self.last_eaten_g_per_min <= 0)
        self.meal_start_qsto_mg = np.where(starts, x[0] + x[1], self.meal_start_qsto_mg)
        self.meal_eaten_g = np.where(starts, 0.0, self.meal_eaten_g) + to_eat
        self.last_eaten_g_per_min = to_eat
        basal = np.zeros_like(rapid_u_per_min) if basal_u_per_min is None else basal_u_per_min
        return (
            to_eat * 1000.0,
            self.model.insulin_input(rapid_u_per_min),
            self.model.insulin_input(basal),
            self.meal_start_qsto_mg + self.meal_eaten_g * 1000.0,
            np.ones_like(to_eat) if si_factor is None else si_factor,
            np.zeros_like(to_eat) if activity is None else activity,
        )

    def derivatives(self, x: FloatArray, *inputs: FloatArray) -> FloatArray:
        cho, rapid, basal, meal_d, si, activity = inputs
        return self.model.derivatives(x, cho, rapid, basal, meal_d, si, activity)

    def plasma_glucose_mgdl(self, x: FloatArray) -> FloatArray:
        return self.model.plasma_glucose_mgdl(x)

    def interstitial_glucose_mgdl(self, x: FloatArray) -> FloatArray:
        return self.model.interstitial_glucose_mgdl(x)
