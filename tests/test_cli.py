"""The command line: the acceptance command, JSON output, errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import read_csv
from t2pump.cli.app import main


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.reference
def test_iob_json_prints_oref0_values(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        ["iob", "--curve", "rapid-acting", "--dia-h", "5", "--dose", "1", "--at", "0,30,60,120", "--json"],
        capsys,
    )
    assert code == 0
    rows = json.loads(out)
    expected = {
        int(r["t_min"]): (float(r["iob"]), float(r["activity"]))
        for r in read_csv("oref0/oref0_iob_vectors.csv")
        if r["curve"] == "rapid-acting"
    }
    assert [r["t_min"] for r in rows] == [0, 30, 60, 120]
    for r in rows:
        assert (r["iob"], r["activity"]) == expected[r["t_min"]]


def test_iob_custom_peak_is_clamped_and_said(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(
        ["iob", "--curve", "ultra-rapid", "--peak-min", "20", "--dose", "1", "--at", "60"], capsys
    )
    assert code == 0
    assert "clamped to 35 min" in err
    assert "0.471" in out  # the ultra-rapid curve at its 35-min minimum peak, 60 min after 1 U


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["iob", "--dose", "-1"], "--dose"),
        (["iob", "--dose", "abc"], "dose"),
        (["iob", "--at", "0,x"], "--at"),
        (["iob", "--curve", "linear"], "curve"),
        (
            ["bolus", "--carbs", "50", "--isf", "30", "--target-low", "100", "--target-high", "120"],
            "--carb-ratio",
        ),
        (
            [
                "bolus",
                "--carbs",
                "5000",
                "--carb-ratio",
                "5",
                "--isf",
                "30",
                "--target-low",
                "100",
                "--target-high",
                "120",
            ],
            "carbs_g",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(args, capsys)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_bolus_json_breakdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        [
            "bolus",
            "--carbs",
            "90",
            "--glucose",
            "220",
            "--carb-ratio",
            "6",
            "--isf",
            "25",
            "--target-low",
            "100",
            "--target-high",
            "120",
            "--bolus-iob",
            "3",
            "--basal-iob",
            "0.5",
            "--trend",
            "3",
            "--policy",
            "aaps-additive",
            "--pump",
            "insulet_omnipod_5",
            "--json",
        ],
        capsys,
    )
    assert code == 0
    data = json.loads(out)
    assert data["recommended_u"] == pytest.approx(15.85)
    assert {c["name"] for c in data["components"]} >= {"food", "correction", "trend", "iob"}


def test_bolus_from_json_file_with_schedules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "meal.json"
    f.write_text(
        json.dumps(
            {
                "time_min": 720,
                "carbs_g": 120,
                "glucose": 13.0,
                "unit": "mmol/L",
                "carb_ratio": [["00:00", 6], ["11:00", 4]],
                "isf": 1.5,
                "target_low": 5.5,
                "target_high": 7.0,
                "pump": "roche_accuchek_insight",
                "pump_max_bolus_u": 50,
            }
        )
    )
    code, out, _ = _run(["bolus", "--input", str(f)], capsys)
    assert code == 0
    assert "CONFIRMATION REQUIRED" in out  # 30 U + 4 U correction > 25 U
    assert "34.00 U" in out


def test_bolus_json_file_errors_name_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "bad.json"
    f.write_text(
        '{"carbs_g": 50, "carb_ratio": 5, "isf": 30, "target_low": 100, "target_high": 120, "cabrs": 1}'
    )
    code, _, err = _run(["bolus", "--input", str(f)], capsys)
    assert code == 2
    assert "bad.json:cabrs" in err
    f.write_text('{"carbs_g": 50,\n "carb_ratio": }')
    code, _, err = _run(["bolus", "--input", str(f)], capsys)
    assert code == 2
    assert "bad.json:2" in err


@pytest.mark.scenario
def test_demo_runs_a_day(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["demo", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert len(data["hours"]) == 24
    assert data["totals"]["basal_delivered_u"] < data["totals"]["scheduled_basal_u"]  # the walk's 50 % temp
    assert any(e["kind"] == "temp_basal_started" for e in data["events"])
    assert "not a medical device" in data["disclaimer"]


@pytest.mark.parametrize(("option", "value"), [("--unit", "mg"), ("--policy", "loop")])
def test_unknown_names_list_the_accepted_ones(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base = [
        "bolus",
        "--carbs",
        "50",
        "--carb-ratio",
        "5",
        "--isf",
        "30",
        "--target-low",
        "100",
        "--target-high",
        "120",
    ]
    code, _, err = _run([*base, option, value], capsys)
    assert code == 2
    assert value in err
    assert len(err.strip().splitlines()) == 1
