"""The graphic parts of the AGP page: time-in-ranges bar, AGP, daily profiles."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from numpy.typing import NDArray

from t2pump.metrics.ranges import HYPER_L2_MGDL, HYPO_L2_MGDL
from t2pump.report._style import (
    AGP_INNER,
    AGP_MEDIAN,
    AGP_OUTER,
    FS,
    LEFT,
    MUTED,
    RANGE_COLOURS,
    RIGHT,
    TARGET_FILL,
    TARGET_LINE,
    section,
    shown_goal_percent,
)
from t2pump.report._text import SECTION_TOP, STATS_RIGHT, day_label
from t2pump.report.data import MAX_DAILY_TILES, AgpReportData
from t2pump.report.glucose_units import DisplayUnit
from t2pump.report.i18n import Localizer
from t2pump.report.smoothing import loess
from t2pump.report.targets import BandKind, GoalKind
from t2pump.units import MIN_PER_DAY, MIN_PER_H

FloatArray = NDArray[np.float64]

Y_MAX_MGDL, Y_MAX_HIGH_MGDL = 350.0, 400.0  # AGP y axis; 400 when a curve goes above 350 (IDC AGP)
_BAR_LEFT = STATS_RIGHT + 0.03


def _band_name(kind: BandKind, loc: Localizer) -> str:
    _ = loc.gettext
    match kind:
        case BandKind.VERY_HIGH:
            return _("Very high")
        case BandKind.HIGH:
            return _("High")
        case BandKind.TARGET:
            return _("Target range")
        case BandKind.LOW:
            return _("Low")
        case BandKind.VERY_LOW:
            return _("Very low")


def ranges_bar(
    fig: Figure, data: AgpReportData, shown: dict[BandKind, float], loc: Localizer, unit: DisplayUnit
) -> None:
    """The stacked time-in-ranges bar with one labelled row per band (right box)."""
    section(fig, _BAR_LEFT, RIGHT, SECTION_TOP, loc.gettext("Time in ranges"), "section-ranges")
    bar_top, bar_bottom, bar_x0, bar_x1 = SECTION_TOP - 0.03, 0.668, _BAR_LEFT + 0.012, _BAR_LEFT + 0.05
    ax = fig.add_axes((bar_x0, bar_bottom, bar_x1 - bar_x0, bar_top - bar_bottom), gid="tir-bar")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 100)
    ax.set_axis_off()
    top = 100.0
    centres = {}
    for band in data.targets.bands:  # top (highest glucose) to bottom
        height = data.bands[band.kind]
        top -= height
        ax.add_patch(
            Rectangle(
                (0, top),
                1,
                height,
                facecolor=RANGE_COLOURS[band.kind],
                edgecolor="white",
                lw=0.6,
                gid=f"tir-segment-{band.kind.value}",
            )
        )
        centres[band.kind] = bar_bottom + (top + height / 2) / 100.0 * (bar_top - bar_bottom)
    rows = np.linspace(bar_top - 0.014, bar_bottom + 0.014, len(data.targets.bands))
    x_label, x_value = bar_x1 + 0.022, RIGHT - 0.075  # room for the longest range, "10,1–13,9 mmol/L"
    for band, y in zip(data.targets.bands, rows, strict=True):
        kind = band.kind
        fig.add_artist(
            Line2D(
                [bar_x1, bar_x1 + 0.01, x_label - 0.005],
                [centres[kind], y, y],
                transform=fig.transFigure,
                color="#888888",
                lw=0.6,
            )
        )
        fig.text(
            x_label,
            y + 0.002,
            _band_name(kind, loc),
            fontsize=FS + 1.5,
            va="bottom",
            weight="bold" if kind is BandKind.TARGET else "normal",
            gid=f"tir-name-{kind.value}",
        )
        fig.text(
            x_label,
            y - 0.002,
            unit.band_range(band, loc),
            fontsize=FS,
            color=MUTED,
            va="top",
            gid=f"tir-range-{kind.value}",
        )
        fig.text(
            x_value,
            y + 0.002,
            loc.percent(shown[kind], 1),
            fontsize=FS + 2.5,
            weight="bold",
            ha="right",
            va="bottom",
            gid=f"tir-value-{kind.value}",
        )
        fig.text(
            x_value,
            y - 0.002,
            loc.duration(shown[kind] / 100.0 * MIN_PER_DAY),
            fontsize=FS,
            color=MUTED,
            ha="right",
            va="top",
            gid=f"tir-time-{kind.value}",
        )
    _brackets(fig, data, shown, rows, x_value + 0.012, loc)


def _brackets(
    fig: Figure, data: AgpReportData, shown: dict[BandKind, float], rows: FloatArray, x: float, loc: Localizer
) -> None:
    """Brackets with the totals above and below the target range (as on the IDC report)."""
    kinds = [b.kind for b in data.targets.bands]
    groups = (
        (GoalKind.ABOVE_RANGE, (BandKind.VERY_HIGH, BandKind.HIGH)),
        (GoalKind.BELOW_RANGE, (BandKind.LOW, BandKind.VERY_LOW)),
    )
    for goal, members in groups:
        ys = [float(rows[kinds.index(k)]) for k in members if k in kinds]
        if len(ys) < 2:
            continue
        y_top, y_bottom = max(ys) + 0.012, min(ys) - 0.01
        fig.add_artist(
            Line2D(
                [x - 0.004, x, x, x - 0.004],
                [y_top, y_top, y_bottom, y_bottom],
                transform=fig.transFigure,
                color="#444444",
                lw=0.8,
            )
        )
        fig.text(
            x + 0.005,
            (y_top + y_bottom) / 2,
            loc.percent(shown_goal_percent(goal, shown), 1),
            fontsize=FS + 1,
            weight="bold",
            va="center",
            gid=f"tir-sum-{goal.value}",
        )


def percentile_curves(data: AgpReportData, smooth: bool) -> tuple[FloatArray, FloatArray]:
    """Hours of day and the AGP curves to draw, one row per percentile (smoothed for display or not)."""
    curves = data.agp.glucose_mgdl
    if smooth:
        curves = np.vstack([loess(data.agp.minute_of_day, row) for row in curves])
        # Smoothing each curve alone may cross neighbours by a hair: keep 5 <= 25 <= ... <= 95.
        curves = np.fmax.accumulate(curves, axis=0)
    return data.agp.minute_of_day / MIN_PER_H, curves


AGP_TOP = 0.63


def agp_panel(fig: Figure, data: AgpReportData, loc: Localizer, unit: DisplayUnit, *, smooth: bool) -> None:
    """Median, 25-75 % and 5-95 % bands by time of day, target range shaded, in ``unit``."""
    _ = loc.gettext
    section(fig, LEFT, RIGHT, AGP_TOP, _("Ambulatory glucose profile (AGP)"), "section-agp")
    fig.text(
        LEFT,
        AGP_TOP - 0.027,
        _(
            "Percentiles of the period's glucose readings by time of day, as if all "
            "days were one day; curves smoothed for display."
        ),
        fontsize=FS,
        color=MUTED,
        style="italic",
        gid="agp-caption",
    )
    ax = fig.add_axes((0.105, 0.365, 0.775, 0.225), gid="agp")
    hours, curves_mgdl = percentile_curves(data, smooth)
    y_max = unit.axis_max(Y_MAX_HIGH_MGDL if np.nanmax(curves_mgdl) > Y_MAX_MGDL else Y_MAX_MGDL)
    lo_mgdl, hi_mgdl = data.targets.range_low_mgdl, data.targets.range_high_mgdl
    lo, hi = unit.convert(lo_mgdl), unit.convert(hi_mgdl)
    ax.axhspan(lo, hi, color=TARGET_FILL, lw=0, zorder=0)
    for level, gid in ((lo, "agp-target-low"), (hi, "agp-target-high")):
        ax.axhline(level, color=TARGET_LINE, lw=1.2, zorder=1, gid=gid)
    for level in (HYPO_L2_MGDL, HYPER_L2_MGDL):
        ax.axhline(unit.convert(level), color="#AAAAAA", lw=0.6, ls=(0, (3, 3)), zorder=1)
    p = dict(zip(data.agp.percentiles, unit.convert(curves_mgdl), strict=True))
    ax.fill_between(hours, p[5.0], p[95.0], color=AGP_OUTER, lw=0, zorder=2, gid="agp-band-5-95")
    ax.fill_between(hours, p[25.0], p[75.0], color=AGP_INNER, lw=0, zorder=3, gid="agp-band-25-75")
    for pct, row in p.items():
        outer = pct in (5.0, 95.0)
        ax.plot(
            hours,
            row,
            color=AGP_MEDIAN if pct == 50.0 else AGP_INNER,
            lw=2.2 if pct == 50.0 else 0.7,
            ls="--" if outer else "-",
            zorder=4,
            gid=f"agp-p{pct:g}",
        )
    _percentile_labels(ax, p, y_max, loc)
    ax.set_xlim(0, 24)
    ax.set_ylim(0, y_max)
    ax.set_xticks(range(0, 25, 3), [f"{h:02d}:00" for h in range(0, 25, 3)])
    others = (unit.convert(HYPO_L2_MGDL), unit.convert(HYPER_L2_MGDL), y_max)
    ticks = _y_ticks((lo, hi), others, y_max)
    ax.set_yticks(ticks, [loc.decimal(round(t, unit.digits), unit.digits) for t in ticks])
    ax.tick_params(labelsize=FS + 0.5, length=3)
    ax.set_ylabel(_("Glucose ({unit})").format(unit=unit.unit.value), fontsize=FS + 0.5)
    ax.set_xlabel(_("Time of day"), fontsize=FS + 0.5, labelpad=2)
    ax.grid(axis="x", color="#DDDDDD", lw=0.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _y_ticks(first: tuple[float, ...], others: tuple[float, ...], y_max: float) -> list[float]:
    """Tick values: ``first`` (the target range) always, ``others`` where they do not crowd a tick."""
    ticks = list(first)
    for value in others:
        if all(abs(value - t) >= 0.04 * y_max for t in ticks):
            ticks.append(value)
    return sorted(ticks)


def _percentile_labels(ax: Axes, p: dict[float, FloatArray], y_max: float, loc: Localizer) -> None:
    """'95 %' ... '5 %' at the right end of the curves, pushed apart so that they never overlap."""
    ends = sorted(
        (float(row[np.flatnonzero(np.isfinite(row))[-1]]), pct)
        for pct, row in p.items()
        if np.any(np.isfinite(row))
    )
    gap = y_max * 0.055
    placed: list[float] = []
    for y, _pct in ends:
        placed.append(max(y, placed[-1] + gap) if placed else y)
    overflow = placed[-1] - (y_max - gap / 2) if placed else 0.0
    placed = [y - max(overflow, 0.0) for y in placed]
    for (_y, pct), y_text in zip(ends, placed, strict=True):
        ax.text(
            24.4,
            y_text,
            loc.percent(pct),
            fontsize=FS + 0.5,
            va="center",
            ha="left",
            clip_on=False,
            weight="bold" if pct == 50.0 else "normal",
            color=AGP_MEDIAN,
            gid=f"agp-label-p{pct:g}",
        )


DAILY_TOP = 0.318


def daily_panel(fig: Figure, data: AgpReportData, loc: Localizer, unit: DisplayUnit) -> None:
    """Up to 14 midnight-to-midnight tiles, two rows of seven; above range orange, below red."""
    _ = loc.gettext
    section(fig, LEFT, RIGHT, DAILY_TOP, _("Daily glucose profiles"), "section-daily")
    fig.text(
        LEFT,
        DAILY_TOP - 0.027,
        _("Each daily profile runs from midnight to midnight (glucose in {unit}).").format(
            unit=unit.unit.value
        ),
        fontsize=FS,
        color=MUTED,
        style="italic",
    )
    cols, gap, height = 7, 0.006, 0.08
    width = (RIGHT - LEFT - (cols - 1) * gap) / cols
    lo_mgdl, hi_mgdl = data.targets.range_low_mgdl, data.targets.range_high_mgdl
    lo, hi = unit.convert(lo_mgdl), unit.convert(hi_mgdl)
    y_max = unit.axis_max(Y_MAX_MGDL)
    hours = data.tile_minute_of_day / MIN_PER_H
    for i, day in enumerate(data.tile_days[:MAX_DAILY_TILES]):
        row, col = divmod(i, cols)
        y0 = DAILY_TOP - 0.046 - (row + 1) * height - row * 0.03
        ax = fig.add_axes((LEFT + col * (width + gap), y0, width, height), gid=f"daily-{i}")
        g = unit.convert(data.tile_glucose_mgdl[i])
        ax.axhspan(lo, hi, color=TARGET_FILL, lw=0)
        for level in (lo, hi):
            ax.axhline(level, color=TARGET_LINE, lw=0.6)
        ax.fill_between(
            hours, hi, g, where=g > hi, interpolate=True, color=RANGE_COLOURS[BandKind.VERY_HIGH], lw=0
        )
        ax.fill_between(hours, g, lo, where=g < lo, interpolate=True, color=RANGE_COLOURS[BandKind.LOW], lw=0)
        ax.plot(hours, g, color="#222222", lw=0.6, gid=f"daily-line-{i}")
        if not np.any(np.isfinite(g)):
            ax.text(12, y_max / 2, _("No data"), fontsize=FS - 1, color=MUTED, ha="center", va="center")
        ax.set_xlim(0, MIN_PER_DAY / MIN_PER_H)
        ax.set_ylim(0, y_max)
        ax.set_xticks([12], ["12:00"])
        labels = [unit.number(lo_mgdl, loc), unit.number(hi_mgdl, loc)]
        ax.set_yticks([lo, hi], labels if col == 0 else [])
        ax.tick_params(labelsize=FS - 1.5, length=2, pad=1)
        ax.tick_params(axis="y", length=2 if col == 0 else 0)
        date = data.calendar_date(int(day))
        label = loc.weekday_day(date) if date is not None else day_label(data, int(day), loc)
        ax.text(0, 1.03, label, transform=ax.transAxes, fontsize=FS, va="bottom", gid=f"daily-label-{i}")
        for spine in ax.spines.values():
            spine.set_color("#999999")
            spine.set_linewidth(0.5)
