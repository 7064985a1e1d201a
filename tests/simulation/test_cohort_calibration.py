"""The named cohorts in their baseline state reproduce the glycaemia they are drawn for.

Reference values: OpT2mise randomised T2D patients poorly controlled on MDI with a mean HbA1c of
9.0 % (Reznik 2014, t2pump.cohort [1]); the new-onset cohort is drawn for a mean HbA1c of 11 %
(t2pump.cohort, [A] standing for FPG > 11.1 mmol/L in Li 2004 / Weng 2008). The simulated mean CGM
glucose is turned into an HbA1c with the ADAG relation (Nathan 2008: eAG = 28.7 A1c - 46.7), the
relation the calibration targets. Tolerance 0.4 % HbA1c: the standard error of a 120-patient mean
(between-patient SD about 1.2 %) is 0.11 %, and the offsets were calibrated on other patients
(300, seed 3) to within 0.2 % (t2pump.cohort, CohortSpec.fasting_below_mean_mgdl).
"""

from __future__ import annotations

import numpy as np
import pytest

from t2pump.cohort import ADAG_INTERCEPT_MGDL, ADAG_SLOPE_MGDL_PER_PERCENT
from t2pump.simulation.cohort_setup import prepare_cohort_run


@pytest.mark.parametrize(
    ("cohort", "arm", "published_hba1c"),
    [("opt2mise", "mdi", 9.0), ("new_onset_severe", "none", 11.0)],
)
def test_a_cohort_in_its_baseline_state_has_its_published_hba1c(
    cohort: str, arm: str, published_hba1c: float
) -> None:
    run = prepare_cohort_run(cohort, 120, 5, arm, seed=11)
    trace = run.run()
    mean_cgm = np.nanmean(trace.signals["cgm"][:, 288:], axis=1)  # day 1 on: past the sensor warm-up
    hba1c_from_glucose = (mean_cgm - ADAG_INTERCEPT_MGDL) / ADAG_SLOPE_MGDL_PER_PERCENT
    assert abs(float(np.mean(hba1c_from_glucose)) - published_hba1c) < 0.4
    assert abs(float(np.mean(run.cohort.hba1c_percent)) - published_hba1c) < 0.3  # the draw itself
    below_54 = float(np.nanmean(trace.signals["cgm"] < 54.0))
    assert below_54 < 0.01  # poorly controlled or untreated: level-2 hypoglycaemia is rare
