"""Step 4, help-seeking: GP consultations within practice capacity, and A&E attendances.

Weekly GP demand of a resident = persistent propensity x (episode multiplier while ill) for
medical reasons, plus ``needs.gp_uplift_per_year`` for each active need (loneliness counts as
one) for social reasons. Requests beyond a practice's weekly appointments are turned away in a
random order; a share of those end at A&E.
"""

from __future__ import annotations

import numpy as np

from ..population import WEEKS_PER_YEAR
from ..tables import NEEDS, popcount8
from .base import Mechanism
from .ties import segments


class HelpSeeking(Mechanism):
    name = "help_seeking"
    stream = "help_seeking"
    rows = 4

    def init(self, model) -> None:
        c = model.cfg
        h = c.health
        units = np.arange(len(NEEDS) + 2, dtype=np.uint8)  # needs + lonely: 0 .. K + 1
        # small tables giving exactly the values of the whole-array expressions they replace
        self.ep_mult = np.array([1.0, h.episode_multiplier], dtype=np.float32)
        self.lam_soc_per_unit = np.float32(c.needs.gp_uplift_per_year / WEEKS_PER_YEAR)
        self.ae_social = 1.0 + h.social_ae_share * units  # float64

    def step(self, model, u: np.ndarray) -> None:
        r, c = model.residents, model.cfg
        h = c.health
        ep_mult = self.ep_mult.take(r.in_episode.view(np.uint8))
        social_units = popcount8(r.needs) + r.lonely
        lam_med = r.gp_base * ep_mult
        if model.lockdown:
            lam_med = lam_med * np.float32(c.shock.gp_demand_multiplier)
        lam_soc = self.lam_soc_per_unit * social_units  # float32
        lam = lam_med + lam_soc
        request = u[0] < -np.expm1(-lam)
        idx = np.flatnonzero(request)
        social = np.zeros(r.n, dtype=bool)  # mainly social reasons: only requests can be
        social[idx[u[1][idx] * lam[idx] < lam_soc[idx]]] = True

        pr = r.practice[idx]
        # by practice, then by this week's key, then by position: float32 uniforms are
        # multiples of 2^-24, so (practice, key, position) packs into one unique int64 and a
        # plain sort gives the order of the stable argsort of practice + key
        pos_bits = max(int(idx.size).bit_length(), 1)
        if idx.size and int(model.practices.n).bit_length() + 24 + pos_bits <= 62:
            packed = (pr.astype(np.int64) << (24 + pos_bits)) | (
                (u[2][idx] * np.float32(2**24)).astype(np.int64) << pos_bits
            ) | np.arange(idx.size, dtype=np.int64)
            packed.sort()
            order = packed & ((1 << pos_bits) - 1)
        else:
            order = np.argsort(pr + u[2][idx].astype(np.float64), kind="stable")
        idx, pr = idx[order], pr[order]
        start, _ = segments(pr)
        rank = np.arange(idx.size) - start
        served = rank < model.practices.capacity[pr]
        seen = np.zeros(r.n, dtype=bool)
        seen[idx[served]] = True
        unmet = np.zeros(r.n, dtype=bool)
        unmet_idx = idx[~served]
        unmet[unmet_idx] = True

        # A&E: p_ae = -expm1(-lam_ae) + share x unmet, with lam_ae = ae_base x ep_mult x
        # (1 + social share x units) in float64. p_ae <= lam_ae (+ share if unmet), so only
        # residents with u below a float32 bound 1% above lam_ae (plus 1e-30, for values too
        # small for float32's relative precision), or with unmet GP demand, can attend; p_ae is
        # computed exactly, as before, for those alone.
        ae_ep = r.ae_base * ep_mult
        bound = np.float32(h.social_ae_share) * social_units
        bound += np.float32(1.0)
        bound *= ae_ep
        bound *= np.float32(1.01)
        bound += np.float32(1e-30)
        cand = np.flatnonzero(u[3] < bound)
        cand = np.union1d(cand, unmet_idx) if unmet_idx.size else cand
        lam_ae = ae_ep[cand] * self.ae_social.take(social_units[cand])
        p_ae = -np.expm1(-lam_ae) + h.ae_unmet_gp_share * unmet[cand]
        ae = np.zeros(r.n, dtype=bool)
        ae[cand] = u[3][cand] < p_ae

        model.seen_gp = seen
        model.ae_this_week = ae
        model.seen_social = seen & social
        t = model.tally
        t["gp_requests"] += int(request.sum())
        t["gp_consultations"] += int(seen.sum())
        t["gp_social_consultations"] += int(model.seen_social.sum())
        t["gp_unmet"] += int(unmet.sum())
        t["ae_attendances"] += int(ae.sum())
