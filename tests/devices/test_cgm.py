"""The CGM sensor model (t2pump.devices.cgm): noise statistics, envelope, randomness, inputs.

Monte Carlo checks compare a statistic with its expected value within 4 standard errors. Readings
of one patient are correlated in time, so every standard error is *clustered by patient*: the
statistic is averaged per patient first and the SE is the SD of those patient averages over
sqrt(n_patients) (patients are independent by construction). With fixed seeds the tests are
deterministic; 4 SE would give a false failure about once in 16,000 seeds.
"""

from __future__ import annotations

import itertools
import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from t2pump.devices.cgm import (
    DEXCOM_G6,
    CgmErrorModel,
    CgmErrors,
    CgmFlag,
    CgmSensor,
    GlucoseSite,
    SeededCgmErrors,
    _not_a_knot_weights,
    plasma_to_interstitial,
    read,
    seeds_for,
    sensor_errors,
)
from t2pump.errors import InputRangeError

FloatArray = NDArray[np.float64]
N_SE = 4.0

# Breton & Kovatchev 2008 as in simglucose params/sensor_params.csv (all three sensor rows):
# PACF 0.7, gamma -0.5444, lambda 15.9574 mg/dL, delta 1.6898, xi -5.47 mg/dL; 15-min latent step.
PACF, GAMMA, LAMBDA, DELTA, XI = 0.7, -0.5444, 15.9574, 1.6898, -5.47
# Vettoretti et al. EMBC 2019 Tables 1-2 (Dexcom G6) as transcribed in LoopInsighT1 Vettoretti2019.ts.
G6_GAIN = (1.048, -0.033, 0.002)
G6_OFFSET = (-6.398, 6.179, -0.448)
G6_AR2 = ((1.220, -0.331, 3.641), (1.34, -0.492, 5.538))  # (a1, a2, innovation variance) per 5 min

JOHNSON_QUIET = CgmSensor(sample_min=15, dropout_prob=0.0)  # 15-min samples sit on the latent knots


def _clustered(per_sample: FloatArray) -> tuple[float, float]:
    """Mean of per-patient means of a (n_patients, n_samples) statistic and its clustered SE."""
    per_patient = np.nanmean(per_sample, axis=1)
    return float(per_patient.mean()), float(per_patient.std(ddof=1) / math.sqrt(per_patient.size))


def _assert_within(stat: tuple[float, float], expected: float, what: str) -> None:
    mean, se = stat
    assert abs(mean - expected) < N_SE * se, f"{what}: {mean:.4f} vs {expected:.4f} (SE {se:.4f})"


def _johnson_moments(s2: float, rho: float = 0.0) -> tuple[float, float, float]:
    """Mean, variance and lag covariance of xi + lambda sinh((e - gamma)/delta), e ~ N(0, s2).

    With u = (e - gamma)/delta ~ N(m, v), m = -gamma/delta, v = s2/delta^2 and E cosh(c + Z) =
    cosh(c) exp(var Z / 2): E sinh u = sinh(m) e^{v/2}; E sinh^2 u = (cosh(2m) e^{2v} - 1)/2;
    for a pair with correlation rho, E sinh u1 sinh u2 = (cosh(2m) e^{v(1+rho)} - e^{v(1-rho)})/2.
    """
    m, v = -GAMMA / DELTA, s2 / DELTA**2
    e1 = math.sinh(m) * math.exp(v / 2)
    e2 = (math.cosh(2 * m) * math.exp(2 * v) - 1) / 2
    e12 = (math.cosh(2 * m) * math.exp(v * (1 + rho)) - math.exp(v * (1 - rho))) / 2
    return XI + LAMBDA * e1, LAMBDA**2 * (e2 - e1**2), LAMBDA**2 * (e12 - e1**2)


def _ar2_stationary(a1: float, a2: float, var_w: float) -> tuple[float, float]:
    """(variance, lag-1 covariance) from the discrete Lyapunov equation P = F P F' + Q."""
    f = np.array([[a1, a2], [1.0, 0.0]])
    q = np.array([[var_w, 0.0], [0.0, 0.0]])
    p = np.linalg.solve(np.eye(4) - np.kron(f, f), q.reshape(-1)).reshape(2, 2)
    return float(p[0, 0]), float(p[0, 1])


