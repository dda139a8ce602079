"""Step 7, link work: waiting list, caseload, contacts, matching, accompaniment, discharge.

Order within the week: people on the waiting list may give up (reneging); clients may drop
out (more often before the effective dose: Mercer et al. 2019 found only 45% of referred
patients saw the link worker 3 or more times); clients of workers in post and not on leave get
this week's contact; clients who have had their planned contacts, or whose goals are met (no
need left and not lonely, after at least ``contacts_min`` contacts), are discharged (feedback
goes to their practice); free caseload places of workers in post are filled from the waiting
list by the waiting policy, and a share of those taken on never engage. Each new client's plan
follows their needs (``contacts_min`` + ``contacts_per_need`` per further need, up to
``contacts_per_client``; Polley, seeds/004: some need a couple of sessions, some many) and is
shortened under caseload pressure (divided by 1 + ``pressure_shortening`` x the waiting list
over the caseload places, that ratio capped at 1), never below two contacts. From the ``effective_dose``-th
contact the client gains confidence and, at ``match_at_contact``, is matched to a group with a
free place (if none is free, they join a group's waiting list: groups.py); low-confidence clients
are accompanied, which costs one extra contact.
``model.lw_effective`` marks clients past the effective dose.
"""

from __future__ import annotations

import numpy as np

from ..population import team_specs
from ..tables import popcount8
from .base import Mechanism, flatnonzero
from .group_places import allocate_places, preferred_kind, queue_for_places
from .referral import ACTIVE, WAITING, serving_team


def leave_link_work(model, mask: np.ndarray) -> None:
    r = model.residents
    if mask.dtype == bool:
        mask = flatnonzero(mask)  # column writes through a short index list, not a full mask
    r.lw_status[mask] = 0
    r.lw_worker[mask] = -1
    r.lw_contacts[mask] = 0
    r.lw_planned[mask] = 0
    r.lw_accompanied[mask] = False
    r.lw_team[mask] = -1
    r.lw_since[mask] = model.week
    r.lw_eligible_from[mask] = model.week + model.cfg.referral.cooldown_weeks


