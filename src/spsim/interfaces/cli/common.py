"""Pieces every command shares: the one-line-error parser, option types, TOML output, loading a scenario."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, NoReturn

from ...errors import UsageError
from ...io import default_out
from ...model.config import load_config
from ...model.overrides import simulation_overrides, split_key
from ...model.params import Config
from ...studies.posterior import check_posterior

EXIT_USAGE = 2


class Parser(argparse.ArgumentParser):
    """argparse, but errors are one line and exit 2 (``spsim: error: run: ...``: the program's name
    once, then the subcommand)."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("spsim").strip()
        raise UsageError(f"{command}: {message}" if command else message)


def positive_int(name: str):
    def conv(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got {text!r}") from None
        if v < 1:
            raise argparse.ArgumentTypeError(f"{name} must be at least 1, got {v}")
        return v

    return conv


# ------------------------------------------------------------------------------------ one grammar
#: the help text of every shared option, written once
HELP = {
    "config": "scenario file (.toml or .yaml); default: the built-in default town",
    "seed": "root seed (default: the scenario's simulation.seed)",
    "weeks": "weeks recorded after burn-in (default: the scenario's simulation.weeks)",
    "replicates": "replicates (default: the scenario's simulation.replicates); 2 or more give 95%% intervals",
    "workers": "worker processes (default 1)",
    "set": "override one parameter, e.g. --set link_workers.fte=3 or, for the first [[teams]] entry, "
           "--set teams.0.fte=2 (repeatable)",
    "overlay": "apply another scenario file on top, e.g. a shock overlay (repeatable)",
    "out": "results folder (default: results/<simulation.name>{suffix})",
    "quiet": "no progress bar or printed summary",
    "posterior": "draw each replicate's uncertain parameters from a posterior: a built-in name (spsim posteriors) "
                 "or a posterior CSV (sets simulation.posterior; see docs/calibration.md)",
}


def add_scenario_options(p: argparse.ArgumentParser) -> None:
    """``--set`` and ``--overlay``: how a scenario is adjusted on the command line."""
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help=HELP["set"])
    p.add_argument("--overlay", action="append", default=[], metavar="FILE", help=HELP["overlay"])


def add_posterior_option(p: argparse.ArgumentParser) -> None:
    """``--posterior NAME|FILE``: the same standing as ``--seed`` (it sets ``simulation.posterior``)."""
    p.add_argument("--posterior", metavar="NAME|FILE", type=posterior_spec, help=HELP["posterior"])


def posterior_spec(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("posterior must be a built-in name or a path, got an empty string")
    return text


def add_run_options(p: argparse.ArgumentParser, out_suffix: str | None = "", out_help: str | None = None,
                    replace: bool = False, posterior: bool = False) -> None:
    """The options of every command that runs the model, with the same defaults and help:
    ``--seed --weeks --replicates --workers --set --overlay --out --quiet``.

    ``--seed``, ``--weeks`` and ``--replicates`` default to the scenario's ``simulation`` values (the
    parsed value is None when not given: pass them to :func:`run_options`). ``--out`` defaults to
    ``results/<simulation.name><out_suffix>`` (see :func:`out_dir`); ``out_help`` replaces its help
    where a command writes nothing unless asked."""
    p.add_argument("--seed", type=nonneg_int, metavar="N", help=HELP["seed"])
    p.add_argument("--weeks", type=positive_int("weeks"), metavar="W", help=HELP["weeks"])
    p.add_argument("--replicates", type=positive_int("replicates"), metavar="R", help=HELP["replicates"])
    p.add_argument("--workers", type=positive_int("workers"), default=1, metavar="N", help=HELP["workers"])
    add_scenario_options(p)
    p.add_argument("--out", type=Path, metavar="DIR",
                   help=out_help or HELP["out"].format(suffix=out_suffix or ""))
    p.add_argument("--quiet", action="store_true", help=HELP["quiet"])
    if posterior:
        add_posterior_option(p)
    if replace:  # commands that own a whole results folder (docs/reliability.md)
        p.add_argument("--replace", action="store_true", help="replace --out even if it holds something else")


def run_options(args: argparse.Namespace) -> list[str]:
    """The ``simulation.*`` assignments of the run options given (for ``load_config(options=...)``)."""
    return simulation_overrides(args.seed, args.weeks, args.replicates, getattr(args, "posterior", None))


def out_dir(args: argparse.Namespace, cfg: Config, suffix: str = "") -> Path:
    """``--out``, or ``results/<simulation.name><suffix>``."""
    return args.out if args.out is not None else default_out(cfg.simulation.name, suffix)


def nonneg_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be a whole number, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"seed must be 0 or more, got {v}")
    return v


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
        lines.extend(f"{k} = {_fmt(v)}" for k, v in values.items() if v is not None)  # TOML has no null: absent
        lines.append("")
    for section, item in tables:  # after the plain sections, so TOML reads them back the same
        lines.append(f"[[{section}]]")
        lines.extend(f"{k} = {_fmt(v)}" for k, v in item.items() if v is not None)
        lines.append("")
    return "\n".join(lines)


def load(args: argparse.Namespace, extra: list[str] = ()) -> Config:
    """The scenario of a command: its file, ``--overlay``, ``--set``, then the run options (and
    ``extra`` assignments a command adds, with the same standing as a run option)."""
    options = [*run_options(args), *extra] if hasattr(args, "seed") else list(extra)
    cfg = load_config(args.config, args.overrides, overlays=args.overlay, options=options)
    check_posterior(cfg, [".".join(split_key(a.partition("=")[0])) for a in args.overrides])
    return cfg
