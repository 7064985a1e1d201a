"""The lane glue of the compiled kernel (simulation.lanes): views, select, exp in arithmetic, and
that the right-hand side over lanes really compiles to packed (SIMD) arithmetic."""

from __future__ import annotations

import math
import platform
import re

import numpy as np
import pytest
from numba import njit

from t2pump.physiology import elementwise
from t2pump.simulation import kernel
from t2pump.simulation.lanes import LANES, exp_arith, lane_view, select


@njit(error_model="numpy")
def _exp_all(y: np.ndarray) -> np.ndarray:
    out = np.empty_like(y)
    for k in range(y.size):
        out[k] = exp_arith(y[k])
    return out


@njit(error_model="numpy")
def _tanh_all(z: np.ndarray) -> np.ndarray:
    out = np.empty_like(z)
    for k in range(z.size):
        out[k] = elementwise.tanh(z[k])
    return out


def test_exp_in_arithmetic_is_libm_exp_to_two_units_in_the_last_place() -> None:
    y = np.concatenate([np.linspace(-700.0, 700.0, 200_001), [0.0, -0.0, 1e-300, -1e-17, 0.34657359, 40.0]])
    got = _exp_all(y)
    want = np.array([math.exp(v) for v in y])
    ulp = np.spacing(want)
    assert np.max(np.abs(got - want) / ulp) <= 2.0


def test_the_compiled_tanh_is_numpy_tanh() -> None:
    """The kernel's scalar tanh (exp in arithmetic) against np.tanh, saturation included."""
    z = np.concatenate([np.linspace(-30, 30, 20_001), [0.0, 1e-300, -1e-12, 19.0, 25.0, 800.0, -800.0]])
    assert np.max(np.abs(_tanh_all(z) - np.tanh(z))) <= 4.5e-16


@njit(error_model="numpy")
def _through_views(s: np.ndarray) -> np.ndarray:
    got = np.empty((LANES, 4))
    for j in range(LANES):
        v = lane_view(s, 2 * LANES + j)  # starts at row 2
        tail = v[3:]  # row 5 on
        v[1] = v[0] + 100.0  # row 3
        got[j, 0] = v[0]
        got[j, 1] = v[1]
        got[j, 2] = tail[0]
        got[j, 3] = select(v[0] > 3.0 * LANES, 1.0, -1.0)
    return got


def test_a_lane_view_indexes_its_lane_of_the_row_major_scratch() -> None:
    rows = 8
    s = np.arange(rows * LANES, dtype=np.float64)
    got = _through_views(s)
    table = np.arange(rows * LANES, dtype=np.float64).reshape(rows, LANES)
    np.testing.assert_array_equal(got[:, 0], table[2])
    np.testing.assert_array_equal(got[:, 1], table[2] + 100.0)
    np.testing.assert_array_equal(got[:, 2], table[5])
    np.testing.assert_array_equal(got[:, 3], np.where(table[2] > 3.0 * LANES, 1.0, -1.0))
    np.testing.assert_array_equal(s.reshape(rows, LANES)[3], table[2] + 100.0)  # written through


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86 assembly")
def test_the_right_hand_side_over_lanes_compiles_to_packed_arithmetic() -> None:
    """A regression guard: one call or branch left in the model's compiled form (libm exp, Python's
    min/max, a branch on glucotoxicity) silently makes LLVM give up and the kernel ~2x slower."""
    s = np.zeros(kernel._N_ROWS * LANES)
    s[kernel._R_P * LANES : kernel._R_U * LANES] = 1.0
    kernel._rk4(s, np.zeros(0), 1.0)  # compiles _stage as the kernel calls it: rows as constants
    stages = [text for sig, text in kernel._stage.inspect_asm().items() if "Literal" in str(sig)]
    assert len(stages) == 4  # the four RK4 stages
    for asm in stages:
        packed = len(re.findall(r"\bv?(?:mul|add|sub|div)pd\b", asm))
        scalar = len(re.findall(r"\bv?(?:mul|add|sub|div)sd\b", asm))
        assert packed > 100, (packed, scalar)


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86 assembly")
def test_the_minute_bookkeeping_over_lanes_compiles_to_packed_arithmetic() -> None:
    """Eating, pulses and bolus speed are selects, not branches: the same guard for them."""
    s = np.zeros(kernel._N_ROWS * LANES)
    s[kernel._R_P * LANES : kernel._R_U * LANES] = 1.0
    kernel._begin_minute(s, 1.0, 0.025, 1.5)
    (asm,) = kernel._begin_minute.inspect_asm().values()
    packed = len(re.findall(r"\bv?(?:mul|add|sub|div|min)pd\b", asm))
    scalar = len(re.findall(r"\bv?(?:mul|add|sub|div)sd\b", asm))
    assert packed > 30, (packed, scalar)
