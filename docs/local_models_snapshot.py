"""Print the three illustrative tables of docs/local-models.md ("What the models give").

    PYTHONPATH=src python docs/local_models_snapshot.py            # print them (about half a minute)
    PYTHONPATH=src python docs/local_models_snapshot.py --write    # write them into docs/local-models.md
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
DOC = Path(__file__).resolve().parent / "local-models.md"
PARTS = ("small", "covid", "full")
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


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def small() -> tuple[str, list[str]]:
    """The 10,000-resident table, and one line per model of what else happened (for the prose)."""
    rows, notes = [], []
    for m in MODELS:
        r = one(m, 10_000)
        s, t = r["s"], r["ts"]
        rows.append([m, f"{r['fte']:.2f}", f"{s.lonely_share_mean:.2%}", f"{s.gp_consultations_per_person_year:.2f}",
                     f"{s.referrals_total:,.0f} ({t.referrals_connector:,.0f} / {t.referrals_outreach:,.0f})",
                     f"{s.clients_supported_total:,.0f}", dash(s.lw_wait_weeks_mean, "{:.1f}"),
                     f"{s.groups_active_final:.0f}", f"{r['cost']:,.0f}"])
        extra = []
        if t.signposted_to_groups:
            extra.append(f"connectors placed {t.signposted_to_groups:,.0f} residents straight into groups")
        if t.programme_completions:
            extra.append(f"{t.programme_completions:,.0f} finished a programme")
        n = r["groups_started"]
        extra.append(f"{n} group{'' if n == 1 else 's'} started")
        notes.append(f"{m}: " + "; ".join(extra))
    header = ["model", "link-work FTE", "lonely share (mean)", "GP consultations per person-year",
              "referrals (by connectors / outreach)", "clients supported", "mean wait (weeks)",
              "open groups at the end", "scheme cost (GBP, year)"]
    return _table(header, rows), notes


def covid() -> str:
    rows = []
    for m in MODELS:
        r = one(m, 10_000, covid=True)
        s, t = r["s"], r["ts"]
        rows.append([m, f"{s.referrals_total:,.0f} ({t.referrals_outreach:,.0f})", f"{s.lw_waiting_mean:,.0f}",
                     dash(s.lw_wait_weeks_mean, "{:.1f}"), f"{s.lonely_share_mean:.2%}",
                     f"{s.gp_consultations_per_person_year:.2f}", f"{s.formal_volunteering_share_mean:.1%}"])
    header = ["model", "referrals (of which outreach and shielding calls)", "mean waiting list", "mean wait (weeks)",
              "lonely share (mean)", "GP consultations per person-year", "formal volunteering (mean)"]
    return _table(header, rows)


def full() -> str:
    rows = []
    for m in MODELS:
        r = one(m)
        s = r["s"]
        rows.append([m, f"{r['residents']:,}", f"{r['fte']:g}", f"{s.lonely_share_mean:.2%}",
                     f"{s.referrals_total:,.0f}", f"{s.clients_supported_total:,.0f}",
                     dash(s.clients_per_fte_year, "{:.0f}"), dash(s.lw_wait_weeks_mean, "{:.1f}"),
                     f"{s.lw_waiting_mean:,.0f}", f"{r['cost']:,.0f}"])
    header = ["model", "residents", "link-work FTE", "lonely share (mean)", "referrals", "clients supported",
              "clients per FTE-year", "mean wait (weeks)", "mean waiting list", "scheme cost (GBP, year)"]
    return _table(header, rows)


def replace_block(text: str, name: str, table: str) -> str:
    """``text`` with the lines between ``<!-- BEGIN local_models_snapshot NAME -->`` and its END
    marker replaced by ``table``; a ValueError if the markers are missing or out of order."""
    begin, end = f"<!-- BEGIN local_models_snapshot {name} -->", f"<!-- END local_models_snapshot {name} -->"
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"{DOC.name}: no '{begin}' ... '{end}' block")
    return text[: i + len(begin)] + "\n" + table + "\n" + text[j:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=PARTS, action="append",
                    help="make only this table (repeatable; default all three)")
    ap.add_argument("--write", action="store_true",
                    help=f"write the tables into {DOC.relative_to(DOC.parents[1])} between its markers "
                         "instead of printing them")
    args = ap.parse_args()
    text = DOC.read_text(encoding="utf-8")
    for part in args.only or PARTS:
        if part == "small":
            table, notes = small()
            print("\n".join(notes))
        else:
            table = covid() if part == "covid" else full()
        if args.write:
            text = replace_block(text, part, table)
        else:
            print(f"## {part}\n\n{table}\n")
    if args.write:
        DOC.write_text(text, encoding="utf-8")
        print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
