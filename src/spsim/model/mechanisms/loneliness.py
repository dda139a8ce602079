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

Wellbeing moves towards a target; confidence rises with attendance, falls in lonely weeks and is
pulled back to each resident's resting level (``wellbeing.confidence_half_life_weeks``).
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from ..population import WEEKS_PER_YEAR
from ..tables import popcount8
from .base import Mechanism, flatnonzero


class UclaScore:
    """True UCLA-3 score (3-9), derived consistently with the direct question: lonely often/always
    -> [6.5, 9]; otherwise [3, 6.5), higher with the lasting disposition, bereavement (+0.8) and
    other needs (+0.4). The lasting part is kept per resident; :meth:`score` adds this week's."""

    def __init__(self, trait: np.ndarray, lc):
        base = lc.ucla_trait_slope * trait
        self.hi = np.clip(lc.ucla_lonely_mean + base, 6.5, 9.0).astype(np.float32)
        self.lo_base = (lc.ucla_not_lonely_mean + base).astype(np.float32)
        # by passing-causes code, bereaved + 2 x other needs
        self.lo_add = np.array([0.0, 0.8, 0.4, 0.8 + 0.4], np.float32)

    def score(self, lonely: np.ndarray, flags: np.ndarray) -> np.ndarray:
        lo = self.lo_base + self.lo_add[flags]
        np.clip(lo, np.float32(3.0), np.float32(6.49), out=lo)
        now = flatnonzero(lonely)
        lo[now] = self.hi[now]
        return lo


def true_ucla(lonely: np.ndarray, trait: np.ndarray, bereaved: np.ndarray, has_needs: np.ndarray,
              lc) -> np.ndarray:
    """True UCLA-3 score (3-9) of residents with these states (:class:`UclaScore`)."""
    flags = np.asarray(bereaved).astype(np.uint8) | (np.asarray(has_needs).astype(np.uint8) << 1)
    return UclaScore(np.asarray(trait), lc).score(np.asarray(lonely, bool), flags)


