"""Step 1, life events: illness episodes, bereavements and non-medical needs arise and resolve.

Illness episodes come and go on top of each resident's persistent GP propensity: onset at
``health.episode_per_year`` (x ``episode_ltc_multiplier`` with a long-term condition, and x
``episode_rr_per_ucla_point`` per point of true UCLA-3 loneliness above 3: loneliness acts on
health, Burns et al. 2021), geometric length of mean ``episode_mean_weeks``, and a size (extra GP
demand per week) drawn at onset from a lognormal of mean ``episode_gp_per_year`` / 52. Bereavement
of someone close (assumption: ``loneliness.bereavement_per_year``, x2.5 at 65+) lasts a geometric
``bereavement_weeks`` and raises the onset of loneliness while it lasts.
"""

from __future__ import annotations

import numpy as np

from ..population import weekly_prob
from ..tables import NEED_TO_KIND, NEEDS, popcount8
from .base import Mechanism, flatnonzero


class LifeEvents(Mechanism):
    """Episodes (temporary rises in consultation demand) and needs (debt, housing, ...).

    One uniform per resident per transition: it starts the state when absent and ends it when
    present. Needs resolve faster while a link worker supports the resident and while the
    resident attends a group of the kind that meets that need.
    """

    name = "life_events"
    stream = "life_events"
    # full rows: episode switch, whether any need starts, bereavement; keyed: 0 = a new episode's
    # size, 1 = need k of resident i resolves (at 8 i + k, holders), 2 = it starts (given that one does)
    rows = 3

    def init(self, model) -> None:
        c, r = model.cfg, model.residents
        h, lc = c.health, c.loneliness
        # each absent need starts with this weekly chance, independently of the others
        self.need_onset = weekly_prob(c.needs.onset_per_year * r.need_onset_mult.astype(np.float64))
        # a bound on the chance that any starts (K x p >= 1 - (1 - p)^m for m <= K absent needs)
        self.any_onset_bound = (len(NEEDS) * self.need_onset * (1 + 1e-6)).astype(np.float32)
        # weekly rates in float32 (the whole-array exp is the costly part of this step)
        ltc = np.where(r.ltc, h.episode_ltc_multiplier, 1.0)
        self.episode_base = (h.episode_per_year / 52.0 * ltc).astype(np.float32)
        self.log_rr = np.float32(np.log(h.episode_rr_per_ucla_point))
        # the onset chance is at most the rate, and the rate at most its value at UCLA-3 = 9
        # (episode_rr_per_ucla_point >= 1): only residents with u below this bound can start one
        self.episode_bound = (self.episode_base.astype(np.float64) * h.episode_rr_per_ucla_point ** 6
                              * (1 + 1e-5)).astype(np.float32)
        old = r.age_band == 2
        self.p_bereaved = weekly_prob(lc.bereavement_per_year * np.where(old, 2.5, 1.0)).astype(np.float32)
        self.p_grief_ends = np.float32(1.0 / lc.bereavement_weeks)
        # initial state near the steady state: sizes for episodes under way, bereavements
        g = model.streams["people_init"]
        u = g.random((3, r.n))
        r.episode_gp = np.where(r.in_episode, self.episode_size(u[0], h), 0.0)
        p_b = lc.bereavement_per_year * lc.bereavement_weeks / 52.0 * np.where(old, 2.5, 1.0)
        r.bereaved = u[1] < np.minimum(p_b, 0.9)

    @staticmethod
    def episode_size(u: np.ndarray, h) -> np.ndarray:
        """Extra GP demand per week of an episode: lognormal with mean episode_gp_per_year / 52."""
        from scipy.special import ndtri

        s = h.episode_size_sigma
        z = ndtri(np.clip(u.astype(np.float64), 1e-12, 1 - 1e-12))
        return (h.episode_gp_per_year / 52.0) * np.exp(s * z - 0.5 * s * s)

    def step(self, model, u: np.ndarray) -> None:
        r, c = model.residents, model.cfg
        h = c.health
        # Each transition is "present ? u >= p_end : u < p_start", computed with bool operations
        # only (np.where over broadcast float arrays costs several times more at 10^6 residents):
        # with a = (u < p_end), b = (u < p_start): new = b ^ (present & ~(a ^ b)).
        ep = r.in_episode.copy()
        a = np.less(u[0], 1.0 / h.episode_mean_weeks)  # a Python float: compared in float32
        cand = flatnonzero(u[0] < self.episode_bound)
        x = r.ucla[cand] - np.float32(3.0)
        x *= self.log_rr
        np.exp(x, out=x)
        x *= self.episode_base[cand]  # weekly onset rate
        np.negative(x, out=x)
        np.expm1(x, out=x)
        np.negative(x, out=x)  # p = 1 - exp(-rate)
        b = np.zeros(r.n, bool)
        b[cand] = np.less(u[0][cand], x)
        now = _switch(ep, a, b)
        r.in_episode = now
        changed = flatnonzero(now ^ ep)
        started = changed[now[changed]]
        if started.size:
            r.episode_gp[started] = self.episode_size(u.at(0, started), h)
        r.episode_gp[changed[ep[changed]]] = 0.0  # ended
        # bereavement starts and ends the same way
        a = np.less(u[2], self.p_grief_ends)
        b = np.less(u[2], self.p_bereaved)
        r.bereaved = _switch(r.bereaved.copy(), a, b)

        r.needs = self.needs_step(model, u)

    def needs_step(self, model, u) -> np.ndarray:
        """Each present need resolves, and each absent one starts, independently: resolution at
        1 / ``needs.mean_duration_weeks`` a week (x the link-work boost on a caseload, x2 while
        attending a group of the kind that meets it); onset at ``need_onset``. The onsets are
        drawn exactly but cheaply: one number per resident decides whether any of their ``m``
        absent needs starts (chance ``1 - (1 - p)^m``) and, for the few where one does, keyed luck
        decides which, each in turn with its chance given that at least one of those left must
        (``p / (1 - (1 - p)^left)``) until one has, then ``p`` (the same distribution as ``m``
        independent draws)."""
        r, c = model.residents, model.cfg
        k_needs = len(NEEDS)
        needs = r.needs
        new = needs.copy()
        # resolution, for each need its holders only
        lw = c.link_workers
        boost = 1.0 + lw.effect_on_residents * (lw.need_resolution_multiplier - 1.0)
        p_plain = np.float32(1.0 / c.needs.mean_duration_weeks)
        p_boost = np.float32(boost / c.needs.mean_duration_weeks)
        groups = model.groups
        with_needs = flatnonzero(needs != 0)  # (nonzero on bools: several times faster than on uint8)
        held = needs[with_needs]
        # one (row of with_needs, need) pair per need held
        rows = [flatnonzero((held & np.uint8(1 << j)) != 0) for j in range(k_needs)]
        row = np.concatenate(rows)
        k = np.repeat(np.arange(k_needs), [x.size for x in rows])
        hold = with_needs[row]
        p_res = np.where(r.lw_status[hold] == 2, p_boost, p_plain)
        if groups.n:
            # attending a group of the kind that meets the need doubles its resolution (looked
            # up for the holders who attended only: a few in a hundred)
            att = flatnonzero(r.attended[hold])
            gr = r.group[hold[att]]
            meets = att[(gr >= 0) & (groups.kind[np.maximum(gr, 0)] == NEED_TO_KIND[k[att]])]
            p_res[meets] *= np.float32(2.0)
            np.minimum(p_res, 1.0, out=p_res)
        # u < 1, so a probability of 1 always resolves
        ends = u.at(1, _pair(hold, k)) < p_res
        resolved = np.bincount(row[ends], weights=(1 << k[ends]), minlength=with_needs.size)
        new[with_needs] = held & ~resolved.astype(np.uint8)
        # onset: first whether any absent need starts, then which
        cand = flatnonzero(u[1] < self.any_onset_bound)
        p = self.need_onset[cand]
        absent = k_needs - popcount8(needs[cand]).astype(np.int64)
        log_q = np.log1p(-p)
        some = u[1][cand] < -np.expm1(absent * log_q)
        cand, p, absent, log_q = cand[some], p[some], absent[some], log_q[some]
        forced = np.ones(cand.size, bool)  # none of theirs has started yet, and one must
        # keyed luck of every (resident, need) pair at once: column k is u.at(2, _pair(cand, k))
        luck = u.at(2, _pair(cand[:, None], np.arange(k_needs)).ravel()).reshape(cand.size, k_needs)
        for k in range(k_needs):
            bit = np.uint8(1 << k)
            free = (needs[cand] & bit) == 0
            any_left = -np.expm1(absent * log_q)
            chance = np.where(forced, p / np.where(free, any_left, 1.0), p)
            starts = free & (luck[:, k] < chance)
            new[cand[starts]] |= bit
            forced &= ~starts
            absent -= free
        return new


def _pair(resident: np.ndarray, need) -> np.ndarray:
    """The keyed-luck index of (resident, need): 8 x resident + need (fewer than 8 needs)."""
    return resident.astype(np.uint64) * np.uint64(8) + np.asarray(need).astype(np.uint64)


def _switch(present: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.where(present, ~a, b)`` for bool arrays, in place in ``a``."""
    a ^= b
    np.logical_not(a, out=a)
    a &= present
    a ^= b
    return a
