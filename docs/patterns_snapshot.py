"""Print the numbers behind the "Patterns" table in docs/ODD.md (section 1.2).

    PYTHONPATH=src python docs/patterns_snapshot.py          # about a minute on one core

Part A runs the default town (3 replicates) and prints the calibration targets it is compared
with. Part B runs the same town with no link workers (the counterfactual) for three years and
measures two patterns the run outputs do not show: regression to the mean of frequent attenders
and how loneliness clusters on the network (1 to 3 steps away). Numbers only, no assertions:
these are checks of the model against evidence, not tests of the code.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from spsim.model import SocialPrescribingModel
from spsim.model.config import load_config
from spsim.studies.runner import run


def part_a() -> None:
    cfg = load_config(None, ["simulation.replicates=3"])
    res = run(cfg)
    s, ts = res.summary(), res.timeseries()
    g = ts.groupby("replicate").sum(numeric_only=True)
    fte_years = cfg.link_workers.fte * cfg.simulation.weeks / 52
    accepted = g.referrals - g.referrals_refused
    print(f"A. default town, {cfg.population.size:,} residents, {cfg.simulation.weeks} weeks after "
          f"{cfg.simulation.burn_in_weeks} burn-in, replicates 0-2, seed {cfg.simulation.seed}")
    first, last = ts.groupby("week").lonely_share.mean().iloc[[0, -1]]
    rows = [
        ("lonely share (mean of weeks)", s.lonely_share_mean, "{:.1%}"),
        ("lonely share, first recorded week", first, "{:.1%}"),
        ("lonely share, last recorded week", last, "{:.1%}"),
        ("GP consultations per person-year", s.gp_consultations_per_person_year, "{:.2f}"),
        ("consultations mainly social", s.gp_social_share, "{:.1%}"),
        ("A&E attendances per 1,000 per year", s.ae_attendances_per_1000_year, "{:.0f}"),
        ("referrals refused", s.referral_refusal_share, "{:.1%}"),
        ("clients taken on and engaged per FTE-year", s.clients_per_fte_year, "{:.0f}"),
        ("clients supported to discharge per FTE-year", g.clients_supported / fte_years, "{:.0f}"),
        ("engaged intake / referrals", g.lw_intake / g.referrals, "{:.1%}"),
        ("engaged intake / accepted referrals", g.lw_intake / accepted, "{:.1%}"),
        ("engaged / (taken on + reneged) (summary)", s.engagement_share, "{:.1%}"),
        ("mean wait (weeks)", s.lw_wait_weeks_mean, "{:.1f}"),
        ("formal volunteering share (monthly)", s.formal_volunteering_share_mean, "{:.1%}"),
        ("open groups, last week", s.groups_active_final, "{:.0f}"),
    ]
    for label, col, fmt in rows:
        col = np.asarray(col, float)
        lo, hi = fmt.format(col.min()), fmt.format(col.max())
        print(f"  {label:46s} {fmt.format(col.mean())}  (replicates {lo} to {hi})")


def part_b(size: int = 50_000) -> None:
    cfg = load_config(None, [f"population.size={size}", "link_workers.fte=0", "simulation.burn_in_weeks=0",
                             "simulation.weeks=156"])
    m = SocialPrescribingModel(cfg, agents=False)
    per_year = np.zeros((3, size))
    for w in range(156):
        m.step()
        per_year[w // 52] += m.seen_gp
    y2, y3 = per_year[1], per_year[2]
    top = y2 >= np.quantile(y2, 0.9)
    print(f"B. no link workers, {size:,} residents, years 2 and 3 of a run without burn-in, replicate 0")
    print(f"  top 10% of attenders in year 2: {y2[top].mean():.1f} consultations -> {y3[top].mean():.1f} in year 3 "
          f"({y3[top].mean() / y2[top].mean() - 1:+.0%}); everyone: {y2.mean():.2f} -> {y3.mean():.2f}")
    print(f"  share of year-2 consultations used by that top 10%: {y2[top].sum() / y2.sum():.0%}")

    # Loneliness 1-3 steps from a lonely resident vs from a random one (end of year 3).
    lonely = m.residents.lonely
    graph = m.network.to_networkx()
    rng = np.random.default_rng(1)

    def share_at_distance(egos):
        hits, seen = np.zeros(4), np.zeros(4)
        for e in egos:
            for v, d in nx.single_source_shortest_path_length(graph, int(e), cutoff=3).items():
                if d:
                    hits[d] += lonely[v]
                    seen[d] += 1
        return hits[1:] / seen[1:]

    from_lonely = share_at_distance(rng.choice(np.flatnonzero(lonely), 1500, replace=False))
    from_random = share_at_distance(rng.choice(size, 1500, replace=False))
    odds = lambda p: p / (1 - p)  # noqa: E731
    print(f"  lonely share {lonely.mean():.1%}; odds ratio of being lonely, alter of a lonely vs a random resident:")
    for d in range(3):
        print(f"    distance {d + 1}: {from_lonely[d]:.1%} vs {from_random[d]:.1%}, "
              f"odds ratio {odds(from_lonely[d]) / odds(from_random[d]):.2f}")


if __name__ == "__main__":
    part_a()
    part_b()
