"""Read scenario files (TOML or YAML), apply ``--set`` overrides, validate into :class:`Config`.

Every failure raises :class:`ConfigError`, whose message is one line naming the file and the
field, so the CLI can print it and exit with status 2.
"""

from __future__ import annotations

import copy
import difflib
import tomllib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import ConfigError
from .params import Config

DEFAULT_SOURCE = "<built-in default>"


def read_mapping(path: str | Path) -> dict[str, Any]:
    """Parse a TOML or YAML file into a plain dict (no validation)."""
    p = Path(path)
    src = str(path)
    if not p.exists():
        raise ConfigError(src, None, "file not found")
    if p.is_dir():
        raise ConfigError(src, None, "is a directory, expected a .toml or .yaml file")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(src, None, f"cannot read file ({e.__class__.__name__})") from None
    if not text.strip():
        raise ConfigError(src, None, "file is empty (an empty table is written '[simulation]' or '{}')")
    suffix = p.suffix.lower()
    if suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(src, None, f"not valid TOML: {e}") from None
    elif suffix in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text)  # safe_load refuses executable tags (!!python/...)
        except yaml.YAMLError as e:
            msg = " ".join(str(e).split())
            raise ConfigError(src, None, f"not valid safe YAML: {msg}") from None
    else:
        raise ConfigError(src, None, f"unknown file type '{suffix}', expected .toml, .yaml or .yml")
    if data is None:
        raise ConfigError(src, None, "file is empty")
    if not isinstance(data, dict):
        raise ConfigError(src, None, f"top level must be a table of sections, got {type(data).__name__}")
    return data


def _known_keys(model: type[BaseModel], parts: tuple[str, ...]) -> list[str]:
    """The valid keys at the level where ``parts`` points inside the schema."""
    for part in parts:
        field = model.model_fields.get(part)
        ann = getattr(field, "annotation", None)
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return []
        model = ann
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
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        errors = e.errors()
        field, msg = _format_error(errors[0])
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(source, field, msg + more) from None


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


def apply_override(data: dict[str, Any], assignment: str, source: str = "--set") -> dict[str, Any]:
    """Apply one ``section.key=value`` override, refusing keys the schema does not have."""
    if "=" not in assignment:
        raise ConfigError(source, assignment, "expected KEY=VALUE, e.g. link_workers.fte=3")
    key, _, raw = assignment.partition("=")
    key = key.strip()
    parts = tuple(p for p in key.split(".") if p)
    if len(parts) < 2:
        raise ConfigError(source, key, "expected SECTION.KEY, e.g. link_workers.fte" + _suggest(key, _flat_keys()))
    for i in range(len(parts)):
        options = _known_keys(Config, parts[:i])
        if parts[i] not in options:
            hint = _suggest(key, _flat_keys()) if i else _suggest(parts[i], options)
            raise ConfigError(source, key, "no such key" + hint)
    out = copy.deepcopy(data)
    node = out
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise ConfigError(source, key, f"'{p}' is not a section")
    node[parts[-1]] = parse_value(raw.strip())
    return out


def _flat_keys() -> list[str]:
    from .params import parameter_table

    return [r["key"] for r in parameter_table()]


def simulation_overrides(seed: int | None = None, weeks: int | None = None,
                         replicates: int | None = None) -> list[str]:
    """``--set`` style overrides for the run options given on a command line (``None``: not given)."""
    given = {"seed": seed, "weeks": weeks, "replicates": replicates}
    return [f"simulation.{k}={v}" for k, v in given.items() if v is not None]


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
) -> Config:
    """Load a scenario: file (or built-in default) + overlay files + ``--set`` overrides."""
    source = str(path) if path is not None else DEFAULT_SOURCE
    data = read_mapping(path) if path is not None else {}
    for ov in overlays:
        ov_data = read_mapping(ov)
        validate(deep_merge({}, ov_data), str(ov))  # names the overlay file in its own errors
        data = deep_merge(data, ov_data)
        source = f"{source} + {ov}"
    file_data = data  # the file with its overlays describes the place; --set may make a scaled copy
    for assignment in overrides:
        data = apply_override(data, assignment)
    data = record_described(file_data, data)
    where = source if not overrides else f"{source} with --set"
    return validate(data, where)


def to_dict(cfg: Config) -> dict[str, Any]:
    return cfg.model_dump(mode="json")
