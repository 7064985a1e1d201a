"""LoopKit's exponential insulin model against LoopKit's own test figures.

Fixtures: tests/fixtures/loopkit (LoopKit/LoopKit 2f535b3c; figures only, see PROVENANCE.md).
Tolerance: LoopKit's tests allow about 1.2e-7 per IOB value (testIOBFromBolusExponential) and 1e-3
for the limits test; we ask for 1e-9, since the closed form is the same and only float order differs.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from conftest import read_json
from t2pump.insulin.curves import ExponentialInsulinModel, LoopKitPreset, loopkit_preset
from t2pump.insulin.iob import iob_from_doses

pytestmark = pytest.mark.reference


def _minutes(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() / 60.0


def test_iob_from_bolus_exponential() -> None:
    fx = read_json("loopkit/iob_from_bolus_exponential.json")
    m = fx["model"]
    model = ExponentialInsulinModel(m["action_duration_min"], m["peak_min"], m["delay_min"])
    start = _minutes(fx["dose"]["start"])
    times = np.array([_minutes(p["date"]) for p in fx["expected"]])
    expected = np.array([p["iob_u"] for p in fx["expected"]])
    iob, _ = iob_from_doses([start], [fx["dose"]["units"]], model, times)
    assert len(expected) == 76
    np.testing.assert_allclose(iob, expected, atol=1e-9)


def test_percent_effect_remaining_limits() -> None:
    fx = read_json("loopkit/percent_effect_remaining.json")
    for case in fx["cases"]:
        model = ExponentialInsulinModel(case["action_duration_min"], case["peak_min"], case["delay_min"])
        assert float(model.iob_fraction(case["t_min"])) == pytest.approx(case["expected"], abs=1e-9)


def test_presets_match_loopkit() -> None:
    fx = read_json("loopkit/presets.json")["presets"]
    for preset in LoopKitPreset:
        model = loopkit_preset(preset)
        ref = fx[preset.value]
        assert (model.action_duration_min, model.peak_min, model.delay_min) == (
            ref["action_duration_min"],
            ref["peak_min"],
            ref["delay_min"],
        )
    adult = loopkit_preset(LoopKitPreset.RAPID_ACTING_ADULT)
    assert float(adult.iob_fraction(10.0)) == 1.0  # the 10-min delay: nothing acts yet
    assert adult.duration_min == 370.0
