"""``t2pump simulate``: run a patient model on a scenario and print plasma glucose."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, cast

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from t2pump.metrics import time_in_ranges
from t2pump.physiology.uva_padova import UvaPadova2008, UvaPadovaRun
from t2pump.simulation.cohort_setup import Arm, prepare_cohort_run, summarise
from t2pump.simulation.engine import DEFAULT_SUBSTEPS, Trace, run_open_loop
from t2pump.simulation.scenario import read_scenario_csv
from t2pump.simulation.trace_io import decisions_path, save_trace


class ModelName(StrEnum):
    UVA_PADOVA_2008 = "uva-padova-2008"


def simulate_scenario(
    model: ModelName, patient: str, scenario: Path, minutes: int, substeps: int = DEFAULT_SUBSTEPS
) -> Trace:
    """Open-loop run of one named patient on a scenario file (plasma glucose every minute)."""
    cho, ins = read_scenario_csv(scenario, minutes)
    params = UvaPadova2008.from_names([patient])
    run = UvaPadovaRun.start(params)
    return run_open_loop(run, params.x0, cho[None, :], ins[None, :], params.names, substeps=substeps)


def simulate_command(
    model: Annotated[
        ModelName | None, typer.Option(help="patient model, with --patient and --scenario")
    ] = None,
    patient: Annotated[str, typer.Option(help="virtual patient, e.g. adult#001")] = "adult#001",
    scenario: Annotated[Path | None, typer.Option(help="CSV t_min,carbs_g_per_min,insulin_u_per_min")] = None,
    minutes: Annotated[int, typer.Option(help="length of a scenario run [min]")] = 1440,
    cohort: Annotated[str | None, typer.Option(help="named cohort: opt2mise, new_onset_severe")] = None,
    patients: Annotated[int, typer.Option(help="number of patients in the cohort")] = 10,
    days: Annotated[int, typer.Option(help="days to simulate")] = 1,
    therapy: Annotated[Arm, typer.Option(help="pump (CSII), mdi, or none (untreated)")] = Arm.PUMP,
    seed: Annotated[int, typer.Option(help="run seed")] = 1,
    out: Annotated[Path | None, typer.Option(help="write the trace (Parquet)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    if cohort is not None:
        _cohort_command(cohort, patients, days, therapy, seed, out, as_json)
        return
    if scenario is None:
        raise typer.BadParameter("either --cohort, or --scenario (with --model)", param_hint="--scenario")
    name = model or ModelName.UVA_PADOVA_2008
    trace = simulate_scenario(name, patient, scenario, minutes)
    bg = trace.signals["bg_plasma"][0]
    if as_json:
        data: dict[str, Any] = {
            "model": name.value,
            "patient": patient,
            "signal": "plasma glucose Gp/VG (no sensor)",
            "t_min": [int(t) for t in trace.t_min],
            "bg_mgdl": [round(float(v), 6) for v in bg],
        }
        typer.echo(json.dumps(data))
        return
    typer.echo(
        f"{name.value} {patient}: {minutes} min, plasma glucose mean {np.mean(bg):.1f} mg/dL, "
        f"min {np.min(bg):.1f}, max {np.max(bg):.1f}"
    )


def _with_consensus_ranges(rows: list[dict[str, object]], trace: Trace) -> list[dict[str, object]]:
    """The summary rows with the consensus ranges a clinician reads first beside TIR: time below
    70 and 54 mg/dL and above 250 mg/dL, of plasma glucose (:func:`t2pump.metrics.time_in_ranges`)."""
    ranges = time_in_ranges(trace.signals["bg_plasma"])
    for i, row in enumerate(rows):
        row["time_below_70_pct"] = round(float(ranges.below_70[i]), 1)
        row["time_below_54_pct"] = round(float(ranges.very_low[i]), 1)
        row["time_above_250_pct"] = round(float(ranges.very_high[i]), 1)
    return rows


def _cohort_command(
    cohort: str, patients: int, days: int, therapy: Arm, seed: int, out: Path | None, as_json: bool
) -> None:
    run = prepare_cohort_run(cohort, patients, days, therapy, seed)
    with Progress(
        TextColumn("simulating"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} h"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("run", total=days * 24)
        trace = run.run(progress=lambda minutes: bar.advance(task, minutes / 60))
    if out is not None:
        save_trace(trace, out)
    summary = _with_consensus_ranges(summarise(trace, days), trace)
    if as_json:
        typer.echo(
            json.dumps(
                {"cohort": cohort, "therapy": therapy.value, "days": days, "seed": seed, "patients": summary}
            )
        )
        return
    typer.echo(
        f"{cohort}: {patients} patients x {days} days on {therapy.value} (seed {seed}); "
        "plasma glucose, consensus ranges (Battelino 2019)"
    )
    for row in summary:
        typer.echo(
            f"  {row['patient']}: mean {row['mean_glucose_mgdl']} mg/dL, "
            f"TIR {row['time_in_range_70_180_pct']} %, below 70 {row['time_below_70_pct']} % "
            f"(below 54 {row['time_below_54_pct']} %), above 250 {row['time_above_250_pct']} %, "
            f"TDD {row['total_daily_dose_u']} U"
            + (f", {row['capped_boluses']} bolus(es) capped by the limits" if row["capped_boluses"] else "")
        )
        for d in cast(list[dict[str, Any]], row["capped_decisions"]):
            typer.echo(
                f"    day {d['t_min'] // 1440 + 1} {d['t_min'] % 1440 // 60:02d}:{d['t_min'] % 60:02d}: "
                f"{d['carbs_g']} g at {d['reading_mgdl']} mg/dL, IOB {d['iob_u']} U: wizard "
                f"{d['requested_u']} U, given {d['dose_u']} U ({', '.join(d['limits'])})"
            )
    if out is not None:
        typer.echo(
            f"trace written to {out}" + (f" (decisions: {decisions_path(out)})" if trace.decisions else "")
        )
