"""The spsim model: one place, week by week.

The weekly order (the brief's, written once, here):

1. life events: illness episodes and non-medical needs arise and resolve   (LifeEvents)
2. ties: group co-attendance forms ties, unused ones fade                   (Ties)
3. loneliness and wellbeing update                                          (Loneliness)
4. help-seeking: GP consultations within capacity, A&E attendances          (HelpSeeking)
5. referral routes: GP willingness and referral, self-referral, community
   connectors, proactive outreach and shielding calls, in-reach and talks to
   groups, voluntary sector, social care; refusal                           (Referral)
6. workforce: turnover, vacancies, recruitment, leave, caseload handover    (Workforce)
7. link work: waiting list, contacts, matching, discharge, drop-out         (LinkWork)
8. groups: leaving, volunteers, places, money, closures, new groups, attendance (Groups)
9. volunteering and spillover                                               (Volunteering)
10. record outcomes and costs                                               (Recorder)

Each step is a :class:`~spsim.mechanisms.base.Mechanism`: a small module with whole-array
rules and its own random stream. ``WEEKLY_ORDER`` below is the single place the order is set.
"""

from __future__ import annotations

from collections import Counter

import mesa
import numpy as np

from .agents import CommunityGroup, GPPractice, LinkWorker, Resident
from .breakdown import GroupOutcomes
from .mechanisms.base import Mechanism
from .mechanisms.groups import Groups
from .mechanisms.help_seeking import HelpSeeking
from .mechanisms.life_events import LifeEvents
from .mechanisms.link_work import LinkWork, StandIn
from .mechanisms.loneliness import Loneliness
from .mechanisms.referral import Referral
from .mechanisms.ties import Ties
from .mechanisms.volunteering import Volunteering
from .mechanisms.workforce import Workforce
from .network import build_network
from .outcomes import Recorder
from .params import Config
from .population import (
    add_attributes,
    add_programmes,
    build_link_workers,
    build_practices,
    build_residents,
    new_group_rows,
    seed_group_memberships,
)
from .rng import STREAM_IDS, Streams, replicate_seeds
from .scaling import scale_place
from .tables import GroupTable

WEEKLY_ORDER: tuple[type[Mechanism], ...] = (
    LifeEvents,
    Ties,
    Loneliness,
    HelpSeeking,
    Referral,
    Workforce,
    LinkWork,
    Groups,
    Volunteering,
)


