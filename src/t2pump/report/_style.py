"""What every part of the AGP page shares: colours, sizes, section bands, text wrapping, rounding."""

from __future__ import annotations

from functools import cache

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle

from t2pump.report.targets import BandKind, GoalKind

A4_PORTRAIT_IN = (8.27, 11.69)  # ISO 216 A4, 210 x 297 mm
LEFT, RIGHT = 0.05, 0.95  # page margins [figure fraction]
FS = 7.5  # base font size [pt]
PNG_DPI = 150  # 1240 x 1754 px for A4

# Range colours of iglu plot_ranges / agp (iglu 4.3.0 R/plot_ranges.R), very low dark red ... very
# high orange, the colour order of the IDC AGP report.
RANGE_COLOURS = {
    BandKind.VERY_HIGH: "#F9B500",
    BandKind.HIGH: "#F9F000",
    BandKind.TARGET: "#48BA3C",
    BandKind.LOW: "#F92D00",
    BandKind.VERY_LOW: "#8E1B1B",
}
AGP_OUTER, AGP_INNER, AGP_MEDIAN = "#B8CCE4", "#5B83B8", "#14305C"  # 5-95 band, 25-75 band, median
TARGET_LINE, TARGET_FILL = "#2E8B2E", "#E6F4E3"
HEADER_FILL, MUTED, ALERT = "#3C3C3C", "#555555", "#B00020"


def new_page() -> Figure:
    """An A4 portrait figure with an Agg canvas (for measuring text; saving picks its own)."""
    fig = Figure(figsize=A4_PORTRAIT_IN)
    FigureCanvasAgg(fig)
    return fig


def section(fig: Figure, x0: float, x1: float, y: float, text: str, gid: str) -> None:
    """A dark title band with white capitals, top edge at ``y`` [figure fraction]."""
    height = 0.018
    fig.add_artist(
        Rectangle((x0, y - height), x1 - x0, height, transform=fig.transFigure, color=HEADER_FILL, lw=0)
    )
    fig.text(
        x0 + 0.006,
        y - height / 2,
        text.upper(),
        color="white",
        fontsize=FS + 1,
        weight="bold",
        va="center",
        ha="left",
        gid=gid,
    )


def rule(fig: Figure, y: float, x0: float = LEFT, x1: float = RIGHT, colour: str = "#999999") -> None:
    """A thin horizontal line across ``[x0, x1]`` at ``y`` [figure fraction]."""
    fig.add_artist(Rectangle((x0, y), x1 - x0, 0.0006, transform=fig.transFigure, color=colour, lw=0))


@cache
def _renderer() -> RendererAgg:
    return RendererAgg(1, 1, PNG_DPI)  # type: ignore[no-untyped-call]  # no annotations in the Agg stub


def text_width(fig: Figure, text: str, fontsize: float, weight: str = "normal") -> float:
    """Width of one line of ``text`` [figure fraction], measured at the PNG resolution.

    Font hinting makes small text up to ~5 % wider in the PNG than its PDF outline, so the PNG is
    the one to measure.
    """
    prop = FontProperties(size=fontsize, weight=weight)
    pixels = _renderer().get_text_width_height_descent(text, prop, ismath=False)[0]  # type: ignore[no-untyped-call]
    return float(pixels) / (fig.get_figwidth() * PNG_DPI)


def wrap(fig: Figure, text: str, width_frac: float, fontsize: float, weight: str = "normal") -> str:
    """``text`` with line breaks so that no line is wider than ``width_frac`` of the page (2 % spare)."""

    def width(s: str) -> float:
        return text_width(fig, s, fontsize, weight) / 0.98

    limit = width_frac
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and width(candidate) > limit:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return "\n".join(lines)


def display_percents(values: dict[BandKind, float], digits: int = 1) -> dict[BandKind, float]:
    """Percentages rounded to ``digits`` decimals that still add up to 100 (largest remainder).

    Plain rounding can print bands that add up to 99.9 or 100.1 %; the largest-remainder (Hamilton)
    method rounds down, then gives the missing steps to the largest remainders.
    """
    scale = 10**digits
    keys = list(values)
    scaled = np.array([max(values[k], 0.0) * scale for k in keys])
    floors = np.floor(scaled + 1e-9)  # 1e-9: a value a rounding error below a step is on it
    missing = round(100 * scale - float(np.sum(floors)))
    order = np.argsort(-(scaled - floors), kind="stable")
    for i in order[: max(missing, 0)]:
        floors[i] += 1
    return {k: float(f) / scale for k, f in zip(keys, floors, strict=True)}


_GOAL_BANDS = {
    GoalKind.IN_RANGE: (BandKind.TARGET,),
    GoalKind.BELOW_RANGE: (BandKind.LOW, BandKind.VERY_LOW),
    GoalKind.VERY_LOW: (BandKind.VERY_LOW,),
    GoalKind.ABOVE_RANGE: (BandKind.HIGH, BandKind.VERY_HIGH),
    GoalKind.VERY_HIGH: (BandKind.VERY_HIGH,),
}


def shown_goal_percent(kind: GoalKind, shown: dict[BandKind, float]) -> float:
    """A goal's % from the rounded band values, so that the table agrees with the bar."""
    return round(sum(shown.get(b, 0.0) for b in _GOAL_BANDS[kind]), 6)
