"""Calibrate the reversible glucotoxicity term on drug-free remission after short intensive insulin.

Target (calibration data): Kramer, Zinman & Retnakaran 2013 meta-analysis [1]_, four studies of
2-3 weeks of intensive insulin therapy (IIT) in newly diagnosed type 2 diabetes, drug-free remission
66.2 % (292/441) at 3 months, 58.9 % (222/377) at 6 months, 46.3 % (229/495) at 12 months.
Independent checks (not fitted): Weng 2008 [2]_ 1-year remission by arm (CSII 51.1 %, MDI 44.9 %)
and days to the glycaemic target (CSII 4.0, MDI 5.6); the 24-month figures of Li 2004 [3]_
(42.3 %) and of a 2019 CSII cohort [4]_ (47.6 % at 12, 30.7 % at 24 months); no remission without
treatment.

Protocol (per candidate parameter set, the same patients for every candidate)
------------------------------------------------------------------------------
1. Cohort ``new_onset_severe`` (insulin-naive, HbA1c >= 10 %) drawn as :mod:`t2pump.cohort` would
   draw it with the candidate as the default glucotoxicity and with its fasting offset re-solved by
   the cohort's own rule (:func:`cohort_drawn_with`, :func:`solve_fasting_offset`); model built
   with dynamic glucotoxicity (``prepare_cohort_run(..., glucotoxicity=...)``): each patient starts
   at its untreated steady state, ``g_bar`` at its own untreated mean glucose and ``phi_g`` at that
   mean's steady factor, the chronic beta-cell factor being the rest of its calibrated secretion
   factor (:func:`t2pump.simulation.cohort_setup.glucotoxic_baseline`).
2. IIT: the arm's starting settings (``pump``: CSII, 0.5 U/kg/day, 50 % basal, calculator boluses;
   ``mdi``: glargine + bolus pens), titrated once a day towards Weng 2008's targets (pre-breakfast
   plasma glucose 80-110 mg/dL; the day's mean below 144 mg/dL standing for 2-h glucose below
   8.0 mmol/L): +10 % (+20 % if fasting > 144 mg/dL) when above, -10 % when the fasting value is
   below 80 mg/dL or any value below 72 mg/dL, within 0.1-2.5 U/kg/day [A]. Duration: the mean
   time to target plus 2 weeks of normoglycaemia, as in Weng 2008: 18 days (CSII), 20 days (MDI).
3. Diet only (no insulin) for ``months`` x 30 days, run month by month from the final state; the
   chronic beta-cell factor falls by the UKPDS rate (0.097 /year, ``UKPDS_DECLINE_PER_YEAR``)
   from diagnosis on.
4. Remission at a monthly visit: the median over the visit's last 7 days of the pre-breakfast
   plasma glucose (the value before the first carbohydrate after 03:00) below 7.0 mmol/L
   (126 mg/dL), the fasting part of the trials' "near-normoglycaemia" [2]_ [3]_ (their 2-h glucose
   criterion, < 10 mmol/L [R], is not applied); once a patient fails a visit, he has relapsed (the
   trials then start medication). Reported: the proportion in remission at each month, and the
   same with the month's mean glucose as HbA1c < 7 % for criterion.

Fit: the glucotoxic depth ``max_suppression`` and the onset time constant ``onset_days`` on a
grid, the shape (``--threshold``, ``--half-effect``, ``--hill``) and the recovery time constant
given (t2pump.physiology.progression notes); objective = sum of squared z-scores against the three
Kramer proportions (SE from their counts). Calibrated iff, on other patients (another seed), each
simulated proportion lies within two combined standard errors (published count + simulated cohort)
of the target.

Run (one candidate with 200 patients and 12 months takes about a minute on 2 cores; the check of
the defaults below about 8 minutes); results and the whole grid: docs/research_t2d_model.md 5.5::

    uv run python scripts/calibrate_glucotoxicity.py fit --patients 200 --seed 1 \
        --depth 0.82 0.83 0.84 0.85 --onset 45
    uv run python scripts/calibrate_glucotoxicity.py fit --patients 200 --seed 1 \
        --depth 0.83 0.835 --onset 21 30
    uv run python scripts/calibrate_glucotoxicity.py check --patients 400 --seed 2 --months 24

References
----------
.. [1] Kramer CK, Zinman B, Retnakaran R. Short-term intensive insulin therapy in type 2 diabetes
   mellitus: a systematic review and meta-analysis. Lancet Diabetes Endocrinol 2013;1:28-34
   (PubMed 24622264, abstract).
.. [2] Weng J, Li Y, Xu W, et al. Effect of intensive insulin therapy on beta-cell function and
   glycaemic control in patients with newly diagnosed type 2 diabetes: a multicentre randomised
   parallel-group trial. Lancet 2008;371:1753-1760 (abstract).
.. [3] Li Y, Xu W, Liao Z, et al. Induction of long-term glycemic control in newly diagnosed type 2
   diabetic patients is associated with improvement of beta-cell function. Diabetes Care
   2004;27:2597-2602 (abstract).
.. [4] Predictors of long-term glycemic remission after 2-week intensive insulin treatment in newly
   diagnosed type 2 diabetes. J Clin Endocrinol Metab 2019;104:2153-2162 (abstract; n = 124).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import itertools
import json
import math
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

import t2pump.cohort
from t2pump.physiology.dalla_man_2007 import PHI_G
from t2pump.physiology.progression import UKPDS_DECLINE_PER_YEAR, Glucotoxicity
from t2pump.simulation.cohort_setup import (
    CohortRun,
    continue_cohort_run,
    prepare_cohort_run,
    starting_therapy,
)
from t2pump.simulation.engine import Trace
from t2pump.therapy.initial_settings import NAIVE_U_PER_KG

FloatArray = NDArray[np.float64]

COHORT = "new_onset_severe"
# The cohort's fasting offset that solve_fasting_offset gives for the Glucotoxicity defaults (check
# run, 300 patients x 7 days, seed 3); t2pump.cohort still has 82 mg/dL, calibrated with the old
# placeholder glucotoxicity (its value to update).
FASTING_OFFSET_FOR_DEFAULTS = 60.82
PUBLISHED_HBA1C = 11.0  # the cohort's target mean HbA1c (t2pump.cohort, [A] for FPG > 11.1 mmol/L)
# Kramer 2013 [1]: months -> (in remission, followed)
KRAMER_2013 = {3: (292, 441), 6: (222, 377), 12: (229, 495)}
# Not fitted: Weng 2008 [2] 1-year remission and days to target by arm; Li 2004 [3]; JCEM 2019 [4].
WENG_2008_REMISSION_12M = {"pump": 0.511, "mdi": 0.449}
WENG_2008_DAYS_TO_TARGET = {"pump": (4.0, 2.5), "mdi": (5.6, 3.8)}  # mean, SD
LI_2004 = {3: 0.726, 6: 0.670, 12: 0.471, 24: 0.423}
JCEM_2019 = {12: 0.476, 24: 0.307}
IIT_DAYS = {"pump": 18, "mdi": 20}  # Weng 2008: mean days to target + 14 days of normoglycaemia
FPG_REMISSION_MGDL = 126.0  # 7.0 mmol/L
FPG_TARGET_MGDL = (80.0, 110.0)  # Weng 2008 target 4.4-6.1 mmol/L
MEAN_TARGET_MGDL = 144.0  # stands for the 2-h target < 8.0 mmol/L
HYPO_MGDL = 72.0  # 4.0 mmol/L
TDD_RANGE_U_PER_KG = (0.1, 2.5)  # [A] titration bounds
RECORD_MIN = 5
PER_DAY = 1440 // RECORD_MIN
VISIT_DAYS = 7
MONTH_DAYS = 30


@contextlib.contextmanager
def cohort_drawn_with(gt: Glucotoxicity, fasting_below_mean_mgdl: float | None = None) -> Iterator[None]:
    """Draw cohorts as :mod:`t2pump.cohort` would if ``gt`` were the Glucotoxicity defaults and
    the cohort's calibrated fasting offset were ``fasting_below_mean_mgdl``.

    The cohort splits each patient's secretion into a chronic and a glucotoxic part with the
    *default* glucotoxicity, and solves insulin sensitivity with that split; its fasting offset is
    calibrated with it (t2pump.cohort, CohortSpec.fasting_below_mean_mgdl). A candidate parameter
    set is therefore judged on the cohort it would itself produce as the default, not on the
    cohort of the current defaults (patched for the duration of the block).
    """
    module = t2pump.cohort
    saved = module.glucotoxicity_from_hba1c, module.COHORTS

    def factor(hba1c_percent: FloatArray) -> FloatArray:
        return gt.steady_factor(module.estimated_average_glucose(hba1c_percent))

    module.glucotoxicity_from_hba1c = factor
    if fasting_below_mean_mgdl is not None:
        spec = dataclasses.replace(module.COHORTS[COHORT], fasting_below_mean_mgdl=fasting_below_mean_mgdl)
        module.COHORTS = {**module.COHORTS, COHORT: spec}
    try:
        yield
    finally:
        module.glucotoxicity_from_hba1c, module.COHORTS = saved


def baseline_mean_cgm(n: int, seed: int, days: int = 7) -> float:
    """Mean CGM glucose of the cohort left untreated as drawn (days 1 on, past the sensor warm-up),
    static secretion: what the cohort module calibrates its offset on (CGM, not plasma: the sensor's
    400 mg/dL ceiling lowers the mean of these very hyperglycaemic patients by 8-15 mg/dL)."""
    run = prepare_cohort_run(COHORT, n, days, "none", seed)
    trace = run.run()
    return float(np.nanmean(trace.signals["cgm"][:, PER_DAY:]))


def solve_fasting_offset(gt: Glucotoxicity, n: int = 300, seed: int = 3, iterations: int = 8) -> float:
    """The cohort's fasting offset under ``gt`` by the cohort module's own rule: the untreated
    cohort's mean CGM glucose equals the eAG of its published mean HbA1c (11 %); bisection on
    [20, 120] mg/dL (a larger offset lowers glucose). The module calibrated it on 300 patients x
    7 days, seed 3 (t2pump.cohort, tests/simulation/test_cohort_calibration.py)."""
    target = float(t2pump.cohort.estimated_average_glucose(np.array([PUBLISHED_HBA1C]))[0])
    lo, hi = 20.0, 120.0
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        with cohort_drawn_with(gt, mid):
            mean = baseline_mean_cgm(n, seed)
        lo, hi = (mid, hi) if mean > target else (lo, mid)
    return 0.5 * (lo + hi)


def fasting_glucose(trace: Trace) -> FloatArray:
    """Pre-breakfast plasma glucose of each patient and day, (n, days): the record before the first
    carbohydrate eaten after 03:00 (the day's last record if none)."""
    bg, carbs = trace.signals["bg_plasma"], trace.signals["carbs"]
    n, n_rec = bg.shape
    days = n_rec // PER_DAY
    start = 3 * 60 // RECORD_MIN
    eat = carbs[:, : days * PER_DAY].reshape(n, days, PER_DAY)[:, :, start:] > 0
    first = np.where(eat.any(axis=2), eat.argmax(axis=2) + start, PER_DAY)
    cols = np.arange(days)[None, :] * PER_DAY + first - 1
    return np.asarray(np.take_along_axis(bg, cols, axis=1), dtype=np.float64)


def _titrate(tdd: FloatArray, trace: Trace, weight_kg: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The next day's dose from the day just run; also whether the day met the target."""
    fpg = fasting_glucose(trace)[:, -1]
    bg = trace.signals["bg_plasma"][:, -PER_DAY:]
    mean, low = bg.mean(axis=1), bg.min(axis=1)
    factor = np.ones_like(tdd)
    factor = np.where((fpg > FPG_TARGET_MGDL[1]) | (mean > MEAN_TARGET_MGDL), 1.1, factor)
    factor = np.where(fpg > MEAN_TARGET_MGDL, 1.2, factor)
    factor = np.where((fpg < FPG_TARGET_MGDL[0]) | (low < HYPO_MGDL), 0.9, factor)
    lo, hi = TDD_RANGE_U_PER_KG
    new = np.clip(tdd * factor, lo * weight_kg, hi * weight_kg)
    met = (fpg <= FPG_TARGET_MGDL[1]) & (mean <= MEAN_TARGET_MGDL)
    return np.asarray(new, dtype=np.float64), np.asarray(met, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One protocol run: remission proportions by month and what the IIT achieved."""

    remission: dict[int, float]  # months after stopping insulin -> proportion in remission
    remission_hba1c: dict[int, float]  # same, criterion: the month's mean glucose as HbA1c < 7 %
    iit_target_reached: float  # proportion meeting the target on some day of the IIT
    iit_days_to_target: tuple[float, float]  # mean, SD among those reaching it (day 1 = first day)
    iit_last_week_mean_mgdl: float  # median over patients
    iit_tdd_u_per_kg: float  # median final dose
    phi_g: dict[str, float]  # median glucotoxic factor at diagnosis, end of IIT, end of follow-up
    seconds: float


def intensive_phase(
    run: CohortRun, arm: str, days: int
) -> tuple[FloatArray, int, FloatArray, FloatArray, FloatArray]:
    """IIT with daily titration: (final state, days run, day target first met (NaN: never),
    final dose [U/day], mean glucose of the last 7 days)."""
    c = run.cohort
    tdd = NAIVE_U_PER_KG * c.weight_kg
    x = run.x0
    assert x is not None
    first_met = np.full(c.n_patients, np.nan)
    week: list[FloatArray] = []
    for day in range(days):
        therapy = starting_therapy(c, arm, tdd_u_per_day=tdd)
        trace, x = continue_cohort_run(run, x, therapy, 1, day, record_every_min=RECORD_MIN)
        tdd, met = _titrate(tdd, trace, c.weight_kg)
        first_met = np.where(np.isnan(first_met) & (met > 0), day + 1.0, first_met)
        week = [*week[-(VISIT_DAYS - 1) :], trace.signals["bg_plasma"].mean(axis=1)]
    return x, days, first_met, tdd, np.mean(week, axis=0)


def follow_up(
    run: CohortRun, x: FloatArray, chronic: FloatArray, first_day: int, months: int
) -> tuple[dict[int, FloatArray], dict[int, FloatArray], FloatArray]:
    """Diet only, month by month with UKPDS progression: (in remission by month (fasting
    criterion), same by mean glucose, final state)."""
    alive = np.ones(run.cohort.n_patients, dtype=bool)
    alive_a1c = alive.copy()
    by_month: dict[int, FloatArray] = {}
    by_month_a1c: dict[int, FloatArray] = {}
    day = first_day
    for month in range(1, months + 1):
        beta = chronic * math.exp(-UKPDS_DECLINE_PER_YEAR * (day + MONTH_DAYS / 2) / 365.25)
        trace, x = continue_cohort_run(
            run, x, None, MONTH_DAYS, day, beta_cell_function=beta, record_every_min=RECORD_MIN
        )
        day += MONTH_DAYS
        visit = np.median(fasting_glucose(trace)[:, -VISIT_DAYS:], axis=1)
        alive &= visit < FPG_REMISSION_MGDL
        hba1c = (trace.signals["bg_plasma"].mean(axis=1) + 46.7) / 28.7  # ADAG
        alive_a1c &= hba1c < 7.0
        by_month[month] = alive.astype(np.float64)
        by_month_a1c[month] = alive_a1c.astype(np.float64)
    return by_month, by_month_a1c, x


def evaluate(
    gt: Glucotoxicity, offset: float | None, n: int, seed: int, arm: str = "pump", months: int = 12
) -> Outcome:
    """The protocol (module notes) for ``n`` patients of run ``seed``, the cohort drawn with ``gt``
    as the default glucotoxicity and fasting offset ``offset`` (None: the cohort module's)."""
    start = time.perf_counter()
    with cohort_drawn_with(gt, offset):
        run = prepare_cohort_run(COHORT, n, 1, arm, seed, glucotoxicity=gt)
    assert run.x0 is not None
    chronic, phi0 = run.model.beta_cell_function, run.x0[PHI_G]
    x, days, first_met, tdd, week_mean = intensive_phase(run, arm, IIT_DAYS[arm])
    phi_iit = x[PHI_G].copy()
    rem, rem_a1c, x = follow_up(run, x, chronic, days, months)
    reached = first_met[~np.isnan(first_met)]
    return Outcome(
        remission={m: float(v.mean()) for m, v in rem.items()},
        remission_hba1c={m: float(v.mean()) for m, v in rem_a1c.items()},
        iit_target_reached=float(reached.size / n),
        iit_days_to_target=(float(reached.mean()), float(reached.std())) if reached.size else (math.nan,) * 2,
        iit_last_week_mean_mgdl=float(np.median(week_mean)),
        iit_tdd_u_per_kg=float(np.median(tdd / run.cohort.weight_kg)),
        phi_g={
            "diagnosis": float(np.median(phi0)),
            "end_of_iit": float(np.median(phi_iit)),
            "end_of_follow_up": float(np.median(x[PHI_G])),
        },
        seconds=time.perf_counter() - start,
    )


def untreated_remission(gt: Glucotoxicity, offset: float | None, n: int, seed: int, months: int = 3) -> float:
    """Remission without any treatment (diet only from diagnosis): should be about none."""
    with cohort_drawn_with(gt, offset):
        run = prepare_cohort_run(COHORT, n, 1, "none", seed, glucotoxicity=gt)
    assert run.x0 is not None
    rem, _, _ = follow_up(run, run.x0, run.model.beta_cell_function, 0, months)
    return float(rem[months].mean())


def kramer_z(remission: dict[int, float]) -> dict[int, float]:
    """z-score of each simulated proportion against Kramer 2013 (SE from its counts)."""
    out = {}
    for month, (k, total) in KRAMER_2013.items():
        p = k / total
        out[month] = (remission[month] - p) / math.sqrt(p * (1.0 - p) / total)
    return out


def tolerance(month: int, n_simulated: int) -> float:
    """Two combined standard errors: the published proportion's and the simulated cohort's."""
    k, total = KRAMER_2013[month]
    p = k / total
    return 2.0 * math.sqrt(p * (1.0 - p) / total + p * (1.0 - p) / n_simulated)


def _fit(args: argparse.Namespace) -> None:
    base = Glucotoxicity(threshold_mgdl=args.threshold, half_effect_mgdl=args.half_effect, hill=args.hill)
    results = []
    offsets: dict[float, float] = {}
    for depth, onset in itertools.product(args.depth, args.onset):
        gt = dataclasses.replace(base, max_suppression=depth, onset_days=onset)
        if depth not in offsets:  # the offset depends on the steady factor only, not on time constants
            offsets[depth] = solve_fasting_offset(gt)
        out = evaluate(gt, offsets[depth], args.patients, args.seed, "pump", args.months)
        z = kramer_z(out.remission)
        row = {
            "max_suppression": depth,
            "onset_days": onset,
            "fasting_offset_mgdl": offsets[depth],
            "sse_z": sum(v * v for v in z.values()),
            "z": z,
            **dataclasses.asdict(out),
        }
        results.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    results.sort(key=lambda r: float(r["sse_z"]))
    print(json.dumps({"base": dataclasses.asdict(base), "grid": results}, indent=1))


def _check(args: argparse.Namespace) -> None:
    gt = Glucotoxicity()
    offset = solve_fasting_offset(gt) if args.offset is None else args.offset
    report: dict[str, object] = {
        "glucotoxicity": dataclasses.asdict(gt),
        "patients": args.patients,
        "fasting_offset_mgdl": offset,
        "cohort_module_offset_mgdl": t2pump.cohort.COHORTS[COHORT].fasting_below_mean_mgdl,
    }
    for arm in args.arms:
        out = evaluate(gt, offset, args.patients, args.seed, arm, args.months)
        report[arm] = dataclasses.asdict(out)
        if arm == "pump":
            z = kramer_z(out.remission)
            tol = {m: tolerance(m, args.patients) for m in KRAMER_2013}
            report["kramer_2013"] = {
                m: {
                    "published": KRAMER_2013[m][0] / KRAMER_2013[m][1],
                    "simulated": out.remission[m],
                    "z": z[m],
                    "tolerance": tol[m],
                    "within": abs(out.remission[m] - KRAMER_2013[m][0] / KRAMER_2013[m][1]) <= tol[m],
                }
                for m in KRAMER_2013
            }
        print(json.dumps({arm: report[arm]}), file=sys.stderr, flush=True)
    report["untreated_remission_3m"] = untreated_remission(gt, offset, args.patients, args.seed)
    print(json.dumps(report, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    fit = sub.add_parser("fit", help="grid over max_suppression x onset_days against Kramer 2013")
    fit.add_argument("--patients", type=int, default=200)
    fit.add_argument("--seed", type=int, default=1)
    fit.add_argument("--months", type=int, default=12)
    fit.add_argument("--depth", type=float, nargs="+", default=[0.82, 0.83, 0.84])
    fit.add_argument("--onset", type=float, nargs="+", default=[21.0, 45.0])
    fit.add_argument("--threshold", type=float, default=126.0)
    fit.add_argument("--half-effect", type=float, default=40.0)
    fit.add_argument("--hill", type=float, default=2.0)
    check = sub.add_parser("check", help="the defaults: Kramer 2013 with tolerance, Weng 2008 arms")
    check.add_argument("--patients", type=int, default=400)
    check.add_argument("--seed", type=int, default=2)
    check.add_argument("--months", type=int, default=12)
    check.add_argument("--arms", nargs="+", default=["pump", "mdi"])
    check.add_argument("--offset", type=float, default=None, help="cohort fasting offset (default: solved)")
    args = parser.parse_args()
    _fit(args) if args.command == "fit" else _check(args)


if __name__ == "__main__":
    main()
