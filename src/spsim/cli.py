"""Command line: ``spsim run``, ``spsim validate``, ``spsim params`` (and ``spsim app``, see :mod:`spsim.app`).

Bad input (a config file, an override, an option) ends with one line on stderr naming the file
and field, exit status 2, no traceback, and nothing written.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from .app import add_parser as add_app_parser
from .app import cmd_app
from .compare import add_parser as add_compare_parser
from .compare import cmd_compare
from .config import ConfigError, load_config, simulation_overrides, to_dict
from .io import OutputError, atomic_output, check_output_dir, write_csv, write_json, write_parquet
from .outcomes import COLUMNS
from .params import Config, parameter_table
from .sweep import add_parsers as add_sweep_parsers
from .sweep import cmd_sensitivity, cmd_sweep

EXIT_USAGE = 2


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    """argparse, but errors are one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _positive_int(name: str):
    def conv(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got {text!r}") from None
        if v < 1:
            raise argparse.ArgumentTypeError(f"{name} must be at least 1, got {v}")
        return v

    return conv


def _nonneg_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be a whole number, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"seed must be 0 or more, got {v}")
    return v


def build_parser() -> Parser:
    p = Parser(prog="spsim", description="Agent-based simulation of a local social prescribing system.")
    p.add_argument("--version", action="version", version=f"spsim {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    def scenario_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("config", nargs="?", help="scenario file (.toml or .yaml); default: the built-in default town")
        sp.add_argument("--overlay", action="append", default=[], metavar="FILE",
                        help="apply another scenario file on top (repeatable), e.g. a shock overlay")
        sp.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override one parameter, e.g. --set link_workers.fte=3 (repeatable)")

    r = sub.add_parser("run", help="run a scenario and write its results")
    scenario_args(r)
    r.add_argument("--seed", type=_nonneg_int, help="root seed (simulation.seed)")
    r.add_argument("--weeks", type=_positive_int("weeks"), help="weeks to record (simulation.weeks)")
    r.add_argument("--replicates", type=_positive_int("replicates"), help="replicates (simulation.replicates)")
    r.add_argument("--workers", type=_positive_int("workers"), default=1, help="worker processes (default 1)")
    r.add_argument("--out", type=Path, help="results folder (default: results/<scenario name>)")
    r.add_argument("--quiet", action="store_true", help="no progress bar or summary")

    e = sub.add_parser("evaluate", help="true effect of the service vs pre-post and matched-control estimates")
    scenario_args(e)
    e.add_argument("--seed", type=_nonneg_int, help="root seed (simulation.seed)")
    e.add_argument("--replicates", type=_positive_int("replicates"), help="replicates (simulation.replicates)")
    e.add_argument("--workers", type=_positive_int("workers"), default=1, help="worker processes (default 1)")
    e.add_argument("--out", type=Path, help="results folder (default: results/<scenario name>-evaluation)")
    e.add_argument("--quiet", action="store_true", help="no summary")

    tg = sub.add_parser("targets", help="simulated vs evidence targets (mean and 95%% interval over replicates)")
    scenario_args(tg)
    tg.add_argument("--replicates", type=_positive_int("replicates"), default=5, help="replicates (default 5)")
    tg.add_argument("--workers", type=_positive_int("workers"), default=1, help="worker processes (default 1)")
    tg.add_argument("--out", type=Path, help="also write targets.csv to this folder")

    ca = sub.add_parser("calibrate", help="ABC-rejection calibration of the default town against the targets")
    scenario_args(ca)
    ca.add_argument("--samples", type=_positive_int("samples"), default=200, help="prior samples (default 200)")
    ca.add_argument("--seed", type=_nonneg_int, default=1, help="seed for the design and the runs (default 1)")
    ca.add_argument("--workers", type=_positive_int("workers"), default=1, help="worker processes (default 1)")
    ca.add_argument("--replicates", type=_positive_int("replicates"), default=1,
                    help="replicates per sample, averaged (default 1)")
    ca.add_argument("--from-posterior", type=Path, metavar="CSV",
                    help="narrow the priors to the 5-95%% range of a previous round's posterior.csv")
    ca.add_argument("--out", type=Path, required=True, help="folder for samples.csv and posterior.csv")
    add_compare_parser(sub)

    v = sub.add_parser("validate", help="check a scenario file and print the resolved config")
    scenario_args(v)

    add_sweep_parsers(sub, _positive_int)  # spsim sweep, spsim sensitivity

    pp = sub.add_parser("params", help="list every parameter with unit, range, default and source")
    pp.add_argument("--markdown", action="store_true", help="as a Markdown table")

    add_app_parser(sub)
    return p


# ------------------------------------------------------------------------------------ helpers
def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):  # TOML basic string: escape quote, backslash and control characters
        return '"' + "".join(
            "\\" + c if c in '"\\' else f"\\u{ord(c):04x}" if (c < " " and c != "\t") or c == "\x7f" else c
            for c in v
        ) + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return repr(v)


