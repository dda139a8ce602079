"""Analyzers: optional plug-ins that observe a model week by week.

An analyzer has ``init(model)`` (called once the place is built) and ``apply(model)`` (called
at the end of every week, burn-in included). Pass them to
``SocialPrescribingModel(cfg, analyzers=[...])``.
"""

from __future__ import annotations

import numpy as np


class ResidentHistory:
    """Per-resident weekly record of GP consultations, A&E attendances and loneliness, stored as
    packed bits (one bit per resident per week and outcome: 50,000 residents x 3 years x 3
    outcomes is about 3 MB), plus each resident's first referral and first intake week.
    ``social`` records a consultation that was mainly for a social need, as a GP record's reason
    code would show it (a study may use it to match controls)."""

    outcomes = ("gp", "ae", "lonely", "social")

    def init(self, model) -> None:
        sim = model.cfg.simulation
        self.weeks = sim.burn_in_weeks + sim.weeks
        self.n = model.residents.n
        self.nbytes_row = (self.n + 7) // 8
        self.bits = {k: np.zeros((self.weeks, self.nbytes_row), np.uint8) for k in self.outcomes}
        self.first_referral = np.full(self.n, -1, np.int32)
        self.first_intake = np.full(self.n, -1, np.int32)
        self.week = 0

    def apply(self, model) -> None:
        if self.week >= self.weeks:
            return
        t = self.week
        self.bits["gp"][t] = np.packbits(model.seen_gp)
        self.bits["ae"][t] = np.packbits(model.ae_this_week)
        self.bits["lonely"][t] = np.packbits(model.residents.lonely)
        self.bits["social"][t] = np.packbits(model.seen_social)
        new_ref = model.referred_this_week & (self.first_referral < 0)
        self.first_referral[new_ref] = t
        new_in = model.intake_this_week & (self.first_intake < 0)
        self.first_intake[new_in] = t
        self.week += 1

    def cumulative(self, outcome: str) -> np.ndarray:
        """(weeks + 1) x n running totals of ``outcome`` (cached): row t = weeks before week t."""
        cache = self.__dict__.setdefault("_csum", {})
        if outcome not in cache:
            cols = np.unpackbits(self.bits[outcome], axis=1, count=self.n)
            csum = np.zeros((self.weeks + 1, self.n), np.int16)
            np.cumsum(cols, axis=0, out=csum[1:], dtype=np.int16)
            cache[outcome] = csum
        return cache[outcome]

    def window_counts(self, outcome: str, who: np.ndarray, start: np.ndarray, length: int) -> np.ndarray:
        """For residents ``who``, how many of the weeks ``[start, start + length)`` had ``outcome``
        (windows clipped to the recorded weeks); whole-array gathers, no per-resident loop."""
        who = np.asarray(who, np.int64)
        csum = self.cumulative(outcome)
        lo = np.clip(start, 0, self.weeks)
        hi = np.clip(np.asarray(start) + length, 0, self.weeks)
        return csum[hi, who].astype(np.int64) - csum[lo, who]
