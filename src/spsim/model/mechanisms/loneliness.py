"""Step 3, loneliness and wellbeing: SISa-style onset, contagion along ties and recovery.

Onset per year = spontaneous (raised for people living alone or with other needs)
+ ``contagion_per_year`` x lonely contacts. Recovery per year = spontaneous
+ ``recovery_per_contact_per_year`` x non-lonely contacts + ``group_recovery_per_year`` while
attending a group (Hill, Rand, Nowak & Christakis 2010, rates rescaled to weeks).
"""

from __future__ import annotations

import numpy as np

from ..population import WEEKS_PER_YEAR
from ..tables import popcount8
from .base import Mechanism


class Loneliness(Mechanism):
    name = "loneliness"
    stream = "loneliness"
    rows = 1

    @staticmethod
    def rates(model, lonely_contacts, other_contacts) -> tuple[np.ndarray, np.ndarray]:
        """Yearly onset and recovery rates per resident (ties count less during a lockdown)."""
        r, c = model.residents, model.cfg
        lc = c.loneliness
        if model.lockdown:
            lonely_contacts = lonely_contacts * c.shock.contact_multiplier
            other_contacts = other_contacts * c.shock.contact_multiplier
        onset = (
            lc.onset_per_year
            * np.where(r.lives_alone, lc.living_alone_multiplier, 1.0)
            * np.where(r.needs != 0, c.needs.loneliness_link, 1.0)
            + lc.contagion_per_year * lonely_contacts
        )
        recovery = (
            lc.recovery_per_year
            + lc.recovery_per_contact_per_year * other_contacts
            + lc.group_recovery_per_year * r.attended
        )
        return onset, recovery

    def init(self, model) -> None:
        """Start near the steady state: who is lonely depends on ties, living alone and needs,
        with ``loneliness.initial_share`` lonely overall."""
        r, share = model.residents, model.cfg.loneliness.initial_share
        degree = model.network.degree()
        onset, recovery = self.rates(model, share * degree, (1 - share) * degree)
        p = onset / np.maximum(onset + recovery, 1e-12)
        p = np.clip(p * share / max(p.mean(), 1e-12), 0, 1)
        # Own stream: the population stream has by now also seeded the groups, so drawing from it
        # here made the initial lonely residents depend on group levers (groups.count, ...).
        r.lonely = model.streams["initial_loneliness"].random(r.n) < p
        self._tables(model)

    def _tables(self, model) -> None:
        """Per-resident constants and small lookup tables for ``step``, computed with the same
        float64 operations in the same order as :meth:`rates` and the wellbeing update, so the
        results are identical (the config is frozen and residents' fixed traits do not change).
        """
        r, c = model.residents, model.cfg
        lc, wb = c.loneliness, c.wellbeing
        # onset without contacts = onset_per_year * alone factor * needs factor: four values,
        # indexed by 2 * lives_alone + has_needs
        alone = np.array([1.0, 1.0, lc.living_alone_multiplier, lc.living_alone_multiplier])
        needs = np.array([1.0, c.needs.loneliness_link, 1.0, c.needs.loneliness_link])
        self.onset_table = lc.onset_per_year * alone * needs
        self.alone2 = r.lives_alone.view(np.uint8) * np.uint8(2)
        # wellbeing target by (number of needs, lonely, in episode, attended): code = 8 * needs + 4 * lonely + ...
        code = np.arange(48)
        pc, lon, ep, att = code >> 3, (code >> 2) & 1, (code >> 1) & 1, code & 1
        self.target_table = (
            wb.baseline - wb.per_need * pc.astype(np.uint8) - wb.lonely * lon.astype(bool)
            - wb.episode * ep.astype(bool) + wb.group * att.astype(bool)
        )
        self.conf_gain = np.array([0.0, wb.confidence_per_attendance])
        self.conf_loss = np.array([0.0, wb.confidence_loss_lonely])

    def step(self, model, u: np.ndarray) -> None:
        r, c = model.residents, model.cfg
        lc = c.loneliness
        # What `rates` computes, for the rate each resident needs (onset if not lonely, recovery
        # if lonely), with the same float64 operations in the same order (identical results).
        lonely = r.lonely
        lonely_contacts = model.network.count_flagged_neighbours(lonely, cache="lonely")
        has_needs = r.needs != 0
        onset_base = self.onset_table.take(self.alone2 + has_needs.view(np.uint8))
        lcf = lonely_contacts * c.shock.contact_multiplier if model.lockdown else lonely_contacts
        rate = np.multiply(lcf, lc.contagion_per_year, dtype=np.float64)
        rate += onset_base
        who = np.flatnonzero(lonely)
        other = model.network.degree_of(who) - lonely_contacts[who]
        if model.lockdown:
            other = other * c.shock.contact_multiplier
        rate[who] = (
            lc.recovery_per_year
            + lc.recovery_per_contact_per_year * other
            + lc.group_recovery_per_year * r.attended[who]
        )
        # p = weekly_prob(rate) = -expm1(-rate / 52), in place ((-x) / 52 == x / -52 exactly)
        np.divide(rate, -WEEKS_PER_YEAR, out=rate)
        np.expm1(rate, out=rate)
        np.negative(rate, out=rate)
        # lonely: stays unless u < p (recovers); not lonely: becomes lonely if u < p
        new_lonely = np.less(u[0], rate)
        new_lonely ^= lonely
        r.lonely = new_lonely

        wb = c.wellbeing
        code = (popcount8(r.needs) << 3) | (new_lonely.view(np.uint8) << 2)
        code |= r.in_episode.view(np.uint8) << 1
        code |= r.attended.view(np.uint8)
        t = self.target_table.take(code)  # float64 target
        w = r.wellbeing
        np.subtract(t, w, out=t)
        t *= wb.adjustment
        t += w
        np.clip(t, 0.0, 10.0, out=t)
        r.wellbeing = t
        # confidence moves only for residents who attended or are lonely (+0.0 - 0.0 and the
        # clip leave any other value in [+0, 1] as it is): the same expression on those rows
        conf = r.confidence
        moves = r.attended | new_lonely
        moves |= np.signbit(conf)  # negative, or -0.0 (which + 0.0 would turn into +0.0)
        moves |= conf > 1.0
        who = np.flatnonzero(moves)
        t = np.add(conf[who], self.conf_gain.take(r.attended[who].view(np.uint8)))
        t -= self.conf_loss.take(new_lonely[who].view(np.uint8))
        np.clip(t, 0.0, 1.0, out=t)
        conf[who] = t
