"""``spsim evaluate``, ``spsim targets`` and ``spsim calibrate``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ... import __version__
from ...errors import ConfigError
from ...io import atomic_output, check_output_dir, write_csv, write_json, write_parquet
from ...model.config import load_config, simulation_overrides, to_dict
from .common import load


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ...studies.evaluation import MIN_TOTAL_WEEKS, evaluate, narrative, plot

    extra = simulation_overrides(args.seed, None, args.replicates)
    cfg = load(args, extra)
    if cfg.link_workers.fte + sum(t.fte for t in cfg.teams) <= 0:
        raise ConfigError(args.config or "<built-in default>", "link_workers.fte",
                          "is 0 (and no extra team has FTE): there is no service to evaluate")
    sim = cfg.simulation
    if sim.burn_in_weeks + sim.weeks < MIN_TOTAL_WEEKS:
        weeks = MIN_TOTAL_WEEKS - sim.burn_in_weeks
        cfg = load_config(args.config, [*args.overrides, *extra, f"simulation.weeks={weeks}"], overlays=args.overlay)
        if not args.quiet:
            print(f"spsim evaluate: running {weeks} weeks after burn-in so every referral has a year before and after",
                  file=sys.stderr)
    out = args.out or Path("results") / f"{cfg.simulation.name}-evaluation"
    check_output_dir(out)
    per_resident, est = evaluate(cfg, workers=args.workers)
    text = narrative(est, per_resident, cfg)

    def write(tmp: Path) -> None:
        write_csv(est, tmp / "evaluation.csv")
        write_parquet(per_resident, tmp / "evaluation_residents.parquet")
        (tmp / "evaluation.md").write_text(
            f"# Evaluation of '{cfg.simulation.name}'\n\n{text}\n\n![estimates](evaluation.png)\n", encoding="utf-8")
        if len(per_resident):
            plot(est, tmp / "evaluation.png")
        write_json({"spsim_version": __version__, "config": to_dict(cfg), "seed": cfg.simulation.seed,
                    "cohort": int(len(per_resident))}, tmp / "run.json")

    atomic_output(out, write)
    if not args.quiet:
        print(text)
        print(f"results in {out}/: evaluation.csv, evaluation.md, evaluation.png, evaluation_residents.parquet")
    return 0


def cmd_targets(args: argparse.Namespace) -> int:
    from ...studies.calibration import check_targets

    cfg = load(args, [f"simulation.replicates={args.replicates}"])
    if args.out:
        check_output_dir(args.out)
    table = check_targets(cfg, workers=args.workers)
    print(f"{'target':55s} {'band':>15s} {'simulated (95% interval)':>34s}  inside")
    for row in table.itertuples():
        band = f"{row.low:g}-{row.high:g}"
        sim = f"{row.mean:.3g} ({row.ci_low:.3g} to {row.ci_high:.3g})"
        mark = "" if row.evidence else "  (input check*)"
        print(f"{row.label:55s} {band:>15s} {sim:>34s}  {'yes' if row.inside else 'NO'}{mark}")
    print(f"{cfg.simulation.replicates} replicates of {cfg.population.size:,} residents, {cfg.simulation.weeks} weeks")
    if not table["evidence"].all():
        print("* reads back a parameter set from the same figure: a consistency check, not evidence")
    if args.out:
        atomic_output(args.out, lambda tmp: write_csv(table, tmp / "targets.csv"))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    import pandas as pd

    from ...studies.calibration import PRIORS, calibrate, narrowed_priors, posterior_summary

    cfg = load(args, [f"simulation.replicates={args.replicates}"])
    check_output_dir(args.out)
    priors = PRIORS
    if args.from_posterior is not None:
        src = str(args.from_posterior)
        try:
            priors = narrowed_priors(pd.read_csv(args.from_posterior))
        except FileNotFoundError:
            raise ConfigError(src, None, "file not found") from None
        except (KeyError, ValueError, pd.errors.ParserError) as e:
            raise ConfigError(src, None, f"not a posterior.csv from spsim calibrate ({e})") from None
    samples = calibrate(cfg, args.samples, seed=args.seed, workers=args.workers, priors=priors)
    post = posterior_summary(samples, priors)

    def write(tmp: Path) -> None:
        write_csv(samples, tmp / "samples.csv")
        write_csv(post, tmp / "posterior.csv")

    atomic_output(args.out, write)
    print(f"accepted {int(samples.accepted.sum())} of {len(samples)} samples (every target inside its band)")
    print(post.to_string(index=False))
    return 0
