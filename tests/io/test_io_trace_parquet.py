"""t2pump's own Parquet traces (simulation output) are read like any export, all patients at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from t2pump.cli.metrics import metrics_rows
from t2pump.errors import InputRangeError
from t2pump.io import read_file
from t2pump.io.registry import TRACE_FORMAT, detect_format
from t2pump.io.summary import metric_summaries
from t2pump.simulation.cohort_setup import prepare_cohort_run
from t2pump.simulation.trace_io import save_trace


def test_a_simulated_trace_gives_the_same_metrics_read_back_as_in_memory(tmp_path: Path) -> None:
    trace = prepare_cohort_run("opt2mise", 3, 2, "pump", seed=2).run()
    path = tmp_path / "trace.parquet"
    save_trace(trace, path)
    assert detect_format(path) == TRACE_FORMAT
    (read,) = read_file(path)
    assert read.patients == trace.patients
    rows = metrics_rows([path])
    assert [r["id"] for r in rows] == list(trace.patients)
    for row, summary in zip(rows, metric_summaries(trace), strict=True):
        assert row["mean"] == pytest.approx(summary["mean"], rel=1e-12)
        assert row["in_range_70_180"] == pytest.approx(summary["in_range_70_180"], rel=1e-12)
    assert np.isfinite([r["gmi"] for r in rows]).all()


def test_a_file_named_as_a_trace_that_is_not_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "not_a_trace.csv"
    path.write_text("id,time,gl\na,2024-01-01 00:00:00,100\n")
    with pytest.raises(InputRangeError, match="Parquet trace"):
        read_file(path, TRACE_FORMAT)
