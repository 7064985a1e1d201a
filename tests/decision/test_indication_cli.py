"""``t2pump indication PATIENT.json [--json] [--lang fr|en]``: exit 0 on a decision, 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from patient_fixtures import BASELINE_PATH, vary

from t2pump.cli.app import main
from t2pump.decision.rules import Decision, replay


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def _write(tmp_path: Path, data: Any, name: str = "patient.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_text_output_in_english(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["indication", str(BASELINE_PATH)], capsys)
    assert code == 0
    assert err == ""
    assert "Status: ELIGIBLE" in out
    assert "[T2D-IND-OPT2MISE-PHENOTYPE]" in out
    assert "Sources:" in out
    assert "Lancet 2014;384(9950):1265-72" in out
    assert "t2pump.t2d-pump-indication 1.0.0" in out
    assert out.count("not a prescription") == 2  # at the top and at the end


def test_text_output_in_french(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["indication", str(BASELINE_PATH), "--lang", "fr"], capsys)
    assert code == 0
    assert "Statut : ÉLIGIBLE" in out
    assert "HbA1c 9,1 %" in out
    assert "pas une prescription" in out


def test_json_output_is_a_replayable_decision(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["indication", str(BASELINE_PATH), "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["status"] == "eligible"
    assert "not a prescription" in data["disclaimer"]["en"]
    assert "pas une prescription" in data["disclaimer"]["fr"]
    decision = Decision.from_json(out)
    assert replay(decision) == decision


def test_insufficient_data_is_a_decision_and_names_the_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, vary(hba1c=None))
    code, out, _ = _run(["indication", str(path)], capsys)
    assert code == 0
    assert "Status: INSUFFICIENT DATA" in out
    assert "Data needed for the decision:\n  - hba1c" in out


def test_not_eligible_lists_the_contraindication(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, vary(conditions__proliferative_retinopathy_untreated=True))
    code, out, _ = _run(["indication", str(path), "--lang", "en"], capsys)
    assert code == 0
    assert "Status: NOT ELIGIBLE" in out
    assert "Contraindications:\n  - [T2D-CI-PROLIFERATIVE-RETINOPATHY]" in out


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"sex": "male", "pregnant": True}, "pregnant: got True, expected false or null for sex 'male'"),
        ({"weight_kg": 15}, "weight_kg: got 15, expected a number in [30, 350] kg (adult)"),
        ({"hba1c": {"value": 91, "unit": "%"}}, "hba1c.value: got 91, expected a number in [3, 20] %"),
    ],
)
def test_bad_input_exits_2_naming_file_field_value_and_expectation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], changes: dict[str, Any], expected: str
) -> None:
    path = _write(tmp_path, vary(**changes), "bad.json")
    code, out, err = _run(["indication", str(path)], capsys)
    assert code == 2
    assert out == ""
    assert err.startswith(f"t2pump: error: {path}: ")
    assert expected in err
    assert err.count("\n") == 1


def test_invalid_json_and_absent_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    code, _, err = _run(["indication", str(broken)], capsys)
    assert code == 2
    assert "broken.json: (line 1, column 2)" in err
    code, _, err = _run(["indication", str(tmp_path / "absent.json")], capsys)
    assert code == 2
    assert "absent.json" in err


def test_unknown_language_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["indication", str(BASELINE_PATH), "--lang", "de"], capsys)
    assert code == 2
    assert "--lang: got 'de', expected one of 'en', 'fr'" in err
