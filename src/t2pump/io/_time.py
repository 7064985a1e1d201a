"""Times of an export -> integer milliseconds of the local wall clock.

A time is kept as the number of milliseconds from 1970-01-01 00:00 *on the local wall clock*
(a naive time: no zone, no DST rule), which is what the device exports write and what the
day-based metrics use (iglu reads times the same way). Formats that store UTC instants
(Nightscout, Tidepool) are moved to the local wall clock with the record's UTC offset or a zone.

Accepted local date-times: a date ``Y-M-D``, ``D-M-Y`` or ``M-D-Y`` (separator ``-``, ``/`` or ``.``,
a 2-digit year being 20YY), then ``T`` or spaces, then ``h:mm``, ``h:mm:ss`` or ``h:mm:ss.fff``, with
an optional ``AM``/``PM``. A column whose dates are not year-first is read day-first or month-first
as a whole: a first number above 12 proves day-first, a second number above 12 month-first, and
when the column proves neither the reader's hint decides (documented per format).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from t2pump.errors import InputRangeError

__all__ = [
    "MAX_DURATION_MS",
    "MS_PER_DAY",
    "MS_PER_H",
    "MS_PER_MIN",
    "LocalTimes",
    "check_offset",
    "finite_float",
    "instant_ms",
    "iso_instant",
    "local_from_utc",
]

MS_PER_MIN = 60_000
MS_PER_H = 3_600_000
MS_PER_DAY = 86_400_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_FIRST_YEAR, _LAST_YEAR = 1970, 2099  # accepted years: device data, with room for clock errors
_MIN_MS = 0
_MAX_MS = (date(_LAST_YEAR + 1, 1, 1).toordinal() - _EPOCH_ORDINAL) * MS_PER_DAY
_MAX_OFFSET_MIN = 18 * 60  # UTC offsets lie within +-18 h (ISO 8601; Python's timezone limit)
_TWO_DIGIT_YEAR_BASE = 2000
MAX_DURATION_MS = 7 * MS_PER_DAY  # sanity bound of a basal duration [A]: pumps allow temp rates of 24-72 h
_MAX_EXACT_INT = 2**53  # larger JSON integers are not exact as floats

_LOCAL = re.compile(
    r"\s*(?P<a>\d{1,4})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{1,4})"
    r"(?:T|\s+)(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"(?:\s*(?P<ampm>[AaPp])\.?[Mm]\.?)?\s*"
)


def finite_float(value: object) -> float | None:
    """A JSON number as a finite float, or None (booleans, strings, huge integers, NaN, inf)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int) and abs(value) > _MAX_EXACT_INT:
        return None
    x = float(value)
    return x if math.isfinite(x) else None


EXPECTED_LOCAL = "a local date and time such as 2024-03-31T02:30:00, 31/03/2024 02:30 or 03-31-2024 2:30 PM"


def _ms(y: int, mo: int, d: int, h: int, mi: int, s: int, frac: str | None) -> int:
    """Wall-clock ms; raises ValueError for an impossible date or time."""
    if not (_FIRST_YEAR <= y <= _LAST_YEAR) or h > 23 or mi > 59 or s > 59:
        raise ValueError
    days = date(y, mo, d).toordinal() - _EPOCH_ORDINAL
    ms = int(frac.ljust(3, "0")[:3]) if frac else 0
    return days * MS_PER_DAY + ((h * 60 + mi) * 60 + s) * 1000 + ms


