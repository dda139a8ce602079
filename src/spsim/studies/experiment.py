"""Experiment files: a base scenario, the parameters that vary and how (a grid, a Latin hypercube,
or a SALib design for Sobol or Morris sensitivity analysis), replicates, weeks and outcomes.

An experiment file is data (TOML, or YAML) validated into typed objects, like a scenario file:
unknown keys are errors that suggest the nearest valid key, and every failure is one
:class:`~spsim.config.ConfigError` line naming the file and the field. Everything that can be
checked is checked before anything runs: every varied parameter must exist in the scenario schema,
and every design point's configuration is validated.

A run is (design point, replicate). Its configuration is the base configuration with the point's
overrides applied (:func:`spsim.model.overrides.apply_override`); its seed is replicate ``r``'s seed spawned
from the experiment's root seed, the same at every point (common random numbers). Its id is a
stable hash of its resolved configuration and replicate, so resuming a sweep, or growing one, reuses
every run already done. See docs/experiments.md.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..model.config import ConfigError, deep_merge, read_mapping, read_text_safely, record_described, validate
from ..model.outcomes import COLUMNS
from ..model.overrides import apply_override, list_item, split_key, suggest
from ..model.params import Config
from .design import MAX_POINTS, MAX_RUNS, _round, design_points
from .experiment_schema import DEFAULT_OUTCOMES, ExperimentFile, validate_file

__all__ = ["DEFAULT_OUTCOMES", "MAX_POINTS", "MAX_RUNS", "Experiment", "ExperimentFile", "Run", "load_experiment"]

DESIGNS = ("grid", "lhs", "sobol", "morris")
SAMPLED = ("lhs", "sobol", "morris")
AGGREGATES = ("mean", "final", "sum", "min", "max")
#: keys an experiment sets itself, so they cannot be varied
RESERVED = {
    "simulation.seed": "the root seed is [experiment] seed",
    "simulation.replicates": "replicates are [experiment] replicates",
    "simulation.name": "the name is [experiment] name",
}


def _summary_keys() -> list[str]:
    """The per-run summary outcomes (the keys :func:`spsim.outcomes.summarise` returns)."""
    import pandas as pd

    from ..model.outcomes import summarise

    dummy = pd.DataFrame({k: [1.0] for k in COLUMNS})
    return list(summarise(dummy, 100, 1.0))


SUMMARY_KEYS: list[str] = _summary_keys()


# ----------------------------------------------------------------------------------- helpers
def _literal(v: Any) -> str:
    """A value as the TOML literal apply_override parses back to exactly the same value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return "nan"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return repr(f)
    return json.dumps(str(v))


def _field_type(key: str) -> Any:
    """The annotation of a scenario field, e.g. ``float`` for link_workers.fte or teams.0.fte (an
    entry of a list of sections is addressed by its index, as in --set)."""
    model: Any = Config
    parts = split_key(key)
    i = 0
    while i < len(parts) - 1:
        item = list_item(model, parts[i])
        model, i = (item, i + 2) if item is not None else (model.model_fields[parts[i]].annotation, i + 1)
    return model.model_fields[parts[-1]].annotation


def _kind(ann: Any) -> str:
    if ann is bool:
        return "bool"
    if ann is int:
        return "int"
    if ann is float:
        return "float"
    return "str"