def _random_walk(n_patients: int, n_minutes: int, seed: int) -> FloatArray:
    steps = np.random.default_rng(seed).normal(0.0, 2.0, (n_patients, n_minutes + 1))
    return np.clip(140.0 + np.cumsum(steps, axis=1), 20.0, 600.0)


# ---- unit --------------------------------------------------------------------------------------
def test_the_not_a_knot_spline_reproduces_a_cubic_exactly() -> None:
    # A not-a-knot spline through samples of a cubic is that cubic (its defining property); the
    # weights therefore also sum to one (constants are reproduced).
    knots = np.arange(11, dtype=np.float64)
    positions = np.linspace(0.0, 10.0, 51)
    w = _not_a_knot_weights(11, positions)

    def cubic(x: FloatArray) -> FloatArray:
        return 0.3 * x**3 - 2.0 * x**2 + 5.0 * x - 7.0

    np.testing.assert_allclose(cubic(knots) @ w, cubic(positions), atol=1e-9)
    np.testing.assert_allclose(w.sum(axis=0), 1.0, atol=1e-12)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: CgmSensor(sample_min=7), "sensor.sample_min"),
        (lambda: CgmSensor(model="dexcom"), "sensor.model"),  # type: ignore[arg-type]
        (lambda: CgmSensor(range_mgdl=(400.0, 40.0)), "sensor.range_mgdl[1]"),
        (lambda: CgmSensor(warm_up_min=-1.0), "sensor.warm_up_min"),
        (lambda: CgmSensor(dropout_prob=1.0), "sensor.dropout_prob"),
        (lambda: CgmSensor(sample_min=15, dropout_mean_min=10.0), "sensor.dropout_mean_min"),
        (lambda: read(np.array([[120.0, np.nan, 120.0]]), seeds=[1]), "glucose_mgdl[0, 1]"),
        (lambda: read(np.full((2, 30), 120.0), seeds=[1, -3]), "seeds[1]"),
        (lambda: read(np.full((2, 30), 120.0), seeds=[1.0, 2.0]), "seeds.dtype"),
        (lambda: read(np.full(30, 120.0), seeds=[1]), "glucose_mgdl.shape"),
        (lambda: read(np.full((2, 30), 120.0), seeds=[1, 2, 3]), "seeds.shape"),
        (lambda: read(np.full((2, 30), 120.0), seeds=[[1, 2]]), "seeds.shape"),
        (lambda: read(np.full((1, 30), 120.0)), "seeds/rngs"),
        (lambda: read(np.full((1, 30), 120.0), seeds=[1], sensor_age_min=[14_400]), "sensor_age_min"),
        (lambda: read(np.full((1, 30), 120.0), seeds=[1], site="capillary"), "site"),  # type: ignore[arg-type]
        (lambda: sensor_errors(-5, seeds=[1]), "n_minutes"),
        (lambda: seeds_for(-1, np.arange(3)), "run_seed"),
        (lambda: seeds_for(1, np.array([0, -2])), "patient_index[1]"),
        (lambda: plasma_to_interstitial(np.full((1, 5), 100.0), 0.0), "tau_min"),
    ],
)
def test_bad_inputs_raise_an_error_naming_the_field(call: object, field: str) -> None:
    assert callable(call)
    with pytest.raises(InputRangeError) as err:
        call()
    assert err.value.field == field


# ---- property ----------------------------------------------------------------------------------
@pytest.mark.property
@pytest.mark.parametrize("sensor", [CgmSensor(dropout_prob=0.02), DEXCOM_G6], ids=["johnson", "g6"])
def test_a_patients_readings_do_not_depend_on_cohort_size_or_chunking(sensor: CgmSensor) -> None:
    n, minutes = 50, 3 * 1440
    glucose = _random_walk(n, minutes, seed=11)
    age = (np.arange(n) * 997) % 14_400  # sensors of different ages, some changing mid-run
    seeds = seeds_for(2024, np.arange(n))
    cohort = read(glucose, seeds=seeds, sensor=sensor, sensor_age_min=age)

    for i in (0, 17, 49):
        alone = read(
            glucose[i : i + 1], seeds=seeds_for(2024, [i]), sensor=sensor, sensor_age_min=age[i : i + 1]
        )
        np.testing.assert_array_equal(alone.glucose_mgdl[0], cohort.glucose_mgdl[i])
        np.testing.assert_array_equal(alone.flags[0], cohort.flags[i])
    chunks = [
        read(glucose[a:b], seeds=seeds[a:b], sensor=sensor, sensor_age_min=age[a:b])
        for a, b in ((0, 13), (13, 14), (14, 50))
    ]
    np.testing.assert_array_equal(np.concatenate([c.glucose_mgdl for c in chunks]), cohort.glucose_mgdl)
    np.testing.assert_array_equal(np.concatenate([c.flags for c in chunks]), cohort.flags)


