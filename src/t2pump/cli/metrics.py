"""``t2pump metrics``: consensus CGM metrics of device exports, one result per patient."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer

from t2pump.io import AUTO, FORMATS, METRIC_KEYS, read_files
from t2pump.io.summary import metric_summaries

__all__ = ["metrics_command", "metrics_rows", "render_table"]

_SIGNIFICANT_BELOW = 1e4  # the table shows 4 significant digits below this, whole numbers above


def metrics_rows(
    files: list[Path], fmt: str = AUTO, tz: str | None = None, patient_id: str | None = None
) -> list[dict[str, str | int | float | None]]:
    """One ``{"id": ..., <metric>: value}`` per patient over ``files`` (None where not computable).

    All patients of a file that share a clock are computed at once (``metric_summaries``).
    """
    rows: list[dict[str, str | int | float | None]] = []
    for trace in read_files(files, fmt, tz=tz, patient_id=patient_id):
        for pid, summary in zip(trace.patients, metric_summaries(trace), strict=True):
            row: dict[str, str | int | float | None] = {"id": pid}
            row.update({k: (None if math.isnan(v) else v) for k, v in summary.items()})
            row["n_readings"] = int(summary["n_readings"])
            rows.append(row)
    return rows


def _cell(value: str | int | float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return f"{value:.4g}" if abs(value) < _SIGNIFICANT_BELOW else f"{value:.0f}"


def render_table(rows: list[dict[str, str | int | float | None]]) -> str:
    """Metrics as rows, patients as columns."""
    keys = ["id", *METRIC_KEYS]
    width = max(len(k) for k in keys)
    cols = [[_cell(r.get(k)) for k in keys] for r in rows]
    col_w = [max(len(c) for c in col) for col in cols]
    lines = []
    for i, key in enumerate(keys):
        cells = "  ".join(col[i].rjust(w) for col, w in zip(cols, col_w, strict=True))
        lines.append(f"{key:<{width}}  {cells}")
    return "\n".join(lines)


def metrics_command(
    files: Annotated[list[Path], typer.Argument(help="export files (CSV or JSON)", show_default=False)],
    fmt: Annotated[str, typer.Option("--format", help="auto, or one of: " + ", ".join(FORMATS))] = AUTO,
    tz: Annotated[
        str | None, typer.Option("--tz", help="local time zone for UTC formats (Nightscout, Tidepool)")
    ] = None,
    patient_id: Annotated[
        str | None, typer.Option("--id", help="patient id for single-patient exports (merges files)")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print a JSON list, one object per patient")
    ] = False,
) -> None:
    rows = metrics_rows(files, fmt, tz, patient_id)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    typer.echo(render_table(rows))
