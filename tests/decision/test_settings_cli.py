"""``t2pump settings from-mdi``: text and JSON output, the SETTINGS file, bad input with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from patient_fixtures import BASELINE_PATH, vary

from t2pump.cli.app import main


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def _write(tmp_path: Path, record: dict[str, object]) -> Path:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def test_settings_json_for_the_baseline_patient(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        [
            "settings",
            "from-mdi",
            str(BASELINE_PATH),
            "--pump",
            "insulet_omnipod_5",
            "--json",
            "--scheme",
            "fixed",
        ],
        capsys,
    )
    assert code == 0
    data = json.loads(out)
    assert data["format"] == "t2pump.settings/1"
    assert data["disclaimer"]["fr"] == "Aide à la décision pour un clinicien, pas une prescription."
    assert data["program"]["meal_bolus_u"] == {"breakfast": 18.0, "lunch": 18.0, "dinner": 18.0}
    assert data["pump_fit"]["reservoir_days"] == pytest.approx(200.0 / 108.0, abs=0.01)
    assert {p["model_id"] for p in data["other_pumps"]} >= {"medtronic_minimed_780g", "tandem_tslim_x2"}


def test_text_output_shows_reasons_sources_and_the_disclaimer(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        ["settings", "from-mdi", str(BASELINE_PATH), "--pump", "tandem_tslim_x2", "--reduction", "20"], capsys
    )
    assert code == 0
    assert "not a prescription" in out
    assert "reduced by 20 % [settings.tdd.override" in out
    assert "Carb ratio: 00:00 5.8 g/U" in out  # 500 / (108 x 0.8)
    assert "Sources:" in out


def test_out_writes_the_settings_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_path = tmp_path / "settings.json"
    code, _, _ = _run(
        [
            "settings",
            "from-mdi",
            str(BASELINE_PATH),
            "--pump",
            "medtronic_minimed_780g",
            "--out",
            str(out_path),
        ],
        capsys,
    )
    assert code == 0
    assert (
        json.loads(out_path.read_text(encoding="utf-8"))["program"]["pump_model"] == "medtronic_minimed_780g"
    )


@pytest.mark.parametrize(
    ("extra", "record", "message"),
    [
        (["--reduction", "30"], None, "reduction_percent: got 30.0"),
        (["--basal-fraction", "0.7"], None, "basal_fraction: got 0.7"),
        (["--carb-rule", "300"], None, "carb_rule: got 300.0, expected 450 or 500"),
        (["--scheme", "sliding"], None, "scheme"),
        ([], {"mdi": None}, "mdi.basal"),
        ([], {"weight_kg": 15}, "weight_kg: got 15"),
    ],
)
def test_bad_input_exits_2_naming_the_field(
    extra: list[str],
    record: dict[str, object] | None,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = BASELINE_PATH if record is None else _write(tmp_path, vary(**record))
    code, _, err = _run(
        ["settings", "from-mdi", str(path), "--pump", "medtronic_minimed_780g", *extra], capsys
    )
    assert code == 2
    assert message in err


def test_unknown_pump_and_missing_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["settings", "from-mdi", str(BASELINE_PATH), "--pump", "pump9000"], capsys)
    assert code == 2
    assert "--pump: got 'pump9000', expected one of" in err
    missing = tmp_path / "nope.json"
    code, _, err = _run(["settings", "from-mdi", str(missing), "--pump", "tandem_tslim_x2"], capsys)
    assert code == 2
    assert "nope.json" in err
