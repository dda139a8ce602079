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

    def __getitem__(self, name: str) -> np.random.Generator:
        gen = self._gens.get(name)
        if gen is None:
            if name not in STREAM_IDS:
                raise KeyError(f"unknown random stream {name!r}; add it to STREAM_IDS")
            ss = np.random.SeedSequence(
                self.seed_seq.entropy, spawn_key=(*self.seed_seq.spawn_key, STREAM_IDS[name])
            )
            gen = self._gens[name] = np.random.Generator(np.random.PCG64(ss))
        return gen

    def uniforms(self, name: str, rows: int, n: int) -> np.ndarray:
        """``rows`` x ``n`` uniforms in [0, 1) as float32: one row per decision, one column per resident."""
        return self[name].random((rows, n), dtype=np.float32)

    def states(self) -> dict[str, dict]:
        """Bit-generator states of every stream used so far (for CRN checks)."""
        return {k: g.bit_generator.state for k, g in sorted(self._gens.items())}
