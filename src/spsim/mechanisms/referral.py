"""Step 5, referral routes: GP recognition and referral, self-referral, and refusal.

A resident can be referred when they have a need (or are lonely), are not already waiting or on
a caseload, and are past the cool-down after their last spell. At a consultation that was mainly
social, the practice recognises the need (``practices.recognition``) and refers
(``practices.referral``, which grows with feedback and falls when waits are long). Residents with
needs also refer themselves. A share of referrals is refused.
"""

from __future__ import annotations

import numpy as np

from ..population import weekly_prob
from .base import Mechanism

WAITING, ACTIVE = 1, 2


class Referral(Mechanism):
    name = "referral"
    stream = "referral"
    rows = 3

    def step(self, model, u: np.ndarray) -> None:
        r, c, week = model.residents, model.cfg, model.week
        rp = c.referral
        eligible = (r.lw_status == 0) & (r.lw_eligible_from <= week) & ((r.needs != 0) | r.lonely)
        if model.link_workers.n == 0:
            eligible[:] = False  # no service: nobody to refer to
        pr = model.practices
        discourage = 1.0 + c.practices.waiting_discouragement * model.recent_wait_weeks / 10.0
        p_gp = (pr.recognition * pr.referral / discourage)[r.practice]
        by_gp = eligible & model.seen_social & (u[0] < p_gp)
        by_self = eligible & ~by_gp & (u[1] < weekly_prob(rp.self_referral_per_year))
        referred = by_gp | by_self
        refused = referred & (u[2] < rp.refusal)
        accepted = referred & ~refused

        r.times_referred[referred] += 1
        r.lw_eligible_from[refused] = week + rp.cooldown_weeks
        r.lw_status[accepted] = WAITING
        r.lw_since[accepted] = week
        model.referred_this_week = referred
        t = model.tally
        t["referrals"] += int(referred.sum())
        t["referrals_gp"] += int(by_gp.sum())
        t["referrals_self"] += int(by_self.sum())
        t["referrals_refused"] += int(refused.sum())
