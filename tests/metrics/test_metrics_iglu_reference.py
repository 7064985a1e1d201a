"""Every value iglu 4.3.0 computed on the synthetic dev set, reproduced by t2pump.metrics.

Fixtures: tests/fixtures/iglu (20 synthetic subjects, iglu 4.3.0 commit 33d72695 run one subject at
a time; see PROVENANCE.md). Each of the 194 (function call, column) pairs of
``iglu_expected_dev.csv`` maps to one t2pump computation below, and a test checks that the map
covers the file, so no iglu number goes unchecked.

Tolerance: 1e-9 relative (1e-12 absolute for zeros); counts exactly. t2pump repeats iglu's
arithmetic (same formulas and constants, the same interpolation weights as R ``approx``), so what
is left is summation-order rounding (NumPy pairwise vs R long double), observed below 5e-14. The
smallest *definitional* difference known between implementations (Kovatchev's 22.77081 vs iglu's
22.77 in LBGI/HBGI) is 3.6e-5, far above the tolerance; the expected values carry 15 digits.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest

from conftest import FIXTURES, read_csv
from t2pump.metrics import (
    EpisodeClass,
    EpisodeCriteria,
    EpisodeSummary,
    GlucoseGrid,
    active_percent,
    active_percent_window,
    adrr,
    agp_profile,
    auc_hourly_iglu_mgdl,
    cogi,
    conga_mgdl,
    cv_measures,
    cv_percent,
    ea1c_percent,
    episode_summaries,
    gmi_percent,
    grade,
    gri,
    gvp_percent,
    hbgi,
    hyper_index,
    hypo_index,
    igc,
    interpolation_grid,
    iqr_glucose_mgdl,
    j_index,
    lbgi,
    m_value,
    mad_glucose_mgdl,
    mag_hourly_legacy_mgdl_per_h,
    mag_mgdl_per_h,
    mage_mgdl,
    mage_naive_mgdl,
    mean_glucose_mgdl,
    median_glucose_mgdl,
    minutes_since_midnight,
    modd_mgdl,
    percent_above,
    percent_below,
    percent_in_range,
    pgs,
    quantiles_glucose_mgdl,
    range_glucose_mgdl,
    sd_glucose_mgdl,
    sd_measures,
    sd_roc_mgdl_per_min,
    sleep_mask,
    wear_days,
)

pytestmark = pytest.mark.reference

REL, ABS = 1e-9, 1e-12


@dataclass(frozen=True)
class Subject:
    id: str
    time_min: np.ndarray  # minutes since the midnight of the cohort's first date
    glucose_mgdl: np.ndarray


@cache
def subjects() -> tuple[Subject, ...]:
    with (FIXTURES / "iglu" / "cgm_synthetic_dev.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    ids = np.array([r["id"] for r in rows])
    t_min, _ = minutes_since_midnight(np.array([r["time"] for r in rows], dtype="datetime64[s]"))
    gl = np.array([float(r["gl"]) for r in rows])
    return tuple(Subject(i, t_min[ids == i], gl[ids == i]) for i in dict.fromkeys(ids.tolist()))


@cache
def cohort() -> tuple[np.ndarray, np.ndarray]:
    """All subjects on one clock: the union of their times, NaN where a subject has no reading."""
    subs = subjects()
    clock = np.unique(np.concatenate([s.time_min for s in subs]))
    glucose = np.full((len(subs), clock.shape[0]), np.nan)
    for row, s in enumerate(subs):
        glucose[row, np.searchsorted(clock, s.time_min)] = s.glucose_mgdl
    return clock, glucose


@cache
def grid(subject_id: str) -> GlucoseGrid:
    s = next(s for s in subjects() if s.id == subject_id)
    return interpolation_grid(s.time_min, s.glucose_mgdl)


@cache
def episodes(subject_id: str, dur_length_min: float = 15.0) -> dict[EpisodeClass, EpisodeSummary]:
    return episode_summaries(grid(subject_id), EpisodeCriteria(dur_length_min=dur_length_min))


@cache
def expected() -> dict[tuple[str, str], dict[str, float]]:
    out: dict[tuple[str, str], dict[str, float]] = {}
    for r in read_csv("iglu/iglu_expected_dev.csv"):
        value = math.nan if r["value"] == "NA" else float(r["value"])
        out.setdefault((r["function_call"], r["metric"]), {})[r["id"]] = value
    return out


# ---- reading-based metrics: one vectorised call for the whole cohort -> (n_subjects,) ----------------
CohortMetric = Callable[[np.ndarray, np.ndarray], np.ndarray]

_IN_RANGE_3 = "in_range_percent(target_ranges = list(c(70, 180), c(63, 140), c(70, 140)))"
_SW = "calculate_sleep_wake(FUN = {}, calculate = 'both')"


def _sleep(f: Callable[[np.ndarray], np.ndarray], sleep: bool) -> CohortMetric:
    def metric(clock: np.ndarray, g: np.ndarray) -> np.ndarray:
        mask = sleep_mask(clock) if sleep else ~sleep_mask(clock)
        return f(np.where(mask, g, np.nan))

    return metric


def _q(p: float) -> CohortMetric:
    return lambda _, g: quantiles_glucose_mgdl(g, [p])[:, 0]


COHORT: dict[tuple[str, str], CohortMetric] = {
    ("mean_glu()", "mean"): lambda _, g: mean_glucose_mgdl(g),
    ("median_glu()", "median"): lambda _, g: median_glucose_mgdl(g),
    ("sd_glu()", "SD"): lambda _, g: sd_glucose_mgdl(g),
    ("cv_glu()", "CV"): lambda _, g: cv_percent(g),
    ("iqr_glu()", "IQR"): lambda _, g: iqr_glucose_mgdl(g),
    ("mad_glu()", "MAD"): lambda _, g: mad_glucose_mgdl(g),
    ("range_glu()", "range"): lambda _, g: range_glucose_mgdl(g),
    **{("quantile_glu()", f"{p}"): _q(p) for p in (0, 25, 50, 75, 100)},
    ("above_percent()", "above_140"): lambda _, g: percent_above(g, 140),
    ("above_percent()", "above_180"): lambda _, g: percent_above(g, 180),
    ("above_percent()", "above_250"): lambda _, g: percent_above(g, 250),
    ("below_percent()", "below_54"): lambda _, g: percent_below(g, 54),
    ("below_percent()", "below_70"): lambda _, g: percent_below(g, 70),
    (_IN_RANGE_3, "in_range_70_180"): lambda _, g: percent_in_range(g, 70, 180),
    (_IN_RANGE_3, "in_range_63_140"): lambda _, g: percent_in_range(g, 63, 140),
    (_IN_RANGE_3, "in_range_70_140"): lambda _, g: percent_in_range(g, 70, 140),
    ("gmi()", "GMI"): lambda _, g: gmi_percent(g),
    ("ea1c()", "eA1C"): lambda _, g: ea1c_percent(g),
    ("gri()", "GRI"): lambda _, g: gri(g).gri,
    ("j_index()", "J_index"): lambda _, g: j_index(g),
    ("m_value()", "M_value"): lambda _, g: m_value(g),
    ("m_value(r = 120)", "M_value"): lambda _, g: m_value(g, 120),
    ("lbgi()", "LBGI"): lambda _, g: lbgi(g),
    ("hbgi()", "HBGI"): lambda _, g: hbgi(g),
    ("adrr()", "ADRR"): adrr,
    ("grade()", "GRADE"): lambda _, g: grade(g).grade,
    ("grade_hypo()", "GRADE_hypo"): lambda _, g: grade(g).hypo_percent,
    ("grade_eugly()", "GRADE_eugly"): lambda _, g: grade(g).eu_percent,
    ("grade_hyper()", "GRADE_hyper"): lambda _, g: grade(g).hyper_percent,
    ("hypo_index()", "hypo_index"): lambda _, g: hypo_index(g),
    ("hyper_index()", "hyper_index"): lambda _, g: hyper_index(g),
    ("igc()", "IGC"): lambda _, g: igc(g),
    ("cogi()", "COGI"): lambda _, g: cogi(g),
    ("mage(version = 'naive')", "MAGE"): lambda _, g: mage_naive_mgdl(g),
}
for _when, _sleeping in (("sleep", True), ("wake", False)):
    COHORT[(_SW.format("mean_glu"), f"mean {_when}")] = _sleep(mean_glucose_mgdl, _sleeping)
    for _lo, _hi in ((63, 140), (70, 180)):
        COHORT[(_SW.format("in_range_percent"), f"in_range_{_lo}_{_hi} {_when}")] = _sleep(
            lambda g, lo=_lo, hi=_hi: percent_in_range(g, lo, hi), _sleeping
        )
    for _thr in (54, 70):
        COHORT[(_SW.format("below_percent"), f"below_{_thr} {_when}")] = _sleep(
            lambda g, thr=_thr: percent_below(g, thr), _sleeping
        )

# ---- time-dependent metrics: one subject at a time -------------------------------------------------------
SubjectMetric = Callable[[Subject], float]


def _ep(column: str, cls: EpisodeClass, dur_length_min: float = 15.0) -> SubjectMetric:
    attr = {
        "avg_ep_per_day": "episodes_per_day",
        "avg_ep_duration": "mean_duration_min",
        "avg_ep_gl": "mean_glucose_mgdl",
        "total_episodes": "total_episodes",
    }[column]
    return lambda s: float(getattr(episodes(s.id, dur_length_min)[cls], attr))


def _g(f: Callable[[GlucoseGrid], float]) -> SubjectMetric:
    return lambda s: f(grid(s.id))


SUBJECT: dict[tuple[str, str], SubjectMetric] = {
    ("active_percent()", "active_percent"): lambda s: active_percent(s.time_min, s.glucose_mgdl),
    ("active_percent()", "ndays"): lambda s: round(wear_days(s.time_min, s.glucose_mgdl), 1),
    ("active_percent(range_type = 'manual', ndays = 14)", "active_percent"): lambda s: active_percent_window(
        s.time_min, s.glucose_mgdl, window_days=14
    ),
    ("active_percent(range_type = 'manual', ndays = 14)", "ndays"): lambda s: 14.0,
    ("conga()", "CONGA"): _g(lambda gr: conga_mgdl(gr, lag_h=24)),
    ("conga(n = 1)", "CONGA"): _g(lambda gr: conga_mgdl(gr, lag_h=1)),
    ("conga(n = 2)", "CONGA"): _g(lambda gr: conga_mgdl(gr, lag_h=2)),
    ("conga(n = 4)", "CONGA"): _g(lambda gr: conga_mgdl(gr, lag_h=4)),
    ("modd()", "MODD"): _g(modd_mgdl),
    ("gvp()", "GVP"): _g(gvp_percent),
    ("mag()", "MAG"): _g(mag_mgdl_per_h),
    ("mag(n = 60)", "MAG"): _g(lambda gr: mag_mgdl_per_h(gr, n_min=60)),
    ("sd_roc()", "sd_roc"): _g(sd_roc_mgdl_per_min),
    ("auc()", "hourly_auc"): _g(auc_hourly_iglu_mgdl),
    ("cv_measures()", "CVmean"): _g(lambda gr: cv_measures(gr).cv_mean_percent),
    ("cv_measures()", "CVsd"): _g(lambda gr: cv_measures(gr).cv_sd_percent),
    ("sd_measures()", "SDw"): _g(lambda gr: sd_measures(gr).sd_within_days),
    ("sd_measures()", "SDhhmm"): _g(lambda gr: sd_measures(gr).sd_between_times),
    ("sd_measures()", "SDwsh"): _g(lambda gr: sd_measures(gr).sd_within_series_1h),
    ("sd_measures()", "SDdm"): _g(lambda gr: sd_measures(gr).sd_daily_means),
    ("sd_measures()", "SDb"): _g(lambda gr: sd_measures(gr).sd_between_days),
    ("sd_measures()", "SDbdm"): _g(lambda gr: sd_measures(gr).sd_between_days_within_dm),
    ("mage()", "MAGE"): lambda s: mage_mgdl(s.time_min, s.glucose_mgdl),
    **{
        (f"mage(direction = '{d}')", "MAGE"): lambda s, d=d: mage_mgdl(
            s.time_min, s.glucose_mgdl, direction=d
        )
        for d in ("plus", "minus", "service", "max")
    },
    **{
        ("episode_calculation()", f"{col}:{cls.value}"): _ep(col, cls)
        for col in ("avg_ep_per_day", "avg_ep_duration", "avg_ep_gl", "total_episodes")
        for cls in EpisodeClass
    },
    ("all_metrics(metrics_to_include = 'consensus_only')", "total_extended_hyper_episodes"): _ep(
        "total_episodes", EpisodeClass.HYPER_LV2, dur_length_min=120.0
    ),
    ("all_metrics()", "MAG"): _g(mag_hourly_legacy_mgdl_per_h),
}

# ---- columns of the summary functions that repeat a metric above ----------------------------------------
_ALL, _CONS, _AGP = "all_metrics()", "all_metrics(metrics_to_include = 'consensus_only')", "agp_metrics()"
ALIASES: dict[tuple[str, str], tuple[str, str]] = {
    ("summary_glu()", "Min."): ("quantile_glu()", "0"),
    ("summary_glu()", "1st Qu."): ("quantile_glu()", "25"),
    ("summary_glu()", "Median"): ("median_glu()", "median"),
    ("summary_glu()", "Mean"): ("mean_glu()", "mean"),
    ("summary_glu()", "3rd Qu."): ("quantile_glu()", "75"),
    ("summary_glu()", "Max."): ("quantile_glu()", "100"),
    ("pgs()", "PGS"): ("pgs()", "PGS"),  # computed in its own test (it warns on 15-min data)
    **{(_ALL, m): ("summary_glu()", m) for m in ("Min.", "1st Qu.", "Median", "Mean", "3rd Qu.", "Max.")},
    **{(_ALL, f"{c.value}"): ("episode_calculation()", f"avg_ep_per_day:{c.value}") for c in EpisodeClass},
    (_CONS, "total_extended_hypo_episodes"): ("episode_calculation()", "total_episodes:hypo_extended"),
}
for _call, _cols in {
    _ALL: {
        "ADRR": ("adrr()", "ADRR"),
        "COGI": ("cogi()", "COGI"),
        "CV": ("cv_glu()", "CV"),
        "eA1C": ("ea1c()", "eA1C"),
        "GMI": ("gmi()", "GMI"),
        "GRI": ("gri()", "GRI"),
        "GRADE": ("grade()", "GRADE"),
        "GRADE_eugly": ("grade_eugly()", "GRADE_eugly"),
        "GRADE_hyper": ("grade_hyper()", "GRADE_hyper"),
        "GRADE_hypo": ("grade_hypo()", "GRADE_hypo"),
        "HBGI": ("hbgi()", "HBGI"),
        "LBGI": ("lbgi()", "LBGI"),
        "hyper_index": ("hyper_index()", "hyper_index"),
        "hypo_index": ("hypo_index()", "hypo_index"),
        "IGC": ("igc()", "IGC"),
        "IQR": ("iqr_glu()", "IQR"),
        "J_index": ("j_index()", "J_index"),
        "M_value": ("m_value()", "M_value"),
        "MAD": ("mad_glu()", "MAD"),
        "MAGE": ("mage()", "MAGE"),
        "active_percent": ("active_percent()", "active_percent"),
        "ndays": ("active_percent()", "ndays"),
        "above_140": ("above_percent()", "above_140"),
        "above_180": ("above_percent()", "above_180"),
        "above_250": ("above_percent()", "above_250"),
        "below_54": ("below_percent()", "below_54"),
        "below_70": ("below_percent()", "below_70"),
        "in_range_63_140": (_IN_RANGE_3, "in_range_63_140"),
        "in_range_70_180": (_IN_RANGE_3, "in_range_70_180"),
        "PGS": ("pgs()", "PGS"),
        "range": ("range_glu()", "range"),
        "SD": ("sd_glu()", "SD"),
        "Conga": ("conga()", "CONGA"),
        "GVP": ("gvp()", "GVP"),
        "MODD": ("modd()", "MODD"),
        "SD.Roc": ("sd_roc()", "sd_roc"),
        "CV_Measures_Mean": ("cv_measures()", "CVmean"),
        "CV_Measures_SD": ("cv_measures()", "CVsd"),
        "AUC": ("auc()", "hourly_auc"),
        **{k: ("sd_measures()", k) for k in ("SDw", "SDhhmm", "SDwsh", "SDdm", "SDb", "SDbdm")},
    },
    _CONS: {
        "below_54": ("below_percent()", "below_54"),
        "below_70": ("below_percent()", "below_70"),
        "in_range_70_180": (_IN_RANGE_3, "in_range_70_180"),
        "above_180": ("above_percent()", "above_180"),
        "above_250": ("above_percent()", "above_250"),
        "SD": ("sd_glu()", "SD"),
        "mean": ("mean_glu()", "mean"),
        "CV": ("cv_glu()", "CV"),
        "active_percent": ("active_percent()", "active_percent"),
        "ndays": ("active_percent()", "ndays"),
        "in_range_70_140": (_IN_RANGE_3, "in_range_70_140"),
        "GMI": ("gmi()", "GMI"),
        "GRI": ("gri()", "GRI"),
    },
    _AGP: {
        "ndays": ("active_percent()", "ndays"),
        "active_percent": ("active_percent()", "active_percent"),
        "mean": ("mean_glu()", "mean"),
        "GMI": ("gmi()", "GMI"),
        "CV": ("cv_glu()", "CV"),
        "below_54": ("below_percent()", "below_54"),
        "below_70": ("below_percent()", "below_70"),
        "in_range_70_180": (_IN_RANGE_3, "in_range_70_180"),
        "above_180": ("above_percent()", "above_180"),
        "above_250": ("above_percent()", "above_250"),
    },
}.items():
    for _col, _target in _cols.items():
        ALIASES[(_call, _col)] = _target


def _assert_close(key: tuple[str, str], got: dict[str, float]) -> None:
    want = expected()[key]
    assert got.keys() == want.keys()
    bad = {
        i: (got[i], want[i])
        for i in want
        if not (math.isnan(want[i]) and math.isnan(got[i]))
        and got[i] != pytest.approx(want[i], rel=REL, abs=ABS)
    }
    assert not bad, f"{key}: (t2pump, iglu) differ for {bad}"


def test_every_iglu_value_is_checked() -> None:
    covered = COHORT.keys() | SUBJECT.keys() | ALIASES.keys()
    assert set(expected()) == covered
    for alias, target in ALIASES.items():
        assert expected()[alias] == expected()[target], f"{alias} is not the same number as {target}"


@pytest.mark.parametrize("key", list(COHORT), ids=" ".join)
def test_reading_metrics_vectorised_over_the_cohort(key: tuple[str, str]) -> None:
    clock, glucose = cohort()
    values = COHORT[key](clock, glucose)
    assert values.shape == (len(subjects()),)
    _assert_close(key, {s.id: float(v) for s, v in zip(subjects(), values, strict=True)})


@pytest.mark.parametrize("key", list(SUBJECT), ids=" ".join)
def test_time_dependent_metrics_per_subject(key: tuple[str, str]) -> None:
    _assert_close(key, {s.id: float(SUBJECT[key](s)) for s in subjects()})


def test_pgs_with_iglu_rounding_of_episode_length_on_15_min_data() -> None:
    got = {}
    for s in subjects():
        if grid(s.id).dt0_min == 15:  # 20-min episodes become 30 min, as in iglu, with a warning
            with pytest.warns(UserWarning, match="not a multiple of the grid step 15 min; using 30 min"):
                got[s.id] = pgs(s.time_min, s.glucose_mgdl)
        else:
            got[s.id] = pgs(s.time_min, s.glucose_mgdl)
    _assert_close(("pgs()", "PGS"), got)


def test_agp_percentiles_match_iglu_grid_quantiles() -> None:
    rows: dict[str, list[dict[str, str]]] = {}
    for r in read_csv("iglu/iglu_agp_dev.csv"):
        rows.setdefault(r["id"], []).append(r)
    for s in subjects():
        agp = agp_profile(grid(s.id))
        ref = rows[s.id]
        assert agp.minute_of_day.tolist() == [float(r["minute"]) for r in ref]
        assert agp.n_days.tolist() == [int(r["n_days"]) for r in ref]
        for i, column in enumerate(("p05", "p25", "p50", "p75", "p95")):
            want = np.array([math.nan if r[column] == "NA" else float(r[column]) for r in ref])
            np.testing.assert_allclose(agp.glucose_mgdl[i], want, rtol=REL, atol=ABS, err_msg=s.id)


def test_grid_step_is_the_sensor_interval() -> None:
    steps = {s.id: grid(s.id).dt0_min for s in subjects()}
    assert {i for i, dt0 in steps.items() if dt0 == 15} == {"dev-09", "dev-11"}
    assert all(dt0 in (5, 15) for dt0 in steps.values())
