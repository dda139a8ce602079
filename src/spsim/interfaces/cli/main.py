"""The ``spsim`` command: one parser, one dispatch table, one place where errors become one line.

Bad input (a config file, an override, an option) ends with one line on stderr naming the file
and field, exit status 2, no traceback, and nothing written.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ... import __version__
from ...errors import ConfigError, OutputError, UsageError
from .app import add_parser as add_app_parser
from .app import cmd_app
from .common import EXIT_USAGE, Parser, nonneg_int, positive_int
from .compare import add_parser as add_compare_parser
from .compare import cmd_compare
from .run import cmd_params, cmd_run, cmd_validate
from .studies import cmd_calibrate, cmd_evaluate, cmd_targets
from .sweep import add_parsers as add_sweep_parsers
from .sweep import cmd_sensitivity, cmd_sweep


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
    r.add_argument("--seed", type=nonneg_int, help="root seed (simulation.seed)")
    r.add_argument("--weeks", type=positive_int("weeks"), help="weeks to record (simulation.weeks)")
    r.add_argument("--replicates", type=positive_int("replicates"), help="replicates (simulation.replicates)")
    r.add_argument("--workers", type=positive_int("workers"), default=1, help="worker processes (default 1)")
    r.add_argument("--out", type=Path, help="results folder (default: results/<scenario name>)")
    r.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    r.add_argument("--panel", choices=("weekly", "monthly", "quarterly"),
                   help="also write panel.parquet (one row per resident per period) and network.parquet "
                        "(docs/panel.md)")

    e = sub.add_parser("evaluate", help="true effect of the service vs pre-post and matched-control estimates")
    scenario_args(e)
    e.add_argument("--seed", type=nonneg_int, help="root seed (simulation.seed)")
    e.add_argument("--replicates", type=positive_int("replicates"), help="replicates (simulation.replicates)")
    e.add_argument("--workers", type=positive_int("workers"), default=1, help="worker processes (default 1)")
    e.add_argument("--out", type=Path, help="results folder (default: results/<scenario name>-evaluation)")
    e.add_argument("--quiet", action="store_true", help="no summary")

    tg = sub.add_parser("targets", help="simulated vs evidence targets (mean and 95%% interval over replicates)")
    scenario_args(tg)
    tg.add_argument("--replicates", type=positive_int("replicates"), default=5, help="replicates (default 5)")
    tg.add_argument("--workers", type=positive_int("workers"), default=1, help="worker processes (default 1)")
    tg.add_argument("--out", type=Path, help="also write targets.csv to this folder")

    ca = sub.add_parser("calibrate", help="ABC-rejection calibration of the default town against the targets")
    scenario_args(ca)
    ca.add_argument("--samples", type=positive_int("samples"), default=200, help="prior samples (default 200)")
    ca.add_argument("--seed", type=nonneg_int, default=1, help="seed for the design and the runs (default 1)")
    ca.add_argument("--workers", type=positive_int("workers"), default=1, help="worker processes (default 1)")
    ca.add_argument("--replicates", type=positive_int("replicates"), default=1,
                    help="replicates per sample, averaged (default 1)")
    ca.add_argument("--from-posterior", type=Path, metavar="CSV",
                    help="narrow the priors to the 5-95%% range of a previous round's posterior.csv")
    ca.add_argument("--out", type=Path, required=True, help="folder for samples.csv and posterior.csv")
    add_compare_parser(sub)

    v = sub.add_parser("validate", help="check a scenario file and print the resolved config")
    scenario_args(v)

    add_sweep_parsers(sub)  # spsim sweep, spsim sensitivity

    pp = sub.add_parser("params", help="list every parameter with unit, range, default and source")
    pp.add_argument("--markdown", action="store_true", help="as a Markdown table")

    add_app_parser(sub)
    return p



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
