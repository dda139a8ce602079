"""Group places: who gets a place in which community group, and the groups' waiting lists.

Used by three steps: residents joining on their own (step 7, :mod:`.groups`), link workers matching
clients to a group (step 6, :mod:`.link_work`) and connectors signposting (step 5, :mod:`.referral`).

- :func:`allocate_places` places residents in open groups with free places, of the kind each looks
  for (:func:`preferred_kind`: "connect" if lonely, else one meeting a need), falling back to any
  group; residents are served in the order of their fixed queue key, and places are spread
  round-robin over a kind's groups. Referred clients who want company, activity or calm are offered
  places on fixed-length programmes first. A kind with no free place is counted as unmet demand,
  which community developers respond to (:mod:`.groups`, ``_start_groups``).
- :func:`queue_for_places` puts a matched client who found no place on the waiting list of an open
  community group of their kind, the one with the fewest waiting per place (issue 13; the rule and
  its sources are in the docstring of :mod:`.groups` and in docs/ODD.md 7.7).
- :func:`release_members` takes residents out of their group.

Deterministic given the state: no random numbers are drawn here.
"""

from __future__ import annotations

import numpy as np

from ..tables import GROUP_KINDS, LONELY_KIND, NEED_TO_KIND, NEEDS
from .base import count_ids, flatnonzero

#: kinds of need a wellbeing programme serves: connect, be active, take notice
PROGRAMME_SERVES = np.array([0, 1, 3], dtype=np.int8)


def preferred_kind(r, idx: np.ndarray) -> np.ndarray:
    """The group kind a resident looks for: 'connect' if lonely, else the kind meeting one of
    their needs (chosen by their fixed queue key), else 'connect'."""
    if idx.size == 0:
        return np.zeros(0, np.int8)
    needs = r.needs[idx]
    bits = (needs[:, None] >> np.arange(len(NEEDS), dtype=np.uint8)[None, :]) & 1
    count = bits.sum(axis=1)
    target = np.floor(r.queue_key[idx] * count).astype(np.int64) + 1
    which = np.argmax(np.cumsum(bits, axis=1) >= target[:, None], axis=1)
    kind = np.where(count > 0, NEED_TO_KIND[which], LONELY_KIND)
    return np.where(r.lonely[idx], LONELY_KIND, kind).astype(np.int8)


def free_places(model) -> np.ndarray:
    """Free places of each group (0 for a closed group)."""
    g = model.groups
    return np.where(g.open, np.maximum(g.places - g.members, 0), 0)


def _round_robin(ids: np.ndarray, left: np.ndarray, k: int) -> np.ndarray:
    """The groups of the first ``k`` places offered round-robin over groups ``ids`` (in that order)
    with ``left`` free places each: round j offers one place in each group with more than j free
    places; only the rounds the k places need are built."""
    slots, got, j = [], 0, 0
    while got < k:
        offer = ids[left > j][: k - got]
        slots.append(offer)
        got += offer.size
        j += 1
    return np.concatenate(slots) if slots else ids[:0]


