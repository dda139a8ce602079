"""Step 3, loneliness and wellbeing: lasting and passing causes, contagion along ties, recovery.

Loneliness here is the ONS direct question answered "often" or "always". Its onset hazard per
year is

    onset = onset_per_year x lasting x passing + contagion_per_year x lonely contacts

* lasting causes (fixed per resident): a disposition ``z`` (standard normal, the chronic core;
  ``exp(trait_onset z)`` normalised to mean 1), living alone, a long-term condition or disability,
  age (under 25 / 65+), deprivation and a shared neighbourhood effect (lognormal);
* passing causes: bereavement, other non-medical needs (``needs.loneliness_link``) and lockdowns
  (``lockdown_onset_multiplier``; ties also count less, ``shock.contact_multiplier``).

Recovery per year = ``recovery_per_year x exp(-trait_recovery z)`` + ``recovery_per_contact_per_year``
x non-lonely contacts + ``group_recovery_per_year`` while attending a group +
``volunteering.loneliness_recovery_per_year`` while volunteering formally +
``link_workers.loneliness_recovery_per_year`` while a link worker's client past the effective dose
(the one-to-one support; 0 unless calibrated, assumption) (the contact terms and
contagion follow Hill, Rand, Nowak & Christakis 2010). Because recovery falls with ``z``, those
lonely for years are mostly the chronic core and recover less often than the newly lonely; the
same ``z`` orders friendships (homophily) and lowers sociability (see ``network.py``), so
loneliness clusters to two and three degrees and sits at the periphery (Cacioppo, Fowler &
Christakis 2009).

The true UCLA-3 score (3-9, continuous; :mod:`spsim.model.instruments` observes it with noise)
is derived consistently with the direct question: lonely residents score from 6.5 up, the others
below 6.5, higher with the disposition, bereavement and needs.
"""

from __future__ import annotations

import numpy as np

from ..population import WEEKS_PER_YEAR
from ..tables import popcount8
from .base import Mechanism


def true_ucla(lonely: np.ndarray, trait: np.ndarray, bereaved: np.ndarray, has_needs: np.ndarray,
              lc) -> np.ndarray:
    """True UCLA-3 score (3-9): lonely often/always -> [6.5, 9]; otherwise [3, 6.5)."""
    base = lc.ucla_trait_slope * trait
    hi = np.clip(lc.ucla_lonely_mean + base, 6.5, 9.0)
    lo = np.clip(lc.ucla_not_lonely_mean + base + 0.8 * bereaved + 0.4 * has_needs, 3.0, 6.49)
    return np.where(lonely, hi, lo).astype(np.float32)


