"""Counter-based random numbers: a patient's draws depend only on (run seed, patient index).

Simulations draw per-patient randomness without a Python loop over patients and without any
dependence on cohort size, chunking or which days are drawn together:

* :func:`patient_seeds` hashes (run seed, patient index) into one 64-bit key per patient with the
  SplitMix64 finaliser [1]_ in NumPy ``uint64`` arithmetic (wrapping multiplication), vectorised.
* :func:`substream` hashes a key with a stream id, one stream per random quantity, so adding a
  quantity never shifts the draws of another. Stream ids: ``t2pump.behaviour`` 1-99,
  ``t2pump.cohort`` 100-199, ``t2pump.devices.cgm`` 200-299, ``t2pump.simulation`` 300-399;
  others take 400 and up.
* :func:`uniform01` returns, for key ``k`` and counter ``c``, the SplitMix64 output at position
  ``c`` of the sequence that starts at ``k``, as a double in (0, 1).
* :func:`normal_quantile` (AS241 [2]_) and :func:`truncated_standard_normal` turn uniforms into
  (truncated) normal deviates by inverse CDF, with no rejection loops.

Where a module needs NumPy ``Generator`` objects (e.g. for an AR process), it seeds them per patient
from these keys: :func:`spawned_generators` builds ``default_rng(key).spawn(n)`` for every patient at
once, hashing the keys as NumPy's ``SeedSequence`` does [3]_ but vectorised over patients.

References
----------
.. [1] Steele GL, Lea D, Flood CH. Fast splittable pseudorandom number generators. OOPSLA 2014:
   453-472. doi:10.1145/2660193.2660195 (SplitMix64; finaliser constants 0xBF58476D1CE4E5B9,
   0x94D049BB133111EB, golden gamma 0x9E3779B97F4A7C15, as in Vigna's ``splitmix64.c``).
.. [2] Wichura MJ. Algorithm AS 241: the percentage points of the normal distribution. Applied
   Statistics 1988;37(3):477-484. doi:10.2307/2347330 (PPND16, relative accuracy about 1e-16;
   the same coefficients as CPython's ``statistics.NormalDist.inv_cdf``).
.. [3] O'Neill ME. Developing a seed_seq alternative. PCG blog, 30 April 2015
   (https://www.pcg-random.org/posts/developing-a-seed_seq-alternative.html): ``seed_seq_fe``, the
   hash that ``numpy.random.SeedSequence`` implements (NumPy reference, "SeedSequence": pool of four
   32-bit words, the run entropy padded to the pool size when a spawn key follows it).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.random.bit_generator import ISeedSequence
from numpy.typing import ArrayLike, NDArray

from t2pump.errors import InputRangeError

__all__ = [
    "SeedArray",
    "lognormal_factor",
    "mix64",
    "normal_quantile",
    "patient_seeds",
    "seed_sequence_words",
    "spawned_generators",
    "substream",
    "truncated_standard_normal",
    "uniform01",
]

FloatArray = NDArray[np.float64]
SeedArray = NDArray[np.uint64]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # SplitMix64 gamma [1]
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)  # SplitMix64 finaliser [1]
_MIX2 = np.uint64(0x94D049BB133111EB)
_SEED_SALT = np.uint64(0x243F6A8885A308D3)  # digits of pi: keeps the seed hash apart from the index hash
_STREAM_SALT = np.uint64(0x13198A2E03707344)  # further digits of pi
_MAX_U64 = 2**64 - 1
_TWO_POW_M53 = 2.0**-53


def mix64(z: SeedArray) -> SeedArray:
    """The SplitMix64 finaliser [1]_: a bijective 64-bit hash, elementwise on a ``uint64`` array."""
    z = np.asarray(z, dtype=np.uint64)
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return np.asarray(z ^ (z >> np.uint64(31)), dtype=np.uint64)


def _check_u64(field: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputRangeError(field, value, f"an integer in [0, {_MAX_U64}]")
    if not 0 <= int(value) <= _MAX_U64:
        raise InputRangeError(field, value, f"an integer in [0, {_MAX_U64}]")
    return int(value)


def patient_seeds(run_seed: int, indices: ArrayLike) -> SeedArray:
    """One 64-bit key per patient from (run seed, patient index): SplitMix64 hashing, vectorised.

    ``patient_seeds(s, [i])[0]`` is the same whatever other indices are passed with ``i``.
    """
    seed = _check_u64("run_seed", run_seed)
    idx = np.atleast_1d(np.asarray(indices))
    if idx.ndim != 1 or (idx.size and not np.issubdtype(idx.dtype, np.integer)):
        raise InputRangeError("indices", indices, "a 1-D array of patient indices (integers)")
    if idx.size and int(idx.min()) < 0:
        raise InputRangeError("indices", int(idx.min()), "patient indices >= 0")
    seed_key = mix64(np.full(1, seed, dtype=np.uint64) + _SEED_SALT)
    index_key = mix64((idx.astype(np.uint64) + np.uint64(1)) * _GOLDEN)
    return mix64(seed_key ^ index_key)


def substream(seeds: SeedArray, stream: int) -> SeedArray:
    """The keys of stream ``stream`` (a :class:`Stream` id or another module's id) for each patient."""
    sid = _check_u64("stream", stream)
    salt = mix64(np.full(1, sid, dtype=np.uint64) * _GOLDEN + _STREAM_SALT)
    return mix64(np.asarray(seeds, dtype=np.uint64) ^ salt)


def uniform01(seeds: SeedArray, counters: ArrayLike) -> FloatArray:
    """Uniform numbers in the open interval (0, 1), shape ``(n_patients, *counters.shape)``.

    Element ``[i, j]`` depends only on ``seeds[i]`` and ``counters[j]`` (see the module notes).
    """
    keys = np.asarray(seeds, dtype=np.uint64)
    c = np.atleast_1d(np.asarray(counters, dtype=np.int64))
    if c.size and int(c.min()) < 0:
        raise InputRangeError("counters", int(c.min()), "counters >= 0")
    positions = (c.astype(np.uint64) + np.uint64(1)) * _GOLDEN
    h = mix64(keys.reshape(keys.shape + (1,) * c.ndim) + positions)
    return ((h >> np.uint64(11)).astype(np.float64) + 0.5) * _TWO_POW_M53


def uniform01_pairs(seeds: SeedArray, counters: ArrayLike) -> FloatArray:
    """``uniform01(seeds[i], counters[i])`` for each i, shape ``(n,)``: one draw per patient, each
    at its own counter (the same number as the outer form gives for that pair)."""
    keys = np.asarray(seeds, dtype=np.uint64)
    c = np.asarray(counters, dtype=np.int64)
    if c.shape != keys.shape:
        raise InputRangeError("counters.shape", c.shape, f"one counter per seed, shape {keys.shape}")
    if c.size and int(c.min()) < 0:
        raise InputRangeError("counters", int(c.min()), "counters >= 0")
    h = mix64(keys + (c.astype(np.uint64) + np.uint64(1)) * _GOLDEN)
    return ((h >> np.uint64(11)).astype(np.float64) + 0.5) * _TWO_POW_M53


# AS241 PPND16 coefficients [2], highest power first (np.polyval order).
_AS241_A = (
    2.5090809287301226727e3, 3.3430575583588128105e4, 6.7265770927008700853e4, 4.5921953931549871457e4,
    1.3731693765509461125e4, 1.9715909503065514427e3, 1.3314166789178437745e2, 3.3871328727963666080e0,
)  # fmt: skip
_AS241_B = (
    5.2264952788528545610e3, 2.8729085735721942674e4, 3.9307895800092710610e4, 2.1213794301586595867e4,
    5.3941960214247511077e3, 6.8718700749205790830e2, 4.2313330701600911252e1, 1.0,
)  # fmt: skip
_AS241_C = (
    7.7454501427834140764e-4, 2.2723844989269184583e-2, 2.4178072517745061177e-1, 1.2704582524523683826e0,
    3.6478483247632045605e0, 5.7694972214606914055e0, 4.6303378461565452959e0, 1.4234371107496835773e0,
)  # fmt: skip
_AS241_D = (
    1.0507500716444168432e-9, 5.4759380849953449460e-4, 1.5198666563616457197e-2, 1.4810397642748007459e-1,
    6.8976733498510000455e-1, 1.6763848301838038494e0, 2.0531916266377588219e0, 1.0,
)  # fmt: skip
_AS241_E = (
    2.0103343992922881326e-7, 2.7115555687434875782e-5, 1.2426609473880784386e-3, 2.6532189526576123093e-2,
    2.9656057182850489123e-1, 1.7848265399172913358e0, 5.4637849111641143699e0, 6.6579046435011037772e0,
)  # fmt: skip
_AS241_F = (
    2.0442631033899397856e-15, 1.4215117583164458887e-7, 1.8463183175100546818e-5, 7.8686913114561329059e-4,
    1.4875361290850614852e-2, 1.3692988092273580531e-1, 5.9983220655588793769e-1, 1.0,
)  # fmt: skip


def _horner(coefficients: tuple[float, ...], x: FloatArray) -> FloatArray:
    """The polynomial at ``x``, highest power first: ``np.polyval``'s arithmetic, in place."""
    y = np.full(x.shape, coefficients[0])
    for c in coefficients[1:]:
        y *= x
        y += c
    return y


def normal_quantile(p: ArrayLike) -> FloatArray:
    """Inverse standard normal CDF (Wichura's AS241 PPND16 [2]_), elementwise for p in (0, 1).

    Each branch is evaluated only where it applies (the tails are 15 % of uniform draws).
    """
    pa = np.asarray(p, dtype=np.float64)
    if pa.size and not bool(np.all((pa > 0.0) & (pa < 1.0))):
        bad = pa[~((pa > 0.0) & (pa < 1.0))].flat[0]
        raise InputRangeError("p", float(bad), "probabilities in the open interval (0, 1)")
    q = pa - 0.5
    central = np.abs(q) <= 0.425
    out = np.empty(pa.shape)
    qc = q[central]
    r2 = 0.180625 - qc * qc
    out[central] = qc * _horner(_AS241_A, r2) / _horner(_AS241_B, r2)
    tail = ~central
    qt = q[tail]
    r = np.sqrt(-np.log(np.where(qt <= 0.0, pa[tail], 1.0 - pa[tail])))
    near = r <= 5.0
    x_tail = np.empty(r.shape)
    rn = r[near] - 1.6
    x_tail[near] = _horner(_AS241_C, rn) / _horner(_AS241_D, rn)
    rf = r[~near] - 5.0
    x_tail[~near] = _horner(_AS241_E, rf) / _horner(_AS241_F, rf)
    out[tail] = np.where(qt < 0.0, -x_tail, x_tail)
    return out


def _upper_tail(x: float) -> float:
    """1 - Phi(x), accurate in the upper tail."""
    return 0.5 * math.erfc(x / math.sqrt(2.0))


def truncated_standard_normal(u: ArrayLike, lo: float, hi: float) -> FloatArray:
    """Standard normal deviates truncated to [lo, hi] by inverse CDF from uniforms ``u`` in (0, 1).

    ``lo``/``hi`` are scalars in standard-deviation units (``-inf``/``inf`` allowed); the lower
    tail is used whenever ``lo > 0`` (by symmetry) so that upper-tail truncation keeps its precision.
    """
    if not lo < hi:
        raise InputRangeError("truncation", (lo, hi), "lo < hi")
    ua = np.asarray(u, dtype=np.float64)
    if lo > 0.0:
        return -truncated_standard_normal(1.0 - ua, -hi, -lo)
    p_lo, p_hi = _upper_tail(-lo), _upper_tail(-hi)  # Phi(lo), Phi(hi) with hi possibly in the tail
    p = np.clip(p_lo + ua * (p_hi - p_lo), np.nextafter(0.0, 1.0), np.nextafter(1.0, 0.0))
    return np.clip(normal_quantile(p), lo, hi)


def lognormal_factor(z: FloatArray, cv: FloatArray) -> FloatArray:
    """Mean-one log-normal multiplier with coefficient of variation ``cv`` from normal deviates ``z``."""
    sigma = np.sqrt(np.log1p(cv * cv))
    return np.asarray(np.exp(sigma * z - 0.5 * sigma * sigma), dtype=np.float64)


# ---- NumPy generators for many patients at once -------------------------------------------------
# seed_seq_fe [3]: its hash constants (INIT_A, MULT_A, INIT_B, MULT_B, MIX_MULT_L, MIX_MULT_R), a pool
# of four 32-bit words, xor-shift by 16 bits.
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = np.uint64(0xCA01F9DD), np.uint64(0x4973F715)
_POOL = 4
_M32 = np.uint64(0xFFFFFFFF)
_S16 = np.uint64(16)


class _Hash:
    """seed_seq_fe's multiplier stream: the constant changes with each call, whatever the data, so
    the same call sequence hashes all patients' words at once (32-bit words held in ``uint64``)."""

    def __init__(self, init: int, mult: int) -> None:
        self.const, self.mult = init, mult

    def __call__(self, v: SeedArray) -> SeedArray:
        v = v ^ np.uint64(self.const)
        self.const = (self.const * self.mult) & 0xFFFFFFFF
        v = (v * np.uint64(self.const)) & _M32
        return v ^ (v >> _S16)


def _mix(x: SeedArray, y: SeedArray) -> SeedArray:
    r = (_MIX_L * x - _MIX_R * y) & _M32  # wraps modulo 2**64, so modulo 2**32 as seed_seq_fe's
    return r ^ (r >> _S16)


def seed_sequence_words(seeds: ArrayLike, spawn_key: int) -> SeedArray:
    """``SeedSequence(seed, spawn_key=(spawn_key,)).generate_state(4, np.uint64)`` for each seed,
    vectorised: the four 64-bit words with which PCG64 seeds itself, shape ``(n, 4)``.

    Seeds are 64-bit: as little-endian 32-bit words padded to the pool's four (NumPy pads the run
    entropy whenever a spawn key follows), a seed below 2**32 and its two-word form hash alike.
    """
    s = np.asarray(seeds)
    if s.ndim != 1 or (s.size and s.dtype.kind not in "iu") or (s.dtype.kind == "i" and np.any(s < 0)):
        raise InputRangeError("seeds", seeds, f"a 1-D array of integers in [0, {_MAX_U64}]")
    key = _check_u64("spawn_key", spawn_key)
    if key > 0xFFFFFFFF:
        raise InputRangeError("spawn_key", spawn_key, "an integer in [0, 2**32 - 1] (one 32-bit word)")
    s = s.astype(np.uint64)
    zero = np.zeros_like(s)
    entropy = [s & _M32, s >> np.uint64(32), zero, zero, np.full_like(s, key)]
    h = _Hash(_INIT_A, _MULT_A)
    pool = [h(entropy[i]) for i in range(_POOL)]
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                pool[dst] = _mix(pool[dst], h(pool[src]))
    for src in range(_POOL, len(entropy)):
        for dst in range(_POOL):
            pool[dst] = _mix(pool[dst], h(entropy[src]))
    out = _Hash(_INIT_B, _MULT_B)
    words = [out(pool[k % _POOL]) for k in range(8)]
    return np.stack([words[2 * j] | (words[2 * j + 1] << np.uint64(32)) for j in range(4)], axis=1)


class _Words(ISeedSequence):
    """A seed sequence whose state is already made: PCG64 reads its four words and nothing else."""

    __slots__ = ("words",)

    def __init__(self, words: SeedArray) -> None:
        self.words = words

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> SeedArray:
        if n_words != 4 or np.dtype(dtype) != np.uint64:
            asked = (n_words, str(np.dtype(dtype)))
            raise InputRangeError("generate_state", asked, "(4, uint64), as PCG64 asks")
        return self.words


def spawned_generators(seeds: ArrayLike, n_children: int) -> list[list[np.random.Generator]]:
    """For each seed, the generators of ``np.random.default_rng(seed).spawn(n_children)``, the same
    streams to the bit, at about a tenth of their cost: the seed sequences' hashing is done for all
    patients in a few array operations (:func:`seed_sequence_words`) instead of ~10 us of
    per-object work each. The generators cannot ``spawn`` further."""
    if isinstance(n_children, bool) or not isinstance(n_children, int) or n_children < 1:
        raise InputRangeError("n_children", n_children, "an integer >= 1")
    words = [seed_sequence_words(seeds, k) for k in range(n_children)]
    n = words[0].shape[0]
    # BitGenerator takes any ISeedSequence (NumPy's bit_generator.pyx); the stubs name SeedSequence only
    return [[np.random.Generator(np.random.PCG64(_Words(w[j]))) for w in words] for j in range(n)]  # type: ignore[arg-type]
