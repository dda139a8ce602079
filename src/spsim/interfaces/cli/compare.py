"""``spsim compare``: scenarios on common random numbers, written as a report for planners."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd

from ... import __version__
from ...errors import UsageError
from ...io import atomic_output, claim_output, write_csv, write_json, write_parquet
from ...model.config import to_dict
from ...model.overrides import simulation_overrides
from ...model.scaling import describe, scale_place
from ...studies.compare import load_scenarios, run_comparison
from ...studies.planning import fte_needed
from ..report import build_report
from ..report.planner import decision_frame
from .common import add_run_options, out_dir, run_options


def positive_float(name: str):
    """An argparse type: a finite number above zero (e.g. --max-wait 12, --budget 150000)."""

    def conv(text: str) -> float:
        try:
            v = float(text.replace(",", "").replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not math.isfinite(v) or v <= 0:
            raise argparse.ArgumentTypeError(f"{name} must be a number above 0, got {text!r}")
        return v

    return conv


def add_parser(sub) -> None:
    """Register ``spsim compare`` on the CLI's subparsers."""
    c = sub.add_parser(
        "compare", help="compare scenarios on the same residents and luck: comparison.csv, report.html, plots",
        description="Run every scenario on the same residents and the same luck (common random numbers) and "
                    "write comparison.csv, a self-contained report.html and PNG plots to DIR. The baseline is the "
                    "first CONFIG unless --baseline is given. Seed, replicates, weeks, burn-in and population "
                    "size are taken from the baseline for every scenario (the report lists any change). --seed, "
                    "--weeks, --replicates, --set and --overlay apply to every scenario.")
    c.add_argument("configs", nargs="+", metavar="CONFIG", help="scenario files (.toml or .yaml)")
    c.add_argument("--baseline", metavar="CONFIG", help="the scenario to compare against (default: the first CONFIG)")
    add_run_options(c, out_suffix="-compare", replace=True, posterior=True)
    c.add_argument("--max-wait", type=positive_float("max-wait"), metavar="WEEKS",
                   help="the longest acceptable mean wait for a link worker: gives each scenario a verdict and "
                        "searches for the link-worker FTE that keeps the wait within it (default verdict: 12 weeks, "
                        "no search)")


def cmd_compare(args: argparse.Namespace) -> int:
    if args.posterior is not None and "," in args.posterior:
        return _compare_regimes(args)
    say = _say(args)
    options = run_options(args)
    scenarios = load_scenarios(args.configs, args.baseline, args.overrides, args.overlay, options=options)
    out = out_dir(args, scenarios[0].cfg, "-compare")
    claim_output(out, "compare", replace=args.replace)
    comp, report, info = _run_one(args, scenarios, options, say)
    atomic_output(out, lambda tmp: _write_one(tmp, comp, report, info), kind="compare")
    if not args.quiet:
        print(report.text_summary)
        extra = ", parameters.csv, sensitivity.csv" if comp.posterior is not None else ""
        print(f"results in {out}/: report.html, decision.csv, comparison.csv, replicates.csv, equity.csv, "
              f"horizons.csv, uncertainty.csv{extra}, timeseries.parquet, run.json and {len(report.plots)} PNG plots")
    return 0


def _compare_regimes(args: argparse.Namespace) -> int:
    """``--posterior A,B,...``: the comparison once per posterior (evidence regime), each in its own
    folder, and regimes.csv + report.html setting them side by side (docs/compare.md)."""
    from ...studies.posterior import resolve
    from ...studies.regimes import parse_regimes, regimes_table
    from ..report.regimes import regimes_html

    try:
        names = parse_regimes(args.posterior)
    except ValueError as e:
        raise UsageError(str(e)) from None
    say = _say(args)
    per, labels, options = {}, {}, {}
    for spec in names:  # every posterior checked before anything runs or is written
        opts = simulation_overrides(args.seed, args.weeks, args.replicates, spec)  # this regime's run options
        scenarios = load_scenarios(args.configs, args.baseline, args.overrides, args.overlay, options=opts)
        label = resolve(spec)[1]  # the built-in name, or the file's stem: a folder and a column name
        if label in per:
            raise UsageError(f"--posterior {args.posterior!r}: two posteriors are both called {label!r}; "
                             "rename one file")
        per[label], labels[label], options[label] = scenarios, spec, opts
    names = list(per)
    first = per[names[0]]
    out = out_dir(args, first[0].cfg, "-compare")
    claim_output(out, "compare", replace=args.replace)
    runs = {}
    for name in names:
        say(f"regime {name}: {len(per[name])} scenarios x {first[0].cfg.simulation.replicates} replicates")
        runs[name] = _run_one(args, per[name], options[name], say)
    frame = regimes_table({n: runs[n][0].table for n in names})
    regimes = [{"name": n, "believes": list(runs[n][0].posterior.get("provenance", {}).get("believes", [])),
                "sets": runs[n][0].posterior["distinct_sets_used"], "sha256": runs[n][0].posterior["sha256"],
                "spec": labels[n], "path": runs[n][0].posterior.get("path", "")} for n in names]
    html = regimes_html(frame, regimes, first[0].name, first[0].cfg.simulation.replicates)

    def write(tmp: Path) -> None:
        for n in names:
            (tmp / n).mkdir()
            _write_one(tmp / n, *runs[n])
        write_csv(frame, tmp / "regimes.csv")
        (tmp / "report.html").write_text(html, encoding="utf-8")
        write_json({"spsim_version": __version__, "baseline": first[0].name, "regimes": regimes,
                    "seed": first[0].cfg.simulation.seed, "replicates": first[0].cfg.simulation.replicates,
                    "overrides": list(args.overrides), "overlays": [str(o) for o in args.overlay]},
                   tmp / "run.json")

    atomic_output(out, write, kind="compare")
    if not args.quiet:
        for r in frame.itertuples():
            shares = ", ".join(f"{n} {getattr(r, f'share_{n}'):.0%}" for n in names)
            print(f"{r.scenario}: {r.question}: {shares} -> {r.conclusion}")
        print(f"results in {out}/: report.html, regimes.csv, run.json and one folder per regime "
              f"({', '.join(names)}) with its full comparison")
    return 0