class Loneliness(Mechanism):
    name = "loneliness"
    stream = "loneliness"
    rows = 1

    def lasting(self, model) -> np.ndarray:
        """Fixed onset multiplier per resident from lasting causes (mean-one disposition term)."""
        r, lc = model.residents, model.cfg.loneliness
        z = r.lonely_trait.astype(np.float64)
        t = lc.trait_onset
        m = np.exp(t * z - 0.5 * t * t)
        m *= np.where(r.lives_alone, lc.living_alone_multiplier, 1.0)
        m *= np.where(r.ltc, lc.ltc_multiplier, 1.0)
        m *= np.select([r.age_band == 0, r.age_band == 2], [lc.young_multiplier, lc.old_multiplier], 1.0)
        m *= np.maximum(1.0 + lc.deprivation_gradient * (r.deprivation.astype(np.float64) - 3.0), 0.05)
        m *= self.hood_effect[r.neighbourhood]
        return m

    def rates(self, model, lonely_contacts, other_contacts) -> tuple[np.ndarray, np.ndarray]:
        """Yearly onset and recovery rates per resident."""
        r, c = model.residents, model.cfg
        lc = c.loneliness
        if model.lockdown:
            lonely_contacts = lonely_contacts * c.shock.contact_multiplier
            other_contacts = other_contacts * c.shock.contact_multiplier
        passing = np.where(r.bereaved, lc.bereavement_multiplier, 1.0)
        passing = passing * np.where(r.needs != 0, c.needs.loneliness_link, 1.0)
        if model.lockdown:
            passing = passing * lc.lockdown_onset_multiplier
        onset = lc.onset_per_year * self.lasting_mult * passing + lc.contagion_per_year * lonely_contacts
        recovery = (self.recovery_base + lc.recovery_per_contact_per_year * other_contacts
                    + lc.group_recovery_per_year * r.attended)
        # volunteering helps the volunteer: formal volunteers recover faster (assumption, modest)
        recovery = recovery + c.volunteering.loneliness_recovery_per_year * r.volunteer
        # the one-to-one support itself, past the effective dose (assumption, 0 by default; calibrated
        # against the British Red Cross evaluation, docs/calibration.md); last week's clients
        support = c.link_workers.loneliness_recovery_per_year * c.link_workers.effect_on_residents
        effective = getattr(model, "lw_effective", None)
        if support > 0 and effective is not None:
            recovery = recovery + support * effective
        return onset, recovery

    def init(self, model) -> None:
        """Start at the steady state of the rules in :meth:`step`: each resident is lonely with
        the stationary probability of their own two-state chain, ``onset / (onset + recovery)``,
        where the lonely contacts are the expected number among their ties (the sum of their
        contacts' probabilities) and group members' recovery includes their expected attendance.
        The probabilities are found by fixed-point iteration on the network (mean field). There
        is no rescaling to a chosen share: the earlier rule rescaled to 7% when these rates'
        steady state was 4.6%, and the lonely share then fell for a decade, the chronic core
        (recovery ``exp(-trait_recovery z)``) taking longest (measured: 0.063 in the burn-in
        year, 0.046 ten years later)."""
        r, c = model.residents, model.cfg
        lc = c.loneliness
        r.lonely_trait = model.network.trait
        g = model.streams["people_init"]
        self.hood_effect = np.exp(lc.neighbourhood_sd * g.standard_normal(model.n_neighbourhoods)
                                  - 0.5 * lc.neighbourhood_sd ** 2)
        r.swemwbs_offset = model.cfg.wellbeing.swemwbs_person_sd * g.standard_normal(r.n)
        r.ls_offset = model.cfg.wellbeing.life_satisfaction_person_sd * g.standard_normal(r.n)
        self.lasting_mult = self.lasting(model)
        self.recovery_base = lc.recovery_per_year * np.exp(-lc.trait_recovery * r.lonely_trait.astype(np.float64))
        # Own stream: the population stream has by now also seeded the groups, so drawing from it
        # here made the initial lonely residents depend on group levers (groups.count, ...).
        self.init_u = model.streams["initial_loneliness"].random(r.n)
        self.settle(model)
        wb = model.cfg.wellbeing
        self.target_table = self._target_table(wb)
        self.conf_gain = np.array([0.0, wb.confidence_per_attendance])
        self.conf_loss = np.array([0.0, wb.confidence_loss_lonely])

    def settle(self, model) -> None:
        """Who is lonely, at the steady state of the current ties and memberships (the same
        uniforms each time: the group warm start redraws it after the groups have settled)."""
        r = model.residents
        r.lonely = self.init_u < self.stationary(model)
        r.ucla = true_ucla(r.lonely, r.lonely_trait, r.bereaved, r.needs != 0, model.cfg.loneliness)

    def stationary(self, model, iterations: int = 100, tol: float = 1e-9) -> np.ndarray:
        """Each resident's stationary chance of being lonely under this week's rules (mean field:
        contacts lonely with their own stationary chances; attendance at its expected rate)."""
        r, c, net = model.residents, model.cfg, model.network
        rows = np.repeat(np.arange(r.n), np.diff(net.indptr))
        degree = net.degree().astype(np.float64)
        attending = c.groups.attendance * (r.group >= 0)
        p = np.zeros(r.n)
        for _ in range(iterations):
            lonely_contacts = np.bincount(rows, weights=p[net.indices], minlength=r.n)
            onset, recovery = self.rates(model, lonely_contacts, degree - lonely_contacts)
            recovery = recovery + c.loneliness.group_recovery_per_year * attending
            new = onset / np.maximum(onset + recovery, 1e-12)
            done = np.abs(new - p).max() < tol
            p = new
            if done:
                break
        return p

    @staticmethod
    def _target_table(wb) -> np.ndarray:
        # wellbeing target by (number of needs, lonely, in episode, attended): code = 8 * needs + 4 * lonely + ...
        code = np.arange(48)
        pc, lon, ep, att = code >> 3, (code >> 2) & 1, (code >> 1) & 1, code & 1
        return (wb.baseline - wb.per_need * pc - wb.lonely * lon - wb.episode * ep + wb.group * att)

    def step(self, model, u: np.ndarray) -> None:
        r, c = model.residents, model.cfg
        lonely = r.lonely
        lonely_contacts = model.network.count_flagged_neighbours(lonely, cache="lonely")
        other = model.network.degree() - lonely_contacts
        onset, recovery = self.rates(model, lonely_contacts, other)
        rate = np.where(lonely, recovery, onset)
        rate /= WEEKS_PER_YEAR
        # p = 1 - exp(-rate) <= rate: only residents with u below rate can switch; p exactly for them
        cand = np.flatnonzero(u[0] < rate)
        switch = np.zeros(r.n, bool)
        switch[cand] = u[0][cand] < -np.expm1(-rate[cand])
        # lonely: stays unless u < p (recovers); not lonely: becomes lonely if u < p
        new_lonely = switch ^ lonely
        r.lonely = new_lonely
        r.ucla = true_ucla(new_lonely, r.lonely_trait, r.bereaved, r.needs != 0, c.loneliness)

        wb = c.wellbeing
        code = (popcount8(r.needs).astype(np.intp) << 3) | (new_lonely.astype(np.intp) << 2)
        code |= r.in_episode.astype(np.intp) << 1
        code |= r.attended.astype(np.intp)
        t = self.target_table.take(code)
        w = r.wellbeing
        r.wellbeing = np.clip(w + wb.adjustment * (t - w), 0.0, 10.0)
        conf = r.confidence
        t = conf + self.conf_gain.take(r.attended.astype(np.intp)) - self.conf_loss.take(new_lonely.astype(np.intp))
        r.confidence = np.clip(t, 0.0, 1.0)
