"""``spsim sweep``: run every (design point, replicate) of an experiment through a
``concurrent.futures`` executor, one Parquet file per run, resumable.

Executors: in this process (``--workers 1``), a process pool (``--workers N``, the default uses
every core) or a Dask cluster (``--scheduler ADDRESS``, through ``Client.get_executor()``). Workers
only compute: each returns its run's Parquet bytes, and this process writes them, so a cluster needs
no shared disk, and only one process ever writes to the output folder.

Output folder (see docs/experiments.md for every column)::

    DIR/manifest.json       the resolved experiment: base config, parameters, seeds, runs
    DIR/experiment.toml     the experiment file as given
    DIR/design.parquet/.csv one row per design point
    DIR/runs/<id>.parquet   one file per run: weekly series, summary in the file's metadata
    DIR/index.jsonl         append-only log: one line per finished or failed attempt
    DIR/summary.parquet/.csv one row per (point, replicate): parameters, status, outcomes
    DIR/points.csv          one row per point: mean and 95% interval over replicates
    DIR/sensitivity.*       Sobol indices or Morris statistics (sobol / morris designs)

Crash safety: a run file is written to a hidden temporary file and moved into place with
``os.replace``, so ``runs/`` only ever holds complete runs; ``--resume`` runs what has no file
(failed runs included). The index is appended one line at a time and read tolerantly. A lock
file stops two sweeps writing to one folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import UsageError
from ..io import OutputError, atomic_output, check_output_dir, write_csv, write_json, write_parquet
from ..model.outcomes import COLUMNS
from .experiment import SUMMARY_KEYS, Experiment, Run
from .stats import t_half_width

RUNS = "runs"
INDEX = "index.jsonl"
MANIFEST = "manifest.json"
LOCK = ".sweep.lock"
TMP_MARK = ".tmp-"


# ------------------------------------------------------------------------------ worker side
def _one_line(e: BaseException) -> str:
    text = " ".join(f"{type(e).__name__}: {e}".split())
    tb = traceback.extract_tb(e.__traceback__)
    if tb:
        text += f" (at {Path(tb[-1].filename).name}:{tb[-1].lineno})"
    return text[:500]


def run_file_bytes(payload: dict[str, Any], ts: pd.DataFrame, summary: dict[str, Any]) -> bytes:
    """One run as Parquet bytes: run_id, replicate, the varied parameters, then the weekly
    series; the summary and run description are in the file's key-value metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    front = {"run_id": payload["run_id"], "replicate": np.int64(payload["replicate"]), **payload["params"]}
    df = ts.copy()
    for i, (k, v) in enumerate(front.items()):
        df.insert(i, k, v)
    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[b"spsim.summary"] = json.dumps(summary, sort_keys=True).encode()
    meta[b"spsim.run"] = json.dumps({"run_id": payload["run_id"], "replicate": payload["replicate"],
                                     "params": payload["params"], "spsim_version": __version__},
                                    sort_keys=True).encode()
    table = table.replace_schema_metadata(meta)
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue().to_pybytes()


def execute(payload: dict[str, Any]) -> dict[str, Any]:
    """Run one (point, replicate) and return its Parquet bytes, or the error. Never raises for a
    model failure, so one bad run does not stop the others. Top level so workers can import it."""
    from ..model.params import Config
    from . import runner

    t0 = time.perf_counter()
    out = {"run_id": payload["run_id"], "host": f"{socket.gethostname()}:{os.getpid()}"}
    try:
        cfg = Config.model_validate_json(payload["config"])
        res = runner.run_replicate(cfg, payload["replicate"])
        out.update(status="ok", data=run_file_bytes(payload, res.timeseries, res.summary), error=None)
    except Exception as e:  # noqa: BLE001 - recorded, and the sweep goes on
        out.update(status="failed", data=None, error=_one_line(e))
    out["seconds"] = time.perf_counter() - t0
    return out


# ------------------------------------------------------------------------------ executors
class InlineExecutor(Executor):
    """Runs each task in this process when it is submitted (``--workers 1``)."""

    def submit(self, fn, /, *args, **kwargs):
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001
            fut.set_exception(e)
        return fut


