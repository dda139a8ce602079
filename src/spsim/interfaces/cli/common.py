"""Pieces every command shares: the one-line-error parser, option types, TOML output, loading a scenario."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from ...errors import UsageError
from ...model.config import load_config
from ...model.params import Config

EXIT_USAGE = 2


class Parser(argparse.ArgumentParser):
    """argparse, but errors are one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


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
    return load_config(args.config, [*args.overrides, *extra], overlays=args.overlay)
