"""Analyzers: optional plug-ins that observe a model week by week.

An analyzer has ``init(model)`` (called once the place is built) and ``apply(model)`` (called
at the end of every week, burn-in included). Pass them to
``SocialPrescribingModel(cfg, analyzers=[...])``.
"""

from __future__ import annotations

import numpy as np

from .tables import popcount8


class ResidentHistory:
    """Per-resident weekly record of GP consultations (counts, one byte per resident per week),
    A&E attendances, loneliness and mainly-social consultations (packed bits: one bit per resident
    per week; ``social`` records a consultation that was mainly for a social need, as a GP record's
    reason code would show it, so a study may use it to match controls), the instruments a
    questionnaire would record at the end of each week (observed UCLA-3, ONS4 life satisfaction and
    SWEMWBS with measurement noise, :mod:`spsim.model.instruments`, one byte each; the noise comes
    from the ``history_instruments`` stream, so the model's luck is untouched and two runs on the
    same seed get the same noise), plus each resident's first referral and first intake week.
    ``needs`` is the number of non-medical needs a resident has at the end of each week, as the
    social-needs checklist of a baseline questionnaire would report it (assumption: reported as
    they are; social-needs screening tools such as the AHC HRSN screen ask about housing, money,
    work and isolation in this way). 50,000 residents x 4 years is about 56 MB."""

    outcomes = ("gp", "ae", "lonely", "social", "ucla3", "life_satisfaction", "swemwbs", "needs")
    counted = ("gp", "needs")
    observed = ("ucla3", "life_satisfaction", "swemwbs")

    def init(self, model) -> None:
        sim = model.cfg.simulation
        self.weeks = sim.burn_in_weeks + sim.weeks
        self.n = model.residents.n
        self.nbytes_row = (self.n + 7) // 8
        self.bits = {k: np.zeros((self.weeks, self.n if k in self.counted + self.observed else self.nbytes_row),
                                 np.uint8) for k in self.outcomes}
        self.first_referral = np.full(self.n, -1, np.int32)
        self.first_intake = np.full(self.n, -1, np.int32)
        self.week = 0

    def apply(self, model) -> None:
        if self.week >= self.weeks:
            return
        t = self.week
        self.bits["gp"][t] = np.minimum(getattr(model, "gp_count", model.seen_gp), 255)
        self.bits["ae"][t] = np.packbits(model.ae_this_week)
        self.bits["lonely"][t] = np.packbits(model.residents.lonely)
        self.bits["social"][t] = np.packbits(model.seen_social)
        self.bits["needs"][t] = popcount8(model.residents.needs)
        from .instruments import INSTRUMENTS, observe

        obs = observe(model, model.streams["history_instruments"].random((len(INSTRUMENTS), self.n)))
        for k in self.observed:
            self.bits[k][t] = obs[k]
        new_ref = model.referred_this_week & (self.first_referral < 0)
        self.first_referral[new_ref] = t
        new_in = model.intake_this_week & (self.first_intake < 0)
        self.first_intake[new_in] = t
        self.week += 1

    def cumulative(self, outcome: str) -> np.ndarray:
        """(weeks + 1) x n running totals of ``outcome`` (cached): row t = weeks before week t."""
        cache = self.__dict__.setdefault("_csum", {})
        if outcome not in cache:
            b = self.bits[outcome]
            cols = b if outcome in self.counted else np.unpackbits(b, axis=1, count=self.n)
            csum = np.zeros((self.weeks + 1, self.n), np.int32)
            np.cumsum(cols, axis=0, out=csum[1:], dtype=np.int32)
            cache[outcome] = csum
        return cache[outcome]

    def per_year(self, outcome: str, first_week: int) -> np.ndarray:
        """(years, n) totals of ``outcome`` in consecutive 52-week years from ``first_week``."""
        csum = self.cumulative(outcome)
        edges = np.arange(first_week, self.weeks + 1, 52)
        return np.diff(csum[edges].astype(np.int64), axis=0)

    def window_counts(self, outcome: str, who: np.ndarray, start: np.ndarray, length: int) -> np.ndarray:
        """For residents ``who``, how many of the weeks ``[start, start + length)`` had ``outcome``
        (windows clipped to the recorded weeks); whole-array gathers, no per-resident loop."""
        who = np.asarray(who, np.int64)
        if outcome in self.observed:  # scores, not events: only single-week windows make sense
            if length != 1:
                raise ValueError(f"{outcome} is a score observed each week: use windows of length 1")
            t = np.clip(np.broadcast_to(start, who.shape), 0, self.weeks - 1)
            return self.bits[outcome][t, who].astype(np.int64)
        csum = self.cumulative(outcome)
        lo = np.clip(start, 0, self.weeks)
        hi = np.clip(np.asarray(start) + length, 0, self.weeks)
        return csum[hi, who].astype(np.int64) - csum[lo, who]