@pytest.mark.property
@pytest.mark.parametrize(
    "sensor", [CgmSensor(dropout_prob=0.05, sample_min=3), DEXCOM_G6], ids=["johnson", "g6"]
)
def test_a_longer_run_does_not_change_the_readings_of_a_shorter_one(sensor: CgmSensor) -> None:
    # Paired comparisons of runs of different lengths see the same sensor: every draw is made in
    # time order from its own stream and the spline works on fixed 150-min blocks.
    glucose = _random_walk(3, 5 * 1440, seed=21)
    seeds = seeds_for(6, np.arange(3))
    long = read(glucose, seeds=seeds, sensor=sensor, sensor_age_min=[0, 5000, 14_000])
    short = read(glucose[:, : 2 * 1440 + 7], seeds=seeds, sensor=sensor, sensor_age_min=[0, 5000, 14_000])
    n = short.t_min.size
    np.testing.assert_array_equal(short.glucose_mgdl, long.glucose_mgdl[:, :n])
    np.testing.assert_array_equal(short.flags, long.flags[:, :n])


@pytest.mark.property
def test_reading_one_sample_at_a_time_equals_reading_the_whole_trace() -> None:
    # The closed-loop use: errors drawn up front, each reading made when its glucose is known.
    glucose = _random_walk(4, 600, seed=3)
    seeds = seeds_for(5, np.arange(4))
    whole = read(glucose, seeds=seeds, sensor=DEXCOM_G6, sensor_age_min=[0, 60, 7000, 14_399])
    errors = sensor_errors(600, seeds=seeds, sensor=DEXCOM_G6, sensor_age_min=[0, 60, 7000, 14_399])
    steps = [errors.apply(glucose[:, [t]], start=j) for j, t in enumerate(errors.t_min)]
    np.testing.assert_array_equal(np.concatenate([s.glucose_mgdl for s in steps], axis=1), whole.glucose_mgdl)
    np.testing.assert_array_equal(np.concatenate([s.flags for s in steps], axis=1), whole.flags)


@st.composite
def _sensors(draw: st.DrawFn) -> CgmSensor:
    sample = draw(st.sampled_from([1, 3, 5, 15]))
    session_days = draw(st.sampled_from([None, 0.25, 10.0]))
    session_min = None if session_days is None else session_days * 1440
    warm_up = draw(st.floats(0.0, 300.0 if session_min is None else session_min - 1.0))
    return CgmSensor(
        model=draw(st.sampled_from(list(CgmErrorModel))),
        sample_min=sample,
        range_mgdl=draw(st.sampled_from([(40.0, 400.0), (39.0, 600.0)])),
        warm_up_min=warm_up,
        session_days=session_days,
        dropout_prob=draw(st.sampled_from([0.0, 0.05, 0.5])),
        dropout_mean_min=draw(st.floats(sample, 60.0)),
    )


def _concat(windows: list[CgmErrors], overlaps: list[int]) -> dict[str, NDArray[np.generic]]:
    """The windows' values end to end, each window's first ``overlap`` samples (read twice) dropped."""
    return {
        f: np.concatenate([getattr(w, f)[..., o:] for w, o in zip(windows, overlaps, strict=True)], axis=-1)
        for f in ("t_min", "gain", "offset_mgdl", "status")
    }


