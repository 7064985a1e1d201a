"""A JSON export as a list of records, each with the line it starts on (for error messages)."""

from __future__ import annotations

import json
from typing import Any

from t2pump.errors import InputRangeError
from t2pump.io._text import MAX_VALUE, Source
from t2pump.io._time import finite_float

__all__ = ["json_records", "number_field"]

_WS = " \t\r\n"


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def _decode_error(source: Source, exc: json.JSONDecodeError) -> InputRangeError:
    return InputRangeError(source.where(exc.lineno, exc.colno), exc.msg, "valid JSON")


def json_records(source: Source) -> list[tuple[int, dict[str, Any]]]:
    """The objects of a top-level JSON array, each with its first line number."""
    text = source.text
    decoder = json.JSONDecoder()
    i = _skip_ws(text, 0)
    if i >= len(text) or text[i] != "[":
        raise InputRangeError(source.where(1, 1), text[i : i + 20], "a JSON array of records")
    i = _skip_ws(text, i + 1)
    records: list[tuple[int, dict[str, Any]]] = []
    line, counted = 1, 0
    while i < len(text) and text[i] != "]":
        line += text.count("\n", counted, i)
        counted = i
        try:
            item, i = decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            raise _decode_error(source, exc) from None
        except RecursionError:
            raise InputRangeError(source.where(line, "record"), "nesting too deep", "a JSON record") from None
        except ValueError as exc:  # e.g. an integer of more than 4300 digits
            raise InputRangeError(source.where(line, "record"), str(exc)[:80], "valid JSON") from None
        if not isinstance(item, dict):
            raise InputRangeError(source.where(line, "record"), str(item)[:40], "a JSON object")
        records.append((line, item))
        i = _skip_ws(text, i)
        if i < len(text) and text[i] == ",":
            i = _skip_ws(text, i + 1)
        elif i < len(text) and text[i] != "]":
            break
    if i >= len(text) or text[i] != "]" or _skip_ws(text, i + 1) != len(text):
        line = text.count("\n", 0, min(i, len(text))) + 1
        raise InputRangeError(source.where(line, "end"), text[i : i + 20], "',' or ']' ending the JSON array")
    return records


def number_field(
    record: dict[str, Any], key: str, where: str, unit: str, *, positive: bool = False, hi: float = MAX_VALUE
) -> float | None:
    """``record[key]`` as a number in [0, hi] ((0, hi] if ``positive``), None when absent or null.

    Numbers written as strings (some uploaders do) are accepted.
    """
    value = record.get(key)
    if value is None or value == "":
        return None
    expected = f"a number in {'(' if positive else '['}0, {hi:g}] [{unit}]"
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise InputRangeError(where, record.get(key), expected) from None
    x = finite_float(value)
    if x is None or not 0.0 <= x <= hi or (positive and x == 0.0):
        raise InputRangeError(where, record.get(key), expected)
    return x
