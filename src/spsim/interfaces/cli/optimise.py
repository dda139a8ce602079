"""``spsim optimise``: the best mixes of levers within a yearly budget (NSGA-II, common random numbers)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ... import __version__
from ...io import atomic_output, check_output_dir, write_csv, write_json
from ...model.config import load_config, to_dict
from ...model.overrides import simulation_overrides
from ...studies.optimise import optimise
from ...studies.posterior import check_posterior, posterior_record
from ..report.optimise import build_optimise_report
from .common import nonneg_int, positive_int
from .compare import positive_float


def add_parser(sub) -> None:
    """Register ``spsim optimise`` on the CLI's subparsers."""
    o = sub.add_parser(
        "optimise", help="search mixes of link workers, community development, grants and connectors within a budget",
        description="Search the mix of link-worker FTE, community-development FTE, grants and community connectors "
                    "that avoids most loneliness and GP demand for a yearly budget, with optuna's NSGA-II on common "
                    "random numbers, and write the Pareto front (pareto.csv, trials.csv, report.html) to DIR.")
    o.add_argument("config", nargs="?", help="the place (.toml or .yaml); default: the built-in default town")
    o.add_argument("--budget", type=positive_float("budget"), required=True, metavar="GBP",
                   help="most the mix may cost a year, in £ (e.g. 150000)")
    o.add_argument("--overlay", action="append", default=[], metavar="FILE", help="apply another scenario file on top")
    o.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one parameter, e.g. --set population.size=10000 (repeatable)")
    o.add_argument("--trials", type=positive_int("trials"), default=24,
                   help="mixes to try, rounded up to whole generations (default 24)")
    o.add_argument("--population", type=positive_int("population"), default=8,
                   help="mixes per NSGA-II generation (default 8)")
    o.add_argument("--seed", type=nonneg_int, help="root seed (simulation.seed); also seeds the sampler")
    o.add_argument("--weeks", type=positive_int("weeks"), help="weeks to record (simulation.weeks)")
    o.add_argument("--replicates", type=positive_int("replicates"), default=None,
                   help="paired replicates per mix (default 3)")
    o.add_argument("--workers", type=positive_int("workers"), default=1, help="worker processes (default 1)")
    o.add_argument("--out", type=Path, required=True, help="results folder")
    o.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def cmd_optimise(args: argparse.Namespace) -> int:
    extra = simulation_overrides(args.seed, args.weeks, args.replicates or 3)
    cfg = load_config(args.config, [*args.overrides, *extra], overlays=args.overlay)
    check_posterior(cfg)  # a posterior set with --set simulation.posterior=...: checked before the search
    check_output_dir(args.out)
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        total = -(-args.trials // args.population) * args.population
        bar = tqdm(total=total, unit="mix", desc="optimise", file=sys.stderr, disable=None, leave=False)
    try:
        result = optimise(cfg, args.budget, args.trials, args.population, args.workers,
                          (lambda k: bar.update(k)) if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    source = args.config or "the default town"
    report = build_optimise_report(result, source)
    info = {"spsim_version": __version__, "config": to_dict(cfg), "source": source, "budget_gbp": args.budget,
            "trials": len(result.trials), "generations": result.generations,
            "population_size": result.population_size, "replicates": result.replicates,
            "sampler": "optuna NSGAIISampler", "overrides": list(args.overrides),
            "overlays": [str(o) for o in args.overlay], "posterior": posterior_record(cfg)}

    def write(tmp: Path) -> None:
        write_csv(result.frame(), tmp / "trials.csv")
        write_csv(result.front(), tmp / "pareto.csv")
        (tmp / "report.html").write_text(report.html, encoding="utf-8")
        for name, png in report.plots.items():
            (tmp / name).write_bytes(png)
        write_json(info, tmp / "run.json")

    atomic_output(args.out, write)
    if not args.quiet:
        front = result.front()
        print(f"{len(result.trials)} mixes tried within £{args.budget:,.0f} a year; {len(front)} on the Pareto front:")
        for r in front.itertuples():
            print(f"  £{r.planned_cost_gbp:>9,.0f}: {r.link_worker_fte:.1f} link-worker FTE, {r.development_fte:.1f} "
                  f"development FTE, £{r.grants_gbp:,.0f} grants, {int(r.connectors)} connectors -> "
                  f"{r.lonely_py_avoided:.1f} lonely person-years and {r.gp_avoided:.0f} GP consultations avoided "
                  "a year")
        print(f"results in {args.out}/: report.html, pareto.csv, trials.csv, run.json, plot_pareto.png")
    return 0
