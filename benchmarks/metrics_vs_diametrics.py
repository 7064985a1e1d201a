"""Benchmark: t2pump's full CGM metric set for a cohort vs diametrics, same data, same run.

Synthetic 5-min CGM (type-2-like: baseline drift, meal rises, AR noise, 2 % random missing readings)
for N patients x D days, whole mg/dL as sensors report them (``--fractional`` keeps the decimals,
as a simulated sensor would). Timed, each on the same data:

* t2pump batched: ``t2pump.metrics.batch.metric_table`` - the full set (TABLE_KEYS: the iglu-named
  summary, quantiles, GRADE, M-value, MAG, AUC, episode counts) for all patients at once;
* t2pump per patient: ``metric_row``, the single-subject functions one patient at a time (the path
  ``t2pump metrics`` used before batching), on the first ``--row-patients`` patients;
* diametrics 0.4.3 (the fastest Python peer that installs here: research note cgm_metrics.md 4)
  ``all_standard_metrics`` on the first ``--peer-patients`` patients, in its own environment
  (``DIAMETRICS_PYTHON``; it pins numpy < 2).

Rates are patient-days per second; the batched time is the best of ``--repeat`` runs (the machine
may be shared). Ratios are per patient-day.

    python3 -m venv /tmp/dm && /tmp/dm/bin/pip install diametrics
    DIAMETRICS_PYTHON=/tmp/dm/bin/python uv run python benchmarks/metrics_vs_diametrics.py --patients 100 1000
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

from t2pump.io.summary import METRIC_KEYS
from t2pump.metrics.batch import TABLE_KEYS, metric_row, metric_table


def synthetic_cgm(n: int, days: int, seed: int = 1, *, whole: bool = True) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.arange(0, days * 1440, 5, dtype=np.float64)
    base = rng.uniform(110, 200, (n, 1))
    tod = t % 1440
    meals = sum(60 * np.exp(-0.5 * ((tod - m) / 50.0) ** 2) for m in (480, 780, 1170))
    noise = np.zeros((n, t.size))
    e = rng.normal(0, 6, (n, t.size))
    for k in range(1, t.size):  # AR(1) sensor-like noise (loop over time, vectorised over patients)
        noise[:, k] = 0.8 * noise[:, k - 1] + e[:, k]
    g = np.clip(base + meals + noise, 40, 400)
    if whole:
        g = g.round()
    gaps = rng.random((n, t.size)) < 0.02
    g[gaps] = np.nan
    return t, g


def time_batched(t: np.ndarray, g: np.ndarray, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        metric_table(t, g)
        best = min(best, time.perf_counter() - start)
    return best


def time_rows(t: np.ndarray, g: np.ndarray, keys: tuple[str, ...]) -> float:
    start = time.perf_counter()
    for row in g:
        metric_row(t, row, keys)
    return time.perf_counter() - start


def time_diametrics(python: str, t: np.ndarray, g: np.ndarray) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "cgm.csv"
        stamps = np.datetime64("2024-01-01T00:00") + t.astype("timedelta64[m]")
        with csv.open("w") as fh:
            fh.write("ID,time,glc\n")
            for i, row in enumerate(g):
                for s, v in zip(stamps, row, strict=True):
                    if not np.isnan(v):
                        fh.write(f"p{i:04d},{s},{v:g}\n")
        runner = Path(__file__).with_name("diametrics_runner.py")
        out = subprocess.run(
            [python, str(runner), str(csv)], capture_output=True, text=True, check=True
        ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return float(result["seconds"]), int(result["rows"])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, nargs="+", default=[1000])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--row-patients", type=int, default=20)
    parser.add_argument("--peer-patients", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fractional", action="store_true", help="keep decimals (non-integer mg/dL)")
    parser.add_argument("--diametrics-python", default=os.environ.get("DIAMETRICS_PYTHON"))
    args = parser.parse_args()
    n_max = max(args.patients)
    t, g = synthetic_cgm(n_max, args.days, whole=not args.fractional)
    machine = platform.processor() or platform.machine()
    print(f"{machine}, {os.cpu_count()} CPUs, Python {platform.python_version()}, NumPy {np.__version__}")
    print(f"data: 5-min CGM, {args.days} days, {'fractional' if args.fractional else 'whole'} mg/dL")
    metric_table(t, g[:10])  # warm-up
    rates: dict[str, float] = {}
    for n in sorted(args.patients):
        s = time_batched(t, g[:n], args.repeat)
        rates[f"batched {n}"] = n * args.days / s
        rate = rates[f"batched {n}"]
        print(f"t2pump metric_table, {len(TABLE_KEYS)} metrics: {n} patients in {s:.2f} s = {rate:,.0f} pd/s")
    m = args.row_patients
    for label, keys in (("summary set (before batching)", METRIC_KEYS), ("full set", TABLE_KEYS)):
        s = time_rows(t, g[:m], keys)
        rates[label] = m * args.days / s
        print(f"t2pump metric_row per patient, {label}: {m} patients in {s:.2f} s = {rates[label]:,.0f} pd/s")
    best = rates[f"batched {n_max}"]
    print(f"batched / per patient (full set): {best / rates['full set']:,.1f}x")
    if not args.diametrics_python:
        print("set DIAMETRICS_PYTHON to time the peer in the same run", file=sys.stderr)
        return 2
    k = args.peer_patients
    s, rows = time_diametrics(args.diametrics_python, t, g[:k])
    peer = k * args.days / s
    print(
        f"diametrics all_standard_metrics: {k} patients ({rows} result rows) in {s:.2f} s = {peer:,.1f} pd/s"
    )
    print(f"ratio t2pump batched ({n_max} patients) / diametrics: {best / peer:,.0f}x")
    before = rates["summary set (before batching)"]
    print(f"ratio t2pump per patient (summary set, before) / diametrics: {before / peer:,.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
