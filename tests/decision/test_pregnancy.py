"""Pregnancy targets: the published values, the same goals as the AGP report, the CGM summary."""

from __future__ import annotations

import numpy as np
import pytest

from t2pump.decision.pregnancy import pregnancy_cgm_summary, pregnancy_targets
from t2pump.metrics.ranges import PREGNANCY_RANGE_MGDL
from t2pump.report.targets import TARGET_SETS, GoalKind, TargetSetName


@pytest.mark.reference
def test_capillary_targets_are_the_ada_acog_values() -> None:
    # ADA Standards "Management of diabetes in pregnancy": fasting < 95, 1 h < 140 or 2 h < 120 mg/dL
    t = pregnancy_targets()
    assert (t.fasting_below_mgdl, t.one_hour_below_mgdl, t.two_hour_below_mgdl) == (95.0, 140.0, 120.0)
    assert "ADA" in t.smbg_citation


@pytest.mark.reference
def test_cgm_goals_are_those_of_the_agp_report_and_the_metrics_range() -> None:
    # Battelino 2019 Table 4; the report layer (above decision) holds the same table: keep them equal
    report = TARGET_SETS[TargetSetName.PREGNANCY]
    names = {
        GoalKind.IN_RANGE: "in_range_63_140",
        GoalKind.BELOW_RANGE: "below_63",
        GoalKind.VERY_LOW: "below_54",
        GoalKind.ABOVE_RANGE: "above_140",
    }
    expected = {(names[g.kind], g.comparator.value, g.percent) for g in report.goals}
    t = pregnancy_targets()
    assert {(g.metric, g.comparator, g.percent) for g in t.cgm_goals} == expected
    assert t.cgm_range_mgdl == PREGNANCY_RANGE_MGDL == (report.range_low_mgdl, report.range_high_mgdl)
    assert "type 2" in t.type2_note


def test_cgm_summary_partitions_the_readings_and_checks_the_goals() -> None:
    g = np.array([50.0, 60.0, 63.0, 100.0, 140.0, 141.0, 200.0, np.nan] + [100.0] * 12)
    s = pregnancy_cgm_summary(g)
    assert s.n_readings == 19
    p = s.percents
    assert p["in_range_63_140"] + p["below_63"] + p["above_140"] == pytest.approx(100.0)
    assert p["below_63"] == pytest.approx(200.0 / 19.0)
    assert p["below_54"] == pytest.approx(100.0 / 19.0)
    assert s.met == {"in_range_63_140": True, "below_63": False, "below_54": False, "above_140": True}
    empty = pregnancy_cgm_summary(np.array([np.nan]))
    assert empty.met["below_54"] is None
