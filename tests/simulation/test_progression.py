"""Progression and reversible glucotoxicity: directions and time scales.

The calibration of the glucotoxicity defaults on Kramer 2013 is tested in
test_glucotoxicity_calibration.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from t2pump.physiology.dalla_man_2007 import PHI_G, DallaMan2007, DallaManRun
from t2pump.physiology.progression import UKPDS_DECLINE_PER_YEAR, Glucotoxicity, beta_cell_after
from t2pump.simulation.engine import rk4_step


@pytest.mark.reference
def test_ukpds_decline_rate() -> None:
    # UKPDS: about 50 % of normal at diagnosis, about 28 % after 6 years (t2pump research notes)
    assert float(beta_cell_after(0.50, 6.0)) == pytest.approx(0.28, abs=1e-12)
    assert pytest.approx(0.0966, abs=1e-4) == UKPDS_DECLINE_PER_YEAR


@pytest.mark.property
def test_glucotoxicity_is_monotone_and_absent_below_threshold() -> None:
    gt = Glucotoxicity()
    g = np.linspace(60.0, 500.0, 200)
    f = gt.steady_factor(g)
    assert np.all(np.diff(f) <= 0.0)
    assert np.all(f[g <= gt.threshold_mgdl] == 1.0)
    assert f[-1] >= 1.0 - gt.max_suppression


@pytest.mark.property
def test_steady_state_with_glucotoxicity_is_a_fixed_point() -> None:
    m = DallaMan2007.build(
        ["a", "b", "c"], 90.0, [1.0, 0.4, 0.6], [1.0, 0.5, 0.2], glucotoxicity=Glucotoxicity()
    )
    x0 = m.steady_state()
    z = np.zeros(3)
    assert np.max(np.abs(m.derivatives(x0, z, z, z, z))) < 1e-9
    assert np.all(np.diff(m.plasma_glucose_mgdl(x0)) > 0)  # less sensitive, less secretion: higher glucose
    assert np.all(np.diff(x0[PHI_G]) < 0)  # and more glucotoxic suppression


@pytest.mark.scenario
def test_normalising_glucose_with_insulin_lifts_glucotoxicity() -> None:
    """A hyperglycaemic patient put on basal insulin: the glucotoxic factor recovers over days."""
    gt = Glucotoxicity()
    m = DallaMan2007.build(["p"], 85.0, 0.5, 0.5, glucotoxicity=gt)
    x = m.steady_state()  # untreated: hyperglycaemic, secretion suppressed
    g0, phi0 = float(m.plasma_glucose_mgdl(x)[0]), float(x[PHI_G, 0])
    assert g0 > 200.0
    run = DallaManRun.start(m)
    rapid = np.array([6.0 / 60.0])  # 6 U/h continuous insulin (about 1.7 U/kg/day), no meals
    for _ in range(3 * 1440):
        inputs = run.begin_minute(x, np.zeros(1), rapid)
        x = rk4_step(run.derivatives, x, 1.0, *inputs)
    g3, phi3 = float(m.plasma_glucose_mgdl(x)[0]), float(x[PHI_G, 0])
    assert g3 < 140.0
    assert phi3 > phi0
    # recovery runs on the 10-day time constant: after 3 days at most 1 - exp(-3/10) of the way
    assert (phi3 - phi0) / (1.0 - phi0) < 1.0 - math.exp(-3.0 / gt.recovery_days) + 0.02
