"""Format detection, error messages (file, line, column, value, expected), time zones, encodings."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from conftest import FIXTURES
from t2pump.errors import InputRangeError
from t2pump.io import FORMATS, detect_format, read_bytes, read_file, read_files

EXPORTS = FIXTURES / "exports"

DETECTED = {
    "clarity_mgdl.csv": "clarity",
    "clarity_mmol_legacy.csv": "clarity",
    "libreview_en_mgdl.csv": "libreview",
    "libreview_fr_mmol.csv": "libreview",
    "carelink_780g_eu.csv": "carelink",
    "carelink_legacy.csv": "carelink",
    "carelink_legacy_eu.csv": "carelink",
    "carelink_current_us.csv": "carelink",
    "tconnect.csv": "tconnect",
    "nightscout_entries.json": "nightscout",
    "nightscout_treatments.json": "nightscout",
    "nightscout_pump_treatments.json": "nightscout",
    "nightscout_profile.json": "nightscout",
    "nightscout_all_in_one.json": "nightscout",
    "tidepool.json": "tidepool",
    "iglu_two_patients.csv": "iglu",
}


@pytest.mark.parametrize(("name", "fmt"), DETECTED.items())
def test_every_fixture_is_detected_and_auto_equals_the_named_format(name: str, fmt: str) -> None:
    assert detect_format(EXPORTS / name) == fmt
    if name == "nightscout_profile.json":  # a profile alone has no times: it is read with records
        return
    auto, named = read_file(EXPORTS / name), read_file(EXPORTS / name, fmt)
    assert [t.patients for t in auto] == [t.patients for t in named]
    for a, b in zip(auto, named, strict=True):
        np.testing.assert_array_equal(a.t_min, b.t_min)


def test_every_format_has_a_fixture() -> None:
    assert set(DETECTED.values()) == set(FORMATS)
    exports = {p.name for p in EXPORTS.iterdir() if p.suffix in (".csv", ".json")}
    assert exports == set(DETECTED)  # and every fixture is checked here


def test_unknown_format_lists_every_format_tried_and_why() -> None:
    with pytest.raises(InputRangeError) as info:
        read_bytes(b"date;value\n2024-01-01;5\n", "mystery.csv")
    message = str(info.value)
    assert info.value.field == "mystery.csv:1"
    assert "date;value" in message
    for name in FORMATS:
        assert f"{name} (" in message


def test_unknown_format_name_is_refused() -> None:
    with pytest.raises(InputRangeError, match="auto or one of tconnect, carelink"):
        read_file(EXPORTS / "tidepool.json", "dexcom")


def _error(data: bytes, name: str, fmt: str = "auto", **kwargs: object) -> InputRangeError:
    with pytest.raises(InputRangeError) as info:
        read_bytes(data, name, fmt, **kwargs)  # type: ignore[arg-type]
    return info.value


def _replace(name: str, old: str, new: str) -> bytes:
    text = (EXPORTS / name).read_text(encoding="utf-8-sig")
    assert old in text
    return text.replace(old, new, 1).encode()


def test_malformed_glucose_names_file_line_column_value_and_expectation() -> None:
    data = _replace("clarity_mgdl.csv", '"Android G6","115"', '"Android G6","1l5"')
    err = _error(data, "export.csv")
    assert err.field == "export.csv:8:Glucose Value (mg/dL)"
    assert err.value == "1l5"
    assert "High or Low" in err.expected
    assert str(err).startswith("export.csv:8:Glucose Value (mg/dL): got '1l5', expected a glucose in mg/dL")


def test_malformed_time_in_the_last_row_fails_the_whole_file() -> None:
    data = _replace("libreview_fr_mmol.csv", "01-04-2024 08:10", "01-04-2024 8h10")
    err = _error(data, "libre.csv")
    assert err.field == "libre.csv:11:Horodatage de l'appareil"
    assert err.value == "01-04-2024 8h10"


@pytest.mark.parametrize(
    ("name", "old", "new", "field"),
    [
        ("carelink_780g_eu.csv", "1:00:00", "1 h", "x:11:Temp Basal Duration (h:mm:ss)"),
        ("carelink_780g_eu.csv", ";1,200;", ";-1,2;", "x:10:Basal Rate (U/h)"),
        ("tconnect.csv", '"6.10"', '"six"', "x:24:InsulinDelivered"),
        ("iglu_two_patients.csv", '"2024-08-25 09:05:00"', '"2024-02-30 09:05:00"', "x:3:time"),
        ("nightscout_treatments.json", '"insulin": 4.2', '"insulin": -4.2', "x:2:insulin"),
        ("tidepool.json", '"duration": 1800000', '"duration": "long"', "x:110:duration"),
        ("libreview_en_mgdl.csv", ",4,", ",four,", "x:12:Record Type"),
        (
            "carelink_current_us.csv",
            "Square,1.500,1.500,0:30:00",
            "Square,1.500,1.500,",
            "x:11:Bolus Duration (h:mm:ss)",
        ),
        (
            "carelink_current_us.csv",
            "Dual (normal part),3.000,3.000",
            "Dual (normal part),3.000,3..0",
            "x:9:Bolus Volume Delivered (U)",
        ),
        ("carelink_legacy.csv", "RATE=0.9,", "RATE=fast,", "x:21:Raw-Values"),
        ("carelink_legacy_eu.csv", "8,4;22,90", "8.4.;22,90", "x:16:Sensor Glucose (mmol/L)"),
        (
            "tconnect.csv",
            '"2024-06-01T13:00:40","1.00"',
            '"2024-06-01T13:00:40","-1"',
            "x:25:BolexInsulinDelivered",
        ),
        (
            "tconnect.csv",
            '"2024-06-01T12:00:40","2024-06-01T13:00:40"',
            '"2024-06-01T12:00:40","13h"',
            "x:25:BolexCompletionDateTime",
        ),
        ("nightscout_pump_treatments.json", '"relative": 4,', '"relative": "four",', "x:16:relative"),
        ("nightscout_pump_treatments.json", '"timeshift": 0,', '"timeshift": 1.5,', "x:46:timeshift"),
        (
            "nightscout_profile.json",
            '"defaultProfile": "Default"',
            '"defaultProfile": "Night"',
            "x:2:defaultProfile",
        ),
        ("tidepool.json", '"extended": 1', '"extended": "one"', "x:175:extended"),
    ],
)
def test_bad_values_name_their_place(name: str, old: str, new: str, field: str) -> None:
    err = _error(_replace(name, old, new), "x" + Path(name).suffix)
    assert err.field == field.replace("x:", "x" + Path(name).suffix + ":")


def test_invalid_json_names_line_and_column() -> None:
    err = _error(
        b'[\n {"sgv": 100, "date": 1717218000000, "utcOffset": 0},\n {"sgv": }\n]', "ns.json", "nightscout"
    )
    assert err.field == "ns.json:3:10"
    assert err.expected == "valid JSON"


def test_empty_and_header_only_files_are_errors_not_empty_results() -> None:
    assert _error(b"", "empty.csv").field == "empty.csv:1"
    header_only = (EXPORTS / "iglu_two_patients.csv").read_bytes().split(b"\n")[0] + b"\n"
    err = _error(header_only, "ids.csv")
    assert err.field == "ids.csv"
    assert "no readings" in str(err.value)


def test_day_first_or_month_first_is_decided_by_the_column() -> None:
    head = (EXPORTS / "libreview_en_mgdl.csv").read_text(encoding="utf-8-sig").splitlines()[:2]
    row = "FreeStyle LibreLink,x,{},0,100" + "," * 14
    ambiguous_24h = "\n".join([*head, row.format("01-02-2024 10:00"), row.format("01-02-2024 10:15")])
    ambiguous_ampm = ambiguous_24h.replace("10:00", "10:00 AM").replace("10:15", "10:15 AM")
    assert read_bytes(ambiguous_24h.encode(), "a.csv")[0].origin_date == "2024-02-01"  # 24 h clock: day first
    assert read_bytes(ambiguous_ampm.encode(), "b.csv")[0].origin_date == "2024-01-02"  # AM/PM: month first
    contradictory = "\n".join([*head, row.format("13-02-2024 10:00"), row.format("02-13-2024 10:00")])
    err = _error(contradictory.encode(), "c.csv")
    assert err.field == "c.csv:4:Device Timestamp"
    assert "day-first" in err.expected


def test_nightscout_needs_an_offset_or_a_zone() -> None:
    records = [{"type": "sgv", "sgv": 100, "date": 1717218000000, "dateString": "2024-06-01T05:00:00.000Z"}]
    data = json.dumps(records).encode()
    err = _error(data, "ns.json")
    assert err.field == "ns.json:1:utcOffset"
    assert "tz option" in err.expected
    paris = read_bytes(data, "ns.json", tz="Europe/Paris")[0]
    assert paris.origin_date == "2024-06-01"
    assert paris.t_min[0] == 7 * 60  # 05:00 UTC = 07:00 CEST


def test_tz_option_overrides_the_record_offsets() -> None:
    ny = read_file(EXPORTS / "nightscout_entries.json", tz="America/New_York")[0]
    local = read_file(EXPORTS / "nightscout_entries.json")[0]
    assert ny.origin_date == "2024-06-01"
    np.testing.assert_array_equal(local.t_min - ny.t_min, 360.0)  # +02:00 vs -04:00


def _sgv_json(instants_ms: list[int], values: list[int]) -> bytes:
    return json.dumps(
        [{"type": "sgv", "sgv": v, "date": t} for t, v in zip(instants_ms, values, strict=True)]
    ).encode()


def test_dst_with_a_zone_repeated_autumn_hour_and_skipped_spring_hour() -> None:
    h = 3_600_000
    autumn = 1729987200000  # 2024-10-27T00:00Z; Paris falls back at 01:00Z (03:00 CEST -> 02:00 CET)
    tr = read_bytes(
        _sgv_json([autumn + h // 2, autumn + 3 * h // 2], [100, 150]), "a.json", tz="Europe/Paris"
    )[0]
    # 00:30Z = 02:30 CEST and 01:30Z = 02:30 CET: one wall-clock time, the later row in the file wins.
    np.testing.assert_array_equal(tr.t_min, [150.0])
    assert tr.signals["cgm"][0, 0] == 150
    spring = 1711843200000  # 2024-03-31T00:00Z; Paris springs forward at 01:00Z (02:00 CET -> 03:00 CEST)
    tr = read_bytes(
        _sgv_json([spring + h // 2, spring + 3 * h // 2], [100, 110]), "s.json", tz="Europe/Paris"
    )[0]
    np.testing.assert_array_equal(tr.t_min, [90.0, 210.0])  # 01:30 CET, 03:30 CEST: 2 h apart on the clock


def test_unknown_zone_is_refused() -> None:
    with pytest.raises(InputRangeError, match="IANA time zone"):
        read_file(EXPORTS / "tidepool.json", tz="Mars/Olympus")


def test_encodings_utf16_and_windows_1252() -> None:
    text = (EXPORTS / "libreview_fr_mmol.csv").read_text(encoding="utf-8")
    base = read_bytes(text.encode("utf-8"), "fr.csv")[0]
    for data in (text.encode("utf-16"), text.encode("cp1252")):
        tr = read_bytes(data, "fr.csv")[0]
        np.testing.assert_array_equal(tr.t_min, base.t_min)
        np.testing.assert_array_equal(tr.signals["cgm"], base.signals["cgm"])


def test_two_files_with_the_same_stem_are_not_merged_silently(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    for d in (a, b):
        (d / "export.csv").write_bytes((EXPORTS / "clarity_mgdl.csv").read_bytes())
    with pytest.raises(InputRangeError, match="different from"):
        read_files([a / "export.csv", b / "export.csv"])
    merged = read_files([a / "export.csv", b / "export.csv"], patient_id="p1")
    single = read_file(a / "export.csv")[0]
    assert len(merged) == 1
    np.testing.assert_array_equal(merged[0].signals["cgm"], single.signals["cgm"])  # duplicates collapse
    assert np.nansum(merged[0].signals["insulin_bolus"]) == np.nansum(single.signals["insulin_bolus"])


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputRangeError, match="a readable file"):
        read_file(tmp_path / "missing.csv")


def test_metric_free_treatments_file_still_gives_a_trace() -> None:
    tr = read_file(EXPORTS / "nightscout_treatments.json")[0]
    assert "cgm" not in tr.signals
    assert math.isclose(float(np.nansum(tr.signals["carbs"])), 55.0)


def test_a_bad_extended_bolus_names_file_line_field_value_and_expectation() -> None:
    err = _error(
        _replace("nightscout_pump_treatments.json", '"relative": 4,', '"relative": "four",'), "ns.json"
    )
    assert (err.field, err.value) == ("ns.json:16:relative", "four")
    assert err.expected == "a number in [0, 10000] [U/h]"
    err = _error(
        _replace("carelink_current_us.csv", "Square,1.500,1.500,0:30:00", "Square,1.500,1.500,30 min"),
        "c.csv",
    )
    assert (err.field, err.value) == ("c.csv:11:Bolus Duration (h:mm:ss)", "30 min")
    assert err.expected == "a duration h:mm:ss of at most 7 days"
