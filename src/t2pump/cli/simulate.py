"""``t2pump simulate``: run a patient model on a scenario and print plasma glucose."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from t2pump.physiology.uva_padova import UvaPadova2008, UvaPadovaRun
from t2pump.simulation.engine import DEFAULT_SUBSTEPS, Trace, run_open_loop
from t2pump.simulation.scenario import read_scenario_csv


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
    model: Annotated[ModelName, typer.Option(help="patient model")] = ModelName.UVA_PADOVA_2008,
    patient: Annotated[str, typer.Option(help="virtual patient, e.g. adult#001")] = "adult#001",
    scenario: Annotated[Path | None, typer.Option(help="CSV t_min,carbs_g_per_min,insulin_u_per_min")] = None,
    minutes: Annotated[int, typer.Option(help="length of the run [min]")] = 1440,
    as_json: Annotated[bool, typer.Option("--json", help="print t_min and bg_mgdl arrays as JSON")] = False,
) -> None:
    if scenario is None:
        raise typer.BadParameter("a scenario file is required", param_hint="--scenario")
    trace = simulate_scenario(model, patient, scenario, minutes)
    bg = trace.signals["bg_plasma"][0]
    if as_json:
        out: dict[str, Any] = {
            "model": model.value,
            "patient": patient,
            "signal": "plasma glucose Gp/VG (no sensor)",
            "t_min": [int(t) for t in trace.t_min],
            "bg_mgdl": [round(float(v), 6) for v in bg],
        }
        typer.echo(json.dumps(out))
        return
    typer.echo(
        f"{model.value} {patient}: {minutes} min, plasma glucose mean {np.mean(bg):.1f} mg/dL, "
        f"min {np.min(bg):.1f}, max {np.max(bg):.1f}"
    )
