"""Mutations of export files for fuzzing the readers, and the generator of the kept corpus.

``mutate(data, rnd)`` applies 1-3 random edits to a valid export: byte edits, line edits (delete,
duplicate, swap, replace with junk) and field edits that put a tricky token into a CSV field or a
JSON value. ``python tests/io/io_fuzz_mutations.py`` rewrites tests/fixtures/exports/fuzz_corpus
(files and expected.json) from a fixed seed; each seed file has its own random stream (seeded by
its name), so adding or editing one seed file leaves the other seeds' corpus files as they were.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
CORPUS = FIXTURES / "fuzz_corpus"

# The seed files of the fuzzing: corpus prefix -> (format, fixture). One per format, plus one
# per layout variant of a format (CareLink's three layouts, Nightscout profiles and pump records).
SEEDS = {
    "clarity": ("clarity", "clarity_mgdl.csv"),
    "libreview": ("libreview", "libreview_fr_mmol.csv"),
    "carelink": ("carelink", "carelink_780g_eu.csv"),
    "tconnect": ("tconnect", "tconnect.csv"),
    "nightscout": ("nightscout", "nightscout_treatments.json"),
    "tidepool": ("tidepool", "tidepool.json"),
    "iglu": ("iglu", "iglu_two_patients.csv"),
    "carelinkUS": ("carelink", "carelink_current_us.csv"),
    "carelinkLegacy": ("carelink", "carelink_legacy.csv"),
    "carelinkLegacyEU": ("carelink", "carelink_legacy_eu.csv"),
    "nightscoutProfile": ("nightscout", "nightscout_profile.json"),
    "nightscoutAll": ("nightscout", "nightscout_all_in_one.json"),
    "nightscoutPump": ("nightscout", "nightscout_pump_treatments.json"),
}

TOKENS = [
    "",
    " ",
    "High",
    "LO",
    "-1",
    "0",
    "1e999",
    "nan",
    "NaN",
    "inf",
    "1,5",
    "1.5.5",
    "99999999999999999999999",
    "2024-02-30T00:00:00",
    "2024-13-01 10:00",
    "31/31/2024 10:00",
    "13-13-2024 10:00 PM",
    "12:00 AM",
    "0:61:00",
    "1969-12-31T23:59:59",
    "2100-01-01T00:00:00",
    '"',
    '""',
    ";",
    ",",
    "\x00",
    "\ufeff",
    "é",
    "null",
    "true",
    "[]",
    "{}",
    "-5000",
    "1e308",
    '{"a": [1, 2]}',
    "Z",
    "2024-06-01T05:30:00",
    "2024-06-01T05:30:00+25:00",
]
JSON_VALUES = [
    "null",
    "true",
    "-1",
    "0",
    "1e999",
    '"x"',
    '"2024-02-30T00:00:00Z"',
    "[]",
    "{}",
    "12345678901234567890123",
    '"NaN"',
    "-1e308",
    '"1,5"',
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
]
_JSON_VALUE = re.compile(rb'(?<=: )("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null)')


def _byte_edit(data: bytes, rnd: random.Random) -> bytes:
    i = rnd.randrange(len(data) + 1)
    op = rnd.randrange(3)
    if op == 0:
        return data[:i] + bytes([rnd.randrange(256)]) + data[i + 1 :]
    if op == 1:
        return data[:i] + bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 4))) + data[i:]
    return data[:i] + data[i + rnd.randint(1, 40) :]


def _line_edit(data: bytes, rnd: random.Random) -> bytes:
    lines = data.split(b"\n")
    i, j = rnd.randrange(len(lines)), rnd.randrange(len(lines))
    op = rnd.randrange(5)
    if op == 0:
        del lines[i]
    elif op == 1:
        lines.insert(i, lines[j])
    elif op == 2:
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 3:
        lines[i] = rnd.choice(TOKENS).encode("utf-8")
    else:
        lines = lines[:i]
    return b"\n".join(lines)


def _field_edit(data: bytes, rnd: random.Random) -> bytes:
    if data.lstrip().startswith(b"["):
        spans = [m.span() for m in _JSON_VALUE.finditer(data)]
        if not spans:
            return data
        a, b = rnd.choice(spans)
        return data[:a] + rnd.choice(JSON_VALUES).encode() + data[b:]
    lines = data.split(b"\n")
    i = rnd.randrange(len(lines))
    sep = b";" if lines[i].count(b";") > lines[i].count(b",") else b","
    fields = lines[i].split(sep)
    k = rnd.randrange(len(fields))
    token = rnd.choice(TOKENS).encode("utf-8")
    fields[k] = b'"' + token + b'"' if rnd.random() < 0.5 and b'"' not in token else token
    lines[i] = sep.join(fields)
    return b"\n".join(lines)


def mutate(data: bytes, rnd: random.Random) -> bytes:
    """1-3 random edits of ``data`` (weighted towards field edits, which reach the parsers)."""
    for _ in range(rnd.randint(1, 3)):
        edit = rnd.choices((_field_edit, _line_edit, _byte_edit), weights=(5, 2, 2))[0]
        data = edit(data, rnd)
    return data


def write_corpus(per_format: int = 6, seed: int = 20240601) -> None:
    """Regenerate the corpus; expected.json records each file's outcome (ok or the error's place)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    from t2pump.errors import InputRangeError  # noqa: PLC0415 - script-only import
    from t2pump.io import read_bytes  # noqa: PLC0415

    CORPUS.mkdir(exist_ok=True)
    for old in CORPUS.iterdir():
        old.unlink()
    expected: dict[str, str] = {}
    for prefix, (fmt, seed_name) in SEEDS.items():
        rnd = random.Random(f"{seed}:{prefix}")
        data = (FIXTURES / seed_name).read_bytes()
        for n in range(per_format):
            name = f"{prefix}-{n:02d}{Path(seed_name).suffix}"
            mutated = mutate(data, rnd)
            (CORPUS / name).write_bytes(mutated)
            try:
                read_bytes(mutated, name, fmt)
                expected[name] = "ok"
            except InputRangeError as exc:
                expected[name] = "error at " + exc.field.removeprefix(name + ":")
    (CORPUS / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    write_corpus()
