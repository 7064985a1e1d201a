"""The starting-settings and titration rules as data (``data/settings_titration.toml``).

Each rule has an id, its values, a citation and whether the values were verified at the cited
source. Outputs quote the rule id, the citation and the rule-set version, so that a suggestion can
be traced and replayed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from t2pump.errors import InputRangeError

__all__ = ["RULE_SET_VERSION", "Rule", "rule"]

_FILE = "data/settings_titration.toml"


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of the data file: its id, values, citation and verification status."""

    rule_id: str
    values: Mapping[str, Any]
    citation: str
    verified: bool
    note: str = ""

    def number(self, key: str) -> float:
        return float(self.values[key])

    def pair(self, key: str) -> tuple[float, float]:
        lo, hi = self.values[key]
        return float(lo), float(hi)

    @property
    def provenance(self) -> str:
        """The citation, marked when the values were not verified at the source."""
        return self.citation if self.verified else f"{self.citation} [not verified at the source]"


@cache
def _load() -> tuple[str, dict[str, Rule]]:
    text = resources.files("t2pump.decision").joinpath(_FILE).read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    rules = {}
    for rule_id, body in raw["rules"].items():
        values = {k: v for k, v in body.items() if k not in ("citation", "verified", "note")}
        rules[rule_id] = Rule(
            rule_id,
            values,
            " ".join(str(body["citation"]).split()),
            bool(body["verified"]),
            body.get("note", ""),
        )
    return str(raw["version"]), rules


def rule(rule_id: str) -> Rule:
    """The rule ``rule_id`` of the packaged rule set."""
    rules = _load()[1]
    if rule_id not in rules:
        raise InputRangeError("rule_id", rule_id, "one of " + ", ".join(sorted(rules)))
    return rules[rule_id]


RULE_SET_VERSION = _load()[0]
