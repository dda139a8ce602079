"""``spsim run``, ``spsim validate`` and ``spsim params``."""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

from ... import __version__
from ...io import atomic_output, claim_output, default_out, write_csv, write_json, write_parquet
from ...model.config import simulation_overrides, to_dict
from ...model.outcomes import COLUMNS
from ...model.params import parameter_table
from ...studies.limits import check_memory
from .common import dump_toml, load


def cmd_validate(args: argparse.Namespace) -> int:
    cfg = load(args)
    print(f"# {args.config or 'built-in default town'}: valid")
    print(dump_toml(to_dict(cfg)), end="")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    rows = parameter_table()
    if args.markdown:
        print("| key | default | unit | range | source | meaning |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            cells = (f"`{r['key']}`", r["default"], r["unit"], r["range"], r["source"], r["description"])
            print("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")  # '|' would split a cell
    else:
        for r in rows:
            print(f"{r['key']} = {r['default']!r}  [{r['unit']}; {r['range']}]  {r['description']}"
                  f"  (source: {r['source']})")
    return 0


def _summary_lines(summary, reps: int) -> list[str]:
    show = [
        ("lonely_share_mean", "share lonely (mean)", "{:.1%}"),
        ("gp_consultations_per_person_year", "GP consultations per person-year", "{:.2f}"),
        ("gp_social_share", "consultations mainly social", "{:.1%}"),
        ("ae_attendances_per_1000_year", "A&E attendances per 1,000 per year", "{:.0f}"),
        ("referrals_total", "referrals", "{:,.0f}"),
        ("lw_intake_total", "clients taken on", "{:,.0f}"),
        ("clients_per_fte_year", "clients per link-worker FTE-year", "{:.0f}"),
        ("lw_wait_weeks_mean", "mean wait for a link worker (weeks)", "{:.1f}"),
        ("clients_supported_total", "clients supported to discharge", "{:,.0f}"),
        ("groups_active_final", "active groups at the end", "{:.0f}"),
        ("volunteers_final", "group volunteers at the end", "{:,.0f}"),
    ]
    out = []
    for key, label, fmt in show:
        col = summary[key].dropna()
        if col.empty:
            out.append(f"  {label:38s} -")
            continue
        mean = fmt.format(col.mean())
        if reps > 1:
            lo, hi = col.quantile(0.025), col.quantile(0.975)
            out.append(f"  {label:38s} {mean}  (95% of replicates {fmt.format(lo)} to {fmt.format(hi)})")
        else:
            out.append(f"  {label:38s} {mean}")
    return out


def cmd_run(args: argparse.Namespace) -> int:
    from ...studies.runner import run

    cfg = load(args, simulation_overrides(args.seed, args.weeks, args.replicates))
    out = args.out or default_out(cfg.simulation.name)
    check_memory(cfg.population.size, min(args.workers, cfg.simulation.replicates))
    claim_output(out, "run", replace=getattr(args, "replace", False))

    sim = cfg.simulation
    total_weeks = (sim.burn_in_weeks + sim.weeks) * sim.replicates
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=total_weeks, unit="wk", desc=f"{sim.name} x{sim.replicates}", file=sys.stderr,
                   disable=None, mininterval=0.5, leave=False)
    try:
        result = run(cfg, workers=args.workers, progress=bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()

    ts, summary = result.timeseries(), result.summary()
    import mesa
    import numpy as np

    info = {
        "spsim_version": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
        "config": to_dict(cfg),
        "config_source": args.config or "built-in default",
        "overlays": [str(o) for o in args.overlay],
        "overrides": list(args.overrides),
        "seed": sim.seed,
        "replicate_seeds": result.seeds(),
        "columns": {k: {"unit": u, "meaning": m} for k, (u, m) in COLUMNS.items()},
        "timings": {
            "workers": result.workers,
            "wall_seconds": round(result.wall_seconds, 4),
            "build_seconds": [round(r.build_seconds, 4) for r in result.replicates],
            "run_seconds": [round(r.run_seconds, 4) for r in result.replicates],
            "resident_weeks_per_second": round(
                cfg.population.size * (sim.burn_in_weeks + sim.weeks) * sim.replicates
                / max(sum(r.run_seconds for r in result.replicates), 1e-9)),
        },
    }

    def write(tmp: Path) -> None:
        write_parquet(ts, tmp / "timeseries.parquet")
        write_csv(ts, tmp / "timeseries.csv")
        write_csv(summary, tmp / "summary.csv")
        write_json(info, tmp / "run.json")

    atomic_output(out, write, kind="run")
    if not args.quiet:
        print(f"spsim {__version__}: {sim.name}, {cfg.population.size:,} residents, {sim.weeks} weeks "
              f"(+{sim.burn_in_weeks} burn-in), {sim.replicates} replicate(s), seed {sim.seed}, "
              f"{result.wall_seconds:.1f} s")
        print("\n".join(_summary_lines(summary, sim.replicates)))
        print(f"results in {out}/: timeseries.parquet, timeseries.csv, summary.csv, run.json")
    return 0