@pytest.mark.property
@settings(max_examples=40, deadline=None)
@given(
    sensor=_sensors(),
    minutes=st.integers(0, 3 * 1440),
    age_frac=st.floats(0.0, 0.999),
    seed=st.integers(0, 2**32),
    sizes=st.lists(st.integers(1, 400), min_size=1, max_size=12),
    overlap=st.booleans(),
)
def test_errors_read_window_by_window_are_the_whole_horizons(
    sensor: CgmSensor, minutes: int, age_frac: float, seed: int, sizes: list[int], overlap: bool
) -> None:
    # What a long simulation reads: a window at a time (each day's starting at the last sample of
    # the day before when ``overlap``), the latent processes, sessions and dropouts carried over.
    seeds = seeds_for(seed, np.arange(3))
    session = sensor.session_min
    ages = None if session is None else (np.array([0.0, age_frac, 0.5]) * session).astype(np.int64)
    whole = sensor_errors(minutes, seeds=seeds, sensor=sensor, sensor_age_min=ages)
    reader = SeededCgmErrors(minutes, seeds, sensor, ages).reader()
    windows, overlaps, first = [], [], 0
    for size in itertools.cycle(sizes):
        back = 1 if overlap and first > 0 else 0
        count = min(size + back, whole.n_samples - first + back)
        windows.append(reader.window(first - back, count))
        overlaps.append(back)
        first += count - back
        if first == whole.n_samples:
            break
    for field, values in _concat(windows, overlaps).items():
        np.testing.assert_array_equal(values, getattr(whole, field), err_msg=field)


def test_a_reader_goes_forward_only_and_a_seeded_source_starts_again() -> None:
    source = SeededCgmErrors(2 * 1440, seeds_for(3, np.arange(4)), DEXCOM_G6)
    reader = source.reader()
    day1 = reader.window(288, 289)
    with pytest.raises(InputRangeError, match="first"):
        reader.window(287, 2)
    with pytest.raises(InputRangeError, match="count"):
        reader.window(500, 100)  # beyond the horizon's 577 samples
    again = source.reader().window(288, 289)  # a fresh reader makes the same errors
    np.testing.assert_array_equal(again.offset_mgdl, day1.offset_mgdl)
    part = source.take(np.array([2, 0])).errors()
    whole = source.errors()
    np.testing.assert_array_equal(part.offset_mgdl, whole.offset_mgdl[[2, 0]])
    np.testing.assert_array_equal(part.status, whole.status[[2, 0]])


def test_reading_day_by_day_holds_a_day_of_errors_not_the_horizon() -> None:
    # 300 patients x 60 days of G6 errors whole would be 300 x 17,281 samples x (8 + 8 + 1) bytes
    # = 88 MB; read a day at a time, the reader holds about one day (1.5 MB) and its blocks.
    n, days = 300, 60
    source = SeededCgmErrors(days * 1440, seeds_for(8, np.arange(n)), DEXCOM_G6)
    reader = source.reader()
    reader.window(0, 289)
    tracemalloc.start()
    try:
        for day in range(1, days):
            reader.window(day * 288, 289)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    one_day = n * 289 * (8 + 8 + 1)
    assert peak < 12 * one_day, f"peak {peak / 1e6:.1f} MB for days of {one_day / 1e6:.1f} MB"


@pytest.mark.property
@settings(max_examples=40, deadline=None)
@given(
    sensor=_sensors(),
    minutes=st.integers(0, 900),
    level=st.floats(0.0, 700.0),
    age_frac=st.floats(0.0, 0.999),
    seed=st.integers(0, 2**32),
)
def test_readings_are_in_range_or_missing_and_flags_say_why(
    sensor: CgmSensor, minutes: int, level: float, age_frac: float, seed: int
) -> None:
    glucose = level + 60.0 * np.sin(np.arange(minutes + 1) / 50.0)[None, :].repeat(3, axis=0)
    glucose = np.clip(glucose, 0.0, None)
    session = sensor.session_min
    age0 = int(age_frac * (session if session is not None else 2000))
    trace = read(glucose, seeds=seeds_for(seed, np.arange(3)), sensor=sensor, sensor_age_min=[age0] * 3)

    lo, hi = sensor.range_mgdl
    np.testing.assert_array_equal(trace.t_min, np.arange(0, minutes + 1, sensor.sample_min))
    v, f = trace.glucose_mgdl, trace.flags
    missing = np.isnan(v)
    np.testing.assert_array_equal(missing, (f == CgmFlag.WARM_UP) | (f == CgmFlag.DROPOUT))
    assert np.all((v[~missing] >= lo) & (v[~missing] <= hi))
    assert np.all(v[f == CgmFlag.LOW] == lo)
    assert np.all(v[f == CgmFlag.HIGH] == hi)
    # warm-up exactly where the worn sensor is younger than its warm-up
    age = age0 + trace.t_min
    if session is not None:
        age = age % session
    expected_warm = np.broadcast_to(age < sensor.warm_up_min, f.shape)
    np.testing.assert_array_equal(f == CgmFlag.WARM_UP, expected_warm)
    if sensor.model is CgmErrorModel.IDEAL:  # no error: only the range can change a value
        ok = f == CgmFlag.OK
        np.testing.assert_array_equal(v[ok], glucose[:, trace.t_min][ok])


