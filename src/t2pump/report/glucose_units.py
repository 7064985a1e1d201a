"""The glucose unit a report is read in: mg/dL, mmol/L or g/L. Metrics stay in mg/dL.

Every metric is computed in mg/dL (t2pump's internal unit); the report converts what it *shows*:
glucose values, axes, range labels and target lines. The three units and how each is written:

* ``mg/dL``, whole numbers (70, 180): the unit of the consensus [1]_ and of most French reports;
* ``mmol/L``, one decimal (3.9, 10.0): the consensus' second unit [1]_, converted with
  t2pump.units (glucose molar mass); the rounded values are the consensus' own (3.9-10.0,
  3.0-3.8, 10.1-13.9, < 3.0, > 13.9 mmol/L);
* ``g/L``, two decimals (0.70, 1.80): the unit of French guidelines and laboratory reports (e.g.
  the CNGOF/SFD targets "fasting < 0.95 g/L", research note clinical.md); 1 g/L = 100 mg/dL.

Band labels. A band holds whole mg/dL values ``[low, high]`` (t2pump.report.targets); shown in a
unit of resolution ``step`` it runs from the value one step above the rounded top of the band
below (``round(low - 1) + step``) to ``round(high)``. This reproduces the consensus' mmol/L labels
(181-250 mg/dL is 10.1-13.9 mmol/L, not 10.0-13.9) and leaves no gap or overlap between bands.
Open bands read ``< round(high + 1)`` and ``> round(low - 1)``; thresholds (target lines, goals)
are ``round(threshold)``.

References
----------
.. [1] Battelino T, et al. Diabetes Care 2019;42(8):1593-1603. doi:10.2337/dci19-0028 (Figure 1 and
   Table 2: ranges in mg/dL and mmol/L).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from t2pump.errors import parse_enum
from t2pump.report.i18n import Localizer
from t2pump.report.targets import Band
from t2pump.units import mgdl_to_mmoll

__all__ = ["MGDL_PER_GL", "DisplayUnit", "GlucoseUnit", "display_unit"]

F = TypeVar("F", float, NDArray[np.float64])

# 1 g/L = 1000 mg/L = 100 mg/dL (1 dL = 0.1 L): a change of SI prefix, not of substance. It belongs
# with the other factors in t2pump.units, which this module may not edit; kept here until it moves.
MGDL_PER_GL = 100.0


class GlucoseUnit(StrEnum):
    MGDL = "mg/dL"
    MMOLL = "mmol/L"
    GL = "g/L"


@dataclass(frozen=True, slots=True)
class DisplayUnit:
    """How glucose is shown in one unit: conversion, decimals, axis limits."""

    unit: GlucoseUnit
    digits: int  # decimals shown
    axis_step: float  # the AGP's top value is a multiple of this [unit]

    @property
    def step(self) -> float:
        """The resolution of a shown value [unit]."""
        return 10.0**-self.digits

    def convert(self, glucose_mgdl: F) -> F:
        """Glucose [mg/dL] in this unit (exactly the input for mg/dL)."""
        match self.unit:
            case GlucoseUnit.MGDL:
                return glucose_mgdl
            case GlucoseUnit.MMOLL:
                return mgdl_to_mmoll(glucose_mgdl)
            case GlucoseUnit.GL:
                return glucose_mgdl / MGDL_PER_GL

    def rounded(self, glucose_mgdl: float) -> float:
        """The value shown for ``glucose_mgdl``, rounded to this unit's decimals."""
        return round(self.convert(glucose_mgdl), self.digits)

    def number(self, glucose_mgdl: float, loc: Localizer) -> str:
        """``glucose_mgdl`` shown in this unit, without the unit ("3,9" in French)."""
        return loc.decimal(self.rounded(glucose_mgdl), self.digits)

    def with_unit(self, glucose_mgdl: float, loc: Localizer) -> str:
        return f"{self.number(glucose_mgdl, loc)} {self.unit.value}"

    def axis_max(self, glucose_mgdl: float) -> float:
        """The top of an axis reaching ``glucose_mgdl``: the next multiple of ``axis_step``."""
        value = float(self.convert(glucose_mgdl))
        return math.ceil(round(value / self.axis_step, 9)) * self.axis_step

    def band_range(self, band: Band, loc: Localizer) -> str:
        """A band's range in this unit (module doc), e.g. ``10,1–13,9 mmol/L``."""
        if band.low_mgdl is None and band.high_mgdl is not None:
            return f"< {self.number(band.high_mgdl + 1.0, loc)} {self.unit.value}"
        if band.high_mgdl is None and band.low_mgdl is not None:
            return f"> {self.number(band.low_mgdl - 1.0, loc)} {self.unit.value}"
        if band.low_mgdl is None or band.high_mgdl is None:  # pragma: no cover - a band has one bound
            return self.unit.value
        low = self.rounded(band.low_mgdl - 1.0) + self.step
        text = f"{loc.decimal(low, self.digits)}\u2013{self.number(band.high_mgdl, loc)}"
        return f"{text} {self.unit.value}"


_UNITS = {
    GlucoseUnit.MGDL: DisplayUnit(GlucoseUnit.MGDL, digits=0, axis_step=50.0),
    GlucoseUnit.MMOLL: DisplayUnit(GlucoseUnit.MMOLL, digits=1, axis_step=1.0),
    GlucoseUnit.GL: DisplayUnit(GlucoseUnit.GL, digits=2, axis_step=0.5),
}


def display_unit(unit: str | GlucoseUnit) -> DisplayUnit:
    """The display of ``unit``: ``"mg/dL"``, ``"mmol/L"`` or ``"g/L"`` (any case); else an error."""
    if isinstance(unit, GlucoseUnit):
        return _UNITS[unit]
    by_key = {u.value.casefold(): u for u in GlucoseUnit}
    return _UNITS[by_key.get(str(unit).strip().casefold()) or parse_enum(GlucoseUnit, unit, "units")]
