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

    def step(self, model, u: np.ndarray) -> None:
        r, c = model.residents, model.cfg
        h = c.health
        ep = r.in_episode
        r.in_episode = np.where(ep, u[0] >= 1.0 / h.episode_mean_weeks, u[0] < weekly_prob(h.episode_per_year))

        base = 1.0 / c.needs.mean_duration_weeks
        lw = c.link_workers
        boost = 1.0 + lw.effect_on_residents * (lw.need_resolution_multiplier - 1.0)
        res_mult = np.where(r.lw_status == 2, np.float32(boost), np.float32(1.0))
        attending = r.attended & (r.group >= 0)
        kind_attended = np.where(attending, model.groups.kind[np.maximum(r.group, 0)], -1) if model.groups.n else -1
        needs = r.needs.copy()
        for k in range(len(NEEDS)):
            bit = np.uint8(1 << k)
            has = (needs & bit) != 0
            p_res = np.minimum(base * res_mult * np.where(kind_attended == NEED_TO_KIND[k], 2.0, 1.0), 1.0)
            now = np.where(has, u[k + 1] >= p_res, u[k + 1] < self.need_onset)
            needs = np.where(now, needs | bit, needs & ~bit).astype(np.uint8)
        r.needs = needs
