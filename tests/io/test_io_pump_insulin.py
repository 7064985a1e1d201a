"""Pump insulin in imported traces: Nightscout profiles as the basal, extended and dual-wave boluses.

Fixtures (tests/fixtures/exports, PROVENANCE.md): ``nightscout_profile.json`` (two profile documents,
Europe/Paris: a flat 0.9 U/h from 2024-01-01, then from 2024-06-01 12:00 local a four-segment
"Default" and a flat 0.5 U/h "Sport"), ``nightscout_pump_treatments.json`` (care-portal and
AndroidAPS Combo Boluses, a deleted bolus, a profile switch for 60 min, an AndroidAPS 120 % switch
carrying its program, a percent temp basal with ``durationInMilliseconds``), read with the entries
and treatments fixtures. Expected values are sums of rate x hours written out by hand from the
fixtures' cells.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from t2pump.errors import InputRangeError
from t2pump.io import read_bytes, read_files
from t2pump.io._programs import ProgramSwitch, ProgramTable, program_steps
from t2pump.io._records import PatientRecords, build_trace
from t2pump.schedule import DailySchedule

EXPORTS = FIXTURES / "exports"
NAN = math.nan
NS_FILES = ["nightscout_entries.json", "nightscout_treatments.json", "nightscout_profile.json"]


def hhmm(minutes: float) -> str:
    return f"{int(minutes // 60) % 24:02d}:{int(minutes % 60):02d}"


def _nightscout(*names: str) -> dict[str, tuple[float, float]]:
    """(basal, bolus) per period, keyed by the period's end as HH:MM (day 0 unless it repeats)."""
    trace = read_files([EXPORTS / n for n in names], patient_id="p1")[0]
    basal, bolus = trace.signals["insulin_basal"][0], trace.signals["insulin_bolus"][0]
    return {hhmm(t): (float(a), float(b)) for t, a, b in zip(trace.t_min, basal, bolus, strict=True)}


def test_profile_basal_with_temp_basals_overriding_it_for_their_duration() -> None:
    periods = _nightscout(*NS_FILES)
    basal = {k: v[0] for k, v in periods.items()}
    assert math.isnan(basal["07:00"])  # the first record: no period before it
    assert basal["07:05"] == pytest.approx(0.9 * 5 / 60)  # the older document's flat 0.9 U/h
    assert basal["11:00"] == pytest.approx(0.9)  # 10:00-11:00
    # From 12:00 local (10:00Z) the newer document: "Default" 0.8 U/h from 12:00.
    assert basal["13:00"] == pytest.approx(0.8)
    assert basal["13:30"] == pytest.approx(0.5 * 0.5)  # absolute 0.5 U/h temp basal 13:00-13:30
    assert basal["14:00"] == pytest.approx(0.8 * 0.5)  # the program resumes
    assert basal["14:20"] == pytest.approx(1.0 / 3)  # 1 U/h temp, cut at 14:20 by a zero-duration one
    assert basal["15:00"] == pytest.approx(0.8 * 40 / 60)
    assert basal["15:30"] == pytest.approx(0.8 * 0.5 * 0.5)  # percent -50: half the program's rate
    # 22:00: the program changes to 0.7 U/h (a time of its own); 00:05 next day: 0.6 U/h from 00:00.
    assert basal["22:00"] == pytest.approx(0.8 * 6.5)
    assert basal["00:00"] == pytest.approx(0.7 * 2)
    assert basal["00:05"] == pytest.approx(0.6 * 5 / 60)