@pytest.mark.property
def test_johnson_su_readings_at_120_have_the_stationary_mean_and_sd() -> None:
    # e_k = PACF (e_{k-1} + w_k) has stationary variance s2 = PACF^2 / (1 - PACF^2) (= 0.961);
    # eps = xi + lambda sinh((e - gamma)/delta) then has mean +0.719 and SD 11.73 mg/dL
    # (_johnson_moments). Readings at the 15-min knots after the 2-h warm-up (the N(0, 1) start has
    # decayed to within 0.3 % of s2 after 8 steps) must match both.
    n = 4000
    trace = read(np.full((n, 1441), 120.0), seeds=seeds_for(7, np.arange(n)), sensor=JOHNSON_QUIET)
    err = trace.glucose_mgdl[:, trace.t_min >= 120] - 120.0
    assert not np.isnan(err).any()
    mean, var, _ = _johnson_moments(PACF**2 / (1 - PACF**2))

    _assert_within(_clustered(err), mean, "mean error")
    _assert_within(_clustered((err - mean) ** 2), var, "error variance")
    assert math.sqrt(var) == pytest.approx(11.73, abs=0.01)  # the magnitude, for the reader


@pytest.mark.property
def test_g6_readings_at_120_have_the_published_bias_and_the_ar2_stationary_variance() -> None:
    # Bias: (a(d) - 1) 120 + b(d) with d = days since insertion (sensors of ages 0-9.9 days, some
    # changing during the day); noise: sum of two AR(2) at their stationary variance (Lyapunov).
    n = 1500
    age0 = np.random.default_rng(1).integers(0, 14_400, n)
    trace = read(
        np.full((n, 1441), 120.0), seeds=seeds_for(8, np.arange(n)), sensor=DEXCOM_G6, sensor_age_min=age0
    )
    day = ((age0[:, None] + trace.t_min[None, :]) % 14_400) / 1440.0
    bias = (G6_GAIN[0] + G6_GAIN[1] * day + G6_GAIN[2] * day**2) * 120.0
    bias += G6_OFFSET[0] + G6_OFFSET[1] * day + G6_OFFSET[2] * day**2 - 120.0
    resid = trace.glucose_mgdl - 120.0 - bias  # NaN in warm-up and dropouts
    var, cov1 = (sum(x) for x in zip(*(_ar2_stationary(*p) for p in G6_AR2), strict=True))

    _assert_within(_clustered(resid), 0.0, "mean residual")
    _assert_within(_clustered(resid**2), var, "noise variance")
    _assert_within(_clustered(resid[:, 1:] * resid[:, :-1]), cov1, "lag-5-min covariance")
    assert math.sqrt(var) == pytest.approx(7.96, abs=0.01)


@pytest.mark.property
def test_a_new_g6_sensor_starts_its_noise_in_the_stationary_distribution() -> None:
    # Without warm-up the first readings of a sensor show the AR(2) noise at once: its variance
    # and lag-5-min covariance must already be the stationary ones (no zero start, no transient).
    n = 6000
    sensor = CgmSensor(model=CgmErrorModel.VETTORETTI_2019_G6, warm_up_min=0.0, dropout_prob=0.0)
    trace = read(np.full((n, 11), 120.0), seeds=seeds_for(14, np.arange(n)), sensor=sensor)
    bias = G6_GAIN[0] * 120.0 + G6_OFFSET[0] - 120.0  # day 0
    resid = trace.glucose_mgdl - 120.0 - bias  # t = 0, 5, 10 min
    var, cov1 = (sum(x) for x in zip(*(_ar2_stationary(*p) for p in G6_AR2), strict=True))

    for k in range(3):
        _assert_within(_clustered(resid[:, k : k + 1] ** 2), var, f"variance at t = {5 * k} min")
    _assert_within(_clustered(resid[:, :1] * resid[:, 1:2]), cov1, "lag-5-min covariance at insertion")