class LinkWork(Mechanism):
    name = "link_work"
    stream = "link_work"
    rows = 0  # keyed luck: 0 = reneging (waiting) or drop-out (clients), 1 = engagement when taken on

    def init(self, model) -> None:
        self.contacts = np.array([spec[2] for spec in team_specs(model.cfg)], dtype=np.int16)
        self.take_rate = 0.0  # residents taken off the waiting list per week (smoothed)
        model.lw_effective = np.zeros(model.residents.n, bool)

    def step(self, model, u) -> None:
        r, c, week = model.residents, model.cfg, model.week
        lw, t = c.link_workers, model.tally
        workers = model.link_workers
        status = r.lw_status
        # everyone on the waiting list or a caseload (a few hundred residents): nobody joins
        # link work in this step, so each later "who is waiting / active" is a subset of these
        # (the same sorted lists as flatnonzero over every resident, without passes over the town)
        in_lw = flatnonzero(status != 0)

        def with_status(s: int) -> np.ndarray:
            return in_lw[r.lw_status[in_lw] == s]

        waiting = with_status(WAITING)
        reneged = waiting[u.at(0, waiting) < c.referral.reneging_per_week]
        # drop-out: the same element-wise rule on the clients' index list
        act = with_status(ACTIVE)
        early = r.lw_contacts[act] < lw.effective_dose
        p_drop = np.where(early, lw.dropout_per_week + lw.early_dropout_per_week, lw.dropout_per_week)
        gone = u.at(0, act) < p_drop
        dropped = act[gone]
        leave_link_work(model, np.concatenate([reneged, dropped]))

        # this week's contact, for clients of workers at work
        act = act[~gone]
        on_caseload = act
        away = ~workers.in_post | workers.on_leave if workers.n else np.zeros(0, bool)
        act = act[~away[r.lw_worker[act]]] if workers.n else act
        r.lw_contacts[act] += 1
        reached = act[r.lw_contacts[act] == lw.effective_dose]
        required = r.lw_planned[act] + r.lw_accompanied[act]
        goals_met = ((r.lw_contacts[act] >= min(lw.contacts_min, lw.effective_dose))
                     & (r.needs[act] == 0) & ~r.lonely[act])
        done_idx = act[(r.lw_contacts[act] >= required) | goals_met]  # (index lists: a few clients)
        done = np.zeros(r.n, dtype=bool)
        done[done_idx] = True
        if done_idx.size:
            pr = model.practices
            pr.feedback = pr.feedback + np.bincount(r.practice[done_idx], minlength=pr.n)
            workers.supported = workers.supported + np.bincount(r.lw_worker[done_idx], minlength=workers.n)
            r.times_supported[done_idx] += 1
        t["lw_goals_met"] += int(np.count_nonzero(goals_met & (r.lw_contacts[act] < required)))
        leave_link_work(model, done_idx)
        model.discharged = done

        # intake from the waiting list into free caseload places of workers at work, team by team
        workers.clients = np.bincount(r.lw_worker[with_status(ACTIVE)], minlength=workers.n)
        free = np.where(away, 0, np.maximum(workers.caseload_cap - workers.clients, 0)) if workers.n else free_none()
        waiting = with_status(WAITING)
        cap_total = max(int((workers.caseload_cap * workers.in_post).sum()), 1) if workers.n else 1
        pressure = 1.0 + lw.pressure_shortening * min(waiting.size / cap_total, 1.0)
        takes, engaged, refused = [], [], []
        for team in sorted(set(workers.team.tolist())):  # np.unique(workers.team), at a fifth of the cost
            queue = waiting[r.lw_team[waiting] == team]
            mine = flatnonzero(workers.team == team)
            if lw.waiting_policy == "need":
                # popcount8 gives uint8: widen before negating, or -1 wraps to 255 and the
                # residents with no needs would be served first
                most_needs_first = -popcount8(r.needs[queue]).astype(np.int64)
                order = np.lexsort((r.queue_key[queue], r.lw_since[queue], most_needs_first))
            else:
                order = np.lexsort((r.queue_key[queue], r.lw_since[queue]))
            take = queue[order[: int(free[mine].sum())]]
            engages = u.at(1, take) < lw.engagement
            eng = take[engages]
            slots = np.repeat(mine, free[mine])[: eng.size]
            r.lw_worker[eng] = slots
            takes.append(take)
            engaged.append(eng)
            refused.append(take[~engages])
        take = np.concatenate(takes) if takes else np.zeros(0, np.int64)
        eng = np.concatenate(engaged) if engaged else np.zeros(0, np.int64)
        waits = week - r.lw_since[take]
        model.taken_on, model.taken_on_waits = take, waits  # for outcomes by group (model/breakdown.py)
        if refused:
            leave_link_work(model, np.concatenate(refused))  # taken on, never engaged
        r.lw_status[eng] = ACTIVE
        r.lw_contacts[eng] = 1
        r.lw_since[eng] = week
        r.lw_planned[eng] = self.plan(model, eng, pressure)
        workers.clients = np.bincount(r.lw_worker[with_status(ACTIVE)], minlength=workers.n)
        model.intake_this_week = np.zeros(r.n, dtype=bool)
        model.intake_this_week[eng] = True
        if lw.effective_dose == 1:
            reached = np.concatenate([reached, eng])

        # contacts past the effective dose: confidence grows; matching to a group at the matching contact
        effect = lw.effect_on_residents
        contacted = np.concatenate([act[r.lw_status[act] == ACTIVE], eng])
        dosed = contacted[r.lw_contacts[contacted] >= lw.effective_dose]
        r.confidence[dosed] = np.minimum(r.confidence[dosed] + effect * lw.confidence_gain_per_contact, 1.0)
        # with a partial effect only a fixed share of clients (by their fixed key) is matched
        to_match = contacted[
            (r.lw_contacts[contacted] == lw.match_at_contact) & (r.group[contacted] < 0)
            & (r.queue_key[contacted] < effect)
        ]
        matched = allocate_places(model, to_match, preferred_kind(r, to_match))
        r.group_referred[matched] = True
        # no free place: they wait for one on a group's list (groups step) rather than go without
        unplaced = to_match
        if matched.size:  # to_match[~np.isin(to_match, matched)], through a mask of the residents
            got = np.zeros(r.n, bool)
            got[matched] = True
            unplaced = to_match[~got[to_match]]
        queue_for_places(model, unplaced, preferred_kind(r, unplaced))
        low = matched[r.confidence[matched] < lw.accompany_below_confidence]
        r.lw_accompanied[low] = True
        r.group_accompanied[low] = True
        effective = np.zeros(r.n, bool)
        still_on = np.concatenate([on_caseload[r.lw_status[on_caseload] == ACTIVE], eng])
        effective[still_on[r.lw_contacts[still_on] >= lw.effective_dose]] = True
        model.lw_effective = effective

        t["lw_reneged"] += int(reneged.size)
        t["lw_dropouts"] += int(dropped.size)
        t["clients_supported"] += int(done_idx.size)
        t["lw_taken_on"] += int(take.size)
        t["lw_intake"] += int(eng.size)
        t["lw_not_engaged"] += int(take.size - eng.size)
        t["lw_wait_weeks_sum"] += int(waits.sum())
        t["lw_matched"] += int(matched.size)
        t["lw_accompanied"] += int(low.size)
        t["lw_reached_dose"] += int(reached.size)
        # the wait the service quotes to referrers: the waiting list over the weekly take-on (smoothed)
        self.take_rate = 0.9 * self.take_rate + 0.1 * take.size
        still = int(with_status(WAITING).size)
        quoted = min(still / self.take_rate, 104.0) if self.take_rate > 1e-9 else (104.0 if still else 0.0)
        model.recent_wait_weeks = 0.9 * model.recent_wait_weeks + 0.1 * quoted

    def plan(self, model, who: np.ndarray, pressure: float) -> np.ndarray:
        """Contacts planned for new clients ``who``: by their needs, shortened under pressure."""
        r, lw = model.residents, model.cfg.link_workers
        units = popcount8(r.needs[who]).astype(np.int64) + r.lonely[who]
        base = lw.contacts_min + lw.contacts_per_need * np.maximum(units - 1, 0)
        cap = self.contacts[np.maximum(r.lw_team[who], 0)]
        return np.clip(np.round(base / pressure), np.minimum(2, cap), cap).astype(np.int16)


