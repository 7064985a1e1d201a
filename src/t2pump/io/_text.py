"""Text of an export: decoding, CSV rows with their line numbers, header look-up, cell values.

Every error names ``file:line:column``, the value found and what was expected
(:class:`~t2pump.errors.InputRangeError`); a malformed value is never skipped or guessed.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from t2pump.devices.cgm import CgmFlag
from t2pump.errors import InputRangeError
from t2pump.units import mmoll_to_mgdl

__all__ = [
    "MAX_VALUE",
    "MIN_GLUCOSE_MGDL",
    "Header",
    "Row",
    "Source",
    "decode",
    "delimiter_of",
    "first_lines",
    "glucose_unit",
    "parse_amount",
    "parse_glucose",
    "parse_number",
    "rows_of",
    "split_line",
    "stem_of",
]

# Words that exports write instead of a number when the sensor is outside its reporting range
# (Dexcom Clarity ``Low``/``High``, research note cgm_metrics.md section 5.1; Libre readers ``LO``/``HI``).
_LOW_WORDS = frozenset({"low", "lo", "bas"})
_HIGH_WORDS = frozenset({"high", "hi", "haut", "élevé", "eleve"})
_MISSING = frozenset({"", "na", "nan", "null", "none"})
# Sanity bound of the import [A: t2pump assumption]: no dose [U], carbohydrate [g], rate [U/h] or
# glucose [mg/dL, mmol/L] of a real record comes near it (the largest pump bolus in
# devices/data/pump_envelopes.json is 50 U, sensors read up to 500 mg/dL); larger numbers are errors.
MAX_VALUE = 1e4
# Sanity floor of a glucose value [mg/dL] [A: t2pump assumption]: sensors report from 40 mg/dL
# (Clarity, LibreView, CareLink readers here) and the risk indices take log(g), negative below 1.
MIN_GLUCOSE_MGDL = 1.0


@dataclass(frozen=True, slots=True)
class Source:
    """One file to read: its name as shown in errors, its text and the options of the read."""

    name: str
    text: str
    patient_id: str  # id of the patient in single-patient exports (default: the file's stem)
    tz: ZoneInfo | None = None  # local zone for formats that store UTC instants

    def where(self, line: int, column: str | int) -> str:
        """``file:line:column``: the ``field`` of an :class:`InputRangeError`."""
        return f"{self.name}:{line}:{column}"


def decode(data: bytes, name: str) -> str:
    """Bytes -> text: UTF-16 with a BOM, else UTF-8 (BOM optional), else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputRangeError(
                f"{name}:byte {exc.start}", data[exc.start : exc.end], "UTF-16 text"
            ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputRangeError(
            f"{name}:{line}:byte {exc.start}", data[exc.start : exc.end], "UTF-8 or Windows-1252 text"
        ) from None


def delimiter_of(line: str) -> str:
    """The field separator of a header line: ``,``, ``;`` or tab, whichever occurs most."""
    counts = {d: line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))


@dataclass(frozen=True, slots=True)
class Row:
    """One CSV record: the line it starts on and its fields."""

    line: int
    fields: list[str]

    def is_blank(self) -> bool:
        return all(not f.strip() for f in self.fields)


def rows_of(source: Source, delimiter: str, text: str | None = None) -> list[Row]:
    """All CSV records of ``text`` (default: the whole file), with their first line numbers."""
    reader = csv.reader(io.StringIO(source.text if text is None else text), delimiter=delimiter)
    rows: list[Row] = []
    start = 1
    try:
        for fields in reader:
            rows.append(Row(start, fields))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputRangeError(source.where(start, "record"), str(exc), "well-formed CSV") from None
    return rows


