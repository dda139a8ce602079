"""Step 5, referral routes into link work.

A resident can be referred when they have a need (or are lonely), are not already waiting or on
a caseload, are past the cool-down after their last spell, and some link-work team serves them
(extra teams by age band and number of needs first, then the main team). Routes:

- GP: at a consultation that was mainly social, the practice recognises the need
  (``practices.recognition``) and refers with its current willingness (``practices.referral`` at
  the start; x ``app.gp_referral_multiplier`` with a referral app). At any consultation of a
  lonely resident (most are medical: loneliness acts through health), the GP recognises the
  loneliness (``practices.loneliness_recognition``) and refers it with the same willingness;
  GPs do see loneliness (76% of 1,007 UK GPs saw 1-5 patients a day who came mainly because they
  were lonely: ComRes for the Campaign to End Loneliness, 2013). Willingness follows a target
  over ``demand.gp_memory_weeks``: discharges fed back (a visible, responsive service) raise the
  target towards ``practices.referral_max``, the wait the service quotes (waiting list / weekly
  intake) divides it. The target is a function of the service's state, so willingness settles
  where the demand it makes matches what the service can do (assumption; the earlier rule only
  ever raised willingness, so demand ratcheted up and the waiting list grew for years);
- self-referral (x ``app.self_referral_multiplier`` with an app);
- community connectors: each tie who is a connector signposts a resident in need at
  ``connectors.signpost_per_year``; a share goes to a link worker, the rest straight to a group;
- proactive outreach ('Flow'): lonely residents at the periphery are found at
  ``outreach.per_year``; during a lockdown shielding residents in need are called at
  ``shock.shielding_outreach_per_year``;
- in-reach and talks to groups: link workers with free caseload places beyond their waiting list
  find ``demand.inreach_per_spare_place`` clients per free place per week, on practice lists
  (long-term condition, 65+ or living alone) and among group members in need (test beds,
  seeds/000: link workers reaching out to the community);
- the voluntary sector's own referrals (advice services: debt, housing, employment needs) and
  adult social care (65+ with a long-term condition), at yearly rates divided by the same
  quoted-wait factor as GPs'.

A share ``referral.refusal`` of referrals is refused. Every route is counted
(``referrals_<route>``; they sum to ``referrals``).
"""

from __future__ import annotations

import numpy as np

from ..population import weekly_prob
from ..tables import popcount8
from .base import Mechanism, below, flatnonzero, without
from .group_places import allocate_places, preferred_kind

WAITING, ACTIVE = 1, 2
#: referral routes, in the order they are tried (a resident is counted under the first that refers)
ROUTES = ("gp", "self", "connector", "outreach", "inreach", "groups", "vcs", "social_care")
PRACTICAL_NEEDS = np.uint8(0b111)  # debt, housing, employment


def spare_places(model) -> int:
    """Free caseload places of workers in post beyond the waiting list (0 when there is a queue)."""
    w = model.link_workers
    if w.n == 0:
        return 0
    free = int(np.maximum(w.caseload_cap * w.in_post - w.clients, 0).sum())
    return max(free - int(np.count_nonzero(model.residents.lw_status == WAITING)), 0)


def update_willingness(model, state: dict) -> None:
    """Practices' willingness to refer follows a target set by what they see of the service."""
    c, pr = model.cfg, model.practices
    pc, mem = c.practices, c.demand.gp_memory_weeks
    k = np.bincount(model.residents.practice[flatnonzero(model.discharged)], minlength=pr.n)
    fed = state["fed_back"]
    fed += (52.0 * k - fed) / mem  # discharges fed back per year, smoothed
    target = pc.referral_max - (pc.referral_max - pc.referral) * (1.0 - pc.feedback_gain) ** fed
    target = target / (1.0 + pc.waiting_discouragement * model.recent_wait_weeks / 10.0)
    pr.referral = pr.referral + (target - pr.referral) / mem


