"""Fuzzing: every reader, fed mutated exports, returns well-formed traces or raises InputRangeError.

Mutations (io_fuzz_mutations.py) start from each format's fixture and edit bytes, lines, CSV
fields and JSON values with tricky tokens (NaN, 1e999, impossible dates, NUL, quotes, deep JSON
nesting, huge integers). Any other exception, or a warning (pytest turns warnings into errors),
fails. The kept corpus (tests/fixtures/exports/fuzz_corpus, from a fixed seed, with each file's
outcome in expected.json) is replayed as a regression test.
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from io_fuzz_mutations import CORPUS, FIXTURES, SEEDS, mutate

from t2pump.errors import InputRangeError
from t2pump.io import metric_summary, read_bytes

pytestmark = pytest.mark.property


def _check(data: bytes, name: str, fmt: str) -> str:
    """Read ``data``; return "ok" or "error at <place>"; fail on anything but InputRangeError."""
    error: InputRangeError | None = None
    try:
        traces = read_bytes(data, name, fmt)
    except InputRangeError as exc:
        error = exc
    if error is not None:
        assert error.field  # the message names a place ...
        assert error.expected  # ... and what was expected
        return "error at " + error.field.removeprefix(name + ":")
    assert traces
    for tr in traces:
        assert np.all(np.isfinite(tr.t_min))
        assert np.all(np.diff(tr.t_min) > 0.0)
        assert tr.origin_date is not None
        for values in tr.signals.values():
            assert values.shape == (1, tr.t_min.shape[0])
        metric_summary(tr)  # the metrics take whatever a reader returns
    return "ok"


@pytest.mark.parametrize("prefix", SEEDS)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rnd=st.randoms(use_true_random=False))
def test_reader_raises_only_input_errors(prefix: str, rnd: random.Random) -> None:
    fmt, seed_name = SEEDS[prefix]
    seed = FIXTURES / seed_name
    data = mutate(seed.read_bytes(), rnd)
    name = "fuzz" + seed.suffix
    _check(data, name, fmt)
    _check(data, name, "auto")


def _corpus() -> dict[str, str]:
    expected: dict[str, str] = json.loads((CORPUS / "expected.json").read_text())
    return expected


@pytest.mark.parametrize(("name", "outcome"), _corpus().items())
def test_fuzz_corpus_replays_to_its_recorded_outcome(name: str, outcome: str) -> None:
    fmt = SEEDS[name.split("-", maxsplit=1)[0]][0]
    assert _check((CORPUS / name).read_bytes(), name, fmt) == outcome


def test_corpus_covers_every_format_with_successes_and_errors() -> None:
    outcomes = _corpus()
    for prefix in SEEDS:
        mine = [o for n, o in outcomes.items() if n.startswith(prefix + "-")]
        assert mine
    assert any(o == "ok" for o in outcomes.values())
    assert any(o.startswith("error") for o in outcomes.values())
