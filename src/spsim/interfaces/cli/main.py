"""The ``spsim`` command: one parser, one dispatch table, one place where errors become one line.

Bad input (a config file, an override, an option) ends with one line on stderr naming the file
and field, exit status 2, no traceback, and nothing written.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ... import __version__
from ...errors import ConfigError, OutputError, UsageError, one_line
from .app import add_parser as add_app_parser
from .app import cmd_app
from .common import EXIT_USAGE, HELP, Parser, add_run_options, add_scenario_options, positive_int
from .compare import add_parser as add_compare_parser
from .compare import cmd_compare
from .optimise import add_parser as add_optimise_parser
from .optimise import cmd_optimise
from .place import add_parser as add_place_parser
from .place import cmd_place
from .run import cmd_params, cmd_posteriors, cmd_run, cmd_validate
from .studies import cmd_calibrate, cmd_evaluate, cmd_targets
from .sweep import add_parsers as add_sweep_parsers
from .sweep import cmd_sensitivity, cmd_sweep


def build_parser() -> Parser:
    p = Parser(prog="spsim", description="Agent-based simulation of a local social prescribing system.")
    p.add_argument("--version", action="version", version=f"spsim {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    # every command that runs the model: CONFIG (or CONFIG...), then the shared options of common.py
    r = sub.add_parser("run", help="run a scenario and write its results")
    r.add_argument("config", nargs="?", help=HELP["config"])
    add_run_options(r, replace=True, posterior=True)
    r.add_argument("--panel", choices=("weekly", "monthly", "quarterly"),
                   help="also write panel.parquet (one row per resident per period) and network.parquet "
                        "(docs/panel.md)")

    e = sub.add_parser("evaluate", help="true effect of the service vs pre-post and matched-control estimates")
    e.add_argument("config", nargs="?", help=HELP["config"])
    add_run_options(e, out_suffix="-evaluation", replace=True, posterior=True)

    tg = sub.add_parser("targets", help="simulated vs evidence targets (mean and 95%% interval over replicates)")
    tg.add_argument("config", nargs="?", help=HELP["config"])
    add_run_options(tg, out_help="also write targets.csv to this folder (default: print only)", posterior=True)

    ca = sub.add_parser("calibrate", help="ABC-rejection calibration of the default town against the targets")
    ca.add_argument("config", nargs="?", help=HELP["config"])
    ca.add_argument("--samples", type=positive_int("samples"), default=200, help="prior samples (default 200)")
    ca.add_argument("--from-posterior", type=Path, metavar="CSV",
                    help="narrow the priors to the 5-95%% range of a previous round's posterior.csv")
    ca.add_argument("--method", choices=("rejection", "history-matching"), default="rejection",
                    help="ABC rejection (default), or history matching with Gaussian-process emulators "
                         "(waves.csv, accepted.csv; see docs/calibration.md)")
    ca.add_argument("--waves", type=positive_int("waves"), default=3, help="history matching: waves (default 3)")
    ca.add_argument("--points", type=positive_int("points"), default=40,
                    help="history matching: design points per wave (default 40)")
    ca.add_argument("--evidence", choices=("descriptive", "studies"), default="descriptive",
                    help="history matching: the town's descriptive targets (default), or the service's effect "
                         "parameters against simulated before-after and controlled studies, for the three "
                         "evidence regimes at once (posterior-<regime>.csv; docs/calibration.md)")
    ca.add_argument("--scheduler", metavar="ADDRESS",
                    help="history matching: run the design on the Dask cluster at ADDRESS (same result as --workers)")
    ca.add_argument("--sets", type=positive_int("sets"), default=100,
                    help="history matching on studies: parameter sets drawn per regime (default 100)")
    add_run_options(ca, out_suffix="-calibration")

    add_compare_parser(sub)
    add_optimise_parser(sub)

    v = sub.add_parser("validate", help="check a scenario file and print the resolved config")
    v.add_argument("config", nargs="?", help=HELP["config"])
    add_scenario_options(v)
    v.add_argument("--diff", action="store_true",
                   help="print only what differs from the built-in default town")

    add_sweep_parsers(sub)  # spsim sweep, spsim sensitivity

    pp = sub.add_parser("params", help="list every parameter with unit, range, default and source")
    pp.add_argument("section", nargs="?", metavar="SECTION",
                    help="list one section only, e.g. link_workers (default: every section)")
    pp.add_argument("--markdown", action="store_true", help="as a Markdown table")

    po = sub.add_parser("posteriors", help="list the built-in posteriors (parameter sets from a calibration) "
                                           "with their provenance")
    po.add_argument("posterior", nargs="?", metavar="NAME|FILE",
                    help="show one posterior (built-in or a CSV file): its parameters, spread and provenance")

    add_place_parser(sub)
    add_app_parser(sub)
    return p


COMMANDS = {"calibrate": cmd_calibrate, "targets": cmd_targets, "evaluate": cmd_evaluate, "run": cmd_run,
            "validate": cmd_validate, "params": cmd_params, "posteriors": cmd_posteriors,
            "compare": cmd_compare, "optimise": cmd_optimise,
            "app": cmd_app, "sweep": cmd_sweep, "sensitivity": cmd_sensitivity, "place": cmd_place}


def error_line(e: Exception) -> str:
    """``spsim: error: MESSAGE``, saying ``spsim`` once: a message that starts with the program's
    name (``spsim compare: ...``, from a layer below) keeps only the command's name."""
    msg = str(e)
    msg = msg.removeprefix("spsim: ").removeprefix("spsim ") if msg.startswith("spsim") else msg
    return f"spsim: error: {one_line(msg)}"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        rc = COMMANDS[args.command](args)
        sys.stdout.flush()  # meet a closed pipe here rather than at interpreter exit
        return rc
    except (UsageError, ConfigError, OutputError) as e:
        print(error_line(e), file=sys.stderr)
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
