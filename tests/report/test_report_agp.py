"""The AGP page: what it shows (texts, curves, bar), the PDF/PNG files and their atomic writing.

Subject dev-04 of the iglu synthetic set (tests/fixtures/iglu): 14 days in the report, very high
glucose (TIR ~3 %), so every band and goal line is exercised; a 3-day synthetic trace for the
simulated and insufficient-data cases.
"""

from __future__ import annotations

import os
import re
import struct
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from babel.numbers import parse_decimal
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from report_fixtures import iglu_trace, page_texts, synthetic_trace

from t2pump.errors import InputRangeError
from t2pump.report import (
    agp_figure,
    agp_report,
    agp_report_data_from_trace,
    display_percents,
    write_agp_report,
)
from t2pump.report.smoothing import loess
from t2pump.report.targets import BandKind


@cache
def _figure(lang: str, subject: str = "dev-04", smooth: bool = True) -> Figure:
    return agp_report(iglu_trace(subject), lang=lang, smooth=smooth)


def _by_gid(fig: Figure, kind: type, gid: str) -> object:
    found = [a for a in fig.findobj(kind) if a.get_gid() == gid]
    assert len(found) == 1, gid
    return found[0]


@pytest.mark.parametrize(
    ("lang", "present", "absent"),
    [
        (
            "en",
            [
                "AGP report: continuous glucose monitoring",
                "TIME IN RANGES",
                "AMBULATORY GLUCOSE PROFILE (AGP)",
                "DAILY GLUCOSE PROFILES",
                "Glucose (mg/dL)",
                "16 Jul 2024 \u2013 30 Jul 2024  (14 days)",
                "Wed 17",
                "98.5%",
            ],
            ["Temps dans les plages"],
        ),
        (
            "fr",
            [
                "Rapport AGP\u00a0: mesure continue du glucose",
                "TEMPS DANS LES PLAGES",
                "PROFIL GLYCÉMIQUE AMBULATOIRE (AGP)",
                "PROFILS GLYCÉMIQUES QUOTIDIENS",
                "Heure de la journée",
                "16 juil. 2024 \u2013 30 juil. 2024  (14 jours)",
                "mer. 17",
                "98,5\u00a0%",
            ],
            ["Time in ranges", "TIME IN RANGES"],
        ),
    ],
)
def test_page_texts_are_in_the_chosen_language(lang: str, present: list[str], absent: list[str]) -> None:
    texts = page_texts(_figure(lang))
    everything = "\n".join(texts.values())
    for text in present:
        assert text in everything, text
    for text in absent:
        assert text not in everything, text
    assert texts["header-value-0"] == "dev-04"
    assert "t2pump" in texts["disclaimer"]  # decision support, not a medical device
    assert "Battelino" in texts["sources"]
    assert "Bergenstal" in texts["sources"]
    assert "mg/dL" in texts["result-mean"]
    assert "simulated" not in texts
    assert "insufficient" not in texts


def test_french_numbers_use_decimal_commas() -> None:
    texts = page_texts(_figure("fr"))
    assert re.fullmatch(r"\d+,\d\u00a0%", texts["result-gmi"])
    assert re.fullmatch(r"\d+,\d\u00a0%", texts["tir-value-target"])
    assert texts["goal-cv"] == "\u2264 36\u00a0%"


def test_bar_and_table_print_the_same_percentages_and_they_sum_to_100() -> None:
    fig = _figure("fr")
    texts = page_texts(fig)
    data = agp_report_data_from_trace(iglu_trace("dev-04"))
    shown = {
        k: float(parse_decimal(texts[f"tir-value-{k.value}"].split("\u00a0")[0], locale="fr_FR"))
        for k in data.bands
    }
    assert shown == display_percents(data.bands)
    assert round(sum(shown.values()), 6) == 100.0
    assert texts["result-in_range"] == texts["tir-value-target"]
    heights = {k: _by_gid(fig, Rectangle, f"tir-segment-{k.value}").get_height() for k in data.bands}
    assert heights == data.bands  # the bar is drawn to scale, unrounded
    assert sum(heights.values()) == pytest.approx(100.0, abs=1e-9)
    low_sum = round(shown[BandKind.LOW] + shown[BandKind.VERY_LOW], 1)
    printed = texts["tir-sum-below_range"].split("\u00a0")[0]
    assert float(parse_decimal(printed, locale="fr_FR")) == low_sum


