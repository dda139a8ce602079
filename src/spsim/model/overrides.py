"""The ``--set`` grammar: ``section.key=value`` overrides of a scenario, checked against the schema.

Keys are the schema's own (``link_workers.fte``); an entry of a list of sections (``[[teams]]``) is
addressed by its index (``teams.0.fte`` or ``teams[0].fte``); values are TOML literals. An unknown key
is refused with the closest valid one (:func:`suggest`). Also the run options every model-running
command shares (``--seed --weeks --replicates --posterior``), as the overrides they stand for.
:mod:`spsim.model.config` applies them while loading a scenario.
"""

from __future__ import annotations

import copy
import difflib
import re
import tomllib
from typing import Any

from pydantic import BaseModel

from ..errors import ConfigError
from .params import Config


def list_item(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    """The section type of a list-of-sections field (``teams`` -> TeamParams), else None."""
    field = model.model_fields.get(name)
    ann = getattr(field, "annotation", None)
    item = (getattr(ann, "__args__", None) or (None,))[0]
    if getattr(ann, "__origin__", None) is list and isinstance(item, type) and issubclass(item, BaseModel):
        return item
    return None


def sub_section(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    field = model.model_fields.get(name)
    ann = getattr(field, "annotation", None)
    return ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None


def known_keys(model: type[BaseModel], parts: tuple[str, ...]) -> list[str]:
    """The valid keys at the level where ``parts`` points inside the schema (an entry of a list of
    sections is addressed by its index: ``("teams", "0")``)."""
    i = 0
    while i < len(parts):
        item = list_item(model, parts[i])
        if item is not None and i + 1 < len(parts):
            model, i = item, i + 2
            continue
        sub = sub_section(model, parts[i])
        if sub is None:
            return []
        model, i = sub, i + 1
    return list(model.model_fields)


def suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; valid keys: {', '.join(options)}" if options else ""


def parse_value(text: str) -> Any:
    """Parse an override value as a TOML literal (``3``, ``0.2``, ``true``, ``"fifo"``); bare words stay strings."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


_INDEXED = re.compile(r"([^\[\]]+)\[([^\[\]]*)\]")


def split_key(key: str) -> tuple[str, ...]:
    """``teams.0.fte`` and ``teams[0].fte`` -> ``("teams", "0", "fte")``; other keys split on dots."""
    parts: list[str] = []
    for p in key.split("."):
        if not p:
            continue
        m = _INDEXED.fullmatch(p)
        parts.extend(m.groups() if m else (p,))
    return tuple(parts)


def apply_override(data: dict[str, Any], assignment: str, source: str = "--set") -> dict[str, Any]:
    """Apply one ``section.key=value`` override, refusing keys the schema does not have.

    An entry of a list of sections (``[[teams]]``) is addressed by its index among the entries the
    scenario already has: ``teams.0.fte=2`` (or ``teams[0].fte=2``) sets the first team's FTE."""
    if "=" not in assignment:
        raise ConfigError(source, assignment, "expected KEY=VALUE, e.g. link_workers.fte=3")
    key, _, raw = assignment.partition("=")
    key = key.strip()
    parts = split_key(key)
    if len(parts) < 2:
        raise ConfigError(source, key, "expected SECTION.KEY, e.g. link_workers.fte" + suggest(key, flat_keys()))
    out = copy.deepcopy(data)
    node: Any = out
    model: type[BaseModel] = Config
    i = 0
    while i < len(parts):
        name, last = parts[i], i == len(parts) - 1
        options = list(model.model_fields)
        if name not in options:
            raise ConfigError(source, key, "no such key" + _key_hint(parts, i, options, key))
        item, sub = list_item(model, name), sub_section(model, name)
        if item is not None:
            node, i = _list_entry(node, name, parts, i, key, source), i + 2
            model = item
        elif sub is not None:
            if last:
                raise ConfigError(source, key, f"'{name}' is a section: set one of its keys, "
                                  f"e.g. {key}.{next(iter(sub.model_fields))}")
            node = node.setdefault(name, {})
            if not isinstance(node, dict):
                raise ConfigError(source, key, f"'{name}' is not a section")
            model, i = sub, i + 1
        else:
            if not last:
                raise ConfigError(source, key, "no such key" + suggest(key, flat_keys()))
            node[name] = parse_value(raw.strip())
            i += 1
    return out


def _key_hint(parts: tuple[str, ...], i: int, options: list[str], key: str) -> str:
    """'; did you mean ...?' for an unknown ``parts[i]``: a close key at that level, else a close key
    anywhere, else the valid keys at that level."""
    if i == 0:
        return suggest(parts[0], options)
    prefix = ".".join(parts[:i])
    here = [f"{prefix}.{o}" for o in options]
    close = difflib.get_close_matches(".".join(parts[: i + 1]), here, n=1, cutoff=0.5)
    if close:
        return f"; did you mean '{close[0]}'?"
    anywhere = difflib.get_close_matches(key, flat_keys(), n=1, cutoff=0.5)
    return f"; did you mean '{anywhere[0]}'?" if anywhere else suggest(parts[i], here)


def _list_entry(node: dict[str, Any], name: str, parts: tuple[str, ...], i: int, key: str,
                source: str) -> dict[str, Any]:
    """The ``parts[i + 1]``-th entry of the list of sections ``node[name]``, or a ConfigError."""
    example = f"{name}.0.{parts[i + 2] if i + 2 < len(parts) else 'fte'}"
    if i + 2 >= len(parts):
        raise ConfigError(source, key, f"'{name}' is a list of [[{name}]] entries: set a key of one entry, "
                          f"e.g. {example}")
    text = parts[i + 1]
    if not text.isdigit():
        raise ConfigError(source, key, f"'{text}' is not an entry number: [[{name}]] entries are numbered "
                          f"0, 1, ... in file order, e.g. {example}")
    entries = node.get(name, [])
    if not isinstance(entries, list):
        raise ConfigError(source, key, f"'{name}' is not a list of [[{name}]] entries")
    idx, n = int(text), len(entries)
    if idx >= n:
        have = ("the scenario has no [[{0}]] entries" if n == 0 else
                "the scenario has {1} [[{0}]] entr" + ("y (0)" if n == 1 else "ies (0 to {2})")).format(name, n, n - 1)
        raise ConfigError(source, key, f"entry {idx} is out of range: {have}; add entries in a scenario file "
                          "or an --overlay")
    if not isinstance(entries[idx], dict):
        raise ConfigError(source, key, f"entry {idx} of '{name}' is not a table")
    return entries[idx]


def flat_keys() -> list[str]:
    from .params import parameter_table

    return [r["key"].replace("[].", ".0.") for r in parameter_table()]  # as --set spells them


#: the run options every model-running command takes, and the config key each one sets
RUN_OPTIONS: dict[str, str] = {"seed": "simulation.seed", "weeks": "simulation.weeks",
                               "replicates": "simulation.replicates", "posterior": "simulation.posterior"}


def simulation_overrides(seed: int | None = None, weeks: int | None = None,
                         replicates: int | None = None, posterior: str | None = None) -> list[str]:
    """``KEY=VALUE`` assignments for the run options given on a command line (``None``: not given),
    to pass to :func:`load_config` as ``options``. ``posterior`` is written as a quoted TOML string,
    so any name or path is taken as text."""
    import json

    given = {"seed": seed, "weeks": weeks, "replicates": replicates,
             "posterior": None if posterior is None else json.dumps(posterior)}
    return [f"{RUN_OPTIONS[k]}={v}" for k, v in given.items() if v is not None]
