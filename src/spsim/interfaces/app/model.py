"""The classroom town: :class:`~spsim.model.SocialPrescribingModel` built from keyword parameters
(what the app rebuilds on *Reset*), recording a weekly series with a :class:`mesa.DataCollector`.

The town first settles for the preset's burn-in weeks without link workers (so start-up drifts, e.g.
group membership filling up, are over before the class watches); week 0 is that settled town, and
the link-worker service opens in week 1, so its waiting list builds up in front of the class. Towns
built with the same seed are identical at week 0 whatever the levers say (common random numbers):
what differs later is the levers' doing.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from ...model.agents import LinkWorker
from ...model.mechanisms.link_work import LinkWork
from ...model.mechanisms.workforce import Workforce
from ...model.population import build_link_workers
from ...model.simulation import SocialPrescribingModel
from .presets import CLASSROOM, CLASSROOM_WEEKS, classroom_config

#: the classroom defaults (the sliders' starting positions: the classroom preset's own values)
DEFAULTS = {"population": 2000, "fte": 0.15, "spillover": 0.15, "groups": 6, "preset": CLASSROOM, "seed": "1"}


def _lonely_pct(m) -> float:
    return 100.0 * float(m.residents.lonely.mean())


def _weekly(key: str):
    """A reporter for a count made during the week: missing (NaN) before the first week."""
    return lambda m: float(m.tally[key]) if m.recorded_week > 0 else math.nan


def referral_chance(m) -> float:
    """This week's chance (%) that a GP refers a recognised social need, as the referral rule uses it
    (mechanisms/referral.py): the practices' willingness (mean over registered patients; discharges
    fed back raise it, R1, and the quoted wait divides it, B1), times the app's multiplier if any."""
    c, pr = m.cfg, m.practices
    mult = c.app.gp_referral_multiplier if c.app.enabled else 1.0
    return 100.0 * min(float(np.average(pr.referral, weights=pr.list_size)) * mult, 1.0)


def _dropped(m) -> float:
    return float(m.tally["lw_dropouts"] + m.tally["lw_not_engaged"]) if m.recorded_week > 0 else math.nan


#: DataCollector model reporters: column -> function of the model (one row per week, week 0 first)
REPORTERS = {
    "Week": lambda m: m.recorded_week,
    "Share lonely (%)": _lonely_pct,
    "GP appointments asked for": _weekly("gp_requests"),
    "GP appointments for a social problem": _weekly("gp_social_consultations"),
    "Waiting for a link worker": lambda m: int(np.count_nonzero(m.residents.lw_status == 1)),
    "On a link-worker caseload": lambda m: int(np.count_nonzero(m.residents.lw_status == 2)),
    "Caseload places": lambda m: int(m.link_workers.caseload_cap.sum()) if m.link_workers.n else 0,
    # the funded places of posts filled this week: a vacancy (workforce turnover, mechanisms/workforce.py)
    # takes its places away until the post is filled again
    "Caseload places, posts filled": lambda m: (int(m.link_workers.caseload_cap[m.link_workers.in_post].sum())
                                                if m.link_workers.n else 0),
    "Group volunteers": lambda m: int(np.count_nonzero(m.residents.volunteer_group >= 0)),
    "Places in open groups": lambda m: int(m.groups.places[m.groups.open].sum()) if m.groups.n else 0,
    "Residents in a group": lambda m: int(np.count_nonzero(m.residents.group >= 0)),
    "Referrals": _weekly("referrals"),
    "A&E attendances": _weekly("ae_attendances"),
    "Groups open": lambda m: int(m.groups.open.sum()) if m.groups.n else 0,
    "Mean wellbeing (0-10)": lambda m: float(m.residents.wellbeing.mean(dtype=np.float64)),
    # this week's flows of the referral loop (see loop.py)
    "Referrals refused": _weekly("referrals_refused"),
    "Taken on by a link worker": _weekly("lw_taken_on"),
    "Gave up waiting": _weekly("lw_reneged"),
    "Supported to the end": _weekly("clients_supported"),
    "Dropped out": _dropped,
    "Signposted to a group": _weekly("signposted_to_groups"),
    "New volunteers (spillover)": _weekly("new_volunteers_spillover"),
    "Groups started": _weekly("groups_started"),
    "Groups closed": _weekly("groups_closed"),
    "GP referral chance (%)": referral_chance,
}


