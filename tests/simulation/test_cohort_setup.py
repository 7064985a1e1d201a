"""Named cohorts end to end: chunking independence, CLI summary and trace output."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from t2pump.behaviour import draw_days, to_minute_grid
from t2pump.cli.app import main
from t2pump.errors import InputRangeError
from t2pump.physiology.sensitivity_variation import SensitivityVariation
from t2pump.simulation.cohort_run import CohortInputs, simulate_cohort
from t2pump.simulation.cohort_setup import prepare_cohort_run, summarise
from t2pump.simulation.trace_io import decisions_path, load_trace


@pytest.mark.property
@pytest.mark.parametrize("arm", ["pump", "mdi"])
def test_a_patient_is_the_same_in_any_chunk_of_the_cohort(arm: str) -> None:
    whole = prepare_cohort_run("opt2mise", 6, 2, arm, seed=11).run()
    chunk = prepare_cohort_run("opt2mise", 2, 2, arm, seed=11, first_index=3).run()
    assert chunk.patients == whole.patients[3:5]
    for name, signal in chunk.signals.items():
        np.testing.assert_array_equal(signal, whole.signals[name][3:5], err_msg=name)


@pytest.mark.scenario
def test_cli_cohort_json_summary_and_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "trace.parquet"
    code = main(
        [
            "simulate",
            "--cohort",
            "opt2mise",
            "--patients",
            "3",
            "--days",
            "1",
            "--therapy",
            "pump",
            "--seed",
            "5",
            "--out",
            str(out),
            "--json",
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert [set(p) for p in data["patients"]] == [
        {
            "patient",
            "mean_glucose_mgdl",
            "time_in_range_70_180_pct",
            "total_daily_dose_u",
            "capped_boluses",
            "capped_decisions",
            "time_below_70_pct",
            "time_below_54_pct",
            "time_above_250_pct",
        }
    ] * 3
    trace = load_trace(out)
    assert trace.signals["bg_plasma"].shape == (3, 288)
    assert trace.decisions is not None  # the decision log, saved beside the trace
    assert decisions_path(out).exists()
    assert set(trace.decisions["patient"].tolist()) <= {0, 1, 2}
    # the summary is computed from the trace it wrote
    assert data["patients"][0]["mean_glucose_mgdl"] == pytest.approx(
        trace.signals["bg_plasma"][0].mean(), abs=0.05
    )
    bg = trace.signals["bg_plasma"]
    for row, g in zip(data["patients"], bg, strict=True):  # consensus ranges, strict inequalities
        assert row["time_below_70_pct"] == pytest.approx(100 * np.mean(g < 70), abs=0.05)
        assert row["time_below_54_pct"] == pytest.approx(100 * np.mean(g < 54), abs=0.05)
        assert row["time_above_250_pct"] == pytest.approx(100 * np.mean(g > 250), abs=0.05)
        assert row["time_in_range_70_180_pct"] == pytest.approx(
            100 * np.mean((g >= 70) & (g <= 180)), abs=0.05
        )
    capped = [int(c) for c in trace.signals["bolus_capped"].sum(axis=1)]
    assert [p["capped_boluses"] for p in data["patients"]] == capped
    warm_up = trace.t_min < 120  # Dexcom G6 warm-up (2 h from insertion at t = 0): no CGM readings
    assert np.all(np.isnan(trace.signals["cgm"][:, warm_up]))


def test_cli_unknown_cohort_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--cohort", "optimise", "--patients", "2"]) == 2
    assert "opt2mise" in capsys.readouterr().err


@pytest.mark.property
def test_streaming_behaviour_day_by_day_equals_the_whole_run_grid() -> None:
    run = prepare_cohort_run("opt2mise", 4, 3, "mdi", seed=21)
    cohort = run.cohort
    events = draw_days(cohort.meals, cohort.adherence, cohort.activity, 3, cohort.seeds)
    grid = to_minute_grid(events, 3 * 1440)
    whole = CohortInputs(
        grid["carbs_g_per_min"],
        grid["bolus_carbs_g"],
        basal_taken=events.basal_taken[:, :, None],
        seeds=cohort.seeds,
        activity_intensity=grid["activity_intensity"],
    )
    streamed = simulate_cohort(run.model, run.therapy, run.inputs, cgm=run.cgm)
    full = simulate_cohort(run.model, run.therapy, whole, cgm=run.cgm)
    for name, signal in streamed.signals.items():
        np.testing.assert_array_equal(signal, full.signals[name], err_msg=name)


@pytest.mark.property
def test_sensor_errors_made_day_by_day_give_the_run_of_the_whole_horizons_errors() -> None:
    # A named cohort's run makes its CGM errors a day at a time (SeededCgmErrors); given the same
    # errors computed for the whole horizon at once, the run is the same to the last bit.
    run = prepare_cohort_run("opt2mise", 5, 3, "pump", seed=4)
    streamed = run.run()
    whole = simulate_cohort(
        run.model, run.therapy, run.inputs, cgm=run.cgm.errors(), sensitivity=SensitivityVariation()
    )
    assert np.any(np.isfinite(streamed.signals["cgm"]))
    for name, signal in streamed.signals.items():
        np.testing.assert_array_equal(signal, whole.signals[name], err_msg=name)
    with pytest.raises(InputRangeError, match=r"cgm\.n_samples"):
        simulate_cohort(run.model, run.therapy, run.inputs, cgm=run.cgm.errors().window(0, 500))


def test_the_summary_shows_each_capped_bolus_with_what_the_wizard_saw_and_asked() -> None:
    run = prepare_cohort_run("opt2mise", 6, 2, "pump", seed=5)
    assert run.therapy is not None
    therapy = dataclasses.replace(run.therapy, patient_max_bolus_u=np.full(6, 5.0))
    trace = simulate_cohort(run.model, therapy, run.inputs, cgm=run.cgm)
    rows = summarise(trace, 2)
    assert sum(r["capped_boluses"] for r in rows) > 0
    for r in rows:
        capped = r["capped_decisions"]
        assert len(capped) == r["capped_boluses"]
        for d in capped:
            assert d["requested_u"] > 5.0
            assert d["dose_u"] == 5.0
            assert d["limits"] == ["patient_max"]
    text = json.dumps(rows)  # JSON-ready, as the CLI prints it
    assert "patient_max" in text


def test_the_text_summary_numbers_days_from_one(capsys: pytest.CaptureFixture[str]) -> None:
    # as the AGP report does ("Day 1"): a capped bolus on the first day is on "day 1"
    assert main(["simulate", "--cohort", "opt2mise", "--patients", "20", "--days", "1", "--seed", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    capped = [line.strip() for line in lines if line.startswith("    day ")]
    assert capped
    assert all(line.startswith("day 1 ") for line in capped)
    assert all("below 70" in line for line in lines if line.startswith("  opt2mise-"))