def serving_team(model, who: np.ndarray) -> np.ndarray:
    """Team (0 main, 1.. extra) that would take each resident in ``who``, -1 if none."""
    r, c = model.residents, model.cfg
    team = np.full(who.size, -1, np.int8)
    if c.teams:
        units = popcount8(r.needs[who]) + r.lonely[who]
        age = r.age_band[who]
    for k, t in reversed(list(enumerate(c.teams, start=1))):  # the first listed team wins
        if t.fte > 0:
            ok = np.isin(age, t.age_bands) & (units >= t.min_needs)
            team[ok] = k
    if c.link_workers.fte > 0:
        team[team < 0] = 0
    return team


class Referral(Mechanism):
    name = "referral"
    stream = "referral"
    # keyed luck only (each decision concerns the residents open to it): 0 = GP referral,
    # 1 = self-referral, 2 = refusal, 3 = a connector's signpost, 4 = outreach and shielding calls;
    # on the referral_routes stream: 0 = in-reach, 1 = talks to groups, 2 = VCS, 3 = social care
    rows = 0

    def init(self, model) -> None:
        self.state = {"fed_back": np.zeros(model.practices.n)}

    def step(self, model, u) -> None:
        r, c, week = model.residents, model.cfg, model.week
        rp, t = c.referral, model.tally
        # own stream: in-reach, talks to groups, VCS, social care
        v = model.streams.draws("referral_routes", 0, r.n, week)
        update_willingness(model, self.state)
        in_need = (r.needs != 0) | r.lonely
        eligible = (r.lw_status == 0) & (r.lw_eligible_from <= week) & in_need
        team = np.full(r.n, -1, np.int8)
        cand = flatnonzero(eligible)
        team[cand] = serving_team(model, cand)
        eligible &= team >= 0

        app = c.app.enabled
        pr = model.practices
        discourage = 1.0 + c.practices.waiting_discouragement * model.recent_wait_weeks / 10.0
        gp_mult = c.app.gp_referral_multiplier if app else 1.0
        p_gp = np.minimum(pr.recognition * pr.referral * gp_mult, 1.0)
        by_gp = np.zeros(r.n, bool)
        at_gp = flatnonzero(eligible & model.seen_social)  # the same rule on the rows it can pick
        by_gp[at_gp[u.at(0, at_gp) < p_gp[r.practice[at_gp]]]] = True
        # loneliness raised at any consultation (most of theirs are medical: loneliness acts
        # through health). The same keyed luck: for a resident the social route did not refer, it is
        # uniform above the social threshold, so the combined threshold below refers them with
        # probability p_lonely on top of it (for the rest, threshold = p_lonely).
        seen_lonely = flatnonzero(eligible & model.seen_gp & r.lonely & ~by_gp)
        if seen_lonely.size:
            p_lonely = np.minimum(c.practices.loneliness_recognition * pr.referral * gp_mult, 1.0)
            pl = p_lonely[r.practice[seen_lonely]]
            ps = np.where(model.seen_social[seen_lonely], p_gp[r.practice[seen_lonely]], 0.0)
            by_gp[seen_lonely[u.at(0, seen_lonely) < ps + pl * (1.0 - ps)]] = True
        self_rate = rp.self_referral_per_year * (c.app.self_referral_multiplier if app else 1.0)
        by_self = np.zeros(r.n, bool)
        open_self = flatnonzero(eligible & ~by_gp)
        by_self[open_self[u.at(1, open_self) < below(weekly_prob(self_rate))]] = True

        # community connectors signpost their own ties
        by_connector = np.zeros(r.n, bool)
        if r.connector.any():
            k = model.network.count_flagged_neighbours(r.connector, cache="connector")
            p_sign = weekly_prob(c.connectors.signpost_per_year * k)
            near = flatnonzero(in_need & (r.lw_status == 0) & ~r.connector & (k > 0))
            luck = u.at(3, near)
            reached = np.zeros(r.n, bool)
            reached[near[luck < p_sign[near]]] = True
            to_lw = np.zeros(r.n, bool)
            to_lw[near[luck < p_sign[near] * c.connectors.to_link_worker_share]] = True
            by_connector = to_lw & eligible & ~by_gp & ~by_self
            direct = flatnonzero(reached & ~to_lw & (r.group < 0))
            placed = allocate_places(model, direct, preferred_kind(r, direct), programmes=False)
            t["signposted_to_groups"] += int(placed.size)

        # proactive outreach finds lonely residents at the periphery; during a lockdown,
        # shielding residents in need get calls
        # (computed only for the residents it can pick: a zero rate never picks anyone)
        by_outreach = np.zeros(r.n, bool)
        outreach = c.outreach.per_year > 0
        shielding_calls = model.lockdown and c.shock.shielding_outreach_per_year > 0
        if outreach or shielding_calls:
            who = flatnonzero(eligible & ~by_gp & ~by_self & ~by_connector)
            rate = np.zeros(who.size)
            if outreach:
                periphery = r.lonely[who] & (model.network.degree_of(who) <= c.outreach.max_ties)
                rate = np.where(periphery, c.outreach.per_year, 0.0)
            if shielding_calls:
                shielding = (r.age_band[who] == 2) | r.ltc[who]
                rate = rate + np.where(shielding, c.shock.shielding_outreach_per_year, 0.0)
            by_outreach[who[u.at(4, who) < weekly_prob(rate)]] = True

        # link workers with spare capacity reach out; the voluntary sector and social care refer
        d = c.demand
        taken = by_gp | by_self | by_connector | by_outreach
        # (the same element-wise rules on the index list of residents still open to a route)
        open_idx = flatnonzero(eligible & ~taken)
        spare = spare_places(model)
        counts = {}
        found = []
        if spare and d.inreach_per_spare_place > 0 and open_idx.size:
            effort = d.inreach_per_spare_place * spare
            on_list = r.ltc[open_idx] | (r.age_band[open_idx] == 2) | r.lives_alone[open_idx]
            listed = open_idx[on_list]
            p = min(effort * (1.0 - d.inreach_groups_share) / max(listed.size, 1), 1.0)
            hit = listed[v.at(0, listed) < p]
            rest = without(open_idx, hit)
            members = rest[r.group[rest] >= 0]
            p = min(effort * d.inreach_groups_share / max(members.size, 1), 1.0)
            hit_g = members[v.at(1, members) < p]
            counts["inreach"], counts["groups"] = hit.size, hit_g.size
            found += [hit, hit_g]
            open_idx = without(rest, hit_g)
        p_vcs = below(weekly_prob(d.vcs_per_year) / discourage)
        # (keyed luck: drawn for the residents each route can refer, the same numbers as for all)
        practical = open_idx[(r.needs[open_idx] & PRACTICAL_NEEDS) != 0]
        vcs = practical[v.at(2, practical) < p_vcs]
        p_sc = below(weekly_prob(d.social_care_per_year) / discourage)
        not_vcs = without(open_idx, vcs)
        frail = not_vcs[(r.age_band[not_vcs] == 2) & r.ltc[not_vcs]]
        sc = frail[v.at(3, frail) < p_sc]
        counts["vcs"], counts["social_care"] = int(vcs.size), int(sc.size)
        found += [vcs, sc]

        referred = taken.copy()
        for idx in found:
            referred[idx] = True
        refused = np.zeros(r.n, bool)
        ref_idx = flatnonzero(referred)
        refused[ref_idx[u.at(2, ref_idx) < rp.refusal]] = True
        accepted = ref_idx[~refused[ref_idx]]  # (index lists: a few dozen of the residents)

        r.times_referred[ref_idx] += 1
        r.lw_eligible_from[refused] = week + rp.cooldown_weeks
        r.lw_status[accepted] = WAITING
        r.lw_since[accepted] = week
        r.lw_team[accepted] = team[accepted]
        model.referred_this_week = referred
        model.refused_this_week = refused  # for outcomes by group (model/breakdown.py)
        t["referrals"] += int(ref_idx.size)
        for route, mask in zip(ROUTES[:4], (by_gp, by_self, by_connector, by_outreach), strict=True):
            t["referrals_" + route] += int(np.count_nonzero(mask))
        for route in ROUTES[4:]:
            t["referrals_" + route] += int(counts.get(route, 0))
        t["referrals_refused"] += int(ref_idx.size - accepted.size)
        t["referrals_accepted"] += int(accepted.size)