class ClassroomModel(SocialPrescribingModel):
    """A classroom town built from keyword parameters, for the app and for notebooks.

    Parameters
    ----------
    population: residents (a few hundred to a few thousand).
    fte: link-worker whole-time equivalents, as they are (see :mod:`.presets` for how the app scales
        a preset's FTE to the town's size when a preset is chosen).
    spillover: share of residents helped by a link worker who go on to volunteer for a group.
    groups: community groups at the start.
    preset: a preset name (see :func:`~.presets.discover_presets`).
    seed: root seed (the same seed and levers give the same town and the same luck).
    weeks: weeks before the model stops running.
    configs: folder of scenario files (default: see :func:`~.presets.configs_dir`).
    """

    def __init__(
        self,
        population: int = DEFAULTS["population"],
        fte: float = DEFAULTS["fte"],
        spillover: float = DEFAULTS["spillover"],
        groups: int = DEFAULTS["groups"],
        preset: str = DEFAULTS["preset"],
        seed: int | str = DEFAULTS["seed"],
        weeks: int = CLASSROOM_WEEKS,
        configs: str | None = None,
    ):
        cfg = classroom_config(population, fte, spillover, groups, preset, seed, weeks, configs)
        settle = cfg.model_copy(update={"link_workers": cfg.link_workers.model_copy(update={"fte": 0.0}),
                                        "teams": []})
        super().__init__(settle, replicate=0, agents=True)
        for _ in range(cfg.simulation.burn_in_weeks):  # settle without link work (not recorded)
            SocialPrescribingModel.step(self)
        # the service opens: link workers join, and from week 1 practices can refer to them
        self.cfg = cfg
        self.link_workers = build_link_workers(cfg)
        for i in range(self.link_workers.n):
            LinkWorker(self, i)
        for mech in self.mechanisms:  # mechanisms that keep per-post state start again with the new posts
            if isinstance(mech, Workforce | LinkWork):
                mech.init(self)
        self.preset = preset
        self.previous = None  # the series of the run before the last Reset (drawn faintly), if any
        self.previous_label = ""
        self._view = None
        self._pictures: dict = {}
        self.datacollector = mesa.DataCollector(model_reporters=REPORTERS)
        self.datacollector.collect(self)

    def step(self) -> None:
        super().step()
        self.datacollector.collect(self)

    def series(self):
        """The weekly series as a DataFrame indexed by week (week 0 = the settled town, before the
        link-worker service opens)."""
        return self.datacollector.get_model_vars_dataframe().set_index("Week")

    def keep_previous(self, old: ClassroomModel) -> None:
        """Remember ``old``'s run (if it ran at all, else what it remembered) to draw it faintly."""
        if old.recorded_week > 0:
            self.previous, self.previous_label = old.series(), old.short_label()
        else:
            self.previous, self.previous_label = old.previous, old.previous_label

    def places(self) -> int:
        return int(self.link_workers.caseload_cap.sum()) if self.link_workers.n else 0

    def short_label(self) -> str:
        c = self.cfg
        return (f"{self.preset}, {c.link_workers.fte:g} FTE, spillover {c.volunteering.spillover:.0%}, "
                f"{c.groups.count} groups, seed {c.simulation.seed}")

    def settings_line(self) -> str:
        """The levers this town was built with (sliders act on Reset, so these may differ from them)."""
        c = self.cfg
        service = (f"{c.link_workers.fte:g} FTE link work ({self.places()} caseload places)"
                   if self.link_workers.n else "no link workers")
        return (f"This town: {self.preset} · {self.residents.n:,} residents · {service} · "
                f"spillover {c.volunteering.spillover:.0%} · {c.groups.count} groups at the start · "
                f"seed {c.simulation.seed}")

    def summary_line(self) -> str:
        """This week's numbers for the whole town."""
        r = self.residents
        lonely = int(r.lonely.sum())
        waiting = int(np.count_nonzero(r.lw_status == 1))
        active = int(np.count_nonzero(r.lw_status == 2))
        vols = int(np.count_nonzero(r.volunteer_group >= 0))
        open_groups = int(self.groups.open.sum()) if self.groups.n else 0
        return (f"Week {self.recorded_week}: {lonely} lonely ({lonely / r.n:.1%}) · "
                f"{waiting} waiting for a link worker · {active} on a caseload · {vols} group volunteers · "
                f"{open_groups} groups open")

    def png(self, kind: str) -> bytes:
        """The kept figure of ``kind`` for this week as PNG bytes (what the page shows)."""
        self.picture(kind)
        return self._pictures[kind].png(self)

    @property
    def view(self):
        """The drawn sample and its layout, computed once per model (so once per reset)."""
        if self._view is None:
            from .town import TownView

            self._view = TownView.build(self)
        return self._view

    def picture(self, kind: str):
        """The app's kept figure of ``kind`` ("town", "trends" or "more"), updated to this week."""
        if kind not in self._pictures:
            from .town import TownPicture
            from .trends import MORE, TRENDS, TrendsPicture

            make = {"town": lambda: TownPicture(self), "trends": lambda: TrendsPicture(TRENDS, self),
                    "more": lambda: TrendsPicture(MORE, self)}
            self._pictures[kind] = make[kind]()
        return self._pictures[kind].update(self)
