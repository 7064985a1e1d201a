"""``t2pump report agp``: the one-page AGP report of a device export, as PDF or PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from t2pump import DISCLAIMER
from t2pump.errors import InputRangeError
from t2pump.report import GlucoseUnit, TargetSetName, write_agp_report
from t2pump.report.data import DEFAULT_WINDOW_DAYS
from t2pump.report.i18n import Lang
from t2pump.simulation.engine import Trace

__all__ = ["report_agp_command", "report_app"]


def read_traces(path: Path, fmt: str, tz: str | None) -> list[Trace]:
    """One trace per patient of a device export (:func:`t2pump.io.read_file`)."""
    from t2pump.io import read_file  # noqa: PLC0415 - imported on use: the report does not need io

    return read_file(path, fmt, tz=tz)


def pick_trace(traces: list[Trace], patient: str | None) -> tuple[Trace, str]:
    """The trace and id of ``patient``, or of the only patient when ``patient`` is None."""
    ids = [pid for trace in traces for pid in trace.patients]
    if not ids:
        raise InputRangeError("FILE", "no patient", "a file with at least one patient's CGM readings")
    if patient is None:
        if len(ids) > 1:
            raise InputRangeError("--patient", None, _one_of(ids))
        return traces[0], ids[0]
    for trace in traces:
        if patient in trace.patients:
            return trace, patient
    raise InputRangeError("--patient", patient, _one_of(ids))


def _one_of(ids: list[str], shown: int = 5) -> str:
    """'one of ...' for an error message: every id, or the first few and how many there are."""
    listed = ", ".join(repr(i) for i in ids[:shown])
    return f"one of {listed}" + (f", ... ({len(ids)} patients)" if len(ids) > shown else "")


def report_agp_command(
    file: Annotated[
        Path, typer.Argument(help="device export (Clarity, LibreView, CareLink, ... or iglu CSV)")
    ],
    lang: Annotated[Lang, typer.Option("--lang", help="language of the report")] = Lang.EN,
    units: Annotated[
        GlucoseUnit,
        typer.Option(
            "--units", case_sensitive=False, help="glucose unit shown (metrics are computed in mg/dL)"
        ),
    ] = GlucoseUnit.MGDL,
    out: Annotated[Path, typer.Option("--out", help="output file, .pdf or .png")] = Path("agp.pdf"),
    fmt: Annotated[str, typer.Option("--format", help="input format, or auto to detect it")] = "auto",
    targets: Annotated[
        TargetSetName, typer.Option("--targets", help="consensus goals (Battelino 2019)")
    ] = TargetSetName.STANDARD,
    patient: Annotated[
        str | None, typer.Option("--patient", help="patient id, if the file holds several")
    ] = None,
    days: Annotated[int, typer.Option("--days", help="report period: the last DAYS days of readings")] = (
        DEFAULT_WINDOW_DAYS
    ),
    tz: Annotated[
        str | None, typer.Option("--tz", help="time zone of UTC exports (Nightscout, Tidepool)")
    ] = None,
) -> None:
    """Write the AGP report (IDC AGP v5 layout) of one patient's CGM readings."""
    trace, pid = pick_trace(read_traces(file, fmt, tz), patient)
    written = write_agp_report(
        trace,
        out,
        patient=pid,
        lang=lang.value,
        target_set=targets.value,
        window_days=days,
        units=units.value,
    )
    typer.echo(f"AGP report of {pid} written to {written}")
    typer.echo(DISCLAIMER, err=True)


report_app = typer.Typer(
    name="report",
    help="Clinical reports (decision support, not a medical device).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@report_app.callback()
def _report_group() -> None:
    """Clinical reports (a callback makes ``report`` a group even with one command)."""


report_app.command(
    "agp", help="One-page AGP report (PDF or PNG) in French or English, glucose in mg/dL, mmol/L or g/L."
)(report_agp_command)
