"""Step 5, referral routes into link work.

A resident can be referred when they have a need (or are lonely), are not already waiting or on
a caseload, are past the cool-down after their last spell, and some link-work team serves them
(extra teams by age band and number of needs first, then the main team). Routes:

- GP: at a consultation that was mainly social, the practice recognises the need
  (``practices.recognition``) and refers (``practices.referral``, which grows with feedback and
  falls when waits are long; x ``app.gp_referral_multiplier`` with a referral app);
- self-referral (x ``app.self_referral_multiplier`` with an app);
- community connectors: each tie who is a connector signposts a resident in need at
  ``connectors.signpost_per_year``; a share goes to a link worker, the rest straight to a group;
- proactive outreach ('Flow'): lonely residents at the periphery are found at
  ``outreach.per_year``; during a lockdown shielding residents in need are called at
  ``shock.shielding_outreach_per_year``.

A share ``referral.refusal`` of referrals is refused.
"""

from __future__ import annotations

import numpy as np

from ..population import weekly_prob
from ..tables import popcount8
from .base import Mechanism, below
from .groups import allocate_places, preferred_kind

WAITING, ACTIVE = 1, 2


def serving_team(model, who: np.ndarray) -> np.ndarray:
    """Team (0 main, 1.. extra) that would take each resident in ``who``, -1 if none."""
    r, c = model.residents, model.cfg
    team = np.full(who.size, -1, np.int8)
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
    rows = 5

    def step(self, model, u: np.ndarray) -> None:
        r, c, week = model.residents, model.cfg, model.week
        rp, t = c.referral, model.tally
        in_need = (r.needs != 0) | r.lonely
        eligible = (r.lw_status == 0) & (r.lw_eligible_from <= week) & in_need
        team = np.full(r.n, -1, np.int8)
        cand = np.flatnonzero(eligible)
        team[cand] = serving_team(model, cand)
        eligible &= team >= 0

        app = c.app.enabled
        pr = model.practices
        discourage = 1.0 + c.practices.waiting_discouragement * model.recent_wait_weeks / 10.0
        gp_mult = c.app.gp_referral_multiplier if app else 1.0
        p_gp = np.minimum(pr.recognition * pr.referral * gp_mult / discourage, 1.0)
        by_gp = np.zeros(r.n, bool)
        at_gp = np.flatnonzero(eligible & model.seen_social)  # the same rule on the rows it can pick
        by_gp[at_gp[u[0][at_gp] < p_gp[r.practice[at_gp]]]] = True
        self_rate = rp.self_referral_per_year * (c.app.self_referral_multiplier if app else 1.0)
        by_self = eligible & ~by_gp & (u[1] < below(weekly_prob(self_rate)))

        # community connectors signpost their own ties
        by_connector = np.zeros(r.n, bool)
        if r.connector.any():
            k = model.network.count_flagged_neighbours(r.connector, cache="connector")
            p_sign = weekly_prob(c.connectors.signpost_per_year * k)
            reached = in_need & (r.lw_status == 0) & ~r.connector & (u[3] < p_sign)
            to_lw = reached & (u[3] < p_sign * c.connectors.to_link_worker_share)
            by_connector = to_lw & eligible & ~by_gp & ~by_self
            direct = np.flatnonzero(reached & ~to_lw & (r.group < 0))
            placed = allocate_places(model, direct, preferred_kind(r, direct), programmes=False)
            t["signposted_to_groups"] += int(placed.size)

        # proactive outreach finds lonely residents at the periphery; during a lockdown,
        # shielding residents in need get calls
        # (computed only for the residents it can pick: a zero rate never picks anyone)
        by_outreach = np.zeros(r.n, bool)
        outreach = c.outreach.per_year > 0
        shielding_calls = model.lockdown and c.shock.shielding_outreach_per_year > 0
        if outreach or shielding_calls:
            who = np.flatnonzero(eligible & ~by_gp & ~by_self & ~by_connector)
            rate = np.zeros(who.size)
            if outreach:
                periphery = r.lonely[who] & (model.network.degree_of(who) <= c.outreach.max_ties)
                rate = np.where(periphery, c.outreach.per_year, 0.0)
            if shielding_calls:
                shielding = (r.age_band[who] == 2) | r.ltc[who]
                rate = rate + np.where(shielding, c.shock.shielding_outreach_per_year, 0.0)
            by_outreach[who[u[4][who] < weekly_prob(rate)]] = True

        referred = by_gp | by_self | by_connector | by_outreach
        refused = referred & (u[2] < rp.refusal)
        accepted = referred & ~refused

        r.times_referred[referred] += 1
        r.lw_eligible_from[refused] = week + rp.cooldown_weeks
        r.lw_status[accepted] = WAITING
        r.lw_since[accepted] = week
        r.lw_team[accepted] = team[accepted]
        model.referred_this_week = referred
        model.refused_this_week = refused  # for outcomes by group (model/breakdown.py)
        t["referrals"] += int(referred.sum())
        t["referrals_gp"] += int(by_gp.sum())
        t["referrals_self"] += int(by_self.sum())
        t["referrals_connector"] += int(by_connector.sum())
        t["referrals_outreach"] += int(by_outreach.sum())
        t["referrals_refused"] += int(refused.sum())
        t["referrals_accepted"] += int(accepted.sum())
