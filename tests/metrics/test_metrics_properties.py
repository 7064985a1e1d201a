"""Properties of the reading-based metrics that hold for any CGM data.

* the five consensus bands partition the readings: they sum to 100 %;
* a cohort computed at once equals each patient computed alone (vectorised over patients);
* readings are counted, so their order and NaN padding do not matter;
* GRI lies in [0, 100] and equals 3 x hypo component + 1.6 x hyper component below the cap.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from t2pump.metrics import (
    adrr,
    cogi,
    cv_percent,
    grade,
    gri,
    hbgi,
    iqr_glucose_mgdl,
    lbgi,
    m_value,
    mad_glucose_mgdl,
    mage_naive_mgdl,
    mean_glucose_mgdl,
    median_glucose_mgdl,
    percent_in_range,
    sd_glucose_mgdl,
    time_in_ranges,
)

pytestmark = pytest.mark.property

# Sensor values are integers in 40-400 mg/dL (Dexcom/Libre range); NaN for missing readings.
readings = st.lists(
    st.one_of(st.integers(40, 400).map(float), st.just(float("nan"))), min_size=3, max_size=200
)
cohorts = st.integers(1, 5).flatmap(lambda n: st.lists(readings, min_size=n, max_size=n))

METRICS = {
    "mean": mean_glucose_mgdl,
    "median": median_glucose_mgdl,
    "sd": sd_glucose_mgdl,
    "cv": cv_percent,
    "iqr": iqr_glucose_mgdl,
    "mad": mad_glucose_mgdl,
    "lbgi": lbgi,
    "hbgi": hbgi,
    "m_value": m_value,
    "grade": lambda g: grade(g).grade,
    "gri": lambda g: gri(g).gri,
    "tir": lambda g: percent_in_range(g, 70, 180),
    "cogi": cogi,
    "mage_naive": mage_naive_mgdl,
}


def _padded(rows: list[list[float]]) -> NDArray[np.float64]:
    width = max(len(r) for r in rows)
    return np.array([r + [float("nan")] * (width - len(r)) for r in rows])


@settings(max_examples=60, deadline=None)
@given(readings)
def test_consensus_bands_sum_to_100_percent(values: list[float]) -> None:
    g = np.array(values)
    tir = time_in_ranges(g)
    total = float(tir.very_low + tir.low + tir.target + tir.high + tir.very_high)
    if np.all(np.isnan(g)):
        assert np.isnan(total)
    else:
        assert total == pytest.approx(100.0, rel=1e-12)
        assert float(tir.below_70) == pytest.approx(float(tir.very_low + tir.low), rel=1e-12, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(cohorts)
def test_cohort_at_once_equals_each_patient_alone(rows: list[list[float]]) -> None:
    g = _padded(rows)
    for name, metric in METRICS.items():
        together = np.asarray(metric(g))
        assert together.shape == (len(rows),)
        alone = np.array([float(metric(np.array(r))) for r in rows])
        np.testing.assert_allclose(together, alone, rtol=1e-12, atol=1e-12, equal_nan=True, err_msg=name)


@settings(max_examples=40, deadline=None)
@given(readings, st.randoms(use_true_random=False))
def test_order_of_readings_does_not_matter(values: list[float], rnd: object) -> None:
    g = np.array(values)
    shuffled = g.copy()
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    for name, metric in METRICS.items():
        np.testing.assert_allclose(
            metric(shuffled), metric(g), rtol=1e-12, atol=1e-12, equal_nan=True, err_msg=name
        )


@settings(max_examples=40, deadline=None)
@given(cohorts)
def test_adrr_on_a_shared_clock_equals_each_patient_alone(rows: list[list[float]]) -> None:
    g = _padded(rows)
    t = np.arange(g.shape[1]) * 37.0  # several readings a day, days of unequal counts
    together = adrr(t, g)
    for i, r in enumerate(rows):
        alone = adrr(t[: len(r)], np.array(r))
        np.testing.assert_allclose(together[i], alone, rtol=1e-12, equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(readings)
def test_gri_is_bounded_and_built_from_its_components(values: list[float]) -> None:
    result = gri(np.array(values))
    if np.isnan(result.gri):
        return
    assert 0.0 <= float(result.gri) <= 100.0
    uncapped = 3.0 * result.hypo_component + 1.6 * result.hyper_component
    assert float(result.gri) == pytest.approx(min(float(uncapped), 100.0), rel=1e-12, abs=1e-12)
