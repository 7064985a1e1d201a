"""The compiled kernel against the NumPy definitions it compiles: same model, same bookkeeping."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numba import njit
from test_cohort_run import CURVE, _cohort, _mdi, _meals, _pump

from t2pump.devices.cgm import DEXCOM_G6, sensor_errors
from t2pump.physiology.dalla_man_2007 import N_INPUTS, Y_EX, DallaMan2007, DallaManRun, rhs
from t2pump.physiology.elementwise import tanh
from t2pump.physiology.progression import Glucotoxicity
from t2pump.physiology.sensitivity_variation import SensitivityVariation
from t2pump.randomness import patient_seeds, uniform01, uniform01_pairs
from t2pump.simulation import cohort_run, kernel  # kernel: registers the model's scalar forms
from t2pump.simulation.cohort_run import CohortInputs, simulate_cohort
from t2pump.simulation.cohort_setup import prepare_cohort_run
from t2pump.simulation.engine import TINY, rk4_step
from t2pump.therapy.cohort_therapy import CohortCsii, CohortMdi
from t2pump.therapy.limits import ClampCode, limit_bolus_array, limit_bolus_values

assert kernel.N_KERNEL_STATES == 21


@njit(error_model="numpy")
def _rhs_patient_by_patient(x: np.ndarray, p: np.ndarray, u: np.ndarray, gtox: np.ndarray) -> np.ndarray:
    out = np.zeros_like(x)
    for i in range(x.shape[1]):
        xi, ui, oi = x[:, i].copy(), u[:, i].copy(), np.zeros(x.shape[0])
        rhs(xi, p[:, i].copy(), ui, gtox, oi)
        out[:, i] = oi
    return out


@pytest.mark.parametrize("glucotoxic", [False, True])
def test_the_compiled_right_hand_side_is_the_numpy_one(glucotoxic: bool) -> None:
    """One definition, two executions: compiled on scalars it gives NumPy's rows to rounding
    (np.exp / np.power on arrays may use SIMD code whose last bit differs from libm's)."""
    gt = Glucotoxicity() if glucotoxic else None
    model = DallaMan2007.build([f"p{i}" for i in range(40)], 90.0, 1.0, 1.0, glucotoxicity=gt)
    rng = np.random.default_rng(3)
    x = model.steady_state(basal_u_per_min=0.3 / 60) * rng.uniform(0.5, 2.0, (model.n_states, 40))
    x[0:3] = rng.uniform(0, 40_000, (3, 40)) * (rng.uniform(size=(3, 40)) > 0.3)  # some stomachs empty
    u = np.zeros((N_INPUTS, 40))
    u[0] = rng.uniform(0, 5000, 40) * (rng.uniform(size=40) > 0.5)
    u[1:3] = rng.uniform(0, 50, (2, 40))
    u[3] = rng.uniform(0, 90_000, 40) * (rng.uniform(size=40) > 0.2)  # D = 0: no meal yet
    u[4] = rng.uniform(0.5, 1.5, 40)
    numpy_rows = model.derivatives(x, u[0], u[1], u[2], u[3], u[4])
    compiled = _rhs_patient_by_patient(x, model.params, u, model.glucotoxicity_params)
    np.testing.assert_allclose(compiled, numpy_rows, rtol=1e-12, atol=1e-12)


def test_the_exp_form_of_tanh_is_tanh() -> None:
    z = np.concatenate([np.linspace(-30, 30, 20_001), [0.0, 1e-300, -1e-12, 19.0, 25.0, 800.0, -800.0]])
    assert np.max(np.abs(tanh(z) - np.tanh(z))) <= 4.5e-16  # 2 units in the last place of 1.0


def test_the_kernel_reproduces_the_numpy_open_loop_run_of_the_model() -> None:
    """A pump with no boluses: the kernel's eating and pulse bookkeeping and RK4 against
    DallaManRun.begin_minute + engine.rk4_step over a day with three meals."""
    model = _cohort(6)
    pump = _pump(model)
    cho = _meals(6, 1)
    activity = np.zeros_like(cho)
    activity[:, 1020:1065] = 0.5  # 45 min at 50 % of VO2max at 17:00
    inputs = CohortInputs(cho, np.zeros_like(cho), activity_intensity=activity)
    trace = simulate_cohort(model, pump, inputs, record_every_min=5)
    run = DallaManRun.start(model)
    x = model.steady_state(rapid_u_per_min=pump.basal_u_per_h.mean(axis=1) / 60)
    acc = np.zeros(6)
    bg = []
    for k in range(1440):
        acc += pump.basal_rate_u_per_h(k) / 60.0
        pulses = np.floor(acc / pump.basal_pulse_u + 1e-9) * pump.basal_pulse_u
        acc -= pulses
        step_inputs = run.begin_minute(x, cho[:, k], pulses, activity=activity[:, k])
        x = rk4_step(run.derivatives, x, 1.0, *step_inputs)
        if (k + 1) % 5 == 0:
            bg.append(model.plasma_glucose_mgdl(x))
    np.testing.assert_allclose(trace.signals["bg_plasma"], np.array(bg).T, rtol=1e-11)


def test_an_exercise_session_lowers_glucose_during_and_after_it_not_before() -> None:
    """Dalla Man 2009 exercise terms in the closed loop: 45 min at 50 % VO2max at 17:00."""
    model = _cohort(6)
    cho = _meals(6, 1)
    activity = np.zeros_like(cho)
    activity[:, 1020:1065] = 0.5
    rest, active = (
        simulate_cohort(model, _mdi(model), CohortInputs(cho, cho.copy(), activity_intensity=a)).signals[
            "bg_plasma"
        ]
        for a in (None, activity)
    )
    before, after = slice(0, 1020 // 5), slice(1020 // 5, 1440 // 5)
    np.testing.assert_array_equal(active[:, before], rest[:, before])
    assert np.all(active[:, after].mean(axis=1) < rest[:, after].mean(axis=1) - 5.0)


@pytest.mark.parametrize("arm", ["pump", "mdi"])
def test_halving_the_step_changes_glucose_by_less_than_a_tenth_of_a_mgdl(arm: str) -> None:
    """Issue 3's accuracy criterion for the T2D closed loop at h = 1 min (T2D_SUBSTEPS)."""
    model = _cohort(6)
    therapy = _pump(model) if arm == "pump" else _mdi(model)
    cho = _meals(6, 1)
    inputs = CohortInputs(cho, cho.copy(), seeds=patient_seeds(5, np.arange(6)))
    one, two = (
        simulate_cohort(model, therapy, inputs, substeps=s, sensitivity=SensitivityVariation())
        for s in (1, 2)
    )
    assert np.max(np.abs(one.signals["bg_plasma"] - two.signals["bg_plasma"])) < 0.1


def test_bolus_iob_at_the_records_is_the_curve_times_the_pen_doses() -> None:
    """MDI pen doses are given in one minute: IOB at each record is the sum of dose x curve(age),
    ages counted from the minute of the dose (age 0 at the end of that minute), across midnight."""
    model = _cohort(3)
    cho = _meals(3, 2)
    trace = simulate_cohort(model, _mdi(model), CohortInputs(cho, cho.copy()), record_every_min=5)
    doses = trace.signals["insulin_bolus"]  # one pen dose per 5-min period at most here
    end = trace.t_min - 1.0  # the last minute of each record period
    dose_minute = np.array([day * 1440 + m for day in range(2) for m in (450, 750, 1170)])
    expected = np.zeros_like(doses)
    for i in range(3):
        for t in dose_minute:
            r = int(t // 5)
            age = end - t
            expected[i] += np.where(age >= 0, doses[i, r] * CURVE.iob_fraction(np.maximum(age, 0.0)), 0.0)
    np.testing.assert_allclose(trace.signals["iob"], expected, atol=1e-12)


@njit(error_model="numpy")
def _limit_one_by_one(x: np.ndarray, pmax: np.ndarray, dmax: np.ndarray, step: float) -> tuple:
    doses, codes = np.zeros_like(x), np.zeros(x.shape, dtype=np.int64)
    for i in range(x.size):
        doses[i], codes[i] = limit_bolus_values(x[i], pmax[i], dmax[i], step)
    return doses, codes


@pytest.mark.parametrize("step", [0.05, 0.1, 0.5, 1.0])
def test_the_compiled_bolus_limits_are_the_numpy_ones(step: float) -> None:
    """The kernel's decisions go through limits.limit_bolus_values compiled on scalars: the same
    doses and clamp codes as limit_bolus_array, including negatives, exact multiples and caps."""
    rng = np.random.default_rng(8)
    x = np.concatenate([rng.uniform(-5, 90, 5000), np.arange(0, 80, step), [0.0, 75.0, 75.0 + 1e-10, 80.0]])
    pmax = rng.choice([10.0, 25.0, 50.0, 75.0], x.size)
    dmax = rng.choice([15.0, 25.0, 75.0], x.size)
    compiled = _limit_one_by_one(x, pmax, dmax, step)
    numpy_doses, numpy_codes = limit_bolus_array(x, patient_max_u=pmax, device_max_u=dmax, step_u=step)
    np.testing.assert_array_equal(compiled[0], numpy_doses)
    np.testing.assert_array_equal(compiled[1], numpy_codes)
    assert {int(c) for c in ClampCode} - {0} <= {int(b) for c in numpy_codes for b in ClampCode if c & b}


def _spy_decisions(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, np.ndarray]]:
    """Each day's announcements after the kernel's call: event_ptr, event_minute, events (with the
    decisions the kernel wrote into them) and the day's true CGM samples."""
    seen: list[dict[str, np.ndarray]] = []
    real = cohort_run.advance

    def spy(*args: object) -> None:
        real(*args)
        ptr, minute, events, samples = (np.array(args[k], copy=True) for k in (19, 20, 21, 17))
        rows = np.repeat(np.arange(ptr.size - 1), np.diff(ptr))
        named = {name: events[k] for k, name in enumerate(kernel.EVENT_NAMES)}
        seen.append({"patient": rows, "minute": minute, "samples": samples, **named})

    monkeypatch.setattr(cohort_run, "advance", spy)
    monkeypatch.setattr(cohort_run, "_parts", lambda n, threads: [np.arange(n)])  # patients in order
    return seen


@pytest.mark.parametrize("arm", ["pump", "mdi"])
def test_the_kernel_decides_each_bolus_as_the_therapy_layer_does(
    arm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every announced meal of a 2-day opt2mise run with a CGM: the kernel's dose and clamp codes
    equal CohortCsii.meal_bolus / CohortMdi.meal_dose (NumPy) given the reading and IOB it used;
    the reading is the sensor's (CgmErrors.readings_at) where the sensor shows one; caps (low
    patient maxima for a third of the patients) are counted in ``bolus_capped``."""
    run = prepare_cohort_run("opt2mise", 24, 2, arm, seed=6)
    therapy = run.therapy
    assert isinstance(therapy, (CohortCsii, CohortMdi))
    low_max = np.where(np.arange(24) % 3 == 0, 4.0, therapy.patient_max_bolus_u)
    therapy = dataclasses.replace(therapy, patient_max_bolus_u=low_max)
    seen = _spy_decisions(monkeypatch)
    trace = simulate_cohort(run.model, therapy, run.inputs, cgm=run.cgm, sensitivity=SensitivityVariation())
    assert len(seen) == 2
    n_capped, n_cgm = 0, 0
    for day, ev in enumerate(seen):
        idx, m = ev["patient"], ev["minute"]
        decide = therapy.meal_bolus if isinstance(therapy, CohortCsii) else therapy.meal_dose
        dose, codes = decide(ev["carbs_g"], ev["reading_mgdl"], ev["iob_u"], idx)
        np.testing.assert_array_equal(ev["dose_u"], dose)
        np.testing.assert_array_equal(ev["clamp_codes"], codes)
        sample = m // 5
        shown = run.cgm.errors().readings_at(day * 288 + sample, ev["samples"][idx, sample], idx)
        has = ~np.isnan(shown)
        np.testing.assert_array_equal(ev["reading_mgdl"][has], shown[has])
        n_cgm += int(has.sum())
        n_capped += int(np.count_nonzero(codes & ~int(ClampCode.ROUNDED)))
    assert n_cgm > 0.9 * sum(ev["patient"].size for ev in seen)
    assert n_capped > 0
    assert trace.signals["bolus_capped"].sum() == n_capped
    # the trace's decision log is what the kernel decided, by patient then time
    log = trace.decisions
    assert log is not None
    t = np.concatenate([day * 1440 + ev["minute"] for day, ev in enumerate(seen)])
    patient = np.concatenate([ev["patient"] for ev in seen])
    order = np.lexsort((t, patient))
    np.testing.assert_array_equal(log["patient"], patient[order])
    np.testing.assert_array_equal(log["t_min"], t[order])
    for field in ("carbs_g", "reading_mgdl", "iob_u", "requested_u", "dose_u", "clamp_codes"):
        np.testing.assert_array_equal(log[field], np.concatenate([ev[field] for ev in seen])[order], field)


def test_the_decision_log_of_a_cohort_in_parts_is_the_one_of_a_single_part(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = prepare_cohort_run("opt2mise", 40, 2, "mdi", seed=9)
    assert len(cohort_run._parts(40, 2)) == 2
    parted = cohort_run.run_with_final_state(
        run.model, run.therapy, run.inputs, None, 5, 1, None, None, None, t0_min=1440.0
    )[0].decisions
    monkeypatch.setattr(cohort_run, "_parts", lambda n, threads: [np.arange(n)])
    whole = cohort_run.run_with_final_state(
        run.model, run.therapy, run.inputs, None, 5, 1, None, None, None, t0_min=1440.0
    )[0].decisions
    assert parted is not None
    assert whole is not None
    assert set(parted["patient"].tolist()) == set(range(40))
    assert parted["t_min"].min() >= 1440.0  # the phase's clock
    for field, values in whole.items():
        np.testing.assert_array_equal(parted[field], values, err_msg=field)


def test_the_wizard_sees_the_bolus_on_board_of_the_minutes_before_its_decision(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The kernel's IOB ring against the definition: at a decision at minute m the wizard gets
    sum over ages a = 1 ... 300 of the bolus delivered at minute m - a times the curve at a (pump
    boluses go over several minutes; a snack 150 min after breakfast has IOB; two days)."""
    model = _cohort(3)
    cho = _meals(3, 2)
    cho[:, [600, 2040]] = 30.0
    seen = _spy_decisions(monkeypatch)
    trace = simulate_cohort(model, _pump(model), CohortInputs(cho, cho.copy()), record_every_min=1)
    delivered = trace.signals["insulin_bolus"]  # U in each minute
    weights = CURVE.iob_fraction(np.arange(301, dtype=float))
    checked = 0
    for day, ev in enumerate(seen):
        assert ev["minute"].tolist() == [450, 600, 750, 1170] * 3
        for i, minute, iob in zip(ev["patient"], ev["minute"], ev["iob_u"], strict=True):
            m = day * 1440 + int(minute)
            ages = np.arange(1, min(300, m) + 1)
            assert iob == pytest.approx(delivered[i, m - ages] @ weights[ages], abs=1e-12)
            checked += 1
    assert checked == 24
    snack = seen[0]["iob_u"][seen[0]["minute"] == 600]
    assert np.all(snack > 1.0)  # the snack's decision sees the breakfast bolus


def test_paired_uniforms_are_the_diagonal_of_the_outer_form() -> None:
    seeds = patient_seeds(11, np.arange(50))
    counters = np.arange(50) * 37 + 5
    np.testing.assert_array_equal(uniform01_pairs(seeds, counters), np.diag(uniform01(seeds, counters)))


def test_readings_for_a_few_patients_are_those_of_the_whole_sensor_trace() -> None:
    errors = sensor_errors(3 * 1440, seeds=patient_seeds(2, np.arange(9)), sensor=DEXCOM_G6)
    rng = np.random.default_rng(0)
    glucose = rng.uniform(30, 450, (9, errors.t_min.size))
    shown = errors.apply(glucose).glucose_mgdl
    idx = np.array([1, 4, 8, 0])
    samples = np.array([0, 100, 500, errors.t_min.size - 1])
    got = errors.readings_at(samples, glucose[idx, samples], idx)
    np.testing.assert_array_equal(got, shown[idx, samples])


def test_circadian_factors_at_once_equal_one_time_at_a_time() -> None:
    amplitudes = SensitivityVariation().circadian_log_amplitudes(patient_seeds(4, np.arange(5)))
    times = np.arange(0, 1440, 7.0)
    at_once = SensitivityVariation.circadian_factors(amplitudes, times)
    for j, t in enumerate(times):
        np.testing.assert_array_equal(at_once[:, j], SensitivityVariation.circadian_factor(amplitudes, t))


@pytest.mark.parametrize("arm", ["pump", "mdi", "none"])
def test_a_cohort_run_in_blocks_of_patients_equals_the_run_in_one_block(
    arm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = prepare_cohort_run("opt2mise", 7, 2, arm, seed=4)
    whole = run.run()
    monkeypatch.setattr(cohort_run, "PATIENT_BLOCK", 3)
    blocked = run.run()
    assert blocked.patients == whole.patients
    for name, signal in whole.signals.items():
        np.testing.assert_array_equal(blocked.signals[name], signal, err_msg=name)


def test_the_kernel_refuses_a_block_whose_patients_are_not_at_the_same_minute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = _cohort(3)
    cho = _meals(3, 1)
    real = cohort_run.advance

    def skewed(*args: object) -> None:  # advance(blocks, gtox, pos, stop, ...)
        stop = np.array(args[3]).copy()
        stop[1] -= 1
        real(*args[:3], stop, *args[4:])

    monkeypatch.setattr(cohort_run, "advance", skewed)
    with pytest.raises(ValueError, match="share their minute"):
        simulate_cohort(model, _pump(model), CohortInputs(cho, cho.copy()))


@pytest.mark.parametrize(("n", "threads"), [(1, 2), (20, 2), (1000, 2), (10_000, 2), (10_000, 3), (5000, 1)])
def test_the_cohort_parts_cover_it_in_whole_rounds_of_blocks(n: int, threads: int) -> None:
    parts = cohort_run._parts(n, threads)
    assert np.array_equal(np.concatenate(parts), np.arange(n))  # contiguous, in order, all
    sizes = [p.size for p in parts]
    if len(parts) > threads:
        assert len(parts) % threads == 0  # no part left alone on one core at the end
        assert max(sizes) <= cohort_run.PATIENT_BLOCK
    if n >= len(parts) * kernel.LANES:
        assert all(p[0] % kernel.LANES == 0 for p in parts)  # whole SIMD blocks


def test_the_kernel_sets_states_below_the_smallest_normal_to_zero() -> None:
    # One activity session on day 0, none after: the heart-rate state Y (tau 5 min) decays for 3.5
    # days. Without the underflow guard (engine.TINY) it stays at subnormal values (~1e-323) and
    # the kernel's time per day nearly doubled over two weeks (benchmarks/README.md, session 6).
    model = _cohort(8)
    days = 4
    cho = _meals(8, days)
    activity = np.zeros_like(cho)
    activity[:, 600:660] = 0.6
    inputs = CohortInputs(cho, cho.copy(), activity_intensity=activity)
    _, final = cohort_run.run_with_final_state(model, _pump(model), inputs, None, 5, 1, None, None, None)
    assert np.all(final[Y_EX] == 0.0)
    assert not np.any((final != 0.0) & (np.abs(final) < TINY))