def dump_toml(data: dict[str, Any]) -> str:
    """The resolved config as TOML: sections of scalars, and lists of sections as [[arrays]]."""
    lines = []
    tables = []
    for section, values in data.items():
        if isinstance(values, list):
            tables.extend((section, item) for item in values)
            continue
        lines.append(f"[{section}]")
        lines.extend(f"{k} = {_fmt(v)}" for k, v in values.items())
        lines.append("")
    for section, item in tables:  # after the plain sections, so TOML reads them back the same
        lines.append(f"[[{section}]]")
        lines.extend(f"{k} = {_fmt(v)}" for k, v in item.items())
        lines.append("")
    return "\n".join(lines)


def _load(args: argparse.Namespace, extra: list[str] = ()) -> Config:
    return load_config(args.config, [*args.overrides, *extra], overlays=args.overlay)


def cmd_validate(args: argparse.Namespace) -> int:
    cfg = _load(args)
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
    from .runner import run

    cfg = _load(args, simulation_overrides(args.seed, args.weeks, args.replicates))
    out = args.out or Path("results") / cfg.simulation.name
    check_output_dir(out)

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

    atomic_output(out, write)
    if not args.quiet:
        print(f"spsim {__version__}: {sim.name}, {cfg.population.size:,} residents, {sim.weeks} weeks "
              f"(+{sim.burn_in_weeks} burn-in), {sim.replicates} replicate(s), seed {sim.seed}, "
              f"{result.wall_seconds:.1f} s")
        print("\n".join(_summary_lines(summary, sim.replicates)))
        print(f"results in {out}/: timeseries.parquet, timeseries.csv, summary.csv, run.json")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluation import MIN_TOTAL_WEEKS, evaluate, narrative, plot

    extra = simulation_overrides(args.seed, None, args.replicates)
    cfg = _load(args, extra)
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
    from .calibration import check_targets

    cfg = _load(args, [f"simulation.replicates={args.replicates}"])
    if args.out:
        check_output_dir(args.out)
    table = check_targets(cfg, workers=args.workers)
    print(f"{'target':55s} {'band':>15s} {'simulated (95% interval)':>34s}  inside")
    for row in table.itertuples():
        band = f"{row.low:g}-{row.high:g}"
        sim = f"{row.mean:.3g} ({row.ci_low:.3g} to {row.ci_high:.3g})"
        print(f"{row.label:55s} {band:>15s} {sim:>34s}  {'yes' if row.inside else 'NO'}")
    print(f"{cfg.simulation.replicates} replicates of {cfg.population.size:,} residents, {cfg.simulation.weeks} weeks")
    if args.out:
        atomic_output(args.out, lambda tmp: write_csv(table, tmp / "targets.csv"))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    import pandas as pd

    from .calibration import PRIORS, calibrate, narrowed_priors, posterior_summary

    cfg = _load(args, [f"simulation.replicates={args.replicates}"])
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


COMMANDS = {"calibrate": cmd_calibrate, "targets": cmd_targets, "evaluate": cmd_evaluate, "run": cmd_run,
            "validate": cmd_validate, "params": cmd_params, "compare": cmd_compare, "app": cmd_app,
            "sweep": cmd_sweep, "sensitivity": cmd_sensitivity}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        rc = COMMANDS[args.command](args)
        sys.stdout.flush()  # meet a closed pipe here rather than at interpreter exit
        return rc
    except (UsageError, ConfigError, OutputError) as e:
        print(f"spsim: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader went away (`spsim params | head`): stop quietly, like other tools
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141  # 128 + SIGPIPE, what a shell reports
    except KeyboardInterrupt:
        print("spsim: interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
