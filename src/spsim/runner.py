"""Run replicates of a scenario, serially or in worker processes, with identical results.

Replicate ``r`` always gets ``SeedSequence(seed).spawn(R)[r]`` and results are gathered in
replicate order, so ``--workers 1`` and ``--workers 4`` write the same bytes.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .outcomes import summarise
from .params import Config
from .rng import replicate_seeds


@dataclass
class ReplicateResult:
    replicate: int
    timeseries: pd.DataFrame
    summary: dict[str, float]
    build_seconds: float
    run_seconds: float


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
        rows = [
            {"scenario": self.cfg.simulation.name, "replicate": rep.replicate, **rep.summary}
            for rep in self.replicates
        ]
        return pd.DataFrame(rows)

    def seeds(self) -> list[dict[str, Any]]:
        return [
            {"replicate": r, "entropy": str(ss.entropy), "spawn_key": list(ss.spawn_key)}
            for r, ss in enumerate(replicate_seeds(self.cfg.simulation.seed, self.cfg.simulation.replicates))
        ]


def run_replicate(
    cfg: Config, replicate: int, progress: Callable[[int], None] | None = None
) -> ReplicateResult:
    """Build and run one replicate (importable at top level so worker processes can call it)."""
    from .model import SocialPrescribingModel

    seed_seq = replicate_seeds(cfg.simulation.seed, cfg.simulation.replicates)[replicate]
    t0 = time.perf_counter()
    model = SocialPrescribingModel(cfg, replicate=replicate, seed_seq=seed_seq, agents=False)
    t1 = time.perf_counter()
    model.run(progress)
    t2 = time.perf_counter()
    ts = model.timeseries()
    return ReplicateResult(
        replicate=replicate,
        timeseries=ts,
        summary=summarise(ts, cfg.population.size, cfg.link_workers.fte),
        build_seconds=t1 - t0,
        run_seconds=t2 - t1,
    )


def _worker(cfg_json: str, replicate: int) -> ReplicateResult:
    return run_replicate(Config.model_validate_json(cfg_json), replicate)


def run(
    cfg: Config,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Run every replicate of ``cfg``. ``progress(k)`` receives weeks completed."""
    reps = cfg.simulation.replicates
    t0 = time.perf_counter()
    workers = max(1, min(workers, reps))
    result = RunResult(cfg=cfg, workers=workers)
    weeks_per_rep = cfg.simulation.burn_in_weeks + cfg.simulation.weeks
    if workers == 1:
        for r in range(reps):
            result.replicates.append(run_replicate(cfg, r, progress))
    else:
        cfg_json = cfg.model_dump_json()
        ctx = mp.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = [pool.submit(_worker, cfg_json, r) for r in range(reps)]
            for fut in futures:  # replicate order, whatever order they finish in
                result.replicates.append(fut.result())
                if progress is not None:
                    progress(weeks_per_rep)
    result.wall_seconds = time.perf_counter() - t0
    return result
