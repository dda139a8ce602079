"""Stationary when nothing changes: with constant levers the default town, the baseline and every
local model settle.

Each scenario is run at about 10,000 residents (everything that scales with the place scaled with
it: link-worker and developer FTE, groups, practices, connectors, programmes, grants) for ten
recorded years after the usual burn-in, over three seeds. For each seed the mean of the last two
recorded years minus the mean of the first two is the drift; the mean drift over seeds must lie
within a stated bound plus twice its standard error over the seeds (replicate noise: a town this
small has one or two link workers, and a vacancy halves the service for months). Stated bounds:

- lonely share: within 0.01 (a quarter of the ONS band's width, 0.05-0.09);
- engagement (intake / (taken on + reneged)): within 0.05 (under half the band's width, 0.70-0.82);
- mean wait of those taken on: within 3 weeks;
- waiting list: the last two years' mean at most 1.5 x the first's + 5 per 10,000 residents
  (the old model grew 15 -> 41 per 10,000 over five years and fails this);
- open groups and group volunteers: within 20% (+ 2).

The default town gets twelve seeds, not three. Its group sector at 10,000 residents is 12-15 groups,
and each replicate's drift of group volunteers over ten years has a standard deviation of about 16
(on a level of about 72): three seeds cannot estimate it (seeds 1-3 once gave +22 with a standard
error of 3). Measured over 24 seeds (1-24) with the group warm start's stand-in for the service
(docs/ODD.md 5.9): group volunteers +3.6 +- 3.2 (SE) from 72.2, open groups +0.53 +- 0.43 from 14.1,
neither distinguishable from zero (before the stand-in +8.4 +- 3.2 and +1.05 +- 0.39; the paired
difference -4.7 +- 2.3). The twelve seeds this test runs happen to be the high half: +11.3 +- 3.7
(seeds 13-24: -4.1 +- 4.2), inside the stated 20% + 2 plus twice their standard error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spsim.model.config import load_config
from spsim.model.params import Config
from spsim.model.scaling import scale_place
from spsim.studies.runner import run_replicate

CONFIGS = Path(__file__).parent.parent / "configs"
SCENARIOS = ["default", "baseline", "pcn-link-worker", "frome", "northern-devon", "st-austell", "kingsbridge",
             "cullompton", "city-and-hackney", "southern-staffordshire"]
SIZE = 10_000
YEARS = 10
SEEDS = (1, 2, 3)
#: the default town's small group sector swings widely from seed to seed: twelve seeds (see above)
SEEDS_FOR = {"default": tuple(range(1, 13))}


def scaled(cfg: Config, size: int = SIZE) -> Config:
    """The same place at ``size`` residents, scaled once by the model's own rule
    (:func:`spsim.model.scaling.scale_place`: FTE to whole caseload places, groups, practices,
    connectors, programmes, developers and grants with the place). The earlier copy of that rule
    here scaled a file that states ``population.described`` a second time inside the model, so
    City & Hackney at 10,000 residents ran with one caseload place and no groups."""
    pop = cfg.population
    described = pop.described or pop.size
    cfg = cfg.model_copy(update={
        "population": pop.model_copy(update={"size": size, "described": described}),
        "simulation": cfg.simulation.model_copy(update={"weeks": 52 * YEARS}),
    })
    return scale_place(cfg)[0]


def windows(ts):
    first, last = ts.iloc[:104], ts.iloc[-104:]

    def summary(w):
        taken = w["lw_taken_on"].sum()
        return {
            "lonely": w["lonely_share"].mean(),
            "waiting": w["lw_waiting"].mean(),
            "wait": float(np.nansum(w["lw_wait_weeks_mean"] * w["lw_taken_on"]) / taken) if taken else 0.0,
            "engagement": w["lw_intake"].sum() / (taken + w["lw_reneged"].sum()) if taken else np.nan,
            "groups": w["groups_active"].mean(),
            "volunteers": w["volunteers"].mean(),
        }

    return summary(first), summary(last)


@pytest.mark.slow
@pytest.mark.parametrize("name", SCENARIOS)
def test_settles_over_ten_recorded_years(name):
    cfg = scaled(load_config(None if name == "default" else CONFIGS / f"{name}.toml"))
    firsts, lasts = [], []
    for seed in SEEDS_FOR.get(name, SEEDS):
        ts = run_replicate(cfg.model_copy(update={"simulation": cfg.simulation.model_copy(update={"seed": seed})}),
                           0).timeseries
        a, b = windows(ts)
        firsts.append(a)
        lasts.append(b)
    msg = f"{name}: first two years {firsts}, last two years {lasts}"
    per10k = cfg.population.size / 10_000

    def drift(key, relative=False):
        d = np.array([b[key] - a[key] for a, b in zip(firsts, lasts, strict=True)], float)
        ok = np.isfinite(d)
        if not ok.any():
            return 0.0, 0.0
        d = d[ok]
        se = d.std(ddof=1) / np.sqrt(d.size) if d.size > 1 else 0.0
        return float(d.mean()), float(2 * se)

    for key, bound in (("lonely", 0.01), ("wait", 3.0), ("engagement", 0.05)):
        m, noise = drift(key)
        assert abs(m) <= bound + noise, f"{key} drifted {m:.3g} (bound {bound} + noise {noise:.3g}); {msg}"
    first_wait = np.mean([x["waiting"] for x in firsts])
    m, noise = drift("waiting")
    assert m <= 0.5 * first_wait + 5 * per10k + noise, f"waiting list grew {m:.3g}; {msg}"
    for key in ("groups", "volunteers"):
        m, noise = drift(key)
        level = np.mean([x[key] for x in firsts])
        assert abs(m) <= 0.2 * level + 2 + noise, f"{key} drifted {m:.3g} from {level:.3g}; {msg}"


def test_scaled_keeps_the_place_per_resident():
    """Scaled once: the model's own scaling then changes nothing, and per-resident provision is kept
    (FTE to within half a caseload place)."""
    cfg = load_config(CONFIGS / "southern-staffordshire.toml")
    small = scaled(cfg)
    s = SIZE / cfg.population.size
    assert small.population.size == SIZE
    assert scale_place(small)[1] == []  # nothing left to scale inside the model
    per = cfg.link_workers.caseload_per_fte
    assert abs(small.link_workers.fte - cfg.link_workers.fte * s) <= 0.5 / per + 1e-12
    for t_small, t in zip(small.teams, cfg.teams, strict=True):
        assert abs(t_small.fte - t.fte * s) <= 0.5 / t.caseload_per_fte + 1e-12
    assert small.groups.count == round(cfg.groups.count * s)
    assert small.grants.budget_gbp_per_year == pytest.approx(cfg.grants.budget_gbp_per_year * s)
    ch = scaled(load_config(CONFIGS / "city-and-hackney.toml"))
    assert ch.groups.count == round(85 * SIZE / 150_000)
    assert ch.link_workers.fte * ch.link_workers.caseload_per_fte == round(3 * 20 * SIZE / 150_000)


@pytest.mark.slow
def test_the_warm_starts_stand_in_discharges_what_a_running_service_does():
    """The group warm start stands in for the service at ``groups.warm_start_discharges_per_place_week``
    discharges per in-post caseload place a week (measured once, docs/ODD.md 5.9). Checked here
    against the running model, so a change to link work cannot leave it stale: the default town's
    service, which has a waiting list (it runs at capacity, as the stand-in assumes), discharges
    within 25% of that rate over three recorded years and three seeds (a 25% error in the stand-in
    is a quarter of the spillover volunteers it stands in for: about 5 of 75 at 10,000 residents)."""
    cfg = scaled(load_config(None))
    cfg = cfg.model_copy(update={"simulation": cfg.simulation.model_copy(update={"weeks": 156})})
    discharged = place_weeks = waiting = 0.0
    for seed in SEEDS:
        ts = run_replicate(cfg.model_copy(update={"simulation": cfg.simulation.model_copy(update={"seed": seed})}),
                           0).timeseries
        discharged += ts["clients_supported"].sum()
        place_weeks += (ts["lw_fte_in_post"] * cfg.link_workers.caseload_per_fte).sum()
        waiting += ts["lw_waiting"].mean() / len(SEEDS)
    assert not cfg.teams and waiting > 1, waiting  # one team, at capacity
    rate = discharged / place_weeks
    assert abs(rate / cfg.groups.warm_start_discharges_per_place_week - 1) <= 0.25, rate
