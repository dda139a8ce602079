"""Read scenario files (TOML or YAML), apply ``--set`` overrides (:mod:`spsim.model.overrides`),
validate into :class:`Config`.

Every failure raises :class:`ConfigError`, whose message is one line naming the file and the
field, so the CLI can print it and exit with status 2.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import ConfigError
from .overrides import RUN_OPTIONS, apply_override, known_keys, list_item, split_key, suggest
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


def _format_error(err: dict[str, Any]) -> tuple[str, str]:
    loc = tuple(str(x) for x in err["loc"])
    field = ".".join(loc)
    if err["type"] == "extra_forbidden":
        return field, "unknown key" + suggest(loc[-1], known_keys(Config, loc[:-1]))
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
        item = list_item(Config, section)
        if item is not None:
            if values != base[section]:
                blank = to_dict(item())
                out[section] = [{k: v for k, v in entry.items() if v != blank[k]} for entry in values]
            continue
        changed = {k: v for k, v in values.items() if v != base[section][k]}
        if changed:
            out[section] = changed
    return out
