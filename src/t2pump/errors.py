"""Errors and input checks shared by every layer.

Every error names the field, the value received and what was expected, so that a user who
typed a 500 U bolus or a 250 % temporary basal reads at once what to change.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import StrEnum
from typing import TypeVar

import numpy as np

__all__ = [
    "InputRangeError",
    "T2pumpError",
    "check_array_range",
    "check_finite",
    "check_increment",
    "check_one_of",
    "check_range",
    "parse_enum",
]

E = TypeVar("E", bound=StrEnum)


class T2pumpError(Exception):
    """Base class of the errors t2pump raises on purpose."""


class InputRangeError(T2pumpError, ValueError):
    """A value is missing, not finite, out of its accepted range or not a valid step.

    Attributes
    ----------
    field : the name of the input (e.g. ``"bolus.units"``)
    value : the value received
    expected : what was expected, in words (e.g. ``"0-25 U"``)
    """

    def __init__(self, field: str, value: object, expected: str) -> None:
        self.field = field
        self.value = value
        self.expected = expected
        super().__init__(f"{field}: got {value!r}, expected {expected}")


def check_finite(field: str, value: float) -> float:
    """Return ``float(value)`` or raise if it is not a finite real number."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputRangeError(field, value, "a finite number") from None
    if isinstance(value, bool) or not math.isfinite(x):
        raise InputRangeError(field, value, "a finite number")
    return x


def check_range(
    field: str,
    value: float,
    lo: float,
    hi: float,
    unit: str = "",
    *,
    lo_inclusive: bool = True,
    hi_inclusive: bool = True,
) -> float:
    """Return ``float(value)`` if it is finite and within [lo, hi] (bounds as requested)."""
    x = check_finite(field, value)
    above_lo = x >= lo if lo_inclusive else x > lo
    below_hi = x <= hi if hi_inclusive else x < hi
    if not (above_lo and below_hi):
        left = "[" if lo_inclusive else "("
        right = "]" if hi_inclusive else ")"
        suffix = f" {unit}" if unit else ""
        raise InputRangeError(field, value, f"a value in {left}{lo:g}, {hi:g}{right}{suffix}")
    return x


def check_increment(field: str, value: float, step: float, unit: str = "", *, tol: float = 1e-9) -> float:
    """Return ``value`` if it is a whole multiple of ``step`` (within ``tol`` of a step)."""
    x = check_finite(field, value)
    n = round(x / step)
    if abs(n * step - x) > tol * max(1.0, abs(x)):
        suffix = f" {unit}" if unit else ""
        raise InputRangeError(field, value, f"a multiple of {step:g}{suffix}")
    return n * step


def check_one_of(field: str, value: str, allowed: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``allowed``."""
    if value not in allowed:
        raise InputRangeError(field, value, "one of " + ", ".join(repr(a) for a in allowed))
    return value


def parse_enum(enum_cls: type[E], value: object, field: str) -> E:
    """``enum_cls(value)``, or an error naming the field and the accepted values."""
    try:
        return enum_cls(str(value))
    except ValueError:
        raise InputRangeError(field, value, "one of " + ", ".join(repr(m.value) for m in enum_cls)) from None


def check_array_range(field: str, values: object, lo: float, hi: float, unit: str = "") -> None:
    """Every element finite and within [lo, hi]; the error names the first offending index."""
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    bad = ~np.isfinite(arr) | (arr < lo) | (arr > hi)
    if np.any(bad):
        i = int(np.argmax(bad))
        suffix = f" {unit}" if unit else ""
        raise InputRangeError(f"{field}[{i}]", float(arr[i]), f"a finite value in [{lo:g}, {hi:g}]{suffix}")
