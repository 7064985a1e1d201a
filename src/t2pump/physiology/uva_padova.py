"""The UVA/Padova 2008 type 1 diabetes simulator model, vectorised over patients.

Thirteen states per patient (Dalla Man et al. 2007 [1]_ meal model without insulin secretion,
with the subcutaneous insulin and glucose compartments of the UVA/Padova simulator [2]_), as the
open simglucose package implements it [3]_, so that t2pump's engine can be checked against it
number for number. Parameters are simglucose's virtual-patient table (``data/vpatient_params.csv``,
provenance in ``data/PROVENANCE.md``).

States (units): ``q_sto1``, ``q_sto2`` (mg, stomach solid/liquid), ``q_gut`` (mg), ``g_p``, ``g_t``
(mg/kg, plasma and tissue glucose), ``i_p`` (pmol/kg, plasma insulin), ``x`` (pmol/L, remote insulin
action), ``i_1``, ``i_d`` (pmol/L, delayed insulin for EGP), ``i_l`` (pmol/kg, liver insulin),
``i_sc1``, ``i_sc2`` (pmol/kg, subcutaneous insulin), ``g_s`` (mg/kg, subcutaneous glucose).

Model equations [1]_ [2]_ (per patient, inputs CHO d [mg/min], insulin u [pmol/kg/min])::

    Qsto = q_sto1 + q_sto2
    k_empt = k_min + (k_max - k_min)/2 [tanh(aa (Qsto - b D)) - tanh(cc (Qsto - d D)) + 2],
             aa = 5 / (2 D (1 - b)), cc = 5 / (2 D d)           (k_max when D = 0)
    q_sto1' = -k_max q_sto1 + d          q_sto2' = k_max q_sto1 - k_empt q_sto2
    q_gut'  = k_empt q_sto2 - k_abs q_gut                       Ra = f k_abs q_gut / BW
    EGP = max(k_p1 - k_p2 g_p - k_p3 i_d, 0)                    E = k_e1 (g_p - k_e2)^+
    g_p' = EGP + Ra - F_snc - E - k1 g_p + k2 g_t
    g_t' = -(V_m0 + V_mx x) g_t / (K_m0 + g_t) + k1 g_p - k2 g_t
    i_p' = -(m2 + m4) i_p + m1 i_l + k_a1 i_sc1 + k_a2 i_sc2     I = i_p / V_I
    x'   = -p_2U x + p_2U (I - I_b)
    i_1' = -k_i (i_1 - I)            i_d' = -k_i (i_d - i_1)
    i_l' = -(m1 + m30) i_l + m2 i_p
    i_sc1' = u - (k_a1 + k_d) i_sc1  i_sc2' = k_d i_sc1 - k_a2 i_sc2
    g_s' = -k_sc g_s + k_sc g_p

Implementation details taken from simglucose so the numbers match (documented, not endorsed):
the derivative of ``g_p, g_t, i_p, i_l, i_sc1, i_sc2, g_s`` is zeroed while the state is negative;
a meal given at once is eaten at 5 g/min (``EAT_RATE``); the D of gastric emptying is the stomach
content at the start of the meal plus the food eaten since (simglucose PR #50, issue #41). Plasma
glucose is ``g_p / V_G``; simglucose's ``BG`` output is interstitial ``g_s / V_G``.

References
----------
.. [1] Dalla Man C, Rizza RA, Cobelli C. Meal simulation model of the glucose-insulin system.
   IEEE Trans Biomed Eng 2007;54(10):1740-1749.
.. [2] Kovatchev BP, Breton M, Dalla Man C, Cobelli C. In silico preclinical trials: a proof of
   concept in closed-loop control of type 1 diabetes. J Diabetes Sci Technol 2009;3(1):44-55.
.. [3] J. Xie, simglucose v0.2.11, ``simglucose/patient/t1dpatient.py`` (MIT licence).
   https://github.com/jxx123/simglucose
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
from numpy.typing import NDArray

from t2pump.errors import InputRangeError
from t2pump.physiology.meal import gastric_emptying_rate
from t2pump.units import PMOL_PER_U

__all__ = ["EAT_RATE_G_PER_MIN", "STATE_NAMES", "UvaPadova2008", "UvaPadovaRun", "patient_names"]

FloatArray = NDArray[np.float64]

STATE_NAMES = (
    "q_sto1", "q_sto2", "q_gut", "g_p", "g_t", "i_p", "x", "i_1", "i_d", "i_l", "i_sc1", "i_sc2", "g_s",
)  # fmt: skip
EAT_RATE_G_PER_MIN = 5.0  # simglucose T1DPatient.EAT_RATE [3]
_NON_NEGATIVE = np.array([3, 4, 5, 9, 10, 11, 12])  # states whose derivative is zeroed below 0 [3]
_PARAMS = (
    "BW", "Gb", "Ib", "kabs", "kmax", "kmin", "b", "d", "Vg", "Vi", "Vmx", "Km0", "k2", "k1", "p2u", "m1",
    "m2", "m4", "m30", "ki", "kp1", "kp2", "kp3", "f", "ke1", "ke2", "Fsnc", "Vm0", "kd", "ksc", "ka1", "ka2",
    "u2ss",
)  # fmt: skip


@cache
def _table() -> dict[str, dict[str, float]]:
    text = (
        resources.files("t2pump.physiology").joinpath("data/vpatient_params.csv").read_text(encoding="utf-8")
    )
    rows = list(csv.DictReader(text.splitlines()))
    out: dict[str, dict[str, float]] = {}
    for row in rows:
        out[row["Name"]] = {
            k.replace(" ", ""): float(v)
            for k, v in row.items()
            if k not in ("Name", "patient_history") and v != ""
        }
    return out


def patient_names() -> list[str]:
    """simglucose's virtual patients: adolescent#001-010, adult#001-010, child#001-010."""
    return list(_table())