def free_none() -> np.ndarray:
    return np.zeros(0, np.int64)


class StandIn:
    """A service running at capacity, for the group sector's warm start
    (``SocialPrescribingModel._warm_start_groups``), while the service itself is held still.

    The warm start assumes the service had run at capacity for years before the burn-in
    (assumption): each in-post caseload place discharges ``groups.warm_start_discharges_per_place_week``
    clients a week, drawn from the residents the referral step could refer (a need or lonely, some
    team serves them: frozen during the warm start, so found once), and the volunteering step's
    spillover makes of them the volunteers a running service makes. Without it the warm start
    settled at the group volunteers of a town without a service (55 against 77 at 10,000
    residents) and the burn-in's two years left them rising for years after."""

    def __init__(self, model):
        r, w = model.residents, model.link_workers
        places = int((w.caseload_cap * w.in_post).sum()) if w.n else 0
        rate = places * model.cfg.groups.warm_start_discharges_per_place_week
        cand = flatnonzero((r.needs != 0) | r.lonely) if rate > 0 else np.zeros(0, np.int64)
        self.cand = cand[serving_team(model, cand) >= 0]
        self.p = rate / self.cand.size if self.cand.size else 0.0
        self.n = r.n

    def discharged(self, u) -> np.ndarray:
        """This week's stand-in discharges (a mask over residents); ``u`` is the warm start's keyed
        luck for this step, one number per candidate."""
        out = np.zeros(self.n, bool)
        if self.p > 0:
            out[self.cand[u.at(0, self.cand) < self.p]] = True
        return out
