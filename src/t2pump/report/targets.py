"""Consensus CGM targets as data: the glucose bands of the ranges bar and the goals of each population.

Three sets from the international consensus on time in range [1]_ (Figure 3 and Tables 2 and 4):

* ``standard``: adults with type 1 or type 2 diabetes: bands < 54, 54-69, 70-180, 181-250, > 250 mg/dL;
  goals TIR > 70 %, < 70 < 4 %, < 54 < 1 %, > 180 < 25 %, > 250 < 5 %.
* ``older_high_risk``: older or high-risk people with type 1 or type 2 diabetes: same bands; goals
  TIR > 50 %, < 70 < 1 %, > 180 < 50 %, > 250 < 10 % (no separate goal for < 54).
* ``pregnancy``: bands < 54, 54-62, 63-140, > 140 mg/dL; goals TIR (63-140) > 70 %, < 63 < 4 %,
  < 54 < 1 %, > 140 < 25 %. The consensus gives these percentages for **type 1** diabetes in
  pregnancy; for type 2 and gestational diabetes it keeps the ranges but sets no percentage goal
  (limited evidence). The report says so under the table.

The glucose-variability goal %CV <= 36 % is the same for every set [1]_ (Danne 2017 [2]_: stable below
36 %). GMI and mean glucose have no consensus goal (individualised).

References
----------
.. [1] Battelino T, Danne T, Bergenstal RM, et al. Clinical targets for continuous glucose monitoring
   data interpretation: recommendations from the international consensus on time in range. Diabetes
   Care 2019;42(8):1593-1603. doi:10.2337/dci19-0028
.. [2] Danne T, Nimri R, Battelino T, et al. International consensus on use of continuous glucose
   monitoring. Diabetes Care 2017;40(12):1631-1640. doi:10.2337/dc17-1600
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from t2pump.metrics import percent_above, percent_below, percent_in_range, time_in_ranges
from t2pump.metrics.ranges import (
    HYPER_L1_MGDL,
    HYPER_L2_MGDL,
    HYPO_L1_MGDL,
    HYPO_L2_MGDL,
    PREGNANCY_RANGE_MGDL,
)

__all__ = [
    "CV_GOAL_PERCENT",
    "TARGET_SETS",
    "Band",
    "BandKind",
    "Comparator",
    "Goal",
    "GoalKind",
    "TargetSet",
    "TargetSetName",
    "band_percents",
    "goal_percents",
]

FloatArray = NDArray[np.float64]

CV_GOAL_PERCENT = 36.0  # %CV <= 36 % [1], [2]


class TargetSetName(StrEnum):
    STANDARD = "standard"
    OLDER_HIGH_RISK = "older_high_risk"
    PREGNANCY = "pregnancy"


class BandKind(StrEnum):
    """The glucose bands of the ranges bar, top to bottom."""

    VERY_HIGH = "very_high"
    HIGH = "high"
    TARGET = "target"
    LOW = "low"
    VERY_LOW = "very_low"


class GoalKind(StrEnum):
    """What a goal is about: one band or the sum of two (e.g. all readings below the target range)."""

    IN_RANGE = "in_range"
    BELOW_RANGE = "below_range"  # low + very low
    VERY_LOW = "very_low"
    ABOVE_RANGE = "above_range"  # high + very high
    VERY_HIGH = "very_high"


class Comparator(StrEnum):
    GREATER = ">"
    LESS = "<"


@dataclass(frozen=True, slots=True)
class Band:
    """One band of the ranges bar; ``low_mgdl``/``high_mgdl`` are the integer sensor values it holds."""

    kind: BandKind
    low_mgdl: float | None  # lowest value in the band, None = open below [mg/dL]
    high_mgdl: float | None  # highest value in the band, None = open above [mg/dL]


@dataclass(frozen=True, slots=True)
class Goal:
    kind: GoalKind
    comparator: Comparator
    percent: float  # [% of readings]

    def met(self, value_percent: float) -> bool:
        if self.comparator is Comparator.GREATER:
            return value_percent > self.percent
        return value_percent < self.percent


@dataclass(frozen=True, slots=True)
class TargetSet:
    name: TargetSetName
    bands: tuple[Band, ...]  # top (highest glucose) to bottom
    goals: tuple[Goal, ...]  # in the order of the table
    range_low_mgdl: float  # target range, inclusive [mg/dL]
    range_high_mgdl: float
    citation: str


_BATTELINO_2019 = "Battelino et al. Diabetes Care 2019;42:1593-1603, doi:10.2337/dci19-0028"
_G, _L = Comparator.GREATER, Comparator.LESS

_STANDARD_BANDS = (
    Band(BandKind.VERY_HIGH, HYPER_L2_MGDL + 1.0, None),
    Band(BandKind.HIGH, HYPER_L1_MGDL + 1.0, HYPER_L2_MGDL),
    Band(BandKind.TARGET, HYPO_L1_MGDL, HYPER_L1_MGDL),
    Band(BandKind.LOW, HYPO_L2_MGDL, HYPO_L1_MGDL - 1.0),
    Band(BandKind.VERY_LOW, None, HYPO_L2_MGDL - 1.0),
)
_PREG_LO, _PREG_HI = PREGNANCY_RANGE_MGDL

TARGET_SETS: dict[TargetSetName, TargetSet] = {
    TargetSetName.STANDARD: TargetSet(
        name=TargetSetName.STANDARD,
        bands=_STANDARD_BANDS,
        goals=(  # [1] Figure 3, "Type 1 & Type 2"
            Goal(GoalKind.IN_RANGE, _G, 70.0),
            Goal(GoalKind.BELOW_RANGE, _L, 4.0),
            Goal(GoalKind.VERY_LOW, _L, 1.0),
            Goal(GoalKind.ABOVE_RANGE, _L, 25.0),
            Goal(GoalKind.VERY_HIGH, _L, 5.0),
        ),
        range_low_mgdl=HYPO_L1_MGDL,
        range_high_mgdl=HYPER_L1_MGDL,
        citation=_BATTELINO_2019,
    ),
    TargetSetName.OLDER_HIGH_RISK: TargetSet(
        name=TargetSetName.OLDER_HIGH_RISK,
        bands=_STANDARD_BANDS,
        goals=(  # [1] Figure 3, "Older/High-Risk Type 1 & Type 2"
            Goal(GoalKind.IN_RANGE, _G, 50.0),
            Goal(GoalKind.BELOW_RANGE, _L, 1.0),
            Goal(GoalKind.ABOVE_RANGE, _L, 50.0),
            Goal(GoalKind.VERY_HIGH, _L, 10.0),
        ),
        range_low_mgdl=HYPO_L1_MGDL,
        range_high_mgdl=HYPER_L1_MGDL,
        citation=_BATTELINO_2019,
    ),
    TargetSetName.PREGNANCY: TargetSet(
        name=TargetSetName.PREGNANCY,
        bands=(
            Band(BandKind.HIGH, _PREG_HI + 1.0, None),
            Band(BandKind.TARGET, _PREG_LO, _PREG_HI),
            Band(BandKind.LOW, HYPO_L2_MGDL, _PREG_LO - 1.0),
            Band(BandKind.VERY_LOW, None, HYPO_L2_MGDL - 1.0),
        ),
        goals=(  # [1] Figure 3 and Table 4, "Pregnancy Type 1"
            Goal(GoalKind.IN_RANGE, _G, 70.0),
            Goal(GoalKind.BELOW_RANGE, _L, 4.0),
            Goal(GoalKind.VERY_LOW, _L, 1.0),
            Goal(GoalKind.ABOVE_RANGE, _L, 25.0),
        ),
        range_low_mgdl=_PREG_LO,
        range_high_mgdl=_PREG_HI,
        citation=_BATTELINO_2019,
    ),
}


def band_percents(glucose_mgdl: FloatArray, targets: TargetSet) -> dict[BandKind, float]:
    """% of readings in each band of ``targets`` (t2pump.metrics; the bands partition the readings)."""
    if targets.name is TargetSetName.PREGNANCY:
        very_low = float(percent_below(glucose_mgdl, HYPO_L2_MGDL))
        return {
            BandKind.HIGH: float(percent_above(glucose_mgdl, _PREG_HI)),
            BandKind.TARGET: float(percent_in_range(glucose_mgdl, _PREG_LO, _PREG_HI)),
            BandKind.LOW: float(percent_below(glucose_mgdl, _PREG_LO)) - very_low,
            BandKind.VERY_LOW: very_low,
        }
    tir = time_in_ranges(glucose_mgdl)
    return {
        BandKind.VERY_HIGH: float(tir.very_high),
        BandKind.HIGH: float(tir.high),
        BandKind.TARGET: float(tir.target),
        BandKind.LOW: float(tir.low),
        BandKind.VERY_LOW: float(tir.very_low),
    }


def goal_percents(glucose_mgdl: FloatArray, targets: TargetSet) -> dict[GoalKind, float]:
    """% of readings each goal of ``targets`` is judged on, straight from t2pump.metrics."""
    return {goal.kind: _goal_percent(glucose_mgdl, goal.kind, targets) for goal in targets.goals}


def _goal_percent(glucose_mgdl: FloatArray, kind: GoalKind, targets: TargetSet) -> float:
    lo, hi = targets.range_low_mgdl, targets.range_high_mgdl
    match kind:
        case GoalKind.IN_RANGE:
            value = percent_in_range(glucose_mgdl, lo, hi)
        case GoalKind.BELOW_RANGE:
            value = percent_below(glucose_mgdl, lo)
        case GoalKind.VERY_LOW:
            value = percent_below(glucose_mgdl, HYPO_L2_MGDL)
        case GoalKind.ABOVE_RANGE:
            value = percent_above(glucose_mgdl, hi)
        case GoalKind.VERY_HIGH:
            value = percent_above(glucose_mgdl, HYPER_L2_MGDL)
    return float(value)
