"""Group places (``mechanisms/group_places.py``): which kind a resident looks for, how places are shared
out, and which group's waiting list a client without a place joins (docs/ODD.md 7.7).

The fast allocation is checked against the plain loop it replaced in ``tests/test_fast_paths.py``;
these tests check the rules themselves."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from spsim.model.mechanisms.group_places import (
    allocate_places,
    free_places,
    preferred_kind,
    queue_for_places,
    release_members,
)
from spsim.model.tables import GROUP_KINDS, LONELY_KIND, NEED_TO_KIND, NEEDS


def _saved(m):
    r, g = m.residents, m.groups
    cols = ("group", "group_since", "group_accompanied", "group_referred", "group_queue", "group_queue_since",
            "lonely", "needs")
    return {c: getattr(r, c).copy() for c in cols}, g.members.copy(), m.unmet_by_kind.copy(), dict(m.tally)


def _restore(m, saved):
    cols, members, unmet, tally = saved
    for c, v in cols.items():
        getattr(m.residents, c)[:] = v
    m.groups.members = members
    m.unmet_by_kind[:] = unmet
    m.tally.clear()
    m.tally.update(tally)


def test_the_lonely_look_for_company_and_the_rest_for_a_group_that_meets_a_need(placing_model):
    """Lonely: 'connect', whatever their needs. Not lonely with needs: the kind that meets one of
    them (debt and housing -> advice, employment -> keep learning, mental wellbeing -> take notice,
    inactivity -> be active). No needs: 'connect'."""
    m, saved = placing_model, _saved(placing_model)
    r = m.residents
    try:
        idx = np.arange(7 * len(NEEDS))
        single = np.tile((1 << np.arange(len(NEEDS))).astype(np.uint8), 7)
        r.needs[idx] = single
        r.lonely[idx] = False
        assert np.array_equal(preferred_kind(r, idx), NEED_TO_KIND[np.tile(np.arange(len(NEEDS)), 7)])
        r.lonely[idx] = True
        assert (preferred_kind(r, idx) == LONELY_KIND).all()
        r.lonely[idx] = False
        r.needs[idx] = 0
        assert (preferred_kind(r, idx) == LONELY_KIND).all()
        # several needs: one of theirs, picked by their fixed queue key, and every one of them is
        # picked by somebody in a large enough crowd
        crowd = np.arange(2000)
        r.needs[crowd] = 0b10011  # debt, housing, inactivity -> advice or be active
        r.lonely[crowd] = False
        kinds = preferred_kind(r, crowd)
        assert set(np.unique(kinds).tolist()) == {GROUP_KINDS.index("advice"), GROUP_KINDS.index("be_active")}
        share_active = (kinds == GROUP_KINDS.index("be_active")).mean()
        assert abs(share_active - 1 / 3) < 0.05, share_active  # inactivity is one of the three needs
    finally:
        _restore(m, saved)
    assert preferred_kind(r, np.zeros(0, np.int64)).size == 0


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(0, 300), st.booleans())
def test_places_are_never_overfilled_and_a_kind_with_room_is_served_first(placing_model, seed, n, programmes):
    """Whatever residents ask: no group ends with more members than places, each placed resident
    is placed once and was asked for, no self-joiner enters a programme, and a resident ends up
    outside their kind (placed elsewhere or not at all) only if no allowed group of that kind has a
    free place left."""
    m, saved = placing_model, _saved(placing_model)
    r, g = m.residents, m.groups
    rng = np.random.default_rng(seed)
    pool = np.flatnonzero(r.group < 0)
    who = rng.choice(pool, size=min(n, pool.size), replace=False)
    kinds = rng.integers(0, len(GROUP_KINDS), who.size).astype(np.int8)
    try:
        placed = allocate_places(m, who.copy(), kinds.copy(), programmes=programmes)
        assert np.unique(placed).size == placed.size and np.isin(placed, who).all()
        assert (r.group[placed] >= 0).all() and (r.group[np.setdiff1d(who, placed)] < 0).all()
        assert np.array_equal(g.members, np.bincount(r.group[r.group >= 0], minlength=g.n))
        assert (g.members[g.open] <= g.places[g.open]).all()
        if not programmes:
            assert (g.fixed_weeks[r.group[placed]] == 0).all()
        allowed = g.open & ((g.fixed_weeks == 0) | programmes)
        left = free_places(m)
        for k in np.unique(kinds):
            mine = who[kinds == k]
            outside = (r.group[mine] < 0) | (g.kind[np.maximum(r.group[mine], 0)] != k)
            # programme places are offered first, whatever the programme's kind
            outside &= ~((r.group[mine] >= 0) & (g.fixed_weeks[np.maximum(r.group[mine], 0)] > 0))
            if outside.any():
                assert left[allowed & (g.kind == k) & (g.fixed_weeks == 0)].sum() == 0, GROUP_KINDS[k]
    finally:
        _restore(m, saved)


def test_a_client_without_a_place_waits_for_the_open_group_of_their_kind_with_fewest_waiting(placing_model):
    """Queued round-robin over the open community groups of their kind, least loaded (waiting per
    place) first; any open community group when none of their kind is open; residents with a place
    or already on a list are left alone, and nobody joins a programme's list."""
    m, saved = placing_model, _saved(placing_model)
    r, g = m.residents, m.groups
    community = g.open & (g.fixed_weeks == 0)
    try:
        r.group_queue[:] = -1
        kinds_open = [k for k in range(len(GROUP_KINDS)) if (community & (g.kind == k)).sum() >= 2]
        assert kinds_open, "the test town needs a kind with two open community groups"
        k = kinds_open[0]
        ids = np.flatnonzero(community & (g.kind == k))
        busy = ids[0]
        free = np.flatnonzero((r.group < 0) & (r.group_queue < 0))
        # load the first group's list so that it has more waiting per place than any other
        r.group_queue[free[:50]] = busy
        waiting = np.bincount(r.group_queue[r.group_queue >= 0], minlength=g.n) / np.maximum(g.places, 1)
        first = ids[np.lexsort((ids, waiting[ids]))][0]
        assert first != busy
        one = free[50:51]
        assert np.array_equal(queue_for_places(m, one, np.int8([k])), one)
        assert r.group_queue[one[0]] == first and r.group_queue_since[one[0]] == m.week
        # a crowd of one kind goes round-robin over that kind's open groups
        crowd = free[51:51 + 4 * ids.size]
        queue_for_places(m, crowd, np.full(crowd.size, k, np.int8))
        assert np.isin(r.group_queue[crowd], ids).all()
        assert set(r.group_queue[crowd].tolist()) == set(ids.tolist())
        # somebody with a place, or already queued, is left as they are
        member = np.flatnonzero(r.group >= 0)[:1]
        assert queue_for_places(m, np.concatenate([member, one]), np.int8([k, k])).size == 0
        assert r.group_queue[member[0]] == -1 and r.group_queue[one[0]] == first
        # a kind with no open community group: any open community group's list
        missing = [j for j in range(len(GROUP_KINDS)) if not (community & (g.kind == j)).any()]
        if missing:
            two = free[51 + 4 * ids.size:53 + 4 * ids.size]
            queue_for_places(m, two, np.full(2, missing[0], np.int8))
            assert community[r.group_queue[two]].all()
    finally:
        _restore(m, saved)


def test_released_members_leave_with_nothing_left_behind(placing_model):
    m, saved = placing_model, _saved(placing_model)
    r = m.residents
    try:
        members = np.flatnonzero(r.group >= 0)[:5]
        r.group_referred[members] = True
        mask = np.zeros(r.n, bool)
        mask[members[:3]] = True
        release_members(m, mask)  # a mask ...
        release_members(m, members[3:])  # ... or an index list
        assert (r.group[members] == -1).all() and (r.group_since[members] == -1).all()
        assert not r.group_accompanied[members].any() and not r.group_referred[members].any()
    finally:
        _restore(m, saved)
