"""The text parts of the AGP page: header, glucose statistics and targets table, footer."""

from __future__ import annotations

from matplotlib.figure import Figure

from t2pump import __version__
from t2pump.metrics.ranges import HYPER_L2_MGDL, HYPO_L2_MGDL
from t2pump.metrics.wear import SUFFICIENT_ACTIVE_PERCENT, SUFFICIENT_DAYS
from t2pump.report._style import (
    ALERT,
    FS,
    LEFT,
    MUTED,
    RIGHT,
    TARGET_LINE,
    rule,
    section,
    shown_goal_percent,
    text_width,
    wrap,
)
from t2pump.report.data import AgpReportData
from t2pump.report.glucose_units import DisplayUnit
from t2pump.report.i18n import Localizer
from t2pump.report.targets import CV_GOAL_PERCENT, BandKind, GoalKind, TargetSetName
from t2pump.units import MIN_PER_DAY, hba1c_percent_to_mmolmol

STATS_RIGHT = 0.56  # right edge of the statistics box [figure fraction]
SECTION_TOP = 0.905
FOOTER_TOP = 0.058


def day_label(data: AgpReportData, day: int, loc: Localizer) -> str:
    """A calendar day as a date, or "Day n" when the trace has no calendar origin (simulations)."""
    date = data.calendar_date(day)
    if date is None:
        return loc.gettext("Day {n}").format(n=day - data.first_day + 1)
    return loc.date(date)


def _days(days: float, loc: Localizer) -> str:
    digits = 0 if abs(days - round(days)) < 0.05 else 1
    return loc.gettext("{days} days").format(days=loc.decimal(days, digits))


def header(fig: Figure, data: AgpReportData, loc: Localizer) -> None:
    _ = loc.gettext
    fig.text(
        LEFT,
        0.975,
        _("AGP report: continuous glucose monitoring"),
        fontsize=FS + 7,
        weight="bold",
        va="center",
        gid="title",
    )
    if data.simulated:
        fig.text(
            RIGHT,
            0.975,
            _("SIMULATED DATA"),
            fontsize=FS + 3,
            weight="bold",
            color=ALERT,
            ha="right",
            va="center",
            gid="simulated",
        )
    period = f"{day_label(data, data.first_day, loc)} \u2013 {day_label(data, data.last_day, loc)}"
    items = [
        (_("Patient"), data.patient_id or "\u2014"),
        (_("Period"), f"{period}  ({_days(data.days_covered, loc)})"),
        (_("% time CGM active"), loc.percent(data.active_percent, 1)),
    ]
    x = LEFT
    for i, (label, value) in enumerate(items):
        fig.text(x, 0.949, label, fontsize=FS, color=MUTED, va="bottom", gid=f"header-label-{i}")
        fig.text(x, 0.945, value, fontsize=FS + 2.5, weight="bold", va="top", gid=f"header-value-{i}")
        x += max(0.12, text_width(fig, label, FS), text_width(fig, value, FS + 2.5, "bold")) + 0.04
    rule(fig, 0.922, colour="#3C3C3C")
    if not data.sufficient:
        warning = _(
            "Less than {days} days or under {percent} of possible readings: these metrics may not be "
            "representative (consensus)."
        ).format(days=SUFFICIENT_DAYS, percent=loc.percent(SUFFICIENT_ACTIVE_PERCENT))
        fig.text(
            LEFT,
            0.914,
            wrap(fig, warning, RIGHT - LEFT, FS, "bold"),
            fontsize=FS,
            weight="bold",
            color=ALERT,
            va="center",
            gid="insufficient",
        )


