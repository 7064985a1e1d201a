"""The ``t2pump`` command line. Each command parses, calls the library, prints or writes.

Bad input ends with exit code 2 and one line on stderr naming the field, the value and what
was expected.
"""

from __future__ import annotations

import sys

import typer
from typer.exceptions import TyperException

from t2pump.cli import bolus, demo, indication, iob, metrics, report, simulate, titrate
from t2pump.cli import settings as settings_cli
from t2pump.errors import T2pumpError

__all__ = ["app", "main"]

app = typer.Typer(
    name="t2pump",
    help="Insulin-pump therapy (CSII) in type 2 diabetes. Decision support and simulation, "
    "not a medical device.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("iob", help="Insulin on board and activity after a bolus (oref0 curves, oref0 rounding).")(
    iob.iob_command
)
app.command("bolus", help="Bolus calculator: full breakdown, limits and confirmation tier.")(
    bolus.bolus_command
)
app.command("simulate", help="Run a patient model on a scenario (plasma glucose every minute).")(
    simulate.simulate_command
)
app.command("metrics", help="Consensus CGM metrics of device exports, one result per patient.")(
    metrics.metrics_command
)
app.add_typer(report.report_app, name="report", help="Reports: the one-page AGP (PDF or PNG, fr/en).")
app.command("indication", help="Pump indication in type 2 diabetes: the decision, its reasons and sources.")(
    indication.indication_command
)
app.add_typer(
    settings_cli.settings_app, name="settings", help="Starting pump settings from an MDI regimen, explained."
)
app.command("titrate", help="Titration suggestions for a pump program from CGM or SMBG data.")(
    titrate.titrate_command
)
app.command("demo", help="Program a pump, run a day, print deliveries, IOB and a bolus calculation.")(
    demo.demo_command
)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning bad input into one line and exit code 2."""
    try:
        result = app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        return 1
    except TyperException as exc:  # typer's usage errors: unknown option, value not parseable
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        print(f"t2pump: error: {' '.join(message.split())}", file=sys.stderr)
        return 2
    except T2pumpError as exc:
        print(f"t2pump: error: {exc}", file=sys.stderr)
        return 2
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
