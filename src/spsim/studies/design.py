"""Design points of an experiment: every combination of a grid, or a Latin hypercube, Sobol
(Saltelli) or Morris sample drawn with SALib; sizes are bounded before anything is built."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from ..model.config import ConfigError
from .experiment_schema import ExperimentFile

#: design points, and runs (points x replicates), at most: a sweep over more is a mistake
MAX_POINTS = 1_000_000
MAX_RUNS = 1_000_000


def _round(kind: str, x: float) -> Any:
    return int(np.rint(x)) if kind == "int" else float(x)


def _bound(src: str, field: str, points: int, replicates: int, what: str) -> None:
    if points > MAX_POINTS:
        raise ConfigError(src, field, f"{what} {points:,} points; at most {MAX_POINTS:,}")
    if points * replicates > MAX_RUNS:
        raise ConfigError(src, "experiment.replicates", f"{points:,} points x {replicates:,} replicates = "
                          f"{points * replicates:,} runs; at most {MAX_RUNS:,}")


def design_points(spec: ExperimentFile, params: list, src: str,
                  root_seed: int) -> tuple[list[dict[str, Any]], np.ndarray | None]:
    """The design points (each ``{key: typed value}``) and, for sampled designs, the raw sample matrix.
    Their number, and points x replicates, are bounded before any point is built."""
    d = spec.design
    reps = spec.experiment.replicates
    if d.method == "grid":
        if d.samples is not None:
            raise ConfigError(src, "design.samples",
                              "is for lhs, sobol and morris designs; a grid takes every combination")
        n = math.prod(len(p.levels) for p in params)
        _bound(src, "parameters", n, reps, "the grid has")
        combos = itertools.product(*[p.levels for p in params])
        return [dict(zip([p.key for p in params], c, strict=True)) for c in combos], None
    if d.samples is None:
        hint = {"lhs": "the number of points", "sobol": "N, a power of 2 such as 32 (runs = N x (D+2))",
                "morris": "the number of trajectories, e.g. 10"}[d.method]
        raise ConfigError(src, "design.samples", f"a {d.method} design needs samples: {hint}")
    seed = d.seed if d.seed is not None else root_seed
    dims = len(params)
    n = d.samples * {"lhs": 1, "sobol": (2 * dims + 2) if d.second_order else dims + 2, "morris": dims + 1}[d.method]
    _bound(src, "design.samples", n, reps, "the design would have")
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

