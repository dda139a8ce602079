"""Experiment files: a base scenario, the parameters that vary and how (a grid, a Latin hypercube,
or a SALib design for Sobol or Morris sensitivity analysis), replicates, weeks and outcomes.

An experiment file is data (TOML, or YAML) validated into typed objects, like a scenario file:
unknown keys are errors that suggest the nearest valid key, and every failure is one
:class:`~spsim.config.ConfigError` line naming the file and the field. Everything that can be
checked is checked before anything runs: every varied parameter must exist in the scenario schema,
and every design point's configuration is validated.

A run is (design point, replicate). Its configuration is the base configuration with the point's
overrides applied (:func:`spsim.config.apply_override`); its seed is replicate ``r``'s seed spawned
from the experiment's root seed, the same at every point (common random numbers). Its id is a
stable hash of its resolved configuration and replicate, so resuming a sweep, or growing one, reuses
every run already done. See docs/experiments.md.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..model.config import (
    ConfigError,
    _suggest,
    apply_override,
    deep_merge,
    read_mapping,
    record_described,
    validate,
)
from ..model.outcomes import COLUMNS
from ..model.params import Config

DESIGNS = ("grid", "lhs", "sobol", "morris")
SAMPLED = ("lhs", "sobol", "morris")
AGGREGATES = ("mean", "final", "sum", "min", "max")
MAX_POINTS = 1_000_000
#: keys an experiment sets itself, so they cannot be varied
RESERVED = {
    "simulation.seed": "the root seed is [experiment] seed",
    "simulation.replicates": "replicates are [experiment] replicates",
    "simulation.name": "the name is [experiment] name",
}
DEFAULT_OUTCOMES = [
    "lonely_share_mean",
    "gp_consultations_per_person_year",
    "ae_attendances_per_1000_year",
    "lw_wait_weeks_mean",
    "clients_supported_total",
    "groups_active_final",
    "volunteers_final",
]


def _summary_keys() -> list[str]:
    """The per-run summary outcomes (the keys :func:`spsim.outcomes.summarise` returns)."""
    import pandas as pd

    from ..model.outcomes import summarise

    dummy = pd.DataFrame({k: [1.0] for k in COLUMNS})
    return list(summarise(dummy, 100, 1.0))


SUMMARY_KEYS: list[str] = _summary_keys()


# ----------------------------------------------------------------------------------- schema
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParameterSpec(_Strict):
    """One varied parameter: explicit ``values`` (grid), or a ``low``-``high`` range (with
    ``levels`` evenly spaced values for a grid; sampled for lhs, sobol and morris designs)."""

    key: str = Field(description="Scenario key, as in --set, e.g. link_workers.fte")
    values: list[bool | int | float | str] | None = Field(None, min_length=1, description="Grid levels")
    low: float | None = Field(None, description="Lower end of the range")
    high: float | None = Field(None, description="Upper end of the range")
    levels: int | None = Field(None, ge=2, le=10_000, description="Grid: evenly spaced values from low to high")


class DesignSpec(_Strict):
    method: Literal["grid", "lhs", "sobol", "morris"] = "grid"
    samples: int | None = Field(None, ge=1, le=1_000_000, description=(
        "lhs: points; sobol: base samples N (N x (D+2) points, or N x (2D+2) with second order); "
        "morris: trajectories (N x (D+1) points)"))
    levels: int = Field(4, ge=2, le=100, description="morris: grid levels (even)")
    second_order: bool = Field(False, description="sobol: also estimate second-order indices")
    seed: int | None = Field(None, ge=0, le=2**63 - 1,
                             description="Seed for sampling the design (default: the root seed)")


class ExperimentSpec(_Strict):
    name: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100,
                             description="Label and default output folder (default: the file name)")
    description: str = ""
    base: str | None = Field(None, description="Scenario file, relative to this file (default: built-in town)")
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="Root seed (default: the base scenario's)")
    replicates: int = Field(1, ge=1, le=100_000)
    weeks: int | None = Field(None, ge=1, le=5200, description="Weeks recorded (default: the base scenario's)")
    outcomes: list[str] = Field(default_factory=lambda: list(DEFAULT_OUTCOMES), min_length=1)


class ExperimentFile(_Strict):
    experiment: ExperimentSpec
    config: dict[str, Any] = Field(default_factory=dict, description="Scenario settings on top of the base file")
    design: DesignSpec = DesignSpec()
    parameters: list[ParameterSpec] = Field(min_length=1)


def _model_of(ann: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (``X``, ``list[X]``, ``X | None``)."""
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in typing.get_args(ann):
        m = _model_of(arg)
        if m is not None:
            return m
    return None


