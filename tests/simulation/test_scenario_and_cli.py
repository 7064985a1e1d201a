"""Scenario files and ``t2pump simulate``: errors name file, line and field; JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURES
from t2pump.cli.app import main
from t2pump.errors import InputRangeError
from t2pump.simulation.scenario import read_scenario_csv


def test_rates_are_held_until_the_next_row(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_text("t_min,carbs_g_per_min,insulin_u_per_min\n0,0,0.02\n10,45,1.02\n11,0,0.02\n")
    cho, ins = read_scenario_csv(f, 20)
    assert cho.tolist() == [0.0] * 10 + [45.0] + [0.0] * 9
    assert ins[10] == pytest.approx(1.02)
    assert ins[19] == pytest.approx(0.02)


@pytest.mark.parametrize(
    ("body", "where", "expected"),
    [
        ("t_min,carbs,insulin\n0,0,0\n", ":1", "header"),
        ("t_min,carbs_g_per_min,insulin_u_per_min\n5,0,0\n", ":2:t_min", "0 (the first row"),
        ("t_min,carbs_g_per_min,insulin_u_per_min\n0,0,0\n0,1,0\n", ":3:t_min", "a minute after 0"),
        ("t_min,carbs_g_per_min,insulin_u_per_min\n0,-1,0\n", ":2:carbs_g_per_min", "[0, 400]"),
        ("t_min,carbs_g_per_min,insulin_u_per_min\n0,0,nan\n", ":2:insulin_u_per_min", "[0, 75]"),
        ("t_min,carbs_g_per_min,insulin_u_per_min\n0,0,abc\n", ":2:insulin_u_per_min", "a number"),
        ("t_min,carbs_g_per_min,insulin_u_per_min\n0.5,0,0\n", ":2:t_min", "a whole minute"),
        ("t_min,carbs_g_per_min,insulin_u_per_min\n0,0\n", ":2", "3 fields"),
    ],
)
def test_bad_scenarios_name_file_line_and_field(tmp_path: Path, body: str, where: str, expected: str) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(body)
    with pytest.raises(InputRangeError) as err:
        read_scenario_csv(f, 60)
    assert f"bad.csv{where}" in str(err.value)
    assert expected in str(err.value)


@pytest.mark.reference
def test_simulate_json_prints_plasma_glucose_every_minute(capsys: pytest.CaptureFixture[str]) -> None:
    scenario = FIXTURES / "simglucose" / "scenario_adult001.csv"
    code = main(
        [
            "simulate",
            "--model",
            "uva-padova-2008",
            "--patient",
            "adult#001",
            "--scenario",
            str(scenario),
            "--json",
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["t_min"][:3] == [0, 1, 2]
    assert len(data["bg_mgdl"]) == 1441
    assert data["bg_mgdl"][0] == pytest.approx(138.56)  # adult#001 basal glucose Gb (simglucose table)


def test_simulate_unknown_patient_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    scenario = FIXTURES / "simglucose" / "scenario_adult001.csv"
    code = main(["simulate", "--patient", "adult#099", "--scenario", str(scenario)])
    assert code == 2
    assert "adult#099" in capsys.readouterr().err