def _fill(model, who: np.ndarray, groups_ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Give residents ``who`` (in order) places in groups where ``groups_ok``, spreading them
    round-robin over groups; return (placed residents, their groups)."""
    if who.size == 0:
        return who[:0], who[:0]
    free = np.where(groups_ok, free_places(model), 0)
    total = int(free.sum())
    if total == 0:
        return who[:0], who[:0]
    k = min(total, who.size)
    ids = flatnonzero(free)
    return who[:k], _round_robin(ids, free[ids], k)


def _fill_by_kind(model, who: np.ndarray, kinds: np.ndarray, groups_ok: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``_fill(model, who[kinds == k], groups_ok & (g.kind == k))`` for each kind k in turn: the
    placed residents and their groups in that order, and which of ``who`` were placed (a mask).
    The kinds' groups are disjoint, so one kind's places never change another's free places: all
    kinds are filled at once, with a fixed number of array operations (the plain loop, one
    ``_fill`` and ``take_places`` per kind, cost about 0.55 ms a call for a few dozen residents, and a
    loop over the kinds about 0.3 ms; tests/test_fast_paths.py checks this against the loop).

    Each group's free places are listed as (kind, round j, group): round j offers one place in
    every group with more than j free places, in group order, which is ``_round_robin``'s
    order; the r-th resident (in order) looking for kind k takes kind k's r-th place."""
    g = model.groups
    free = np.where(groups_ok, free_places(model), 0)
    ids = flatnonzero(free)
    left = free[ids]
    grp = np.repeat(ids, left)  # one entry per free place
    rnd = np.arange(grp.size) - np.repeat(left.cumsum() - left, left)  # its round
    gk = g.kind[grp]
    grp = grp[np.lexsort((grp, rnd, gk))]  # places by kind, then round, then group
    n_kinds = len(GROUP_KINDS)
    places = np.bincount(gk, minlength=n_kinds)  # free places of each kind
    first_place = places.cumsum() - places
    by_kind = kinds.argsort(kind="stable")  # residents by kind, in order within a kind
    wanted = kinds[by_kind].astype(np.intp)
    looking = np.bincount(wanted, minlength=n_kinds)
    rank = np.arange(wanted.size) - (looking.cumsum() - looking)[wanted]
    ok = rank < places[wanted]
    sel = by_kind[ok]
    got = np.zeros(who.size, bool)
    got[sel] = True
    return who[sel], grp[first_place[wanted[ok]] + rank[ok]], got


def allocate_places(model, who: np.ndarray, kinds: np.ndarray, programmes: bool = True) -> np.ndarray:
    """Place residents ``who`` (distinct) in open groups with free places, preferring ``kinds``;
    fall back to any group. Deterministic given the state: residents are served by their fixed
    queue key. Fixed-length programmes take only referred clients (``programmes=True``).
    Returns the residents who got a place."""
    r, g = model.residents, model.groups
    if who.size == 0 or g.n == 0:
        return who[:0]
    allowed = np.ones(g.n, bool) if programmes else g.fixed_weeks == 0
    order = r.queue_key[who].argsort(kind="stable")
    who, kinds = who[order], kinds[order]
    placed_all = []
    if programmes and (g.fixed_weeks > 0).any():
        # referred clients who want company, activity or calm are offered programme places first
        fits = np.isin(kinds, PROGRAMME_SERVES)
        placed, slots = _fill(model, who[fits], g.open & (g.fixed_weeks > 0))
        take_places(model, placed, slots)
        placed_all.append(placed)
        keep = ~np.isin(who, placed)
        who, kinds = who[keep], kinds[keep]
    # each kind's residents into groups of their kind
    placed, slots, in_kind = _fill_by_kind(model, who, kinds, allowed)
    take_places(model, placed, slots)
    placed_all.append(placed)
    got = np.concatenate(placed_all)
    rest = np.sort(who[~in_kind])  # np.setdiff1d(who, got), as who are distinct
    if rest.size == 0:
        return got
    # wanted a kind that had no free place: community developers respond to this
    model.unmet_by_kind += np.bincount(kinds[~in_kind], minlength=model.unmet_by_kind.size)
    rest = rest[r.queue_key[rest].argsort(kind="stable")]
    placed, slots = _fill(model, rest, allowed)
    take_places(model, placed, slots)
    return np.concatenate([got, placed])


def take_places(model, who: np.ndarray, slots: np.ndarray) -> None:
    """Residents ``who`` take a place each in groups ``slots`` (this week, unaccompanied)."""
    if who.size == 0:
        return
    r, g = model.residents, model.groups
    r.group[who] = slots
    r.group_since[who] = model.week
    r.group_accompanied[who] = False
    g.members = g.members + np.bincount(slots, minlength=g.n)


def release_members(model, mask: np.ndarray) -> None:
    """Residents in ``mask`` (a boolean mask or an index list) leave their group; the groups'
    member counts are recounted by the caller."""
    r = model.residents
    if mask.dtype == bool:
        mask = flatnonzero(mask)
    r.group[mask] = -1
    r.group_since[mask] = -1
    r.group_accompanied[mask] = False
    r.group_referred[mask] = False


def queue_for_places(model, who: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """Residents ``who`` (no place, looking for ``kinds``) join a group's waiting list: spread
    round-robin over the open community groups of their kind, fewest waiting per place first (all
    open community groups if none of that kind is open). Returns those queued."""
    r, g = model.residents, model.groups
    keep = (r.group[who] < 0) & (r.group_queue[who] < 0)
    who, kinds = who[keep], kinds[keep]
    community = g.open & (g.fixed_weeks == 0) if g.n else np.zeros(0, bool)
    if who.size == 0 or not community.any():
        model.tally["group_queue_no_group"] += int(who.size)
        return who[:0]
    order = r.queue_key[who].argsort(kind="stable")
    who, kinds = who[order], kinds[order]
    waiting = count_ids(r.group_queue, g.n)
    load = waiting / np.maximum(g.places, 1)
    target = np.full(who.size, -1, np.int64)
    for k in np.unique(kinds):  # at most six kinds, not residents
        sel = flatnonzero(kinds == k)
        ids = flatnonzero(community & (g.kind == k))
        if ids.size == 0:
            ids = flatnonzero(community)
        ids = ids[np.lexsort((ids, load[ids]))]
        target[sel] = ids[np.arange(sel.size) % ids.size]
    r.group_queue[who] = target
    r.group_queue_since[who] = model.week
    model.tally["group_queue_joined"] += int(who.size)
    return who
