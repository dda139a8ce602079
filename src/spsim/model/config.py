"""Read scenario files (TOML or YAML), apply ``--set`` overrides, validate into :class:`Config`.

Every failure raises :class:`ConfigError`, whose message is one line naming the file and the
field, so the CLI can print it and exit with status 2.
"""

from __future__ import annotations

import copy
import difflib
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import ConfigError
from .params import Config

DEFAULT_SOURCE = "<built-in default>"


#: a scenario or experiment file is a few kilobytes; anything far larger is a mistake (or hostile)
MAX_FILE_BYTES = 10 * 1024 * 1024
#: sections inside sections: a real file has 2 or 3 levels
MAX_DEPTH = 32


def read_text_safely(path: str | Path, what: str = "file", limit: int = MAX_FILE_BYTES) -> str:
    """The text of a small regular file, refusing a FIFO, a device (``/dev/zero``), a directory or a
    huge file *before* reading it (a FIFO is opened without blocking, and its type checked on the
    open descriptor, so nothing can swap the file in between)."""
    import os
    import stat

    src = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ConfigError(src, None, "file not found") from None
    except IsADirectoryError:
        raise ConfigError(src, None, "is a directory, expected a .toml or .yaml file") from None
    except OSError as e:
        raise ConfigError(src, None, f"cannot read {what} ({e.strerror or e.__class__.__name__})") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ConfigError(src, None, "is a directory, expected a .toml or .yaml file")
        if not stat.S_ISREG(st.st_mode):
            kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device" if (
                stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)) else "a socket" if stat.S_ISSOCK(
                st.st_mode) else "not a regular file"
            raise ConfigError(src, None, f"is {kind}, expected a regular {what}")
        if st.st_size > limit:
            raise ConfigError(src, None, f"is {st.st_size:,} bytes; a {what} is at most {limit:,}")
        with os.fdopen(fd, "rb", closefd=True) as f:
            fd = -1
            raw = f.read(limit + 1)
    except OSError as e:
        raise ConfigError(src, None, f"cannot read {what} ({e.strerror or e.__class__.__name__})") from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(raw) > limit:  # grew while we read it
        raise ConfigError(src, None, f"is over {limit:,} bytes; a {what} is at most {limit:,}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(src, None, f"is not UTF-8 text (byte {e.start})") from None


def _depth(obj: Any, limit: int) -> int:
    """How deeply tables and lists nest (iteratively, so a hostile file cannot exhaust the stack)."""
    deepest = 0
    stack = [(obj, 0)]
    while stack:
        node, d = stack.pop()
        if d > deepest:
            deepest = d
            if deepest > limit:
                return deepest
        if isinstance(node, dict):
            stack.extend((v, d + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, d + 1) for v in node)
    return deepest


def read_mapping(path: str | Path) -> dict[str, Any]:
    """Parse a TOML or YAML file into a plain dict (no validation)."""
    p = Path(path)
    src = str(path)
    suffix = p.suffix.lower()
    if suffix not in (".toml", ".yaml", ".yml") and not p.is_dir():
        if not p.exists():
            raise ConfigError(src, None, "file not found")
        raise ConfigError(src, None, f"unknown file type '{suffix}', expected .toml, .yaml or .yml")
    text = read_text_safely(p)
    if not text.strip():
        raise ConfigError(src, None, "file is empty (an empty table is written '[simulation]' or '{}')")
    try:
        if suffix == ".toml":
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as e:
                raise ConfigError(src, None, f"not valid TOML: {e}") from None
        else:
            import yaml  # only for YAML scenarios (PyYAML's import is about 30 ms of every command)

            try:
                data = yaml.safe_load(text)  # safe_load refuses executable tags (!!python/...)
            except yaml.YAMLError as e:
                msg = " ".join(str(e).split())
                raise ConfigError(src, None, f"not valid safe YAML: {msg}") from None
    except RecursionError:
        raise ConfigError(src, None, f"nested too deeply (a scenario has 2 or 3 levels; at most {MAX_DEPTH})"
                          ) from None
    if data is None:
        raise ConfigError(src, None, "file is empty")
    if not isinstance(data, dict):
        raise ConfigError(src, None, f"top level must be a table of sections, got {type(data).__name__}")
    if _depth(data, MAX_DEPTH) > MAX_DEPTH:
        raise ConfigError(src, None, f"nested too deeply (a scenario has 2 or 3 levels; at most {MAX_DEPTH})")
    return data


def _list_item(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    """The section type of a list-of-sections field (``teams`` -> TeamParams), else None."""
    field = model.model_fields.get(name)
    ann = getattr(field, "annotation", None)
    item = (getattr(ann, "__args__", None) or (None,))[0]
    if getattr(ann, "__origin__", None) is list and isinstance(item, type) and issubclass(item, BaseModel):
        return item
    return None


def _sub_section(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    field = model.model_fields.get(name)
    ann = getattr(field, "annotation", None)
    return ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None


def _known_keys(model: type[BaseModel], parts: tuple[str, ...]) -> list[str]:
    """The valid keys at the level where ``parts`` points inside the schema (an entry of a list of
    sections is addressed by its index: ``("teams", "0")``)."""
    i = 0
    while i < len(parts):
        item = _list_item(model, parts[i])
        if item is not None and i + 1 < len(parts):
            model, i = item, i + 2
            continue
        sub = _sub_section(model, parts[i])
        if sub is None:
            return []
        model, i = sub, i + 1
    return list(model.model_fields)


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; valid keys: {', '.join(options)}" if options else ""


def _format_error(err: dict[str, Any]) -> tuple[str, str]:
    loc = tuple(str(x) for x in err["loc"])
    field = ".".join(loc)
    if err["type"] == "extra_forbidden":
        return field, "unknown key" + _suggest(loc[-1], _known_keys(Config, loc[:-1]))
    got = err.get("input")
    msg = err["msg"]
    if not isinstance(got, (dict, list)):
        msg += f" (got {got!r})"
    return field, msg


def validate(data: dict[str, Any], source: str = DEFAULT_SOURCE) -> Config:
    if _depth(data, MAX_DEPTH) > MAX_DEPTH:
        raise ConfigError(source, None, f"nested too deeply (at most {MAX_DEPTH} levels)")
    try:
        cfg = Config.model_validate(data)
    except ValidationError as e:
        errors = e.errors()
        field, msg = _format_error(errors[0])
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(source, field, msg + more) from None
    check_caseload(cfg, source)
    return cfg


def check_caseload(cfg: Config, source: str = DEFAULT_SOURCE) -> None:
    """Refuse a team whose FTE is above 0 but too small for a single caseload place: its pay
    would be charged while it could take on nobody (the cap is round(fte x caseload_per_fte))."""
    teams = [("link_workers", cfg.link_workers)] + [(f"teams[{i}]", t) for i, t in enumerate(cfg.teams)]
    for where, t in teams:
        if t.fte > 0 and round(t.fte * t.caseload_per_fte) < 1:
            need = 0.5 / t.caseload_per_fte
            raise ConfigError(source, f"{where}.fte",
                              f"{t.fte:g} FTE x {t.caseload_per_fte} clients per FTE gives no caseload place "
                              f"(its pay would be charged for nobody); use 0 for no service, or more than "
                              f"{need:.3g} FTE")


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


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
        raise ConfigError(source, key, "expected SECTION.KEY, e.g. link_workers.fte" + _suggest(key, _flat_keys()))
    out = copy.deepcopy(data)
    node: Any = out
    model: type[BaseModel] = Config
    i = 0
    while i < len(parts):
        name, last = parts[i], i == len(parts) - 1
        options = list(model.model_fields)
        if name not in options:
            raise ConfigError(source, key, "no such key" + _key_hint(parts, i, options, key))
        item, sub = _list_item(model, name), _sub_section(model, name)
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
                raise ConfigError(source, key, "no such key" + _suggest(key, _flat_keys()))
            node[name] = parse_value(raw.strip())
            i += 1
    return out


def _key_hint(parts: tuple[str, ...], i: int, options: list[str], key: str) -> str:
    """'; did you mean ...?' for an unknown ``parts[i]``: a close key at that level, else a close key
    anywhere, else the valid keys at that level."""
    if i == 0:
        return _suggest(parts[0], options)
    prefix = ".".join(parts[:i])
    here = [f"{prefix}.{o}" for o in options]
    close = difflib.get_close_matches(".".join(parts[: i + 1]), here, n=1, cutoff=0.5)
    if close:
        return f"; did you mean '{close[0]}'?"
    anywhere = difflib.get_close_matches(key, _flat_keys(), n=1, cutoff=0.5)
    return f"; did you mean '{anywhere[0]}'?" if anywhere else _suggest(parts[i], here)


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


def _flat_keys() -> list[str]:
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


def _touches(field: str | None, key: str) -> bool:
    """Whether a validation error at ``field`` can come from setting ``key`` (same key, or one
    inside the other: a section-level check, an entry of a list)."""
    if not field:
        return False
    return field == key or key.startswith(field + ".") or field.startswith(key + ".")


def _size(data: dict[str, Any]) -> Any:
    pop = data.get("population", {})
    if not isinstance(pop, dict):
        return None
    from .params import PopulationParams

    return pop.get("size", PopulationParams.model_fields["size"].default)


def record_described(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """A scenario describes a place of its own size. When ``after`` (the scenario with ``--set``
    overrides, an experiment's settings, or a comparison's alignment) changes ``population.size``
    from ``before`` (the file itself) and the file does not say which population it describes,
    record ``population.described`` as the file's size, so the run is a scaled copy of the same place
    (:mod:`spsim.model.scaling`). Malformed values are left for validation to name."""
    pop = after.get("population", {})
    if not isinstance(pop, dict) or "described" in pop:
        return after
    was, now = _size(before), _size(after)
    if was == now or isinstance(was, bool) or not isinstance(was, int):
        return after
    out = copy.deepcopy(after)
    out.setdefault("population", {})["described"] = was
    return out


def load_config(
    path: str | Path | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    overlays: list[str | Path] | tuple[str | Path, ...] = (),
    options: list[str] | tuple[str, ...] = (),
) -> Config:
    """Load a scenario: file (or built-in default) + overlay files + ``--set`` overrides + the
    command line's run options (``options``: ``simulation.seed=7`` etc. from ``--seed --weeks
    --replicates``, applied last, so they win over a ``--set`` of the same key).

    A value the schema refuses is blamed on the file, on ``--set`` only if a ``--set`` reached that
    field, or on the option (``--weeks``) that set it."""
    source = str(path) if path is not None else DEFAULT_SOURCE
    data = read_mapping(path) if path is not None else {}
    for ov in overlays:
        ov_data = read_mapping(ov)
        validate(deep_merge({}, ov_data), str(ov))  # names the overlay file in its own errors
        data = deep_merge(data, ov_data)
        source = f"{source} + {ov}"
    file_data = data  # the file with its overlays describes the place; --set may make a scaled copy
    set_keys = []
    for assignment in overrides:
        data = apply_override(data, assignment)
        set_keys.append(".".join(split_key(assignment.partition("=")[0])))
    option_keys = {}
    for assignment in options:
        data = apply_override(data, assignment, source="command line")
        key = assignment.partition("=")[0]
        option_keys[key] = next((f"--{o}" for o, k in RUN_OPTIONS.items() if k == key), key)
    data = record_described(file_data, data)
    try:
        return validate(data, source)
    except ConfigError as e:
        for key, flag in option_keys.items():
            if _touches(e.field, key):
                raise ConfigError(flag, e.field, e.message) from None
        if any(_touches(e.field, k) for k in set_keys):
            raise ConfigError(f"{source} with --set", e.field, e.message) from None
        raise


def to_dict(cfg: Config) -> dict[str, Any]:
    return cfg.model_dump(mode="json")


def diff_from_defaults(cfg: Config) -> dict[str, Any]:
    """The part of ``to_dict(cfg)`` that differs from the built-in default town: each section with
    only its changed keys; a list of sections (``teams``) with every entry, each with only the keys
    that differ from an entry's defaults. Validating the result gives ``cfg`` back."""
    have, base = to_dict(cfg), to_dict(Config())
    out: dict[str, Any] = {}
    for section, values in have.items():
        item = _list_item(Config, section)
        if item is not None:
            if values != base[section]:
                blank = to_dict(item())
                out[section] = [{k: v for k, v in entry.items() if v != blank[k]} for entry in values]
            continue
        changed = {k: v for k, v in values.items() if v != base[section][k]}
        if changed:
            out[section] = changed
    return out
