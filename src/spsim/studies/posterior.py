"""A posterior over the model's uncertain parameters, carried into every replicate.

A posterior is a CSV file: one column per uncertain parameter, named by its dotted config key
(``link_workers.need_resolution_multiplier``), one row per parameter set, all rows equally likely.
Beside it, ``NAME.json`` may hold its provenance (method, command, regime, targets, date, version,
samples). Built-in posteriors live in ``spsim/studies/posteriors/`` (package data) and are named by
their file stem (``spsim posteriors`` lists them); anything else is a path (relative paths are read
from the working directory).

``simulation.posterior`` names the posterior and ``simulation.posterior_draws`` how many distinct
sets the replicates use. Replicate ``r`` uses set ``k = r % draws`` (``k = r`` when draws is 0),
which is row ``perm[k % rows]`` of a permutation seeded from ``simulation.seed`` alone. So every
scenario of a comparison, every point of a sweep and both arms of an evaluation get the same set
for replicate ``r`` (common random numbers over the parameters as well as the luck), and a
replicate's set does not depend on how many replicates there are. Its luck is its own as always
(``SeedSequence(seed).spawn(R)[r]``), so replicates that share a set differ by noise only: that
is what lets :mod:`spsim.studies.uncertainty` tell parameter uncertainty from noise.

:func:`replicate_config` gives a replicate's config with its set applied and
``simulation.posterior`` cleared, so applying it twice changes nothing; every place that builds a
replicate calls it. :func:`check_posterior` validates a posterior against a scenario before
anything runs; every failure is one :class:`~spsim.errors.ConfigError` line naming the file and
the column (and row).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from ..errors import ConfigError
from ..model.config import read_text_safely, validate
from ..model.params import Config

#: where the built-in posteriors live (package data)
POSTERIOR_DIR = Path(__file__).with_name("posteriors")
#: mixed into simulation.seed for the permutation of the sets (a stream of its own)
PERMUTATION_TAG = 0x706F7374  # "post"
#: sections that are the run, the place, a scenario overlay or values the comparison reads from the
#: baseline, never an uncertain parameter a calibration would draw
NOT_UNCERTAIN_SECTIONS = {
    "simulation": "a setting of the run",
    "population": "a description of the place",
    "practice_list": "a description of the place",
    "teams": "a lever (the scenario's extra link-work teams)",
    "shock": "part of a scenario (the lockdown overlay)",
    "costs": "a unit value the comparison reads from the baseline (vary it in a sweep)",
}
#: keys a planner chooses (levers) or that describe the place, refused in a posterior
LEVER_KEYS = {
    "link_workers.fte", "link_workers.salary_gbp", "link_workers.on_cost_rate", "practices.count",
    "groups.count", "connectors.count", "community_development.fte", "community_development.salary_gbp",
    "outreach.per_year", "app.enabled", "programmes.count", "programmes.places", "programmes.weeks",
    "programmes.weekly_cost_gbp", "grants.budget_gbp_per_year", "grants.max_grant_gbp",
    "workforce.supervised_share", "workforce.retention_multiplier", "volunteering.spillover",
}


@dataclass(frozen=True)
class Posterior:
    """A validated posterior: ``values[i, j]`` is parameter ``keys[j]`` in set (row) ``i + 1``."""

    spec: str  # as given in simulation.posterior
    path: Path
    name: str  # the built-in name, or the file's stem
    builtin: bool
    keys: tuple[str, ...]
    kinds: tuple[str, ...]  # "int" or "float", the field's type
    values: np.ndarray = field(repr=False)
    sha256: str = ""
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return int(self.values.shape[0])

    def row(self, i: int) -> dict[str, int | float]:
        """Set ``i`` (0-based) as {key: value of the field's type}."""
        return {k: (int(v) if kind == "int" else float(v))
                for k, kind, v in zip(self.keys, self.kinds, self.values[i], strict=True)}


# ----------------------------------------------------------------------------------- finding one
def builtin_names() -> list[str]:
    """The built-in posteriors: every ``NAME.csv`` in the package's posteriors folder."""
    if not POSTERIOR_DIR.is_dir():
        return []
    return sorted(p.stem for p in POSTERIOR_DIR.glob("*.csv") if p.is_file())


def resolve(spec: str) -> tuple[Path, str, bool]:
    """(path, name, built-in?) of ``simulation.posterior``: a built-in name, else a path."""
    if spec in builtin_names():
        return POSTERIOR_DIR / f"{spec}.csv", spec, True
    path = Path(spec)
    if os.sep in spec or "/" in spec or path.suffix.lower() == ".csv" or path.exists():
        return path, path.stem, False
    names = builtin_names()
    have = f"built-in posteriors: {', '.join(names)}" if names else "there are no built-in posteriors yet"
    raise ConfigError(spec, None, f"no such built-in posterior ({have}); or give a path to a posterior CSV "
                                  "(simulation.posterior, --posterior)")


def load_posterior(spec: str) -> Posterior:
    """Read and validate the posterior ``spec`` names (cached while the file is unchanged)."""
    path, name, builtin = resolve(spec)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ConfigError(str(path), None, "file not found (simulation.posterior, --posterior)") from None
    except OSError as e:
        raise ConfigError(str(path), None, f"cannot read posterior ({e.strerror or e.__class__.__name__})") from None
    return _load(spec, str(path), name, builtin, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=32)
def _load(spec: str, path: str, name: str, builtin: bool, _mtime: int, _size: int) -> Posterior:
    text = read_text_safely(path, "posterior CSV")
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    keys, kinds, values = parse_csv(text, path)
    return Posterior(spec=spec, path=Path(path), name=name, builtin=builtin, keys=keys, kinds=kinds,
                     values=values, sha256=sha, provenance=_provenance(Path(path)))


def _provenance(path: Path) -> dict[str, Any]:
    side = path.with_suffix(".json")
    if not side.exists():
        return {}
    try:
        data = json.loads(read_text_safely(side, "provenance JSON"))
    except ValueError as e:
        raise ConfigError(str(side), None, f"not valid JSON ({e})") from None
    if not isinstance(data, dict):
        raise ConfigError(str(side), None, f"must be a JSON object of provenance fields, got {type(data).__name__}")
    return data


# ----------------------------------------------------------------------------------- checking
def parameter_field(key: str) -> tuple[str, Any]:
    """(kind, pydantic field) of an uncertain parameter ``section.name``, or a ConfigError message
    (as ValueError) saying why ``key`` cannot be one."""
    parts = key.split(".")
    if len(parts) != 2 or not all(parts):
        raise ValueError("is not a parameter key: write SECTION.NAME, e.g. link_workers.need_resolution_multiplier")
    section, name = parts
    if section in NOT_UNCERTAIN_SECTIONS:
        raise ValueError(f"is {NOT_UNCERTAIN_SECTIONS[section]}, not an uncertain parameter a posterior can draw")
    sec_field = Config.model_fields.get(section)
    ann = getattr(sec_field, "annotation", None)
    if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
        from ..model.overrides import flat_keys, suggest

        raise ValueError("no such parameter" + suggest(key, flat_keys()))
    f = ann.model_fields.get(name)
    if f is None:
        from ..model.overrides import suggest

        raise ValueError("no such parameter" + suggest(key, [f"{section}.{k}" for k in ann.model_fields]))
    source = str((f.json_schema_extra or {}).get("source", "")).lower()
    if key in LEVER_KEYS or source.startswith("local model") or "lever" in source:
        raise ValueError("is a lever (what a scenario chooses), not an uncertain parameter: set it in the scenario")
    if f.annotation is float:
        return "float", f
    if f.annotation is int:
        return "int", f
    raise ValueError(f"is not a number ({getattr(f.annotation, '__name__', f.annotation)}): a posterior draws "
                     "numeric parameters only")


def _bounds(f) -> list[tuple[str, float, Any]]:
    out = []
    for m in f.metadata:
        for op in ("ge", "gt", "le", "lt"):
            v = getattr(m, op, None)
            if v is not None:
                out.append((op, float(v), v))
    return out


_OK = {"ge": lambda x, b: x >= b, "gt": lambda x, b: x > b, "le": lambda x, b: x <= b, "lt": lambda x, b: x < b}
_SAYS = {"ge": "below the lowest allowed value", "gt": "at or below the bound (excluded)",
         "le": "above the highest allowed value", "lt": "at or above the bound (excluded)"}


def parse_csv(text: str, source: str) -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray]:
    """(keys, kinds, values) of a posterior CSV's text; ConfigError naming ``source``, the column and
    the row (row 1 is the first line after the header) on any problem."""
    reader = csv.reader(io.StringIO(text))
    try:
        lines = [(reader.line_num, row) for row in reader]
    except csv.Error as e:
        raise ConfigError(source, None, f"not a valid CSV ({e})") from None
    lines = [(n, row) for n, row in lines if any(c.strip() for c in row)]  # blank lines are skipped
    if not lines:
        raise ConfigError(source, None, "is empty: a posterior needs a header of parameter keys and rows of values")
    _, header = lines[0]
    keys = tuple(c.strip() for c in header)
    kinds, fields = [], []
    for j, key in enumerate(keys):
        if not key:
            raise ConfigError(source, f"column {j + 1}", "has no name: every column is a parameter key")
        if keys.index(key) != j:
            raise ConfigError(source, key, f"appears twice (columns {keys.index(key) + 1} and {j + 1})")
        try:
            kind, f = parameter_field(key)
        except ValueError as e:
            raise ConfigError(source, key, str(e)) from None
        kinds.append(kind)
        fields.append(f)
    body = lines[1:]
    if not body:
        raise ConfigError(source, None, "has no rows: a posterior needs at least one parameter set")
    values = np.empty((len(body), len(keys)))
    for i, (line, row) in enumerate(body, start=1):
        if len(row) != len(keys):
            raise ConfigError(source, f"row {i} (line {line})",
                              f"has {len(row)} cell(s); the header has {len(keys)} column(s)")
        for j, cell in enumerate(row):
            text_cell = cell.strip()
            try:
                v = float(text_cell)
            except ValueError:
                raise ConfigError(source, keys[j], f"row {i} (line {line}): {text_cell!r} is not a number") from None
            if not math.isfinite(v):
                raise ConfigError(source, keys[j], f"row {i} (line {line}): {text_cell!r} is not a finite number")
            if kinds[j] == "int" and not v.is_integer():
                raise ConfigError(source, keys[j], f"row {i} (line {line}): {text_cell!r} is not a whole number "
                                                   "(the parameter is a count)")
            for op, b, raw in _bounds(fields[j]):
                if not _OK[op](v, b):
                    raise ConfigError(source, keys[j], f"row {i} (line {line}): {text_cell} is {_SAYS[op]} "
                                                       f"({op} {raw}; see spsim params)")
            values[i - 1, j] = v
    values.setflags(write=False)
    return keys, tuple(kinds), values


