"""Traces round-trip through Parquet; a bad file is a clear error; writes are atomic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from t2pump.errors import InputRangeError
from t2pump.simulation.engine import Trace
from t2pump.simulation.trace_io import load_trace, save_trace


def test_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    trace = Trace(
        np.arange(5.0, 30.0, 5.0),
        ("a", "b", "c"),
        {"bg_plasma": rng.uniform(60, 300, (3, 5)), "iob": rng.uniform(0, 10, (3, 5))},
        {"bg_plasma": "mg/dL", "iob": "U"},
    )
    path = tmp_path / "t.parquet"
    save_trace(trace, path)
    back = load_trace(path)
    assert back.patients == trace.patients
    np.testing.assert_array_equal(back.t_min, trace.t_min)
    for name in trace.signals:
        np.testing.assert_array_equal(back.signals[name], trace.signals[name])
    assert back.units == trace.units
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]  # no temporary file left


def test_a_file_that_is_not_a_trace(tmp_path: Path) -> None:
    bad = tmp_path / "x.parquet"
    bad.write_text("not parquet")
    with pytest.raises(InputRangeError, match=r"x\.parquet"):
        load_trace(bad)