def _coerce(kind: str, v: Any) -> Any:
    """A grid value as the field's type where that is exact; anything else is left for validation."""
    numeric = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
    if kind == "float":
        return float(v) if numeric else v
    if kind == "int":
        if isinstance(v, float) and v.is_integer():
            return int(v)
        return int(v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else v
    return v


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def point_hash(cfg: Config) -> str:
    """Hash of what determines a run's results: the resolved configuration, less its label and
    replicate count (replicate r's seed does not depend on how many replicates there are), and, with
    a posterior, the sha256 of its file (so a changed file is not mistaken for the one already run)."""
    d = cfg.model_dump(mode="json")
    d["simulation"] = {k: v for k, v in d["simulation"].items() if k not in ("name", "replicates")}
    if cfg.simulation.posterior:
        from .posterior import load_posterior

        d["posterior_sha256"] = load_posterior(cfg.simulation.posterior).sha256
    return hashlib.sha256(canonical_json(d).encode()).hexdigest()


def run_id(phash: str, replicate: int) -> str:
    return hashlib.sha256(f"{phash}:{replicate}".encode()).hexdigest()[:16]


# ----------------------------------------------------------------------------------- experiment
@dataclass
class Parameter:
    key: str
    kind: str  # "int", "float", "str", "bool"
    levels: list[Any] | None = None  # grid levels (typed)
    low: float | None = None
    high: float | None = None


@dataclass
class Run:
    run_id: str
    point: int
    replicate: int


@dataclass
class Experiment:
    """A validated experiment: base configuration, parameters, design points and runs."""

    spec: ExperimentFile
    source: str
    text: str
    name: str
    base_data: dict[str, Any]
    base: Config
    parameters: list[Parameter]
    points: list[dict[str, Any]]  # point -> {key: typed value}
    samples: np.ndarray | None  # raw design matrix for sampled designs (points x parameters)
    hashes: list[str] = field(default_factory=list)  # point -> point hash

    @property
    def method(self) -> str:
        return self.spec.design.method

    @property
    def replicates(self) -> int:
        return self.spec.experiment.replicates

    @property
    def seed(self) -> int:
        return self.base.simulation.seed

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.parameters]

    @property
    def outcomes(self) -> list[str]:
        return list(self.spec.experiment.outcomes)

    def problem(self) -> dict[str, Any]:
        """SALib problem definition (sampled designs)."""
        return {"num_vars": len(self.parameters), "names": self.keys,
                "bounds": [[p.low, p.high] for p in self.parameters]}

    def point_data(self, point: int) -> dict[str, Any]:
        """Base data with the point's overrides (keys were checked with apply_override on loading;
        ``teams.0.fte`` sets the first [[teams]] entry's FTE, as --set does)."""
        over: dict[str, dict[str, Any]] = {}
        listed: list[tuple[tuple[str, ...], Any]] = []
        for key, value in self.points[point].items():
            parts = split_key(key)
            if len(parts) == 2:
                over.setdefault(parts[0], {})[parts[1]] = value
            else:
                listed.append((parts, value))
        data = copy.deepcopy(deep_merge(self.base_data, over))
        for parts, value in listed:  # an entry of a list of sections: index into the base's own list
            node: Any = data
            for p in parts[:-1]:
                node = node[int(p)] if p.isdigit() else node[p]
            node[parts[-1]] = value
        return data

    def point_config(self, point: int) -> Config:
        return validate(self.point_data(point), f"{self.source} (point {point})")

    def iter_runs(self) -> Iterator[Run]:
        """Every (point, replicate), point-major, one at a time. Identical points share a run id (and a run)."""
        for k, h in enumerate(self.hashes):
            for r in range(self.replicates):
                yield Run(run_id(h, r), k, r)

    def runs(self) -> list[Run]:
        return list(self.iter_runs())

    def run_ids(self) -> Iterator[str]:
        return (r.run_id for r in self.iter_runs())

    @property
    def n_runs(self) -> int:
        return len(self.hashes) * self.replicates

    @property
    def n_distinct(self) -> int:
        """Distinct runs: a run id is a hash of (point hash, replicate), so identical points share them."""
        return len(set(self.hashes)) * self.replicates

    def describe(self) -> str:
        n_runs, unique = self.n_runs, self.n_distinct
        d = self.spec.design
        how = {"grid": "grid", "lhs": f"Latin hypercube of {d.samples}",
               "sobol": f"Sobol (Saltelli) design, N={d.samples}" + (", second order" if d.second_order else ""),
               "morris": f"Morris design, {d.samples} trajectories, {d.levels} levels"}[self.method]
        dup = f" ({unique} distinct)" if unique != n_runs else ""
        return (f"{self.name}: {how} over {', '.join(self.keys)}: {len(self.points)} points x "
                f"{self.replicates} replicate(s) = {n_runs} runs{dup}; {self.base.population.size:,} residents, "
                f"{self.base.simulation.weeks} weeks (+{self.base.simulation.burn_in_weeks} burn-in), "
                f"seed {self.seed}")


