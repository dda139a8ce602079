"""Step 1, life events: illness episodes and non-medical needs arise and resolve."""

from __future__ import annotations

import numpy as np

from ..population import weekly_prob
from ..tables import NEED_TO_KIND, NEEDS
from .base import Mechanism


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
        self.shifts = np.arange(len(NEEDS), dtype=np.uint8)[:, None]

    def step(self, model, u: np.ndarray) -> None:
        r, c = model.residents, model.cfg
        h = c.health
        ep = r.in_episode
        r.in_episode = np.where(ep, u[0] >= 1.0 / h.episode_mean_weeks, u[0] < weekly_prob(h.episode_per_year))

        # needs: one (K, n) pass; row k of u decides need k (onset if absent, resolution if present)
        lw = c.link_workers
        boost = 1.0 + lw.effect_on_residents * (lw.need_resolution_multiplier - 1.0)
        p_res = np.where(r.lw_status == 2, np.float32(boost / c.needs.mean_duration_weeks),
                         np.float32(1.0 / c.needs.mean_duration_weeks))
        stays = u[1:] >= p_res  # (K, n): the need goes on; u < 1, so a probability above 1 always resolves
        att = np.flatnonzero(r.attended & (r.group >= 0))
        if att.size and model.groups.n:
            # attending a group of the kind that meets need k doubles its resolution
            meets = model.groups.kind[r.group[att]][None, :] == NEED_TO_KIND[:, None]
            p_att = np.minimum(p_res[att] * np.where(meets, np.float32(2.0), np.float32(1.0)), 1.0)
            stays[:, att] = u[1:, att] >= p_att
        has = ((r.needs[None, :] >> self.shifts) & 1).astype(bool)
        now = np.where(has, stays, u[1:] < self.need_onset)
        r.needs = np.packbits(now, axis=0, bitorder="little")[0]