@pytest.mark.property
@pytest.mark.parametrize(
    ("model", "sample"), [(CgmErrorModel.JOHNSON_SU, 15), (CgmErrorModel.VETTORETTI_2019_G6, 5)]
)
def test_successive_sensors_have_independent_noise(model: CgmErrorModel, sample: int) -> None:
    # Sessions of 6 h with a one-sample warm-up: the last reading of the first sensor (t = 360 - s)
    # and the first reading of the next (t = 360 + s) would be strongly correlated if the noise
    # ran on across the change (Johnson: PACF^2 = 0.49 at 30 min). With a restart they are
    # independent: the clustered mean of the product of their deviations is 0.
    n = 4000
    sensor = CgmSensor(
        model=model, sample_min=sample, warm_up_min=sample, session_days=0.25, dropout_prob=0.0
    )
    trace = read(np.full((n, 721), 120.0), seeds=seeds_for(15, np.arange(n)), sensor=sensor)
    last = trace.glucose_mgdl[:, trace.t_min == 360 - sample]
    first = trace.glucose_mgdl[:, trace.t_min == 360 + sample]
    assert not np.isnan(last).any()
    assert not np.isnan(first).any()
    _assert_within(
        _clustered((last - last.mean()) * (first - first.mean())), 0.0, "covariance across sensors"
    )


@pytest.mark.property
def test_dropouts_follow_the_two_state_chain() -> None:
    # Start probability p per reading, mean length L readings: missing fraction p / (p + 1/L),
    # complete dropouts last L readings on average.
    p, mean_min, sample = 0.02, 20.0, 5
    sensor = CgmSensor(
        model=CgmErrorModel.IDEAL,
        warm_up_min=0.0,
        session_days=None,
        dropout_prob=p,
        dropout_mean_min=mean_min,
    )
    n = 400
    trace = read(np.full((n, 2 * 1440 + 1), 120.0), seeds=seeds_for(9, np.arange(n)), sensor=sensor)
    drop = (trace.flags == CgmFlag.DROPOUT).astype(np.float64)
    q = sample / mean_min
    _assert_within(_clustered(drop), p / (p + q), "missing fraction")

    d = np.diff(np.pad(drop, ((0, 0), (1, 1))), axis=1)
    lengths = []
    for row in d:  # complete runs only (the chain starts 'ok'; the last run may be cut)
        starts, ends = np.flatnonzero(row == 1), np.flatnonzero(row == -1)
        complete = ends < drop.shape[1]
        lengths.append(np.mean((ends - starts)[complete]))
    per_patient = np.array(lengths)
    se = per_patient.std(ddof=1) / math.sqrt(n)
    assert abs(per_patient.mean() - mean_min / sample) < N_SE * se


@pytest.mark.property
def test_a_15_min_knot_reading_is_the_same_whatever_the_sample_period() -> None:
    # The noise is drawn on the 15-min grid and interpolated through it: 1-, 3-, 5- and 15-min
    # sensors with the same seed agree at every quarter hour.
    glucose = _random_walk(3, 600, seed=4)
    seeds = seeds_for(1, np.arange(3))
    at_15 = read(glucose, seeds=seeds, sensor=JOHNSON_QUIET).glucose_mgdl
    for sample in (1, 3, 5):
        trace = read(glucose, seeds=seeds, sensor=CgmSensor(sample_min=sample, dropout_prob=0.0))
        np.testing.assert_array_equal(trace.glucose_mgdl[:, trace.t_min % 15 == 0], at_15)


@pytest.mark.property
def test_the_plasma_lag_trails_a_ramp_by_tau_times_slope() -> None:
    # First-order lag, exact for input linear between minutes: after the start-up transient
    # (tau e^{-t/tau}, < 1e-6 after 100 min) IG = G - tau x slope; a constant stays constant.
    t = np.arange(301, dtype=np.float64)
    ramp = np.vstack([100.0 + 1.5 * t, np.full_like(t, 180.0)])
    ig = plasma_to_interstitial(ramp, tau_min=6.0)
    np.testing.assert_allclose(ig[0, 100:], ramp[0, 100:] - 6.0 * 1.5, atol=1e-6)
    np.testing.assert_allclose(ig[1], 180.0, atol=1e-12)

    seeds = seeds_for(3, np.arange(2))
    from_plasma = read(ramp, seeds=seeds, site=GlucoseSite.PLASMA)
    from_ig = read(plasma_to_interstitial(ramp, DEXCOM_G6.plasma_lag_tau_min), seeds=seeds)
    np.testing.assert_array_equal(from_plasma.glucose_mgdl, from_ig.glucose_mgdl)


