"""Insulin pens: dialling a dose and splitting a large dose into injections."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from t2pump.devices.pen import PEN_CATALOGUE, Pen, get_pen
from t2pump.errors import InputRangeError
from t2pump.units import Concentration


@pytest.mark.property
@settings(max_examples=300, deadline=None)
@given(pen=st.sampled_from(PEN_CATALOGUE), steps=st.integers(0, 1000))
def test_a_dose_splits_into_the_fewest_near_equal_injections_the_pen_can_dial(pen: Pen, steps: int) -> None:
    dose = round(steps * pen.step_u, 10)
    parts = pen.split(dose)

    assert sum(parts) == pytest.approx(dose, abs=1e-9)
    assert all(0 < p <= pen.max_per_injection_u for p in parts)
    assert all(abs(p / pen.step_u - round(p / pen.step_u)) < 1e-9 for p in parts)
    # fewest: one injection fewer could not hold the dose even at the pen's maximum
    assert (len(parts) - 1) * pen.max_per_injection_u < dose or dose == 0
    # near-equal, largest first
    assert list(parts) == sorted(parts, reverse=True)
    if parts:
        assert parts[0] - parts[-1] <= pen.step_u + 1e-9


def test_100_u_with_an_80_u_pen_is_two_injections_of_50() -> None:
    assert get_pen("fiasp_flextouch").split(100.0) == (50.0, 50.0)


def test_160_u_of_toujeo_fits_one_doublestar_injection() -> None:
    assert get_pen("toujeo_doublestar").split(160.0) == (160.0,)


def test_162_u_of_toujeo_is_82_then_80_with_a_doublestar() -> None:
    assert get_pen("toujeo_doublestar").split(162.0) == (82.0, 80.0)


def test_161_u_cannot_be_dialled_on_a_2_unit_doublestar() -> None:
    with pytest.raises(InputRangeError) as caught:
        get_pen("toujeo_doublestar").split(161.0)
    assert caught.value.field == "dose_u"
    assert caught.value.value == 161.0
    assert caught.value.expected == "a non-negative multiple of 2 U"


def test_45_5_u_with_a_half_unit_30_u_pen_is_23_and_22_5() -> None:
    assert get_pen("humalog_junior_kwikpen").split(45.5) == (23.0, 22.5)


def test_no_dose_needs_no_injection() -> None:
    assert get_pen("lantus_solostar").split(0.0) == ()


@pytest.mark.parametrize("dose", [-2.0, math.nan, math.inf])
def test_a_negative_or_non_finite_dose_is_refused_naming_the_dose(dose: float) -> None:
    with pytest.raises(InputRangeError, match="dose_u"):
        get_pen("toujeo_doublestar").split(dose)


@pytest.mark.parametrize(
    ("pen_id", "units", "dialled"),
    [
        ("novopen_echo", 7.3, 7.0),
        ("novopen_echo", 7.75, 7.5),
        ("novopen_echo", 7.5, 7.5),
        ("humalog_kwikpen", 12.99, 12.0),
        ("humalog_kwikpen", 0.1 + 0.2 + 11.7, 12.0),  # 12.000000000000002 is 12, not 11
        ("toujeo_doublestar", 35.0, 34.0),
        ("toujeo_doublestar", 34.0, 34.0),
        ("tresiba_flextouch_u200", 1.9, 0.0),
    ],
)
def test_a_dose_is_rounded_down_to_what_the_pen_can_dial(pen_id: str, units: float, dialled: float) -> None:
    assert get_pen(pen_id).round_dose_down(units) == dialled


@pytest.mark.parametrize("units", [math.nan, math.inf])
def test_a_non_finite_dose_cannot_be_dialled(units: float) -> None:
    with pytest.raises(InputRangeError, match="dose_u"):
        get_pen("novopen_echo").round_dose_down(units)


def test_pen_ids_are_unique_and_an_unknown_pen_is_refused_naming_the_known_ones() -> None:
    ids = [p.pen_id for p in PEN_CATALOGUE]
    assert len(ids) == len(set(ids))
    with pytest.raises(InputRangeError) as caught:
        get_pen("flexpen_9000")
    assert caught.value.field == "pen"
    assert "toujeo_doublestar" in caught.value.expected


def test_concentrated_pens_dial_real_units_and_hold_more_per_cartridge() -> None:
    # Toujeo SoloStar: 1.5 mL of U-300 = 450 U; Tresiba U-200: 3 mL = 600 U
    assert get_pen("toujeo_solostar").concentration is Concentration.U300
    assert get_pen("toujeo_solostar").cartridge_u == 450.0
    assert get_pen("tresiba_flextouch_u200").cartridge_u == 600.0
    assert get_pen("tresiba_flextouch_u200").step_u == 2.0


@pytest.mark.parametrize(
    ("step", "max_per_injection"),
    [pytest.param(0.0, 60.0, id="zero step"), pytest.param(1.0, 0.5, id="max below one step")],
)
def test_a_pen_with_an_impossible_dial_is_refused(step: float, max_per_injection: float) -> None:
    with pytest.raises(InputRangeError, match=r"pen\[bad\]"):
        Pen("bad", "Bad pen", ("lispro",), Concentration.U100, step, max_per_injection, 300.0, "test")


def test_a_negative_dose_is_an_error() -> None:
    with pytest.raises(InputRangeError, match="dose_u"):
        get_pen("toujeo_doublestar").round_dose_down(-2.5)