class LocalTimes:
    """Collects the local date-time cells of one column, then parses them all at once.

    ``add`` records a cell and returns its position; ``parse`` returns the milliseconds of every
    cell in that order, deciding day-first or month-first for the column (module doc).
    """

    def __init__(self, column: str, *, day_first: bool) -> None:
        self.column = column
        self.day_first_hint = day_first
        self._texts: list[str] = []
        self._wheres: list[str] = []

    def add(self, text: str, where: str) -> int:
        self._texts.append(text)
        self._wheres.append(where)
        return len(self._texts) - 1

    def __len__(self) -> int:
        return len(self._texts)

    def parse(self) -> list[int]:
        matches = []
        for text, where in zip(self._texts, self._wheres, strict=True):
            m = _LOCAL.fullmatch(text)
            if m is None:
                raise InputRangeError(where, text, EXPECTED_LOCAL)
            matches.append(m)
        day_first = self._day_first(matches)
        return [
            self._one(m, text, where, day_first)
            for m, text, where in zip(matches, self._texts, self._wheres, strict=True)
        ]

    def _day_first(self, matches: list[re.Match[str]]) -> bool:
        proves_dmy = proves_mdy = None
        for i, m in enumerate(matches):
            if len(m["a"]) == 4:  # year first
                continue
            if int(m["a"]) > 12 and proves_dmy is None:
                proves_dmy = i
            if int(m["b"]) > 12 and proves_mdy is None:
                proves_mdy = i
        if proves_dmy is not None and proves_mdy is not None:
            j = max(proves_dmy, proves_mdy)
            order = "month-first" if j == proves_dmy else "day-first"
            raise InputRangeError(
                self._wheres[j], self._texts[j], f"a {order} date like the column's earlier dates"
            )
        if proves_dmy is not None:
            return True
        if proves_mdy is not None:
            return False
        return self.day_first_hint

    @staticmethod
    def _one(m: re.Match[str], text: str, where: str, day_first: bool) -> int:
        a, b, c = m["a"], m["b"], m["c"]
        if len(a) == 4:
            y, mo, d = int(a), int(b), int(c)
        else:
            y = int(c) + (_TWO_DIGIT_YEAR_BASE if len(c) <= 2 else 0)
            d, mo = (int(a), int(b)) if day_first else (int(b), int(a))
        h = int(m["h"])
        if m["ampm"]:
            if not 1 <= h <= 12:
                raise InputRangeError(where, text, "an hour 1-12 before AM/PM")
            h = h % 12 + (12 if m["ampm"] in "Pp" else 0)
        try:
            return _ms(y, mo, d, h, int(m["mi"]), int(m["s"] or 0), m["f"])
        except ValueError:
            raise InputRangeError(where, text, f"{EXPECTED_LOCAL}, in {_FIRST_YEAR}-{_LAST_YEAR}") from None


def instant_ms(value: object, where: str) -> int:
    """A UTC instant given as epoch milliseconds (a JSON number) -> int ms, range-checked."""
    x = finite_float(value)
    if x is None:
        raise InputRangeError(where, value, "epoch milliseconds (a number)")
    ms = round(x)
    if not _MIN_MS <= ms < _MAX_MS:
        raise InputRangeError(where, value, f"epoch milliseconds in {_FIRST_YEAR}-{_LAST_YEAR}")
    return ms


_ISO = re.compile(r"\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*")


def iso_instant(text: object, where: str) -> tuple[int, int | None, bool]:
    """An ISO 8601 time -> (epoch ms, UTC offset in minutes or None, written with an offset).

    ``Z`` gives offset None (the instant is UTC but the local zone is unknown); ``+hh:mm`` gives the
    offset; a time without either is a local wall clock (third item False, first item its wall ms).
    """
    if not isinstance(text, str) or _ISO.fullmatch(text) is None:
        raise InputRangeError(where, text, "an ISO 8601 time such as 2024-03-31T02:30:00Z")
    raw = text.strip()
    frac = re.search(r"\.(\d+)", raw)
    if frac is not None and len(frac.group(1)) > 6:  # fromisoformat takes microseconds
        raw = raw.replace(frac.group(0), "." + frac.group(1)[:6])
    try:
        dt = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    except ValueError:
        raise InputRangeError(where, text, "an ISO 8601 time such as 2024-03-31T02:30:00Z") from None
    if not _FIRST_YEAR <= dt.year <= _LAST_YEAR:
        raise InputRangeError(where, text, f"a time in {_FIRST_YEAR}-{_LAST_YEAR}")
    wall = _ms(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, f"{dt.microsecond:06d}")
    off = dt.utcoffset()
    if off is None:
        return wall, None, False
    offset_min = round(off / timedelta(minutes=1))
    utc = wall - offset_min * MS_PER_MIN
    if not _MIN_MS <= utc < _MAX_MS:
        raise InputRangeError(where, text, f"a time in {_FIRST_YEAR}-{_LAST_YEAR}")
    return utc, (None if raw.endswith("Z") else offset_min), True


def check_offset(value: object, where: str) -> int:
    """A UTC offset [min] within +-18 h."""
    x = finite_float(value)
    if x is None:
        raise InputRangeError(where, value, "a UTC offset in minutes")
    if abs(x) > _MAX_OFFSET_MIN:
        raise InputRangeError(where, value, f"a UTC offset within +-{_MAX_OFFSET_MIN} min")
    return round(x)


def local_from_utc(utc_ms: int, offset_min: int | None, tz: ZoneInfo | None, where: str, hint: str) -> int:
    """UTC instant -> local wall-clock ms, with ``tz`` when given, else the record's offset.

    ``tz`` applies the zone's rule at that instant (DST included); an offset is applied as is.
    """
    if tz is not None:
        off = datetime.fromtimestamp(utc_ms / 1000, UTC).astimezone(tz).utcoffset()
        offset_min = round((off or timedelta(0)) / timedelta(minutes=1))
    if offset_min is None:
        raise InputRangeError(where, None, hint)
    return utc_ms + offset_min * MS_PER_MIN
