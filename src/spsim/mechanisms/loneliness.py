"""Step 3, loneliness and wellbeing: SISa-style onset, contagion along ties and recovery.

Onset per year = spontaneous (raised for people living alone or with other needs)
+ ``contagion_per_year`` x lonely contacts. Recovery per year = spontaneous
+ ``recovery_per_contact_per_year`` x non-lonely contacts + ``group_recovery_per_year`` while
attending a group (Hill, Rand, Nowak & Christakis 2010, rates rescaled to weeks).
"""

from __future__ import annotations

import numpy as np

from ..population import weekly_prob
from ..tables import popcount8
from .base import Mechanism


class Loneliness(Mechanism):
    name = "loneliness"
    stream = "loneliness"
    rows = 1

    @staticmethod
    def rates(model, lonely_contacts, other_contacts) -> tuple[np.ndarray, np.ndarray]:
        """Yearly onset and recovery rates per resident."""
        r, c = model.residents, model.cfg
        lc = c.loneliness
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
        # Drawn from this mechanism's own stream, not "population": by now the population stream
        # has also drawn the starting groups, whose number is a lever, so drawing here would give
        # two scenarios differing only in groups different lonely residents (breaks common
        # random numbers). This stream's draws are the same in every scenario.
        r.lonely = model.streams[self.stream].random(r.n) < p

    def step(self, model, u: np.ndarray) -> None:
        r, c = model.residents, model.cfg
        lonely = r.lonely.copy()
        degree = model.network.degree()
        lonely_contacts = model.network.count_flagged_neighbours(lonely)
        onset, recovery = self.rates(model, lonely_contacts, degree - lonely_contacts)
        p = weekly_prob(np.where(lonely, recovery, onset))
        r.lonely = np.where(lonely, u[0] >= p, u[0] < p)

        wb = c.wellbeing
        target = (
            wb.baseline
            - wb.per_need * popcount8(r.needs)
            - wb.lonely * r.lonely
            - wb.episode * r.in_episode
            + wb.group * r.attended
        )
        r.wellbeing = np.clip(r.wellbeing + wb.adjustment * (target - r.wellbeing), 0.0, 10.0)
        r.confidence = np.clip(
            r.confidence + wb.confidence_per_attendance * r.attended - wb.confidence_loss_lonely * r.lonely,
            0.0,
            1.0,
        )
