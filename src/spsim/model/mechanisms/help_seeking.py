"""Step 4, help-seeking: GP consultations within practice capacity, and A&E attendances.

Weekly GP demand of a resident, as Poisson counts (no one-a-week cap):

* medical: persistent propensity ``gp_base`` (lognormal, set at build; x ``shock.gp_demand_multiplier``
  in a lockdown) plus the size of the current illness episode (``episode_gp``, see life events);
* social: ``needs.gp_uplift_per_year`` for each active non-medical need.

Loneliness no longer adds demand directly: it acts through health (episode onset rises with the
UCLA-3 score), calibrated to about 3% more GP visits per UCLA point after adjustment for health
(NICOLA, Burns et al. 2021). Requests are queued per practice in a random order (this week's key);
each resident's requests are served while the practice has appointments left and the rest are
turned away; a share of those end at A&E. A&E is at most one attendance a week.
"""

from __future__ import annotations

import numpy as np

from ..population import WEEKS_PER_YEAR
from ..tables import NEEDS, popcount8
from .base import Mechanism, flatnonzero


def poisson_from_uniform(u: np.ndarray, lam: np.ndarray, max_k: int = 200) -> np.ndarray:
    """Poisson(lam) counts by inversion of one uniform each (so every resident uses one number a
    week whatever lam): the smallest k with P(X <= k) > u. Loops over k, not over residents."""
    lam = np.asarray(lam, np.float64)
    u = np.asarray(u)
    k = np.zeros(lam.shape, np.int32)
    # exp(-lam) >= 1 - lam, so u < 1 - lam already means k = 0: only the others (about a share lam
    # of residents) need the exact cumulative probabilities; the outcome is the same
    cand = flatnonzero(u >= 1.0 - lam)
    lam_c, u_c = lam[cand], u[cand].astype(np.float64)
    p = np.exp(-lam_c)
    cdf = p.copy()
    idx = flatnonzero(u_c >= cdf)
    for j in range(1, max_k + 1):
        if not idx.size:
            break
        k[cand[idx]] = j
        p_i = p[idx] * lam_c[idx] / j
        p[idx] = p_i
        cdf[idx] += p_i
        idx = idx[u_c[idx] >= cdf[idx]]
    return k