# ---- reference ---------------------------------------------------------------------------------
@pytest.mark.reference
def test_the_latent_noise_is_simglucoses_15_min_process() -> None:
    # simglucose noise_gen.py: e_k = PACF (e_{k-1} + N(0, 1)) every 15 min, eps = Johnson(e). Invert
    # the transform at the knots, e = gamma + delta asinh((eps - xi)/lambda): e must have the AR(1)
    # stationary variance PACF^2/(1 - PACF^2) and lag-15-min correlation PACF; eps itself keeps the
    # lag covariance the transform predicts (correlation 0.690, just under PACF).
    n = 3000
    trace = read(np.full((n, 1441), 120.0), seeds=seeds_for(12, np.arange(n)), sensor=JOHNSON_QUIET)
    eps = trace.glucose_mgdl[:, trace.t_min >= 120] - 120.0
    e = GAMMA + DELTA * np.arcsinh((eps - XI) / LAMBDA)
    s2 = PACF**2 / (1 - PACF**2)

    _assert_within(_clustered(e**2), s2, "latent variance")
    _assert_within(_clustered(e[:, 1:] * e[:, :-1] - PACF * e[:, :-1] ** 2), 0.0, "latent lag-1 (PACF)")
    mean, var, cov = _johnson_moments(s2, PACF)
    _assert_within(_clustered((eps[:, 1:] - mean) * (eps[:, :-1] - mean)), cov, "eps lag-15-min covariance")
    assert cov / var == pytest.approx(0.690, abs=0.001)


@pytest.mark.reference
def test_simglucose_starts_the_latent_noise_at_a_standard_normal() -> None:
    # noise15_iter: e_0 = randn(); at t = 0 on a sensor without warm-up, eps has the N(0, 1) moments.
    n = 8000
    sensor = CgmSensor(sample_min=15, warm_up_min=0.0, dropout_prob=0.0)
    trace = read(np.full((n, 1), 120.0), seeds=seeds_for(13, np.arange(n)), sensor=sensor)
    eps = trace.glucose_mgdl[:, :1] - 120.0
    mean, var, _ = _johnson_moments(1.0)
    _assert_within(_clustered(eps), mean, "initial mean")
    _assert_within(_clustered((eps - mean) ** 2), var, "initial variance")


# ---- scenario ----------------------------------------------------------------------------------
@pytest.mark.scenario
def test_three_weeks_on_dexcom_g6_sensors_warm_up_three_times() -> None:
    # Two patients: one inserts a sensor at t = 0, one wears a sensor 9 days old at t = 0.
    minutes = 21 * 1440
    trace = read(
        np.full((2, minutes + 1), 150.0),
        seeds=seeds_for(1, np.arange(2)),
        sensor=DEXCOM_G6,
        sensor_age_min=[0, 12_960],
    )
    warm = trace.flags == CgmFlag.WARM_UP
    t = trace.t_min
    fresh = (t < 120) | ((t >= 14_400) & (t < 14_520)) | ((t >= 28_800) & (t < 28_920))
    worn = ((t >= 1440) & (t < 1560)) | ((t >= 15_840) & (t < 15_960)) | ((t >= 30_240) & (t < 30_360))
    np.testing.assert_array_equal(warm[0], fresh)
    np.testing.assert_array_equal(warm[1], worn)
    assert np.isnan(trace.glucose_mgdl[warm]).all()
    shown = ~np.isnan(trace.glucose_mgdl)
    assert 0.95 < shown[~warm].mean() < 1.0  # default dropouts remove about 2 % of readings


def test_a_seed_stands_for_the_default_generator_of_that_seed() -> None:
    # Seeds build each patient's three generators directly (SeedSequence(seed, spawn_key=(i,))),
    # without the parent generator: the errors are those of default_rng(seed).spawn(3).
    seeds = seeds_for(12, np.arange(5))
    by_seed = SeededCgmErrors(2 * 1440, seeds, DEXCOM_G6).errors()
    by_rng = sensor_errors(2 * 1440, rngs=[np.random.default_rng(int(s)) for s in seeds], sensor=DEXCOM_G6)
    for field in ("gain", "offset_mgdl", "status"):
        np.testing.assert_array_equal(getattr(by_seed, field), getattr(by_rng, field), err_msg=field)
