"""Engine properties: step-size accuracy, patient independence, steady state, blow-up errors."""

from __future__ import annotations

import numpy as np
import pytest

from t2pump.physiology.uva_padova import UvaPadova2008, UvaPadovaRun, patient_names
from t2pump.simulation.engine import DEFAULT_SUBSTEPS, TINY, SimulationError, rk4_step, run_open_loop

ADULTS = [n for n in patient_names() if n.startswith("adult")]


def _day(model: UvaPadova2008) -> tuple[np.ndarray, np.ndarray]:
    n = model.n_patients
    cho = np.zeros((n, 1440))
    ins = np.tile(model.basal_insulin_u_per_min()[:, None], (1, 1440))
    for minute, grams in ((420, 45.0), (720, 70.0), (1140, 80.0)):
        cho[:, minute] = grams
        ins[:, minute] += grams / 10.0
    return cho, ins


@pytest.mark.property
def test_halving_the_step_changes_glucose_by_less_than_a_tenth_mgdl() -> None:
    model = UvaPadova2008.from_names(ADULTS)
    cho, ins = _day(model)
    one = run_open_loop(UvaPadovaRun.start(model), model.x0, cho, ins, model.names, substeps=DEFAULT_SUBSTEPS)
    half = run_open_loop(
        UvaPadovaRun.start(model), model.x0, cho, ins, model.names, substeps=2 * DEFAULT_SUBSTEPS
    )
    assert np.max(np.abs(one.signals["bg_plasma"] - half.signals["bg_plasma"])) < 0.1


@pytest.mark.property
def test_a_patient_alone_equals_the_same_patient_in_a_cohort() -> None:
    cohort = UvaPadova2008.from_names(ADULTS)
    cho, ins = _day(cohort)
    together = run_open_loop(UvaPadovaRun.start(cohort), cohort.x0, cho, ins, cohort.names)
    for i in (0, 4, 9):
        alone_model = UvaPadova2008.from_names([ADULTS[i]])
        alone = run_open_loop(
            UvaPadovaRun.start(alone_model), alone_model.x0, cho[i : i + 1], ins[i : i + 1], alone_model.names
        )
        np.testing.assert_array_equal(alone.signals["bg_plasma"][0], together.signals["bg_plasma"][i])


@pytest.mark.property
def test_basal_insulin_and_no_food_stays_at_the_basal_steady_state() -> None:
    model = UvaPadova2008.from_names(ADULTS)
    ins = np.tile(model.basal_insulin_u_per_min()[:, None], (1, 1440))
    trace = run_open_loop(UvaPadovaRun.start(model), model.x0, np.zeros_like(ins), ins, model.names)
    bg = trace.signals["bg_plasma"]
    # x0 is simglucose's basal state; tolerance 1 mg/dL over a day covers the table's rounding of x0.
    np.testing.assert_allclose(bg[:, -1], bg[:, 0], atol=1.0)


def test_a_blow_up_names_the_patient_and_the_minute() -> None:
    model = UvaPadova2008.from_names(ADULTS[:2])
    ins = np.zeros((2, 60))
    ins[1, 10] = 1e12  # absurd insulin: glucose goes negative / non-finite
    with pytest.raises(SimulationError, match="adult#002"):
        run_open_loop(UvaPadovaRun.start(model), model.x0, np.zeros_like(ins), ins, model.names)


def test_a_state_decaying_without_input_reaches_zero_not_a_subnormal() -> None:
    # x' = -x / 5 (the exercise state Y after a session): without the underflow guard RK4's rounding
    # holds x at the smallest subnormals for ever (measured: 1.5e-323), where arithmetic is slow.
    x = np.array([1.0, -3.0, 0.0])
    for _ in range(5000):  # 5,000 min: e^-1000 is far below the smallest double
        x = rk4_step(lambda v: -v / 5.0, x, 1.0)
    np.testing.assert_array_equal(x, 0.0)
    y = rk4_step(lambda v: -v / 5.0, np.array([1e-300, TINY]), 1.0)
    assert y[0] == pytest.approx(1e-300 * (1 - 1 / 5 + 1 / 50 - 1 / 750 + 1 / 15000), rel=1e-12)
    assert y[1] == 0.0  # below the smallest normal: zero
