"""The ``spsim`` command line (see :mod:`spsim.interfaces.cli.main`)."""

from .main import COMMANDS, build_parser, main

__all__ = ["COMMANDS", "build_parser", "main"]
