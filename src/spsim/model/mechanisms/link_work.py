"""Step 6, link work: waiting list, caseload, contacts, matching, accompaniment, discharge.

Order within the week: people on the waiting list may give up (reneging); clients may drop
out; remaining clients get this week's contact; clients who have had all their contacts are
discharged (feedback goes to their practice); free caseload places are filled from the
waiting list by the waiting policy, and a share of those taken on never engage; clients at the
matching contact are matched to a group with a free place; low-confidence clients are
accompanied, which costs one extra contact.
"""

from __future__ import annotations

import numpy as np

from ..population import team_specs
from ..tables import popcount8
from .base import Mechanism
from .groups import allocate_places, preferred_kind
from .referral import ACTIVE, WAITING


def leave_link_work(model, mask: np.ndarray) -> None:
    r = model.residents
    if mask.dtype == bool:
        mask = np.flatnonzero(mask)  # seven column writes through a short index list, not a full mask
    r.lw_status[mask] = 0
    r.lw_worker[mask] = -1
    r.lw_contacts[mask] = 0
    r.lw_accompanied[mask] = False
    r.lw_team[mask] = -1
    r.lw_since[mask] = model.week
    r.lw_eligible_from[mask] = model.week + model.cfg.referral.cooldown_weeks


class LinkWork(Mechanism):
    name = "link_work"
    stream = "link_work"
    rows = 2

    def init(self, model) -> None:
        self.contacts = np.array([spec[2] for spec in team_specs(model.cfg)], dtype=np.int16)

    def step(self, model, u: np.ndarray) -> None:
        r, c, week = model.residents, model.cfg, model.week
        lw, t = c.link_workers, model.tally
        workers = model.link_workers
        status = r.lw_status

        reneged = (status == WAITING) & (u[0] < c.referral.reneging_per_week)
        dropped = (status == ACTIVE) & (u[0] < lw.dropout_per_week)
        leave_link_work(model, reneged | dropped)

        act = np.flatnonzero(r.lw_status == ACTIVE)
        r.lw_contacts[act] += 1
        required = self.contacts[np.maximum(r.lw_team[act], 0)] + r.lw_accompanied[act]
        done = np.zeros(r.n, dtype=bool)
        done[act[r.lw_contacts[act] >= required]] = True
        if done.any():
            k = np.bincount(r.practice[done], minlength=model.practices.n)
            pr = model.practices
            gain = 1.0 - (1.0 - c.practices.feedback_gain) ** k
            pr.referral = pr.referral + gain * np.maximum(c.practices.referral_max - pr.referral, 0.0)
            pr.feedback = pr.feedback + k
            workers.supported = workers.supported + np.bincount(r.lw_worker[done], minlength=workers.n)
            r.times_supported[done] += 1
        leave_link_work(model, done)
        model.discharged = done

        # intake from the waiting list into free caseload places, team by team
        workers.clients = np.bincount(r.lw_worker[r.lw_status == ACTIVE], minlength=workers.n)
        free = np.maximum(workers.caseload_cap - workers.clients, 0)
        waiting = np.flatnonzero(r.lw_status == WAITING)
        takes, engaged = [], []
        for team in np.unique(workers.team):
            queue = waiting[r.lw_team[waiting] == team]
            mine = np.flatnonzero(workers.team == team)
            if lw.waiting_policy == "need":
                # popcount8 gives uint8: widen before negating, or -1 wraps to 255 and the
                # residents with no needs would be served first
                most_needs_first = -popcount8(r.needs[queue]).astype(np.int64)
                order = np.lexsort((r.queue_key[queue], r.lw_since[queue], most_needs_first))
            else:
                order = np.lexsort((r.queue_key[queue], r.lw_since[queue]))
            take = queue[order[: int(free[mine].sum())]]
            eng = take[u[1][take] < lw.engagement]
            slots = np.repeat(mine, free[mine])[: eng.size]
            r.lw_worker[eng] = slots
            takes.append(take)
            engaged.append(eng)
        take = np.concatenate(takes) if takes else np.zeros(0, np.int64)
        eng = np.concatenate(engaged) if engaged else np.zeros(0, np.int64)
        waits = week - r.lw_since[take]
        model.taken_on, model.taken_on_waits = take, waits  # for outcomes by group (model/breakdown.py)
        not_engaged = np.zeros(r.n, dtype=bool)
        not_engaged[np.setdiff1d(take, eng, assume_unique=True)] = True
        leave_link_work(model, not_engaged)
        r.lw_status[eng] = ACTIVE
        r.lw_contacts[eng] = 1
        r.lw_since[eng] = week
        workers.clients = np.bincount(r.lw_worker[r.lw_status == ACTIVE], minlength=workers.n)
        model.intake_this_week = np.zeros(r.n, dtype=bool)
        model.intake_this_week[eng] = True

        # contacts: confidence grows; matching to a group at the matching contact
        active = r.lw_status == ACTIVE
        effect = lw.effect_on_residents
        r.confidence[active] = np.minimum(r.confidence[active] + effect * lw.confidence_gain_per_contact, 1.0)
        # with a partial effect only a fixed share of clients (by their fixed key) is matched
        act = np.flatnonzero(active)
        to_match = act[
            (r.lw_contacts[act] == lw.match_at_contact) & (r.group[act] < 0) & (r.queue_key[act] < effect)
        ]
        matched = allocate_places(model, to_match, preferred_kind(r, to_match))
        low = matched[r.confidence[matched] < lw.accompany_below_confidence]
        r.lw_accompanied[low] = True
        r.group_accompanied[low] = True

        t["lw_reneged"] += int(reneged.sum())
        t["lw_dropouts"] += int(dropped.sum())
        t["clients_supported"] += int(done.sum())
        t["lw_taken_on"] += int(take.size)
        t["lw_intake"] += int(eng.size)
        t["lw_not_engaged"] += int(take.size - eng.size)
        t["lw_wait_weeks_sum"] += int(waits.sum())
        t["lw_matched"] += int(matched.size)
        t["lw_accompanied"] += int(low.size)
        if take.size:
            model.recent_wait_weeks = 0.9 * model.recent_wait_weeks + 0.1 * float(waits.mean())