class SocialPrescribingModel(mesa.Model):
    """A place with residents, GP practices, link workers and community groups.

    Parameters
    ----------
    cfg:
        The scenario (defaults to the built-in default town).
    replicate:
        Replicate number; its seeds are ``SeedSequence(cfg.simulation.seed).spawn(...)[replicate]``.
    seed_seq:
        Give the replicate's SeedSequence directly instead (the runner does).
    agents:
        Create one Mesa agent per resident (default). Practices, link workers and groups are
        always Mesa agents.
    analyzers:
        Plug-ins with ``init(model)`` and ``apply(model)``; ``apply`` runs at the end of every
        week (after outcomes are recorded), e.g. :class:`spsim.analyzers.ResidentHistory`.
    """

    def __init__(
        self,
        cfg: Config | None = None,
        replicate: int = 0,
        seed_seq: np.random.SeedSequence | None = None,
        agents: bool = True,
        analyzers: list | tuple = (),
    ):
        cfg = cfg or Config()
        # a smaller or larger copy of the place keeps its per-capita provision (model/scaling.py)
        self.cfg_given = cfg
        cfg, self.scaled = scale_place(cfg)
        if seed_seq is None:
            seed_seq = replicate_seeds(cfg.simulation.seed, replicate + 1)[replicate]
        self.streams = Streams(seed_seq)
        super().__init__(rng=self.streams["mesa"])
        self.cfg = cfg
        self.replicate = replicate
        self.week = 0  # weeks since the start of burn-in
        self.tally: Counter = Counter()
        self.recent_wait_weeks = 0.0  # the wait the service quotes (weeks, smoothed), seen by referrers

        pop_rng = self.streams["population"]
        self.network, household, hh_size, self.sociability = build_network(
            cfg.population, cfg.network, self.streams["network"]
        )
        self.residents = build_residents(cfg, pop_rng, household, hh_size)
        self.n_neighbourhoods = int(self.residents.neighbourhood.max()) + 1
        self.practices = build_practices(cfg, self.residents)
        self.link_workers = build_link_workers(cfg)
        self.groups = GroupTable(0, capacity=max(cfg.groups.count, 16))
        new_group_rows(self.groups, cfg.groups.count, cfg, pop_rng, self.n_neighbourhoods, 0)
        seed_group_memberships(cfg, self.residents, self.groups, pop_rng)
        add_programmes(cfg, self.groups, self.n_neighbourhoods)
        add_attributes(cfg, self.residents, self.streams["attributes"])
        self.unmet_by_kind = np.zeros(6)  # recent unmet demand for group places, by kind

        n = self.residents.n
        self.seen_gp = np.zeros(n, bool)
        self.seen_social = np.zeros(n, bool)
        self.referred_this_week = np.zeros(n, bool)
        self.discharged = np.zeros(n, bool)
        self.ae_this_week = np.zeros(n, bool)
        self.intake_this_week = np.zeros(n, bool)
        self.refused_this_week = np.zeros(n, bool)
        self.taken_on = np.zeros(0, np.int64)
        self.taken_on_waits = np.zeros(0, np.int64)
        self.group_outcomes = GroupOutcomes(n)

        for i in range(self.practices.n):
            GPPractice(self, i)
        for i in range(self.link_workers.n):
            LinkWorker(self, i)
        for i in range(self.groups.n):
            CommunityGroup(self, i)
        if agents:
            # Build time only (about 3 us per resident, Mesa's registration): the weekly step never
            # loops over residents, it works on self.residents' arrays.
            for i in range(n):
                Resident(self, i)

        self.mechanisms: list[Mechanism] = [m() for m in WEEKLY_ORDER]
        for m in self.mechanisms:
            m.init(self)
        Groups()._update_capacity(self)
        self._warm_start_groups()
        # connectors are the scheme's: trained when it starts, after the group sector's warm start
        self._train_connectors()
        self.recorder = Recorder(cfg.simulation.weeks)
        self.analyzers = list(analyzers)
        for a in self.analyzers:
            a.init(self)

    def _train_connectors(self) -> None:
        k = self.cfg.connectors.count
        r = self.residents
        key = self.streams["connectors"].random(r.n)  # drawn whatever k is: common random numbers
        if k:
            vols = np.flatnonzero(r.volunteer)
            r.connector[vols[np.argsort(key[vols], kind="stable")][:k]] = True

    def _warm_start_groups(self) -> None:
        """Start the group sector at its steady state: run the groups and volunteering steps
        alone for ``groups.warm_start_weeks`` weeks (weeks ``-W .. -1``), the rest of the town held
        still, then draw who is lonely again at the steady state of the warmed-up memberships.

        Volunteers serve about two years (``groups.volunteer_stop_per_year``) and groups live about
        five (``groups.fold_per_year``, money), so without this the sector drifted for a decade
        after the usual one-year burn-in (measured, default town: group volunteers +36% between
        the first and last two of ten recorded years). The weeks draw from their own stream
        (``group_warm_start``) a fixed block each, and the groups step's own fixed blocks from the
        community streams, whatever the levers (common random numbers).

        The service is held still too, but stands in at capacity
        (:class:`~spsim.model.mechanisms.link_work.StandIn`): without its discharges the
        warm start settled at the spillover-free sector (group volunteers 55 against the full
        model's 77 at 10,000 residents) and the default town's volunteers rose +8.4 +- 3.2 over ten
        recorded years (24 seeds; +3.6 +- 3.2 with the stand-in: docs/ODD.md 5.9)."""
        weeks = self.cfg.groups.warm_start_weeks
        if weeks == 0:
            return
        steps = [m for m in self.mechanisms if isinstance(m, Groups | Volunteering)]
        n = self.residents.n
        self.week = -weeks
        service = StandIn(self)  # the service, held still, stands in at capacity
        for _ in range(weeks):
            # its discharges make spillover volunteers (the volunteering step)
            self.discharged = service.discharged(
                self.streams.draws("group_warm_start", 0, n, self.week, part=STREAM_IDS["link_work"]))
            for mech in steps:
                mech.step(self, self.streams.draws("group_warm_start", mech.rows, n, self.week,
                                                   part=STREAM_IDS[mech.stream]))
            self.week += 1
        self.discharged = np.zeros(n, bool)
        self.tally.clear()
        for m in self.mechanisms:
            if isinstance(m, Loneliness):
                m.settle(self)

    @property
    def lockdown(self) -> bool:
        """Whether this week falls inside the configured lockdown shock."""
        sh = self.cfg.shock
        if sh.start_week < 0 or sh.weeks == 0:
            return False
        start = self.cfg.simulation.burn_in_weeks + sh.start_week
        return start <= self.week < start + sh.weeks

    @property
    def total_link_worker_fte(self) -> float:
        return float(self.cfg.link_workers.fte + sum(t.fte for t in self.cfg.teams))

    @property
    def link_worker_pay_per_year(self) -> float:
        """Salaries of every team before on-costs (GBP per year)."""
        lw = self.cfg.link_workers
        return float(lw.fte * lw.salary_gbp + sum(
            t.fte * (lw.salary_gbp if t.salary_gbp is None else t.salary_gbp) for t in self.cfg.teams))

    # ------------------------------------------------------------------ running
    @property
    def recorded_week(self) -> int:
        """Weeks since the end of burn-in (0 during burn-in)."""
        return max(self.week - self.cfg.simulation.burn_in_weeks, 0)

    @property
    def n_residents(self) -> int:
        return self.residents.n

    def step(self) -> None:
        """Advance one week, in the documented order."""
        self.tally.clear()
        self.tally["lockdown"] = int(self.lockdown)
        for mech in self.mechanisms:
            mech.step(self, self.luck(mech))
        self.week += 1
        if self.week > self.cfg.simulation.burn_in_weeks:
            before = self.recorder.i
            self.recorder.record(self, self.tally)
            if self.recorder.i > before:
                self.group_outcomes.record(self)
        for a in self.analyzers:
            a.apply(self)
        self.running = self.recorder.i < self.recorder.weeks

    def luck(self, mech: Mechanism):
        """This week's luck for ``mech`` (:class:`spsim.model.rng.Draws`): its full rows from its
        stream and its keyed decisions."""
        return self.streams.draws(mech.stream, mech.rows, self.residents.n, self.week)

    def run(self, progress=None) -> None:
        """Run burn-in and all recorded weeks. ``progress(weeks_done)`` is called each week."""
        total = self.cfg.simulation.burn_in_weeks + self.cfg.simulation.weeks
        while self.week < total:
            self.step()
            if progress is not None:
                progress(1)

    def timeseries(self):
        return self.recorder.frame()

    def summary_by_group(self):
        """Outcomes over the recorded weeks by deprivation, age, sex, condition and practice."""
        return self.group_outcomes.frame(self)

    # ------------------------------------------------------------------ views
    @property
    def residents_set(self) -> mesa.agent.AgentSet:
        return self.agents_by_type.get(Resident, mesa.agent.AgentSet([], random=self.random))
