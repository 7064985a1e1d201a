"""Pump commands: bad input is refused with a message a user can act on, and leaves no trace.

"Leaves no trace" is checked twice: the observable state (events, patterns, temp basal, settings,
reservoir, alarms) compares equal before and after, and the pump that refused the command then
delivers exactly what an identical pump that never received it delivers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from conftest import make_pump
from t2pump.devices.envelope import BolusType, get_envelope, load_envelopes
from t2pump.devices.pump import EventKind, Pump, PumpSettings, PumpStateError, TempBasal
from t2pump.errors import InputRangeError
from t2pump.schedule import DailySchedule
from t2pump.units import Concentration

MEDTRONIC = "medtronic_minimed_780g"
OMNIPOD = "insulet_omnipod_5"
MEDTRUM = "medtrum_touchcare_nano"
YPSOPUMP = "ypsomed_ypsopump"
TANDEM = "tandem_tslim_x2"


def _state(pump: Pump) -> tuple[Any, ...]:
    return (
        len(pump.timeline().events),
        dict(pump.patterns),
        pump.active_pattern,
        pump.temp_basal,
        pump.settings,
        pump.concentration,
        pump.reservoir_u,
        pump.active_alarms,
        pump.is_delivering,
        pump.now_min,
    )


def _delivery(pump: Pump, until_min: int) -> tuple[np.ndarray, np.ndarray, list[EventKind]]:
    pump.advance(until_min)
    tl = pump.timeline()
    return tl.basal_delivered_u, tl.bolus_delivered_u, [e.kind for e in tl.events]


def _busy_pump(model_id: str, *, max_basal_u_per_h: float, max_bolus_u: float) -> Pump:
    """A pump 30 min into the day with a second pattern saved and a bolus under way."""
    pump = make_pump(model_id, 1.0, max_basal_u_per_h=max_basal_u_per_h, max_bolus_u=max_bolus_u)
    pump.advance(30)
    if get_envelope(model_id).basal_patterns_max > 1:
        pump.set_pattern("sport", DailySchedule.constant(0.5))
    pump.bolus(3.0)
    pump.advance(31)
    return pump


# (id, model, command, field, value, fragment of the expected range)
REFUSED: list[tuple[str, str, Callable[[Pump], object], str, object, str]] = [
    ("bolus of 500 U", OMNIPOD, lambda p: p.bolus(500), "bolus.units", 500.0, "[0.05, 20] U"),
    ("negative bolus", MEDTRONIC, lambda p: p.bolus(-1.0), "bolus.units", -1.0, "[0.025, 10] U"),
    (
        "bolus off the 0.05-U grid",
        OMNIPOD,
        lambda p: p.bolus(1.03),
        "bolus.units",
        1.03,
        "multiple of 0.05 U",
    ),
    ("bolus off the 0.1-U grid", YPSOPUMP, lambda p: p.bolus(2.25), "bolus.units", 2.25, "multiple of 0.1 U"),
    ("NaN bolus", OMNIPOD, lambda p: p.bolus(math.nan), "bolus.units", math.nan, "a finite number"),
    ("infinite bolus", OMNIPOD, lambda p: p.bolus(math.inf), "bolus.units", math.inf, "a finite number"),
    (
        "dual wave on a pump without it",
        OMNIPOD,
        lambda p: p.bolus(1.0, kind="dual_wave", extended_units=1.0, duration_min=60),
        "bolus.kind",
        "dual_wave",
        "one of extended, normal on the Omnipod 5",
    ),
    (
        "unknown bolus kind",
        MEDTRONIC,
        lambda p: p.bolus(1.0, kind="square"),
        "bolus.kind",
        "square",
        "dual_wave",
    ),
    (
        "dual wave above the max bolus",
        MEDTRONIC,
        lambda p: p.bolus(6.0, kind="dual_wave", extended_units=6.0, duration_min=60),
        "bolus.total_u",
        12.0,
        "at most 10 U",
    ),
    (
        "extended bolus over 45 min on a 30-min grid",
        MEDTRONIC,
        lambda p: p.bolus(0, kind="extended", extended_units=2.0, duration_min=45),
        "bolus.duration_min",
        45,
        "multiple of 30 min",
    ),
    (
        "extended bolus over NaN minutes",
        MEDTRONIC,
        lambda p: p.bolus(0, kind="extended", extended_units=2.0, duration_min=math.nan),
        "bolus.duration_min",
        math.nan,
        "a finite number",
    ),
    (
        "extended bolus with a now part",
        OMNIPOD,
        lambda p: p.bolus(1.0, kind="extended", extended_units=2.0, duration_min=60),
        "bolus.units",
        1.0,
        "0 for an extended bolus",
    ),
    (
        "basal segment of 60 U/h",
        MEDTRONIC,
        lambda p: p.set_pattern("sport", DailySchedule.constant(60.0)),
        "pattern[sport].segment[0].rate_u_per_h",
        60.0,
        "[0, 10] U/h",
    ),
    (
        "basal segment starting at 00:45",
        OMNIPOD,
        lambda p: p.set_pattern("sport", DailySchedule((0, 45), (1.0, 0.5))),
        "pattern[sport].segment[1].start_min",
        45,
        "a multiple of 30 min",
    ),
    (
        "basal segment at 01:30 on an hourly-segment pump",
        YPSOPUMP,
        lambda p: p.set_pattern("sport", DailySchedule((0, 90), (1.0, 0.5))),
        "pattern[sport].segment[1].start_min",
        90,
        "a multiple of 60 min",
    ),
    (
        "25 basal segments on a 24-segment pump",
        OMNIPOD,
        lambda p: p.set_pattern("sport", DailySchedule(tuple(range(0, 1440, 30))[:25], (1.0,) * 25)),
        "pattern[sport].segments",
        25,
        "at most 24 segments",
    ),
    (
        "basal rate off the 0.05-U/h grid",
        OMNIPOD,
        lambda p: p.set_pattern("sport", DailySchedule.constant(0.73)),
        "pattern[sport].segment[0].rate_u_per_h",
        0.73,
        "multiple of 0.05 U/h",
    ),
    (
        "basal rate off Medtronic's 0.05-U/h band above 1 U/h",
        MEDTRONIC,
        lambda p: p.set_pattern("sport", DailySchedule.constant(1.025)),
        "pattern[sport].segment[0].rate_u_per_h",
        1.025,
        "multiple of 0.05 U/h",
    ),
    (
        "second pattern on a one-pattern pump",
        MEDTRUM,
        lambda p: p.set_pattern("sport", DailySchedule.constant(0.5)),
        "pattern.name",
        "sport",
        "holds at most 1",
    ),
    (
        "activating an unknown pattern",
        OMNIPOD,
        lambda p: p.activate_pattern("night"),
        "pattern.name",
        "night",
        "one of",
    ),
    (
        "temp basal of 250 % on a 200 % pump",
        MEDTRONIC,
        lambda p: p.start_temp_basal(60, percent=250),
        "temp_basal.percent",
        250,
        "[0, 200] %",
    ),
    (
        "temp basal of 200 % on the Omnipod 5 (195 % max)",
        OMNIPOD,
        lambda p: p.start_temp_basal(60, percent=200),
        "temp_basal.percent",
        200,
        "[0, 195] %",
    ),
    (
        "temp basal of 45 min on a 30-min grid",
        MEDTRONIC,
        lambda p: p.start_temp_basal(45, percent=50),
        "temp_basal.duration_min",
        45,
        "multiple of 30 min",
    ),
    (
        "temp basal of 13 % on a 5-% grid",
        MEDTRONIC,
        lambda p: p.start_temp_basal(60, percent=13),
        "temp_basal.percent",
        13,
        "multiple of 5 %",
    ),
    (
        "percent temp basal on an absolute-only pump",
        MEDTRUM,
        lambda p: p.start_temp_basal(60, percent=150),
        "temp_basal.percent",
        150,
        "an absolute rate",
    ),
    (
        "absolute temp basal on a percent-only pump",
        TANDEM,
        lambda p: p.start_temp_basal(60, rate_u_per_h=1.0),
        "temp_basal.rate_u_per_h",
        1.0,
        "a percentage",
    ),
    (
        "absolute temp basal above the max basal",
        OMNIPOD,
        lambda p: p.start_temp_basal(60, rate_u_per_h=12.0),
        "temp_basal.rate_u_per_h",
        12.0,
        "[0, 10] U/h",
    ),
    (
        "infinite absolute temp basal",
        OMNIPOD,
        lambda p: p.start_temp_basal(60, rate_u_per_h=math.inf),
        "temp_basal.rate_u_per_h",
        math.inf,
        "a finite number",
    ),
    (
        "temp basal for NaN minutes",
        MEDTRONIC,
        lambda p: p.start_temp_basal(math.nan, percent=50),
        "temp_basal.duration_min",
        math.nan,
        "a finite number",
    ),
    (
        "temp basal given as percent and rate",
        OMNIPOD,
        lambda p: p.start_temp_basal(60, percent=50, rate_u_per_h=0.5),
        "temp_basal",
        (50, 0.5),
        "exactly one of percent or rate_u_per_h",
    ),
    (
        "max bolus setting of 100 U on the Omnipod 5",
        OMNIPOD,
        lambda p: p.configure(PumpSettings(max_basal_u_per_h=10.0, max_bolus_u=100.0)),
        "settings.max_bolus_u",
        100.0,
        "(0, 30] U",
    ),
    (
        "infinite max basal setting",
        OMNIPOD,
        lambda p: p.configure(PumpSettings(max_basal_u_per_h=math.inf, max_bolus_u=20.0)),
        "settings.max_basal_u_per_h",
        math.inf,
        "a finite number",
    ),
    (
        "max basal below the running pattern",
        OMNIPOD,
        lambda p: p.configure(PumpSettings(max_basal_u_per_h=0.5, max_bolus_u=20.0)),
        "settings.max_basal_u_per_h",
        0.5,
        ">= 1 U/h",
    ),
    (
        "hourly maximum on a pump without one above its own",
        MEDTRUM,
        lambda p: p.configure(PumpSettings(max_basal_u_per_h=10.0, max_bolus_u=20.0, max_hourly_u=41.0)),
        "settings.max_hourly_u",
        41.0,
        "(0, 40] U",
    ),
    (
        "auto-off on a pump without auto-off",
        MEDTRUM,
        lambda p: p.configure(PumpSettings(max_basal_u_per_h=10.0, max_bolus_u=20.0, auto_off_h=12.0)),
        "settings.auto_off_h",
        12.0,
        "has no auto-off",
    ),
    (
        "reservoir filled above its capacity",
        OMNIPOD,
        lambda p: p.change_reservoir(250),
        "reservoir.fill_u",
        250,
        "(0, 200] U",
    ),
    ("battery at 120 %", OMNIPOD, lambda p: p.set_battery(120), "battery_percent", 120, "[0, 100] %"),
    ("running the clock backwards", OMNIPOD, lambda p: p.advance(10), "advance.to_min", 10, ">= now"),
]


@pytest.mark.parametrize(
    ("model_id", "command", "field", "value", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in REFUSED],
)
def test_refused_command_names_field_value_and_range_and_leaves_no_trace(
    model_id: str,
    command: Callable[[Pump], object],
    field: str,
    value: object,
    expected: str,
) -> None:
    settings = {"max_basal_u_per_h": 10.0, "max_bolus_u": 10.0 if model_id == MEDTRONIC else 20.0}
    pump = _busy_pump(model_id, **settings)
    twin = _busy_pump(model_id, **settings)
    before = _state(pump)

    with pytest.raises(InputRangeError) as caught:
        command(pump)

    err = caught.value
    assert err.field == field
    assert repr(err.value) == repr(value)
    assert expected in err.expected
    assert str(err) == f"{field}: got {value!r}, expected {err.expected}"
    assert _state(pump) == before
    mine, theirs = _delivery(pump, 240), _delivery(twin, 240)
    np.testing.assert_array_equal(mine[0], theirs[0])
    np.testing.assert_array_equal(mine[1], theirs[1])
    assert mine[2] == theirs[2]


def test_partly_valid_segment_list_is_rejected_whole_and_the_old_pattern_stays() -> None:
    pump = make_pump(OMNIPOD, DailySchedule((0, 360), (0.8, 1.2)))
    saved = pump.patterns["basal"]
    with pytest.raises(InputRangeError, match=r"segment\[2\]\.rate_u_per_h"):
        pump.set_pattern("basal", DailySchedule((0, 360, 720), (0.9, 1.1, 99.0)))
    assert pump.patterns["basal"] == saved


@pytest.mark.parametrize(
    ("starts", "field", "expected"),
    [
        pytest.param(
            (0, 120, 60),
            "sport.starts_min[2]",
            "a start after 120 min (segments must not overlap)",
            id="unsorted",
        ),
        pytest.param(
            (0, 60, 60),
            "sport.starts_min[2]",
            "a start after 60 min (segments must not overlap)",
            id="duplicate",
        ),
        pytest.param(
            (30, 60, 120), "sport.starts_min[0]", "0 (the first segment starts at 00:00)", id="late"
        ),
        pytest.param((0, 60, 1440), "sport.starts_min[-1]", "a start before 1440 min", id="past midnight"),
    ],
)
def test_overlapping_or_unsorted_segments_are_refused_by_the_schedule_itself(
    starts: tuple[int, ...], field: str, expected: str
) -> None:
    with pytest.raises(InputRangeError) as caught:
        DailySchedule(starts, (1.0, 0.8, 1.2), name="sport")
    assert caught.value.field == field
    assert caught.value.expected == expected


def test_nan_basal_rate_is_refused_by_the_schedule_itself() -> None:
    with pytest.raises(InputRangeError, match=r"sport\.values\[1\]: got nan, expected a finite number"):
        DailySchedule((0, 360), (1.0, math.nan), name="sport")


def test_24_segments_fit_the_omnipod_5() -> None:
    pump = make_pump(OMNIPOD, DailySchedule(tuple(range(0, 1440, 60)), (1.0,) * 24))
    assert len(pump.patterns["basal"].starts_min) == 24


def test_settings_above_the_envelope_are_refused_when_the_pump_is_built() -> None:
    with pytest.raises(InputRangeError, match=r"settings\.max_bolus_u: got 100\.0, expected .*\(0, 30\] U"):
        Pump(get_envelope(OMNIPOD), PumpSettings(max_basal_u_per_h=5.0, max_bolus_u=100.0))


def test_settings_scale_with_concentration_so_a_u200_pod_accepts_a_60_u_max_bolus() -> None:
    pump = Pump(
        get_envelope(OMNIPOD),
        PumpSettings(max_basal_u_per_h=5.0, max_bolus_u=60.0),
        concentration=Concentration.U200,
    )
    assert pump.max_bolus_u == 60.0
    with pytest.raises(InputRangeError, match=r"\(0, 60\] U"):
        pump.configure(PumpSettings(max_basal_u_per_h=5.0, max_bolus_u=60.5))


# --- state errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "message"),
    [
        pytest.param(lambda p: p.bolus(2.0), "bolus: the pump is suspended", id="bolus"),
        pytest.param(
            lambda p: p.start_temp_basal(60, percent=50), "temp basal: the pump is suspended", id="temp"
        ),
        pytest.param(lambda p: p.suspend(), "already suspended", id="suspend again"),
    ],
)
def test_commands_while_suspended_are_refused_and_leave_no_trace(
    command: Callable[[Pump], object], message: str
) -> None:
    pump = make_pump(MEDTRONIC)
    pump.advance(60)
    pump.suspend()
    before = _state(pump)
    with pytest.raises(PumpStateError, match=message):
        command(pump)
    assert _state(pump) == before


def test_a_second_normal_bolus_is_refused_while_the_first_is_being_delivered() -> None:
    pump = make_pump(OMNIPOD)
    pump.bolus(6.0)
    pump.advance(1)
    before = _state(pump)
    with pytest.raises(PumpStateError, match="already being delivered"):
        pump.bolus(1.0)
    assert _state(pump) == before
    pump.advance(60)
    assert pump.timeline().bolus_delivered_u.sum() == pytest.approx(6.0)


def test_the_clock_needs_an_active_pattern() -> None:
    pump = make_pump(OMNIPOD, None)
    with pytest.raises(PumpStateError, match="no basal pattern is active"):
        pump.advance(10)


def test_resume_while_delivering_and_cancel_without_a_temp_are_refused() -> None:
    pump = make_pump(OMNIPOD)
    with pytest.raises(PumpStateError, match="already delivering"):
        pump.resume()
    with pytest.raises(PumpStateError, match="no temp basal"):
        pump.cancel_temp_basal()


# --- temporary basal --------------------------------------------------------------------------


def test_percent_temp_follows_the_schedule_rounded_down_to_medtronic_bands() -> None:
    # 1.05 U/h until 02:00, then 0.9 U/h
    pump = make_pump(MEDTRONIC, DailySchedule((0, 120), (1.05, 0.9)))
    pump.start_temp_basal(180, percent=55)
    pump.advance(180)
    tl = pump.timeline()
    # 55 % of 1.05 = 0.5775 -> 0.575 (0.025 steps below 1 U/h); 55 % of 0.9 = 0.495 -> 0.475
    np.testing.assert_allclose(tl.basal_requested_u[:120] * 60, 0.575)
    np.testing.assert_allclose(tl.basal_requested_u[120:180] * 60, 0.475)

    pump.start_temp_basal(60, percent=130)
    pump.advance(240)
    # 130 % of 0.9 = 1.17 -> 1.15 (0.05 steps from 1 U/h)
    np.testing.assert_allclose(pump.timeline().basal_requested_u[180:240] * 60, 1.15)


def test_percent_temp_on_an_omnipod_rounds_down_to_its_005_u_h_step() -> None:
    pump = make_pump(OMNIPOD, 0.15)
    pump.start_temp_basal(60, percent=50)  # 0.075 U/h -> 0.05 U/h
    pump.advance(60)
    tl = pump.timeline()
    np.testing.assert_allclose(tl.basal_requested_u * 60, 0.05)
    assert tl.basal_delivered_u.sum() == pytest.approx(0.05)


def test_percent_temp_above_max_basal_is_clamped_once() -> None:
    pump = make_pump(MEDTRONIC, 1.5, max_basal_u_per_h=2.0)
    pump.start_temp_basal(60, percent=200)
    pump.advance(60)
    tl = pump.timeline()
    np.testing.assert_allclose(tl.basal_requested_u * 60, 2.0)
    (clamp,) = tl.clamps()
    assert (clamp.requested_u, clamp.delivered_u) == (pytest.approx(3.0), pytest.approx(2.0))
    assert tl.basal_delivered_u.sum() == pytest.approx(2.0)


def test_max_basal_cannot_be_lowered_under_a_running_absolute_temp() -> None:
    pump = make_pump(OMNIPOD, 1.0)
    pump.start_temp_basal(120, rate_u_per_h=4.0)
    pump.advance(10)
    before = _state(pump)
    with pytest.raises(InputRangeError) as caught:
        pump.configure(PumpSettings(max_basal_u_per_h=2.0, max_bolus_u=20.0))
    assert caught.value.field == "settings.max_basal_u_per_h"
    assert caught.value.value == 2.0
    assert ">= 4 U/h" in caught.value.expected
    assert _state(pump) == before
    pump.cancel_temp_basal()
    pump.configure(PumpSettings(max_basal_u_per_h=2.0, max_bolus_u=20.0))
    assert pump.max_basal_u_per_h == 2.0


def test_absolute_temp_replaces_the_schedule_then_the_schedule_returns() -> None:
    pump = make_pump(OMNIPOD, 1.2)
    pump.advance(30)
    temp = pump.start_temp_basal(60, rate_u_per_h=0.5)
    assert temp == TempBasal(30, 90, rate_u_per_h=0.5)
    pump.advance(150)
    tl = pump.timeline()
    np.testing.assert_allclose(tl.basal_requested_u[30:90] * 60, 0.5)
    np.testing.assert_allclose(tl.basal_requested_u[90:] * 60, 1.2)
    np.testing.assert_allclose(tl.scheduled_basal_u * 60, 1.2)
    assert tl.basal_delivered_u[30:90].sum() == pytest.approx(0.5)


def test_cancelled_temp_stops_at_the_next_minute() -> None:
    pump = make_pump(OMNIPOD, 1.0)
    pump.start_temp_basal(120, rate_u_per_h=0.0)
    pump.advance(45)
    pump.cancel_temp_basal()
    assert pump.temp_basal is None
    pump.advance(90)
    tl = pump.timeline()
    assert tl.basal_requested_u[:45].sum() == 0
    np.testing.assert_allclose(tl.basal_requested_u[45:] * 60, 1.0)
    assert [e.t_min for e in tl.events if e.kind is EventKind.TEMP_BASAL_CANCELLED] == [45]


def test_temp_ends_by_itself_at_its_end_minute() -> None:
    pump = make_pump(MEDTRONIC, 1.0)
    pump.start_temp_basal(30, percent=0)
    pump.advance(61)
    tl = pump.timeline()
    assert pump.temp_basal is None
    assert tl.basal_delivered_u[:30].sum() == 0
    np.testing.assert_allclose(tl.basal_requested_u[30:] * 60, 1.0)
    assert [e.t_min for e in tl.events if e.kind is EventKind.TEMP_BASAL_ENDED] == [30]


def test_a_new_temp_replaces_the_running_one() -> None:
    pump = make_pump(MEDTRONIC, 1.0)
    pump.start_temp_basal(120, percent=50)
    pump.advance(30)
    pump.start_temp_basal(60, percent=150)
    pump.advance(120)
    tl = pump.timeline()
    np.testing.assert_allclose(tl.basal_requested_u[:30] * 60, 0.5)
    np.testing.assert_allclose(tl.basal_requested_u[30:90] * 60, 1.5)
    np.testing.assert_allclose(tl.basal_requested_u[90:] * 60, 1.0)


# --- patterns ---------------------------------------------------------------------------------


def test_switching_from_weekday_to_weekend_to_sport_changes_the_rate_at_the_next_minute() -> None:
    pump = make_pump(MEDTRONIC, None)
    pump.set_pattern("weekday", DailySchedule((0, 360), (0.8, 1.2)))
    pump.set_pattern("weekend", DailySchedule.constant(0.6))
    pump.set_pattern("sport", DailySchedule.constant(0.3))
    pump.activate_pattern("weekday")
    pump.advance(600)
    pump.activate_pattern("weekend")
    pump.advance(900)
    pump.activate_pattern("sport")
    pump.advance(1000)
    sched = pump.timeline().scheduled_basal_u * 60
    np.testing.assert_allclose(
        sched[[0, 359, 360, 599, 600, 899, 900, 999]], [0.8, 0.8, 1.2, 1.2, 0.6, 0.6, 0.3, 0.3]
    )
    assert pump.active_pattern == "sport"
    assert sorted(pump.patterns) == ["sport", "weekday", "weekend"]


def test_a_saved_pattern_carries_its_pump_name() -> None:
    pump = make_pump(OMNIPOD, DailySchedule.constant(1.0, name="whatever"))
    assert pump.patterns["basal"].name == "basal"


# --- reservoir and concentration --------------------------------------------------------------


def test_loading_u200_into_an_omnipod_5_is_allowed_and_flagged_off_label() -> None:
    pump = make_pump(OMNIPOD, 1.0)
    pump.advance(60)
    pump.change_reservoir(300, concentration="U-200")
    assert pump.concentration is Concentration.U200
    assert pump.reservoir_u == 300
    assert pump.reservoir_capacity_u == 400
    events = pump.timeline().events
    assert events[-2].kind is EventKind.RESERVOIR_CHANGED
    assert events[-1].kind is EventKind.WARNING
    assert "off-label" in events[-1].detail
    assert "U-200" in events[-1].detail
    pump.advance(180)
    tl = pump.timeline()
    # U-200 pulses are 0.1 real units; the rate stays 1 U/h in real units
    assert set(np.round(tl.basal_delivered_u[60:], 10)) <= {0.0, 0.1}
    assert tl.basal_delivered_u[60:].sum() == pytest.approx(2.0)
    assert pump.reservoir_u == pytest.approx(298.0)


def test_a_u200_reservoir_is_refused_under_a_pattern_finer_than_the_u200_increment() -> None:
    pump = make_pump(OMNIPOD, 1.0)
    pump.set_pattern("night", DailySchedule.constant(0.05))  # one U-100 pulse per hour
    pump.advance(60)
    before = _state(pump)
    with pytest.raises(InputRangeError) as caught:
        pump.change_reservoir(300, concentration=200)
    assert caught.value.field == "pattern[night].segment[0].rate_u_per_h"
    assert caught.value.value == 0.05
    assert "multiple of the U-200 basal increment" in caught.value.expected
    assert _state(pump) == before
    assert pump.concentration is Concentration.U100


def test_a_u100_reservoir_raises_no_off_label_warning() -> None:
    pump = make_pump(OMNIPOD, 1.0)
    pump.change_reservoir(150)
    assert not [e for e in pump.timeline().events if e.kind is EventKind.WARNING]


def test_changing_the_reservoir_is_refused_during_a_bolus() -> None:
    pump = make_pump(OMNIPOD, 1.0)
    pump.bolus(6.0)
    pump.advance(1)
    before = _state(pump)
    with pytest.raises(PumpStateError, match="bolus is in progress"):
        pump.change_reservoir(200)
    assert _state(pump) == before


@pytest.mark.parametrize("model_id", sorted(load_envelopes()))
def test_every_model_offers_a_normal_and_an_extended_bolus(model_id: str) -> None:
    types = get_envelope(model_id).bolus_types
    assert {BolusType.NORMAL, BolusType.EXTENDED} <= types