def _key(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").split()).casefold()


class Header:
    """Column look-up by name (case, BOM and repeated spaces ignored)."""

    def __init__(self, row: Row) -> None:
        self.line = row.line
        self.names = [" ".join(f.replace("\ufeff", "").split()) for f in row.fields]
        self._index: dict[str, int] = {}
        for i, name in enumerate(self.names):
            self._index.setdefault(_key(name), i)

    def find(self, *names: str) -> int | None:
        """Index of the first of ``names`` present, else None."""
        for name in names:
            i = self._index.get(_key(name))
            if i is not None:
                return i
        return None

    def find_prefix(self, *prefixes: str) -> int | None:
        """Index of the first column whose name starts with one of ``prefixes``, else None."""
        keys = [_key(p) for p in prefixes]
        for i, name in enumerate(self.names):
            if any(_key(name).startswith(k) for k in keys):
                return i
        return None

    def has(self, *names: str) -> bool:
        return all(self.find(n) is not None for n in names)

    def require(self, source: Source, *names: str) -> int:
        """Index of the first of ``names`` present, else an error naming the header line."""
        i = self.find(*names)
        if i is None:
            raise InputRangeError(
                source.where(self.line, "header"), ",".join(self.names)[:200], f"a column {names[0]!r}"
            )
        return i

    @staticmethod
    def cell(row: Row, index: int | None) -> str:
        """The stripped field at ``index`` ('' when the column or the field is absent)."""
        if index is None or index >= len(row.fields):
            return ""
        return row.fields[index].strip()


_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def parse_number(text: str, where: str, expected: str = "a number") -> float:
    """A finite decimal number; a decimal comma is accepted (``94,5``; no thousands separators)."""
    t = text.strip()
    if not _NUMBER.fullmatch(t):
        raise InputRangeError(where, text, expected)
    value = float(t.replace(",", "."))
    if not math.isfinite(value):
        raise InputRangeError(where, text, expected)
    return value


def parse_amount(text: str, where: str, unit: str) -> float | None:
    """A non-negative amount (dose, carbohydrate, rate), or None for an empty cell."""
    if text.strip().casefold() in _MISSING:
        return None
    expected = f"a number in [0, {MAX_VALUE:g}] [{unit}]"
    value = parse_number(text, where, expected)
    if not 0.0 <= value <= MAX_VALUE:
        raise InputRangeError(where, text, expected)
    return value


def glucose_unit(column_name: str, where: str) -> str:
    """``"mg/dL"`` or ``"mmol/L"`` from a column name such as ``Glucose Value (mmol/L)``."""
    key = column_name.casefold()
    if "mmol" in key:
        return "mmol/L"
    if "mg/dl" in key:
        return "mg/dL"
    raise InputRangeError(where, column_name, "a glucose column naming its unit, mg/dL or mmol/L")


def parse_glucose(
    text: str, where: str, unit: str, limits_mgdl: tuple[float, float] | None
) -> tuple[float, CgmFlag]:
    """A glucose cell -> (mg/dL, flag). ``Low``/``High`` become the device's limits, flagged.

    ``limits_mgdl`` is the reporting range of the device (its lower and upper limits); None for
    data that carry no range, where ``Low``/``High`` are errors.
    """
    word = text.strip().casefold()
    if limits_mgdl is not None and word in _LOW_WORDS:
        return limits_mgdl[0], CgmFlag.LOW
    if limits_mgdl is not None and word in _HIGH_WORDS:
        return limits_mgdl[1], CgmFlag.HIGH
    expected = (
        f"a glucose in {unit} (a number in (0, {MAX_VALUE:g}], at least {MIN_GLUCOSE_MGDL:g} mg/dL)"
        + (", High or Low" if limits_mgdl else "")
    )
    value = parse_number(text, where, expected)
    mgdl = mmoll_to_mgdl(value) if unit == "mmol/L" else value
    if not (0.0 < value <= MAX_VALUE and mgdl >= MIN_GLUCOSE_MGDL):
        raise InputRangeError(where, text, expected)
    return mgdl, CgmFlag.OK


def first_lines(text: str, n: int) -> list[str]:
    """The first ``n`` lines of ``text`` (without line ends)."""
    return text.split("\n", n)[:n]


def split_line(line: str, delimiter: str) -> list[str]:
    """One line as CSV fields (quotes removed), for format detection only."""
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return []


def stem_of(path: str | Path) -> str:
    return Path(path).stem or str(path)