# ----------------------------------------------------------------------------------- choosing sets
def permutation(seed: int, rows: int) -> np.ndarray:
    """The order in which replicates take the sets: seeded from ``simulation.seed`` alone."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), PERMUTATION_TAG]))
    return rng.permutation(rows)


def set_index(cfg: Config, replicate: int) -> int:
    """Which set (``k``) replicate ``replicate`` uses: ``r % posterior_draws``, or ``r`` when 0."""
    d = cfg.simulation.posterior_draws
    return replicate % d if d > 0 else replicate


def replicate_rows(cfg: Config, post: Posterior | None = None, replicates: int | None = None) -> list[int]:
    """The posterior row (0-based) of each replicate ``0 .. R-1`` (empty without a posterior)."""
    if not cfg.simulation.posterior:
        return []
    post = post or load_posterior(cfg.simulation.posterior)
    perm = permutation(cfg.simulation.seed, post.rows)
    reps = cfg.simulation.replicates if replicates is None else replicates
    return [int(perm[set_index(cfg, r) % post.rows]) for r in range(reps)]


def apply_row(cfg: Config, post: Posterior, row: int, source: str | None = None) -> Config:
    """``cfg`` with parameter set ``row`` (0-based) applied and ``simulation.posterior`` cleared."""
    data = cfg.model_dump()
    for key, v in post.row(row).items():
        section, name = key.split(".")
        data[section][name] = v
    data["simulation"]["posterior"] = ""
    return validate(data, source or f"{post.path} row {row + 1}")


def replicate_config(cfg: Config, replicate: int) -> Config:
    """Replicate ``replicate``'s config: its posterior set applied, ``simulation.posterior``
    cleared (so applying it again changes nothing). Without a posterior, ``cfg`` itself."""
    if not cfg.simulation.posterior:
        return cfg
    post = load_posterior(cfg.simulation.posterior)
    perm = permutation(cfg.simulation.seed, post.rows)
    return apply_row(cfg, post, int(perm[set_index(cfg, replicate) % post.rows]))


def check_posterior(cfg: Config, set_keys: tuple[str, ...] | list[str] = (), what: str = "--set") -> Posterior | None:
    """Validate ``cfg``'s posterior before anything runs: the file, ``posterior_draws`` against its
    rows, and every set the replicates will use applied to the scenario. ``set_keys``: keys the user
    set explicitly (``--set``, a swept parameter), refused if the posterior draws them (it would
    overwrite them). Returns the posterior, or None without one."""
    spec = cfg.simulation.posterior
    if not spec:
        return None
    post = load_posterior(spec)
    d = cfg.simulation.posterior_draws
    if d > post.rows:
        raise ConfigError(str(post.path), None, f"has {post.rows} parameter set(s) but simulation.posterior_draws "
                                                f"is {d}: use at most {post.rows} (0: one per replicate)")
    for key in set_keys:
        if key in post.keys:
            raise ConfigError(what, key, f"is drawn from the posterior {post.path} for every replicate, so "
                                         "setting it has no effect: drop one or the other")
    for row in sorted(set(replicate_rows(cfg, post))):
        try:
            apply_row(cfg, post, row)
        except ConfigError as e:
            raise ConfigError(str(post.path), e.field, f"row {row + 1}: {e.message}") from None
    return post


def check_comparison(scenarios: list[tuple[str, Config]], overrides: list[str] | tuple[str, ...] = ()) -> None:
    """Validate a comparison's posterior (``scenarios``: (source, config), baseline first), refusing a
    ``--set`` of a drawn parameter and a scenario that differs from the baseline in one: the
    posterior would overwrite the difference, so the comparison would not compare what it says."""
    from ..model.config import to_dict
    from ..model.overrides import split_key

    post = check_posterior(scenarios[0][1], [".".join(split_key(a.partition("=")[0])) for a in overrides])
    if post is None:
        return
    base = to_dict(scenarios[0][1])
    for source, cfg in scenarios[1:]:
        check_posterior(cfg)
        mine = to_dict(cfg)
        for key in post.keys:
            section, name = key.split(".")
            if mine[section][name] != base[section][name]:
                raise ConfigError(source, key, f"differs from the baseline, but the posterior {post.path} draws it "
                                               "for every replicate and scenario, so the difference would be "
                                               "overwritten: compare levers, not uncertain parameters")


def posterior_record(cfg: Config, replicates: int | None = None) -> dict[str, Any] | None:
    """What a run's metadata records about its posterior: name, file, sha256, sets, provenance, and
    which row (1-based) each replicate used. None without a posterior."""
    if not cfg.simulation.posterior:
        return None
    post = load_posterior(cfg.simulation.posterior)
    rows = replicate_rows(cfg, post, replicates)
    return {"name": post.name, "builtin": post.builtin, "path": str(post.path), "sha256": post.sha256,
            "rows": post.rows, "parameters": list(post.keys), "draws": cfg.simulation.posterior_draws,
            "distinct_sets_used": len(set(rows)), "replicate_rows": [r + 1 for r in rows],
            "provenance": post.provenance}


def replicate_parameters(cfg: Config, replicates: int | None = None) -> list[dict[str, Any]]:
    """One dict per replicate: ``posterior_row`` (1-based) and the set's parameter values."""
    if not cfg.simulation.posterior:
        return []
    post = load_posterior(cfg.simulation.posterior)
    return [{"posterior_row": r + 1, **post.row(r)} for r in replicate_rows(cfg, post, replicates)]


def describe_builtins() -> list[dict[str, Any]]:
    """Every built-in posterior: name, rows, parameters and provenance (for ``spsim posteriors``)."""
    out = []
    for name in builtin_names():
        post = load_posterior(name)
        out.append({"name": name, "rows": post.rows, "parameters": list(post.keys), "sha256": post.sha256,
                    "provenance": post.provenance})
    return out
