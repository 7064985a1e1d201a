"""Therapy in the loop for cohorts: independence, delivery accounting, clinical scenarios."""

from __future__ import annotations

import numpy as np
import pytest

from t2pump.devices.envelope import get_envelope
from t2pump.devices.pen import get_pen
from t2pump.insulin.curves import CurveKind, Oref0Curve
from t2pump.physiology.dalla_man_2007 import DallaMan2007
from t2pump.randomness import patient_seeds
from t2pump.simulation.cohort_run import CohortInputs, simulate_cohort
from t2pump.therapy.cohort_therapy import CohortCsii, CohortMdi

CURVE = Oref0Curve.from_settings(CurveKind.RAPID_ACTING, 5.0)
MEALS = ((450, 60.0), (750, 80.0), (1170, 90.0))


def _cohort(n: int, seed: int = 1) -> DallaMan2007:
    rng = np.random.default_rng(seed)
    bw = rng.uniform(70, 130, n)
    return DallaMan2007.build(
        [f"p{i}" for i in range(n)], bw, rng.uniform(0.6, 1.2, n), rng.uniform(0.5, 1.0, n)
    )


def _pump(model: DallaMan2007) -> CohortCsii:
    n = model.n_patients
    tdd = model.body_weight_kg
    basal = np.round(tdd * 0.5 / 24, 2)
    return CohortCsii(
        get_envelope("roche_accuchek_insight"),
        np.tile(basal[:, None], (1, 48)),
        np.round(500 / tdd, 1),
        np.round(1800 / tdd),
        np.full(n, 100.0),
        np.full(n, 130.0),
        np.full(n, 75.0),
        np.full(n, 50.0),
        CURVE,
    )


def _mdi(model: DallaMan2007) -> CohortMdi:
    n = model.n_patients
    tdd = model.body_weight_kg
    return CohortMdi(
        "glargine_u100",
        (1320,),
        np.round(tdd * 0.5)[:, None],
        get_pen("lantus_solostar"),
        "aspart",
        get_pen("novorapid_flexpen"),
        np.round(500 / tdd, 1),
        np.round(1800 / tdd),
        np.full(n, 100.0),
        np.full(n, 130.0),
        np.full(n, 75.0),
        CURVE,
    )


def _meals(n: int, days: int) -> np.ndarray:
    cho = np.zeros((n, 1440 * days))
    for d in range(days):
        for minute, grams in MEALS:
            cho[:, d * 1440 + minute] = grams
    return cho


@pytest.mark.property
@pytest.mark.parametrize("arm", ["pump", "mdi"])
def test_a_patient_alone_equals_the_patient_in_the_cohort(arm: str) -> None:
    model = _cohort(8)
    therapy = _pump(model) if arm == "pump" else _mdi(model)
    cho = _meals(8, 2)
    together = simulate_cohort(model, therapy, CohortInputs(cho, cho.copy()))
    alone_model = DallaMan2007.build(
        ["p5"], model.body_weight_kg[5:6], model.insulin_sensitivity[5:6], model.beta_cell_function[5:6]
    )
    alone_therapy = _pump(alone_model) if arm == "pump" else _mdi(alone_model)
    alone = simulate_cohort(alone_model, alone_therapy, CohortInputs(cho[5:6], cho[5:6].copy()))
    for name, signal in alone.signals.items():
        np.testing.assert_array_equal(signal[0], together.signals[name][5], err_msg=name)


@pytest.mark.property
def test_the_pump_delivers_its_program_to_the_pulse_and_boluses_in_steps() -> None:
    model = _cohort(20)
    therapy = _pump(model)
    cho = _meals(20, 1)
    trace = simulate_cohort(model, therapy, CohortInputs(cho, cho.copy()), record_every_min=1)
    program = therapy.basal_u_per_h.sum(axis=1) / 2.0  # 48 half-hours
    delivered = trace.signals["insulin_basal"].sum(axis=1)
    assert np.all(program - delivered >= -1e-9)
    assert np.all(program - delivered < therapy.basal_pulse_u + 1e-9)
    bolus = trace.signals["insulin_bolus"]
    steps = bolus / therapy.bolus_step_u
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-6)
    assert np.all(bolus <= therapy.bolus_speed_u_per_min + 1e-9)


@pytest.mark.scenario
def test_a_missed_lunch_bolus_shows_in_the_afternoon() -> None:
    model = _cohort(10)
    cho = _meals(10, 1)
    announced = cho.copy()
    taken = simulate_cohort(model, _pump(model), CohortInputs(cho, announced))
    announced[:, 750] = 0.0  # lunch bolus forgotten
    missed = simulate_cohort(model, _pump(model), CohortInputs(cho, announced))
    afternoon = (taken.t_min > 750) & (taken.t_min <= 1050)
    assert np.all(
        missed.signals["bg_plasma"][:, afternoon].mean(axis=1)
        > taken.signals["bg_plasma"][:, afternoon].mean(axis=1) + 20.0
    )


@pytest.mark.scenario
def test_a_skipped_basal_injection_raises_next_day_fasting_glucose() -> None:
    model = _cohort(10)
    cho = _meals(10, 3)
    taken = np.ones((10, 3, 1), dtype=bool)
    base = simulate_cohort(model, _mdi(model), CohortInputs(cho, cho.copy(), basal_taken=taken))
    taken[:, 1, 0] = False  # day 2 evening injection skipped
    skipped = simulate_cohort(model, _mdi(model), CohortInputs(cho, cho.copy(), basal_taken=taken))
    morning = (base.t_min > 2 * 1440 + 300) & (base.t_min <= 2 * 1440 + 420)
    assert np.all(
        skipped.signals["bg_plasma"][:, morning].mean(axis=1)
        > base.signals["bg_plasma"][:, morning].mean(axis=1)
    )
    assert skipped.signals["insulin_basal"].sum() < base.signals["insulin_basal"].sum()


@pytest.mark.scenario
def test_huge_meals_are_capped_and_counted() -> None:
    model = _cohort(5)
    cho = _meals(5, 1)
    announced = cho.copy()
    announced[:, 1170] = 400.0  # a feast announced: the wizard asks for more than the pump's 50 U max
    trace = simulate_cohort(model, _pump(model), CohortInputs(cho, announced))
    assert trace.signals["bolus_capped"].sum() == 5


@pytest.mark.scenario
def test_a_daily_basal_depot_is_less_predictable_than_pump_pulses() -> None:
    """Identical patients, different seeds: fasting glucose spreads more on glargine than on a pump."""
    n = 120
    model = DallaMan2007.build([f"twin{i}" for i in range(n)], 95.0, 0.8, 0.7)
    seeds = patient_seeds(2024, np.arange(n))
    no_food = np.zeros((n, 2 * 1440))
    spread = {}
    for arm, therapy in (("pump", _pump(model)), ("mdi", _mdi(model))):
        trace = simulate_cohort(model, therapy, CohortInputs(no_food, no_food.copy(), seeds=seeds))
        day2 = trace.t_min > 1440
        spread[arm] = float(np.std(trace.signals["bg_plasma"][:, day2].mean(axis=1)))
    assert spread["mdi"] > 3.0 * spread["pump"]
    assert spread["mdi"] > 1.0  # mg/dL: the 33 % exposure CV of glargine shows
