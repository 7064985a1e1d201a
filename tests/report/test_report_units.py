"""The AGP page in mg/dL, mmol/L and g/L: every glucose figure converts, the metrics do not change.

Expected range labels are the consensus' own (Battelino et al., Diabetes Care 2019;42:1593-1603,
Figure 1 and Table 2: 70-180 mg/dL = 3.9-10.0 mmol/L, 181-250 = 10.1-13.9, 54-69 = 3.0-3.8,
< 54 = < 3.0, > 250 = > 13.9; pregnancy 63-140 mg/dL = 3.5-7.8 mmol/L); g/L is mg/dL / 100 with two
decimals, as French laboratory reports write it. Subject dev-04 of the iglu synthetic set (every
band populated) and dev-06 (mostly in range).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from report_fixtures import iglu_trace, page_texts, synthetic_trace
from typer.testing import CliRunner

from t2pump.cli import report as report_cli
from t2pump.errors import InputRangeError
from t2pump.report import agp_report, agp_report_data_from_trace, display_unit, write_agp_report
from t2pump.report.i18n import localizer
from t2pump.report.targets import TARGET_SETS, BandKind, TargetSetName
from t2pump.simulation.engine import Trace
from t2pump.units import mgdl_to_mmoll

CONSENSUS_MMOLL = {
    BandKind.VERY_HIGH: "> 13.9 mmol/L",
    BandKind.HIGH: "10.1\u201313.9 mmol/L",
    BandKind.TARGET: "3.9\u201310.0 mmol/L",
    BandKind.LOW: "3.0\u20133.8 mmol/L",
    BandKind.VERY_LOW: "< 3.0 mmol/L",
}


@cache
def _figure(units: str, lang: str = "en", subject: str = "dev-04", smooth: bool = True) -> Figure:
    return agp_report(iglu_trace(subject), lang=lang, units=units, smooth=smooth)


def _axes(fig: Figure, gid: str) -> Axes:
    found = [a for a in fig.axes if a.get_gid() == gid]
    assert len(found) == 1
    return found[0]


def _line(fig: Figure, gid: str) -> Line2D:
    found = [a for a in fig.findobj(Line2D) if a.get_gid() == gid]
    assert len(found) == 1, gid
    return found[0]


@pytest.mark.reference
@pytest.mark.parametrize(
    ("units", "expected"),
    [
        ("mmol/L", CONSENSUS_MMOLL),
        (
            "mg/dL",
            {
                BandKind.VERY_HIGH: "> 250 mg/dL",
                BandKind.HIGH: "181\u2013250 mg/dL",
                BandKind.TARGET: "70\u2013180 mg/dL",
                BandKind.LOW: "54\u201369 mg/dL",
                BandKind.VERY_LOW: "< 54 mg/dL",
            },
        ),
        (
            "g/L",
            {
                BandKind.VERY_HIGH: "> 2.50 g/L",
                BandKind.HIGH: "1.81\u20132.50 g/L",
                BandKind.TARGET: "0.70\u20131.80 g/L",
                BandKind.LOW: "0.54\u20130.69 g/L",
                BandKind.VERY_LOW: "< 0.54 g/L",
            },
        ),
    ],
)
def test_band_labels_are_the_consensus_ranges_in_each_unit(units: str, expected: dict[BandKind, str]) -> None:
    unit, loc = display_unit(units), localizer("en")
    labels = {b.kind: unit.band_range(b, loc) for b in TARGET_SETS[TargetSetName.STANDARD].bands}
    assert labels == expected


@pytest.mark.reference
def test_pregnancy_bands_in_mmol_per_litre() -> None:
    unit, loc = display_unit("mmol/L"), localizer("fr")
    labels = [unit.band_range(b, loc) for b in TARGET_SETS[TargetSetName.PREGNANCY].bands]
    assert labels == ["> 7,8 mmol/L", "3,5\u20137,8 mmol/L", "3,0\u20133,4 mmol/L", "< 3,0 mmol/L"]


@pytest.mark.parametrize("units", ["mmol/L", "g/L"])
def test_no_mg_per_dl_is_left_on_a_page_in_another_unit(units: str) -> None:
    texts = page_texts(_figure(units))
    everything = "\n".join(texts.values())
    assert "mg/dL" not in everything
    ticks = [t.get_text() for t in _axes(_figure(units), "agp").get_yticklabels()]
    assert "180" not in ticks
    assert units in _axes(_figure(units), "agp").get_ylabel()


def test_mmol_page_texts_axes_and_lines_convert() -> None:
    fig = _figure("mmol/L")
    data = agp_report_data_from_trace(iglu_trace("dev-04"))
    texts = page_texts(fig)
    assert texts["label-in_range"] == "Target range 3.9\u201310.0 mmol/L"
    assert texts["label-below_range"] == "Below 3.9 mmol/L"
    assert texts["label-very_low"] == "Below 3.0 mmol/L"
    assert texts["label-above_range"] == "Above 10.0 mmol/L"
    assert texts["label-very_high"] == "Above 13.9 mmol/L"
    assert texts["result-mean"] == f"{round(float(mgdl_to_mmoll(data.mean_mgdl)), 1):.1f} mmol/L"
    for kind, label in CONSENSUS_MMOLL.items():
        assert texts[f"tir-range-{kind.value}"] == label
    ax = _axes(fig, "agp")
    assert ax.get_ylim() == (0.0, 20.0)  # 350 mg/dL = 19.4 mmol/L, up to the next whole mmol/L
    ticks = {t.get_text() for t in ax.get_yticklabels()}
    assert {"3.9", "10.0", "3.0", "13.9", "20.0"} <= ticks
    assert _line(fig, "agp-target-low").get_ydata()[0] == pytest.approx(70 / 18.0156)
    assert _line(fig, "agp-target-high").get_ydata()[0] == pytest.approx(180 / 18.0156)
    tile = _axes(fig, "daily-0")
    np.testing.assert_allclose(
        _line(fig, "daily-line-0").get_ydata(), mgdl_to_mmoll(data.tile_glucose_mgdl[0]), rtol=1e-15
    )
    assert tile.get_ylim() == (0.0, 20.0)


@pytest.mark.reference
def test_plotted_percentiles_are_the_metrics_percentiles_converted() -> None:
    data = agp_report_data_from_trace(iglu_trace("dev-04"))
    fig = _figure("mmol/L", smooth=False)
    for i, pct in enumerate(data.agp.percentiles):
        np.testing.assert_allclose(
            _line(fig, f"agp-p{pct:g}").get_ydata(), mgdl_to_mmoll(data.agp.glucose_mgdl[i]), rtol=1e-15
        )


def test_percentages_and_gmi_do_not_depend_on_the_unit() -> None:
    pages = [page_texts(_figure(u)) for u in ("mg/dL", "mmol/L", "g/L")]
    for key in ("result-in_range", "tir-value-high", "result-gmi", "result-cv", "result-gmi-ifcc"):
        assert len({page[key] for page in pages}) == 1, key


def test_french_g_per_litre_page() -> None:
    texts = page_texts(_figure("g/L", "fr", "dev-06"))
    assert texts["label-in_range"] == "Plage cible 0,70\u20131,80 g/L"
    assert texts["label-very_high"] == "Supérieur à 2,50 g/L"
    assert re.fullmatch(r"\d,\d\d g/L", texts["result-mean"])
    assert texts["tir-range-high"] == "1,81\u20132,50 g/L"
    assert "glucose en g/L" in "\n".join(texts.values())
    ax = _axes(_figure("g/L", "fr", "dev-06"), "agp")
    assert ax.get_ylabel() == "Glucose (g/L)"
    assert ax.get_ylim() == (0.0, 3.5)
    assert {"0,70", "1,80", "0,54", "2,50", "3,50"} <= {t.get_text() for t in ax.get_yticklabels()}


def test_high_curves_raise_the_axis_in_every_unit() -> None:
    trace = synthetic_trace(days=3.0, mean_mgdl=300.0, amplitude_mgdl=80.0)
    limits = {u: _axes(agp_report(trace, units=u), "agp").get_ylim()[1] for u in ("mg/dL", "mmol/L", "g/L")}
    assert limits == {"mg/dL": 400.0, "mmol/L": 23.0, "g/L": 4.0}  # 400 mg/dL = 22.2 mmol/L


def test_unit_names_are_read_in_any_case_and_others_refused(tmp_path: Path) -> None:
    assert display_unit("MMOL/L") is display_unit("mmol/L")
    with pytest.raises(InputRangeError) as err:
        write_agp_report(synthetic_trace(days=2.0), tmp_path / "agp.pdf", units="mmol")
    assert err.value.field == "units"
    assert "'g/L'" in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_command_passes_the_unit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_reader(path: Path, fmt: str, tz: str | None) -> list[Trace]:
        return [iglu_trace("dev-06")]

    calls: list[str] = []
    real = report_cli.write_agp_report

    def spy(*args: object, **kwargs: object) -> Path:
        calls.append(str(kwargs["units"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(report_cli, "read_traces", fake_reader)
    monkeypatch.setattr(report_cli, "write_agp_report", spy)
    out = tmp_path / "agp.png"
    args = ["agp", "x.csv", "--lang", "fr", "--units", "MMOL/L", "--out", str(out)]
    result = CliRunner().invoke(report_cli.report_app, args)
    assert result.exit_code == 0, result.output
    assert calls == ["mmol/L"]
    bad = CliRunner().invoke(report_cli.report_app, ["agp", "x.csv", "--units", "mmol"])
    assert bad.exit_code == 2
    assert "--units" in bad.output