class Pool:
    """An executor and how many tasks it runs at once; a process pool is restarted if a worker dies."""

    def __init__(self, workers: int = 1, scheduler: str | None = None):
        self.workers, self.scheduler = workers, scheduler
        self.client = None
        if scheduler is not None:
            self.executor, self.slots, self.label = self._dask(scheduler)
        elif workers > 1:
            self.executor, self.slots, self.label = self._pool(), workers, f"{workers} worker processes"
        else:
            self.executor, self.slots, self.label = InlineExecutor(), 1, "this process"

    def _pool(self) -> Executor:
        import multiprocessing as mp

        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["spsim.sweep"])  # workers fork from a server that imported spsim once
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)

    def _dask(self, address: str):

        try:
            from distributed import Client
        except ImportError:
            raise UsageError("--scheduler needs dask.distributed: pip install 'spsim[cluster]'") from None
        try:
            self.client = Client(address, timeout="20s")
        except (OSError, TimeoutError, ValueError) as e:
            raise UsageError(f"--scheduler {address}: cannot connect to a Dask scheduler ({' '.join(str(e).split())})"
                             ) from None
        threads = sum(self.client.nthreads().values())
        return self.client.get_executor(pure=False), max(threads, 1), f"Dask scheduler {address} ({threads} threads)"

    def restart(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._pool()

    def close(self, cancel: bool = False) -> None:
        if cancel and isinstance(self.executor, ProcessPoolExecutor):
            self.executor.shutdown(wait=False, cancel_futures=True)
            for p in list(getattr(self.executor, "_processes", {}).values()):
                with contextlib.suppress(Exception):
                    p.terminate()
        else:
            self.executor.shutdown(wait=not cancel)
        if self.client is not None:
            self.client.close()


def drive(
    pool: Pool,
    fn: Callable[[Any], dict[str, Any]],
    payloads: Iterator[Any],
    handle: Callable[[Any, dict[str, Any]], None],
    window: int | None = None,
) -> None:
    """Submit ``fn(payload)`` for each payload, keeping at most ``window`` in flight, and call
    ``handle(payload, result)`` as each finishes (in finishing order). Only the tasks in flight
    are held, so memory does not grow with the number of runs."""
    window = window or max(2 * pool.slots, 4)
    payloads = iter(payloads)
    inflight: dict[Future, tuple[int, Any]] = {}
    restarts = 0
    seq = 0
    while True:
        for payload in payloads:
            try:
                fut = pool.executor.submit(fn, payload)
            except BrokenProcessPool:
                restarts += 1
                if restarts > 3:
                    raise
                pool.restart()
                fut = pool.executor.submit(fn, payload)
            inflight[fut] = (seq, payload)
            seq += 1
            if len(inflight) >= window:
                break
        if not inflight:
            return
        done, _ = wait(inflight, return_when=FIRST_COMPLETED)
        for fut in sorted(done, key=lambda f: inflight[f][0]):  # submission order among those done
            _, payload = inflight.pop(fut)
            try:
                res = fut.result()
            except Exception as e:  # noqa: BLE001 - e.g. a worker process or Dask worker died
                res = {"status": "failed", "data": None, "error": _one_line(e), "seconds": float("nan"),
                       "host": None}
            handle(payload, res)


# ------------------------------------------------------------------------------ output folder
def _atomic_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def done_ids(out: Path) -> set[str]:
    """Runs with a complete file (temporary files are hidden and ignored)."""
    d = out / RUNS
    if not d.is_dir():
        return set()
    return {p.name[: -len(".parquet")] for p in d.iterdir()
            if p.name.endswith(".parquet") and not p.name.startswith(".")}


def read_index(out: Path) -> list[dict[str, Any]]:
    """Every record of the run index; a line cut short by a crash is skipped."""
    path = out / INDEX
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and "run_id" in rec:
            records.append(rec)
    return records


class Index:
    """Append-only JSON-lines log of run attempts, flushed and fsynced line by line."""

    def __init__(self, path: Path):
        self.f = open(path, "a+b")  # noqa: SIM115 - closed in close()
        self.f.seek(0, os.SEEK_END)
        if self.f.tell() > 0:
            self.f.seek(-1, os.SEEK_END)
            if self.f.read(1) != b"\n":  # a line cut short by a crash: start a fresh line
                self.f.write(b"\n")

    def append(self, rec: dict[str, Any]) -> None:
        self.f.write((json.dumps(rec, sort_keys=True) + "\n").encode())
        self.f.flush()
        os.fsync(self.f.fileno())

    def close(self) -> None:
        self.f.close()


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    import fcntl

    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(f"{out}: another sweep is writing to this folder") from None
        yield
    finally:
        os.close(fd)


def prepare_output(exp: Experiment, out: Path, resume: bool) -> None:
    """Refuse an output folder that would mix results, before anything runs."""
    check_output_dir(out)
    if not out.exists():
        return
    names = {p.name for p in out.iterdir()}
    if not names:
        return
    if LOCK in names:
        with locked(out):  # refuses at once if a sweep is writing here now
            pass
    if not names & {MANIFEST, RUNS, LOCK}:
        raise OutputError(f"{out}: folder exists and does not hold a sweep; choose another --out")
    if not resume:
        raise OutputError(f"{out}: already holds a sweep; add --resume to continue it, or choose another --out")
    stale = done_ids(out) - {r.run_id for r in exp.runs()}
    if stale:
        raise OutputError(f"{out}: holds {len(stale)} run(s) that are not in this experiment (it was changed); "
                          "choose another --out")


def _clean_partial(out: Path) -> None:
    """Remove temporary files left by a sweep that was killed (we hold the lock, so none is live)."""
    for d in (out, out / RUNS):
        if d.is_dir():
            for p in d.iterdir():
                if p.name.startswith(".") and TMP_MARK in p.name and p.is_file():
                    p.unlink(missing_ok=True)


def _param_dtype(kind: str):
    return {"int": "int64", "float": "float64", "bool": "bool", "str": "str"}[kind]


def design_frame(exp: Experiment) -> pd.DataFrame:
    df = pd.DataFrame({"point": np.arange(len(exp.points), dtype=np.int64)})
    for j, p in enumerate(exp.parameters):
        df[p.key] = pd.Series([pt[p.key] for pt in exp.points], dtype=_param_dtype(p.kind))
        if exp.samples is not None:
            df[f"sample:{p.key}"] = exp.samples[:, j]
    df["point_hash"] = exp.hashes
    return df


def manifest(exp: Experiment) -> dict[str, Any]:
    from ..model.config import to_dict

    runs = exp.runs()
    return {
        "spsim_version": __version__,
        "experiment": exp.name,
        "experiment_file": exp.source,
        "spec": exp.spec.model_dump(mode="json"),
        "base_config": to_dict(exp.base),
        "seed": exp.seed,
        "replicates": exp.replicates,
        "replicate_seeds": [{"replicate": r, "entropy": str(exp.seed), "spawn_key": [r]}
                            for r in range(exp.replicates)],
        "method": exp.method,
        "parameters": [{"key": p.key, "type": p.kind, "levels": p.levels, "low": p.low, "high": p.high}
                       for p in exp.parameters],
        "problem": exp.problem() if exp.samples is not None else None,
        "outcomes": exp.outcomes,
        "points": len(exp.points),
        "runs": len(runs),
        "distinct_runs": len({r.run_id for r in runs}),
        "columns": {k: {"unit": u, "meaning": m} for k, (u, m) in COLUMNS.items()},
    }


# ------------------------------------------------------------------------------ gathering
def _extra(outcome: str, path: Path) -> float:
    import pyarrow.parquet as pq

    col, _, agg = outcome.partition(":")
    x = pq.read_table(path, columns=[col]).column(col).to_numpy().astype(np.float64)
    if x.size == 0 or np.all(np.isnan(x)):
        return float("nan")
    return float({"mean": np.nanmean, "sum": np.nansum, "min": np.nanmin, "max": np.nanmax,
                  "final": lambda a: a[-1]}[agg](x))


def gather(exp: Experiment, out: Path) -> pd.DataFrame:
    """One row per (point, replicate): parameters, status, error and summary outcomes, read from
    each run file's metadata (summaries only: no weekly series is held in memory)."""
    import pyarrow.parquet as pq

    extras = [o for o in exp.outcomes if ":" in o]
    errors = {}
    for rec in read_index(out):
        errors[rec["run_id"]] = rec.get("error")
    cache: dict[str, dict[str, float]] = {}
    rows = []
    for run in exp.runs():
        path = out / RUNS / f"{run.run_id}.parquet"
        row: dict[str, Any] = {"point": run.point, "replicate": run.replicate, "run_id": run.run_id,
                               **exp.points[run.point]}
        if run.run_id not in cache and path.exists():
            meta = pq.read_schema(path).metadata
            vals = json.loads(meta[b"spsim.summary"])
            vals.update({o: _extra(o, path) for o in extras})
            cache[run.run_id] = vals
        if run.run_id in cache:
            row.update(status="ok", error=None, **cache[run.run_id])
        else:
            row.update(status="failed" if errors.get(run.run_id) else "not run", error=errors.get(run.run_id))
        rows.append(row)
    df = pd.DataFrame(rows)
    df["point"] = df["point"].astype("int64")
    df["replicate"] = df["replicate"].astype("int64")
    for p in exp.parameters:
        df[p.key] = df[p.key].astype(_param_dtype(p.kind))
    df["status"] = df["status"].astype("str")
    df["error"] = pd.Series([r["error"] for r in rows], dtype="str")
    for k in [*SUMMARY_KEYS, *extras]:
        df[k] = pd.to_numeric(df[k], errors="coerce").astype("float64") if k in df else np.nan
    cols = ["point", "replicate", "run_id", *exp.keys, "status", "error", *SUMMARY_KEYS, *extras]
    return df[cols]


def by_point(exp: Experiment, summary: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95% interval (Student-t over the point's replicates, :mod:`spsim.studies.stats`) of
    each outcome at each point."""
    ok = summary[summary.status == "ok"]
    g = ok.groupby("point")
    out = pd.DataFrame({"point": np.arange(len(exp.points), dtype=np.int64)})
    for p in exp.parameters:
        out[p.key] = pd.Series([pt[p.key] for pt in exp.points], dtype=_param_dtype(p.kind))
    out["replicates_ok"] = g.size().reindex(out.point, fill_value=0).to_numpy()
    for o in exp.outcomes:
        mean = g[o].mean().reindex(out.point).to_numpy()
        n = g[o].count().reindex(out.point, fill_value=0).to_numpy()
        sd = g[o].std(ddof=1).reindex(out.point).to_numpy()
        half = t_half_width(sd, n)
        out[o] = mean
        out[f"{o}_ci_low"] = mean - half
        out[f"{o}_ci_high"] = mean + half
    return out


# ------------------------------------------------------------------------------ the sweep
@dataclass
class SweepResult:
    out: Path
    runs: int  # (point, replicate) pairs
    distinct: int  # distinct runs
    already_done: int
    ran: int
    failed: list[tuple[str, str]] = field(default_factory=list)
    wall_seconds: float = 0.0
    executor: str = ""
    summary: pd.DataFrame | None = None


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
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    (out / RUNS).mkdir(exist_ok=True)
    with locked(out):
        _clean_partial(out)
        design = design_frame(exp)
        info = manifest(exp)
        suffix = Path(exp.source).suffix or ".toml"

        def write_head(tmp: Path) -> None:
            write_json(info, tmp / MANIFEST)
            (tmp / f"experiment{suffix}").write_text(exp.text, encoding="utf-8")
            write_parquet(design, tmp / "design.parquet")
            write_csv(design, tmp / "design.csv")

        atomic_output(out, write_head)

        runs = exp.runs()
        distinct: dict[str, Run] = {}
        for r in runs:
            distinct.setdefault(r.run_id, r)
        done = done_ids(out)
        todo = [r for rid, r in distinct.items() if rid not in done]
        result = SweepResult(out=out, runs=len(runs), distinct=len(distinct), already_done=len(distinct) - len(todo),
                             ran=0)

        def payloads() -> Iterator[dict[str, Any]]:
            for r in todo:
                cfg = exp.point_config(r.point)
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
                _atomic_bytes(out / RUNS / f"{rid}.parquet", res["data"])
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

        pool = Pool(workers, scheduler) if todo else None
        result.executor = pool.label if pool is not None else "-"
        ok = False
        try:
            if pool is not None:
                drive(pool, execute, payloads(), handle)
            ok = True
        finally:
            index.close()
            if bar is not None:
                bar.close()
            if pool is not None:
                pool.close(cancel=not ok)

        summary = gather(exp, out)
        points = by_point(exp, summary)

        def write_tail(tmp: Path) -> None:
            write_parquet(summary, tmp / "summary.parquet")
            write_csv(summary, tmp / "summary.csv")
            write_csv(points, tmp / "points.csv")

        atomic_output(out, write_tail)
        result.summary = summary
        if analyse and exp.method in ("sobol", "morris") and (summary.status == "ok").all():
            from .sensitivity import analyse_dir

            analyse_dir(out)
    result.wall_seconds = time.perf_counter() - t0
    return result
