"""Unit conversions. The only place in t2pump where a unit factor is written down.

Internal units are fixed: glucose mg/dL, insulin U (real units of insulin, whatever its
concentration), rates U/h, carbohydrate g, time min, weight kg.

References
----------
.. [1] Molar mass of D-glucose C6H12O6 = 180.156 g/mol (IUPAC 2013 standard atomic weights:
   C 12.011, H 1.008, O 15.999). 1 mmol/L = 180.156 mg/L = 18.0156 mg/dL.
.. [2] Hoelzel W, Weykamp C, Jeppsson JO, et al. IFCC reference system for measurement of
   hemoglobin A1c in human blood and the national standardization schemes in the United
   States, Japan, and Sweden: a method-comparison study. Clin Chem 2004;50(1):166-174.
   doi:10.1373/clinchem.2003.024802. Master equation NGSP(%) = 0.09148 x IFCC(mmol/mol) + 2.152.
.. [4] 1 U of insulin = 6 nmol = 6000 pmol (1 uU/mL = 6 pmol/L): Knopp JL, Holder-Pearson L,
   Chase JG. Insulin units and conversion factors: a story of truth, boots, and faster half-truths.
   J Diabetes Sci Technol 2019;13(3):597-600. The factor used by the UVA/Padova simulator.
.. [3] Insulin strength is labelled in units per mL: U-100 = 100 U/mL, U-200 = 200 U/mL,
   U-300 = 300 U/mL, U-500 = 500 U/mL (e.g. Humulin R U-500 and Humalog U-200 prescribing
   information, Eli Lilly; Toujeo U-300 SmPC, Sanofi).
"""

from __future__ import annotations

from enum import IntEnum
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from t2pump.errors import InputRangeError, check_finite

__all__ = [
    "GLUCOSE_MOLAR_MASS_G_PER_MOL",
    "MGDL_PER_MMOLL",
    "MIN_PER_DAY",
    "MIN_PER_H",
    "PMOL_PER_U",
    "Concentration",
    "hba1c_mmolmol_to_percent",
    "hba1c_percent_to_mmolmol",
    "mgdl_to_mmoll",
    "ml_to_units",
    "mmoll_to_mgdl",
    "u100_equivalent_to_units",
    "units_to_ml",
]

F = TypeVar("F", float, NDArray[np.float64])

GLUCOSE_MOLAR_MASS_G_PER_MOL = 180.156  # [1]
MGDL_PER_MMOLL = GLUCOSE_MOLAR_MASS_G_PER_MOL / 10.0  # mg/dL per mmol/L [1]: 18.0156

HBA1C_MASTER_SLOPE = 0.09148  # % per mmol/mol [2]
HBA1C_MASTER_INTERCEPT = 2.152  # % [2]

PMOL_PER_U = 6000.0  # pmol of insulin per unit [4]

MIN_PER_H = 60.0
MIN_PER_DAY = 1440.0


def mgdl_to_mmoll(glucose_mgdl: F) -> F:
    """Glucose [mg/dL] -> [mmol/L] with the molar mass of glucose [1]."""
    return glucose_mgdl / MGDL_PER_MMOLL


def mmoll_to_mgdl(glucose_mmoll: F) -> F:
    """Glucose [mmol/L] -> [mg/dL] with the molar mass of glucose [1]."""
    return glucose_mmoll * MGDL_PER_MMOLL


def hba1c_percent_to_mmolmol(hba1c_percent: F) -> F:
    """HbA1c NGSP/DCCT [%] -> IFCC [mmol/mol] by the IFCC-NGSP master equation [2]."""
    return (hba1c_percent - HBA1C_MASTER_INTERCEPT) / HBA1C_MASTER_SLOPE


def hba1c_mmolmol_to_percent(hba1c_mmolmol: F) -> F:
    """HbA1c IFCC [mmol/mol] -> NGSP/DCCT [%] by the IFCC-NGSP master equation [2]."""
    return HBA1C_MASTER_SLOPE * hba1c_mmolmol + HBA1C_MASTER_INTERCEPT


class Concentration(IntEnum):
    """Labelled insulin strength [U/mL] [3]."""

    U100 = 100
    U200 = 200
    U300 = 300
    U500 = 500

    @classmethod
    def parse(cls, value: object, field: str = "concentration") -> Concentration:
        """Accept 100, "100", "U100", "U-100" (any case) and return the member."""
        text = str(value).strip().upper().replace("-", "").removeprefix("U")
        try:
            return cls(int(text))
        except ValueError:
            raise InputRangeError(field, value, "one of U-100, U-200, U-300, U-500") from None


def units_to_ml(units: F, concentration: Concentration) -> F:
    """Insulin [U] -> volume [mL] at a labelled strength [3]."""
    return units / float(concentration)


def ml_to_units(volume_ml: F, concentration: Concentration) -> F:
    """Volume [mL] -> insulin [U] at a labelled strength [3]."""
    return volume_ml * float(concentration)


def u100_equivalent_to_units(u100_units: float, concentration: Concentration) -> float:
    """A pump counts volume in U-100 'pump units'; return the real units of that volume."""
    return check_finite("u100_units", u100_units) * float(concentration) / float(Concentration.U100)