def _say(args: argparse.Namespace):
    """Progress notes on standard error, or nothing with ``--quiet``."""
    return (lambda *a: None) if args.quiet else (lambda msg: print(f"spsim compare: {msg}", file=sys.stderr))


def _run_one(args: argparse.Namespace, scenarios, options: list[str], say):
    """One comparison of ``scenarios``, loaded with the run ``options`` (``simulation.*``; under
    several posteriors, this regime's own): (Comparison, Report, run.json's record)."""
    for sc in scenarios[1:]:
        for key, have, used in sc.adjusted:
            say(f"'{sc.name}' ({sc.source}) uses the baseline's {key} = {used} (its file gives {have}), "
                "so that every scenario has the same residents and luck")
    for sc in scenarios:
        line = describe(sc.cfg, scale_place(sc.cfg)[1])
        if line:
            say(f"'{sc.name}' {line}")
    sim = scenarios[0].cfg.simulation
    if sim.replicates < 2:
        say("1 replicate: no intervals can be computed; use --replicates 10 or more for decisions")

    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=len(scenarios) * sim.replicates, unit="run", desc=f"compare x{sim.replicates}",
                   file=sys.stderr, disable=None, leave=False)
    try:
        comp = run_comparison(scenarios, args.workers, (lambda _r: bar.update(1)) if bar is not None else None)
        comp.overrides, comp.overlays = [*args.overrides, *options], [str(o) for o in args.overlay]
        if args.max_wait is not None:
            comp.max_wait, comp.max_wait_given = float(args.max_wait), True
            for sc in scenarios:
                if sc.cfg.link_workers.fte > 0:
                    say(f"searching the link-worker FTE that keeps '{sc.name}' waits within {args.max_wait:g} weeks")
                    comp.fte_search.append(fte_needed(sc.name, sc.cfg, float(args.max_wait), args.workers))
    finally:
        if bar is not None:
            bar.close()
    report = build_report(comp)

    info = {
        "spsim_version": __version__,
        "baseline": scenarios[0].name,
        "scenarios": [
            {"name": sc.name, "source": sc.source, "config": to_dict(sc.cfg),
             "adjusted_to_baseline": [{"key": k, "in_file": a, "used": b} for k, a, b in sc.adjusted],
             "population_described": sc.cfg.population.described, "population_scaling": sc.cfg.population.scaling,
             "scaled": [s.as_dict() for s in scale_place(sc.cfg)[1]]}
            for sc in scenarios
        ],
        "overrides": list(args.overrides), "overlays": [str(o) for o in args.overlay],
        "seed": sim.seed, "replicates": sim.replicates,
        "service_cost_columns": comp.service_cost_columns, "grants_recorded": comp.grants_recorded,
        "plots": sorted(report.plots),
        "max_wait_weeks": comp.max_wait, "max_wait_given": comp.max_wait_given,
        "posterior": comp.posterior,
    }
    return comp, report, info


def _write_one(tmp: Path, comp, report, info) -> None:
    write_csv(comp.table, tmp / "comparison.csv")
    write_csv(comp.values, tmp / "replicates.csv")
    write_csv(decision_frame(comp), tmp / "decision.csv")
    write_csv(comp.equity, tmp / "equity.csv")
    write_csv(comp.horizons, tmp / "horizons.csv")
    write_csv(comp.uncertainty, tmp / "uncertainty.csv")
    if comp.posterior is not None:
        write_csv(comp.parameters, tmp / "parameters.csv")
        write_csv(comp.sensitivity, tmp / "sensitivity.csv")
    if comp.fte_search:
        write_csv(pd.DataFrame([{k: v for k, v in vars(f).items() if k != "evaluations"}
                                | {"evaluations": "; ".join(f"{x:g}:{w:.3f}" for x, w in f.evaluations)}
                                for f in comp.fte_search]), tmp / "fte_needed.csv")
    write_parquet(comp.timeseries, tmp / "timeseries.parquet")
    (tmp / "report.html").write_text(report.html, encoding="utf-8")
    for name, png in report.plots.items():
        (tmp / name).write_bytes(png)
    write_json(info, tmp / "run.json")
