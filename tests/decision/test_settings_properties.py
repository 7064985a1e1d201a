"""Properties of the starting settings over random MDI regimens, pumps and options (Hypothesis).

1. No rate or dose exceeds the t2pump hard limits, the patient's limits or the pump's envelope; every
   rate and dose is a multiple of the pump's increment; calculator settings lie within their guardrails.
2. The 24-h basal program plus the planned boluses equals the starting TDD within rounding: rates and
   doses are rounded down, so the programmed day is short of the TDD by at least 0 and less than
   ``rounding_bound_u = sum(hours_i x basal_step_i) + meals x bolus_step`` (when no limit capped a value).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from t2pump.decision.settings import BasalProfile, MdiSummary, Scheme, SettingsOptions, starting_settings
from t2pump.devices.envelope import load_envelopes
from t2pump.therapy.limits import GUARDRAILS, TherapyLimits

MODELS = sorted(load_envelopes())
_CAPS = ("limits.basal.hard", "limits.basal.patient_max", "limits.basal.device_max", "limits.bolus.hard")
_CAPS += ("limits.bolus.patient_max", "limits.bolus.device_max")

regimens = st.builds(
    MdiSummary,
    basal_u_per_day=st.floats(5.0, 200.0),
    bolus_u_per_day=st.floats(5.0, 200.0),
    hba1c_percent=st.none() | st.floats(5.5, 14.0),
    below_70_percent=st.none() | st.floats(0.0, 15.0),
    pregnant=st.booleans(),
    age_years=st.none() | st.floats(18.0, 90.0),
)
choices = st.builds(
    SettingsOptions,
    pump_model=st.sampled_from(MODELS),
    scheme=st.sampled_from(list(Scheme)),
    reduction_percent=st.none() | st.floats(0.0, 25.0),
    basal_fraction=st.none() | st.floats(0.40, 0.55),
    basal_profile=st.sampled_from(list(BasalProfile)),
    limits=st.builds(
        TherapyLimits, max_bolus_u=st.floats(10.0, 75.0), max_basal_u_per_h=st.floats(2.0, 12.0)
    ),
)


@pytest.mark.property
@settings(max_examples=150, deadline=None)
@given(mdi=regimens, options=choices)
def test_starting_settings_never_exceed_limits_or_the_pump_envelope(
    mdi: MdiSummary, options: SettingsOptions
) -> None:
    s = starting_settings(mdi, options)
    p = s.program
    env = load_envelopes()[options.pump_model]
    lo, hi = env.basal_rate_range_u_per_h
    for rate in p.basal.values:
        assert lo - 1e-9 <= rate <= min(hi, options.limits.max_basal_u_per_h, 40.0) + 1e-9
        assert env.basal_increments.is_valid(rate)
    for dose in p.meal_bolus_u or ():
        assert 0.0 <= dose <= min(env.bolus_max_u, options.limits.max_bolus_u, 75.0) + 1e-9
        assert env.bolus_increments.is_valid(dose)
    for value, guardrail in (
        (p.isf_mgdl_per_u, "isf_mgdl_per_u"),
        (p.target_low_mgdl, "target_mgdl"),
        (p.target_high_mgdl, "target_mgdl"),
        (p.active_insulin_time_h, "active_insulin_time_h"),
        *((v, "carb_ratio_g_per_u") for v in (p.carb_ratio.values if p.carb_ratio else ())),
    ):
        low, high = GUARDRAILS[guardrail].absolute
        assert low <= value <= high
    p.device().set_pattern("check", p.basal)  # the pump engine accepts the program


@pytest.mark.property
@settings(max_examples=150, deadline=None)
@given(mdi=regimens, options=choices)
def test_basal_day_plus_planned_boluses_equals_the_starting_tdd_within_rounding(
    mdi: MdiSummary, options: SettingsOptions
) -> None:
    s = starting_settings(mdi, options)
    if any(c.rule_id in _CAPS or c.rule_id == "settings.basal.pump_minimum" for c in s.clamps):
        return  # a limit capped a value: the shortfall is shown as clamps, not rounding
    shortfall = s.starting_tdd_u - s.programmed_u_per_day
    assert -1e-9 <= shortfall < s.rounding_bound_u + 1e-9
    # the bound is what the increments allow: 24 h of the coarsest basal step plus 3 bolus steps
    env = load_envelopes()[options.pump_model]
    coarsest = max(step for _, step in env.basal_increments.bands)
    assert (
        s.rounding_bound_u
        <= 24.0 * coarsest + 3.0 * max(step for _, step in env.bolus_increments.bands) + 1e-9
    )
