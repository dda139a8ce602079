"""Step 8, volunteering: formal volunteering comes and goes; residents helped by a link worker
go on to volunteer for a group (spillover), adding places."""

from __future__ import annotations

import numpy as np

from ..population import weekly_prob
from .base import Mechanism


class Volunteering(Mechanism):
    name = "volunteering"
    stream = "volunteering"
    rows = 2

    def step(self, model, u: np.ndarray) -> None:
        r, g, c = model.residents, model.groups, model.cfg
        v = c.volunteering
        share = min(v.monthly_share, 0.999)
        p_stop = weekly_prob(v.stop_per_year)
        p_start = weekly_prob(v.stop_per_year * share / (1.0 - share))
        in_group = r.volunteer_group >= 0
        r.volunteer = in_group | np.where(r.volunteer, u[0] >= p_stop, u[0] < p_start)

        spill = np.flatnonzero(model.discharged & (u[1] < v.spillover * c.link_workers.effect_on_residents))
        if spill.size and g.n and g.open.any():
            own = r.group[spill]
            own_open = (own >= 0) & g.open[np.maximum(own, 0)]
            target = np.where(own_open, own, -1)
            # the rest go to open groups with the fewest volunteers, round-robin
            rest = np.flatnonzero(target < 0)
            if rest.size:
                open_ids = np.flatnonzero(g.open)
                by_need = open_ids[np.lexsort((open_ids, g.volunteers[open_ids]))]
                target[rest] = by_need[np.arange(rest.size) % by_need.size]
            r.volunteer_group[spill] = target
            r.volunteer[spill] = True
            g.volunteers = np.bincount(r.volunteer_group[r.volunteer_group >= 0], minlength=g.n)
        model.tally["new_volunteers_spillover"] += int(spill.size)
