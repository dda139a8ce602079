"""Run replicates of a scenario, serially or in worker processes, with identical results.

Replicate ``r`` always gets ``SeedSequence(seed).spawn(R)[r]`` and results are gathered in
replicate order, so ``--workers 1`` and ``--workers 4`` write the same bytes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..model.outcomes import summarise
from ..model.params import Config
from ..model.rng import replicate_seeds


@dataclass
class ReplicateResult:
    replicate: int
    timeseries: pd.DataFrame
    summary: dict[str, float]
    build_seconds: float
    run_seconds: float
    by_group: pd.DataFrame | None = None  # outcomes by deprivation, age, sex, practice (model/breakdown.py)
    scaled: list[dict[str, Any]] = field(default_factory=list)  # what scaling the place changed (model/scaling.py)


@dataclass
class RunResult:
    cfg: Config
    replicates: list[ReplicateResult] = field(default_factory=list)
    wall_seconds: float = 0.0
    workers: int = 1

    def timeseries(self) -> pd.DataFrame:
        """All replicates, long format: scenario, replicate, week, outcomes..."""
        frames = []
        for rep in self.replicates:
            df = rep.timeseries.copy()
            df.insert(0, "replicate", np.int64(rep.replicate))
            df.insert(0, "scenario", self.cfg.simulation.name)
            frames.append(df)
        return pd.concat(frames, ignore_index=True)

    def summary(self) -> pd.DataFrame:
        """One row per replicate; with a posterior, the row of its set (``posterior_row``, 1-based) and
        the set's parameter values come after the replicate number."""
        from .posterior import replicate_parameters

        sets = replicate_parameters(self.cfg)
        rows = [
            {"scenario": self.cfg.simulation.name, "replicate": rep.replicate,
             **(sets[rep.replicate] if sets else {}), **rep.summary}
            for rep in self.replicates
        ]
        return pd.DataFrame(rows)

    def summary_by_group(self) -> pd.DataFrame:
        """Every replicate's outcomes by group: scenario, replicate, dimension, group, ..."""
        frames = []
        for rep in self.replicates:
            if rep.by_group is None:
                continue
            df = rep.by_group.copy()
            df.insert(0, "replicate", np.int64(rep.replicate))
            df.insert(0, "scenario", self.cfg.simulation.name)
            frames.append(df)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def scaled(self) -> list[dict[str, Any]]:
        """What scaling the place changed (the same in every replicate)."""
        return self.replicates[0].scaled if self.replicates else []

    def seeds(self) -> list[dict[str, Any]]:
        return [
            {"replicate": r, "entropy": str(ss.entropy), "spawn_key": list(ss.spawn_key)}
            for r, ss in enumerate(replicate_seeds(self.cfg.simulation.seed, self.cfg.simulation.replicates))
        ]


def run_replicate(
    cfg: Config, replicate: int, progress: Callable[[int], None] | None = None,
    panel: tuple[str, str] | None = None,
) -> ReplicateResult:
    """Build and run one replicate (importable at top level so worker processes can call it).
    ``panel = (folder, period)`` also writes ``panel-<r>.parquet`` and ``network-<r>.parquet`` there
    (see :mod:`spsim.studies.panel`)."""
    from ..model.simulation import SocialPrescribingModel
    from .posterior import replicate_config

    cfg = replicate_config(cfg, replicate)  # its posterior set, if any (a no-op when already applied)
    seed_seq = replicate_seeds(cfg.simulation.seed, cfg.simulation.replicates)[replicate]
    analyzers = []
    if panel is not None:
        from pathlib import Path

        from .panel import PanelWriter

        folder = Path(panel[0])
        analyzers.append(PanelWriter(folder / f"panel-{replicate}.parquet", panel[1],
                                     folder / f"network-{replicate}.parquet"))
    t0 = time.perf_counter()
    model = SocialPrescribingModel(cfg, replicate=replicate, seed_seq=seed_seq, agents=False, analyzers=analyzers)
    t1 = time.perf_counter()
    model.run(progress)
    t2 = time.perf_counter()
    ts = model.timeseries()
    return ReplicateResult(
        replicate=replicate,
        timeseries=ts,
        summary=summarise(ts, cfg.population.size, model.total_link_worker_fte),
        build_seconds=t1 - t0,
        run_seconds=t2 - t1,
        by_group=model.summary_by_group(),
        scaled=[s.as_dict() for s in model.scaled],
    )


def _call_json(fn: Callable, cfg_json: str, *args: Any) -> Any:
    return fn(Config.model_validate_json(cfg_json), *args)


def map_ordered(
    fn: Callable[..., Any],
    tasks: list[tuple],
    workers: int = 1,
    done: Callable[[Any], None] | None = None,
) -> list[Any]:
    """``[fn(*t) for t in tasks]``, in worker processes when ``workers > 1``.

    Each task's first element is a Config (sent to workers as JSON). Results come back in task
    order whatever order they finish in, so serial and parallel runs give the same output.
    """
    workers = max(1, min(workers, len(tasks)))
    results = []
    if workers == 1:
        for t in tasks:
            res = fn(*t)
            results.append(res)
            if done is not None:
                done(res)
        return results
    from .pool import process_pool, stop_pool

    pool = process_pool(workers)  # its workers die with this process (see pool.watch_parent)
    try:
        futures = [pool.submit(_call_json, fn, t[0].model_dump_json(), *t[1:]) for t in tasks]
        for fut in futures:
            res = fut.result()
            results.append(res)
            if done is not None:
                done(res)
    except BaseException:
        stop_pool(pool)  # Ctrl-C or a failure: do not wait for the other replicates
        raise
    pool.shutdown()
    return results


def run(
    cfg: Config,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    panel: tuple[str, str] | None = None,
) -> RunResult:
    """Run every replicate of ``cfg``. ``progress(k)`` receives weeks completed; ``panel`` as in
    :func:`run_replicate`."""
    reps = cfg.simulation.replicates
    t0 = time.perf_counter()
    workers = max(1, min(workers, reps))
    result = RunResult(cfg=cfg, workers=workers)
    weeks_per_rep = cfg.simulation.burn_in_weeks + cfg.simulation.weeks
    from .posterior import replicate_config

    # each replicate's posterior set is applied here, in this process, so workers need not read the file
    tasks = [(replicate_config(cfg, r), r, None, panel) for r in range(reps)]
    if workers == 1:
        result.replicates = [run_replicate(c, r, progress, p) for c, r, _, p in tasks]
    else:
        done = (lambda _res: progress(weeks_per_rep)) if progress is not None else None
        result.replicates = map_ordered(run_replicate, tasks, workers, done)
    result.wall_seconds = time.perf_counter() - t0
    return result
