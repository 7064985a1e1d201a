"""Pump envelopes: the packaged data load, every figure carries its source, step tables round right."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from t2pump.devices.envelope import FALLBACKS, PumpEnvelope, StepTable, get_envelope, load_envelopes
from t2pump.errors import InputRangeError

REQUIRED_MODELS = {
    "medtronic_minimed_780g",
    "tandem_tslim_x2",
    "insulet_omnipod_5",
    "ypsomed_ypsopump",
    "medtrum_touchcare_nano",
    "roche_accuchek_insight",
}
NOT_SOURCED = {"model_id", "manufacturer", "name", "sources", "note"}
ENVELOPE_FIELDS = sorted(f.name for f in dataclasses.fields(PumpEnvelope) if f.name not in NOT_SOURCED)
MODELS = sorted(load_envelopes())

# Medtronic basal rates: 0.025 U/h below 1 U/h, 0.05 U/h from 1, 0.1 U/h from 10 (pump_envelopes.json)
MEDTRONIC_BASAL = StepTable(((0.0, 0.025), (1.0, 0.05), (10.0, 0.1)))


def _raw_models() -> dict[str, dict[str, object]]:
    text = resources.files("t2pump.devices").joinpath("data/pump_envelopes.json").read_text(encoding="utf-8")
    models: dict[str, dict[str, object]] = json.loads(text)["models"]
    return models


def test_the_six_required_models_are_packaged() -> None:
    assert set(load_envelopes()) >= REQUIRED_MODELS


@pytest.mark.parametrize("model_id", MODELS)
def test_every_packaged_model_loads_with_sane_numbers(model_id: str) -> None:
    env = get_envelope(model_id)
    assert env.model_id == model_id
    assert env.name
    assert env.manufacturer
    assert env.reservoir_capacity_u > 0
    lo, hi = env.basal_rate_range_u_per_h
    assert 0 <= lo < hi
    assert env.basal_increments.is_valid(lo)
    assert env.basal_increments.is_valid(hi)
    assert env.basal_pulse_u > 0
    assert env.bolus_increments.is_valid(env.bolus_max_u)
    assert env.basal_patterns_max >= 1
    assert 1 <= env.basal_segments_max <= 48
    assert env.temp_basal_types
    assert env.bolus_types
    assert env.occlusion_threshold_u > 0
    assert 100 in env.insulin_concentrations
    lo_alarm, hi_alarm = env.low_reservoir_alarm_range_u
    assert lo_alarm <= env.low_reservoir_alarm_default_u <= hi_alarm < env.reservoir_capacity_u


@pytest.mark.parametrize("model_id", MODELS)
def test_every_field_of_every_model_names_a_source_and_says_whether_it_was_verified(model_id: str) -> None:
    env = get_envelope(model_id)
    assert sorted(env.sources) == ENVELOPE_FIELDS
    for name in ENVELOPE_FIELDS:
        assert env.sources[name].source.strip(), name
    raw = _raw_models()[model_id]
    for name in ENVELOPE_FIELDS:
        entry = raw[name]
        assert isinstance(entry, dict)
        assert isinstance(entry["source"], str)
        assert entry["source"].strip(), name
        assert type(entry["verified"]) is bool, name


@pytest.mark.parametrize("model_id", MODELS)
def test_a_missing_figure_falls_back_to_a_cited_default_marked_unverified(model_id: str) -> None:
    env = get_envelope(model_id)
    raw = _raw_models()[model_id]
    for name, (fallback, why) in FALLBACKS.items():
        entry = raw[name]
        assert isinstance(entry, dict)
        if entry["value"] is None:
            assert getattr(env, name) == fallback
            assert env.sources[name].source == why
            assert not env.sources[name].verified
            assert name in env.unverified_fields()


def test_the_omnipod_5_pod_holds_200_u() -> None:
    env = get_envelope("insulet_omnipod_5")
    assert env.reservoir_capacity_u == 200.0
    assert env.sources["reservoir_capacity_u"].verified


def test_tandem_has_no_known_occlusion_volume_and_uses_the_paradigm_3_u_fallback() -> None:
    env = get_envelope("tandem_tslim_x2")
    assert env.occlusion_threshold_u == 3.0
    assert "occlusion_threshold_u" in env.unverified_fields()


def test_an_unknown_model_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(InputRangeError) as caught:
        get_envelope("acme_pump_9000")
    assert caught.value.field == "pump_model"
    assert caught.value.value == "acme_pump_9000"
    for model_id in REQUIRED_MODELS:
        assert model_id in caught.value.expected


# --- StepTable --------------------------------------------------------------------------------


def test_the_packaged_medtronic_basal_bands_are_0025_005_01() -> None:
    assert get_envelope("medtronic_minimed_780g").basal_increments == MEDTRONIC_BASAL


@pytest.mark.parametrize(
    ("rate", "rounded"),
    [
        (0.0, 0.0),
        (-0.3, 0.0),
        (0.024, 0.0),
        (0.025, 0.025),
        (0.137, 0.125),
        (0.99, 0.975),
        (1.0, 1.0),
        (1.024, 1.0),
        (1.07, 1.05),
        (9.99, 9.95),
        (10.0, 10.0),
        (10.07, 10.0),
        (12.34, 12.3),
        (34.99, 34.9),
    ],
)
def test_medtronic_rates_round_down_within_their_band(rate: float, rounded: float) -> None:
    assert MEDTRONIC_BASAL.round_down(rate) == pytest.approx(rounded, abs=1e-12)


@pytest.mark.parametrize(
    ("rate", "valid"),
    [
        (0.025, True),
        (0.0125, False),
        (0.975, True),
        (1.0, True),
        (1.025, False),
        (1.05, True),
        (9.95, True),
        (10.05, False),
        (10.1, True),
        (0.1 + 0.2, True),  # 0.30000000000000004: float noise is not a step error
    ],
)
def test_medtronic_rates_are_valid_only_on_their_bands_step(rate: float, valid: bool) -> None:
    assert MEDTRONIC_BASAL.is_valid(rate) is valid


def test_medtronic_step_at_the_band_edges() -> None:
    assert [MEDTRONIC_BASAL.step_at(x) for x in (0.0, 0.999, 1.0, 9.999, 10.0)] == [
        0.025,
        0.025,
        0.05,
        0.05,
        0.1,
    ]
    assert MEDTRONIC_BASAL.finest == 0.025


def test_a_u200_step_table_doubles_band_starts_and_steps() -> None:
    doubled = MEDTRONIC_BASAL.scaled(2.0)
    assert doubled.bands == ((0.0, 0.05), (2.0, 0.1), (20.0, 0.2))
    assert doubled.round_down(2.07) == pytest.approx(2.0)
    assert not doubled.is_valid(1.025)


def test_rounding_that_falls_below_a_band_start_returns_the_band_start() -> None:
    # 1.2 on the 0.7-step band from 1 would round to 0.7, below the band: the band start is returned
    odd = StepTable(((0.0, 0.25), (1.0, 0.7)))
    assert odd.round_down(1.2) == 1.0


@pytest.mark.parametrize("model_id", MODELS)
def test_every_band_starts_on_its_own_grid_so_rounded_values_are_always_valid(model_id: str) -> None:
    env = get_envelope(model_id)
    for table in (env.basal_increments, env.bolus_increments):
        for start, _ in table.bands:
            assert table.is_valid(start), (model_id, table.bands, start)


@pytest.mark.parametrize(
    "bands",
    [
        pytest.param((), id="empty"),
        pytest.param(((0.5, 0.1),), id="not from 0"),
        pytest.param(((0.0, 0.0),), id="zero step"),
        pytest.param(((0.0, float("nan")),), id="NaN step"),
        pytest.param(((0.0, 0.1), (-1.0, 0.2)), id="negative start"),
    ],
)
def test_malformed_step_tables_are_refused(bands: tuple[tuple[float, float], ...]) -> None:
    with pytest.raises(InputRangeError, match=r"step_table\.bands"):
        StepTable(bands)


@pytest.mark.property
@settings(max_examples=200, deadline=None)
@given(model_id=st.sampled_from(MODELS), x=st.floats(0, 40, allow_subnormal=False))
def test_round_down_gives_the_largest_valid_rate_not_above_the_request(model_id: str, x: float) -> None:
    table = get_envelope(model_id).basal_increments
    r = table.round_down(x)
    assert table.is_valid(r)
    assert r <= x + 1e-9
    assert r + table.step_at(r) > x - 1e-9  # the next valid rate is above the request
