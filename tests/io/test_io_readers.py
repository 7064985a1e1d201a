"""Each export format read to the readings, doses and times written by hand in its fixture.

Fixtures: tests/fixtures/exports (PROVENANCE.md gives each layout's source). Expected values are
the fixture's cells: times as minutes since the midnight of the first record's day (seconds as
fractions), glucose in mg/dL (mmol/L times t2pump.units' 18.0156), doses in U, carbohydrate in g.
Comparisons are exact except where a unit conversion or a sum of floats is involved (1e-12).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from conftest import FIXTURES
from t2pump.io import SIGNAL_UNITS, read_file, read_files
from t2pump.simulation.engine import Trace
from t2pump.units import mmoll_to_mgdl

NAN = math.nan
EXPORTS = FIXTURES / "exports"


def one(name: str, **kwargs: Any) -> Trace:
    traces = read_file(EXPORTS / name, **kwargs)
    assert len(traces) == 1
    return traces[0]


def sig(trace: Trace, name: str) -> np.ndarray:
    return trace.signals[name][0]


def at(hh: int, mm: int, ss: float = 0.0, day: int = 0) -> float:
    """Minutes since the trace's origin midnight of a wall-clock time on day ``day``."""
    return 1440.0 * day + 60.0 * hh + mm + ss / 60.0


def assert_trace_shape(trace: Trace) -> None:
    assert np.all(np.diff(trace.t_min) > 0.0)
    for name, values in trace.signals.items():
        assert values.shape == (1, trace.t_min.shape[0])
        assert trace.units[name] == SIGNAL_UNITS[name]


