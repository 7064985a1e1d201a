"""``t2pump titrate``: a Parquet trace or device exports, a SETTINGS file, exit code 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from patient_fixtures import BASELINE_PATH
from test_titration import make_trace

from t2pump.cli.app import main
from t2pump.decision.patient import load_patient
from t2pump.decision.settings import Scheme, SettingsOptions, mdi_summary, starting_settings
from t2pump.simulation.trace_io import save_trace

EXPORTS = Path(__file__).parents[1] / "fixtures" / "exports"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    """A SETTINGS file (baseline patient, 780G, fixed scheme) and a 7-day Parquet trace."""
    mdi = mdi_summary(load_patient(BASELINE_PATH))
    settings = tmp_path / "settings.json"
    result = starting_settings(mdi, SettingsOptions("medtronic_minimed_780g", scheme=Scheme.FIXED))
    settings.write_text(json.dumps(result.to_dict()), encoding="utf-8")
    trace = tmp_path / "trace.parquet"
    save_trace(make_trace(fasting=180.0, post_meal=230.0), trace)
    return settings, trace


def test_titrate_a_simulated_trace_and_feed_the_result_back(
    files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, trace = files
    code, out, _ = _run(["titrate", str(trace), "--settings", str(settings), "--json"], capsys)
    assert code == 0
    report = json.loads(out)
    assert report["algorithm"] == "davies-2005"
    changes = {s["setting"]: (s["current"], s["suggested"]) for s in report["suggestions"]}
    assert changes["basal[00:00]"] == (2.25, 2.3)
    assert changes["meal_bolus[lunch]"] == (18.0, 19.8)
    again = tmp_path / "titrated.json"
    again.write_text(out, encoding="utf-8")
    code, out, _ = _run(
        ["titrate", str(trace), "--settings", str(again), "--algorithm", "riddle-2003"], capsys
    )
    assert code == 0
    assert "basal[00:00]: 2.3 -> " in out
    assert "Riddle, Rosenstock & Gerich 2003" in out
    assert "not a prescription" in out


def test_titrate_device_exports_gives_one_report_per_patient(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    settings, _ = files
    code, out, _ = _run(
        ["titrate", str(EXPORTS / "iglu_two_patients.csv"), "--settings", str(settings), "--json"], capsys
    )
    assert code == 0
    reports = json.loads(out)
    assert len(reports) == 2
    assert {r["data"]["kind"] for r in reports} == {"cgm"}


def test_bad_settings_file_exits_2_naming_the_field(
    files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, trace = files
    data = json.loads(settings.read_text(encoding="utf-8"))
    del data["program"]["isf_mgdl_per_u"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = _run(["titrate", str(trace), "--settings", str(broken)], capsys)
    assert code == 2
    assert "broken.json: program.isf_mgdl_per_u: got None" in err
    code, _, err = _run(["titrate", str(trace), "--settings", str(settings), "--algorithm", "fast"], capsys)
    assert code == 2
    assert "algorithm" in err
    code, _, err = _run(
        ["titrate", str(trace), "--settings", str(settings), "--has-step", "3", "--algorithm", "has-2013"],
        capsys,
    )
    assert code == 2
    assert "step_u: got 3.0" in err
