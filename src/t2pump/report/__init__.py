"""Reports for clinicians: the one-page AGP report (PDF or PNG) in French and English.

* :mod:`t2pump.report.data`: the report's numbers, all from t2pump.metrics (no plotting);
* :mod:`t2pump.report.targets`: consensus target sets (standard, older/high-risk, pregnancy) as data;
* :mod:`t2pump.report.agp`: the A4 page (matplotlib, no pyplot) and the atomic PDF/PNG writer;
* :mod:`t2pump.report.i18n`: gettext catalogs (text ``.po`` files in the package) and Babel
  number and date formats (``fr_FR``, ``en_GB``);
* :mod:`t2pump.report.glucose_units`: the glucose unit shown (mg/dL, mmol/L or g/L; metrics stay
  in mg/dL).

Every page says that t2pump is decision support and a simulator, not a medical device.
"""

from t2pump.report.agp import agp_figure, agp_report, display_percents, write_agp_report
from t2pump.report.data import AgpReportData, agp_report_data, agp_report_data_from_trace
from t2pump.report.glucose_units import GlucoseUnit, display_unit
from t2pump.report.i18n import Lang, localizer
from t2pump.report.targets import TARGET_SETS, TargetSet, TargetSetName

__all__ = [
    "TARGET_SETS",
    "AgpReportData",
    "GlucoseUnit",
    "Lang",
    "TargetSet",
    "TargetSetName",
    "agp_figure",
    "agp_report",
    "agp_report_data",
    "agp_report_data_from_trace",
    "display_percents",
    "display_unit",
    "localizer",
    "write_agp_report",
]