def neighbourhood_effects(z: np.ndarray, sd: float, residents: np.ndarray) -> np.ndarray:
    """The shared neighbourhood effect on onset: lognormal with log-sd ``sd``, stratified.

    ``z`` (one standard normal per neighbourhood) only ranks the neighbourhoods; the k-th lowest
    takes the normal quantile ``(k + 0.5) / K``, so every replicate has the same spread of
    neighbourhood effects, placed differently, and the effects are then scaled to a mean of
    exactly 1 over the town's residents (``residents``: how many live in each neighbourhood).
    The effect redistributes loneliness between neighbourhoods; its level is set by
    ``onset_per_year``. Measured before (independent lognormal draws, default town at 50,000
    residents, 33 neighbourhoods): the town's mean effect ranged 0.60 to 2.24 between replicates
    and the lonely share with it, 0.042 to 0.068 over 8 replicates (sd 0.0085), each replicate
    flat over time at its own level: a different town in every replicate, not noise (docs/ODD.md
    7.3). Stratification is how deprivation quintiles are already shared out (population.py).
    """
    k = z.shape[0]
    rank = np.argsort(np.argsort(z, kind="stable"), kind="stable")
    inv = NormalDist().inv_cdf
    q = np.array([inv((i + 0.5) / k) for i in range(k)])[rank]
    h = np.exp(sd * q)
    return h * (residents.sum() / float(np.dot(residents, h)))


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

    @staticmethod
    def flags(r) -> np.ndarray:
        """The passing causes as a code per resident: bereaved + 2 x any other need (as intp: the
        tables indexed by it read faster with native indices than with bytes)."""
        return (r.bereaved.view(np.uint8) | ((r.needs != 0).view(np.uint8) << 1)).astype(np.intp)

    def passing(self, model) -> np.ndarray:
        """Onset multiplier of the passing causes, by :meth:`flags` code (0-3)."""
        c = model.cfg
        lc = c.loneliness
        bereaved = np.array([False, True, False, True])
        needs = np.array([False, False, True, True])
        passing = np.where(bereaved, lc.bereavement_multiplier, 1.0)
        passing = passing * np.where(needs, c.needs.loneliness_link, 1.0)
        if model.lockdown:
            passing = passing * lc.lockdown_onset_multiplier
        return passing

    def onset(self, model, lonely_contacts, flags, who=slice(None)) -> np.ndarray:
        """Yearly onset rate of every resident (or of residents ``who``, whose lonely contacts and
        passing-cause codes are given): lasting causes x passing causes + contagion."""
        c = model.cfg
        lc = c.loneliness
        if model.lockdown:
            lonely_contacts = lonely_contacts * c.shock.contact_multiplier
        return self.onset_base[who] * self.passing(model)[flags] + lc.contagion_per_year * lonely_contacts

    def onset_bound(self, model, lonely_contacts) -> np.ndarray:
        """A float32 bound on every resident's weekly onset rate (:meth:`onset` / 52), 0.01% above
        it: the lasting causes times the largest passing multiplier, plus contagion at full weight
        (every term is non-negative; float32 rounding is far inside the margin)."""
        c = model.cfg
        base = self.__dict__.get("_bound_base")
        if base is None or base[0] is not self.onset_base:
            base = self._bound_base = (self.onset_base, (self.onset_base / WEEKS_PER_YEAR).astype(np.float32))
        margin = 1.0 + 1e-4
        weight = max(c.shock.contact_multiplier, 1.0) if model.lockdown else 1.0
        bound = base[1] * np.float32(float(self.passing(model).max()) * margin)
        per_contact = np.float32(c.loneliness.contagion_per_year * weight / WEEKS_PER_YEAR * margin)
        bound += per_contact * lonely_contacts.astype(np.float32)
        return bound

    def recovery(self, model, who, other_contacts) -> np.ndarray:
        """Yearly recovery rate of residents ``who`` (an index array or ``slice(None)``), whose
        ties that are not lonely number ``other_contacts``."""
        r, c = model.residents, model.cfg
        lc = c.loneliness
        if model.lockdown:
            other_contacts = other_contacts * c.shock.contact_multiplier
        recovery = (self.recovery_base[who] + lc.recovery_per_contact_per_year * other_contacts
                    + lc.group_recovery_per_year * r.attended[who])
        # volunteering helps the volunteer: formal volunteers recover faster (assumption, modest)
        recovery = recovery + c.volunteering.loneliness_recovery_per_year * r.volunteer[who]
        # the one-to-one support itself, past the effective dose (assumption, 0 by default; calibrated
        # against the British Red Cross evaluation, docs/calibration.md); last week's clients
        support = c.link_workers.loneliness_recovery_per_year * c.link_workers.effect_on_residents
        effective = getattr(model, "lw_effective", None)
        if support > 0 and effective is not None:
            recovery = recovery + support * effective[who]
        return recovery

    def rates(self, model, lonely_contacts, other_contacts) -> tuple[np.ndarray, np.ndarray]:
        """Yearly onset and recovery rates of every resident."""
        onset = self.onset(model, lonely_contacts, self.flags(model.residents))
        return onset, self.recovery(model, slice(None), other_contacts)

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
        self.hood_effect = neighbourhood_effects(
            g.standard_normal(model.n_neighbourhoods), lc.neighbourhood_sd,
            np.bincount(r.neighbourhood, minlength=model.n_neighbourhoods))
        r.swemwbs_offset = model.cfg.wellbeing.swemwbs_person_sd * g.standard_normal(r.n)
        r.ls_offset = model.cfg.wellbeing.life_satisfaction_person_sd * g.standard_normal(r.n)
        self.lasting_mult = self.lasting(model)
        self.recovery_base = lc.recovery_per_year * np.exp(-lc.trait_recovery * r.lonely_trait.astype(np.float64))
        self.onset_base = lc.onset_per_year * self.lasting_mult
        self.ucla = UclaScore(r.lonely_trait, lc)
        # Own stream: the population stream has by now also seeded the groups, so drawing from it
        # here made the initial lonely residents depend on group levers (groups.count, ...).
        self.init_u = model.streams["initial_loneliness"].random(r.n)
        self.settle(model)
        wb = model.cfg.wellbeing
        self.target_table = self._target_table(wb).astype(np.float32)  # wellbeing is float32
        self.conf_gain = np.array([0.0, wb.confidence_per_attendance])
        self.conf_loss = np.array([0.0, wb.confidence_loss_lonely])
        # each resident's resting confidence is their confidence at the start; the weekly pull
        # towards it halves a deviation in wellbeing.confidence_half_life_weeks (assumption)
        self.conf_rest = r.confidence.copy()  # float32, as confidence is
        self.conf_pull = np.float32(-np.expm1(-np.log(2.0) / wb.confidence_half_life_weeks))

    def settle(self, model) -> None:
        """Who is lonely, at the steady state of the current ties and memberships (the same
        uniforms each time: the group warm start redraws it after the groups have settled)."""
        r = model.residents
        r.lonely = self.init_u < self.stationary(model)
        r.ucla = self.ucla.score(r.lonely, self.flags(r))

    def stationary(self, model, iterations: int = 100, tol: float = 1e-9) -> np.ndarray:
        """Each resident's stationary chance of being lonely under this week's rules (mean field:
        contacts lonely with their own stationary chances; attendance at its expected rate)."""
        from scipy import sparse

        r, c, net = model.residents, model.cfg, model.network
        # the expected lonely contacts, np.bincount(rows, weights=p[net.indices]) with rows the
        # residents repeated by their base degree, as a product with the 0/1 matrix of the base
        # ties (the network's own CSR arrays): scipy sums each row's terms in the same order from
        # zero, so the sums are the same to the last bit, in a third of the time
        # (tests/test_fast_paths.py checks the two agree)
        ties = sparse.csr_matrix((np.ones(net.indices.size), net.indices, net.indptr), shape=(r.n, r.n))
        degree = net.degree().astype(np.float64)
        attending = c.groups.attendance * (r.group >= 0)
        p = np.zeros(r.n)
        for _ in range(iterations):
            lonely_contacts = ties @ p
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

    def step(self, model, u) -> None:
        r, c = model.residents, model.cfg
        lonely = r.lonely
        lonely_contacts = model.network.count_flagged_neighbours(lonely, cache="lonely")
        flags = self.flags(r)
        # the rate each resident is exposed to: onset if not lonely, recovery if lonely.
        # p = 1 - exp(-rate) <= rate: only residents with u below their rate can switch; p exactly
        # for them. The exact rates are computed for those residents only: recovery for the lonely;
        # onset for the others whose u lies below a float32 bound on it (the same residents,
        # found with a few float32 operations instead of everyone's float64 rate; the plain
        # whole-array step is in tests/test_fast_paths.py, which checks that the two agree)
        u0 = u[0]
        switch = []
        lone = flatnonzero(lonely)
        if lone.size:
            other = model.network.degree_of(lone) - lonely_contacts[lone]
            rate = self.recovery(model, lone, other) / WEEKS_PER_YEAR
            below_rate = u0[lone] < rate
            cand, rate = lone[below_rate], rate[below_rate]
            switch.append(cand[u0[cand] < -np.expm1(-rate)])
        near = flatnonzero(u0 < self.onset_bound(model, lonely_contacts))
        near = near[~lonely[near]]
        rate = self.onset(model, lonely_contacts[near], flags[near], who=near) / WEEKS_PER_YEAR
        below_rate = u0[near] < rate
        cand, rate = near[below_rate], rate[below_rate]
        switch.append(cand[u0[cand] < -np.expm1(-rate)])
        switch = np.concatenate(switch)
        # lonely: stays unless u < p (recovers); not lonely: becomes lonely if u < p
        new_lonely = lonely.copy()
        new_lonely[switch] = ~new_lonely[switch]
        r.lonely = new_lonely
        r.ucla = self.ucla.score(new_lonely, flags)

        wb = c.wellbeing
        code = (popcount8(r.needs) << 3) | (new_lonely.view(np.uint8) << 2)
        code |= r.in_episode.view(np.uint8) << 1
        code |= r.attended.view(np.uint8)
        t = self.target_table[code.astype(np.intp)]
        w = r.wellbeing
        t -= w
        t *= np.float32(wb.adjustment)
        t += w
        r.wellbeing = np.clip(t, 0.0, 10.0)
        moved = flatnonzero(r.attended | new_lonely)
        conf = r.confidence
        # everyone is pulled back towards their resting level (gains fade and losses recover: no
        # ratchet); those who attended gain, the lonely lose
        t = self.conf_rest - conf
        t *= self.conf_pull
        t += conf
        t[moved] += (self.conf_gain.take(r.attended[moved].astype(np.intp))
                     - self.conf_loss.take(new_lonely[moved].astype(np.intp)))
        r.confidence = np.clip(t, 0.0, 1.0)
