"""Step 9, volunteering: formal volunteering comes and goes; residents helped by a link worker
go on to volunteer for a group (spillover), adding places where they can be used: a spillover
volunteer whose own group cannot use more volunteers (already at ``groups.max_places``) goes, like
those without a group, to an open community group that can, of a kind where demand went unmet
first, then with the fewest volunteers (assumption; before, extra volunteers often went to groups
already at their cap, so spillover added places nobody could use)."""

from __future__ import annotations

import numpy as np

from ..population import weekly_prob
from .base import Mechanism, below


class Volunteering(Mechanism):
    name = "volunteering"
    stream = "volunteering"
    # full row: volunteering starts and stops; keyed: 0 = spillover (discharged), 1 = connectors stop
    rows = 1

    def step(self, model, u) -> None:
        r, g, c = model.residents, model.groups, model.cfg
        v = c.volunteering
        share = min(v.monthly_share, 0.999)
        p_stop = weekly_prob(v.stop_per_year)
        surge = c.shock.volunteer_surge if model.lockdown else 1.0
        p_start = weekly_prob(v.stop_per_year * share / (1.0 - share) * surge)
        in_group = r.volunteer_group >= 0
        # where(volunteer, u >= p_stop, u < p_start) with bool operations and float32 thresholds
        # (`below`: the same outcomes as the float64 compares)
        a = np.less(u[0], below(p_stop))
        b = np.less(u[0], below(p_start))
        a ^= b
        np.logical_not(a, out=a)
        a &= r.volunteer
        a ^= b
        a |= in_group
        r.volunteer = a

        # connectors stop now and then
        conn = np.flatnonzero(r.connector)
        r.connector[conn[u.at(1, conn) < below(weekly_prob(c.connectors.stop_per_year))]] = False

        p_spill = v.spillover * c.link_workers.effect_on_residents
        spill = np.flatnonzero(model.discharged)
        spill = spill[u.at(0, spill) < p_spill]
        community = g.open & (g.fixed_weeks == 0) if g.n else np.zeros(0, bool)
        if spill.size and community.any():
            gp = c.groups
            can_grow = community & (gp.places_per_volunteer * g.volunteers < gp.max_places)
            own = r.group[spill]
            own_open = (own >= 0) & can_grow[np.maximum(own, 0)]
            target = np.where(own_open, own, -1)
            # the rest go to open groups that can use them: unmet kinds first, then fewest volunteers
            rest = np.flatnonzero(target < 0)
            if rest.size:
                pool = can_grow if can_grow.any() else community
                open_ids = np.flatnonzero(pool)
                unmet = -model.unmet_by_kind[g.kind[open_ids]]
                by_need = open_ids[np.lexsort((open_ids, g.volunteers[open_ids], unmet))]
                target[rest] = by_need[np.arange(rest.size) % by_need.size]
            r.volunteer_group[spill] = target
            r.volunteer[spill] = True
            g.volunteers = np.bincount(r.volunteer_group[r.volunteer_group >= 0], minlength=g.n)
            # some also become community connectors
            new_conn = spill[u.at(0, spill) < p_spill * c.connectors.from_spillover_share]
            r.connector[new_conn] = True
            model.tally["new_connectors"] += int(new_conn.size)
            model.tally["new_volunteers_spillover"] += int(spill.size)