def test_clarity_mgdl_readings_doses_and_the_repeated_autumn_hour() -> None:
    tr = one("clarity_mgdl.csv")
    assert_trace_shape(tr)
    assert tr.patients == ("clarity_mgdl",)  # the file's stem, not the name in the preamble
    assert tr.origin_date == "2024-11-02"
    s = 7.0  # every EGV is at hh:mm:07
    expected_t = [
        at(22, 0),  # long-acting insulin
        at(23, 50, s),
        at(23, 55, s),
        at(0, 0, s, 1),
        at(0, 5, s, 1),
        at(1, 0, s, 1),  # 01:00-01:10 standard time, taken after 01:50-01:55 daylight time ...
        at(1, 5, s, 1),
        at(1, 10, s, 1),
        at(1, 50, s, 1),  # ... but the wall clock puts them first (module doc of t2pump.io)
        at(1, 55, s, 1),
        at(7, 57, 0, 1),  # carbs
        at(7, 58, 0, 1),  # bolus
        at(8, 0, s, 1),
        at(8, 5, s, 1),
    ]
    np.testing.assert_allclose(tr.t_min, expected_t, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(
        sig(tr, "cgm"), [NAN, 110, 115, 121, 400, 126, 40, 60, 130, 128, NAN, NAN, 180, 181]
    )
    np.testing.assert_array_equal(sig(tr, "cgm_flag"), [NAN, 0, 0, 0, 2, 0, 1, 0, 0, 0, NAN, NAN, 0, 0])
    np.testing.assert_array_equal(np.flatnonzero(sig(tr, "insulin_bolus")), [11])
    assert sig(tr, "insulin_bolus")[11] == 4.5
    assert sig(tr, "carbs")[10] == 45.0
    assert sig(tr, "carbs").sum() == 45.0
    assert sig(tr, "insulin_basal")[0] == 18.0  # a long-acting injection is basal insulin (MDI)
    assert sig(tr, "insulin_basal").sum() == 18.0


def test_clarity_mmol_account_in_the_older_12_column_layout() -> None:
    tr = one("clarity_mmol_legacy.csv")
    np.testing.assert_array_equal(tr.t_min, [600.0, 605.0, 610.0, 615.0])
    np.testing.assert_allclose(
        sig(tr, "cgm"), [mmoll_to_mgdl(5.5), mmoll_to_mgdl(10.0), 400.0, 40.0], rtol=1e-15
    )
    np.testing.assert_array_equal(sig(tr, "cgm_flag"), [0, 0, 2, 1])
    assert set(tr.signals) == {"cgm", "cgm_flag"}  # no insulin or carbs rows, no such signals


def test_libreview_english_mgdl_us_dates_record_types() -> None:
    tr = one("libreview_en_mgdl.csv")
    assert_trace_shape(tr)
    assert tr.origin_date == "2024-03-30"
    expected_t = [
        at(22, 0),  # long-acting 20 U (type 4)
        at(23, 46),
        at(0, 1, day=1),  # 12:01 AM
        at(0, 16, day=1),  # the repeated row counts once
        at(0, 31, day=1),
        at(7, 1, day=1),
        at(7, 8, day=1),  # food (type 5)
        at(7, 10, day=1),  # rapid-acting 6 U (type 4)
        at(7, 16, day=1),
        at(12, 16, day=1),  # 12:16 PM
        at(12, 46, day=1),  # the second device of the same patient
    ]
    np.testing.assert_array_equal(tr.t_min, expected_t)  # the 07:05 scan and 07:30 note add no time
    np.testing.assert_array_equal(sig(tr, "cgm"), [NAN, 105, 110, 118, 500, 96, NAN, NAN, 140, 201, 188])
    np.testing.assert_array_equal(sig(tr, "cgm_flag"), [NAN, 0, 0, 0, 2, 0, NAN, NAN, 0, 0, 0])
    assert sig(tr, "insulin_bolus")[7] == 6.0
    assert sig(tr, "carbs")[6] == 50.0
    assert sig(tr, "insulin_basal")[0] == 20.0


def test_libreview_french_mmol_decimal_comma_and_the_skipped_spring_hour() -> None:
    tr = one("libreview_fr_mmol.csv")
    assert_trace_shape(tr)
    assert tr.origin_date == "2024-03-31"  # day-first: 31-03-2024
    # 01:45 then 03:00 on 31 March (Europe's spring change): a 75-min gap in 15 real minutes.
    expected_t = [at(1, 30), at(1, 45), at(3, 0), at(3, 15), at(3, 30), at(8, 0, day=1), at(8, 5, day=1)]
    np.testing.assert_array_equal(tr.t_min, expected_t)
    mmol = [5.6, 5.8, 6.1]
    np.testing.assert_allclose(sig(tr, "cgm")[:3], [mmoll_to_mgdl(x) for x in mmol], rtol=1e-15)
    assert sig(tr, "cgm")[3] == 40.0  # LO -> the Libre lower limit, flagged
    assert sig(tr, "cgm_flag")[3] == 1
    np.testing.assert_allclose(sig(tr, "cgm")[4:6], [mmoll_to_mgdl(3.9), mmoll_to_mgdl(10.0)], rtol=1e-15)
    assert math.isnan(sig(tr, "cgm")[6])  # the 08:10 scan (type 1) is not a CGM reading
    assert sig(tr, "insulin_bolus")[6] == 1.5  # "1,5"
    assert sig(tr, "carbs")[6] == 30.0


def test_carelink_780g_eu_semicolon_sections_and_basal_amounts() -> None:
    tr = one("carelink_780g_eu.csv")
    assert_trace_shape(tr)
    assert tr.origin_date == "2024-05-01"
    expected_t = [at(20, 0), at(20, 5), at(22, 0), at(23, 0), at(6, 0, day=1), at(11, 55, day=1)]
    expected_t += [at(11, 59, 30, 1), at(12, 0, day=1), at(12, 5, day=1)]
    np.testing.assert_array_equal(tr.t_min, expected_t)
    np.testing.assert_array_equal(sig(tr, "cgm"), [92, 94, NAN, NAN, NAN, 170, NAN, 176, 182])
    assert sig(tr, "insulin_bolus")[7] == 5.0
    assert sig(tr, "carbs")[6] == 60.0  # bolus-wizard carb input
    # Programmed 0.8 U/h from 20:00, 1.2 U/h from 06:00; 50 % temp basal 22:00-23:00.
    basal = sig(tr, "insulin_basal")
    expected = [NAN, 0.8 * 5 / 60, 0.8 * 115 / 60, 0.4, 0.8 * 7, 1.2 * 355 / 60, 1.2 * 4.5 / 60]
    expected += [1.2 * 0.5 / 60, 1.2 * 5 / 60]
    np.testing.assert_allclose(basal, expected, rtol=1e-12)
    assert np.nansum(basal) == pytest.approx(0.8 * 2 + 0.4 + 0.8 * 7 + 1.2 * (6 + 5 / 60), rel=1e-12)


def test_carelink_legacy_comma_layout_raw_basal_square_bolus_and_absolute_temp_basal() -> None:
    tr = one("carelink_legacy.csv")
    assert tr.origin_date == "2013-03-14"  # MM/DD/YY
    expected_t = [at(7, 0), at(7, 30), at(7, 35), at(7, 40), at(13, 0), at(13, 5), at(13, 10)]
    expected_t += [at(13, 30), at(13, 40)]  # the temp basal's and the square bolus's ends
    np.testing.assert_array_equal(tr.t_min, expected_t)
    np.testing.assert_array_equal(sig(tr, "cgm"), [NAN, 145, 150, 158, NAN, NAN, NAN, NAN, NAN])
    assert sig(tr, "carbs")[3] == 40.0
    # Normal 3.3 U at 07:40; Square 1.2 U over 13:10-13:40: 20 min then 10 min of it.
    np.testing.assert_allclose(sig(tr, "insulin_bolus"), [0, 0, 0, 3.3, 0, 0, 0, 0.8, 0.4], rtol=1e-12)
    # BasalProfileStart RATE=0.8 from 07:00 and 0.9 from 13:05 (Raw-Values); 0.5 U/h 13:00-13:30.
    expected = [NAN, 0.8 / 2, 0.8 * 5 / 60, 0.8 * 5 / 60, 0.8 * 320 / 60, 0.5 * 5 / 60, 0.5 * 5 / 60]
    expected += [0.5 * 20 / 60, 0.9 * 10 / 60]
    np.testing.assert_allclose(sig(tr, "insulin_basal"), expected, rtol=1e-12)


def test_carelink_current_comma_layout_us_pump_and_sensor_sections() -> None:
    tr = one("carelink_current_us.csv")
    assert_trace_shape(tr)
    assert tr.origin_date == "2024-05-01"
    expected_t = [at(22, 0), at(22, 5), at(0, 0, day=1), at(6, 0, day=1), at(7, 0, day=1), at(8, 0, day=1)]
    expected_t += [at(8, 30, day=1), at(11, 59, 40, 1), at(12, 0, day=1), at(13, 0, day=1), at(13, 5, day=1)]
    np.testing.assert_allclose(tr.t_min, expected_t, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(sig(tr, "cgm"), [128, 131, NAN, NAN, 112, NAN, NAN, NAN, 158, NAN, 165])
    assert sig(tr, "carbs")[7] == 75.0
    # Square 1.5 U over 08:00-08:30; Dual Wave 3 U now and 2 U over 12:00-13:00.
    np.testing.assert_allclose(sig(tr, "insulin_bolus"), [0, 0, 0, 0, 0, 0, 1.5, 0, 3, 2, 0], rtol=1e-12)
    # 0.9 U/h from 22:00, 0.7 from 00:00, 1.1 from 06:00; a 0.4 U/h "Rate" temp basal 07:00-08:00.
    expected = [
        NAN,
        0.9 * 5 / 60,
        0.9 * 115 / 60,
        0.7 * 6,
        1.1,
        0.4,
        1.1 / 2,
        1.1 * (3 * 60 + 29 + 2 / 3) / 60,
    ]
    expected += [1.1 / 3 / 60, 1.1, 1.1 * 5 / 60]
    np.testing.assert_allclose(sig(tr, "insulin_basal"), expected, rtol=1e-12)


def test_carelink_legacy_semicolon_layout_mmol_decimal_comma_and_dual_wave() -> None:
    tr = one("carelink_legacy_eu.csv")
    assert tr.origin_date == "2013-03-14"  # DD/MM/YY
    expected_t = [at(6, 0), at(7, 30), at(7, 35), at(7, 40), at(8, 40), at(13, 0), at(13, 30), at(13, 40)]
    np.testing.assert_array_equal(tr.t_min, expected_t)
    glucose = [NAN, mmoll_to_mgdl(8.1), mmoll_to_mgdl(8.4), NAN, NAN, NAN, NAN, mmoll_to_mgdl(6.0)]
    np.testing.assert_allclose(sig(tr, "cgm"), glucose, rtol=1e-15)
    np.testing.assert_allclose(sig(tr, "insulin_bolus"), [0, 0, 0, 2.5, 2.0, 0, 0, 0], rtol=1e-12)
    assert sig(tr, "carbs")[3] == 45.0
    # RATE=0,85 from 06:00; a 50 % temp basal 13:00-13:30.
    expected = [NAN, 0.85 * 1.5, 0.85 * 5 / 60, 0.85 * 5 / 60, 0.85, 0.85 * 260 / 60, 0.85 / 2 / 2]
    expected += [0.85 * 10 / 60]
    np.testing.assert_allclose(sig(tr, "insulin_basal"), expected, rtol=1e-12)


def test_tconnect_sections_extended_bolus_and_delivered_rate_changes() -> None:
    tr = one("tconnect.csv")
    assert_trace_shape(tr)
    assert tr.origin_date == "2024-06-01"
    expected_t = [at(6, 0), at(7, 1, 33), at(7, 5), at(7, 6, 33), at(7, 9, 26), at(7, 11, 33), at(7, 30)]
    expected_t += [at(8, 0), at(12, 0), at(12, 0, 40), at(12, 31, 36), at(13, 0, 40)]
    np.testing.assert_allclose(tr.t_min, expected_t, rtol=0, atol=1e-9)
    cgm = [NAN, 128, NAN, 135, NAN, 142, NAN, NAN, NAN, NAN, 400, NAN]
    np.testing.assert_array_equal(sig(tr, "cgm"), cgm)
    assert sig(tr, "cgm_flag")[10] == 2  # "High"; the BG meter row at 07:08 is not CGM
    bolus = sig(tr, "insulin_bolus")
    assert bolus[4] == 6.1  # at CompletionDateTime
    # Extended bolus: 1 U standard part at its CompletionDateTime, the 1 U extended part spread
    # over BolexStartDateTime-BolexCompletionDateTime (12:00:40-13:00:40).
    assert bolus[9] == 1.0
    np.testing.assert_allclose(bolus[10:], [(30 + 56 / 60) / 60, (29 + 4 / 60) / 60], rtol=1e-12)
    assert bolus.sum() == pytest.approx(8.1, rel=1e-15)
    assert sig(tr, "carbs")[2] == 60.0  # at EventDateTime
    assert sig(tr, "carbs")[8] == 24.0  # at EventDateTime 12:00
    basal = sig(tr, "insulin_basal")
    total = 0.8 * 1.5 + 0.0 * 0.5 + 1.25 * (5 + 40 / 60 / 60)  # 06:00-07:30, 07:30-08:00, 08:00-13:00:40
    assert np.nansum(basal) == pytest.approx(total, rel=1e-12)


def test_nightscout_entries_codes_duplicates_and_offsets() -> None:
    tr = one("nightscout_entries.json")
    assert tr.origin_date == "2024-06-01"
    # UTC 05:00 + utcOffset 120 = 07:00; 05:25 has no utcOffset but a "+02:00" dateString.
    np.testing.assert_array_equal(tr.t_min, [at(7, 0), at(7, 5), at(7, 10), at(7, 25), at(0, 5, day=1)])
    np.testing.assert_array_equal(sig(tr, "cgm"), [120, 126, 40, 98, 140])  # two uploaders at 07:05: one
    np.testing.assert_array_equal(sig(tr, "cgm_flag"), [0, 0, 1, 0, 0])  # 39 = LOW; 5 (error code) dropped


def test_nightscout_treatments_boluses_carbs_and_temp_basals() -> None:
    tr = one("nightscout_treatments.json")
    assert set(tr.signals) == {"insulin_bolus", "carbs", "insulin_basal"}
    t = [at(7, 30), at(10, 0), at(11, 0), at(13, 0), at(13, 30), at(14, 0), at(14, 20), at(15, 0), at(15, 30)]
    np.testing.assert_array_equal(tr.t_min, t)
    np.testing.assert_array_equal(sig(tr, "insulin_bolus"), [4.2, 0, 1.0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(sig(tr, "carbs"), [40, 15, 0, 0, 0, 0, 0, 0, 0])
    # 0.5 U/h for 30 min; 1 U/h cut after 20 min by a zero-duration Temp Basal; -50 % of an
    # unknown profile rate is unknown; outside temp basals the profile rate is unknown too.
    np.testing.assert_allclose(
        sig(tr, "insulin_basal"), [NAN, NAN, NAN, NAN, 0.25, NAN, 1 / 3, NAN, NAN], rtol=1e-15
    )


def test_nightscout_entries_and_treatments_merge_under_one_id() -> None:
    traces = read_file(EXPORTS / "nightscout_entries.json", patient_id="p7")
    merged_list = read_files(
        [EXPORTS / "nightscout_entries.json", EXPORTS / "nightscout_treatments.json"], patient_id="p7"
    )
    assert len(merged_list) == 1
    merged = merged_list[0]
    assert traces[0].patients == merged.patients == ("p7",)
    assert {"cgm", "insulin_bolus", "carbs", "insulin_basal"} <= set(merged.signals)
    assert np.nansum(sig(merged, "insulin_bolus")) == pytest.approx(5.2)
    assert np.nansum(sig(merged, "cgm")) == np.nansum(sig(traces[0], "cgm"))


def test_tidepool_units_out_of_range_annotations_and_basal_stream() -> None:
    tr = one("tidepool.json")
    assert_trace_shape(tr)
    assert tr.origin_date == "2024-01-15"  # UTC 12:00 + timezoneOffset -300 = 07:00
    expected_t = [at(7, 0), at(8, 0), at(8, 2), at(8, 5), at(8, 10), at(8, 15), at(8, 20), at(8, 25)]
    expected_t += [at(8, 30), at(8, 40), at(9, 0), at(9, 15), at(9, 40), at(10, 0)]
    np.testing.assert_array_equal(tr.t_min, expected_t)
    # mmol/L stored as mg/dL / 18.01559 comes back as the whole mg/dL; 08:25 from deviceTime.
    cgm = [NAN, 100, NAN, 180, 40, 250, 400, 120, NAN, NAN, NAN, NAN, NAN, NAN]
    np.testing.assert_array_equal(sig(tr, "cgm"), cgm)
    np.testing.assert_array_equal(sig(tr, "cgm_flag")[[4, 6]], [1, 2])
    assert sig(tr, "insulin_bolus")[2] == 3.5
    # Combination: normal 2 U at 08:40, extended 1 U spread over its duration, 08:40-09:40.
    np.testing.assert_allclose(sig(tr, "insulin_bolus")[9:], [2.0, 1 / 3, 1 / 4, 5 / 12, 0.0], rtol=1e-12)
    assert sig(tr, "carbs")[2] == 45.0  # wizard carbInput; its insulin is the bolus record's
    # 0.8 U/h 07:00-08:30, temp 0.4 U/h 08:30-09:00, suspended 09:00-09:15, 0.8 U/h 09:15-10:00.
    assert np.nansum(sig(tr, "insulin_basal")) == pytest.approx(1.2 + 0.2 + 0.0 + 0.6, rel=1e-12)
    assert sig(tr, "insulin_basal")[11] == 0.0


def test_iglu_csv_patients_na_rows_duplicates_and_later_row_wins() -> None:
    traces = read_file(EXPORTS / "iglu_two_patients.csv")
    assert [t.patients for t in traces] == [("p1",), ("p2",)]
    p1, p2 = traces
    assert p1.origin_date == p2.origin_date == "2024-08-25"
    np.testing.assert_array_equal(p1.t_min, [at(9, 0), at(9, 5), at(9, 15), at(0, 0, day=1)])
    np.testing.assert_array_equal(sig(p1, "cgm"), [120, 131, 140, 150])  # NA dropped, 09:15 once
    np.testing.assert_array_equal(p2.t_min, [at(9, 2, 30), at(9, 7, 30), at(9, 12, 30)])
    np.testing.assert_array_equal(sig(p2, "cgm"), [88, 92, 97])  # 95 then 97 at 09:12:30: the later row
