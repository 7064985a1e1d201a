"""Benchmark: the UVA/Padova 2008 model, t2pump's vectorised engine vs simglucose, same run.

simglucose runs one patient-day through its standard path (T1DSimEnv + BBController) in its own
environment (SIMGLUCOSE_PYTHON: a Python with `pip install simglucose`). t2pump runs the same model
(tests/simulation/test_uva_padova_vs_simglucose.py shows the numbers agree to 2.3e-3 mg/dL RMS)
open-loop, RK4 with h = 0.5 min, for N patients at once (simglucose's ten adults tiled), on the same
meals with basal and meal boluses. Prints patient-days per second for both and the ratio.

    SIMGLUCOSE_PYTHON=/path/to/venv/bin/python uv run python benchmarks/uva_padova_vs_simglucose.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from t2pump.physiology.uva_padova import UvaPadova2008, UvaPadovaRun, patient_names
from t2pump.simulation.cohort_setup import prepare_cohort_run
from t2pump.simulation.engine import run_open_loop


def t2pump_patient_days_per_s(n: int, days: int = 1) -> float:
    adults = [p for p in patient_names() if p.startswith("adult")]
    model = UvaPadova2008.from_names([adults[i % len(adults)] for i in range(n)])
    minutes = 1440 * days
    cho = np.zeros((n, minutes))
    ins = np.tile(model.basal_insulin_u_per_min()[:, None], (1, minutes))
    for d in range(days):
        for minute, grams in ((420, 45.0), (720, 70.0), (1140, 80.0)):
            cho[:, d * 1440 + minute] = grams
            ins[:, d * 1440 + minute] += grams / 10.0
    start = time.perf_counter()
    run_open_loop(UvaPadovaRun.start(model), model.x0, cho, ins, model.names)
    return n * days / (time.perf_counter() - start)


def t2pump_closed_loop_patient_days_per_s(
    n: int, days: int = 1, repeat: int = 3
) -> tuple[float, float, float]:
    """The type 2 model with CSII, behaviour (meals, adherence) and CGM in the loop, ``repeat`` runs
    of different cohorts of ``n``: patient-days per second of the first run (the process's memory
    still fresh from the system: page faults on the trace arrays), the median of all runs, and the
    median with the preparation (cohort draw, starting programs). The run itself draws each day's
    behaviour and makes each day's sensor errors. The compiled kernel is loaded (or compiled) once
    beforehand, as any long run amortises it."""
    prepare_cohort_run("opt2mise", 2, 1, "pump", seed=1).run()
    runs, with_prep = [], []
    for k in range(repeat):
        start = time.perf_counter()
        run = prepare_cohort_run("opt2mise", n, days, "pump", seed=1 + k)
        prepared = time.perf_counter()
        run.run()
        end = time.perf_counter()
        runs.append(n * days / (end - prepared))
        with_prep.append(n * days / (end - start))
    return runs[0], float(np.median(runs)), float(np.median(with_prep))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, nargs="+", default=[1, 100, 1000, 10000])
    parser.add_argument("--days", type=int, nargs="+", default=[3, 14], help="days of the closed-loop runs")
    parser.add_argument("--repeat", type=int, default=3, help="closed-loop runs per cohort size")
    parser.add_argument("--simglucose-python", default=os.environ.get("SIMGLUCOSE_PYTHON"))
    args = parser.parse_args()
    if not args.simglucose_python:
        print("set SIMGLUCOSE_PYTHON to a Python that has simglucose installed", file=sys.stderr)
        return 2
    runner = Path(__file__).with_name("simglucose_runner.py")
    out = subprocess.run(
        [args.simglucose_python, str(runner), "adult#001", "1"], capture_output=True, text=True, check=True
    ).stdout
    simg = json.loads(out.strip().splitlines()[-1])
    simg_pds = 1.0 / simg["wall_s_per_day"]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"NumPy {np.__version__}"
    )
    print(
        f"simglucose: {simg['cpu_s_per_day']:.2f} s CPU, {simg['wall_s_per_day']:.2f} s wall per patient-day "
        f"= {simg_pds:.3f} patient-days/s"
    )
    head = f"{'patients':>9} {'open-loop UVA/Padova pd/s':>26} {'ratio':>9} {'days':>5}"
    print(f"{head} {'closed-loop T2D CSII pd/s':>26} {'ratio':>9} {'first run':>10} {'with preparation':>17}")
    for n in args.patients:
        pds = t2pump_patient_days_per_s(n)
        for days in args.days:
            first, closed, with_prep = t2pump_closed_loop_patient_days_per_s(n, days, args.repeat)
            print(
                f"{n:>9} {pds:>26.1f} {pds / simg_pds:>8,.0f}x {days:>5} {closed:>26.1f} "
                f"{closed / simg_pds:>8,.0f}x {first:>10.1f} {with_prep:>17.1f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