def _goal_label(kind: GoalKind, data: AgpReportData, loc: Localizer, unit: DisplayUnit) -> str:
    _ = loc.gettext
    lo, hi = unit.number(data.targets.range_low_mgdl, loc), unit.number(data.targets.range_high_mgdl, loc)
    u = unit.unit.value
    match kind:
        case GoalKind.IN_RANGE:
            return _("Target range {low}\u2013{high} {unit}").format(low=lo, high=hi, unit=u)
        case GoalKind.BELOW_RANGE:
            return _("Below {value} {unit}").format(value=lo, unit=u)
        case GoalKind.VERY_LOW:
            return _("Below {value} {unit}").format(value=unit.number(HYPO_L2_MGDL, loc), unit=u)
        case GoalKind.ABOVE_RANGE:
            return _("Above {value} {unit}").format(value=hi, unit=u)
        case GoalKind.VERY_HIGH:
            return _("Above {value} {unit}").format(value=unit.number(HYPER_L2_MGDL, loc), unit=u)


def _population(data: AgpReportData, loc: Localizer) -> str:
    _ = loc.gettext
    match data.targets.name:
        case TargetSetName.OLDER_HIGH_RISK:
            return _("Goals for older or high-risk people with type 1 or type 2 diabetes")
        case TargetSetName.PREGNANCY:
            return _(
                "Goals for pregnancy with type 1 diabetes (type 2 or gestational: ranges apply, "
                "no % goals set)"
            )
        case TargetSetName.STANDARD:
            return _("Goals for adults with type 1 or type 2 diabetes")


def _mark(fig: Figure, x: float, y: float, met: bool, gid: str) -> None:
    """A green tick for a goal met, a red cross otherwise."""
    fig.text(
        x,
        y,
        "\u2713" if met else "\u2717",
        color=TARGET_LINE if met else ALERT,
        fontsize=FS + 2,
        weight="bold",
        va="baseline",
        gid=gid,
    )


_X_GOAL, _X_VALUE, _X_MARK = 0.315, 0.535, 0.541


def _row(fig: Figure, y: float, label: str, goal: str, result: str, key: str) -> None:
    """One table row: label, goal (may be empty) and the result, right-aligned and bold."""
    fig.text(LEFT, y, label, fontsize=FS + 0.5, gid=f"label-{key}")
    fig.text(_X_GOAL, y, goal, fontsize=FS + 0.5, gid=f"goal-{key}")
    fig.text(_X_VALUE, y, result, fontsize=FS + 1.5, weight="bold", ha="right", gid=f"result-{key}")


def statistics(
    fig: Figure, data: AgpReportData, shown: dict[BandKind, float], loc: Localizer, unit: DisplayUnit
) -> None:
    """The glucose statistics and targets table (left box), glucose in ``unit``."""
    _ = loc.gettext
    section(fig, LEFT, STATS_RIGHT, SECTION_TOP, _("Glucose statistics and targets"), "section-statistics")
    y = SECTION_TOP - 0.034
    population = wrap(fig, _population(data, loc), STATS_RIGHT - LEFT, FS - 0.5)
    fig.text(LEFT, y, population, fontsize=FS - 0.5, color=MUTED, style="italic", va="top", gid="population")
    y -= _height(population, FS - 0.5, fig) + 0.015
    for x, text, ha in ((LEFT, _("Ranges"), "left"), (_X_GOAL, _("Goal (time per day)"), "left")):
        fig.text(x, y, text, fontsize=FS, weight="bold", ha=ha)
    fig.text(_X_VALUE, y, _("Result"), fontsize=FS, weight="bold", ha="right")
    rule(fig, y - 0.005, LEFT, STATS_RIGHT)
    for goal in data.targets.goals:
        y -= 0.018
        minutes = goal.percent / 100.0 * MIN_PER_DAY
        goal_text = f"{goal.comparator.value} {loc.percent(goal.percent)}  ({loc.duration(minutes)})"
        result = loc.percent(shown_goal_percent(goal.kind, shown), 1)
        _row(fig, y, _goal_label(goal.kind, data, loc, unit), goal_text, result, goal.kind.value)
        _mark(fig, _X_MARK, y, goal.met(data.goals[goal.kind]), f"met-{goal.kind.value}")
    y -= 0.012
    lo, hi = unit.number(data.targets.range_low_mgdl, loc), unit.number(data.targets.range_high_mgdl, loc)
    note = _("Each {five} increase in time in range ({low}\u2013{high} {unit}) is clinically beneficial.")
    note = note.format(five=loc.percent(5.0), low=lo, high=hi, unit=unit.unit.value)
    note = wrap(fig, note, STATS_RIGHT - LEFT, FS - 0.5)
    fig.text(LEFT, y, note, fontsize=FS - 0.5, color=MUTED, style="italic", va="top")
    y -= _height(note, FS - 0.5, fig) + 0.006
    rule(fig, y, LEFT, STATS_RIGHT)
    _glucose_rows(fig, data, y, loc, unit)