@pytest.mark.property
def test_display_percents_always_sum_to_100() -> None:
    rng = np.random.default_rng(11)
    for _ in range(500):
        raw = rng.dirichlet(np.full(5, 0.3)) * 100.0
        values = dict(zip(BandKind, raw.tolist(), strict=True))
        shown = display_percents(values)
        assert round(sum(shown.values()) * 10) == 1000
        assert all(abs(shown[k] - values[k]) < 0.1 + 1e-9 for k in values)


@pytest.mark.reference
def test_plotted_percentiles_are_the_metrics_percentiles() -> None:
    data = agp_report_data_from_trace(iglu_trace("dev-04"))
    raw = _figure("en", smooth=False)
    smooth = _figure("en")
    for i, pct in enumerate(data.agp.percentiles):
        line = _by_gid(raw, Line2D, f"agp-p{pct:g}")
        np.testing.assert_array_equal(line.get_ydata(), data.agp.glucose_mgdl[i])
        np.testing.assert_array_equal(line.get_xdata(), data.agp.minute_of_day / 60.0)
    smoothed = np.vstack([loess(data.agp.minute_of_day, row) for row in data.agp.glucose_mgdl])
    drawn = np.vstack([_by_gid(smooth, Line2D, f"agp-p{p:g}").get_ydata() for p in data.agp.percentiles])
    np.testing.assert_allclose(drawn, np.maximum.accumulate(smoothed, axis=0), rtol=0, atol=1e-12)
    assert np.all(np.diff(drawn, axis=0) >= 0)


def test_simulated_short_trace_is_flagged() -> None:
    fig = agp_report(synthetic_trace(days=3.0, mean_mgdl=300.0, amplitude_mgdl=80.0), lang="en")
    texts = page_texts(fig)
    assert texts["simulated"] == "SIMULATED DATA"
    assert texts["insufficient"].startswith("Less than 14 days or under 70% of possible readings")
    assert texts["header-value-1"].startswith("Day 1 \u2013 Day 3")  # 3 simulated days, not a 4th
    assert _by_gid(fig, type(fig.axes[0]), "agp").get_ylim() == (0.0, 400.0)  # 95th percentile > 350


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def test_pdf_and_png_are_written_atomically(tmp_path: Path) -> None:
    trace = iglu_trace("dev-04")
    pdf = write_agp_report(trace, tmp_path / "agp.pdf", lang="fr")
    png = write_agp_report(trace, tmp_path / "agp.PNG", lang="en")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agp.PNG", "agp.pdf"]  # no temporary file left
    body = pdf.read_bytes()
    assert body.startswith(b"%PDF-")
    assert body.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", body)) == 1
    title = re.search(rb"/Title \((.*?)\)\n", body, re.S)
    assert title is not None
    assert title.group(1).decode("utf-16") == "Rapport AGP \u2013 dev-04"
    assert _png_size(png.read_bytes()) == (1240, 1753)  # A4 at 150 dpi
    umask = os.umask(0)
    os.umask(umask)
    assert pdf.stat().st_mode & 0o777 == 0o666 & ~umask  # like any file the user writes


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "agp.png"
    out.write_bytes(b"old report")

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(OSError, match="disk full"):
        write_agp_report(synthetic_trace(days=2.0), out)
    assert out.read_bytes() == b"old report"
    assert [p.name for p in tmp_path.iterdir()] == ["agp.png"]


@pytest.mark.parametrize(
    ("name", "kwargs", "field"),
    [
        ("agp.svg", {}, "out"),
        ("agp.pdf", {"lang": "de"}, "lang"),
        ("agp.pdf", {"target_set": "children"}, "target_set"),
    ],
)
def test_bad_requests_are_refused_before_writing(
    tmp_path: Path, name: str, kwargs: dict[str, str], field: str
) -> None:
    with pytest.raises(InputRangeError) as err:
        write_agp_report(synthetic_trace(days=2.0), tmp_path / name, **kwargs)  # type: ignore[arg-type]
    assert err.value.field == field
    assert list(tmp_path.iterdir()) == []


def test_figure_is_one_a4_page_and_a_figure_from_data_is_the_same() -> None:
    data = agp_report_data_from_trace(iglu_trace("dev-04"), target_set="pregnancy")
    fig = agp_figure(data, "en")
    assert tuple(fig.get_size_inches()) == pytest.approx((8.27, 11.69))
    texts = page_texts(fig)
    assert "Target range 63\u2013140 mg/dL" in texts.values()
    assert "tir-value-very_high" not in texts  # pregnancy: four bands
