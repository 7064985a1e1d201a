"""Shared test helpers: fixtures live in tests/fixtures with their provenance."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def read_csv(relative: str) -> list[dict[str, str]]:
    with (FIXTURES / relative).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def read_json(relative: str) -> Any:
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))
