"""Alarm scenarios: what the pump does when insulin, the line, the battery or the user runs out.

Each scenario starts from a pump on a plain 1-2 U/h basal (``make_pump`` below) and states
the clinically expected outcome: when the alarm fires, that delivery stops, what the log records.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import make_pump
from t2pump.devices.envelope import get_envelope
from t2pump.devices.pump import AlarmKind, EventKind, Pump, PumpEvent, PumpStateError
from t2pump.units import Concentration

pytestmark = pytest.mark.scenario


MEDTRONIC = "medtronic_minimed_780g"
OMNIPOD = "insulet_omnipod_5"
MEDTRUM = "medtrum_touchcare_nano"


def _events(pump: Pump, kind: EventKind) -> list[PumpEvent]:
    return [e for e in pump.timeline().events if e.kind is kind]


def _alarm_minutes(pump: Pump, alarm: AlarmKind) -> list[int]:
    return [e.t_min for e in pump.timeline().alarms() if e.alarm is alarm]


# --- reservoir --------------------------------------------------------------------------------


def test_pod_with_12_u_left_warns_once_at_10_u_then_empties_during_a_meal_bolus() -> None:
    pump = make_pump(OMNIPOD, 1.0, reservoir_u=12.0)  # Omnipod low-reservoir default: 10 U
    pump.advance(180)
    pump.bolus(9.5)  # 9 U left: the bolus cannot be completed
    pump.advance(300)
    tl = pump.timeline()
    left = 12.0 - np.cumsum(tl.delivered_u)

    # low reservoir: once, at the minute the reservoir reaches 10 U
    (low_at,) = _alarm_minutes(pump, AlarmKind.LOW_RESERVOIR)
    assert left[low_at] == pytest.approx(10.0)
    assert left[low_at - 1] > 10.0

    # empty: everything in the reservoir was delivered, then nothing
    (empty_at,) = _alarm_minutes(pump, AlarmKind.EMPTY_RESERVOIR)
    assert tl.delivered_u.sum() == pytest.approx(12.0)
    assert pump.reservoir_u == 0.0
    assert np.all(tl.delivered_u[empty_at + 1 :] == 0)
    assert not pump.is_delivering

    # the last minute was clamped: requested (bolus speed + basal) vs what was left
    (clamp,) = tl.clamps()
    assert clamp.t_min == empty_at
    assert clamp.requested_u is not None
    assert clamp.delivered_u is not None
    assert clamp.delivered_u < clamp.requested_u
    assert clamp.delivered_u == pytest.approx(tl.delivered_u[empty_at])
    assert clamp.delivered_u == pytest.approx(left[empty_at - 1])

    (cancelled,) = _events(pump, EventKind.BOLUS_CANCELLED)
    assert cancelled.requested_u == 9.5
    assert cancelled.delivered_u == pytest.approx(tl.bolus_delivered_u.sum())
    assert cancelled.delivered_u < 9.5


def test_an_empty_reservoir_refuses_resume_and_boluses_until_it_is_changed_then_resumed() -> None:
    pump = make_pump(OMNIPOD, 2.0, reservoir_u=1.0)
    pump.advance(60)
    assert AlarmKind.EMPTY_RESERVOIR in pump.active_alarms
    with pytest.raises(PumpStateError, match="reservoir is empty"):
        pump.resume()
    with pytest.raises(PumpStateError, match="empty_reservoir"):
        pump.bolus(1.0)
    pump.change_reservoir(150.0)
    assert AlarmKind.LOW_RESERVOIR not in pump.active_alarms
    # a new reservoir does not restart delivery by itself (module docstring: only resume() does)
    assert not pump.is_delivering
    pump.advance(90)
    pump.resume()
    assert pump.is_delivering
    assert not pump.active_alarms
    pump.advance(120)
    tl = pump.timeline()
    assert tl.delivered_u[60:90].sum() == 0
    assert tl.basal_delivered_u[90:120].sum() == pytest.approx(1.0)
    assert pump.reservoir_u == pytest.approx(149.0)


# --- occlusion --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("concentration", "alarm_after_min", "missed_u"),
    [
        # Medtronic: alarm after 3.0 U of U-100 volume missed; at 2 U/h that is 90 min
        pytest.param(Concentration.U100, 90, 3.0, id="U-100"),
        # the same volume of U-200 is 6 real units: 180 min at 2 U/h
        pytest.param(Concentration.U200, 180, 6.0, id="U-200"),
    ],
)
def test_a_blocked_line_is_detected_after_the_envelopes_missed_volume(
    concentration: Concentration, alarm_after_min: int, missed_u: float
) -> None:
    assert get_envelope(MEDTRONIC).occlusion_threshold_u == 3.0
    pump = make_pump(MEDTRONIC, 2.0, concentration=concentration)
    full = pump.reservoir_u
    pump.advance(120)  # 4 U delivered: a whole number of pulses, none owed at the blockage
    pump.occlude()
    pump.advance(500)
    tl = pump.timeline()

    assert _alarm_minutes(pump, AlarmKind.OCCLUSION) == [120 + alarm_after_min - 1]
    (alarm,) = tl.alarms()
    assert f"{missed_u:g} U not delivered" in alarm.detail
    assert np.all(tl.delivered_u[120:] == 0)
    assert tl.basal_requested_u[120:].sum() > 0
    assert tl.delivered_u[:120].sum() == pytest.approx(4.0)
    assert pump.reservoir_u == pytest.approx(full - 4.0)  # nothing left the pump after the blockage


def test_after_an_occlusion_resume_is_refused_until_the_infusion_set_is_changed() -> None:
    pump = make_pump(MEDTRONIC, 2.0)
    pump.occlude()
    pump.advance(120)
    assert AlarmKind.OCCLUSION in pump.active_alarms
    with pytest.raises(PumpStateError, match="change the infusion set"):
        pump.resume()
    pump.change_infusion_set()
    assert not pump.is_delivering  # the alarm stays until the user resumes
    pump.resume()
    pump.advance(240)
    tl = pump.timeline()
    assert tl.basal_delivered_u[120:].sum() == pytest.approx(4.0)
    assert AlarmKind.OCCLUSION not in pump.active_alarms


def test_a_meal_bolus_into_a_blocked_line_raises_the_occlusion_alarm_within_the_bolus() -> None:
    pump = make_pump(OMNIPOD, 1.0)
    pump.advance(10)
    pump.occlude()
    pump.bolus(6.0)  # 1.5 U/min: 3 U missed after 2 min
    pump.advance(60)
    assert _alarm_minutes(pump, AlarmKind.OCCLUSION) == [11]
    # the pump did not know before the alarm: the bolus ran until then, and none of it got in
    (cancelled,) = _events(pump, EventKind.BOLUS_CANCELLED)
    assert (cancelled.t_min, cancelled.requested_u, cancelled.delivered_u) == (11, 6.0, 0.0)
    assert "occlusion" in cancelled.detail
    assert pump.timeline().delivered_u[10:].sum() == 0


def test_a_small_bolus_into_a_blocked_line_counts_as_missed_volume_towards_the_alarm() -> None:
    pump = make_pump(OMNIPOD, 1.0)
    pump.advance(10)
    pump.occlude()
    pump.bolus(2.0)  # 2 U missed at once; the 3rd missed unit is basal, 60 min at 1 U/h
    pump.advance(200)
    (alarm_at,) = _alarm_minutes(pump, AlarmKind.OCCLUSION)
    assert 10 + 55 <= alarm_at <= 10 + 60
    (completed,) = _events(pump, EventKind.BOLUS_COMPLETED)
    assert (completed.requested_u, completed.delivered_u) == (2.0, 0.0)


# --- auto-off ---------------------------------------------------------------------------------


def test_auto_off_stops_delivery_after_hours_without_interaction() -> None:
    pump = make_pump(MEDTRONIC, 1.5, auto_off_h=2.0)
    pump.advance(60)
    pump.bolus(1.0)  # an interaction at 01:00 restarts the auto-off clock
    pump.advance(600)
    tl = pump.timeline()
    assert _alarm_minutes(pump, AlarmKind.AUTO_OFF) == [180]
    assert tl.delivered_u[170:180].sum() > 0
    assert np.all(tl.delivered_u[180:] == 0)
    pump.resume()
    pump.advance(900)
    assert _alarm_minutes(pump, AlarmKind.AUTO_OFF) == [180, 600 + 120]


def test_auto_off_disabled_never_fires() -> None:
    pump = make_pump(MEDTRONIC, 1.0)
    pump.advance(2 * 1440)
    assert not pump.timeline().alarms()
    assert pump.timeline().basal_delivered_u.sum() == pytest.approx(48.0)


# --- battery ----------------------------------------------------------------------------------


def test_a_low_battery_warns_without_stopping_and_an_empty_one_stops_everything() -> None:
    pump = make_pump(MEDTRONIC, 1.5)
    pump.advance(60)
    pump.set_battery(15.0)
    pump.advance(120)
    assert AlarmKind.LOW_BATTERY in pump.active_alarms
    assert pump.is_delivering
    assert pump.timeline().basal_delivered_u[60:120].sum() == pytest.approx(1.5)

    pump.bolus(4.0)
    pump.advance(121)
    pump.set_battery(0.0)  # mid-bolus
    pump.advance(240)
    tl = pump.timeline()
    assert _alarm_minutes(pump, AlarmKind.EMPTY_BATTERY) == [121]
    assert np.all(tl.delivered_u[121:] == 0)
    (cancelled,) = _events(pump, EventKind.BOLUS_CANCELLED)
    assert (cancelled.requested_u, cancelled.delivered_u) == (4.0, pytest.approx(1.5))
    with pytest.raises(PumpStateError, match="battery is empty"):
        pump.resume()
    with pytest.raises(PumpStateError, match="stops delivery"):
        pump.acknowledge(AlarmKind.EMPTY_BATTERY)

    pump.set_battery(100.0)
    assert not pump.is_delivering  # a new battery does not restart delivery by itself
    pump.resume()
    pump.advance(300)
    assert pump.timeline().basal_delivered_u[240:].sum() == pytest.approx(1.5)


def test_a_low_battery_warning_can_be_acknowledged() -> None:
    pump = make_pump(OMNIPOD)
    pump.set_battery(20.0)
    assert AlarmKind.LOW_BATTERY in pump.active_alarms
    pump.acknowledge(AlarmKind.LOW_BATTERY)
    assert AlarmKind.LOW_BATTERY not in pump.active_alarms
    pump.set_battery(21.0)
    assert not pump.active_alarms


# --- Medtrum hourly and daily maxima ----------------------------------------------------------


def test_a_large_bolus_reaching_the_medtrum_hourly_maximum_stops_delivery() -> None:
    pump = make_pump(MEDTRUM, 1.0, max_bolus_u=20.0, max_hourly_u=10.0)
    pump.bolus(15.0)
    pump.advance(60)
    tl = pump.timeline()

    assert tl.delivered_u.sum() == pytest.approx(10.0)  # exactly the hourly maximum
    (reached_at,) = _alarm_minutes(pump, AlarmKind.MAX_HOURLY_REACHED)
    assert np.all(tl.delivered_u[reached_at + 1 :] == 0)
    (clamp,) = tl.clamps()
    assert clamp.t_min == reached_at
    assert clamp.requested_u is not None
    assert clamp.delivered_u == pytest.approx(tl.delivered_u[reached_at])
    assert clamp.delivered_u < clamp.requested_u
    (cancelled,) = _events(pump, EventKind.BOLUS_CANCELLED)
    assert cancelled.requested_u == 15.0

    # an hour after the burst the window has room again
    pump.advance(reached_at + 61)
    pump.resume()
    pump.advance(reached_at + 121)
    assert pump.timeline().basal_delivered_u[reached_at + 61 :].sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("second_bolus_at", "second_bolus_delivered"),
    [
        pytest.param(60, 1.5, id="60 min later: the first has left the window"),
        pytest.param(59, 0.0, id="59 min later: still inside the window"),
    ],
)
def test_the_medtrum_hourly_maximum_is_a_rolling_60_minute_window(
    second_bolus_at: int, second_bolus_delivered: float
) -> None:
    pump = make_pump(MEDTRUM, 1.0, max_hourly_u=1.5)
    pump.start_temp_basal(180, rate_u_per_h=0.0)  # boluses only
    pump.bolus(1.5)  # the whole hourly maximum, delivered in minute 0 at 1.5 U/min
    pump.advance(second_bolus_at)
    pump.bolus(1.5)
    pump.advance(120)
    tl = pump.timeline()
    assert tl.bolus_delivered_u[0] == 1.5
    assert tl.bolus_delivered_u[second_bolus_at] == second_bolus_delivered
    alarmed = bool(_alarm_minutes(pump, AlarmKind.MAX_HOURLY_REACHED))
    assert alarmed is (second_bolus_delivered == 0.0)


def test_a_bolus_cut_by_the_hourly_maximum_records_what_it_actually_delivered() -> None:
    pump = make_pump(MEDTRUM, 1.0, max_bolus_u=20.0, max_hourly_u=10.0)
    pump.bolus(15.0)
    pump.advance(60)
    (cancelled,) = _events(pump, EventKind.BOLUS_CANCELLED)
    assert cancelled.delivered_u == pytest.approx(pump.timeline().bolus_delivered_u.sum())


def test_the_medtrum_daily_maximum_stops_basal_for_the_rest_of_the_day() -> None:
    pump = make_pump(MEDTRUM, 1.0, max_daily_u=12.0)
    pump.advance(1440)
    tl = pump.timeline()
    assert tl.delivered_u.sum() == pytest.approx(12.0)
    assert tl.delivered_u[:720].sum() == pytest.approx(12.0)
    # 1 U/h in 0.05-U pulses is one pulse per 3 min: the first refused pulse is due at 12:02
    assert _alarm_minutes(pump, AlarmKind.MAX_DAILY_REACHED) == [722]
    (clamp,) = tl.clamps()
    assert (clamp.t_min, clamp.requested_u, clamp.delivered_u) == (722, pytest.approx(0.05), 0.0)
    assert not pump.is_delivering


# --- suspension -------------------------------------------------------------------------------


def test_suspending_during_a_correction_bolus_cancels_the_rest() -> None:
    pump = make_pump(OMNIPOD, 1.0)
    pump.bolus(6.0)
    pump.advance(2)  # 2 min at 1.5 U/min
    pump.suspend()
    pump.advance(30)
    pump.resume()
    pump.advance(90)
    tl = pump.timeline()
    (cancelled,) = _events(pump, EventKind.BOLUS_CANCELLED)
    assert cancelled.t_min == 2
    assert (cancelled.requested_u, cancelled.delivered_u) == (6.0, pytest.approx(3.0))
    assert "3 of 6 U delivered" in cancelled.detail
    assert tl.bolus_delivered_u.sum() == pytest.approx(3.0)
    assert not _events(pump, EventKind.BOLUS_COMPLETED)


def test_suspending_during_a_dual_wave_cancels_the_unsent_extended_part() -> None:
    pump = make_pump(MEDTRONIC, 1.0)
    pump.bolus(2.0, kind="dual_wave", extended_units=4.0, duration_min=120)
    pump.advance(60)  # the 2-U part, then half of the extended part
    pump.suspend()
    pump.advance(240)
    tl = pump.timeline()
    (cancelled,) = _events(pump, EventKind.BOLUS_CANCELLED)
    assert cancelled.requested_u == 6.0
    assert cancelled.delivered_u == pytest.approx(tl.bolus_delivered_u.sum())
    assert 4.0 - 0.025 <= tl.bolus_delivered_u.sum() <= 4.0 + 1e-9


def test_a_temp_basal_keeps_its_clock_while_suspended() -> None:
    pump = make_pump(OMNIPOD, 1.0)
    pump.start_temp_basal(60, rate_u_per_h=3.0)
    pump.advance(10)
    pump.suspend()
    pump.advance(30)
    pump.resume()
    pump.advance(120)
    tl = pump.timeline()
    assert tl.delivered_u[10:30].sum() == 0
    np.testing.assert_allclose(tl.basal_requested_u[30:60] * 60, 3.0)
    np.testing.assert_allclose(tl.basal_requested_u[60:] * 60, 1.0)
    assert [e.t_min for e in _events(pump, EventKind.TEMP_BASAL_ENDED)] == [60]


def test_a_reservoir_loaded_below_the_threshold_alarms_at_once() -> None:
    pump = make_pump("insulet_omnipod_5", reservoir_u=5.0)
    assert AlarmKind.LOW_RESERVOIR in pump.active_alarms
    pump.acknowledge(AlarmKind.LOW_RESERVOIR)
    pump.change_reservoir(8.0)
    assert AlarmKind.LOW_RESERVOIR in pump.active_alarms


def test_a_finished_temp_basal_is_gone_when_the_clock_reaches_its_end() -> None:
    pump = make_pump("insulet_omnipod_5", 1.0)
    pump.start_temp_basal(30, rate_u_per_h=0.5)
    pump.advance(30)
    assert pump.temp_basal is None
    assert [e.t_min for e in pump.timeline().events if e.kind is EventKind.TEMP_BASAL_ENDED] == [30]
