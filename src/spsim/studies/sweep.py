"""``spsim sweep``: run every (design point, replicate) of an experiment through a
``concurrent.futures`` executor, one Parquet file per run, resumable.

Executors (:mod:`spsim.studies.executors`): in this process (``--workers 1``), a process pool
(``--workers N``, the default uses every core) or a Dask cluster (``--scheduler ADDRESS``). Workers
only compute; this process writes, so only one process ever writes to the output folder, whose
layout and checks are in :mod:`spsim.studies.sweepdir` (see also docs/experiments.md).

What can go wrong, and what then (docs/reliability.md):

* Killed at any moment (even SIGKILL): ``runs/`` only ever holds complete runs; ``--resume`` runs
  what has no file, after checking every file and the index.
* Ctrl-C: the workers are stopped, the summary is refreshed from the finished runs, and
  ``KeyboardInterrupt`` goes up to the command line (one line, exit 130).
* A full disk, workers that keep dying, a lost Dask scheduler: one line, finished runs kept.
* Before anything runs: the folder must be empty, or hold this sweep (with ``--resume``), made by
  this spsim version; the executor is started before the folder is touched, so a scheduler that
  cannot be reached leaves nothing behind; the town must fit in memory.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..io import atomic_output, write_csv, write_json, write_parquet
from .executors import InlineExecutor, Pool, SchedulerLost, WorkersFailed, drive, execute
from .experiment import Experiment, Run
from .limits import check_memory
from .sweepdir import (
    INDEX,
    LOCK,
    MANIFEST,
    RUNS,
    TMP_MARK,
    Index,
    by_point,
    clean_partial,
    design_frame,
    done_ids,
    gather,
    locked,
    manifest,
    prepare_output,
    read_index,
    verify_runs,
    write_run_file,
)

__all__ = ["INDEX", "LOCK", "MANIFEST", "RUNS", "TMP_MARK", "InlineExecutor", "Pool", "SweepResult", "by_point",
           "count_done",
           "design_frame", "done_ids", "drive", "gather", "locked", "read_index", "run_sweep", "write_summary"]


@dataclass
class SweepResult:
    out: Path
    runs: int  # (point, replicate) pairs
    distinct: int  # distinct runs
    already_done: int
    ran: int
    failed: list[tuple[str, str]] = field(default_factory=list)
    discarded: list[tuple[str, str]] = field(default_factory=list)  # damaged run files set aside, run again
    wall_seconds: float = 0.0
    executor: str = ""
    summary: pd.DataFrame | None = None
    interrupted: bool = False


def count_done(exp: Experiment, out: Path) -> int:
    """How many of the experiment's distinct runs have a file in ``out`` (runs are generated one at a time)."""
    done = done_ids(out)
    if not done:
        return 0
    return len({rid for rid in exp.run_ids() if rid in done})


def largest_town(exp: Experiment) -> int:
    if "population.size" in exp.keys:
        return max(int(pt["population.size"]) for pt in exp.points)
    return exp.base.population.size


def write_summary(exp: Experiment, out: Path) -> pd.DataFrame:
    summary = gather(exp, out)
    points = by_point(exp, summary)

    def write_tail(tmp: Path) -> None:
        write_parquet(summary, tmp / "summary.parquet")
        write_csv(summary, tmp / "summary.csv")
        write_csv(points, tmp / "points.csv")

    atomic_output(out, write_tail)
    return summary


def run_sweep(
    exp: Experiment,
    out: Path,
    workers: int = 1,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = False,
    analyse: bool = True,
) -> SweepResult:
    """Run every run of ``exp`` that has no file in ``out/runs`` yet; write the combined outputs."""
    out = Path(out)
    prepare_output(exp, out, resume)
    if scheduler is None:
        check_memory(largest_town(exp), min(workers, exp.n_distinct))
    t0 = time.perf_counter()
    pools: list[Pool] = []

    def start() -> Pool:  # called before the folder is first touched: a failed start leaves nothing behind
        if not pools:
            pools.append(Pool(workers, scheduler))
        return pools[0]

    fresh = not out.exists() or not any(out.iterdir())
    if fresh and exp.n_distinct:
        start()
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / RUNS).mkdir(exist_ok=True)
        with locked(out):
            return _sweep_locked(exp, out, start, progress, analyse, t0)
    finally:
        for pool in pools:
            pool.close(cancel=True)


def _sweep_locked(exp: Experiment, out: Path, start, progress: bool, analyse: bool, t0: float) -> SweepResult:
    clean_partial(out)
    discarded = verify_runs(exp, out)
    done = done_ids(out)
    distinct: dict[str, Run] = {}
    for r in exp.iter_runs():
        if r.run_id not in done:
            distinct.setdefault(r.run_id, r)
    todo = list(distinct.values())
    pool = start() if todo else None
    design = design_frame(exp)
    info = manifest(exp)
    suffix = Path(exp.source).suffix or ".toml"

    def write_head(tmp: Path) -> None:
        write_json(info, tmp / MANIFEST)
        (tmp / f"experiment{suffix}").write_text(exp.text, encoding="utf-8")
        write_parquet(design, tmp / "design.parquet")
        write_csv(design, tmp / "design.csv")

    atomic_output(out, write_head)
    result = SweepResult(out=out, runs=exp.n_runs, distinct=exp.n_distinct, already_done=exp.n_distinct - len(todo),
                         ran=0, discarded=discarded)

    def payloads() -> Iterator[dict[str, Any]]:
        from .posterior import replicate_config

        for r in todo:  # the replicate's posterior set is applied here, so workers need not read the file
            cfg = replicate_config(exp.point_config(r.point), r.replicate)
            yield {"run_id": r.run_id, "point": r.point, "replicate": r.replicate,
                   "params": exp.points[r.point], "config": cfg.model_dump_json()}

    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), unit="run", desc=exp.name, file=sys.stderr, disable=None,
                   mininterval=0.5, smoothing=0.1)
    index = Index(out / INDEX)

    def handle(payload: dict[str, Any], res: dict[str, Any]) -> None:
        rid = payload["run_id"]
        if res["status"] == "ok":
            write_run_file(out, rid, res["data"])
        else:
            result.failed.append((rid, res["error"]))
        index.append({"run_id": rid, "point": payload["point"], "replicate": payload["replicate"],
                      "params": payload["params"], "status": res["status"], "error": res["error"],
                      "seconds": None if res["seconds"] != res["seconds"] else round(res["seconds"], 4),
                      "host": res.get("host"), "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
        result.ran += 1
        if bar is not None:
            bar.update(1)
            if result.failed:
                bar.set_postfix(failed=len(result.failed), refresh=False)

    result.executor = pool.label if pool is not None and todo else "-"
    try:
        if pool is not None and todo:
            drive(pool, execute, payloads(), handle)
    except (SchedulerLost, WorkersFailed) as e:
        raise type(e)(f"{e}; finished runs are kept in {out}/{RUNS}; continue with --resume") from None
    except KeyboardInterrupt:
        result.interrupted = True
        if pool is not None:
            pool.close(cancel=True)  # stop the workers before anything else
        raise
    finally:
        index.close()
        if bar is not None:
            bar.close()
        if result.interrupted:  # refresh the summary from what finished, then let Ctrl-C go on up
            try:
                write_summary(exp, out)
            except (OSError, KeyboardInterrupt):
                pass

    result.summary = write_summary(exp, out)
    if analyse and exp.method in ("sobol", "morris") and (result.summary.status == "ok").all():
        from .sensitivity import analyse_dir

        analyse_dir(out)
    result.wall_seconds = time.perf_counter() - t0
    return result

