"""Random streams and common random numbers.

A run's randomness comes from one root seed. Replicate ``r`` uses the SeedSequence with
``spawn_key=(r,)`` (what ``SeedSequence(seed).spawn(R)[r]`` gives), and inside a replicate each
mechanism has its own named stream ``spawn_key=(r, stream_id)``. Stream ids are fixed numbers,
so adding a stream never shifts another.

Common random numbers: the weekly rules draw a fixed number of numbers per resident from their
own stream every week, whatever the state of the model (:meth:`Streams.uniforms`). Two
scenarios with the same seed therefore build the same residents and give each resident the
same luck each week; only the levers differ. ``tests/test_reproducibility.py`` checks that the
stream states stay in step across scenarios.

Decisions that concern only some residents (those at the GP this week, group members, clients)
take *keyed* luck instead (:meth:`Draws.at`): resident ``i``'s number for decision ``j`` in week
``w`` is a pure function of (replicate, stream, ``j``, ``w``, ``i``), computed for the residents
asked about only. It is the SplitMix64 output (Steele, Lea & Flood 2014, "Fast splittable
pseudorandom number generators", OOPSLA) at a position set by those keys, so it needs no state:
it is the same whoever else is asked, and the same in every scenario, which is common random
numbers in the strictest sense, at a fraction of the cost of a full row of draws (measured in
``benchmarks/``).
"""

from __future__ import annotations

import numpy as np

#: Stream name -> fixed id. Never renumber; append new streams at the end.
STREAM_IDS: dict[str, int] = {
    "population": 0,
    "network": 1,
    "life_events": 2,
    "ties": 3,
    "loneliness": 4,
    "help_seeking": 5,
    "referral": 6,
    "link_work": 7,
    "groups": 8,
    "volunteering": 9,
    "mesa": 10,
    "community": 11,
    "initial_loneliness": 12,
    "connectors": 13,
    "development": 14,
    "referral_routes": 15,  # (15 was "sex" before it joined "attributes")
    "people_init": 16,
    "instruments": 17,
    "attributes": 18,
    "history_instruments": 19,
    "workforce": 20,
    "community_flex": 21,
    "group_warm_start": 22,
    "group_queue": 23,
}


def replicate_seeds(seed: int, replicates: int) -> list[np.random.SeedSequence]:
    """One SeedSequence per replicate, spawned from the root seed."""
    return np.random.SeedSequence(seed).spawn(replicates)


class Streams:
    """Named generators for one replicate."""

    def __init__(self, seed_seq: np.random.SeedSequence):
        self.seed_seq = seed_seq
        self._gens: dict[str, np.random.Generator] = {}
        self._keys: dict[str, int] = {}

    def _child(self, name: str, *tag: int) -> np.random.SeedSequence:
        """Stream ``name``'s SeedSequence: spawn key (replicate..., stream id, *tag)."""
        if name not in STREAM_IDS:
            raise KeyError(f"unknown random stream {name!r}; add it to STREAM_IDS")
        return np.random.SeedSequence(
            self.seed_seq.entropy, spawn_key=(*self.seed_seq.spawn_key, STREAM_IDS[name], *tag)
        )

    def __getitem__(self, name: str) -> np.random.Generator:
        gen = self._gens.get(name)
        if gen is None:
            gen = self._gens[name] = np.random.Generator(np.random.PCG64(self._child(name)))
        return gen

    def uniforms(self, name: str, rows: int, n: int) -> np.ndarray:
        """``rows`` x ``n`` uniforms in [0, 1) as float32: one row per decision, one column per resident."""
        return self[name].random((rows, n), dtype=np.float32)

    def key(self, name: str) -> int:
        """The 64-bit key of stream ``name``'s keyed luck (its own SeedSequence child, tagged so it
        shares nothing with the stream's generator)."""
        k = self._keys.get(name)
        if k is None:
            k = self._keys[name] = int(self._child(name, KEYED_TAG).generate_state(1, np.uint64)[0])
        return k

    def draws(self, name: str, rows: int, n: int, week: int, part: int = 0) -> Draws:
        """This week's luck for a mechanism on stream ``name``: ``rows`` full rows of uniforms
        (``u[j]``, one per resident, drawn from the stream) and keyed luck (``u.at(j, idx)``).
        ``part`` tells apart several mechanisms that share one stream (the group warm start)."""
        full = self.uniforms(name, rows, n) if rows else None
        return Draws(full, _mix(self.key(name) ^ _mix(week + 1) ^ _mix(-1 - part)))

    def states(self) -> dict[str, dict]:
        """Bit-generator states of every stream used so far (for CRN checks)."""
        return {k: g.bit_generator.state for k, g in sorted(self._gens.items())}


#: Added to a stream's spawn key for its keyed luck (any fixed number no stream id will reach).
KEYED_TAG = 1_000_003

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_C1, _C2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


def _mix(z: int) -> int:
    """SplitMix64's output function on a Python int (64-bit wrap-around)."""
    z = (z + _GOLDEN) & _M64
    z = ((z ^ (z >> 30)) * _C1) & _M64
    z = ((z ^ (z >> 27)) * _C2) & _M64
    return z ^ (z >> 31)


#: the same constants as numpy scalars, made once (keyed luck is asked for about 30 times a week)
_U_GOLDEN, _U_C1, _U_C2 = np.uint64(_GOLDEN), np.uint64(_C1), np.uint64(_C2)
_U_SHIFTS = (np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(40))
_F_2M24 = np.float32(2.0 ** -24)


def keyed_uniforms(key: int, idx: np.ndarray) -> np.ndarray:
    """Uniforms in [0, 1) (float32, 24 bits like ``Generator.random``) for the integers ``idx``:
    SplitMix64 at position ``idx`` of the sequence whose state starts at ``key``. (In-place
    operations with no keyword arguments: about 27 calls a week, most on a few hundred residents,
    so the fixed cost of each numpy call counts; ``tests/test_fast_paths.py`` has it written
    plainly.)"""
    s30, s27, s31, s40 = _U_SHIFTS
    z = np.asarray(idx).astype(np.uint64)
    z *= _U_GOLDEN
    z += np.uint64((key + _GOLDEN) & _M64)
    z ^= z >> s30
    z *= _U_C1
    z ^= z >> s27
    z *= _U_C2
    z ^= z >> s31
    z >>= s40  # the top 24 bits
    out = z.astype(np.float32)  # exact: below 2**24
    out *= _F_2M24
    return out


class Draws:
    """One mechanism's luck for one week.

    ``u[j]`` (or any index of the full block) is row ``j`` of the full rows: one uniform per
    resident, drawn from the stream whatever the state. ``u.at(j, idx)`` is keyed decision
    ``j``'s luck for the residents ``idx`` only (the keyed rows are numbered apart from the full
    rows): a pure function of the stream, the week, ``j`` and the resident, so a resident's
    number does not depend on who else is asked.
    """

    __slots__ = ("full", "key")

    def __init__(self, full: np.ndarray | None, key: int):
        self.full = full
        self.key = key

    def __getitem__(self, j):
        if self.full is None:
            raise IndexError("this mechanism draws no full rows")
        return self.full[j]

    def at(self, j: int, idx: np.ndarray) -> np.ndarray:
        """Keyed decision ``j``'s uniforms for residents ``idx`` (float32, same shape as ``idx``)."""
        return keyed_uniforms(_mix(self.key ^ _mix(j + 1)), idx)
