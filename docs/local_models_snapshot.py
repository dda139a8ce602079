"""Print the three illustrative tables of docs/local-models.md ("What the models give").

    PYTHONPATH=src python docs/local_models_snapshot.py            # about two minutes on one core
    PYTHONPATH=src python docs/local_models_snapshot.py --only small

One replicate of each local model, 52 recorded weeks after the scenario's own burn-in, the
scenario's seed:

- ``small``: every model at 10,000 residents (``--set population.size=10000``; the place is
  scaled with its population, docs/places.md);
- ``covid``: the same with the COVID-19 overlay (``configs/overlays/covid19.toml``);
- ``full``: every file at its own population size.

These are the same runs as ``spsim run configs/<m>.toml [--overlay ...] [--set population.size=10000]
--weeks 52``, made in one process. Numbers only, no assertions: the tables illustrate the local
models, they are not checks of the code.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from spsim.model.config import load_config
from spsim.model.scaling import scale_place
from spsim.studies.runner import run_replicate

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
MODELS = ["baseline", "pcn-link-worker", "frome", "northern-devon", "st-austell", "kingsbridge",
          "cullompton", "city-and-hackney", "southern-staffordshire"]
COVID = CONFIGS / "overlays" / "covid19.toml"
COSTS = ["cost_link_workers_gbp", "cost_development_gbp", "cost_programmes_gbp", "cost_grants_gbp"]


def one(name: str, size: int | None = None, covid: bool = False):
    overrides = [f"population.size={size}"] if size else []
    cfg = load_config(CONFIGS / f"{name}.toml", overrides, [COVID] if covid else [],
                      options=["simulation.weeks=52", "simulation.replicates=1"])
    scaled = scale_place(cfg)[0]
    fte = scaled.link_workers.fte + sum(t.fte for t in scaled.teams)
    res = run_replicate(cfg, 0)
    ts, s = res.timeseries, pd.Series(res.summary)
    return {
        "residents": cfg.population.size, "fte": fte, "s": s,
        "ts": ts.sum(numeric_only=True), "cost": sum(float(s[c]) for c in COSTS),
        "groups_started": int(ts.groups_started.sum()),
    }


def dash(x: float, fmt: str) -> str:
    return "-" if x != x else fmt.format(x)  # NaN (nobody taken on) as a dash


def small(covid: bool) -> None:
    rows = {m: one(m, 10_000, covid) for m in MODELS}
    if not covid:
        print("| model | link-work FTE | lonely share (mean) | GP consultations per person-year | referrals "
              "(by connectors / outreach) | clients supported | mean wait (weeks) | open groups at the end "
              "| scheme cost (GBP, year) |")
        print("|---|---|---|---|---|---|---|---|---|")
        for m, r in rows.items():
            s, t = r["s"], r["ts"]
            print(f"| {m} | {r['fte']:.2f} | {s.lonely_share_mean:.2%} | {s.gp_consultations_per_person_year:.2f} "
                  f"| {s.referrals_total:,.0f} ({t.referrals_connector:,.0f} / {t.referrals_outreach:,.0f}) "
                  f"| {s.clients_supported_total:,.0f} | {dash(s.lw_wait_weeks_mean, '{:.1f}')} "
                  f"| {s.groups_active_final:.0f} | {r['cost']:,.0f} |")
        print()
        for m, r in rows.items():
            t = r["ts"]
            extra = []
            if t.signposted_to_groups:
                extra.append(f"connectors placed {t.signposted_to_groups:,.0f} residents straight into groups")
            if t.programme_completions:
                extra.append(f"{t.programme_completions:,.0f} finished a programme")
            n = r["groups_started"]
            extra.append(f"{n} group{'' if n == 1 else 's'} started")
            print(f"  {m}: " + "; ".join(extra))
    else:
        print("| model | referrals (of which outreach and shielding calls) | mean waiting list | mean wait (weeks) "
              "| lonely share (mean) | GP consultations per person-year | formal volunteering (mean) |")
        print("|---|---|---|---|---|---|---|")
        for m, r in rows.items():
            s, t = r["s"], r["ts"]
            print(f"| {m} | {s.referrals_total:,.0f} ({t.referrals_outreach:,.0f}) | {s.lw_waiting_mean:,.0f} "
                  f"| {dash(s.lw_wait_weeks_mean, '{:.1f}')} | {s.lonely_share_mean:.2%} "
                  f"| {s.gp_consultations_per_person_year:.2f} | {s.formal_volunteering_share_mean:.1%} |")


def full() -> None:
    print("| model | residents | link-work FTE | lonely share (mean) | referrals | clients supported "
          "| clients per FTE-year | mean wait (weeks) | mean waiting list | scheme cost (GBP, year) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for m in MODELS:
        r = one(m)
        s = r["s"]
        print(f"| {m} | {r['residents']:,} | {r['fte']:g} | {s.lonely_share_mean:.2%} | {s.referrals_total:,.0f} "
              f"| {s.clients_supported_total:,.0f} | {dash(s.clients_per_fte_year, '{:.0f}')} "
              f"| {dash(s.lw_wait_weeks_mean, '{:.1f}')} | {s.lw_waiting_mean:,.0f} | {r['cost']:,.0f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=["small", "covid", "full"], action="append",
                    help="print only this table (repeatable; default all three)")
    parts = ap.parse_args().only or ["small", "covid", "full"]
    for part in parts:
        print(f"## {part}\n")
        small(False) if part == "small" else small(True) if part == "covid" else full()
        print()


if __name__ == "__main__":
    main()
