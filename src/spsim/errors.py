"""The errors every layer may raise, in a module of their own so that no layer imports another for them.

Each is shown to the user as one line (``spsim: error: ...``) with exit status 2 by the command line.
"""

from __future__ import annotations


def one_line(text: str) -> str:
    """Escape line breaks and other unprintable characters (e.g. in a quoted key) so a message stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class ConfigError(ValueError):
    """Bad input in a file, an override or an option: names the source and the field."""

    def __init__(self, source: str, field: str | None, message: str):
        self.source, self.field, self.message = source, field, message
        where = f"{source}: {field}" if field else source
        super().__init__(one_line(f"{where}: {message}"))


class UsageError(Exception):
    """A command used wrongly (options that do not fit together, a service that cannot be reached)."""


class OutputError(OSError):
    """A results folder that cannot be written."""