def check_outcome(name: str, source: str, where: str) -> None:
    if name in SUMMARY_KEYS:
        return
    col, sep, agg = name.partition(":")
    if sep:
        if col not in COLUMNS:
            raise ConfigError(source, where, f"'{col}' is not a weekly column" + suggest(col, list(COLUMNS)))
        if agg not in AGGREGATES:
            raise ConfigError(source, where, f"'{agg}' is not an aggregate; use one of {', '.join(AGGREGATES)}")
        return
    hint = suggest(name, SUMMARY_KEYS)
    if name in COLUMNS:
        hint = f"; '{name}' is a weekly column: write '{name}:mean' or '{name}:final'"
    raise ConfigError(source, where, f"unknown outcome '{name}'{hint}")


def load_experiment(path: str | Path, options: list[str] | tuple[str, ...] = ()) -> Experiment:
    """Read, validate and expand an experiment file. Raises ConfigError (one line) on any problem.
    ``options``: ``KEY=VALUE`` assignments from the command line (``--posterior``), applied to the
    base scenario after the experiment's own settings."""
    p = Path(path)
    src = str(path)
    data = read_mapping(p)
    spec = validate_file(data, src)
    ex = spec.experiment
    name = ex.name or p.stem

    # base scenario, then the experiment's own settings, then what the experiment fixes
    base_data: dict[str, Any] = {}
    if ex.base is not None:
        base_path = Path(ex.base) if Path(ex.base).is_absolute() else p.parent / ex.base
        base_data = read_mapping(base_path)
        validate(base_data, str(base_path))  # errors name the base file
    try:
        validate(deep_merge({}, spec.config), src)
    except ConfigError as e:
        raise ConfigError(src, f"config.{e.field}" if e.field else "config", e.message) from None
    for k in ("replicates", "name"):
        if k in (spec.config.get("simulation") or {}):
            raise ConfigError(src, f"config.simulation.{k}", f"set [experiment] {k} instead")
    # the base file describes the place; a config.population.size makes a scaled copy of it
    base_data = record_described(base_data, deep_merge(base_data, spec.config))
    fixed: dict[str, Any] = {"name": name, "replicates": ex.replicates}
    if ex.seed is not None:
        fixed["seed"] = ex.seed
    if ex.weeks is not None:
        fixed["weeks"] = ex.weeks
    base_data = deep_merge(base_data, {"simulation": fixed})
    for assignment in options:
        base_data = apply_override(base_data, assignment, source="command line")
    base = validate(base_data, src)

    for i, o in enumerate(ex.outcomes):
        check_outcome(o, src, f"experiment.outcomes[{i}]")
    if len(set(ex.outcomes)) != len(ex.outcomes):
        raise ConfigError(src, "experiment.outcomes", "lists an outcome twice")

    params = _parameters(spec, base_data, src)
    points, samples = design_points(spec, params, src, base.simulation.seed)
    exp = Experiment(spec=spec, source=src, text=read_text_safely(p), name=name, base_data=base_data,
                     base=base, parameters=params, points=points, samples=samples)
    # every point's configuration is validated before anything runs
    for k in range(len(points)):
        try:
            cfg = exp.point_config(k)
        except ConfigError as e:
            pt = ", ".join(f"{key}={v!r}" for key, v in points[k].items())
            raise ConfigError(src, "parameters", f"design point {k} ({pt}): {e.field}: {e.message}") from None
        _check_posterior(exp, cfg, k)
        exp.hashes.append(point_hash(cfg))
    return exp


