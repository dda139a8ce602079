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
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spsim.model.config import load_config
from spsim.model.params import Config
from spsim.studies.runner import run_replicate

CONFIGS = Path(__file__).parent.parent / "configs"
SCENARIOS = ["default", "baseline", "pcn-link-worker", "frome", "northern-devon", "st-austell", "kingsbridge",
             "cullompton", "city-and-hackney", "southern-staffordshire"]
SIZE = 10_000
YEARS = 10
SEEDS = (1, 2, 3)


def scaled(cfg: Config, size: int = SIZE) -> Config:
    """The same place at ``size`` residents: what scales with the place scaled with it."""
    s = size / cfg.population.size
    d = cfg.model_dump()
    d["population"]["size"] = size
    d["link_workers"]["fte"] *= s
    d["community_development"]["fte"] *= s
    for t in d["teams"]:
        t["fte"] *= s
    d["practices"]["count"] = max(1, round(d["practices"]["count"] * s))
    for key in ("groups", "connectors", "programmes"):
        n = d[key]["count"]
        d[key]["count"] = max(1, round(n * s)) if n else 0
    d["grants"]["budget_gbp_per_year"] *= s
    d["simulation"]["weeks"] = 52 * YEARS
    return Config.model_validate(d)


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


#: scenarios that settled on the feedback branch but not after merging the people and place changes
#: beside it (measured 2026-12-01, issue 13 stays open): strictly marked, so one that settles again fails.
#: City & Hackney settles again once GPs refer lonely patients at any consultation (branch people2,
#: full suite 2026-12-02: it passed its strict xfail).
NOT_SETTLED_AFTER_MERGE = {"default", "southern-staffordshire"}


@pytest.mark.slow
@pytest.mark.parametrize("name", [pytest.param(s, marks=pytest.mark.xfail(
    strict=True, reason="does not settle after the people/place merges; issue 13")) if s in NOT_SETTLED_AFTER_MERGE
    else s for s in SCENARIOS])
def test_settles_over_ten_recorded_years(name):
    cfg = scaled(load_config(None if name == "default" else CONFIGS / f"{name}.toml"))
    firsts, lasts = [], []
    for seed in SEEDS:
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
    cfg = load_config(CONFIGS / "southern-staffordshire.toml")
    small = scaled(cfg)
    s = SIZE / cfg.population.size
    assert small.population.size == SIZE
    assert small.link_workers.fte == pytest.approx(cfg.link_workers.fte * s)
    assert [t.fte for t in small.teams] == pytest.approx([t.fte * s for t in cfg.teams])
    assert small.groups.count == round(cfg.groups.count * s)
    assert small.grants.budget_gbp_per_year == pytest.approx(cfg.grants.budget_gbp_per_year * s)
