"""Daily basal programs switched over time (a Nightscout profile) -> programmed rate changes.

A :class:`ProgramTable` is one profile document: named daily basal programs (rates [U/h] from
clock times, on the local wall clock) with a default, valid from its start until the next
table's start. A :class:`ProgramSwitch` makes another program of the table active, for a
duration or until a later switch, optionally scaled (``percentage``) and shifted in time.

Which program runs at time ``t`` (as Nightscout's ``lib/profilefunctions.js`` decides [1]_):

* the table is the latest one that started at or before ``t``; before the first table the
  programmed rate is unknown (NaN), as without a profile (Nightscout itself falls back to its
  newest document there; t2pump does not guess);
* the switch is the latest one that started at or before ``t`` and not before the table, and is
  still running (a switch without duration runs until a later one starts); without one, the
  table's default program runs;
* a switch's program is the table's program of that name, else the program it carries
  (``profileJson``), else the table's default;
* ``percentage`` scales every rate and ``shift`` moves the program in time: the rate set for
  clock time ``h`` applies at ``h + shift`` (AndroidAPS, which writes these fields [2]_, applies
  both on top of the program it uploads; Nightscout's released code applies them only to its
  older ``CircadianPercentageProfile`` switches).

:func:`program_steps` turns this into programmed rate changes ``(t, rate)`` over the span of the
patient's records: one at the span's first time and one at every program boundary, table start,
switch start and switch end inside it. Temporary basal rates then override them as any
programmed rate (:mod:`t2pump.io._records`).

References
----------
.. [1] nightscout/cgm-remote-monitor ``lib/profilefunctions.js`` (``profileFromTime``,
   ``activeProfileToTime``, ``activeProfileTreatmentToTime``, ``getValueByTime``).
.. [2] nightscout/AndroidAPS ``plugins/sync/.../nsclient/extensions/ProfileSwitchExtension.kt``
   (``profileJson`` is stored at 100 % and no shift; ``percentage`` and ``timeshift`` [h] apart)
   and ``core/objects/.../extensions/BlockExtension.kt`` (``getShiftedTimeSecs``: the value at
   clock time ``s`` is the program's value at ``s - timeshift``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from t2pump.io._time import MS_PER_DAY, MS_PER_MIN
from t2pump.schedule import DailySchedule

__all__ = ["FULL_PERCENT", "ProgramSwitch", "ProgramTable", "program_steps"]

FULL_PERCENT = 100.0


@dataclass(frozen=True, slots=True)
class ProgramTable:
    """Named daily basal programs [U/h] valid from ``start_ms`` (local wall-clock ms)."""

    start_ms: int
    default: str
    programs: dict[str, DailySchedule] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProgramSwitch:
    """Program ``name`` from ``start_ms``, until ``end_ms`` (None: until a later switch)."""

    start_ms: int
    end_ms: int | None
    name: str
    percentage: float = FULL_PERCENT
    shift_ms: int = 0
    program: DailySchedule | None = None  # the program the switch carries, if any


def _running(switches: list[ProgramSwitch], table: ProgramTable, t: int) -> ProgramSwitch | None:
    """The latest switch started in ``[table start, t]`` that is still running at ``t``."""
    found = None
    for sw in switches:  # sorted by start; of equal starts the later record wins
        if table.start_ms <= sw.start_ms <= t and (sw.end_ms is None or t < sw.end_ms):
            found = sw
    return found


def _program(table: ProgramTable, sw: ProgramSwitch | None) -> tuple[DailySchedule | None, float, int]:
    """(program, rate factor, shift [ms]) in force under ``table`` and switch ``sw``."""
    if sw is None:
        return table.programs.get(table.default), 1.0, 0
    program = table.programs.get(sw.name) or sw.program or table.programs.get(table.default)
    return program, sw.percentage / FULL_PERCENT, sw.shift_ms


def _steps_between(
    a: int, b: int, program: DailySchedule, factor: float, shift: int
) -> list[tuple[int, float]]:
    """Programmed rates in ``[a, b)``: the rate at ``a``, then each program boundary after it."""
    steps = [(a, program.scalar_at((a - shift) / MS_PER_MIN) * factor)]
    for day in range((a - shift) // MS_PER_DAY, (b - shift) // MS_PER_DAY + 1):
        for start_min, value in zip(program.starts_min, program.values, strict=True):
            t = day * MS_PER_DAY + start_min * MS_PER_MIN + shift
            if a < t < b:
                steps.append((t, value * factor))
    return steps


def program_steps(
    tables: list[ProgramTable], switches: list[ProgramSwitch], first_ms: int, last_ms: int
) -> list[tuple[int, float]]:
    """Programmed basal rate changes ``(t, U/h)`` over ``[first_ms, last_ms]`` (module doc)."""
    tables = sorted(tables, key=lambda x: x.start_ms)
    switches = sorted(switches, key=lambda x: x.start_ms)
    changes = {first_ms}
    changes |= {x.start_ms for x in tables}
    changes |= {x.start_ms for x in switches}
    changes |= {x.end_ms for x in switches if x.end_ms is not None}
    points = sorted(t for t in changes if first_ms <= t <= last_ms)
    steps: list[tuple[int, float]] = []
    for i, a in enumerate(points):
        b = points[i + 1] if i + 1 < len(points) else last_ms + 1
        table = next((x for x in reversed(tables) if x.start_ms <= a), None)
        program, factor, shift = (
            (None, 1.0, 0) if table is None else _program(table, _running(switches, table, a))
        )
        if program is None:
            steps.append((a, math.nan))
        else:
            steps += _steps_between(a, b, program, factor, shift)
    return steps