def _known(model: type[BaseModel], loc: tuple) -> list[str]:
    for part in loc:
        if isinstance(part, int):
            continue
        f = model.model_fields.get(part)
        sub = _model_of(f.annotation) if f is not None else None
        if sub is None:
            return []
        model = sub
    return list(model.model_fields)


def _loc_str(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _validate_file(data: dict[str, Any], source: str) -> ExperimentFile:
    try:
        return ExperimentFile.model_validate(data)
    except ValidationError as e:
        errors = e.errors()
        err = errors[0]
        loc = tuple(err["loc"])
        # a bad item inside a union list reports the tried type as the last loc part; drop it
        while loc and isinstance(loc[-1], str) and loc[-1] in ("bool", "int", "float", "str"):
            loc = loc[:-1]
        if err["type"] == "extra_forbidden":
            msg = "unknown key" + _suggest(str(loc[-1]), _known(ExperimentFile, loc[:-1]))
        else:
            msg = err["msg"]
            if not isinstance(err.get("input"), (dict, list)):
                msg += f" (got {err.get('input')!r})"
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(source, _loc_str(loc), msg + more) from None


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
    """The annotation of a scenario field, e.g. ``float`` for link_workers.fte."""
    section, _, name = key.partition(".")
    return Config.model_fields[section].annotation.model_fields[name].annotation


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
    replicate count (replicate r's seed does not depend on how many replicates there are)."""
    d = cfg.model_dump(mode="json")
    d["simulation"] = {k: v for k, v in d["simulation"].items() if k not in ("name", "replicates")}
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
        """Base data with the point's overrides (keys were checked with apply_override on loading)."""
        over: dict[str, dict[str, Any]] = {}
        for key, value in self.points[point].items():
            section, _, name = key.partition(".")
            over.setdefault(section, {})[name] = value
        return deep_merge(self.base_data, over)

    def point_config(self, point: int) -> Config:
        return validate(self.point_data(point), f"{self.source} (point {point})")

    def runs(self) -> list[Run]:
        """Every (point, replicate), point-major. Identical points share a run id (and a run)."""
        return [Run(run_id(h, r), k, r) for k, h in enumerate(self.hashes) for r in range(self.replicates)]

    def describe(self) -> str:
        runs = self.runs()
        unique = len({r.run_id for r in runs})
        d = self.spec.design
        how = {"grid": "grid", "lhs": f"Latin hypercube of {d.samples}",
               "sobol": f"Sobol (Saltelli) design, N={d.samples}" + (", second order" if d.second_order else ""),
               "morris": f"Morris design, {d.samples} trajectories, {d.levels} levels"}[self.method]
        dup = f" ({unique} distinct)" if unique != len(runs) else ""
        return (f"{self.name}: {how} over {', '.join(self.keys)}: {len(self.points)} points x "
                f"{self.replicates} replicate(s) = {len(runs)} runs{dup}; {self.base.population.size:,} residents, "
                f"{self.base.simulation.weeks} weeks (+{self.base.simulation.burn_in_weeks} burn-in), "
                f"seed {self.seed}")


def check_outcome(name: str, source: str, where: str) -> None:
    if name in SUMMARY_KEYS:
        return
    col, sep, agg = name.partition(":")
    if sep:
        if col not in COLUMNS:
            raise ConfigError(source, where, f"'{col}' is not a weekly column" + _suggest(col, list(COLUMNS)))
        if agg not in AGGREGATES:
            raise ConfigError(source, where, f"'{agg}' is not an aggregate; use one of {', '.join(AGGREGATES)}")
        return
    hint = _suggest(name, SUMMARY_KEYS)
    if name in COLUMNS:
        hint = f"; '{name}' is a weekly column: write '{name}:mean' or '{name}:final'"
    raise ConfigError(source, where, f"unknown outcome '{name}'{hint}")


def load_experiment(path: str | Path) -> Experiment:
    """Read, validate and expand an experiment file. Raises ConfigError (one line) on any problem."""
    p = Path(path)
    src = str(path)
    data = read_mapping(p)
    spec = _validate_file(data, src)
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
    base = validate(base_data, src)

    for i, o in enumerate(ex.outcomes):
        check_outcome(o, src, f"experiment.outcomes[{i}]")
    if len(set(ex.outcomes)) != len(ex.outcomes):
        raise ConfigError(src, "experiment.outcomes", "lists an outcome twice")

    params = _parameters(spec, base_data, src)
    points, samples = _design(spec, params, src, base.simulation.seed)
    exp = Experiment(spec=spec, source=src, text=p.read_text(encoding="utf-8"), name=name, base_data=base_data,
                     base=base, parameters=params, points=points, samples=samples)
    # every point's configuration is validated before anything runs
    for k in range(len(points)):
        try:
            cfg = exp.point_config(k)
        except ConfigError as e:
            pt = ", ".join(f"{key}={v!r}" for key, v in points[k].items())
            raise ConfigError(src, "parameters", f"design point {k} ({pt}): {e.field}: {e.message}") from None
        exp.hashes.append(point_hash(cfg))
    return exp


def _parameters(spec: ExperimentFile, base_data: dict[str, Any], src: str) -> list[Parameter]:
    method = spec.design.method
    out: list[Parameter] = []
    seen: set[str] = set()
    for i, ps in enumerate(spec.parameters):
        where = f"parameters[{i}]"
        key = ps.key.strip()
        # the same check as --set: the key must exist in the scenario schema
        apply_override({}, f"{key}=0", source=f"{src}: {where}.key")
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


def _round(kind: str, x: float) -> Any:
    return int(np.rint(x)) if kind == "int" else float(x)


def _design(spec: ExperimentFile, params: list[Parameter], src: str,
            root_seed: int) -> tuple[list[dict[str, Any]], np.ndarray | None]:
    d = spec.design
    if d.method == "grid":
        if d.samples is not None:
            raise ConfigError(src, "design.samples",
                              "is for lhs, sobol and morris designs; a grid takes every combination")
        n = math.prod(len(p.levels) for p in params)
        if n > MAX_POINTS:
            raise ConfigError(src, "parameters", f"the grid has {n:,} points; at most {MAX_POINTS:,}")
        combos = itertools.product(*[p.levels for p in params])
        return [dict(zip([p.key for p in params], c, strict=True)) for c in combos], None
    if d.samples is None:
        hint = {"lhs": "the number of points", "sobol": "N, a power of 2 such as 32 (runs = N x (D+2))",
                "morris": "the number of trajectories, e.g. 10"}[d.method]
        raise ConfigError(src, "design.samples", f"a {d.method} design needs samples: {hint}")
    seed = d.seed if d.seed is not None else root_seed
    dims = len(params)
    n = d.samples * {"lhs": 1, "sobol": (2 * dims + 2) if d.second_order else dims + 2, "morris": dims + 1}[d.method]
    if n > MAX_POINTS:
        raise ConfigError(src, "design.samples", f"the design would have {n:,} points; at most {MAX_POINTS:,}")
    problem = {"num_vars": len(params), "names": [p.key for p in params], "bounds": [[p.low, p.high] for p in params]}
    if d.method == "lhs":
        from SALib.sample import latin

        x = latin.sample(problem, d.samples, seed=seed)
    elif d.method == "sobol":
        if d.samples & (d.samples - 1):
            lo = 1 << (d.samples.bit_length() - 1)
            raise ConfigError(src, "design.samples", f"a Sobol design needs a power of 2 (got {d.samples}; "
                              f"try {lo} or {lo * 2})")
        from SALib.sample import sobol

        x = sobol.sample(problem, d.samples, calc_second_order=d.second_order, seed=seed)
    else:
        if d.levels % 2:
            raise ConfigError(src, "design.levels", f"a Morris design needs an even number of levels (got {d.levels})")
        if len(params) < 2:
            raise ConfigError(src, "parameters", "a Morris design needs at least 2 parameters")
        from SALib.sample import morris

        x = morris.sample(problem, d.samples, num_levels=d.levels, seed=seed)
    x = np.asarray(x, dtype=np.float64)
    points = [{p.key: _round(p.kind, x[k, j]) for j, p in enumerate(params)} for k in range(x.shape[0])]
    return points, x