@dataclass(frozen=True, slots=True)
class UvaPadova2008:
    """Parameters of ``n`` virtual patients as arrays of shape ``(n,)`` (one field per parameter)."""

    names: tuple[str, ...]
    p: dict[str, FloatArray]
    x0: FloatArray  # (13, n) initial state

    @classmethod
    def from_names(cls, names: list[str] | tuple[str, ...]) -> UvaPadova2008:
        table = _table()
        for i, name in enumerate(names):
            if name not in table:
                raise InputRangeError(f"patients[{i}]", name, "a simglucose patient, e.g. adult#001")
        rows = [table[n] for n in names]
        p = {k: np.array([r[k] for r in rows]) for k in _PARAMS}
        x0 = np.array([[r[f"x0_{j + 1}"] for r in rows] for j in range(len(STATE_NAMES))])
        return cls(tuple(names), p, x0)

    @property
    def n_states(self) -> int:
        return len(STATE_NAMES)

    @property
    def n_patients(self) -> int:
        return len(self.names)

    def basal_insulin_u_per_min(self) -> FloatArray:
        """The steady-state basal rate u2ss [pmol/kg/min] in U/min."""
        return self.p["u2ss"] * self.p["BW"] / PMOL_PER_U

    def insulin_input(self, insulin_u_per_min: FloatArray) -> FloatArray:
        """U/min -> pmol/kg/min."""
        return insulin_u_per_min * PMOL_PER_U / self.p["BW"]

    def plasma_glucose_mgdl(self, x: FloatArray) -> FloatArray:
        return np.asarray(x[3] / self.p["Vg"], dtype=np.float64)

    def interstitial_glucose_mgdl(self, x: FloatArray) -> FloatArray:
        return np.asarray(x[12] / self.p["Vg"], dtype=np.float64)

    def derivatives(
        self,
        x: FloatArray,
        cho_mg_per_min: FloatArray,
        insulin_pmol_per_kg_min: FloatArray,
        meal_d_mg: FloatArray,
    ) -> FloatArray:
        """dx/dt for all patients; ``meal_d_mg`` is D of gastric emptying (0: no meal)."""
        p = self.p
        dx = np.empty_like(x)
        kgut = gastric_emptying_rate(x[0] + x[1], meal_d_mg, p["kmax"], p["kmin"], p["b"], p["d"])
        dx[0] = -p["kmax"] * x[0] + cho_mg_per_min
        dx[1] = p["kmax"] * x[0] - kgut * x[1]
        dx[2] = kgut * x[1] - p["kabs"] * x[2]
        ra = p["f"] * p["kabs"] * x[2] / p["BW"]
        egp = np.maximum(p["kp1"] - p["kp2"] * x[3] - p["kp3"] * x[8], 0.0)
        renal = np.where(x[3] > p["ke2"], p["ke1"] * (x[3] - p["ke2"]), 0.0)
        dx[3] = egp + ra - p["Fsnc"] - renal - p["k1"] * x[3] + p["k2"] * x[4]
        uid = (p["Vm0"] + p["Vmx"] * x[6]) * x[4] / (p["Km0"] + x[4])
        dx[4] = -uid + p["k1"] * x[3] - p["k2"] * x[4]
        dx[5] = -(p["m2"] + p["m4"]) * x[5] + p["m1"] * x[9] + p["ka1"] * x[10] + p["ka2"] * x[11]
        plasma_insulin = x[5] / p["Vi"]
        dx[6] = -p["p2u"] * x[6] + p["p2u"] * (plasma_insulin - p["Ib"])
        dx[7] = -p["ki"] * (x[7] - plasma_insulin)
        dx[8] = -p["ki"] * (x[8] - x[7])
        dx[9] = -(p["m1"] + p["m30"]) * x[9] + p["m2"] * x[5]
        dx[10] = insulin_pmol_per_kg_min - (p["ka1"] + p["kd"]) * x[10]
        dx[11] = p["kd"] * x[10] - p["ka2"] * x[11]
        dx[12] = -p["ksc"] * x[12] + p["ksc"] * x[3]
        dx[_NON_NEGATIVE] *= x[_NON_NEGATIVE] >= 0
        return dx


