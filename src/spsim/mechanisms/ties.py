"""Step 2, ties: co-attendance at a group makes ties; ties made at groups fade when unused."""

from __future__ import annotations

import numpy as np

from .base import Mechanism


def segments(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each element of a sorted array: start of its run of equal keys, and the run length."""
    left = np.searchsorted(sorted_keys, sorted_keys, side="left")
    right = np.searchsorted(sorted_keys, sorted_keys, side="right")
    return left, right - left


class Ties(Mechanism):
    """Each attendee this week meets one random co-attendee of the same group (row 0 picks who)
    and a tie forms or is refreshed with probability ``network.group_tie_prob`` (row 1)."""

    name = "ties"
    stream = "ties"
    rows = 2

    def step(self, model, u: np.ndarray) -> None:
        r, net = model.residents, model.cfg.network
        att = np.flatnonzero(r.attended)
        new = 0
        if att.size > 1:
            grp = r.group[att]
            order = np.argsort(grp, kind="stable")
            att, grp = att[order], grp[order]
            start, length = segments(grp)
            pick = start + np.minimum((u[0][att] * length).astype(np.int64), length - 1)
            partner = att[pick]
            form = (u[1][att] < net.group_tie_prob) & (partner != att)
            new = model.network.group.touch(att[form], partner[form], model.week)
        faded = model.network.group.fade(model.week, net.group_tie_fade_weeks)
        model.tally["ties_formed"] += new
        model.tally["ties_faded"] += faded
