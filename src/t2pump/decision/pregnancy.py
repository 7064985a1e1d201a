"""Glucose targets in pregnancy, for the decision outputs and for titration.

Two sets, both in ``data/settings_titration.toml``:

* capillary (SMBG) targets of the ADA Standards of Care ("Management of diabetes in pregnancy"),
  the same as ACOG's: fasting < 95 mg/dL and either 1 h after a meal < 140 mg/dL or 2 h after
  < 120 mg/dL [1]_; French texts (CNGOF/SFD) give fasting < 0.95 g/L and 2 h < 1.20 g/L;
* CGM: the pregnancy range 63-140 mg/dL (``t2pump.metrics.ranges.PREGNANCY_RANGE_MGDL``) with the
  consensus goals TIR > 70 %, below 63 < 4 %, below 54 < 1 %, above 140 < 25 % [2]_. The consensus
  sets these percentages for **type 1** diabetes in pregnancy; for type 2 and gestational diabetes
  it keeps the range but sets no percentage goal (limited evidence). Outputs say so: for a woman
  with type 2 diabetes the goals are shown for reference, not as her targets.

The percentages are computed by :mod:`t2pump.metrics` (readings counted, as the consensus and
iglu do). The same goals appear in the AGP report (``t2pump.report.targets``, above this layer);
a test keeps the two tables equal.

References
----------
.. [1] American Diabetes Association. Management of diabetes in pregnancy: Standards of Medical
   Care in Diabetes (glucose monitoring section).
.. [2] Battelino T, Danne T, Bergenstal RM, et al. Clinical targets for continuous glucose
   monitoring data interpretation: recommendations from the international consensus on time in
   range. Diabetes Care 2019;42(8):1593-1603. doi:10.2337/dci19-0028 (Table 4)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from t2pump.decision._rulebook import rule
from t2pump.metrics.ranges import (
    HYPO_L2_MGDL,
    PREGNANCY_RANGE_MGDL,
    percent_above,
    percent_below,
    percent_in_range,
)

__all__ = [
    "PregnancyCgmGoal",
    "PregnancyCgmSummary",
    "PregnancyTargets",
    "pregnancy_cgm_summary",
    "pregnancy_targets",
]

_SMBG = "pregnancy.smbg"
_CGM = "pregnancy.cgm"
_TYPE2_NOTE = (
    "The consensus sets these percentages for type 1 diabetes in pregnancy; for type 2 diabetes it "
    "keeps the 63-140 mg/dL range but sets no percentage goal (limited evidence): shown for reference."
)


@dataclass(frozen=True, slots=True)
class PregnancyCgmGoal:
    metric: str  # "in_range_63_140", "below_63", "below_54", "above_140"
    comparator: str  # ">" or "<"
    percent: float  # [% of readings]

    def met(self, value_percent: float) -> bool:
        return value_percent > self.percent if self.comparator == ">" else value_percent < self.percent


@dataclass(frozen=True, slots=True)
class PregnancyTargets:
    """Pregnancy glucose targets [mg/dL] and CGM goals [% of readings], each with its source."""

    fasting_below_mgdl: float
    one_hour_below_mgdl: float
    two_hour_below_mgdl: float
    smbg_rule_id: str
    smbg_citation: str
    cgm_range_mgdl: tuple[float, float]
    cgm_goals: tuple[PregnancyCgmGoal, ...]
    cgm_rule_id: str
    cgm_citation: str
    type2_note: str = _TYPE2_NOTE

    def to_dict(self) -> dict[str, Any]:
        return {
            "smbg": {
                "fasting_below_mgdl": self.fasting_below_mgdl,
                "one_hour_after_meal_below_mgdl": self.one_hour_below_mgdl,
                "two_hours_after_meal_below_mgdl": self.two_hour_below_mgdl,
                "rule_id": self.smbg_rule_id,
                "citation": self.smbg_citation,
            },
            "cgm": {
                "range_mgdl": list(self.cgm_range_mgdl),
                "goals": [
                    {"metric": g.metric, "comparator": g.comparator, "percent": g.percent}
                    for g in self.cgm_goals
                ],
                "rule_id": self.cgm_rule_id,
                "citation": self.cgm_citation,
                "type2_note": self.type2_note,
            },
        }


def pregnancy_targets() -> PregnancyTargets:
    """The packaged pregnancy targets (module docstring)."""
    smbg, cgm = rule(_SMBG), rule(_CGM)
    goals = tuple(PregnancyCgmGoal(str(m), str(c), float(p)) for m, c, p in cgm.values["goals"])
    return PregnancyTargets(
        fasting_below_mgdl=smbg.number("fasting_below_mgdl"),
        one_hour_below_mgdl=smbg.number("one_hour_below_mgdl"),
        two_hour_below_mgdl=smbg.number("two_hour_below_mgdl"),
        smbg_rule_id=_SMBG,
        smbg_citation=smbg.provenance,
        cgm_range_mgdl=PREGNANCY_RANGE_MGDL,
        cgm_goals=goals,
        cgm_rule_id=_CGM,
        cgm_citation=cgm.provenance,
    )


@dataclass(frozen=True, slots=True)
class PregnancyCgmSummary:
    """One patient's readings against the pregnancy range [% of readings] and the goals."""

    n_readings: int
    percents: dict[str, float]  # metric -> % of readings (NaN without readings)
    met: dict[str, bool | None]  # metric -> goal met (None without readings)
    targets: PregnancyTargets

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_readings": self.n_readings,
            "percent": {k: (None if np.isnan(v) else round(v, 2)) for k, v in self.percents.items()},
            "goal_met": self.met,
            "targets": self.targets.to_dict()["cgm"],
        }


def pregnancy_cgm_summary(glucose_mgdl: ArrayLike) -> PregnancyCgmSummary:
    """Time in the pregnancy range 63-140 mg/dL, below 63 and 54, above 140 [% of readings]."""
    g = np.asarray(glucose_mgdl, dtype=np.float64).reshape(-1)
    lo, hi = PREGNANCY_RANGE_MGDL
    targets = pregnancy_targets()
    percents = {
        "in_range_63_140": float(percent_in_range(g, lo, hi)),
        "below_63": float(percent_below(g, lo)),
        "below_54": float(percent_below(g, HYPO_L2_MGDL)),
        "above_140": float(percent_above(g, hi)),
    }
    n = int(np.sum(~np.isnan(g)))
    met: dict[str, bool | None] = {
        goal.metric: (None if n == 0 else goal.met(percents[goal.metric])) for goal in targets.cgm_goals
    }
    return PregnancyCgmSummary(n, percents, met, targets)