def _glucose_rows(fig: Figure, data: AgpReportData, y: float, loc: Localizer, unit: DisplayUnit) -> None:
    """Mean glucose, GMI (% and mmol/mol) and %CV with its goal; a note under the box."""
    _ = loc.gettext
    y -= 0.019
    _row(fig, y, _("Mean glucose"), "", unit.with_unit(data.mean_mgdl, loc), "mean")
    y -= 0.019
    _row(fig, y, _("Glucose management indicator (GMI)"), "", loc.percent(data.gmi_percent, 1), "gmi")
    mmol_mol = float(hba1c_percent_to_mmolmol(data.gmi_percent))
    fig.text(
        _X_VALUE,
        y - 0.004,
        f"{loc.decimal(mmol_mol)} mmol/mol",
        fontsize=FS - 0.5,
        color=MUTED,
        ha="right",
        va="top",
        gid="result-gmi-ifcc",
    )
    y -= 0.025
    cv_goal = f"\u2264 {loc.percent(CV_GOAL_PERCENT)}"
    _row(fig, y, _("Glucose variability (%CV)"), cv_goal, loc.percent(data.cv_percent, 1), "cv")
    _mark(fig, _X_MARK, y, data.cv_percent <= CV_GOAL_PERCENT, "met-cv")
    y -= 0.013
    note = _("%CV: standard deviation / mean glucose. GMI: estimated HbA1c from mean glucose.")
    fig.text(
        LEFT,
        y,
        wrap(fig, note, RIGHT - LEFT, FS - 0.5),
        fontsize=FS - 0.5,
        color=MUTED,
        style="italic",
        va="top",
    )


def _height(text: str, fontsize: float, fig: Figure) -> float:
    """Height of ``text`` [figure fraction] at matplotlib's line spacing (1.2)."""
    return (text.count("\n") + 1) * fontsize * 1.2 / 72.0 / fig.get_figheight()


def report_disclaimer(loc: Localizer) -> str:
    """The decision-support disclaimer of every report page (also the file's metadata subject)."""
    _ = loc.gettext
    return _(
        "Decision support and simulation software (t2pump), not a medical device: interpret with "
        "the diabetes team; never change treatment on this report alone."
    )


def footer(fig: Figure, data: AgpReportData, loc: Localizer) -> None:
    """Disclaimer (bold), sources, version and number of readings, from ``FOOTER_TOP`` down."""
    _ = loc.gettext
    rule(fig, FOOTER_TOP + 0.006)
    disclaimer = wrap(fig, report_disclaimer(loc), RIGHT - LEFT, FS, "bold")
    fig.text(LEFT, FOOTER_TOP, disclaimer, fontsize=FS, weight="bold", va="top", gid="disclaimer")
    sources = _(
        "Goals: Battelino T et al., Diabetes Care 2019;42:1593\u20131603 (international consensus on "
        "time in range). GMI: Bergenstal RM et al., Diabetes Care 2018;41:2275\u20132280. AGP: Johnson "
        "ML et al., Diabetes Technol Ther 2019;21(S2):S217\u2013S225. Metrics computed as iglu 4.3.0 "
        "(Broll S et al., PLoS One 2021;16:e0248560); time in ranges = % of CGM readings."
    )
    sources += f" t2pump {__version__}, {data.n_readings} " + _("readings") + "."
    y = FOOTER_TOP - _height(disclaimer, FS, fig) - 0.004
    sources = wrap(fig, sources, RIGHT - LEFT, FS - 1.5)
    fig.text(LEFT, y, sources, fontsize=FS - 1.5, color=MUTED, va="top", gid="sources")
