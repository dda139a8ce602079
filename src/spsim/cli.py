"""Command line: ``spsim run``, ``spsim validate``, ``spsim params``.

Bad input (a config file, an override, an option) ends with one line on stderr naming the file
and field, exit status 2, no traceback, and nothing written.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from .config import ConfigError, load_config, to_dict
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

    v = sub.add_parser("validate", help="check a scenario file and print the resolved config")
    scenario_args(v)

    add_sweep_parsers(sub, _positive_int)  # spsim sweep, spsim sensitivity

    pp = sub.add_parser("params", help="list every parameter with unit, range, default and source")
    pp.add_argument("--markdown", action="store_true", help="as a Markdown table")
    return p


# ------------------------------------------------------------------------------------ helpers
def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(v)


def dump_toml(data: dict[str, dict[str, Any]]) -> str:
    """The resolved config as TOML (sections of scalars)."""
    lines = []
    for section, values in data.items():
        lines.append(f"[{section}]")
        lines.extend(f"{k} = {_fmt(v)}" for k, v in values.items())
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
            print("| " + " | ".join(str(c) for c in cells) + " |")
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

    extra = []
    if args.seed is not None:
        extra.append(f"simulation.seed={args.seed}")
    if args.weeks is not None:
        extra.append(f"simulation.weeks={args.weeks}")
    if args.replicates is not None:
        extra.append(f"simulation.replicates={args.replicates}")
    cfg = _load(args, extra)
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

    extra = []
    if args.seed is not None:
        extra.append(f"simulation.seed={args.seed}")
    if args.replicates is not None:
        extra.append(f"simulation.replicates={args.replicates}")
    cfg = _load(args, extra)
    if cfg.link_workers.fte <= 0:
        raise ConfigError(args.config or "<built-in default>", "link_workers.fte",
                          "is 0: there is no service to evaluate")
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


COMMANDS = {"evaluate": cmd_evaluate, "run": cmd_run, "validate": cmd_validate, "params": cmd_params,
            "sweep": cmd_sweep, "sensitivity": cmd_sensitivity}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return COMMANDS[args.command](args)
    except (UsageError, ConfigError, OutputError) as e:
        print(f"spsim: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("spsim: interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
