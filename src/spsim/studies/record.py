"""The planner's per-resident record: an analyzer that observes a model week by week.

:class:`PlannerRecord` observes the model at the end of every recorded week and keeps one counter
per resident (weeks lonely, weeks with a GP consultation or an A&E attendance, referrals, refusals,
starts with a link worker, discharges after support) plus the number of active community
connectors. It only reads model state; it changes nothing and draws no random numbers, so runs with
and without it are identical (tests/test_compare.py).

A refusal is read from state: a resident referred this week who is not on the waiting list or a
caseload at the end of the week and whose ``lw_since`` was not set this week (accepted referrals
that renege or fail to engage in the same week leave link work, which sets ``lw_since``). With
``referral.cooldown_weeks = 0`` a resident leaving link work and re-referred and refused in the same
week would be missed; the default cooldown is 26 weeks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.params import Config

#: the resident characteristics the equity tables break outcomes down by (ResidentTable columns)
DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("deprivation", "Deprivation quintile (1 least, 5 most deprived)"),
    ("age_band", "Age band"),
    ("practice", "GP practice"),
)
AGE_BANDS = {0: "under 25", 1: "25-64", 2: "65 and over"}
COUNTERS = ("lonely_weeks", "gp_weeks", "ae_weeks", "referrals", "refusals", "starts", "supported")


class PlannerRecord:
    """Per-resident counters over the recorded weeks (see the module docstring)."""

    def init(self, model) -> None:
        n = model.residents.n
        self.burn_in = model.cfg.simulation.burn_in_weeks
        self.counts = {k: np.zeros(n, np.int32) for k in COUNTERS}
        self.connectors = np.zeros(model.cfg.simulation.weeks, np.int64)
        self.caseload_places = int(model.link_workers.caseload_cap.sum()) if model.link_workers.n else 0
        self.i = 0

    def apply(self, model) -> None:
        if model.week <= self.burn_in or self.i >= self.connectors.size:
            return
        r, c = model.residents, self.counts
        week = model.week - 1  # the week just simulated
        c["lonely_weeks"] += r.lonely
        c["gp_weeks"] += model.seen_gp
        c["ae_weeks"] += model.ae_this_week
        referred = model.referred_this_week
        c["referrals"] += referred
        c["refusals"] += referred & (r.lw_status == 0) & (r.lw_since != week)
        c["starts"] += model.intake_this_week
        c["supported"] += model.discharged
        self.connectors[self.i] = np.count_nonzero(r.connector)
        self.i += 1


@dataclass
class PlannerReplicate:
    timeseries: pd.DataFrame  # the model's columns plus connectors and caseload_places
    groups: pd.DataFrame  # one row per dimension and group: residents and counter totals


def group_totals(residents, counts: dict[str, np.ndarray]) -> pd.DataFrame:
    """Sum every counter over residents within each group of each dimension (whole-array bincounts)."""
    frames = []
    for dim, _ in DIMENSIONS:
        key = np.asarray(getattr(residents, dim), np.int64)
        lo = int(key.min())
        k = key - lo
        size = int(k.max()) + 1
        data = {"dimension": dim, "group": np.arange(size) + lo, "residents": np.bincount(k, minlength=size)}
        for name, arr in counts.items():
            data[name] = np.bincount(k, weights=arr, minlength=size).astype(np.int64)
        frames.append(pd.DataFrame(data))
    out = pd.concat(frames, ignore_index=True)
    return out[out.residents > 0].reset_index(drop=True)


def run_planner_replicate(cfg: Config, replicate: int) -> PlannerReplicate:
    """One replicate with the planner's record (top level, so worker processes can call it)."""
    from ..model.rng import replicate_seeds
    from ..model.simulation import SocialPrescribingModel
    from .posterior import replicate_config

    cfg = replicate_config(cfg, replicate)  # its posterior set, if any (a no-op when already applied)
    rec = PlannerRecord()
    seed_seq = replicate_seeds(cfg.simulation.seed, cfg.simulation.replicates)[replicate]
    model = SocialPrescribingModel(cfg, replicate=replicate, seed_seq=seed_seq, agents=False, analyzers=[rec])
    model.run()
    ts = model.timeseries()
    ts["connectors"] = rec.connectors[: len(ts)]
    ts["caseload_places"] = np.int64(rec.caseload_places)
    return PlannerReplicate(ts, group_totals(model.residents, rec.counts))
