"""``t2pump metrics FILE... [--format] [--tz] [--id] [--json]``, on a local Typer app.

The command is registered in t2pump.cli.app by its owner; here it is mounted on its own app so
these tests do not depend on that registration.
"""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from conftest import FIXTURES
from t2pump.cli.metrics import metrics_command
from t2pump.errors import InputRangeError
from t2pump.io import METRIC_KEYS, metric_summary, read_file

EXPORTS = FIXTURES / "exports"
app = typer.Typer()
app.command("metrics")(metrics_command)


@app.callback()
def _group() -> None:
    """Keep ``metrics`` a sub-command, as in the real app."""


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, ["metrics", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_json_is_one_object_per_patient_with_iglu_keys() -> None:
    out = json.loads(
        _run(str(EXPORTS / "iglu_two_patients.csv"), str(EXPORTS / "clarity_mgdl.csv"), "--json")
    )
    assert [o["id"] for o in out] == ["p1", "p2", "clarity_mgdl"]
    for obj in out:
        assert list(obj) == ["id", *METRIC_KEYS]
    clarity = out[2]
    expected = metric_summary(read_file(EXPORTS / "clarity_mgdl.csv")[0])
    assert clarity["mean"] == expected["mean"]
    assert clarity["in_range_70_180"] == pytest.approx(7 / 11 * 100)  # 11 readings, High = 400, Low = 40
    assert clarity["below_54"] == pytest.approx(1 / 11 * 100)
    assert clarity["n_readings"] == 11
    assert clarity["mage"] is None  # not computable on this day of data: null, not a guess


def test_format_tz_and_id_options() -> None:
    files = [str(EXPORTS / "nightscout_entries.json"), str(EXPORTS / "nightscout_treatments.json")]
    out = json.loads(_run(*files, "--format", "nightscout", "--tz", "Europe/Paris", "--id", "p9", "--json"))
    assert [o["id"] for o in out] == ["p9"]
    assert out[0]["n_readings"] == 5


def test_table_lists_metrics_by_patient() -> None:
    out = _run(str(EXPORTS / "libreview_fr_mmol.csv"))
    lines = out.splitlines()
    assert lines[0].split() == ["id", "libreview_fr_mmol"]
    assert [line.split()[0] for line in lines[1:]] == list(METRIC_KEYS)


def test_bad_input_raises_the_input_error_that_the_app_prints() -> None:
    with pytest.raises(InputRangeError, match="one of the formats"):
        CliRunner().invoke(app, ["metrics", str(EXPORTS / "PROVENANCE.md")], catch_exceptions=False)
