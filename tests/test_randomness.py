"""NumPy generators for many patients at once (``t2pump.randomness.spawned_generators``).

Reference: NumPy's own ``SeedSequence`` / ``default_rng(seed).spawn(n)``, run beside ours. The
generators must give the same draws to the bit, so a patient's sensor errors do not depend on
which construction made its generators.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from t2pump.errors import InputRangeError
from t2pump.randomness import seed_sequence_words, spawned_generators

_EDGES = [0, 1, 2**32 - 1, 2**32, 2**63, 2**64 - 1]


@pytest.mark.reference
@pytest.mark.parametrize("spawn_key", [0, 1, 2, 7, 2**32 - 1])
def test_words_equal_numpy_seed_sequence_at_the_edges(spawn_key: int) -> None:
    seeds = np.array(_EDGES, dtype=np.uint64)
    words = seed_sequence_words(seeds, spawn_key)
    for j, seed in enumerate(_EDGES):
        ref = np.random.SeedSequence(seed, spawn_key=(spawn_key,)).generate_state(4, np.uint64)
        np.testing.assert_array_equal(words[j], ref, err_msg=f"seed {seed}")


@pytest.mark.reference
@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=20), st.integers(0, 5))
def test_words_equal_numpy_seed_sequence(seeds: list[int], spawn_key: int) -> None:
    words = seed_sequence_words(np.array(seeds, dtype=np.uint64), spawn_key)
    for j, seed in enumerate(seeds):
        ref = np.random.SeedSequence(seed, spawn_key=(spawn_key,)).generate_state(4, np.uint64)
        np.testing.assert_array_equal(words[j], ref)


@pytest.mark.reference
def test_generators_draw_as_default_rng_spawn() -> None:
    seeds = np.array([*_EDGES, 12345, 2**40 + 3], dtype=np.uint64)
    gens = spawned_generators(seeds, 3)
    for j, seed in enumerate(seeds.tolist()):
        for k, ref in enumerate(np.random.default_rng(seed).spawn(3)):
            np.testing.assert_array_equal(gens[j][k].standard_normal(50), ref.standard_normal(50))
            np.testing.assert_array_equal(gens[j][k].random(50), ref.random(50))


def test_signed_seeds_are_taken_as_their_values() -> None:
    a = seed_sequence_words(np.array([0, 5, 2**62], dtype=np.int64), 1)
    b = seed_sequence_words(np.array([0, 5, 2**62], dtype=np.uint64), 1)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("seeds", "key", "field"),
    [
        (np.array([-1]), 0, "seeds"),
        (np.array([[1, 2]]), 0, "seeds"),
        (np.array([1.5]), 0, "seeds"),
        (np.array([1], dtype=np.uint64), -1, "spawn_key"),
        (np.array([1], dtype=np.uint64), 2**32, "spawn_key"),
    ],
)
def test_bad_seeds_and_keys_name_the_field(seeds: np.ndarray, key: int, field: str) -> None:
    with pytest.raises(InputRangeError) as err:
        seed_sequence_words(seeds, key)
    assert err.value.field == field


def test_bad_child_count_is_refused() -> None:
    with pytest.raises(InputRangeError, match="n_children"):
        spawned_generators(np.array([1], dtype=np.uint64), 0)
