"""oref0's insulin-on-board pipeline, reproduced to its rounding.

OpenAPS oref0 turns pump history into treatments and sums their IOB [1]_:

1. boluses are treatments as they are;
2. temporary basals are cut at the next temp's start, and a cancel (rate 0, duration 0, or a
   hypothetical zero temp when ``zero_temp_duration_min`` is given) is added 1 min after *now*;
3. temps are split into pieces of at most 30 min, at the basal schedule's boundaries and at
   midnight (``history.js`` ``splitTimespan``);
4. each piece becomes ``round(net U, 2 dp) / 0.05`` pulses of +/-0.05 U, evenly spaced, where
   net U = (temp rate - scheduled rate) x duration (``history.js`` ``calcTempTreatments``);
5. every treatment no later than *now* and less than DIA old contributes
   ``units x curve(round(minutes ago))``; a treatment under 0.1 U counts as basal IOB
   (``total.js``).

Rounding applied, as oref0 applies it: minutes-ago rounded half up to a whole minute; net temp
insulin to 0.01 U; pulse count to the nearest integer; totals ``iob``, ``basaliob``,
``bolusiob``, ``netbasalinsulin`` and ``bolusinsulin`` half up to 3 decimals and ``activity``
to 4 decimals (JavaScript ``Math.round``, which rounds halves towards +infinity).

This module exists to reproduce oref0's published numbers; t2pump's own IOB for a pump's
delivery timeline is :mod:`t2pump.insulin.iob`, which uses the same curves without oref0's
quantisation.

References
----------
.. [1] OpenAPS oref0 ``lib/iob/history.js``, ``lib/iob/total.js``, ``lib/iob/index.js``,
   commit 88cf032a (v0.7.1). https://github.com/openaps/oref0
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from t2pump.insulin.curves import Oref0Curve
from t2pump.schedule import DailySchedule
from t2pump.units import MIN_PER_DAY

__all__ = [
    "Oref0Bolus",
    "Oref0IobTotal",
    "Oref0TempBasal",
    "js_round",
    "oref0_iob",
    "oref0_iob_array",
    "oref0_treatments",
]

_MS_PER_MIN = 60_000.0
_PULSE_U = 0.05  # oref0 history.js tempBolusSize [1]
_MAX_PIECE_MIN = 30.0  # oref0 history.js splitTimespanWithOneSplitter [1]
_BASAL_BELOW_U = 0.1  # oref0 total.js: treatments under 0.1 U are basal [1]
_CANCEL_DELAY_MIN = 1.0  # oref0 history.js: the cancel temp starts 1 min after now [1]
_PREDICTION_STEPS = range(0, 240, 5)  # oref0 index.js: IOB every 5 min for 4 h [1]


def js_round(x: float, decimals: int = 0) -> float:
    """JavaScript ``Math.round(x * 10**d) / 10**d``: halves go towards +infinity."""
    scale = 10.0**decimals
    return math.floor(x * scale + 0.5) / scale


@dataclass(frozen=True, slots=True)
class Oref0Bolus:
    time_min: float
    units: float


@dataclass(frozen=True, slots=True)
class Oref0TempBasal:
    """An absolute temporary basal (oref0 ignores percent temps)."""

    start_min: float
    rate_u_per_h: float
    duration_min: float


@dataclass(frozen=True, slots=True)
class Oref0IobTotal:
    """oref0 ``iobTotal`` output, rounded as oref0 rounds it."""

    iob: float
    activity: float
    basaliob: float
    bolusiob: float
    netbasalinsulin: float
    bolusinsulin: float


@dataclass(slots=True)
class _Piece:
    start_ms: float
    rate: float
    duration_min: float


def _split(piece: _Piece, boundaries: Sequence[int]) -> list[_Piece]:
    """oref0 ``splitTimespan``: <= 30-min pieces, cut at schedule boundaries and midnight."""
    start_minutes = math.floor(piece.start_ms / _MS_PER_MIN) % int(MIN_PER_DAY)  # getHours*60+getMinutes
    end_minutes = start_minutes + piece.duration_min
    first: float | None = None
    if piece.duration_min > _MAX_PIECE_MIN:
        first = _MAX_PIECE_MIN
    else:
        for m in boundaries:
            if start_minutes < m < end_minutes or (
                end_minutes > MIN_PER_DAY and m < end_minutes - MIN_PER_DAY
            ):
                first = (MIN_PER_DAY if end_minutes > MIN_PER_DAY else m) - start_minutes
                break
    if first is None:
        return [piece]
    # moment().format() keeps whole seconds: the second piece starts on a whole second.
    second_start = math.floor((piece.start_ms + first * _MS_PER_MIN) / 1000.0) * 1000.0
    head = _Piece(piece.start_ms, piece.rate, first)
    tail = _Piece(second_start, piece.rate, piece.duration_min - first)
    return _split(head, boundaries) + _split(tail, boundaries)


def oref0_treatments(
    boluses: Sequence[Oref0Bolus],
    temps: Sequence[Oref0TempBasal],
    basal: DailySchedule,
    now_min: float,
    zero_temp_duration_min: float | None = None,
) -> list[tuple[float, float]]:
    """oref0's treatments ``(time_min, units)``: boluses, then temp pulses net of the schedule."""
    out = [(b.time_min, b.units) for b in boluses if b.time_min <= now_min]
    cancel = _Piece((now_min + _CANCEL_DELAY_MIN) * _MS_PER_MIN, 0.0, zero_temp_duration_min or 0.0)
    history = sorted(
        [_Piece(t.start_min * _MS_PER_MIN, t.rate_u_per_h, t.duration_min) for t in temps] + [cancel],
        key=lambda p: p.start_ms,
    )
    for cur, nxt in itertools.pairwise(history):
        if cur.start_ms + cur.duration_min * _MS_PER_MIN > nxt.start_ms:
            cur.duration_min = (nxt.start_ms - cur.start_ms) / _MS_PER_MIN
    pieces = [p for h in history for p in _split(h, basal.starts_min)]
    for piece in pieces:
        if piece.duration_min <= 0:
            continue
        scheduled = basal.scalar_at(piece.start_ms / _MS_PER_MIN)
        net_rate = piece.rate - scheduled
        size = -_PULSE_U if net_rate < 0 else _PULSE_U
        net_amount = js_round(net_rate * piece.duration_min * 10 / 6) / 100
        count = int(js_round(net_amount / size))
        if count <= 0:
            continue
        spacing = piece.duration_min / count
        out.extend(((piece.start_ms + j * spacing * _MS_PER_MIN) / _MS_PER_MIN, size) for j in range(count))
    return out


