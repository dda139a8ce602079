"""Step 2, ties: co-attendance at a group makes ties; ties made at groups fade when unused."""

from __future__ import annotations

import numpy as np

from .base import Mechanism, flatnonzero


def segments(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each element of a sorted array: start of its run of equal keys, and the run length."""
    m = sorted_keys.shape[0]
    if m == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    # one linear pass over run boundaries instead of two binary searches per element
    starts = flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
    lengths = np.diff(np.append(starts, m))
    return np.repeat(starts, lengths), np.repeat(lengths, lengths)


def attended_group(r, att: np.ndarray) -> np.ndarray:
    """The group each resident attended this week, -1 none (``att``: the attendees' index list):
    ``np.where(r.attended, r.group, -1)``, written through the short list (np.where over every
    resident cost several times more)."""
    out = np.full(r.n, -1, r.group.dtype)
    out[att] = r.group[att]
    return out


class Ties(Mechanism):
    """Each resident who attended a group last week (attendance is set at the end of the groups
    step) meets one random co-attendee of the same group (row 0 picks who), and a tie forms with
    probability ``network.group_tie_prob`` (row 1). Existing group ties whose two ends attended
    the same group are refreshed; a group tie unused for ``network.group_tie_fade_weeks`` fades."""

    name = "ties"
    stream = "ties"
    rows = 0  # keyed luck of those attending: 0 = whom they talk to, 1 = whether a tie forms

    def step(self, model, u) -> None:
        r, net = model.residents, model.cfg.network
        att = flatnonzero(r.attended)
        new = 0
        if att.size > 1:
            grp = r.group[att]
            order = grp.argsort(kind="stable")
            att, grp = att[order], grp[order]
            start, length = segments(grp)
            pick = start + np.minimum((u.at(0, att) * length).astype(np.int64), length - 1)
            partner = att[pick]
            form = (u.at(1, att) < net.group_tie_prob) & (partner != att)
            new = model.network.group.touch(att[form], partner[form], model.week)
        model.network.group.refresh_co_attending(attended_group(r, att), model.week)
        faded = model.network.group.fade(model.week, net.group_tie_fade_weeks)
        model.tally["ties_formed"] += new
        model.tally["ties_faded"] += faded
