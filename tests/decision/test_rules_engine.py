"""The rule set as data, the decision's JSON round trip and replay, and properties over random records."""

from __future__ import annotations

import json
import tomllib
from dataclasses import fields, replace
from importlib.resources import files
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from patient_fixtures import baseline

from t2pump.decision.indication_evaluators import EVALUATORS, State
from t2pump.decision.patient import CGM_METRIC_KEYS, Capacity, Conditions, patient_from_dict, patient_schema
from t2pump.decision.rules import (
    Decision,
    Lang,
    ReplayError,
    RuleKind,
    Status,
    evaluate,
    load_ruleset,
    replay,
)
from t2pump.errors import InputRangeError

CONTRAINDICATIONS = [f.name for f in fields(Conditions)]


# ---------------------------------------------------------------- the rule data


def test_every_rule_has_an_evaluator_and_every_evaluator_a_rule() -> None:
    rs = load_ruleset()
    assert {r.id for r in rs.rules} == set(EVALUATORS)
    assert rs.version == "1.0.0"
    assert rs.date


def test_every_rule_has_both_languages_a_citation_an_evidence_level_and_a_verification_status() -> None:
    for rule in load_ruleset().rules:
        assert rule.text.en, rule.id
        assert rule.text.fr, rule.id
        assert len(rule.citation) > 40, rule.id
        assert rule.evidence, rule.id
        assert rule.verified in {"yes", "partly", "no"}, rule.id
        for texts in (rule.criteria or {}).values():
            assert texts.en, rule.id
            assert texts.fr, rule.id
        if rule.verified != "yes":
            # a rule not fully verified says in its citation what was not
            assert any(w in rule.citation for w in ("not ", "secondary", "summar", "t2pump choice")), rule.id


def test_rule_kinds_cover_the_issue() -> None:
    kinds = {r.kind for r in load_ruleset().rules}
    assert kinds == set(RuleKind)
    blocking = {r.id for r in load_ruleset().rules if r.blocking}
    assert "T2D-CAP-CARB-ASSESSMENT" not in blocking
    assert "T2D-CAP-MOTIVATION" in blocking


def test_lpp_note_uses_the_numbers_of_the_mdi_failure_rule() -> None:
    rs = load_ruleset()
    assert rs.rule("T2D-REIMB-LPP-1131170").params == rs.rule("T2D-IND-MDI-FAILURE").params


