"""The report's numbers: t2pump.metrics on the report period, the consensus target sets, bad inputs.

Fixture: subject dev-04 of the iglu synthetic set (tests/fixtures/iglu, 20 days of 5-min readings,
mean ~230 mg/dL). The report's numbers must be exactly the metrics' numbers on the last 14 days
(same functions, same inputs), so the comparisons are exact.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_fixtures import iglu_trace, synthetic_trace

from t2pump.errors import InputRangeError
from t2pump.metrics import (
    active_percent,
    agp_profile,
    cv_percent,
    gmi_percent,
    interpolation_grid,
    mean_glucose_mgdl,
    time_in_ranges,
)
from t2pump.report import TARGET_SETS, TargetSetName, agp_report_data, agp_report_data_from_trace
from t2pump.report.data import day_of
from t2pump.report.targets import BandKind, GoalKind, band_percents
from t2pump.simulation.engine import Trace


def _window(trace: Trace, days: int = 14) -> tuple[np.ndarray, np.ndarray]:
    t, g = trace.t_min, trace.signals["cgm"][0]
    keep = t > t[-1] - days * 1440.0
    return t[keep], g[keep]


@pytest.mark.reference
def test_numbers_are_the_metrics_of_the_last_14_days() -> None:
    trace = iglu_trace("dev-04")
    data = agp_report_data_from_trace(trace)
    t, g = _window(trace)
    assert data.n_readings == t.size
    assert (data.first_min, data.last_min) == (t[0], t[-1])
    assert data.mean_mgdl == float(mean_glucose_mgdl(g))
    assert data.gmi_percent == float(gmi_percent(g))
    assert data.cv_percent == float(cv_percent(g))
    assert data.active_percent == active_percent(t, g)
    tir = time_in_ranges(g)
    assert data.bands == {
        BandKind.VERY_HIGH: float(tir.very_high),
        BandKind.HIGH: float(tir.high),
        BandKind.TARGET: float(tir.target),
        BandKind.LOW: float(tir.low),
        BandKind.VERY_LOW: float(tir.very_low),
    }
    assert data.goals[GoalKind.BELOW_RANGE] == float(tir.below_70)
    assert data.goals[GoalKind.ABOVE_RANGE] == float(tir.above_180)
    expected = agp_profile(interpolation_grid(t, g))
    np.testing.assert_array_equal(data.agp.glucose_mgdl, expected.glucose_mgdl)
    np.testing.assert_array_equal(data.agp.minute_of_day, expected.minute_of_day)
    assert data.sufficient  # 14 days, ~98 % of readings
    assert data.days_covered == pytest.approx(14.0, abs=0.01)  # readings jitter by a few seconds
    assert data.origin_date == dt.date(2024, 7, 10)
    assert data.calendar_date(data.first_day) == dt.date(2024, 7, 16)  # first reading 16 Jul, 08:0x
    assert data.calendar_date(data.last_day) == dt.date(2024, 7, 30)


def test_daily_tiles_are_the_last_14_calendar_days_with_gaps_left_empty() -> None:
    trace = iglu_trace("dev-04")
    data = agp_report_data_from_trace(trace)
    assert data.tile_days.tolist() == list(range(data.last_day - 13, data.last_day + 1))
    assert data.tile_glucose_mgdl.shape == (14, 288)
    t, g = trace.t_min, trace.signals["cgm"][0].copy()
    g[(t >= 15 * 1440) & (t < 16 * 1440)] = np.nan  # no reading on 25 Jul (day 15)
    gappy = Trace(t_min=t, patients=("x",), signals={"cgm": g[None]}, units={"cgm": "mg/dL"})
    tiles = agp_report_data_from_trace(gappy, window_days=None)
    row = int(np.flatnonzero(tiles.tile_days == 15)[0])
    assert np.all(np.isnan(tiles.tile_glucose_mgdl[row]))
    assert np.any(np.isfinite(tiles.tile_glucose_mgdl[row - 1]))


def test_window_days_none_keeps_every_reading_and_a_short_trace_is_not_sufficient() -> None:
    trace = synthetic_trace(days=3.0)
    data = agp_report_data_from_trace(trace, window_days=None)
    assert data.n_readings == trace.t_min.size
    assert not data.sufficient
    assert data.simulated
    assert data.origin_date is None
    assert data.calendar_date(0) is None
    # the simulator's last record, at midnight, closes day 2 (docs/trace_format.md): no tile of its own
    assert data.tile_days.tolist() == [0, 1, 2]
    assert (data.first_day, data.last_day) == (0, 2)
    assert np.isfinite(data.tile_glucose_mgdl[2]).sum() > 250  # day 2 keeps its readings
    short = agp_report_data_from_trace(trace, window_days=1)
    assert short.first_min > trace.t_min[-1] - 1440.0


def test_a_device_reading_at_midnight_opens_the_new_day() -> None:
    # the same times from a device export: the clock's day, so the 00:00 reading is day 3's
    trace = synthetic_trace(days=3.0, simulated=False)
    data = agp_report_data_from_trace(trace, window_days=None)
    assert not data.simulated
    assert data.tile_days.tolist() == [0, 1, 2, 3]
    assert data.last_day == 3
    days = (day_of(1440.0, False), day_of(1440.0, True), day_of(1445.0, True), day_of(0.5, True))
    assert days == (1, 0, 1, 0)


@pytest.mark.parametrize("name", list(TargetSetName))
def test_every_target_set_partitions_the_readings(name: TargetSetName) -> None:
    data = agp_report_data_from_trace(iglu_trace("dev-01"), target_set=name.value)
    assert sum(data.bands.values()) == pytest.approx(100.0, abs=1e-9)
    assert [b.kind for b in data.targets.bands] == list(data.bands)
    assert set(data.goals) == {goal.kind for goal in data.targets.goals}


def test_pregnancy_bands_use_63_140_and_54() -> None:
    g = np.array([53.0, 54.0, 62.0, 63.0, 140.0, 141.0, np.nan])
    bands = band_percents(g, TARGET_SETS[TargetSetName.PREGNANCY])
    assert bands == pytest.approx(
        {BandKind.VERY_LOW: 100 / 6, BandKind.LOW: 200 / 6, BandKind.TARGET: 200 / 6, BandKind.HIGH: 100 / 6}
    )


def test_goals_are_strict_as_in_the_consensus() -> None:
    """'> 70 %' and '< 4 %': a value on the goal does not meet it (Battelino 2019, Figure 3)."""
    tir, tbr = TARGET_SETS[TargetSetName.STANDARD].goals[:2]
    assert (tir.met(70.0), tir.met(70.1), tbr.met(4.0), tbr.met(3.9)) == (False, True, False, True)
    older = {g.kind: g.percent for g in TARGET_SETS[TargetSetName.OLDER_HIGH_RISK].goals}
    assert older == {
        GoalKind.IN_RANGE: 50.0,
        GoalKind.BELOW_RANGE: 1.0,
        GoalKind.ABOVE_RANGE: 50.0,
        GoalKind.VERY_HIGH: 10.0,
    }


@pytest.mark.property
@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.integers(39, 401).map(float), st.just(float("nan"))), min_size=1, max_size=300),
    st.sampled_from(list(TargetSetName)),
)
def test_band_percentages_sum_to_100(values: list[float], name: TargetSetName) -> None:
    g = np.array(values)
    bands = band_percents(g, TARGET_SETS[name])
    if np.all(np.isnan(g)):
        assert all(np.isnan(v) for v in bands.values())
    else:
        assert sum(bands.values()) == pytest.approx(100.0, abs=1e-9)
        assert all(v >= -1e-12 for v in bands.values())


def _trace(cgm: np.ndarray, t: np.ndarray | None = None, **kw: object) -> Trace:
    times = np.arange(cgm.shape[-1], dtype=float) * 5.0 if t is None else t
    fields: dict[str, object] = {"patients": ("p",), "units": {"cgm": "mg/dL"}} | kw
    return Trace(t_min=times, signals={"cgm": np.atleast_2d(cgm)}, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: _trace(np.empty((1, 0))), "trace"),
        (lambda: _trace(np.full(50, np.nan)), "trace.signals['cgm']"),
        (lambda: _trace(np.array([np.nan, 120.0, np.nan])), "glucose_mgdl"),
        (lambda: _trace(np.full(50, 120.0), units={"cgm": "mmol/L"}), "trace.units['cgm']"),
        (lambda: _trace(np.full((2, 50), 120.0), patients=("a", "b")), "patient"),
    ],
)
def test_bad_traces_are_refused_naming_the_field(make: object, field: str) -> None:
    with pytest.raises(InputRangeError) as err:
        agp_report_data_from_trace(make())  # type: ignore[operator]
    assert err.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"target_set": "paediatric"}, "target_set"),
        ({"window_days": 0}, "window_days"),
        ({"origin_date": "30/07/2024"}, "origin_date"),
    ],
)
def test_bad_options_are_refused_naming_the_field(kwargs: dict[str, object], field: str) -> None:
    t = np.arange(1, 600) * 5.0
    with pytest.raises(InputRangeError) as err:
        agp_report_data(t, np.full(t.size, 120.0), **kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


def test_unknown_signal_and_patient_are_refused() -> None:
    trace = synthetic_trace(days=2.0, patients=("a", "b"))
    with pytest.raises(InputRangeError) as err:
        agp_report_data_from_trace(trace, patient="a", signal="bg")
    assert err.value.field == "signal"
    with pytest.raises(InputRangeError) as err:
        agp_report_data_from_trace(trace, patient="c")
    assert err.value.field == "patient"
    assert agp_report_data_from_trace(trace, patient="b").patient_id == "b"
