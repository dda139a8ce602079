"""Keyed luck (``Draws.at``, :func:`spsim.model.rng.keyed_uniforms`): uniform, independent
between residents, decisions, weeks, streams and replicates, and the same for a resident whoever
else is asked (common random numbers in the strictest sense)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from spsim.model.rng import Streams, keyed_uniforms, replicate_seeds

N = 200_000


def draws(seed=1, replicate=0, name="referral", week=5, rows=0):
    return Streams(replicate_seeds(seed, replicate + 1)[replicate]).draws(name, rows, N, week)


def test_keyed_uniforms_are_uniform_on_a_24_bit_grid():
    x = keyed_uniforms(12345, np.arange(N))
    assert x.dtype == np.float32 and x.min() >= 0.0 and x.max() < 1.0
    grid = x.astype(np.float64) * 2**24
    assert np.array_equal(grid, np.floor(grid))
    # Kolmogorov-Smirnov against U(0, 1): a fixed key, so this is one fixed outcome; a p-value
    # below 0.001 would be a defect, not bad luck worth retrying
    assert stats.kstest(x, "uniform").pvalue > 1e-3
    # ten equal bins, chi-square at the 0.1% level
    counts = np.bincount((x * 10).astype(int), minlength=10)
    assert stats.chisquare(counts).pvalue > 1e-3


def corr_bound(n: int) -> float:
    """Four standard errors of a correlation between independent samples of size ``n``."""
    return 4.0 / np.sqrt(n)


def test_keyed_luck_is_independent_between_residents_decisions_weeks_streams_and_replicates():
    idx = np.arange(N)
    base = draws().at(0, idx).astype(np.float64)
    others = {
        "next resident": base[1:],
        "next decision": draws().at(1, idx),
        "next week": draws(week=6).at(0, idx),
        "other stream": draws(name="groups").at(0, idx),
        "other replicate": draws(replicate=1).at(0, idx),
        "other seed": draws(seed=2).at(0, idx),
        "full rows of the stream": Streams(replicate_seeds(1, 1)[0]).uniforms("referral", 1, N)[0],
    }
    for what, y in others.items():
        x = base[: len(y)]
        r = np.corrcoef(x, np.asarray(y, np.float64))[0, 1]
        assert abs(r) < corr_bound(len(y)), (what, r)
        assert not np.array_equal(x, y), what


def test_the_warm_start_parts_of_one_stream_differ():
    s = Streams(replicate_seeds(1, 1)[0])
    a = s.draws("group_warm_start", 0, N, -3, part=8).at(0, np.arange(N))
    b = s.draws("group_warm_start", 0, N, -3, part=9).at(0, np.arange(N))
    assert abs(np.corrcoef(a, b)[0, 1]) < corr_bound(N)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, N - 1), min_size=1, max_size=200, unique=True), st.integers(0, 7),
       st.integers(-104, 520))
def test_a_residents_luck_does_not_depend_on_who_else_is_asked(subset, j, week):
    idx = np.array(sorted(subset))
    u = draws(week=week)
    everyone = u.at(j, np.arange(N))
    assert np.array_equal(u.at(j, idx), everyone[idx])
    assert np.array_equal(u.at(j, idx[::-1]), everyone[idx[::-1]])
    # and the same again from a fresh set of streams (no state is consumed)
    assert np.array_equal(draws(week=week).at(j, idx), everyone[idx])


def test_keyed_luck_leaves_the_streams_state_alone():
    s = Streams(replicate_seeds(1, 1)[0])
    before = s["referral"].bit_generator.state
    s.draws("referral", 0, N, 3).at(2, np.arange(1000))
    assert s["referral"].bit_generator.state == before


def test_unknown_streams_are_refused():
    with pytest.raises(KeyError, match="unknown random stream"):
        Streams(replicate_seeds(1, 1)[0]).key("nope")
    with pytest.raises(IndexError):
        draws(rows=0)[0]
