"""``t2pump iob``: oref0 insulin on board and activity after one bolus."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from t2pump.errors import InputRangeError, check_range
from t2pump.insulin.curves import CurveKind, Oref0Curve
from t2pump.insulin.oref0 import oref0_iob


def parse_times(text: str, field: str = "--at") -> list[float]:
    out: list[float] = []
    for part in text.split(","):
        try:
            value = float(part.strip())
        except ValueError:
            raise InputRangeError(field, part.strip(), "comma-separated minutes, e.g. 0,30,60") from None
        out.append(check_range(field, value, 0.0, 2880.0, "min"))
    return out


def iob_table(
    curve: CurveKind, dia_h: float, dose_u: float, at: list[float], peak_min: float | None = None
) -> tuple[list[dict[str, float]], tuple[str, ...]]:
    """oref0's rounded IOB [U] and activity [U/min] at each time after a ``dose_u`` bolus."""
    c = Oref0Curve.from_settings(curve, dia_h, peak_min)
    dose = check_range("--dose", dose_u, 0.0, 75.0, "U", lo_inclusive=False)
    rows = []
    for t in at:
        total = oref0_iob([(0.0, dose)], c, t)
        rows.append({"t_min": t, "iob": total.iob, "activity": total.activity})
    return rows, c.adjustments


def iob_command(
    curve: Annotated[CurveKind, typer.Option(help="oref0 curve")] = CurveKind.RAPID_ACTING,
    dia_h: Annotated[float, typer.Option("--dia-h", help="duration of insulin action [h]")] = 5.0,
    dose: Annotated[float, typer.Option(help="bolus [U]")] = 1.0,
    at: Annotated[
        str, typer.Option(help="times after the bolus [min], comma-separated")
    ] = "0,30,60,120,180,240",
    peak_min: Annotated[
        float | None, typer.Option("--peak-min", help="custom peak [min] (oref0 clamps)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON list")] = False,
) -> None:
    rows, notes = iob_table(curve, dia_h, dose, parse_times(at), peak_min)
    for note in notes:
        typer.echo(f"note: {note}", err=True)
    if as_json:
        typer.echo(
            json.dumps(
                [{"t_min": _num(r["t_min"]), "iob": r["iob"], "activity": r["activity"]} for r in rows]
            )
        )
        return
    typer.echo(f"{'t_min':>7} {'iob_U':>8} {'activity_U/min':>15}")
    for r in rows:
        typer.echo(f"{r['t_min']:>7g} {r['iob']:>8.3f} {r['activity']:>15.4f}")
    typer.echo("oref0 rounding: minutes ago to a whole minute, IOB to 3 dp, activity to 4 dp (half up).")


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x
