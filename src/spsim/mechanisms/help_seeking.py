"""Step 4, help-seeking: GP consultations within practice capacity, and A&E attendances.

Weekly GP demand of a resident = persistent propensity x (episode multiplier while ill) for
medical reasons, plus ``needs.gp_uplift_per_year`` for each active need (loneliness counts as
one) for social reasons. Requests beyond a practice's weekly appointments are turned away in a
random order; a share of those end at A&E.
"""

from __future__ import annotations

import numpy as np

from ..population import WEEKS_PER_YEAR
from ..tables import popcount8
from .base import Mechanism
from .ties import segments


class HelpSeeking(Mechanism):
    name = "help_seeking"
    stream = "help_seeking"
    rows = 4

    def step(self, model, u: np.ndarray) -> None:
        r, c = model.residents, model.cfg
        h = c.health
        ep_mult = np.where(r.in_episode, np.float32(h.episode_multiplier), np.float32(1.0))
        social_units = popcount8(r.needs) + r.lonely
        lam_med = r.gp_base * ep_mult
        if model.lockdown:
            lam_med = lam_med * np.float32(c.shock.gp_demand_multiplier)
        lam_soc = np.float32(c.needs.gp_uplift_per_year / WEEKS_PER_YEAR) * social_units
        lam = lam_med + lam_soc
        request = u[0] < -np.expm1(-lam)
        social = request & (u[1] * lam < lam_soc)

        idx = np.flatnonzero(request)
        pr = r.practice[idx]
        # by practice, then by this week's key: practice + key is exact in float64 (key < 1 has
        # 24 bits), and one stable argsort is cheaper than lexsort
        order = np.argsort(pr + u[2][idx].astype(np.float64), kind="stable")
        idx, pr = idx[order], pr[order]
        start, _ = segments(pr)
        rank = np.arange(idx.size) - start
        served = rank < model.practices.capacity[pr]
        seen = np.zeros(r.n, dtype=bool)
        seen[idx[served]] = True
        unmet = np.zeros(r.n, dtype=bool)
        unmet[idx[~served]] = True

        lam_ae = r.ae_base * ep_mult * (1.0 + h.social_ae_share * social_units)
        p_ae = -np.expm1(-lam_ae) + h.ae_unmet_gp_share * unmet
        ae = u[3] < p_ae

        model.seen_gp = seen
        model.ae_this_week = ae
        model.seen_social = seen & social
        t = model.tally
        t["gp_requests"] += int(request.sum())
        t["gp_consultations"] += int(seen.sum())
        t["gp_social_consultations"] += int(model.seen_social.sum())
        t["gp_unmet"] += int(unmet.sum())
        t["ae_attendances"] += int(ae.sum())
