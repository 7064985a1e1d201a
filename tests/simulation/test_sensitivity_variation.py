"""Insulin-sensitivity variation: mean one, stated correlation, periodic profile, seed-only draws."""

from __future__ import annotations

import numpy as np
import pytest

from t2pump.physiology.sensitivity_variation import SensitivityVariation
from t2pump.randomness import patient_seeds

pytestmark = pytest.mark.property


def test_day_factors_have_mean_one_the_stated_cv_and_correlation() -> None:
    var = SensitivityVariation(day_cv=0.2, day_autocorrelation=0.5)
    f = var.day_factors(patient_seeds(3, np.arange(4000)), 8)
    n = f.size
    # mean 1 and CV 0.2 within 4 standard errors; lag-1 correlation of the logs = 0.5 (SE ~ 1/sqrt(n))
    assert abs(f.mean() - 1.0) < 4 * 0.2 / np.sqrt(n)
    assert abs(f.std() / f.mean() - 0.2) < 0.01
    logs = np.log(f)
    r = np.corrcoef(logs[:, :-1].ravel(), logs[:, 1:].ravel())[0, 1]
    assert abs(r - 0.5) < 4 / np.sqrt(logs[:, 1:].size)


def test_draws_depend_only_on_the_patient_seed() -> None:
    var = SensitivityVariation()
    all_seeds = patient_seeds(9, np.arange(50))
    np.testing.assert_array_equal(var.day_factors(all_seeds, 5)[17], var.day_factors(all_seeds[17:18], 5)[0])
    np.testing.assert_array_equal(var.day_factors(all_seeds, 3), var.day_factors(all_seeds, 7)[:, :3])
    amps = var.circadian_log_amplitudes(all_seeds)
    np.testing.assert_array_equal(amps[17], var.circadian_log_amplitudes(all_seeds[17:18])[0])


def test_circadian_profile_is_periodic_continuous_and_hits_its_knots() -> None:
    amps = np.array([[0.2, -0.1, 0.05]])
    f = SensitivityVariation.circadian_factor
    assert float(f(amps, 8 * 60)[0]) == pytest.approx(np.exp(0.2))
    assert float(f(amps, 13 * 60)[0]) == pytest.approx(np.exp(-0.1))
    assert float(f(amps, 20 * 60 + 1440)[0]) == pytest.approx(np.exp(0.05))
    minutes = np.arange(0, 2 * 1440)
    values = np.array([f(amps, m)[0] for m in minutes])
    assert np.max(np.abs(np.diff(np.log(values)))) < 0.01  # continuous, including across midnight
    np.testing.assert_allclose(values[:1440], values[1440:])
