"""The metric summary of imported data reproduces iglu 4.3.0 on the synthetic reference set.

Input: tests/fixtures/iglu/cgm_synthetic_dev.csv (20 subjects in iglu's id,time,gl layout) read by
the ``iglu`` reader; expected: iglu_expected_dev.csv (iglu 4.3.0 run in R, see its PROVENANCE.md).
Tolerance 1e-9 relative as in tests/metrics/test_metrics_iglu_reference.py (same arithmetic,
summation-order rounding only): this checks the import path (times, ids, per-patient origins) and
the key names, not the metrics again.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest

from conftest import FIXTURES, read_csv
from t2pump.errors import InputRangeError
from t2pump.io import METRIC_KEYS, metric_summary, read_file
from t2pump.io.summary import metric_summaries
from t2pump.metrics.batch import metric_row
from t2pump.simulation.engine import Trace

pytestmark = pytest.mark.reference

_IN_RANGE = "in_range_percent(target_ranges = list(c(70, 180), c(63, 140), c(70, 140)))"
IGLU_COLUMN = {
    "mean": ("mean_glu()", "mean"),
    "median": ("median_glu()", "median"),
    "sd": ("sd_glu()", "SD"),
    "cv": ("cv_glu()", "CV"),
    "gmi": ("gmi()", "GMI"),
    "ea1c": ("ea1c()", "eA1C"),
    "below_54": ("below_percent()", "below_54"),
    "below_70": ("below_percent()", "below_70"),
    "in_range_70_180": (_IN_RANGE, "in_range_70_180"),
    "in_range_70_140": (_IN_RANGE, "in_range_70_140"),
    "in_range_63_140": (_IN_RANGE, "in_range_63_140"),
    "above_140": ("above_percent()", "above_140"),
    "above_180": ("above_percent()", "above_180"),
    "above_250": ("above_percent()", "above_250"),
    "lbgi": ("lbgi()", "LBGI"),
    "hbgi": ("hbgi()", "HBGI"),
    "gri": ("gri()", "GRI"),
    "j_index": ("j_index()", "J_index"),
    "adrr": ("adrr()", "ADRR"),
    "active_percent": ("active_percent()", "active_percent"),
    "ndays": ("active_percent()", "ndays"),
    "mage": ("mage()", "MAGE"),
    "modd": ("modd()", "MODD"),
    "conga_24": ("conga()", "CONGA"),
}


@cache
def summaries() -> dict[str, dict[str, float]]:
    traces = read_file(FIXTURES / "iglu" / "cgm_synthetic_dev.csv")
    return {tr.patients[0]: metric_summary(tr) for tr in traces}


@cache
def expected() -> dict[tuple[str, str], dict[str, float]]:
    out: dict[tuple[str, str], dict[str, float]] = {}
    for r in read_csv("iglu/iglu_expected_dev.csv"):
        out.setdefault((r["function_call"], r["metric"]), {})[r["id"]] = (
            math.nan if r["value"] == "NA" else float(r["value"])
        )
    return out


# Keys iglu has no function for: the reading count, and time below the pregnancy range (iglu's
# below_percent() defaults are 54 and 70; below 63 is what the pregnancy range leaves below it).
NOT_IN_IGLU = {"n_readings", "below_63"}


def test_every_metric_key_is_mapped_to_iglu_or_is_a_count() -> None:
    assert set(METRIC_KEYS) == {*IGLU_COLUMN, *NOT_IN_IGLU}


def test_the_pregnancy_ranges_split_every_reading() -> None:
    for summary in summaries().values():
        total = summary["below_63"] + summary["in_range_63_140"] + summary["above_140"]
        assert abs(total - 100.0) < 1e-9


@pytest.mark.parametrize("key", IGLU_COLUMN)
def test_summary_matches_iglu(key: str) -> None:
    want = expected()[IGLU_COLUMN[key]]
    got = summaries()
    assert set(got) == set(want)
    for pid, value in want.items():
        assert got[pid][key] == pytest.approx(value, rel=1e-9, abs=1e-12, nan_ok=True), pid


def test_reading_count_and_per_patient_origin() -> None:
    traces = read_file(FIXTURES / "iglu" / "cgm_synthetic_dev.csv")
    rows = read_csv("iglu/cgm_synthetic_dev.csv")
    total = sum(1 for r in rows if r["gl"] not in ("", "NA"))
    assert sum(summaries()[tr.patients[0]]["n_readings"] for tr in traces) == total
    first = {}
    for r in rows:
        first.setdefault(r["id"], r["time"][:10])
    assert {tr.patients[0]: tr.origin_date for tr in traces} == first


def test_summary_without_cgm_is_all_nan() -> None:
    tr = Trace(t_min=np.array([0.0, 5.0]), patients=("x",), signals={"carbs": np.zeros((1, 2))}, units={})
    s = metric_summary(tr)
    assert s["n_readings"] == 0.0
    assert all(math.isnan(v) for k, v in s.items() if k != "n_readings")
    assert metric_summaries(tr) == [s]


def test_summaries_of_a_cohort_trace_are_each_patients_own() -> None:
    """All patients of a trace at once (one clock) = each alone = the single-subject functions.

    Exact between the batched calls; against metric_row (the per-patient functions) 1e-12 relative
    for the keys whose sums have non-integer terms (summation order), exact for the others.
    """
    rng = np.random.default_rng(4)
    t = np.arange(0.0, 3 * 1440.0, 5.0)
    g = np.round(150.0 + np.cumsum(rng.normal(0.0, 4.0, (4, t.shape[0])), axis=1))
    g[1, 200:215] = np.nan  # a 75-min gap
    g[2] = np.nan  # no reading
    g[3, ::2] = np.nan  # every 10 min
    tr = Trace(t, ("a", "b", "c", "d"), {"cgm": g}, {"cgm": "mg/dL"})
    together = metric_summaries(tr)
    rounded = {"mean", "sd", "cv", "gmi", "ea1c", "lbgi", "hbgi", "j_index", "adrr"}
    for i, summary in enumerate(together):
        assert list(summary) == list(METRIC_KEYS)
        alone = metric_summary(tr, i)
        reference = metric_row(t, g[i], METRIC_KEYS)
        for key in METRIC_KEYS:
            assert summary[key] == alone[key] or (math.isnan(summary[key]) and math.isnan(alone[key]))
            want = reference[key]
            tol = {"rel": 1e-12} if key in rounded else {"rel": 0.0, "abs": 0.0}
            assert summary[key] == pytest.approx(want, nan_ok=True, **tol), (i, key)
    assert together[2]["n_readings"] == 0.0
    assert not math.isnan(together[3]["mage"])
    with pytest.raises(InputRangeError, match="patient"):
        metric_summary(tr, 4)