def test_the_rule_file_is_plain_toml_in_the_package() -> None:
    text = files("t2pump.decision").joinpath("data", "rules_t2d_pump.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["ruleset"]["id"] == "t2pump.t2d-pump-indication"
    assert "not a prescription" in data["disclaimer"]["en"]


def test_unknown_rule_id_is_named() -> None:
    with pytest.raises(InputRangeError, match="rule_id: got 'T2D-NOPE'"):
        load_ruleset().rule("T2D-NOPE")


# ---------------------------------------------------------------- the patient schema


def test_schema_lists_exactly_the_fields_the_reader_accepts() -> None:
    schema = patient_schema()
    props = schema["properties"]
    assert set(schema["required"]) == {"age_years", "sex", "diabetes_type"}
    assert set(baseline()) <= set(props)
    for name in set(props) - set(schema["required"]):  # each is known to the reader (null: left out)
        patient_from_dict(baseline() | {name: None})
    assert set(props["capacity"]["properties"]) == {f.name for f in fields(Capacity)}
    assert set(props["conditions"]["properties"]) == set(CONTRAINDICATIONS)
    assert props["hba1c"]["properties"]["unit"]["enum"] == ["%", "mmol/mol"]
    assert set(props["cgm_metrics"]["properties"]) == {"id", *CGM_METRIC_KEYS}


# ---------------------------------------------------------------- JSON round trip and replay


def test_decision_json_round_trip_and_replay() -> None:
    d = evaluate(patient_from_dict(baseline()))
    text = d.to_json()
    data = json.loads(text)
    assert data["schema"] == "t2pump.decision/1"
    assert data["status"] == "eligible"
    assert data["indications_met"] == ["T2D-IND-MDI-FAILURE", "T2D-IND-OPT2MISE-PHENOTYPE"]
    assert data["ruleset"]["version"] == "1.0.0"
    assert data["inputs"]["hba1c"] == {"value": 9.1, "unit": "%", "date": "2026-10-02"}
    again = Decision.from_json(text)
    assert again == d
    assert replay(again) == d


def test_replay_refuses_altered_inputs_or_another_ruleset() -> None:
    d = evaluate(patient_from_dict(baseline()))
    data = d.to_dict()
    data["inputs"]["weight_kg"] = 70.0
    with pytest.raises(ReplayError, match="digest"):
        replay(Decision.from_dict(data))
    other = replace(load_ruleset(), version="9.9.9")
    with pytest.raises(ReplayError, match=r"1\.0\.0"):
        replay(d, other)


def test_a_decision_json_missing_parts_is_rejected() -> None:
    data = evaluate(patient_from_dict(baseline())).to_dict()
    del data["findings"]
    with pytest.raises(InputRangeError, match="decision"):
        Decision.from_dict(data)
    with pytest.raises(InputRangeError, match="schema"):
        Decision.from_dict({"schema": "other"})


def test_lang_parses_and_texts_are_chosen_by_language() -> None:
    d = evaluate(patient_from_dict(baseline()))
    assert d.summary.get("fr").startswith("Éligible")
    assert d.summary.get(Lang.EN).startswith("Eligible")


# ---------------------------------------------------------------- properties over random records


def _flag() -> st.SearchStrategy[bool | None]:
    return st.sampled_from([True, False, None])


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """Random but valid patient records around the baseline (any field may be unknown)."""
    data = baseline()
    data["age_years"] = draw(st.integers(18, 95))
    data["sex"] = draw(st.sampled_from(["female", "male"]))
    data["weight_kg"] = draw(st.floats(50, 180))
    data["height_cm"] = draw(st.floats(150, 200))
    data["diabetes_duration_years"] = draw(st.floats(11, 17))
    hba1c = draw(st.one_of(st.none(), st.floats(5.0, 14.0)))
    if hba1c is None:
        del data["hba1c"]
    elif draw(st.booleans()):
        data["hba1c"] = {"value": round((hba1c - 2.152) / 0.09148), "unit": "mmol/mol"}
    else:
        data["hba1c"] = {"value": round(hba1c, 1), "unit": "%"}
    mdi = data["mdi"]
    mdi["basal"][0]["dose_u"] = draw(st.integers(4, 150))
    mdi["bolus"] = {"product": "aspart"} | {
        meal: draw(st.integers(0, 60)) for meal in ("breakfast_u", "lunch_u", "dinner_u")
    }
    mdi["injections_per_day"] = draw(st.integers(4, 6))
    mdi["months_on_mdi"] = draw(st.integers(0, 120))
    data["smbg_per_day"] = draw(st.integers(0, 8))
    data["uses_cgm"] = draw(_flag())
    data["capacity"] = {k: draw(_flag()) for k in data["capacity"]}
    data["conditions"] = {k: draw(st.sampled_from([False, False, None, True])) for k in data["conditions"]}
    data["centre_initiateur_confirmed"] = draw(_flag())
    pregnant = data["sex"] == "female" and data["age_years"] < 45 and draw(st.booleans())
    data["pregnant"] = pregnant if pregnant or draw(st.booleans()) else None
    if data["sex"] == "male":
        data["pregnant"] = data["planning_pregnancy"] = False
    data["cgm_metrics"] = {"below_54": draw(st.floats(0, 10)), "in_range_70_180": draw(st.floats(0, 100))}
    return data


@pytest.mark.property
@settings(max_examples=80, deadline=None)
@given(records())
def test_json_round_trip_replays_the_same_decision(record: dict[str, Any]) -> None:
    d = evaluate(patient_from_dict(record))
    again = Decision.from_json(d.to_json())
    assert again == d
    assert replay(again) == d


@pytest.mark.property
@settings(max_examples=80, deadline=None)
@given(records(), st.sampled_from(CONTRAINDICATIONS))
def test_adding_a_contraindication_never_makes_a_patient_eligible(
    record: dict[str, Any], condition: str
) -> None:
    before = evaluate(patient_from_dict(record))
    record["conditions"][condition] = True
    after = evaluate(patient_from_dict(record))
    assert after.status is Status.NOT_ELIGIBLE
    assert before.status is not Status.ELIGIBLE or after.status is not Status.ELIGIBLE


@pytest.mark.property
@settings(max_examples=80, deadline=None)
@given(records())
def test_status_and_missing_fields_agree_and_every_output_has_the_disclaimer(record: dict[str, Any]) -> None:
    d = evaluate(patient_from_dict(record))
    assert (d.status is Status.INSUFFICIENT_DATA) == bool(d.missing_fields)
    if d.status is Status.ELIGIBLE:
        assert d.indications_met
        assert not d.contraindications
        assert not [f for f in d.capacity_gaps if f.blocking]
    for name in d.missing_fields:
        assert any(name in f.missing for f in d.findings if f.state is State.MISSING)
    assert "not a prescription" in d.disclaimer.en
    assert "pas une prescription" in d.disclaimer.fr
    for f in d.findings:  # every text was written in both languages
        assert f.text.en
        assert f.text.fr
        assert "{" not in f.text.en
        assert "{" not in f.text.fr
