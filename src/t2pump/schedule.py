"""Time-of-day schedules: a value that changes at given clock times and repeats every day.

Used for basal programs, carbohydrate ratios, sensitivity factors and glucose targets. Time is
counted in minutes from local midnight of the first day (day 0 starts at t = 0); the schedule
repeats every 1440 min. Devices add their own rules on top (a pump's 30-min grid, its maximum
number of segments).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import InputRangeError, check_finite
from t2pump.units import MIN_PER_DAY

__all__ = ["DailySchedule", "parse_clock"]


def parse_clock(text: str, field: str = "time") -> int:
    """``"HH:MM"`` -> minutes after midnight (0-1439)."""
    parts = str(text).strip().split(":")
    try:
        if len(parts) != 2:
            raise ValueError
        hours, minutes = int(parts[0]), int(parts[1])
    except ValueError:
        raise InputRangeError(field, text, "a clock time HH:MM") from None
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise InputRangeError(field, text, "a clock time between 00:00 and 23:59")
    return hours * 60 + minutes


@dataclass(frozen=True, slots=True)
class DailySchedule:
    """A piecewise-constant daily schedule.

    ``starts_min[i]`` is the minute after midnight at which ``values[i]`` begins; the first start
    is 0 and starts strictly increase. Each value holds until the next start (the last until
    midnight).
    """

    starts_min: tuple[int, ...]
    values: tuple[float, ...]
    name: str = "schedule"

    def __post_init__(self) -> None:
        if len(self.starts_min) == 0 or len(self.starts_min) != len(self.values):
            raise InputRangeError(
                f"{self.name}.starts_min", self.starts_min, "one start per value, at least one segment"
            )
        if self.starts_min[0] != 0:
            raise InputRangeError(
                f"{self.name}.starts_min[0]", self.starts_min[0], "0 (the first segment starts at 00:00)"
            )
        for i, (a, b) in enumerate(zip(self.starts_min, self.starts_min[1:], strict=False)):
            if not b > a:
                raise InputRangeError(
                    f"{self.name}.starts_min[{i + 1}]",
                    b,
                    f"a start after {a} min (segments must not overlap)",
                )
        if self.starts_min[-1] >= MIN_PER_DAY:
            raise InputRangeError(
                f"{self.name}.starts_min[-1]", self.starts_min[-1], "a start before 1440 min"
            )
        for i, v in enumerate(self.values):
            check_finite(f"{self.name}.values[{i}]", v)

    @classmethod
    def constant(cls, value: float, name: str = "schedule") -> DailySchedule:
        return cls((0,), (float(value),), name)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str | int, float]], name: str = "schedule") -> DailySchedule:
        """Build from ``[("00:00", 0.8), ("06:00", 1.2), ...]`` or minutes instead of clock strings."""
        starts: list[int] = []
        values: list[float] = []
        for i, (start, value) in enumerate(pairs):
            minute = parse_clock(start, f"{name}[{i}].start") if isinstance(start, str) else int(start)
            starts.append(minute)
            values.append(check_finite(f"{name}[{i}].value", value))
        return cls(tuple(starts), tuple(values), name)

    def value_at(self, t_min: ArrayLike) -> NDArray[np.float64]:
        """The scheduled value at time(s) ``t_min`` (minutes since midnight of day 0)."""
        tod = np.mod(np.asarray(t_min, dtype=np.float64), MIN_PER_DAY)
        idx = np.searchsorted(np.asarray(self.starts_min, dtype=np.float64), tod, side="right") - 1
        return np.asarray(self.values, dtype=np.float64)[idx]

    def scalar_at(self, t_min: float) -> float:
        return float(self.value_at(t_min))

    def segments(self) -> Sequence[tuple[int, int, float]]:
        """``(start_min, end_min, value)`` for each segment; the last ends at 1440."""
        ends = (*self.starts_min[1:], int(MIN_PER_DAY))
        return [(s, e, v) for s, e, v in zip(self.starts_min, ends, self.values, strict=True)]

    def daily_integral(self) -> float:
        """Sum over the day of value x hours (for a basal rate: units per day)."""
        return float(sum((e - s) / 60.0 * v for s, e, v in self.segments()))

    def scaled(self, factor: float) -> DailySchedule:
        return DailySchedule(self.starts_min, tuple(v * factor for v in self.values), self.name)
