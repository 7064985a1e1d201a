"""The baseline patient record every decision test starts from, and a way to vary it.

``patient_baseline.json`` is the OpT2mise phenotype (Reznik 2014: HbA1c 8-12 % after MDI
optimisation, 0.7-1.8 U/kg/day, >= 3 injections/day for >= 3 months) and the Caen real-life
cohort's mean patient (Diabetes Care 2016;39:e74: 58 y, BMI 33, HbA1c 9.0 %, 1.2 U/kg): a
58-year-old woman, 98 kg, 170 cm (BMI 33.9), HbA1c 9.1 % on 108 U/day (1.10 U/kg/day) by four
injections a day for 2 years, every capacity item and contraindication assessed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

BASELINE_PATH = Path(__file__).parent / "patient_baseline.json"


def baseline() -> dict[str, Any]:
    """A fresh copy of the baseline record (JSON data)."""
    data: dict[str, Any] = json.loads(BASELINE_PATH.read_text(encoding="utf-8"))
    return data


def vary(**changes: Any) -> dict[str, Any]:
    """The baseline with fields changed; ``"a.b"`` keys (as ``a__b``) reach into objects; None deletes."""
    data = copy.deepcopy(baseline())
    for key, value in changes.items():
        parts = key.split("__")
        target = data
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        if value is None:
            target.pop(parts[-1], None)
        else:
            target[parts[-1]] = value
    return data