@dataclass(slots=True)
class UvaPadovaRun:
    """Per-run bookkeeping of meals (simglucose's ``T1DPatient.step``), vectorised over patients."""

    model: UvaPadova2008
    planned_g: FloatArray
    last_cho_g_per_min: FloatArray
    last_qsto_mg: FloatArray
    last_food_g: FloatArray

    @classmethod
    def start(cls, model: UvaPadova2008) -> UvaPadovaRun:
        z = np.zeros(model.n_patients)
        return cls(model, z.copy(), z.copy(), z.copy(), z.copy())

    def begin_minute(
        self, x: FloatArray, cho_g_per_min: FloatArray, insulin_u_per_min: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Meal bookkeeping for one minute; returns the derivative inputs (d mg/min, u, D mg)."""
        self.planned_g += cho_g_per_min
        to_eat = np.minimum(EAT_RATE_G_PER_MIN, self.planned_g)
        self.planned_g -= to_eat
        starts = (to_eat > 0) & (self.last_cho_g_per_min <= 0)
        self.last_qsto_mg = np.where(starts, x[0] + x[1], self.last_qsto_mg)
        self.last_food_g = np.where(starts, 0.0, self.last_food_g) + np.where(to_eat > 0, to_eat, 0.0)
        self.last_cho_g_per_min = to_eat
        meal_d_mg = self.last_qsto_mg + self.last_food_g * 1000.0
        return to_eat * 1000.0, self.model.insulin_input(insulin_u_per_min), meal_d_mg

    @property
    def n_patients(self) -> int:
        return self.model.n_patients

    def derivatives(self, x: FloatArray, *inputs: FloatArray) -> FloatArray:
        cho_mg, insulin, meal_d = inputs
        return self.model.derivatives(x, cho_mg, insulin, meal_d)

    def plasma_glucose_mgdl(self, x: FloatArray) -> FloatArray:
        return self.model.plasma_glucose_mgdl(x)

    def interstitial_glucose_mgdl(self, x: FloatArray) -> FloatArray:
        return self.model.interstitial_glucose_mgdl(x)
