"""Properties of titration over random traces and programs (Hypothesis).

1. After any level-2 hypoglycaemia (>= 15 min < 54 mg/dL on CGM) no suggestion gives more insulin:
   no basal rate or meal bolus goes up, no carb ratio or correction factor goes down.
2. Every suggested basal rate and meal bolus is within the patient's and the pump's limits, on the
   pump's increments, and at most 20 % from the current value, plus less than one increment when a
   decrease is rounded down (therapy.limits rounds every dose down).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_titration import make_trace

from t2pump.decision.settings import MdiSummary, PumpProgram, Scheme, SettingsOptions, starting_settings
from t2pump.decision.titration import BasalAlgorithm, suggest_titration
from t2pump.devices.envelope import load_envelopes

MODELS = sorted(load_envelopes())


@st.composite
def programs(draw: st.DrawFn) -> PumpProgram:
    mdi = MdiSummary(
        draw(st.floats(8.0, 120.0)),
        draw(st.floats(8.0, 120.0)),
        hba1c_percent=9.0,
        below_70_percent=0.0,
        pregnant=draw(st.booleans()),
    )
    options = SettingsOptions(draw(st.sampled_from(MODELS)), scheme=draw(st.sampled_from(list(Scheme))))
    return starting_settings(mdi, options).program


traces = st.fixed_dictionaries(
    {
        "days": st.integers(3, 8),
        "base": st.floats(80.0, 220.0),
        "fasting": st.floats(70.0, 300.0),
        "post_meal": st.floats(70.0, 320.0),
        "corrections": st.lists(
            st.tuples(
                st.integers(0, 2), st.floats(1.0, 8.0), st.floats(150.0, 300.0), st.floats(60.0, 300.0)
            ),
            max_size=4,
        ),
    }
)


def _changes(before: PumpProgram, after: PumpProgram) -> list[float]:
    """Signed changes of insulin: > 0 means more insulin."""
    out = [b - a for a, b in zip(before.basal.values, after.basal.values, strict=True)]
    out += [b - a for a, b in zip(before.meal_bolus_u or (), after.meal_bolus_u or (), strict=True)]
    if before.carb_ratio is not None and after.carb_ratio is not None:
        out += [before.carb_ratio.scalar_at(t) - after.carb_ratio.scalar_at(t) for t in range(0, 1440, 30)]
    out.append(before.isf_mgdl_per_u - after.isf_mgdl_per_u)
    return out


def _trace_args(raw: dict[str, object]) -> dict[str, object]:
    corrections = [(d * 1440.0 + 1400.0, dose, g0, g1) for d, dose, g0, g1 in raw["corrections"]]  # type: ignore[attr-defined]
    return {**raw, "corrections": corrections}


@pytest.mark.property
@settings(max_examples=80, deadline=None)
@given(
    program=programs(),
    raw=traces,
    algorithm=st.sampled_from(list(BasalAlgorithm)),
    dip_start=st.floats(0.0, 1.0),
    dip=st.tuples(st.floats(20.0, 90.0), st.floats(30.0, 53.0)),
)
def test_no_dose_increases_after_a_level_2_hypoglycaemia(
    program: PumpProgram,
    raw: dict[str, object],
    algorithm: BasalAlgorithm,
    dip_start: float,
    dip: tuple[float, float],
) -> None:
    args = _trace_args(raw)
    end = int(raw["days"]) * 1440.0  # type: ignore[call-overload]
    first = max(0.0, end - 7.0 * 1440.0) + 10.0  # inside the 7 analysed days
    start = round((first + dip_start * (end - 120.0 - first)) / 5.0) * 5.0
    trace = make_trace(**args, dips=[(start, dip[0], dip[1])])  # type: ignore[arg-type]
    r = suggest_titration(trace, program, algorithm=algorithm)
    assert r.level2_events
    assert all(s.direction <= 0 for s in r.suggestions)
    assert all(change <= 1e-9 for change in _changes(r.current, r.program))


@pytest.mark.property
@settings(max_examples=80, deadline=None)
@given(program=programs(), raw=traces, algorithm=st.sampled_from(list(BasalAlgorithm)))
def test_suggestions_stay_within_limits_increments_and_the_maximum_step(
    program: PumpProgram, raw: dict[str, object], algorithm: BasalAlgorithm
) -> None:
    r = suggest_titration(make_trace(**_trace_args(raw)), program, algorithm=algorithm)  # type: ignore[arg-type]
    env = load_envelopes()[program.pump_model]
    device = program.device()
    for old, new in zip(program.basal.values, r.program.basal.values, strict=True):
        assert new <= device.max_basal_u_per_h + 1e-9
        assert env.basal_increments.is_valid(new)
        assert abs(new - old) <= 0.2 * old + env.basal_increments.step_at(old) + 1e-9
    for old, new in zip(program.meal_bolus_u or (), r.program.meal_bolus_u or (), strict=True):
        assert new <= device.max_bolus_u + 1e-9
        assert env.bolus_increments.is_valid(new)
        assert abs(new - old) <= 0.2 * old + env.bolus_increments.step_at(old) + 1e-9
    device.set_pattern("titrated", r.program.basal)  # the pump engine accepts the new program
