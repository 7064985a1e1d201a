"""Input scenarios for open-loop runs: a CSV of per-minute rates held until the next row.

Format (the one simglucose holds its inputs in)::

    t_min,carbs_g_per_min,insulin_u_per_min
    0,0,0.0206
    420,45,0.0206
    421,0,0.0206

``t_min`` are whole minutes, strictly increasing from 0; each row's rates apply from its minute
until the next row's (the last row's until the end of the run). Every bad value is reported with
the file, the line, the field, the value and what was expected.
"""

from __future__ import annotations

import csv
import math
from itertools import pairwise
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from t2pump.errors import InputRangeError

__all__ = ["SCENARIO_COLUMNS", "read_scenario_csv"]

SCENARIO_COLUMNS = ("t_min", "carbs_g_per_min", "insulin_u_per_min")
# Upper bounds: a meal of at most 400 g (AndroidAPS HardLimits MAX_CARBS) entered in one minute; an
# insulin rate of at most 75 U/min (the t2pump hard limit on one bolus, given in one minute).
_BOUNDS = {"carbs_g_per_min": 400.0, "insulin_u_per_min": 75.0}


def read_scenario_csv(path: Path, minutes: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-minute carbohydrate [g/min] and insulin [U/min] arrays of length ``minutes``."""
    if minutes < 1:
        raise InputRangeError("minutes", minutes, "at least 1 minute")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputRangeError("scenario", str(path), f"a readable CSV file ({exc.strerror})") from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != SCENARIO_COLUMNS:
        raise InputRangeError(f"{path}:1", header, "the header " + ",".join(SCENARIO_COLUMNS))
    times: list[int] = []
    rates: list[tuple[float, float]] = []
    for line_no, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        t, carbs, insulin = _parse_row(path, line_no, row)
        where = f"{path}:{line_no}:t_min"
        if not times and t != 0:
            raise InputRangeError(where, row[0], "0 (the first row starts the run)")
        if times and t <= times[-1]:
            raise InputRangeError(where, row[0], f"a minute after {times[-1]}")
        if t >= minutes:
            raise InputRangeError(where, row[0], f"a minute before the end of the run ({minutes})")
        times.append(t)
        rates.append((carbs, insulin))
    if not times:
        raise InputRangeError(f"{path}", "no rows", "at least one row at t_min 0")
    edges = [*times, minutes]
    cho = np.zeros(minutes)
    ins = np.zeros(minutes)
    for (start, end), (c, u) in zip(pairwise(edges), rates, strict=True):
        cho[start:end] = c
        ins[start:end] = u
    return cho, ins


def _parse_row(path: Path, line_no: int, row: list[str]) -> tuple[int, float, float]:
    if len(row) != len(SCENARIO_COLUMNS):
        raise InputRangeError(f"{path}:{line_no}", row, f"{len(SCENARIO_COLUMNS)} fields")
    values: list[float] = []
    for name, cell in zip(SCENARIO_COLUMNS, row, strict=True):
        try:
            v = float(cell)
        except ValueError:
            raise InputRangeError(f"{path}:{line_no}:{name}", cell, "a number") from None
        upper = _BOUNDS.get(name, math.inf)
        if not math.isfinite(v) or v < 0 or v > upper:
            raise InputRangeError(f"{path}:{line_no}:{name}", cell, f"a number in [0, {upper:g}]")
        values.append(v)
    if not values[0].is_integer():
        raise InputRangeError(f"{path}:{line_no}:t_min", row[0], "a whole minute")
    return int(values[0]), values[1], values[2]
