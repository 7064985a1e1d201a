"""Traces round-trip through Parquet; a bad file is a clear error; writes are atomic."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from t2pump.errors import InputRangeError
from t2pump.simulation import trace_io
from t2pump.simulation.engine import Trace
from t2pump.simulation.trace_io import decisions_path, load_trace, save_trace


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


def _with_decisions() -> Trace:
    rng = np.random.default_rng(1)
    decisions = {
        "patient": np.array([0, 0, 2]),
        "t_min": np.array([420.0, 720.0, 1140.0]),
        "carbs_g": np.array([45.0, 70.0, 80.0]),
        "reading_mgdl": rng.uniform(80, 250, 3),
        "iob_u": np.array([0.0, 1.25, 0.0]),
        "requested_u": np.array([6.1, 31.2, 9.0]),
        "dose_u": np.array([6.1, 25.0, 9.0]),
        "clamp_codes": np.array([16, 8 | 16, 0]),
    }
    return Trace(
        np.arange(5.0, 30.0, 5.0),
        ("a", "b", "c"),
        {"bg_plasma": rng.uniform(60, 300, (3, 5))},
        {"bg_plasma": "mg/dL"},
        decisions=decisions,
    )


def test_the_decision_log_round_trips_beside_the_trace(tmp_path: Path) -> None:
    trace = _with_decisions()
    path = tmp_path / "t.parquet"
    save_trace(trace, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.decisions.parquet", "t.parquet"]
    assert decisions_path(path) == tmp_path / "t.decisions.parquet"
    back = load_trace(path)
    assert back.decisions is not None
    assert trace.decisions is not None
    for field, values in trace.decisions.items():
        np.testing.assert_array_equal(back.decisions[field], values, err_msg=field)
    assert back.decisions["clamp_codes"].dtype == np.int64
    # saved again without a log: the old log goes, and the trace reads back without one
    save_trace(dataclasses.replace(trace, decisions=None), path)
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]
    assert load_trace(path).decisions is None


def test_a_log_from_another_save_is_ignored_with_a_warning(tmp_path: Path) -> None:
    path, other = tmp_path / "t.parquet", tmp_path / "u.parquet"
    save_trace(_with_decisions(), path)
    save_trace(_with_decisions(), other)
    decisions_path(other).replace(decisions_path(path))  # pair t with u's log
    with pytest.warns(UserWarning, match="another save"):
        assert load_trace(path).decisions is None


def test_an_interrupted_save_leaves_the_earlier_files_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.parquet"
    first = _with_decisions()
    save_trace(first, path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real = trace_io.pq.write_table
    calls = []

    def failing(table: object, where: str) -> None:
        calls.append(where)
        if len(calls) == 2:  # the log's write, after the trace's temporary file
            raise OSError("disk full")
        real(table, where)

    monkeypatch.setattr(trace_io.pq, "write_table", failing)
    with pytest.raises(OSError, match="disk full"):
        save_trace(_with_decisions(), path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no temporary files either


def test_reading_a_decision_log_as_a_trace_says_what_it_is(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    save_trace(_with_decisions(), path)
    with pytest.raises(InputRangeError, match="not a decision log"):
        load_trace(decisions_path(path))


def test_a_decision_log_of_uneven_fields_is_refused_naming_them(tmp_path: Path) -> None:
    trace = _with_decisions()
    assert trace.decisions is not None
    bad = dataclasses.replace(trace, decisions={**trace.decisions, "dose_u": np.array([1.0])})
    with pytest.raises(InputRangeError, match=r"trace\.decisions shapes"):
        save_trace(bad, tmp_path / "t.parquet")
    assert list(tmp_path.iterdir()) == []