def oref0_iob(treatments: Sequence[tuple[float, float]], curve: Oref0Curve, at_min: float) -> Oref0IobTotal:
    """oref0 ``iobTotal`` at ``at_min`` for the given treatments."""
    iob = act = basal_iob = bolus_iob = net_basal = bolus_units = 0.0
    dia_min = curve.duration_min
    for time_min, units in treatments:
        if not (time_min <= at_min and time_min > at_min - dia_min) or not units:
            continue
        mins_ago = js_round((at_min * _MS_PER_MIN - time_min * _MS_PER_MIN) / _MS_PER_MIN)
        contrib = units * float(curve.iob_fraction(mins_ago))
        iob += contrib
        act += units * float(curve.activity(mins_ago))
        if contrib:
            if units < _BASAL_BELOW_U:
                basal_iob += contrib
                net_basal += units
            else:
                bolus_iob += contrib
                bolus_units += units
    return Oref0IobTotal(
        iob=js_round(iob, 3),
        activity=js_round(act, 4),
        basaliob=js_round(basal_iob, 3),
        bolusiob=js_round(bolus_iob, 3),
        netbasalinsulin=js_round(net_basal, 3),
        bolusinsulin=js_round(bolus_units, 3),
    )


def oref0_iob_array(
    boluses: Sequence[Oref0Bolus],
    temps: Sequence[Oref0TempBasal],
    basal: DailySchedule,
    curve: Oref0Curve,
    now_min: float,
) -> tuple[list[Oref0IobTotal], list[Oref0IobTotal]]:
    """oref0 ``iob`` array: IOB at now, now+5 ... now+235 min, and the same with a 240-min zero temp."""
    plain = oref0_treatments(boluses, temps, basal, now_min)
    zero = oref0_treatments(boluses, temps, basal, now_min, zero_temp_duration_min=240.0)
    return (
        [oref0_iob(plain, curve, now_min + k) for k in _PREDICTION_STEPS],
        [oref0_iob(zero, curve, now_min + k) for k in _PREDICTION_STEPS],
    )
