"""Insulin products: subcutaneous absorption (PK) and action curve (PD) with cited parameters.

Absorption uses one linear two-compartment form that covers the UVA/Padova model and the simple
chains fitted to product labels::

    S1' = -(k12 + k1p) S1 + (1 - f) u          [U]
    S2' =  k12 S1 - k2p S2 + f u               [U]
    Ra  =  F (k1p S1 + k2p S2)                 [U/min] appearance in plasma

* UVA/Padova (Dalla Man et al. 2007 [1]_): k12 = kd, k1p = ka1, k2p = ka2, f = 0.
* Equal-rate chain (Hovorka 2004 [2]_ style): k12 = k2p = k, k1p = 0; absorption peaks at 1/k.
* One compartment (degludec): k12 = 0, k1p = k, f = 0.
* Fast analogs: a fraction f enters S2 directly (faster early exposure).

Parameters for each product and their derivation are in ``docs/research_insulin_pk.md``
(sources tagged [V] verified in a label/abstract, [M] secondary, (derived) our fit). The action
curve of a rapid analog is the oref0/LoopKit exponential curve (:mod:`t2pump.insulin.curves`); a
basal insulin's action is its absorption profile (:class:`AbsorptionActionCurve`).

References
----------
.. [1] Dalla Man C, Rizza RA, Cobelli C. Meal simulation model of the glucose-insulin system.
   IEEE Trans Biomed Eng 2007;54(10):1740-1749. doi:10.1109/TBME.2007.893506 (SC insulin
   kd 0.0164, ka1 0.0018, ka2 0.0182 /min as in the UVA/Padova simulator).
.. [2] Hovorka R, et al. Nonlinear model predictive control of glucose concentration in subjects
   with type 1 diabetes. Physiol Meas 2004;25:905-920 (t_max,I = 55 min).
.. [3] Apidra (glulisine) Swissmedic professional information, reg. 57014: tmax 55 min, SC
   apparent t1/2 42 min.
.. [4] Fiasp (faster aspart) Swissmedic professional information, reg. 66202, Table 3: exposure
   ratios vs NovoRapid 3.83 (0-15 min), 2.01 (0-30 min), 1.32 (0-1 h), 1.10 (0-2 h).
.. [5] Lyumjev (URLi) Swissmedic professional information, reg. 67794: 8x / 3x Humalog exposure
   in the first 15 / 30 min, tmax 57 min; within-subject CV 10 % (AUC).
.. [6] Heise T, Meneghini LF. Insulin stacking versus therapeutic accumulation: understanding the
   differences. Expert Opin Drug Metab Toxicol 2015;11:1193: steady-state t1/2 glargine U100
   12.1 h, degludec 25.4 h.
.. [7] Tresiba (degludec) Swissmedic professional information, reg. 62562: t1/2 about 25 h,
   independent of dose.
.. [8] Levemir (detemir) Swissmedic professional information, reg. 56370: terminal t1/2 5-7 h,
   Cmax 6-8 h after the dose.
.. [9] Insulatard (NPH) Swissmedic professional information, reg. 47130: Cmax 2-18 h, t1/2 5-10 h;
   typical peak of action 4-6 h [M].
.. [10] Heise T, et al. Lower within-subject variability of insulin detemir in comparison to NPH
   insulin and insulin glargine in people with type 1 diabetes. Diabetes 2004;53(6):1614-1620.
   Within-subject CV of exposure (AUC) detemir 14 %, NPH 28 %, glargine 33 %.
.. [11] Toujeo (glargine U300) Swissmedic professional information, reg. 65453: within-subject CV
   of 24-h exposure 17.4 %; t1/2 about 19 h [M].
.. [12] oref0 curve defaults: "rapid-acting" (Novolog, Novorapid, Humalog, Apidra) peak 75 min,
   "ultra-rapid" (Fiasp) peak 55 min (lib/iob/total.js, commit 88cf032a); LoopKit presets
   (ExponentialInsulinModelPreset.swift, commit 2f535b3c).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import InputRangeError, check_range
from t2pump.insulin.curves import ActionCurve, CurveKind, Oref0Curve

__all__ = [
    "PRODUCTS",
    "AbsorptionActionCurve",
    "AbsorptionModel",
    "InsulinClass",
    "InsulinProduct",
    "get_product",
]

FloatArray = NDArray[np.float64]
_LN2 = math.log(2.0)


class InsulinClass(StrEnum):
    RAPID = "rapid"
    BASAL = "basal"


@dataclass(frozen=True, slots=True)
class AbsorptionModel:
    """Linear two-compartment subcutaneous absorption (see the module docstring) [1/min]."""

    k12_per_min: float
    k1p_per_min: float
    k2p_per_min: float
    direct_fraction: float = 0.0
    bioavailability: float = 1.0

    def __post_init__(self) -> None:
        for name in ("k12_per_min", "k1p_per_min", "k2p_per_min"):
            check_range(f"absorption.{name}", getattr(self, name), 0.0, 1.0, "1/min")
        check_range("absorption.direct_fraction", self.direct_fraction, 0.0, 1.0)
        check_range("absorption.bioavailability", self.bioavailability, 0.0, 1.0, lo_inclusive=False)
        if self.k1p_per_min + self.k12_per_min <= 0:
            raise InputRangeError("absorption", self, "a way out of the first compartment (k12 + k1p > 0)")
        if self.k12_per_min > 0 and self.k2p_per_min <= 0:
            raise InputRangeError("absorption.k2p_per_min", self.k2p_per_min, "> 0 when k12 > 0")

    @classmethod
    def chain(cls, k_per_min: float, direct_fraction: float = 0.0) -> AbsorptionModel:
        """Equal-rate two-compartment chain: absorption peaks at 1/k."""
        return cls(k_per_min, 0.0, k_per_min, direct_fraction)

    @classmethod
    def one_compartment(cls, k_per_min: float) -> AbsorptionModel:
        return cls(0.0, k_per_min, 0.0)

    def depots(self, t_min: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """S1, S2 [fraction of a unit dose given at t = 0] at ``t_min`` (0 before the dose)."""
        t = np.asarray(t_min, dtype=np.float64)
        tt = np.maximum(t, 0.0)
        a = self.k12_per_min + self.k1p_per_min
        b = self.k2p_per_min
        f = self.direct_fraction
        s1 = (1.0 - f) * np.exp(-a * tt)
        if self.k12_per_min == 0.0:
            transfer = np.zeros_like(tt)
        elif abs(b - a) < 1e-12:
            transfer = self.k12_per_min * tt * np.exp(-a * tt)
        else:
            transfer = self.k12_per_min * (np.exp(-a * tt) - np.exp(-b * tt)) / (b - a)
        s2 = f * np.exp(-b * tt) + (1.0 - f) * transfer
        before = t < 0
        return np.where(before, 0.0, s1), np.where(before, 0.0, s2)

    def appearance_rate(self, t_min: ArrayLike) -> FloatArray:
        """Ra after a unit dose at t = 0 [1/min]: fraction of the dose appearing per minute."""
        s1, s2 = self.depots(t_min)
        return self.bioavailability * (self.k1p_per_min * s1 + self.k2p_per_min * s2)

    def fraction_absorbed(self, t_min: ArrayLike) -> FloatArray:
        """Fraction of a unit dose that has left the depots by ``t_min`` (before bioavailability)."""
        s1, s2 = self.depots(t_min)
        t = np.asarray(t_min, dtype=np.float64)
        return np.where(t < 0, 0.0, 1.0 - s1 - s2)

    def transition(self, dt_min: float) -> tuple[FloatArray, FloatArray]:
        """Exact discretisation over ``dt_min`` with input held constant: ``x+ = A x + B u``.

        ``A`` (2x2) and ``B`` (2,) act on the depot vector ``[S1, S2]`` with ``u`` in U/min,
        so a simulator can step many patients' depots at once with one matrix product.
        """
        dt = check_range("dt_min", dt_min, 0.0, 1440.0, "min", lo_inclusive=False)
        a = self.k12_per_min + self.k1p_per_min
        m = np.array([[-a, 0.0], [self.k12_per_min, -self.k2p_per_min]])
        g = np.array([1.0 - self.direct_fraction, self.direct_fraction])
        # Van Loan: expm([[M, g],[0, 0]] dt) = [[A, B],[0, 1]]
        big = np.zeros((3, 3))
        big[:2, :2] = m * dt
        big[:2, 2] = g * dt
        e = _expm(big)
        return e[:2, :2], e[:2, 2]


def _expm(m: FloatArray) -> FloatArray:
    """Matrix exponential by scaling and squaring with a Taylor series (small matrices)."""
    norm = float(np.max(np.sum(np.abs(m), axis=1)))
    squarings = max(0, math.ceil(math.log2(norm)) + 1) if norm > 0.5 else 0
    a = m / (2.0**squarings)
    result = np.eye(m.shape[0])
    term = np.eye(m.shape[0])
    for k in range(1, 20):
        term = term @ a / k
        result = result + term
    for _ in range(squarings):
        result = result @ result
    return result


@dataclass(frozen=True, slots=True)
class AbsorptionActionCurve:
    """An action curve taken from absorption: IOB = dose not yet absorbed, cut at ``duration_min``.

    Used for basal insulins, whose glucose-lowering action follows their slow absorption. The
    cut-off drops the tail left at ``duration_min`` (IOB is 0 from then on).
    """

    absorption: AbsorptionModel
    duration_min: float

    def iob_fraction(self, t_min: ArrayLike) -> FloatArray:
        t = np.asarray(t_min, dtype=np.float64)
        left = 1.0 - self.absorption.fraction_absorbed(t)
        return np.where(t >= self.duration_min, 0.0, left)

    def activity(self, t_min: ArrayLike) -> FloatArray:
        t = np.asarray(t_min, dtype=np.float64)
        a = self.absorption
        s1, s2 = a.depots(t)
        rate = a.k1p_per_min * s1 + a.k2p_per_min * s2
        return np.where((t < 0) | (t >= self.duration_min), 0.0, rate)


@dataclass(frozen=True, slots=True)
class InsulinProduct:
    """An insulin product with its absorption, default action curve and absorption variability."""

    product_id: str
    name: str
    insulin_class: InsulinClass
    absorption: AbsorptionModel
    action: ActionCurve
    pump_compatible: bool
    exposure_cv_within: float | None  # within-subject CV of exposure (AUC), for simulation noise
    sources: str


def _per_min_from_half_life_h(t_half_h: float) -> float:
    return _LN2 / (t_half_h * 60.0)


_UVA_PADOVA = AbsorptionModel(k12_per_min=0.0164, k1p_per_min=0.0018, k2p_per_min=0.0182)  # [1]
_RAPID_ACTION = Oref0Curve.from_settings(CurveKind.RAPID_ACTING, 5.0)  # [12]
_ULTRA_ACTION = Oref0Curve.from_settings(CurveKind.ULTRA_RAPID, 5.0)  # [12]


@cache
def _products() -> dict[str, InsulinProduct]:
    glargine = AbsorptionModel.chain(_per_min_from_half_life_h(12.1))  # [6] (derived: k = ln2 / t1/2)
    u300 = AbsorptionModel.chain(_per_min_from_half_life_h(19.0))  # [11] t1/2 [M]
    degludec = AbsorptionModel.one_compartment(_per_min_from_half_life_h(25.0))  # [7]
    detemir = AbsorptionModel.chain(1.0 / (7.0 * 60.0))  # [8] Cmax 6-8 h -> 1/k = 7 h (derived)
    nph = AbsorptionModel.chain(1.0 / (5.0 * 60.0))  # [9] peak 4-6 h -> 1/k = 5 h (derived)
    items = [
        InsulinProduct(
            "lispro",
            "insulin lispro (Humalog, Admelog)",
            InsulinClass.RAPID,
            _UVA_PADOVA,
            _RAPID_ACTION,
            True,
            None,
            "[1] UVA/Padova SC model; [12] oref0 rapid-acting",
        ),
        InsulinProduct(
            "aspart",
            "insulin aspart (NovoRapid, NovoLog)",
            InsulinClass.RAPID,
            _UVA_PADOVA,
            _RAPID_ACTION,
            True,
            None,
            "[1] UVA/Padova SC model (aspart label tmax 40-50 min agrees); [12] oref0 rapid-acting",
        ),
        InsulinProduct(
            "glulisine",
            "insulin glulisine (Apidra)",
            InsulinClass.RAPID,
            AbsorptionModel.chain(_LN2 / 42.0),
            _RAPID_ACTION,
            True,
            None,
            "[3] SC t1/2 42 min -> k = ln2/42 (derived); [12] oref0 rapid-acting",
        ),
        InsulinProduct(
            "faster_aspart",
            "faster insulin aspart (Fiasp)",
            InsulinClass.RAPID,
            AbsorptionModel.chain(1.0 / 50.0, direct_fraction=0.30),
            _ULTRA_ACTION,
            True,
            None,
            "[4] chain 1/k = 50 min, 30 % direct (derived fit to the label's exposure ratios); "
            "[12] oref0 ultra-rapid",
        ),
        InsulinProduct(
            "lyumjev",
            "ultra-rapid lispro (Lyumjev)",
            InsulinClass.RAPID,
            AbsorptionModel.chain(1.0 / 50.0, direct_fraction=0.60),
            _ULTRA_ACTION,
            True,
            0.10,
            "[5] chain 1/k = 50 min, 60 % direct (derived; cannot match both 8x early exposure and "
            "tmax 57 min); [12] oref0 ultra-rapid (LoopKit lyumjev preset 360/55/10)",
        ),
        InsulinProduct(
            "glargine_u100",
            "insulin glargine 100 U/mL (Lantus, Abasaglar)",
            InsulinClass.BASAL,
            glargine,
            AbsorptionActionCurve(glargine, 36 * 60.0),
            False,
            0.33,
            "[6] t1/2 12.1 h; [10] CV 33 %",
        ),
        InsulinProduct(
            "glargine_u300",
            "insulin glargine 300 U/mL (Toujeo)",
            InsulinClass.BASAL,
            u300,
            AbsorptionActionCurve(u300, 42 * 60.0),
            False,
            0.174,
            "[11] t1/2 19 h [M]; CV 17.4 %",
        ),
        InsulinProduct(
            "degludec",
            "insulin degludec (Tresiba)",
            InsulinClass.BASAL,
            degludec,
            AbsorptionActionCurve(degludec, 42 * 60.0),
            False,
            None,
            "[6] [7] t1/2 25 h",
        ),
        InsulinProduct(
            "detemir",
            "insulin detemir (Levemir)",
            InsulinClass.BASAL,
            detemir,
            AbsorptionActionCurve(detemir, 24 * 60.0),
            False,
            0.14,
            "[8] Cmax 6-8 h; [10] CV 14 %; dose dependence of duration not modelled",
        ),
        InsulinProduct(
            "nph",
            "NPH human isophane insulin (Insulatard, Humulin N)",
            InsulinClass.BASAL,
            nph,
            AbsorptionActionCurve(nph, 24 * 60.0),
            False,
            0.28,
            "[9] peak 4-6 h; [10] CV 28 %",
        ),
    ]
    return {p.product_id: p for p in items}


PRODUCTS: tuple[str, ...] = tuple(_products())


def get_product(product_id: str) -> InsulinProduct:
    products = _products()
    if product_id not in products:
        raise InputRangeError("insulin", product_id, "one of " + ", ".join(products))
    return products[product_id]
