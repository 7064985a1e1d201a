"""Property tests of the pump delivery model stated in the module docstring of t2pump.devices.pump.

Each property is checked on every packaged model (or the models that have the feature), with
basal programs drawn on the model's segment grid and rates that are valid multiples of the model's
increments. Expected values are computed here from the program (segment rate x hours), never from
the engine's own helpers.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from conftest import make_pump
from t2pump.devices.envelope import BolusType, StepTable, get_envelope, load_envelopes
from t2pump.devices.pump import AlarmKind, EventKind, Pump, PumpStateError
from t2pump.schedule import DailySchedule
from t2pump.units import Concentration, units_to_ml

pytestmark = pytest.mark.property

MODELS = sorted(load_envelopes())
TOL = 1e-9
MAX_BASAL = 5.0  # U/h, the max basal setting used throughout (real units)
MAX_BOLUS = 20.0  # U, the max bolus setting used throughout (real units)


def _is_multiple(values: NDArray[np.float64], step: float) -> bool:
    ratio = np.asarray(values, dtype=np.float64) / step
    return bool(np.all(np.abs(ratio - np.round(ratio)) < 1e-6))


def _integral_u(program: DailySchedule, start_min: int = 0, end_min: int = 1440) -> float:
    """Units the program asks for in [start_min, end_min) of day 0: sum of rate x overlap hours."""
    ends = (*program.starts_min[1:], 1440)
    total = 0.0
    for seg_start, seg_end, rate in zip(program.starts_min, ends, program.values, strict=True):
        overlap = min(seg_end, end_min) - max(seg_start, start_min)
        if overlap > 0:
            total += rate * overlap / 60.0
    return total


def _valid_rate(draw: st.DrawFn, tables: list[StepTable], lo: float, hi: float) -> float:
    """A rate in [lo, hi] valid on every table (rounded down until all agree)."""
    requested = draw(st.floats(lo, hi))
    rate = min(t.round_down(requested) for t in tables)
    while not all(t.is_valid(rate) for t in tables):
        rate = min(t.round_down(rate) for t in tables)
    return max(lo, rate)


@st.composite
def basal_programs(
    draw: st.DrawFn, model_id: str, *, factors: tuple[float, ...] = (1.0,), grid_min: int | None = None
) -> DailySchedule:
    """A basal program for ``model_id`` valid at each concentration ``factor`` x U-100 (real units)."""
    env = get_envelope(model_id)
    grid = grid_min or max(30, env.basal_segment_min_minutes)
    slots = 1440 // grid
    n_segments = draw(st.integers(1, min(env.basal_segments_max, 8)))
    boundaries = draw(st.sets(st.integers(1, slots - 1), min_size=n_segments - 1, max_size=n_segments - 1))
    starts = (0, *sorted(b * grid for b in boundaries))
    lo, hi = env.basal_rate_range_u_per_h
    tables = [env.basal_increments.scaled(f) for f in factors]
    rates = tuple(
        _valid_rate(draw, tables, lo * max(factors), min(hi * min(factors), MAX_BASAL)) for _ in starts
    )
    return DailySchedule(starts, rates)


def _bolus_units(draw: Callable[..., float], increments: StepTable, hi: float) -> float:
    return max(increments.finest, increments.round_down(draw(st.floats(increments.finest, hi))))


# --- basal ------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(model_id=st.sampled_from(MODELS), data=st.data())
def test_a_day_of_basal_delivers_the_programmed_integral_rounded_down_to_one_pulse(
    model_id: str, data: st.DataObject
) -> None:
    program = data.draw(basal_programs(model_id))
    pump = make_pump(model_id, program)
    pump.advance(1440)
    shortfall = _integral_u(program) - pump.timeline().basal_delivered_u.sum()
    # never more than programmed, never a whole pulse short
    assert -TOL <= shortfall < get_envelope(model_id).basal_pulse_u - TOL


@settings(max_examples=40, deadline=None)
@given(
    model_id=st.sampled_from(MODELS),
    concentration=st.sampled_from([Concentration.U100, Concentration.U200]),
    bolus_at=st.integers(0, 1380),
    data=st.data(),
)
def test_every_minute_delivers_whole_pulses_and_increments_and_never_more_than_requested(
    model_id: str, concentration: Concentration, bolus_at: int, data: st.DataObject
) -> None:
    env = get_envelope(model_id)
    factor = concentration / 100
    program = data.draw(basal_programs(model_id, factors=(factor,)))
    pump = make_pump(model_id, program, concentration=concentration)
    units = _bolus_units(data.draw, env.bolus_increments.scaled(factor), MAX_BOLUS)
    pump.advance(bolus_at)
    pump.bolus(units)
    pump.advance(1440)
    tl = pump.timeline()

    pulse = env.basal_pulse_u * factor
    assert _is_multiple(tl.basal_delivered_u, pulse)
    assert _is_multiple(tl.bolus_delivered_u, env.bolus_increments.finest * factor)
    # basal: never ahead of what was asked, never a pulse behind
    owed = np.cumsum(tl.basal_requested_u) - np.cumsum(tl.basal_delivered_u)
    assert np.all(owed >= -TOL)
    assert np.all(owed < pulse + TOL)
    assert np.all(tl.basal_delivered_u <= tl.basal_requested_u + pulse + TOL)
    # bolus: never more than requested, never faster than the pump's bolus speed
    assert np.all(tl.bolus_delivered_u <= tl.bolus_requested_u + TOL)
    assert tl.bolus_delivered_u.max() <= env.bolus_speed_u_per_min * factor + TOL
    assert tl.bolus_delivered_u.sum() == pytest.approx(units, abs=TOL)


# --- boluses ----------------------------------------------------------------------------------

BOLUS_CASES = [
    (model_id, kind)
    for model_id in MODELS
    for kind in sorted(get_envelope(model_id).bolus_types, key=lambda k: k.value)
]


def _extended_duration(draw: Callable[..., int], model_id: str) -> int:
    env = get_envelope(model_id)
    assert env.extended_bolus_duration_range_min is not None
    assert env.extended_bolus_duration_step_min is not None
    lo, hi = env.extended_bolus_duration_range_min
    step = env.extended_bolus_duration_step_min
    k = draw(st.integers(math.ceil(lo / step), math.floor(min(hi, 480) / step)))
    return round(k * step)


@settings(max_examples=60, deadline=None)
@given(case=st.sampled_from(BOLUS_CASES), start=st.integers(0, 120), data=st.data())
def test_a_bolus_delivers_exactly_its_requested_total_when_nothing_interferes(
    case: tuple[str, BolusType], start: int, data: st.DataObject
) -> None:
    model_id, kind = case
    env = get_envelope(model_id)
    step = env.bolus_increments.finest
    pump = make_pump(model_id, 0.5 if env.basal_rate_range_u_per_h[0] > 0 else 0.0)
    pump.advance(start)
    duration = 0
    if kind is BolusType.NORMAL:
        now_u, ext_u = _bolus_units(data.draw, env.bolus_increments, MAX_BOLUS), 0.0
    elif kind is BolusType.EXTENDED:
        now_u, ext_u = 0.0, _bolus_units(data.draw, env.bolus_increments, MAX_BOLUS)
    else:
        now_u = _bolus_units(data.draw, env.bolus_increments, MAX_BOLUS / 2)
        ext_u = _bolus_units(data.draw, env.bolus_increments, MAX_BOLUS / 2)
    if ext_u:
        duration = _extended_duration(data.draw, model_id)
    pump.bolus(now_u, kind=kind, extended_units=ext_u, duration_min=duration)
    pump.advance(start + max(duration, 30) + 30)
    tl = pump.timeline()

    total = now_u + ext_u
    assert tl.bolus_delivered_u.sum() == pytest.approx(total, abs=TOL)
    assert _is_multiple(tl.bolus_delivered_u, step)
    (completed,) = [e for e in tl.events if e.kind is EventKind.BOLUS_COMPLETED]
    assert completed.requested_u == pytest.approx(total, abs=TOL)
    assert completed.delivered_u == pytest.approx(total, abs=TOL)
    assert not [e for e in tl.events if e.kind is EventKind.BOLUS_CANCELLED]
    if ext_u:
        # nothing after the extended period; the extended part spread evenly within one increment
        assert np.all(tl.bolus_delivered_u[start + duration :] == 0)
        if not now_u:
            given_so_far = np.cumsum(tl.bolus_delivered_u[start : start + duration])
            even = ext_u * np.arange(1, duration + 1) / duration
            assert np.all(even - given_so_far > -TOL)
            assert np.all(even - given_so_far < step + TOL)


# --- suspension -------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    model_id=st.sampled_from(MODELS),
    suspend_at=st.integers(1, 1000),
    suspended_for=st.integers(1, 400),
    data=st.data(),
)
def test_a_suspended_pump_delivers_nothing_until_resumed_and_owes_no_catch_up(
    model_id: str, suspend_at: int, suspended_for: int, data: st.DataObject
) -> None:
    program = data.draw(basal_programs(model_id))
    pump = make_pump(model_id, program)
    pump.advance(suspend_at - 1)
    pump.bolus(get_envelope(model_id).bolus_increments.round_down(10.0))  # still running when suspended
    pump.advance(suspend_at)
    pump.suspend()
    resume_at = suspend_at + suspended_for
    pump.advance(resume_at)
    assert not pump.is_delivering
    pump.resume()
    pump.advance(1440)
    tl = pump.timeline()

    assert np.all(tl.delivered_u[suspend_at:resume_at] == 0)
    # the program keeps running on the clock while suspended
    np.testing.assert_allclose(tl.scheduled_basal_u, program.value_at(tl.t_min) / 60, atol=TOL)
    # after resuming, the program's basal again (within a pulse) and nothing of what was missed
    after = tl.basal_delivered_u[resume_at:].sum() - _integral_u(program, resume_at, 1440)
    assert abs(after) < get_envelope(model_id).basal_pulse_u + TOL
    assert tl.bolus_delivered_u[resume_at:].sum() == 0


# --- concentration ----------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(model_id=st.sampled_from(MODELS), data=st.data())
def test_u200_delivers_the_same_real_units_from_half_the_volume_in_double_size_pulses(
    model_id: str, data: st.DataObject
) -> None:
    env = get_envelope(model_id)
    # hourly segments, rates valid at both: both concentrations owe a whole number of U-200 pulses
    program = data.draw(basal_programs(model_id, factors=(1.0, 2.0), grid_min=60))
    u100 = make_pump(model_id, program, concentration=Concentration.U100)
    u200 = make_pump(model_id, program, concentration=Concentration.U200)
    full_100, full_200 = u100.reservoir_u, u200.reservoir_u
    assert full_100 is not None
    assert full_200 is not None
    for pump in (u100, u200):
        pump.advance(1440)
    tl100, tl200 = u100.timeline(), u200.timeline()
    assert u100.reservoir_u is not None
    assert u200.reservoir_u is not None

    # same real units delivered
    assert tl200.basal_delivered_u.sum() == pytest.approx(tl100.basal_delivered_u.sum(), abs=TOL)
    assert tl200.basal_delivered_u.sum() == pytest.approx(_integral_u(program), abs=TOL)
    # the same physical reservoir, holding twice the units; half the volume used
    assert units_to_ml(full_200, Concentration.U200) == pytest.approx(
        units_to_ml(full_100, Concentration.U100)
    )
    used_100_ml = units_to_ml(full_100 - u100.reservoir_u, Concentration.U100)
    used_200_ml = units_to_ml(full_200 - u200.reservoir_u, Concentration.U200)
    assert used_200_ml == pytest.approx(used_100_ml / 2, abs=TOL)
    # one U-200 pulse is two real units per U-100 pulse: every minute's delivery shows it
    assert _is_multiple(tl200.basal_delivered_u, 2 * env.basal_pulse_u)
    assert u200.basal_pulse_u == pytest.approx(2 * u100.basal_pulse_u)
    assert u200.bolus_step_u == pytest.approx(2 * u100.bolus_step_u)
    for rate in (0.5, 1.0, 5.0, 12.0):
        assert u200.basal_increments.step_at(2 * rate) == pytest.approx(
            2 * u100.basal_increments.step_at(rate)
        )


# --- hourly and daily maxima (Medtrum) ---------------------------------------------------------

MEDTRUM = "medtrum_touchcare_nano"
actions = st.lists(
    st.tuples(st.integers(0, 239), st.sampled_from(["bolus", "resume"]), st.integers(1, 200)),
    max_size=8,
)


def _drive(pump: Pump, plan: list[tuple[int, str, int]], end_min: int) -> None:
    """Run ``plan`` (minute, action, bolus size in 0.05-U steps); refused commands are skipped."""
    for minute, action, steps in sorted(plan):
        pump.advance(minute)
        with contextlib.suppress(PumpStateError):
            if action == "bolus":
                pump.bolus(round(steps * 0.05, 2))
            else:
                pump.resume()
    pump.advance(end_min)


@settings(max_examples=40, deadline=None)
@given(
    max_hourly_steps=st.integers(20, 300),
    basal_steps=st.integers(1, 60),
    plan=actions,
)
def test_no_rolling_hour_exceeds_the_medtrum_hourly_maximum(
    max_hourly_steps: int, basal_steps: int, plan: list[tuple[int, str, int]]
) -> None:
    max_hourly = round(max_hourly_steps * 0.05, 2)
    pump = make_pump(MEDTRUM, round(basal_steps * 0.05, 2), max_bolus_u=10.0, max_hourly_u=max_hourly)
    _drive(pump, plan, 240)
    tl = pump.timeline()
    hourly = np.convolve(tl.delivered_u, np.ones(60), mode="valid")
    assert hourly.max() <= max_hourly + TOL
    if tl.clamps():
        assert AlarmKind.MAX_HOURLY_REACHED in {e.alarm for e in tl.alarms()}


@pytest.mark.slow
@settings(max_examples=15, deadline=None)
@given(max_daily=st.integers(5, 40), basal_steps=st.integers(10, 60), plan=actions)
def test_no_rolling_day_exceeds_the_medtrum_daily_maximum(
    max_daily: int, basal_steps: int, plan: list[tuple[int, str, int]]
) -> None:
    pump = make_pump(
        MEDTRUM, round(basal_steps * 0.05, 2), max_bolus_u=10.0, max_hourly_u=40.0, max_daily_u=max_daily
    )
    _drive(pump, [*plan, (1500, "resume", 0)], 2160)
    tl = pump.timeline()
    daily = np.convolve(tl.delivered_u, np.ones(1440), mode="valid")
    assert daily.max() <= max_daily + TOL
