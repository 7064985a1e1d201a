"""Consensus CGM metrics, episodes and AGP percentiles: NumPy in, numbers out, no plotting.

t2pump gives the numbers clinicians trust: iglu 4.3.0's [1]_ for every metric iglu has (t2pump's
reference tests reproduce its output on a synthetic data set to 1e-9 relative or better) and the
international consensus definitions [2]_, [3]_ for the ranges, events and data sufficiency.

Inputs and units
----------------
* glucose in mg/dL, NaN for a missing reading; time in minutes since the midnight of day 0 of the
  local wall clock (:func:`~t2pump.metrics.clock.minutes_since_midnight` converts datetimes). Days
  are calendar days of that clock.
* **Reading-based metrics** (:mod:`basic`, :mod:`ranges`, :mod:`risk`, COGI, naive MAGE) take
  ``(n_readings,)`` for one subject or ``(n_patients, n_readings)`` for a cohort on one clock and
  return an array of shape ``()`` or ``(n_patients,)`` - ``float()`` gives one subject's number.
  Readings are counted (% of readings), not weighted by time, as in the consensus and iglu.
* **Time-dependent metrics** (:mod:`variability`, AUC, episodes, AGP) take one subject's
  :class:`GlucoseGrid` from :func:`interpolation_grid` (iglu ``CGMS2DayByDay``: a grid of the
  median sampling interval, linear interpolation, none across gaps longer than 45 min) and return
  floats. MAGE, PGS and active percent take one subject's readings.
* **A cohort at once**: :func:`~t2pump.metrics.batch.metric_table` computes the full per-patient
  set (:data:`~t2pump.metrics.batch.TABLE_KEYS`) for every patient of a shared clock with whole-array
  operations (:mod:`cohort_grid`: iglu's grid for all patients at once; :mod:`cohort_mage`; episode
  counts), equal patient by patient to :func:`~t2pump.metrics.batch.metric_row`, the same set from
  the single-subject functions.

References
----------
.. [1] Broll S, et al. Interpreting blood GLUcose data with R package iglu. PLoS One
   2021;16(4):e0248560. doi:10.1371/journal.pone.0248560; Chun E, Fernandes NJ, Gaynanova I. An
   update on the iglu software package. Diabetes Technol Ther 2024;26(12):939-950.
   doi:10.1089/dia.2024.0154. iglu 4.3.0 = GitHub irinagain/iglu commit 33d72695.
.. [2] Battelino T, et al. Diabetes Care 2019;42(8):1593-1603. doi:10.2337/dci19-0028
.. [3] Battelino T, et al. Lancet Diabetes Endocrinol 2023;11(1):42-57.
   doi:10.1016/S2213-8587(22)00319-9
"""

from t2pump.metrics.agp import AGP_PERCENTILES, AgpProfile, DailyProfiles, agp_profile, daily_profiles
from t2pump.metrics.auc import auc_hourly_iglu_mgdl
from t2pump.metrics.basic import (
    count_readings,
    cv_percent,
    ea1c_percent,
    gmi_percent,
    iqr_glucose_mgdl,
    mad_glucose_mgdl,
    mean_glucose_mgdl,
    median_glucose_mgdl,
    quantiles_glucose_mgdl,
    range_glucose_mgdl,
    sd_glucose_mgdl,
)
from t2pump.metrics.batch import TABLE_KEYS, metric_row, metric_table
from t2pump.metrics.clock import minutes_since_midnight, sampling_interval_min, sleep_mask
from t2pump.metrics.cohort_grid import CohortGrid, cohort_grid, sampling_intervals_min
from t2pump.metrics.composite import cogi, pgs
from t2pump.metrics.episodes import (
    EXTENDED_HYPER_CRITERIA,
    Episode,
    EpisodeClass,
    EpisodeCriteria,
    EpisodeSummary,
    episode_counts,
    episode_summaries,
    find_episodes,
)
from t2pump.metrics.grid import GlucoseGrid, interpolation_grid
from t2pump.metrics.mage import MageDirection, MageSegment, mage_mgdl, mage_naive_mgdl, mage_segments
from t2pump.metrics.ranges import (
    Gri,
    GriZone,
    TimeInRanges,
    gri,
    gri_zone,
    percent_above,
    percent_below,
    percent_in_range,
    time_in_ranges,
)
from t2pump.metrics.risk import (
    Grade,
    adrr,
    grade,
    hbgi,
    hyper_index,
    hypo_index,
    igc,
    j_index,
    lbgi,
    m_value,
)
from t2pump.metrics.variability import (
    CvMeasures,
    SdMeasures,
    conga_mgdl,
    cv_measures,
    gvp_percent,
    mag_hourly_legacy_mgdl_per_h,
    mag_mgdl_per_h,
    modd_mgdl,
    roc_mgdl_per_min,
    sd_measures,
    sd_roc_mgdl_per_min,
)
from t2pump.metrics.wear import (
    DataSufficiency,
    active_percent,
    active_percent_window,
    data_sufficiency,
    wear_days,
)

__all__ = [
    "AGP_PERCENTILES",
    "EXTENDED_HYPER_CRITERIA",
    "TABLE_KEYS",
    "AgpProfile",
    "CohortGrid",
    "CvMeasures",
    "DailyProfiles",
    "DataSufficiency",
    "Episode",
    "EpisodeClass",
    "EpisodeCriteria",
    "EpisodeSummary",
    "GlucoseGrid",
    "Grade",
    "Gri",
    "GriZone",
    "MageDirection",
    "MageSegment",
    "SdMeasures",
    "TimeInRanges",
    "active_percent",
    "active_percent_window",
    "adrr",
    "agp_profile",
    "auc_hourly_iglu_mgdl",
    "cogi",
    "cohort_grid",
    "conga_mgdl",
    "count_readings",
    "cv_measures",
    "cv_percent",
    "daily_profiles",
    "data_sufficiency",
    "ea1c_percent",
    "episode_counts",
    "episode_summaries",
    "find_episodes",
    "gmi_percent",
    "grade",
    "gri",
    "gri_zone",
    "gvp_percent",
    "hbgi",
    "hyper_index",
    "hypo_index",
    "igc",
    "interpolation_grid",
    "iqr_glucose_mgdl",
    "j_index",
    "lbgi",
    "m_value",
    "mad_glucose_mgdl",
    "mag_hourly_legacy_mgdl_per_h",
    "mag_mgdl_per_h",
    "mage_mgdl",
    "mage_naive_mgdl",
    "mage_segments",
    "mean_glucose_mgdl",
    "median_glucose_mgdl",
    "metric_row",
    "metric_table",
    "minutes_since_midnight",
    "modd_mgdl",
    "percent_above",
    "percent_below",
    "percent_in_range",
    "pgs",
    "quantiles_glucose_mgdl",
    "range_glucose_mgdl",
    "roc_mgdl_per_min",
    "sampling_interval_min",
    "sampling_intervals_min",
    "sd_glucose_mgdl",
    "sd_measures",
    "sd_roc_mgdl_per_min",
    "sleep_mask",
    "time_in_ranges",
    "wear_days",
]
