"""The speed-ups of the weekly step give exactly what the plain expressions give.

Each fast path (float32 thresholds for float64 compares, cached and incremental tie counts,
run-length segments) is checked against the straightforward computation it replaced.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_model, small_config
from spsim.model.mechanisms.base import below
from spsim.model.mechanisms.help_seeking import HelpSeeking
from spsim.model.mechanisms.ties import segments
from spsim.model.network import Network, expand_ranges
from spsim.model.rng import Draws


def _check_below(p: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.random(2000, dtype=np.float32)
    t32 = np.float32(p)
    # the float32 neighbours of p are where a rounding error would show
    near = np.array([np.nextafter(t32, np.float32(-1)), t32, np.nextafter(t32, np.float32(2)), 0.0], np.float32)
    x = np.concatenate([x, near])
    assert np.array_equal(x < below(p), x.astype(np.float64) < np.float64(p))


@settings(max_examples=200, deadline=None)
@given(p=st.floats(min_value=-0.5, max_value=1.5, allow_nan=False), seed=st.integers(0, 2**32 - 1))
def test_below_matches_numpy_promotion(p, seed):
    _check_below(p, seed)


@given(st.lists(st.integers(0, 6), max_size=60))
def test_segments_are_runs_of_equal_keys(keys):
    k = np.sort(np.array(keys, dtype=np.int64))
    start, length = segments(k)
    assert np.array_equal(start, np.searchsorted(k, k, side="left"))
    assert np.array_equal(length, np.searchsorted(k, k, side="right") - start)


def _plain_counts(net: Network, flag: np.ndarray) -> np.ndarray:
    src = np.flatnonzero(flag)
    out = np.bincount(net.indices[expand_ranges(net.indptr[src], net.indptr[src + 1])], minlength=net.n)
    if net.group.keys.size:
        gu, gv = net.group.u, net.group.v
        out = out + np.bincount(gv, weights=flag[gu], minlength=net.n).astype(np.int64)
        out = out + np.bincount(gu, weights=flag[gv], minlength=net.n).astype(np.int64)
    return out


def test_cached_counts_and_degree_follow_flags_and_group_ties():
    m = make_model(small_config({"population.size": 1500}))
    net, rng = m.network, np.random.default_rng(3)
    flag = rng.random(net.n) < 0.2
    for week in range(1, 30):
        # flip a few flags (sometimes many, to take the full-recount branch) and change group ties
        flip = rng.random(net.n) < (0.3 if week % 10 == 0 else 0.01)
        flag = flag ^ flip
        a, b = rng.integers(0, net.n, 40), rng.integers(0, net.n, 40)
        net.group.touch(a, b, week)
        net.group.fade(week, 5)
        got = net.count_flagged_neighbours(flag, cache="test")
        assert np.array_equal(got, _plain_counts(net, flag))
        assert np.array_equal(net.count_flagged_neighbours(flag), got)
        deg = net.base_degree.astype(np.int64)
        if net.group.keys.size:
            deg = deg + np.bincount(net.group.u, minlength=net.n) + np.bincount(net.group.v, minlength=net.n)
        assert np.array_equal(net.degree(), deg)
        who = rng.integers(0, net.n, 50)
        assert np.array_equal(net.degree_of(who), deg[who])
    assert net.group.keys.size > 0  # the group-tie branches were exercised


def test_help_seeking_matches_a_plain_queue():
    """Poisson counts by inversion and the whole-array practice queue give what a plain loop over
    requests gives: each practice serves residents in this week's key order until its
    appointments run out (the last one served may get only part of their requests)."""
    from scipy import stats

    from spsim.model.mechanisms.help_seeking import poisson_from_uniform

    busy = {"population.size": 3000, "health.ae_per_year": 2.0, "practices.appointments_per_1000_per_week": 60.0}
    m = make_model(small_config(busy))
    for _ in range(4):
        m.step()
    mech = next(x for x in m.mechanisms if isinstance(x, HelpSeeking))
    r, h, rng = m.residents, m.cfg.health, np.random.default_rng(7)
    for _ in range(3):
        u = Draws(rng.random((2, r.n), dtype=np.float32), int(rng.integers(2**63)))
        lam_med = r.gp_base.astype(float) + r.episode_gp
        lam_soc = m.cfg.needs.gp_uplift_per_year / 52.0 * np.bitwise_count(r.needs)
        k_med = stats.poisson.ppf(u[0].astype(float), lam_med).astype(int)
        k_soc = np.zeros(r.n, int)
        with_needs = np.flatnonzero(lam_soc)
        k_soc[with_needs] = stats.poisson.ppf(u.at(1, with_needs).astype(float), lam_soc[with_needs]).astype(int)
        assert np.array_equal(poisson_from_uniform(u[0], lam_med), k_med)
        k = k_med + k_soc
        served = np.zeros(r.n, int)
        for p in range(m.practices.n):
            left = int(m.practices.capacity[p])
            who = np.flatnonzero((r.practice == p) & (k > 0))
            for i in who[np.argsort(u.at(0, who), kind="stable")]:
                served[i] = min(k[i], left)
                left -= served[i]
        unmet = served < k
        units = np.bitwise_count(r.needs)
        lam_ae = r.ae_base * np.where(r.in_episode, h.episode_multiplier, 1.0) * (1.0 + h.social_ae_share * units)
        ae = u[1] < -np.expm1(-lam_ae) + h.ae_unmet_gp_share * unmet
        mech.step(m, u)
        assert unmet.any() and ae.any() and (k > 1).any()
        assert np.array_equal(m.gp_count, served)
        assert np.array_equal(m.ae_this_week, ae)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=1, max_size=40), st.integers(0, 200))
def test_group_places_are_offered_round_robin_as_the_plain_rule_does(free, wanting):
    """``group_places._fill`` builds only the rounds it needs; the plain rule lists every free place by
    (round, group) and takes the first ones."""
    from types import SimpleNamespace

    from spsim.model.mechanisms.group_places import _fill

    free = np.array(free)
    g = SimpleNamespace(open=np.ones(free.size, bool), places=free, members=np.zeros(free.size, int))
    model = SimpleNamespace(groups=g)
    who = np.arange(wanting)
    placed, slots = _fill(model, who, np.ones(free.size, bool))
    gid = np.repeat(np.arange(free.size), free)
    rank = np.concatenate([np.arange(f) for f in free]) if free.sum() else np.zeros(0, int)
    plain = gid[np.lexsort((gid, rank))][: min(free.sum(), wanting)]
    assert np.array_equal(placed, who[: plain.size])
    assert np.array_equal(slots, plain)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=6), st.integers(0, 2**31 - 1))
def test_table_columns_are_views_of_the_stored_columns_through_appends_and_copies(grows, seed):
    """``table.col`` (a view kept in the instance) is always ``_cols[col][: n]``, the plain
    definition, after rows are appended (also beyond the capacity, which reallocates), after
    writes through the attribute, and in a pickled or deep-copied table."""
    import copy
    import pickle

    from spsim.model.tables import GroupTable

    rng = np.random.default_rng(seed)
    g = GroupTable(3, capacity=4)
    for k in grows:
        g.append(k)
        g.members = rng.integers(0, 100, g.n)
        g.funds[rng.integers(0, g.n, 2)] += 1.5
        for name in g.schema:
            assert np.shares_memory(getattr(g, name), g._cols[name])
            assert np.array_equal(getattr(g, name), g._cols[name][: g.n])
    for h in (copy.deepcopy(g), pickle.loads(pickle.dumps(g))):
        assert h.n == g.n and all(np.array_equal(getattr(h, c), getattr(g, c)) for c in g.schema)
        h.members = -1
        h.append(1)
        assert (h._cols["members"][: g.n] == -1).all() and (g.members != -1).all()
        assert all(np.shares_memory(getattr(h, c), h._cols[c]) for c in h.schema)


def _splitmix_reference(key: int, i: int) -> float:
    """SplitMix64 at position ``i`` from state ``key``, in Python integers: the top 24 bits / 2^24."""
    m = (1 << 64) - 1
    z = (key + (i + 1) * 0x9E3779B97F4A7C15) & m
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
    z ^= z >> 31
    return (z >> 40) / 2.0**24


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**64 - 1), st.lists(st.integers(0, 2**40), min_size=1, max_size=50))
def test_keyed_uniforms_are_splitmix64_written_plainly(key, idx):
    from spsim.model.rng import keyed_uniforms

    got = keyed_uniforms(key, np.array(idx, np.int64))
    assert got.dtype == np.float32
    assert got.tolist() == [_splitmix_reference(key, i) for i in idx]


def _allocate_places_plain(model, who, kinds, programmes=True):
    """``group_places.allocate_places`` as it was written before the kinds were filled in one pass: one
    ``_fill`` and one ``take_places`` per kind, then ``np.setdiff1d`` for the rest."""
    from spsim.model.mechanisms.group_places import PROGRAMME_SERVES, _fill, take_places
    from spsim.model.tables import GROUP_KINDS

    r, g = model.residents, model.groups
    if who.size == 0 or g.n == 0:
        return who[:0]
    allowed = np.ones(g.n, bool) if programmes else g.fixed_weeks == 0
    order = np.argsort(r.queue_key[who], kind="stable")
    who, kinds = who[order], kinds[order]
    placed_all = []
    if programmes and (g.fixed_weeks > 0).any():
        fits = np.isin(kinds, PROGRAMME_SERVES)
        placed, slots = _fill(model, who[fits], g.open & (g.fixed_weeks > 0))
        take_places(model, placed, slots)
        placed_all.append(placed)
        keep = ~np.isin(who, placed)
        who, kinds = who[keep], kinds[keep]
    for k in range(len(GROUP_KINDS)):
        sel = who[kinds == k]
        placed, slots = _fill(model, sel, allowed & (g.kind == k))
        take_places(model, placed, slots)
        placed_all.append(placed)
    got = np.concatenate(placed_all)
    rest = np.setdiff1d(who, got)
    if rest.size:
        missed = kinds[np.isin(who, rest)]
        model.unmet_by_kind += np.bincount(missed, minlength=model.unmet_by_kind.size)
    rest = rest[np.argsort(r.queue_key[rest], kind="stable")]
    placed, slots = _fill(model, rest, allowed)
    take_places(model, placed, slots)
    return np.concatenate([got, placed])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(0, 400), st.booleans(), st.booleans())
def test_allocate_places_fills_kinds_in_one_pass_as_the_plain_loop_does(placing_model, seed, n, programmes,
                                                                         crowd):
    from spsim.model.mechanisms.group_places import allocate_places, preferred_kind

    m = placing_model
    r, g = m.residents, m.groups
    rng = np.random.default_rng(seed)
    pool = np.flatnonzero(r.group < 0)
    who = rng.choice(pool, size=min(n, pool.size), replace=False)
    # the residents' own preferred kinds, or a crowd all after one or two kinds
    kinds = preferred_kind(r, who) if not crowd else rng.choice(np.int8([0, 5]), who.size).astype(np.int8)
    saved = (r.group.copy(), r.group_since.copy(), r.group_accompanied.copy(), g.members.copy(),
             m.unmet_by_kind.copy())

    def state():
        return (r.group.copy(), r.group_since.copy(), r.group_accompanied.copy(), g.members.copy(),
                m.unmet_by_kind.copy())

    def restore():
        r.group, r.group_since, r.group_accompanied, g.members = saved[:4]
        m.unmet_by_kind[:] = saved[4]

    try:
        fast = allocate_places(m, who.copy(), kinds.copy(), programmes=programmes)
        after_fast = state()
        restore()
        plain = _allocate_places_plain(m, who.copy(), kinds.copy(), programmes=programmes)
        after_plain = state()
    finally:
        restore()
    assert np.array_equal(fast, plain) and fast.dtype == plain.dtype
    assert all(np.array_equal(a, b) for a, b in zip(after_fast, after_plain, strict=True))


def _poisson_from_uniform_plain(u, lam, max_k=200):
    """The inversion as first written: every resident's cumulative probability, k by k."""
    lam = np.asarray(lam, np.float64)
    u = np.asarray(u).astype(np.float64)
    k = np.zeros(lam.shape, np.int32)
    p = np.exp(-lam)
    cdf = p.copy()
    idx = np.flatnonzero(u >= cdf)
    for j in range(1, max_k + 1):
        if not idx.size:
            break
        k[idx] = j
        p[idx] = p[idx] * lam[idx] / j
        cdf[idx] += p[idx]
        idx = idx[u[idx] >= cdf[idx]]
    return k


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 3000), st.floats(0.0, 12.0))
def test_poisson_counts_match_the_plain_inversion(seed, n, lam_max):
    """``poisson_from_uniform`` (skips residents with u < 1 - lam) gives the plain
    inversion's counts, uniform by uniform, including large means and uniforms next to 1."""
    from spsim.model.mechanisms.help_seeking import poisson_from_uniform

    rng = np.random.default_rng(seed)
    u = rng.random(n, dtype=np.float32)
    u[: n // 10] = np.float32(1) - np.float32(2**-24) * rng.integers(1, 4, n // 10)
    lam = rng.uniform(0, lam_max, n) * (rng.random(n) < 0.7)
    assert np.array_equal(poisson_from_uniform(u, lam), _poisson_from_uniform_plain(u, lam))


@given(st.lists(st.integers(-1, 30), max_size=200), st.integers(0, 40))
def test_count_ids_is_bincount_of_the_set_entries(ids, extra):
    """``count_ids`` (nonzero, then gather) counts what ``np.bincount(ids[ids >= 0])`` counts."""
    from spsim.model.mechanisms.base import count_ids

    a = np.array(ids, np.int32)
    n = (int(a.max()) + 1 if a.size else 0) + extra
    got = count_ids(a, n)
    assert np.array_equal(got, np.bincount(a[a >= 0], minlength=n))
    assert got.dtype == np.bincount(a[a >= 0], minlength=n).dtype


@given(st.sets(st.integers(0, 500), max_size=120), st.data())
def test_without_is_setdiff1d_of_a_subset(values, data):
    """``without(idx, sub)`` (binary search and delete) is ``np.setdiff1d(idx, sub, assume_unique=True)``
    for an ascending index list and any subset of it, in any order."""
    from spsim.model.mechanisms.base import without

    idx = np.array(sorted(values), np.int64)
    sub = np.array(data.draw(st.lists(st.sampled_from(sorted(values)), unique=True)) if values else [], np.int64)
    got = without(idx, sub)
    assert np.array_equal(got, np.setdiff1d(idx, sub, assume_unique=True))
    assert got.dtype == idx.dtype


def _loneliness_switch_plain(mech, model, u):
    """``Loneliness.step``'s switch as first written: everyone's float64 rate (onset, recovery for
    the lonely), then the residents with u below it."""
    from spsim.model.population import WEEKS_PER_YEAR

    r = model.residents
    lonely = r.lonely
    lonely_contacts = model.network.count_flagged_neighbours(lonely)
    rate = mech.onset(model, lonely_contacts, mech.flags(r))
    lone = np.flatnonzero(lonely)
    if lone.size:
        other = model.network.degree_of(lone) - lonely_contacts[lone]
        rate[lone] = mech.recovery(model, lone, other)
    rate /= WEEKS_PER_YEAR
    u0 = u[0]
    cand = np.flatnonzero(u0 < rate)
    return cand[u0[cand] < -np.expm1(-rate[cand])]


@pytest.mark.parametrize("dotted", [
    {},
    # a lockdown (passing multiplier and contact weight) and strong contagion, so that contagion
    # decides who is near the bound
    {"shock.start_week": 1, "shock.weeks": 6, "shock.contact_multiplier": 0.3,
     "loneliness.contagion_per_year": 2.0, "loneliness.onset_per_year": 0.3},
])
def test_loneliness_bounded_onset_switches_who_the_plain_whole_array_rule_switches(dotted):
    """The step computes exact rates only for the lonely and for residents below a float32 bound on
    onset; week by week it switches exactly the residents the plain rule switches."""
    from spsim.model.mechanisms.loneliness import Loneliness

    m = make_model(small_config({"population.size": 3000, **dotted}))
    mech = next(x for x in m.mechanisms if isinstance(x, Loneliness))
    switched = 0
    for _ in range(14):
        m.tally.clear()
        for x in m.mechanisms:
            luck = m.luck(x)
            if x is mech:
                before = m.residents.lonely.copy()
                want = np.sort(_loneliness_switch_plain(mech, m, luck))
                mech.step(m, luck)
                got = np.flatnonzero(before != m.residents.lonely)
                assert np.array_equal(got, want)
                switched += got.size
            else:
                x.step(m, luck)
        m.week += 1
    assert switched > 20  # onsets and recoveries happened


@given(st.lists(st.integers(-(2**40), 2**40), max_size=300))
def test_sorted_unique_is_np_unique(keys):
    from spsim.model.network import sorted_unique

    a = np.array(keys, np.int64)
    got = sorted_unique(a)
    assert np.array_equal(got, np.unique(a)) and got.dtype == np.unique(a).dtype


@given(st.lists(st.integers(0, 3), max_size=300), st.integers(1, 3))
def test_flatnonzero_is_numpys_for_one_dimensional_arrays(values, step):
    """``base.flatnonzero`` (the array's own nonzero) gives np.flatnonzero's indices, also on a
    strided view, for bools and integers."""
    from spsim.model.mechanisms.base import flatnonzero

    a = np.array(values, np.int8)
    for x in (a, a != 0, a[::step], (a == 2)[::step]):
        got = flatnonzero(x)
        assert np.array_equal(got, np.flatnonzero(x)) and got.dtype == np.flatnonzero(x).dtype


def test_lonely_contacts_by_sparse_product_are_bincount_sums_to_the_bit():
    """``Loneliness.stationary`` sums the contacts' chances with scipy's CSR product instead of
    ``np.bincount(rows, weights=p[indices])``: the same floating-point sums, bit for bit, for
    chances of every magnitude."""
    from scipy import sparse

    net = make_model(small_config({"population.size": 3000})).network
    n = net.n
    rows = np.repeat(np.arange(n), np.diff(net.indptr))
    ties = sparse.csr_matrix((np.ones(net.indices.size), net.indices, net.indptr), shape=(n, n))
    rng = np.random.default_rng(5)
    for _ in range(10):
        p = rng.random(n) * (rng.random(n) < 0.4) * 10.0 ** rng.uniform(-12, 0, n)
        assert np.array_equal(ties @ p, np.bincount(rows, weights=p[net.indices], minlength=n))
