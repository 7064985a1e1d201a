"""``t2pump report agp``: the command writes the report of the file's patient.

The command reads files with t2pump.io; these tests replace the reader with traces built here, so
that they test the command and not the importers (one test goes through the real iglu CSV reader).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from report_fixtures import iglu_trace, synthetic_trace
from typer.testing import CliRunner

from t2pump.cli import report as report_cli
from t2pump.errors import InputRangeError
from t2pump.simulation.engine import Trace


def test_command_writes_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Path, str, str | None]] = []

    def fake_reader(path: Path, fmt: str, tz: str | None) -> list[Trace]:
        calls.append((path, fmt, tz))
        return [synthetic_trace(days=2.0, patients=("a",)), synthetic_trace(days=2.0, patients=("b",))]

    monkeypatch.setattr(report_cli, "read_traces", fake_reader)
    out = tmp_path / "b.png"
    args = [
        "agp",
        "export.csv",
        "--lang",
        "fr",
        "--out",
        str(out),
        "--patient",
        "b",
        "--targets",
        "pregnancy",
    ]
    result = CliRunner().invoke(report_cli.report_app, args)
    assert result.exit_code == 0, result.output
    assert f"AGP report of b written to {out}" in result.stdout
    assert calls == [(Path("export.csv"), "auto", None)]
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_unknown_language_is_a_usage_error() -> None:
    result = CliRunner().invoke(report_cli.report_app, ["agp", "export.csv", "--lang", "de"])
    assert result.exit_code == 2
    assert "--lang" in result.output


def test_patient_must_be_named_when_the_file_has_several() -> None:
    traces = [synthetic_trace(days=1.0, patients=("a", "b"))]
    with pytest.raises(InputRangeError) as err:
        report_cli.pick_trace(traces, None)
    assert err.value.field == "--patient"
    with pytest.raises(InputRangeError) as err:
        report_cli.pick_trace(traces, "c")
    assert "'a', 'b'" in str(err.value)
    assert report_cli.pick_trace(traces, "b") == (traces[0], "b")


def test_end_to_end_from_an_iglu_csv(tmp_path: Path) -> None:
    pytest.importorskip("t2pump.io")
    trace = iglu_trace("dev-06")
    rows = ["id,time,gl"]
    day0 = trace.origin_date
    for t, g in zip(trace.t_min, trace.signals["cgm"][0], strict=True):
        seconds = round(t * 60)
        rows.append(f"dev-06,{_clock(day0, seconds)},{g:.0f}")
    source = tmp_path / "dev06.csv"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "agp.pdf"
    result = CliRunner().invoke(report_cli.report_app, ["agp", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")


def _clock(day0: str | None, seconds: int) -> str:
    assert day0 is not None
    return str(dt.datetime.fromisoformat(day0) + dt.timedelta(seconds=seconds))