def test_profile_switches_combo_boluses_and_deleted_records() -> None:
    periods = _nightscout(*NS_FILES, "nightscout_pump_treatments.json")
    basal = {k: v[0] for k, v in periods.items()}
    bolus = {k: v[1] for k, v in periods.items()}
    # Care portal Combo Bolus at 08:00: insulin 3 U now, relative 3 U/h for 60 min.
    assert bolus["08:00"] == 3.0
    assert bolus["09:00"] == pytest.approx(3.0)
    # AndroidAPS extended bolus at 09:00: 4 U/h for 30 min (splitNow 0), nothing now.
    assert bolus["09:30"] == pytest.approx(2.0)  # and not the 2.5 U bolus at 09:30 marked isValid=false
    # "Sport" (0.5 U/h) 16:00-17:00, then back to the default program.
    assert basal["17:00"] == pytest.approx(0.5)
    assert basal["18:00"] == pytest.approx(0.8)
    # From 18:00 a permanent 120 % switch to a program not in the store: its profileJson (0.5 U/h
    # from 00:00, 1.0 U/h from 12:00) x 1.2; +50 % temp basal for 20 min (durationInMilliseconds).
    assert basal["21:00"] == pytest.approx(1.2 * 3)
    assert basal["21:20"] == pytest.approx(1.2 * 1.5 / 3)
    assert basal["00:00"] == pytest.approx(1.2 * (2 + 40 / 60))
    assert basal["00:05"] == pytest.approx(0.5 * 1.2 * 5 / 60)  # 22:00 of "Default" no longer applies
    total = sum(v[1] for v in periods.values())
    assert total == pytest.approx(4.2 + 1.0 + 3.0 + 3.0 + 2.0)  # the file's boluses, counted once


def test_profile_time_zone_applies_to_records_without_an_offset() -> None:
    entries = [
        {"type": "sgv", "sgv": 100, "date": 1717236000000},
        {"type": "sgv", "sgv": 110, "date": 1717236300000},
    ]
    profile = json.loads((EXPORTS / "nightscout_profile.json").read_text())
    trace = read_bytes(json.dumps(entries + profile).encode(), "ns.json")[0]
    assert trace.origin_date == "2024-06-01"
    np.testing.assert_array_equal(trace.t_min, [720.0, 725.0])  # 10:00Z = 12:00 Europe/Paris (CEST)
    assert trace.signals["insulin_basal"][0, 1] == pytest.approx(0.8 * 5 / 60)
    utc = read_bytes(json.dumps(entries + profile).encode(), "ns.json", tz="UTC")[0]
    np.testing.assert_array_equal(utc.t_min, [600.0, 605.0])  # the tz option wins


def test_profiles_naming_two_zones_need_the_tz_option() -> None:
    profile = json.loads((EXPORTS / "nightscout_profile.json").read_text())
    profile[1]["store"]["Default"]["timezone"] = "America/New_York"
    entries = [{"type": "sgv", "sgv": 100, "date": 1717236000000}]
    with pytest.raises(InputRangeError, match="tz option"):
        read_bytes(json.dumps(entries + profile).encode(), "ns.json")
    assert read_bytes(json.dumps(entries + profile).encode(), "ns.json", tz="Europe/Paris")


def test_a_profile_alone_is_an_error_naming_what_it_needs() -> None:
    with pytest.raises(InputRangeError, match="entries or treatments"):
        read_files([EXPORTS / "nightscout_profile.json"])


@pytest.mark.parametrize(
    ("basal", "column"),
    [
        ([{"time": "06:00", "value": 1.0}], "store.Default.basal[0].time"),
        ([{"time": "00:00", "value": 1.0}, {"time": "00:00", "value": 2.0}], "store.Default.basal[1].time"),
        ([{"time": "00:00", "value": -1.0}], "store.Default.basal[0].value"),
        ([{"time": "25:00", "value": 1.0}], "store.Default.basal[0].time"),
        ("fast", "store.Default.basal"),
    ],
)
def test_malformed_profile_schedules_name_their_place(basal: object, column: str) -> None:
    doc = {
        "defaultProfile": "Default",
        "startDate": "2024-01-01T00:00:00Z",
        "store": {"Default": {"basal": basal}},
    }
    entries = [{"type": "sgv", "sgv": 100, "date": 1717236000000, "utcOffset": 0}]
    with pytest.raises(InputRangeError) as info:
        read_bytes(json.dumps([*entries, doc]).encode(), "ns.json")
    assert info.value.field == f"ns.json:1:{column}"


