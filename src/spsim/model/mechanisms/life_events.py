"""Step 1, life events: illness episodes and non-medical needs arise and resolve."""

from __future__ import annotations

import numpy as np

from ..population import weekly_prob
from ..tables import NEED_TO_KIND, NEEDS
from .base import Mechanism, below


class LifeEvents(Mechanism):
    """Episodes (temporary rises in consultation demand) and needs (debt, housing, ...).

    One uniform per resident per transition: it starts the state when absent and ends it when
    present. Needs resolve faster while a link worker supports the resident and while the
    resident attends a group of the kind that meets that need.
    """

    name = "life_events"
    stream = "life_events"
    rows = 1 + len(NEEDS)

    def init(self, model) -> None:
        c = model.cfg
        self.need_onset = weekly_prob(c.needs.onset_per_year * model.residents.need_onset_mult).astype(np.float32)
        self.bit_values = (1 << np.arange(len(NEEDS), dtype=np.uint8)[:, None]).astype(np.uint8)

    def step(self, model, u: np.ndarray) -> None:
        r, c = model.residents, model.cfg
        h = c.health
        # Each transition is "present ? u >= p_end : u < p_start", computed with bool operations
        # only (np.where over broadcast float arrays costs several times more at 10^6 residents):
        # with a = (u < p_end), b = (u < p_start): new = b ^ (present & ~(a ^ b)).
        ep = r.in_episode
        a = np.less(u[0], 1.0 / h.episode_mean_weeks)  # a Python float: compared in float32
        # weekly_prob gives a float64: numpy compares in float64, `below` keeps float32, same outcome
        b = np.less(u[0], below(weekly_prob(h.episode_per_year)))
        r.in_episode = _switch(ep, a, b)

        # needs: one (K, n) pass; row k of u decides need k (onset if absent, resolution if present)
        lw = c.link_workers
        boost = 1.0 + lw.effect_on_residents * (lw.need_resolution_multiplier - 1.0)
        p_res = np.where(r.lw_status == 2, np.float32(boost / c.needs.mean_duration_weeks),
                         np.float32(1.0 / c.needs.mean_duration_weeks))
        ends = np.less(u[1:], p_res)  # (K, n); u < 1, so a probability above 1 always resolves
        att = np.flatnonzero(r.attended & (r.group >= 0))
        if att.size and model.groups.n:
            # attending a group of the kind that meets need k doubles its resolution
            meets = model.groups.kind[r.group[att]][None, :] == NEED_TO_KIND[:, None]
            p_att = np.minimum(p_res[att] * np.where(meets, np.float32(2.0), np.float32(1.0)), 1.0)
            ends[:, att] = u[1:, att] < p_att
        # the same switch on bitmasks: pack both (K, n) outcomes into one byte per resident
        a = (ends.view(np.uint8) * self.bit_values).sum(axis=0, dtype=np.uint8)
        b = (np.less(u[1:], self.need_onset).view(np.uint8) * self.bit_values).sum(axis=0, dtype=np.uint8)
        a ^= b
        np.invert(a, out=a)
        a &= r.needs
        a ^= b
        r.needs = a


def _switch(present: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.where(present, ~a, b)`` for bool arrays, in place in ``a``."""
    a ^= b
    np.logical_not(a, out=a)
    a &= present
    a ^= b
    return a