def queue_key(practice: np.ndarray, u: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """One unique integer per request that sorts by practice, then by this week's key ``u``
    (24-bit uniforms), then by resident: the order ``np.lexsort((idx, u, practice))`` gives, at
    half the cost, and the same on every machine whatever sort it uses (no ties). Bits: practice
    above 47, key 23-46, resident 0-22 (``population.size`` is at most 5,000,000 < 2**23)."""
    key = practice.astype(np.uint64) << np.uint64(47)
    key |= (u * np.float32(2 ** 24)).astype(np.uint64) << np.uint64(23)
    key |= idx.astype(np.uint64)
    return key


#: the resident's bits of a :func:`queue_key`
QUEUE_RESIDENT_BITS = np.uint64((1 << 23) - 1)


class HelpSeeking(Mechanism):
    name = "help_seeking"
    stream = "help_seeking"
    # full rows: medical requests, A&E; keyed: 0 = place in the queue, 1 = social requests (residents
    # with a need)
    rows = 2

    def init(self, model) -> None:
        c, r = model.cfg, model.residents
        h = c.health
        units = np.arange(len(NEEDS) + 1)
        self.lam_soc_per_unit = c.needs.gp_uplift_per_year / WEEKS_PER_YEAR
        self.ae_social = 1.0 + h.social_ae_share * units
        self.ae_ep = np.array([1.0, h.episode_multiplier])
        # Bounds that let the step skip residents who cannot consult or attend (the outcome is
        # the same; float32 with a margin, so they stay bounds after rounding):
        # outside an episode nobody asks for a medical consultation with u < 1 - gp_base (see
        # poisson_from_uniform), and nobody attends A&E with u >= the largest lam_ae they can
        # have (the unmet-demand share is added for those turned away).
        self.no_request_below = (1.0 - r.gp_base.astype(np.float64) - 1e-6).astype(np.float32)
        self.ae_bound = (r.ae_base.astype(np.float64) * self.ae_ep.max() * self.ae_social.max()
                         * (1 + 1e-5)).astype(np.float32)
        model.gp_count = np.zeros(r.n, np.int16)

    def step(self, model, u) -> None:
        r, c = model.residents, model.cfg
        h = c.health
        # medical requests: Poisson(lam_med) by inversion of u[0], for those who can ask
        if model.lockdown:
            can = u[0] >= 1.0 - c.shock.gp_demand_multiplier * r.gp_base.astype(np.float64) - 1e-6
        else:
            can = u[0] >= self.no_request_below
        can |= r.in_episode
        maybe = flatnonzero(can)
        lam_med = r.gp_base[maybe].astype(np.float64)
        if model.lockdown:
            lam_med = lam_med * c.shock.gp_demand_multiplier
        lam_med = lam_med + r.episode_gp[maybe]
        k_med = np.zeros(r.n, np.int32)
        k_med[maybe] = k_maybe = poisson_from_uniform(u[0][maybe], lam_med)
        # social requests: for residents with a need, keyed luck
        k_soc = np.zeros(r.n, np.int32)
        with_needs = flatnonzero(r.needs != 0)
        lam_soc = self.lam_soc_per_unit * popcount8(r.needs[with_needs])
        k_soc[with_needs] = k_needs = poisson_from_uniform(u.at(1, with_needs), lam_soc)
        asks = np.zeros(r.n, bool)
        asks[maybe[k_maybe > 0]] = True
        asks[with_needs[k_needs > 0]] = True
        idx = flatnonzero(asks)

        # queue: by practice, then by this week's key; each practice serves until capacity is used
        # (the keys are unique and hold the resident in their low bits, so sorting the keys is
        # np.argsort(key) and reads the residents back: a plain sort is several times faster)
        key = np.sort(queue_key(r.practice[idx], u.at(0, idx), idx))
        idx = (key & QUEUE_RESIDENT_BITS).astype(np.intp)
        pr, kk = r.practice[idx], k_med[idx] + k_soc[idx]
        start = np.searchsorted(pr, np.arange(model.practices.n))[pr]  # segments(pr)[0]
        csum = kk.cumsum()
        before = csum - kk - (csum[start] - kk[start])  # requests queued ahead within the practice
        served = np.clip(model.practices.capacity[pr] - before, 0, kk)
        # social consultations among those served: the same share as among the requests
        served_soc = (served * k_soc[idx]) // np.maximum(kk, 1)
        count = np.zeros(r.n, np.int16)
        count[idx] = served
        soc = np.zeros(r.n, bool)
        soc[idx[served_soc > 0]] = True
        seen = count > 0
        unmet = np.zeros(r.n, dtype=bool)
        unmet[idx[served < kk]] = True

        # A&E: p_ae = 1 - exp(-lam_ae) + share x unmet <= lam_ae + share x unmet, so only
        # residents with u below their bound (or turned away) can attend; p_ae exactly for them
        can = u[1] < self.ae_bound
        can |= unmet
        cand = flatnonzero(can)
        lam_ae = (r.ae_base[cand] * self.ae_ep.take(r.in_episode[cand].astype(np.intp))
                  * self.ae_social.take(popcount8(r.needs[cand]).astype(np.intp)))
        ae = np.zeros(r.n, bool)
        ae[cand] = u[1][cand] < -np.expm1(-lam_ae) + h.ae_unmet_gp_share * unmet[cand]

        model.gp_count = count
        model.seen_gp = seen
        model.ae_this_week = ae
        model.seen_social = seen & soc
        t = model.tally
        t["gp_requests"] += int(kk.sum())
        t["gp_consultations"] += int(served.sum())
        t["gp_social_consultations"] += int(served_soc.sum())
        t["gp_unmet"] += int((kk - served).sum())
        t["ae_attendances"] += int(np.count_nonzero(ae))
