"""``t2pump titrate``: titration suggestions for a pump program from CGM or SMBG data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from t2pump.cli.settings import source_lines
from t2pump.decision.settings import DISCLAIMER, load_program
from t2pump.decision.titration import BasalAlgorithm, TitrationReport, suggest_titration
from t2pump.io import AUTO, FORMATS, read_files
from t2pump.simulation.engine import Trace
from t2pump.simulation.trace_io import load_trace

__all__ = ["read_data", "render_report", "titrate_command"]


def read_data(files: list[Path], fmt: str, tz: str | None, patient_id: str | None) -> list[Trace]:
    """Device exports (t2pump.io) or one simulated Parquet trace (t2pump simulate --out)."""
    if len(files) == 1 and files[0].suffix == ".parquet":
        return [load_trace(files[0])]
    return read_files(files, fmt, tz=tz, patient_id=patient_id)


def _evidence(e: dict[str, Any]) -> str:
    keys = (
        "mean_fasting_mgdl",
        "min_glucose_mgdl",
        "meals",
        "mean_1h_mgdl",
        "mean_2h_mgdl",
        "lowest_4h_mgdl",
        "corrections",
    )
    return ", ".join(f"{k} {e[k]}" for k in keys if e.get(k) is not None)


def render_report(r: TitrationReport) -> str:
    """The suggestions as text, one line each, then clamps, hypoglycaemia, warnings and sources."""
    d = r.to_dict()
    hours = (r.last_min - r.first_min) / 60.0
    lines = [
        f"t2pump titrate: patient {r.patient}, {r.data_kind.upper()} data over {hours / 24.0:.1f} days, "
        f"basal algorithm {r.algorithm.value}",
        DISCLAIMER["en"],
        DISCLAIMER["fr"],
        "",
    ]
    for e in d["level2_hypoglycaemia"]:
        lines.append(
            f"LEVEL-2 HYPOGLYCAEMIA at {e['start_min']:g} min ({e['duration_min']:g} min, nadir "
            f"{e['nadir_mgdl']:g} mg/dL), attributed to {e['attributed_to']}: reduce first, no increase"
        )
    for s in d["suggestions"]:
        lines.append(f"{s['setting']}: {s['current']:g} -> {s['suggested']:g} {s['unit']} ({s['change']})")
        lines.append(f"    [{s['rule_id']}] {s['reason']}")
        if _evidence(s["evidence"]):
            lines.append(f"    data: {_evidence(s['evidence'])}")
        lines += [
            f"    clamp: {c['requested']:g} -> {c['result']:g}: {c['reason']} [{c['rule_id']}]"
            for c in s["clamps"]
        ]
    if r.pregnancy is not None:
        p = d["pregnancy_cgm"]
        lines += ["", "Pregnancy CGM (63-140 mg/dL):"]
        lines += [f"  {k}: {v}% (goal met: {p['goal_met'].get(k)})" for k, v in p["percent"].items()]
        lines.append(f"  {p['targets']['type2_note']}")
    if r.warnings:
        lines += ["", "Warnings:", *(f"  - {w}" for w in r.warnings)]
    lines += source_lines(((s.rule_id, s.citation) for s in r.suggestions), r.rule_set_version)
    return "\n".join(lines)


def titrate_command(
    files: Annotated[
        list[Path],
        typer.Argument(help="device exports (CSV/JSON) or a t2pump Parquet trace", show_default=False),
    ],
    settings: Annotated[
        Path,
        typer.Option("--settings", help="SETTINGS JSON (t2pump settings from-mdi --out)", show_default=False),
    ],
    algorithm: Annotated[BasalAlgorithm, typer.Option("--algorithm", help="basal titration algorithm")] = (
        BasalAlgorithm.DAVIES_2005
    ),
    as_json: Annotated[bool, typer.Option("--json", help="print JSON (one object per patient)")] = False,
    window_days: Annotated[float, typer.Option("--days", help="days of data analysed (the last ones)")] = 7.0,
    has_step: Annotated[float, typer.Option("--has-step", help="HAS 2013 step: 1 or 2 U")] = 2.0,
    fmt: Annotated[str, typer.Option("--format", help="auto, or one of: " + ", ".join(FORMATS))] = AUTO,
    tz: Annotated[str | None, typer.Option("--tz", help="local time zone for UTC formats")] = None,
    patient_id: Annotated[
        str | None, typer.Option("--id", help="patient id for single-patient exports")
    ] = None,
) -> None:
    program = load_program(settings)
    reports = [
        suggest_titration(
            trace, program, algorithm=algorithm, patient=i, window_days=window_days, has_step_u=has_step
        )
        for trace in read_data(files, fmt, tz, patient_id)
        for i in range(len(trace.patients))
    ]
    if as_json:
        data = [r.to_dict() for r in reports]
        typer.echo(json.dumps(data[0] if len(data) == 1 else data, indent=2, ensure_ascii=False))
        return
    typer.echo("\n\n".join(render_report(r) for r in reports))