def test_pre_0_9_profile_document_is_one_default_program() -> None:
    legacy = {"dia": 3, "basal": 0.6, "carbratio": 30, "startDate": "2024-01-01T00:00:00Z"}
    entries = [{"type": "sgv", "sgv": 100, "date": t, "utcOffset": 0} for t in (1717236000000, 1717239600000)]
    trace = read_bytes(json.dumps([*entries, legacy]).encode(), "ns.json", tz="UTC")[0]
    assert trace.signals["insulin_basal"][0, 1] == pytest.approx(0.6)


def _tidepool(bolus: dict[str, object]) -> np.ndarray:
    base = {"type": "bolus", "time": "2024-01-15T12:00:00Z", "timezoneOffset": 0, "deviceId": "Pump_0"}
    reading = {
        "type": "cbg",
        "units": "mg/dL",
        "value": 100,
        "time": "2024-01-15T14:00:00Z",
        "timezoneOffset": 0,
    }
    trace = read_bytes(json.dumps([{**base, **bolus}, reading]).encode(), "tp.json")[0]
    return trace.signals["insulin_bolus"][0]


@pytest.mark.parametrize("sub_type", ["square", "extended"])
def test_tidepool_square_bolus_is_spread_over_its_delivered_duration(sub_type: str) -> None:
    bolus = _tidepool({"subType": sub_type, "extended": 3.0, "expectedExtended": 4.5, "duration": 5_400_000})
    np.testing.assert_allclose(bolus, [0.0, 3.0, 0.0])  # 12:00, 13:30 (its end), 14:00


@pytest.mark.parametrize("sub_type", ["dual/square", "combination"])
def test_tidepool_dual_square_bolus_now_and_spread(sub_type: str) -> None:
    bolus = _tidepool({"subType": sub_type, "normal": 2.0, "extended": 1.0, "duration": 10_800_000})
    np.testing.assert_allclose(bolus, [2.0, 2 / 3, 1 / 3])  # 12:00, 14:00, 15:00 (its end)


def test_tidepool_extended_part_without_duration_is_an_error() -> None:
    with pytest.raises(InputRangeError) as info:
        _tidepool({"subType": "square", "extended": 3.0})
    assert info.value.field == "tp.json:1:duration"


def _schedule(*pairs: tuple[int, float]) -> DailySchedule:
    return DailySchedule(tuple(p[0] for p in pairs), tuple(p[1] for p in pairs))


def test_program_steps_follow_table_and_switch_rules() -> None:
    h = 3_600_000
    tables = [ProgramTable(10 * h, "A", {"A": _schedule((0, 1.0), (720, 2.0)), "B": _schedule((0, 0.3))})]
    switches = [
        ProgramSwitch(13 * h, None, "B"),  # permanent
        ProgramSwitch(15 * h, 16 * h, "A", percentage=50.0, shift_ms=2 * h),  # temporary
    ]
    steps = program_steps(tables, switches, 9 * h, 18 * h)
    assert steps[0][0] == 9 * h
    assert math.isnan(steps[0][1])  # before the first table: unknown
    assert steps[1:] == [(10 * h, 1.0), (12 * h, 2.0), (13 * h, 0.3), (15 * h, 1.0), (16 * h, 0.3)]


@pytest.mark.property
@settings(max_examples=60, deadline=None)
@given(
    spans=st.lists(
        st.tuples(st.integers(0, 400), st.integers(1, 300), st.floats(0.05, 10.0)), min_size=1, max_size=6
    ),
    readings=st.lists(st.integers(0, 800), min_size=1, max_size=20),
)
def test_spread_amounts_are_conserved_whatever_the_other_record_times(
    spans: list[tuple[int, int, float]], readings: list[int]
) -> None:
    rec = PatientRecords("p")
    minute = 60_000
    for start, length, amount in spans:
        rec.add_spread("insulin_bolus", start * minute, (start + length) * minute, amount)
    for t in readings:
        rec.add_cgm(t * minute, 100.0)
    bolus = build_trace(rec, "x").signals["insulin_bolus"][0]
    assert np.all(bolus >= 0.0)
    assert float(bolus.sum()) == pytest.approx(sum(a for _, _, a in set(spans)), rel=1e-9)
