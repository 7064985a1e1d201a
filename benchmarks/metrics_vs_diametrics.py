"""Benchmark: the full metric set (t2pump.io.summary.metric_summary) vs diametrics, same data, same run.

Synthetic 5-min CGM (type-2-like: baseline drift, meal rises, AR noise, random gaps) for N patients x
D days. t2pump computes its iglu-named metric set for every patient; diametrics (the fastest Python
peer that installs here: t2pump research notes cgm_metrics.md 4) computes its
``all_standard_metrics`` on a subset in its own environment (DIAMETRICS_PYTHON; it pins numpy < 2).
Both rates are printed in patient-days per second, with the ratio.

    DIAMETRICS_PYTHON=/path/to/venv/bin/python uv run python benchmarks/metrics_vs_diametrics.py
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from t2pump.io.summary import metric_summary
from t2pump.simulation.engine import Trace


def synthetic_cgm(n: int, days: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.arange(0, days * 1440, 5, dtype=np.float64)
    base = rng.uniform(110, 200, (n, 1))
    tod = t % 1440
    meals = sum(60 * np.exp(-0.5 * ((tod - m) / 50.0) ** 2) for m in (480, 780, 1170))
    noise = np.zeros((n, t.size))
    e = rng.normal(0, 6, (n, t.size))
    for k in range(1, t.size):  # AR(1) sensor-like noise (loop over time, vectorised over patients)
        noise[:, k] = 0.8 * noise[:, k - 1] + e[:, k]
    g = np.clip(base + meals + noise, 40, 400).round()
    gaps = rng.random((n, t.size)) < 0.02
    g[gaps] = np.nan
    return t, g


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--peer-patients", type=int, default=10)
    parser.add_argument("--diametrics-python", default=os.environ.get("DIAMETRICS_PYTHON"))
    args = parser.parse_args()
    t, g = synthetic_cgm(args.patients, args.days)
    trace = Trace(
        t, tuple(f"p{i:04d}" for i in range(args.patients)), {"cgm": g}, {"cgm": "mg/dL"}, "2024-01-01"
    )
    start = time.perf_counter()
    for i in range(args.patients):
        metric_summary(trace, i)
    ours_s = time.perf_counter() - start
    ours_rate = args.patients * args.days / ours_s
    print(
        f"t2pump: {args.patients} patients x {args.days} days in {ours_s:.2f} s "
        f"= {ours_rate:,.0f} patient-days/s"
    )
    if not args.diametrics_python:
        print("set DIAMETRICS_PYTHON to time the peer in the same run", file=sys.stderr)
        return 2
    m = args.peer_patients
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "cgm.csv"
        stamps = np.datetime64("2024-01-01T00:00") + t.astype("timedelta64[m]")
        with csv.open("w") as fh:
            fh.write("ID,time,glc\n")
            for i in range(m):
                for s, v in zip(stamps, g[i], strict=True):
                    if not np.isnan(v):
                        fh.write(f"p{i:04d},{s},{v:g}\n")
        runner = Path(__file__).with_name("diametrics_runner.py")
        out = subprocess.run(
            [args.diametrics_python, str(runner), str(csv)], capture_output=True, text=True, check=True
        ).stdout
    peer = json.loads(out.strip().splitlines()[-1])
    peer_rate = m * args.days / peer["seconds"]
    print(
        f"diametrics: {m} patients x {args.days} days in {peer['seconds']:.2f} s "
        f"= {peer_rate:,.1f} patient-days/s"
    )
    print(f"ratio t2pump / diametrics: {ours_rate / peer_rate:,.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