def _check_posterior(exp: Experiment, cfg: Config, point: int) -> None:
    """A point's posterior, checked before anything runs: the file and its sets (once per posterior),
    and that it draws none of the swept parameters (it would overwrite them)."""
    if not cfg.simulation.posterior:
        return
    from .posterior import check_posterior

    if point == 0 or exp.point_config(0).simulation.posterior != cfg.simulation.posterior or any(
            k.startswith("simulation.posterior") for k in exp.keys):
        try:
            check_posterior(cfg, [k for k in exp.keys if not k.startswith("simulation.")], "parameters")
        except ConfigError as e:
            if e.source == "parameters":
                raise ConfigError(exp.source, f"parameters: {e.field}", e.message) from None
            raise


def _parameters(spec: ExperimentFile, base_data: dict[str, Any], src: str) -> list[Parameter]:
    method = spec.design.method
    out: list[Parameter] = []
    seen: set[str] = set()
    for i, ps in enumerate(spec.parameters):
        where = f"parameters[{i}]"
        key = ps.key.strip()
        # the same check as --set: the key must exist in the scenario schema (and a [[teams]] entry in the base)
        apply_override(base_data, f"{key}=0", source=f"{src}: {where}.key")
        if key in RESERVED:
            raise ConfigError(src, f"{where}.key", f"{key} cannot be varied: {RESERVED[key]}")
        if key in seen:
            raise ConfigError(src, f"{where}.key", f"{key} is varied twice")
        seen.add(key)
        kind = _kind(_field_type(key))
        has_range = ps.low is not None or ps.high is not None
        if ps.values is not None and (has_range or ps.levels is not None):
            raise ConfigError(src, where, "give either values or low/high, not both")
        if method != "grid" and ps.values is not None:
            raise ConfigError(src, f"{where}.values", f"a {method} design samples a range: give low and high")
        if method != "grid" and ps.levels is not None:
            raise ConfigError(src, f"{where}.levels",
                              f"levels is for grid designs; a {method} design samples the range")
        if ps.values is None:
            if ps.low is None or ps.high is None:
                raise ConfigError(src, where, "needs values = [...], or low and high" +
                                  (" and levels" if method == "grid" else ""))
            if kind not in ("int", "float"):
                raise ConfigError(src, where, f"{key} is not a number: list its values instead of a range")
            if not ps.low < ps.high:
                raise ConfigError(src, where, f"low must be below high (got {ps.low} and {ps.high})")
            if method == "grid" and ps.levels is None:
                raise ConfigError(src, where, "a grid over low-high needs levels (how many values)")
        if ps.values is not None:
            levels = [_coerce(kind, v) for v in ps.values]
        elif method == "grid":
            grid = np.linspace(ps.low, ps.high, ps.levels)
            levels = [int(v) for v in np.rint(grid)] if kind == "int" else [float(v) for v in grid]
        else:
            levels = None
        # check the values (or the ends of the range) one at a time, naming the parameter
        checks = [(f"{where}.values[{j}]", v) for j, v in enumerate(levels)] if ps.values is not None else []
        if ps.values is None:
            checks = [(f"{where}.low", _coerce(kind, _round(kind, ps.low))),
                      (f"{where}.high", _coerce(kind, _round(kind, ps.high)))]
        for fld, v in checks:
            try:
                validate(apply_override(base_data, f"{key}={_literal(v)}", source=src), src)
            except ConfigError as e:
                raise ConfigError(src, fld, f"{key}={v!r}: {e.message}") from None
        if levels is not None and len(set(map(repr, levels))) != len(levels):
            raise ConfigError(src, where, f"{key} levels repeat {levels}" +
                              (" (after rounding to whole numbers)" if ps.values is None else ""))
        out.append(Parameter(key, kind, levels, ps.low, ps.high))
    return out
