"""Benchmark: insulin on board for a day of pump boluses, t2pump vs OpenAPS oref0 (node).

Each virtual patient gets a day of boluses (3 meals, corrections, micro-boluses) at whole minutes.
oref0 sums its per-treatment curve at every 5-min point (lib/iob/total.js, as OpenAPS does each
loop); t2pump convolves the per-minute delivery matrix of all patients at once
(t2pump.insulin.iob.iob_timeline). Both results are compared (oref0 rounds IOB to 3 dp, so they
must agree to 5e-4 U plus float error) and both speeds are printed with their ratio.

Needs node and an oref0 checkout with its npm dependencies (lodash, moment, moment-timezone):
    OREF0_DIR=/path/to/oref0 uv run python benchmarks/iob_vs_oref0.py [--patients 100 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from t2pump.insulin.curves import CurveKind, Oref0Curve
from t2pump.insulin.iob import iob_timeline

MIN_PER_DAY = 1440


def make_day(n_patients: int, rng: np.random.Generator) -> np.ndarray:
    """Per-minute bolus matrix (patients x 1440) [U], each dose a multiple of 0.05 U."""
    d = np.zeros((n_patients, MIN_PER_DAY))
    rows = np.arange(n_patients)
    for meal_min in (7 * 60 + 30, 12 * 60 + 30, 19 * 60 + 30):
        t = meal_min + rng.integers(-30, 31, n_patients)
        d[rows, t] += np.round(rng.uniform(5.0, 30.0, n_patients) / 0.05) * 0.05
    for _ in range(40):  # corrections and micro-boluses spread over the day
        t = rng.integers(0, MIN_PER_DAY, n_patients)
        d[rows, t] += np.round(rng.exponential(0.4, n_patients) / 0.05) * 0.05
    return d


def run_oref0(oref0_dir: str, doses: np.ndarray, times: np.ndarray, dia_h: float) -> tuple[float, np.ndarray]:
    patients = [
        [[int(t), float(u)] for t, u in zip(np.nonzero(row)[0], row[row > 0], strict=True)] for row in doses
    ]
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
        src.write_text(
            json.dumps(
                {"dia_h": dia_h, "curve": "rapid-acting", "times_min": times.tolist(), "patients": patients}
            )
        )
        runner = Path(__file__).with_name("oref0_iob_runner.js")
        subprocess.run(["node", str(runner), oref0_dir, str(src), str(out)], check=True)
        result = json.loads(out.read_text())
    return float(result["seconds"]), np.asarray(result["iob"], dtype=float)


def run_t2pump(
    doses: np.ndarray, times: np.ndarray, curve: Oref0Curve, repeats: int = 3
) -> tuple[float, np.ndarray]:
    best = float("inf")
    iob = np.empty(0)
    for _ in range(repeats):
        start = time.perf_counter()
        iob_all, _ = iob_timeline(doses, curve)
        iob = iob_all[:, times]
        best = min(best, time.perf_counter() - start)
    return best, iob


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--oref0-dir", default=os.environ.get("OREF0_DIR"))
    args = parser.parse_args()
    if not args.oref0_dir:
        print(
            "set OREF0_DIR (or --oref0-dir) to an oref0 checkout with its npm dependencies", file=sys.stderr
        )
        return 2
    curve = Oref0Curve.from_settings(CurveKind.RAPID_ACTING, 5.0)
    times = np.arange(0, MIN_PER_DAY, 5)
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, node {node}"
    )
    print(
        f"{'patients':>9} {'oref0 s':>9} {'t2pump s':>9} {'oref0 pd/s':>11} {'t2pump pd/s':>12} {'ratio':>8} "
        f"{'max |diff| U':>12}"
    )
    for n in args.patients:
        doses = make_day(n, np.random.default_rng(n))
        t_ref, iob_ref = run_oref0(args.oref0_dir, doses, times, 5.0)
        t_ours, iob_ours = run_t2pump(doses, times, curve)
        diff = float(np.max(np.abs(iob_ref - iob_ours)))
        print(
            f"{n:>9} {t_ref:>9.3f} {t_ours:>9.4f} {n / t_ref:>11.1f} {n / t_ours:>12.1f} "
            f"{t_ref / t_ours:>7.0f}x {diff:>12.2e}"
        )
        if diff > 5e-4 + 1e-9:
            print(f"MISMATCH: t2pump and oref0 differ by {diff} U", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
