"""The one-page AGP report (A4 portrait) in French or English, as PDF or PNG.

Layout after the IDC AGP report v5 [1]_, [2]_: header (patient, period, % time CGM active), glucose
statistics and targets (the goals of the chosen consensus set [3]_), the stacked time-in-ranges bar,
the AGP (median, 25-75 % and 5-95 % bands, target range), the daily profiles (up to 14 days,
midnight to midnight), and a footer with the decision-support disclaimer and the sources.

The numbers come from :mod:`t2pump.report.data` (t2pump.metrics); this module only draws them. The
figure is a bare :class:`matplotlib.figure.Figure` (no pyplot, no global backend state). Percentages
in the ranges bar are rounded to 0.1 % by the largest-remainder method so that the printed values add
up to 100 %; the table shows the same rounded values. The AGP curves are smoothed for display
(:mod:`t2pump.report.smoothing`, as iglu ``plot_agp``) unless ``smooth=False``.

References
----------
.. [1] Johnson ML, Martens TW, Criego AB, et al. Utilizing the ambulatory glucose profile to
   standardize and implement continuous glucose monitoring in clinical practice. Diabetes Technol
   Ther 2019;21(S2):S217-S225. doi:10.1089/dia.2019.0034
.. [2] iglu 4.3.0 ``R/agp.R``, ``plot_ranges.R``, ``plot_daily.R`` (GitHub irinagain/iglu, commit
   33d72695): range colours and the page's parts.
.. [3] Battelino T, et al. Diabetes Care 2019;42(8):1593-1603. doi:10.2337/dci19-0028
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from matplotlib import rc_context
from matplotlib.figure import Figure

from t2pump import __version__
from t2pump.errors import InputRangeError
from t2pump.report._plots import agp_panel, daily_panel, ranges_bar
from t2pump.report._style import A4_PORTRAIT_IN, PNG_DPI, RANGE_COLOURS, display_percents, new_page
from t2pump.report._text import footer, header, report_disclaimer, statistics
from t2pump.report.data import DEFAULT_WINDOW_DAYS, AgpReportData, agp_report_data_from_trace
from t2pump.report.glucose_units import GlucoseUnit, display_unit
from t2pump.report.i18n import localizer
from t2pump.report.targets import TargetSetName
from t2pump.simulation.engine import Trace

__all__ = [
    "A4_PORTRAIT_IN",
    "PNG_DPI",
    "RANGE_COLOURS",
    "agp_figure",
    "agp_report",
    "display_percents",
    "save_figure_atomic",
    "write_agp_report",
]


def agp_figure(
    data: AgpReportData, lang: str = "en", *, smooth: bool = True, units: str = GlucoseUnit.MGDL.value
) -> Figure:
    """Draw the one-page AGP report of ``data`` in ``lang`` (``"fr"`` or ``"en"``), glucose in ``units``.

    ``units`` is ``"mg/dL"``, ``"mmol/L"`` or ``"g/L"`` (:mod:`t2pump.report.glucose_units`): only
    what is shown converts; the numbers in ``data`` stay in mg/dL.
    """
    loc = localizer(lang)
    unit = display_unit(units)
    fig = new_page()
    shown = display_percents(data.bands)
    header(fig, data, loc)
    statistics(fig, data, shown, loc, unit)
    ranges_bar(fig, data, shown, loc, unit)
    agp_panel(fig, data, loc, unit, smooth=smooth)
    daily_panel(fig, data, loc, unit)
    footer(fig, data, loc)
    return fig


def agp_report(
    trace: Trace,
    *,
    patient: str | None = None,
    lang: str = "en",
    target_set: str = TargetSetName.STANDARD.value,
    window_days: int | None = DEFAULT_WINDOW_DAYS,
    signal: str = "cgm",
    smooth: bool = True,
    units: str = GlucoseUnit.MGDL.value,
) -> Figure:
    """The AGP report of one patient of ``trace`` (its ``cgm`` signal, mg/dL) as a figure."""
    localizer(lang)  # an unknown language or unit fails before any computation
    display_unit(units)
    data = agp_report_data_from_trace(
        trace, patient=patient, signal=signal, target_set=target_set, window_days=window_days
    )
    return agp_figure(data, lang, smooth=smooth, units=units)


def write_agp_report(
    trace: Trace,
    path: str | os.PathLike[str],
    *,
    patient: str | None = None,
    lang: str = "en",
    target_set: str = TargetSetName.STANDARD.value,
    window_days: int | None = DEFAULT_WINDOW_DAYS,
    signal: str = "cgm",
    smooth: bool = True,
    units: str = GlucoseUnit.MGDL.value,
) -> Path:
    """Write the AGP report to ``path`` (``.pdf`` or ``.png``), atomically; return the path.

    Glucose is shown in ``units`` (``"mg/dL"``, ``"mmol/L"`` or ``"g/L"``); metrics are computed in mg/dL.
    """
    target = Path(path)
    fmt = target.suffix.lower().removeprefix(".")
    if fmt not in {"pdf", "png"}:
        raise InputRangeError("out", str(path), "a file name ending in .pdf or .png")
    loc = localizer(lang)
    display_unit(units)
    data = agp_report_data_from_trace(
        trace, patient=patient, signal=signal, target_set=target_set, window_days=window_days
    )
    _ = loc.gettext
    title = _("AGP report") + f" \u2013 {data.patient_id}"
    fig = agp_figure(data, lang, smooth=smooth, units=units)
    save_figure_atomic(fig, target, fmt, title=title, subject=report_disclaimer(loc))
    return target


def save_figure_atomic(fig: Figure, path: Path, fmt: str, *, title: str, subject: str) -> None:
    """Save to a new hidden file next to ``path``, then rename it onto ``path``.

    A reader never sees a half-written report and a failed save leaves an existing ``path`` as it
    was. The file is created with mode 0o666 less the umask, like any file the user writes
    (``tempfile.mkstemp`` would leave it 0o600).
    """
    if fmt == "pdf":
        metadata = {"Title": title, "Subject": subject, "Creator": f"t2pump {__version__}"}
    else:
        metadata = {"Title": title, "Description": subject, "Software": f"t2pump {__version__}"}
    directory = path.parent if str(path.parent) else Path(".")
    while True:
        tmp = directory / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
    try:
        with os.fdopen(fd, "wb") as fh, rc_context({"pdf.fonttype": 42}):  # TrueType: text stays text
            fig.savefig(fh, format=fmt, dpi=PNG_DPI, metadata=metadata)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
