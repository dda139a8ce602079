"""Step 6, the link-work workforce: funded posts are not workers in post.

Each funded post (``LinkWorkerTable`` row) is held by a worker or vacant. A worker in post
leaves at ``workforce.turnover_per_year`` (x ``supervision_turnover_multiplier`` if the post has
regular supervision, x ``retention_multiplier``; assumption, below the 29% of link workers who
intended to leave within a year in NALW 2020); the post then stays vacant for a geometric time
with mean ``recruitment_weeks`` (assumption). A leaver's clients are handed over to colleagues in
the same team with free places, in their queue order; the rest go back to the waiting list.
Each week a worker in post is away (annual leave, sickness) with chance
``leave_weeks_per_year / 52``; an absent worker makes no contacts and takes no one on.

Random numbers: a fixed block of ``max(1024, posts)`` uniforms per decision every week from the
``workforce`` stream (post ``k`` uses column ``k``), whatever the levers.
"""

from __future__ import annotations

import numpy as np

from ..population import weekly_prob
from .base import Mechanism, flatnonzero
from .referral import ACTIVE, WAITING

BLOCK = 1024


class Workforce(Mechanism):
    name = "workforce"
    stream = "workforce"
    rows = 0  # draws its own fixed block (posts, not residents)

    def init(self, model) -> None:
        w, c = model.link_workers, model.cfg
        k = np.arange(w.n)
        # supervised posts spread evenly over the posts (a low-discrepancy key, not luck)
        w.supervised = ((k * 0.6180339887498949) % 1.0) < c.workforce.supervised_share
        lw = c.link_workers
        salary = np.array([lw.salary_gbp] + [lw.salary_gbp if t.salary_gbp is None else t.salary_gbp
                                              for t in c.teams])
        self.pay = w.fte * salary[w.team] if w.n else np.zeros(0)
        model.lw_pay_in_post = float(self.pay.sum())

    def step(self, model, u) -> None:
        w, c, t = model.link_workers, model.cfg, model.tally
        wf = c.workforce
        v = model.streams["workforce"].random((3, max(BLOCK, w.n)), dtype=np.float32)
        if self.pay.size != w.n:  # the posts were rebuilt (the classroom app opens the service after burn-in)
            self.init(model)
        if w.n == 0:
            model.lw_pay_in_post = 0.0
            return
        v = v[:, : w.n]
        rate = wf.turnover_per_year * wf.retention_multiplier * np.where(
            w.supervised, wf.supervision_turnover_multiplier, 1.0)
        leaving = w.in_post & (v[0] < weekly_prob(rate))
        filled = ~w.in_post & (v[1] < 1.0 / wf.recruitment_weeks)
        w.in_post = (w.in_post & ~leaving) | filled
        w.vacant_since = np.where(leaving, model.week, np.where(filled, -1, w.vacant_since))
        w.on_leave = w.in_post & (v[2] < wf.leave_weeks_per_year / 52.0)
        if leaving.any():
            self._handover(model, flatnonzero(leaving))
        t["lw_leavers"] += int(leaving.sum())
        t["lw_recruited"] += int(filled.sum())
        model.lw_pay_in_post = float(self.pay[w.in_post].sum())

    def _handover(self, model, leavers: np.ndarray) -> None:
        """Clients of leavers go to colleagues in the same team with free places; the rest wait."""
        w, r, t = model.link_workers, model.residents, model.tally
        gone = np.zeros(w.n, bool)
        gone[leavers] = True
        active = flatnonzero(r.lw_status == ACTIVE)
        orphans = active[gone[r.lw_worker[active]]]
        w.clients = np.bincount(r.lw_worker[active], minlength=w.n) * ~gone
        orphans = orphans[np.lexsort((r.queue_key[orphans], r.lw_since[orphans]))]
        free = np.where(w.in_post, np.maximum(w.caseload_cap - w.clients, 0), 0)
        moved = np.zeros(0, np.int64)
        for team in np.unique(w.team[leavers]):
            mine = orphans[r.lw_team[orphans] == team]
            staff = flatnonzero(w.team == team)
            slots = np.repeat(staff, free[staff])[: mine.size]
            r.lw_worker[mine[: slots.size]] = slots
            moved = np.concatenate([moved, mine[: slots.size]])
        back = np.setdiff1d(orphans, moved)
        r.lw_status[back] = WAITING
        r.lw_worker[back] = -1
        r.lw_contacts[back] = 0
        r.lw_planned[back] = 0
        r.lw_since[back] = model.week
        w.clients = np.bincount(r.lw_worker[r.lw_status == ACTIVE], minlength=w.n)
        t["lw_handed_over"] += int(moved.size)
        t["lw_returned_to_list"] += int(back.size)
