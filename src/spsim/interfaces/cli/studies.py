"""``spsim evaluate``, ``spsim targets`` and ``spsim calibrate``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ... import __version__
from ...errors import ConfigError
from ...io import atomic_output, check_output_dir, claim_output, write_csv, write_json, write_parquet
from ...model.config import to_dict
from ...studies.posterior import posterior_record
from .common import load, out_dir


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ...studies.evaluation import MIN_TOTAL_WEEKS, evaluate, narrative, plot

    cfg = load(args)
    if cfg.link_workers.fte + sum(t.fte for t in cfg.teams) <= 0:
        raise ConfigError(args.config or "<built-in default>", "link_workers.fte",
                          "is 0 (and no extra team has FTE): there is no service to evaluate")
    sim = cfg.simulation
    if sim.burn_in_weeks + sim.weeks < MIN_TOTAL_WEEKS:
        weeks = MIN_TOTAL_WEEKS - sim.burn_in_weeks
        cfg = load(args, [f"simulation.weeks={weeks}"])
        if not args.quiet:
            print(f"spsim evaluate: running {weeks} weeks after burn-in so every referral has a year before and after",
                  file=sys.stderr)
    out = out_dir(args, cfg, "-evaluation")
    claim_output(out, "evaluate", replace=args.replace)
    per_resident, est = evaluate(cfg, workers=args.workers)
    text = narrative(est, per_resident, cfg)
    post = posterior_record(cfg)
    if post is not None:
        text += (f" Each replicate's parameters were drawn from the posterior {post['name']} "
                 f"({post['distinct_sets_used']} distinct sets, the same set in both arms of a replicate), so the "
                 "intervals carry parameter uncertainty as well as noise.")

    def write(tmp: Path) -> None:
        write_csv(est, tmp / "evaluation.csv")
        write_parquet(per_resident, tmp / "evaluation_residents.parquet")
        (tmp / "evaluation.md").write_text(
            f"# Evaluation of '{cfg.simulation.name}'\n\n{text}\n\n![estimates](evaluation.png)\n", encoding="utf-8")
        if len(per_resident):
            plot(est, tmp / "evaluation.png")
        write_json({"spsim_version": __version__, "config": to_dict(cfg), "seed": cfg.simulation.seed,
                    "cohort": int(len(per_resident)), "posterior": post}, tmp / "run.json")

    atomic_output(out, write, kind="evaluate")
    if not args.quiet:
        print(text)
        print(f"results in {out}/: evaluation.csv, evaluation.md, evaluation.png, evaluation_residents.parquet")
    return 0


def cmd_targets(args: argparse.Namespace) -> int:
    from ...studies.calibration import check_targets

    cfg = load(args)
    if args.out:
        check_output_dir(args.out)
    reps = cfg.simulation.replicates
    if reps < 2 and not args.quiet:
        print("spsim targets: 1 replicate: no intervals; use --replicates 5 or more", file=sys.stderr)
    table = check_targets(cfg, workers=args.workers)
    if not args.quiet:
        print(f"{'target':55s} {'band':>15s} {'simulated (95% interval)':>34s}  inside")
        for row in table.itertuples():
            band = f"{row.low:g}-{row.high:g}"
            sim = f"{row.mean:.3g}" + (f" ({row.ci_low:.3g} to {row.ci_high:.3g})" if reps > 1 else "")
            mark = "" if row.evidence else "  (input check*)"
            print(f"{row.label:55s} {band:>15s} {sim:>34s}  {'yes' if row.inside else 'NO'}{mark}")
        print(f"{reps} replicate(s) of {cfg.population.size:,} residents, {cfg.simulation.weeks} weeks")
        if not table["evidence"].all():
            print("* reads back a parameter set from the same figure: a consistency check, not evidence")
    if args.out:
        atomic_output(args.out, lambda tmp: write_csv(table, tmp / "targets.csv"))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    import pandas as pd

    from ...studies.calibration import PRIORS, calibrate, narrowed_priors, posterior_summary

    cfg = load(args)
    if cfg.simulation.posterior:  # the calibration sets these parameters itself
        raise ConfigError(args.config or "<built-in default>", "simulation.posterior",
                          "a calibration draws its own parameter sets: run it without a posterior")
    out = out_dir(args, cfg, "-calibration")
    check_output_dir(out)
    if args.method == "history-matching":
        return _history_matching(args, cfg, out)
    priors = PRIORS
    if args.from_posterior is not None:
        src = str(args.from_posterior)
        try:
            priors = narrowed_priors(pd.read_csv(args.from_posterior))
        except FileNotFoundError:
            raise ConfigError(src, None, "file not found") from None
        except (KeyError, ValueError, pd.errors.ParserError) as e:
            raise ConfigError(src, None, f"not a posterior.csv from spsim calibrate ({e})") from None
    # the root seed draws the design and seeds sample i's runs with seed * 100000 + i
    samples = calibrate(cfg, args.samples, seed=cfg.simulation.seed, workers=args.workers, priors=priors)
    post = posterior_summary(samples, priors)

    def write(tmp: Path) -> None:
        write_csv(samples, tmp / "samples.csv")
        write_csv(post, tmp / "posterior.csv")

    atomic_output(out, write)
    if not args.quiet:
        print(f"accepted {int(samples.accepted.sum())} of {len(samples)} samples (every target inside its band)")
        print(post.to_string(index=False))
        print(f"results in {out}/: samples.csv, posterior.csv")
    return 0


def _history_matching(args: argparse.Namespace, cfg, out: Path) -> int:
    from ...studies.calibration import history_match_targets

    if args.points < 2:
        raise ConfigError("--points", None, "history matching needs at least 2 design points per wave")
    if args.evidence == "studies":
        return _history_matching_studies(args, cfg, out)
    sim = cfg.simulation  # --replicates: replicates per design point; --seed: the design and the runs
    res = history_match_targets(cfg, waves=args.waves, points=args.points, replicates=sim.replicates,
                                seed=sim.seed, workers=args.workers, scheduler=args.scheduler)
    table, accepted = res.table(), res.accepted()
    waves = [{"wave": w.number, "nroy_fraction": w.nroy_fraction, "points": len(w.design)} for w in res.waves]

    def write(tmp: Path) -> None:
        write_csv(table, tmp / "waves.csv")
        write_csv(accepted, tmp / "accepted.csv")
        write_json({"spsim_version": __version__, "method": "history matching", "seed": sim.seed,
                    "waves": waves, "replicates_per_point": sim.replicates,
                    "config": to_dict(cfg)}, tmp / "run.json")

    atomic_output(out, write)
    if args.quiet:
        return 0
    for w in waves:
        print(f"wave {w['wave']}: {w['points']} points from the {w['nroy_fraction']:.1%} of the box not ruled out")
    if res.exhausted:
        print(f"wave {len(waves) + 1}: nothing left: the evidence rules out the whole prior box "
              "(check the scenario's size and the priors)")
    print(f"{len(accepted)} parameter sets of the last wave lie inside every evidence band; "
          f"results in {out}/: waves.csv, accepted.csv, run.json")
    return 0


def _history_matching_studies(args: argparse.Namespace, cfg, out: Path) -> int:
    """The effect parameters against the simulated studies: one posterior per evidence regime."""
    import time

    from ...studies.history_matching import nroy_sample
    from ...studies.study_evidence import MIN_TOTAL_WEEKS, STUDY_TARGETS, history_match_studies, inside

    sim = cfg.simulation
    if sim.burn_in_weeks + sim.weeks < MIN_TOTAL_WEEKS:
        raise ConfigError(args.config or "<built-in default>", "simulation.weeks",
                          f"burn-in + weeks = {sim.burn_in_weeks + sim.weeks}: the simulated studies need at least "
                          f"{MIN_TOTAL_WEEKS} (a year before and after every referral in the window)")
    if cfg.link_workers.fte + sum(t.fte for t in cfg.teams) <= 0:
        raise ConfigError(args.config or "<built-in default>", "link_workers.fte",
                          "is 0 (and no extra team has FTE): there is no service whose effect could be calibrated")
    t0 = time.perf_counter()
    res = history_match_studies(cfg, waves=args.waves, points=args.points, replicates=sim.replicates,
                                seed=sim.seed, workers=args.workers, scheduler=args.scheduler)
    wall = time.perf_counter() - t0
    table = res.table()
    keys = [p.key for p in res.parameters]
    posteriors, summary = {}, []
    for regime, idx in res.regimes.items():
        sets, share = nroy_sample(res, regime, args.sets, seed=sim.seed)
        posteriors[regime] = pd_frame(sets, keys)
        believed = [res.observations[i].key for i in idx]
        last = table[table.wave == table.wave.max()]
        summary.append({"regime": regime, "believes": believed, "sets": len(sets), "nroy_share": share,
                        "last_wave_points_inside_bands": int(inside(last, believed).sum()),
                        "last_wave_points": len(last)})
    waves = [{"wave": w.number, "nroy_fraction": w.nroy_fraction, "points": len(w.design)} for w in res.waves]
    provenance = {
        "spsim_version": __version__, "method": "history matching with Gaussian-process emulators",
        "command": "spsim " + " ".join(sys.argv[1:]) if sys.argv[0].endswith(("spsim", "__main__.py")) else "",
        "seed": sim.seed, "waves": waves, "replicates_per_point": sim.replicates, "wall_seconds": round(wall, 1),
        "targets": [{"key": t.key, "label": t.label, "value": t.value, "sd": t.sd, "source": t.source,
                     "cohort": t.cohort, "index": t.index, "published_n": t.published_n}
                    for t in STUDY_TARGETS],
        "priors": [{"key": p.key, "low": p.low, "high": p.high} for p in res.parameters],
        "config": to_dict(cfg),
    }

    def write(tmp: Path) -> None:
        write_csv(table, tmp / "waves.csv")
        for regime, frame in posteriors.items():
            write_csv(frame, tmp / f"posterior-{regime}.csv")
            row = next(s for s in summary if s["regime"] == regime)
            write_json({**provenance, **row},
                       tmp / f"posterior-{regime}.json")
        write_json({**provenance, "regimes": summary}, tmp / "run.json")

    atomic_output(out, write)
    if not args.quiet:
        for w in waves:
            print(f"wave {w['wave']}: {w['points']} points from the {w['nroy_fraction']:.1%} of the box not ruled out "
                  "under some regime")
        for s in summary:
            print(f"{s['regime']:>12s}: {s['sets']} sets from the {s['nroy_share']:.1%} of the box not ruled out; "
                  f"{s['last_wave_points_inside_bands']} of the last wave's {s['last_wave_points']} points inside "
                  "its bands")
        print(f"results in {out}/: waves.csv, posterior-<regime>.csv and .json, run.json ({wall:.0f} s)")
    return 0


def pd_frame(values, keys):
    import pandas as pd

    return pd.DataFrame(values, columns=keys)
