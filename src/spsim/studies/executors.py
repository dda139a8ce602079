"""Where runs are computed: in this process, in worker processes, or on a Dask cluster.

Workers only compute: :func:`execute` returns a run's Parquet bytes (or its error) and the
sweep's own process writes them, so a cluster needs no shared disk. :func:`drive` keeps a bounded
window of tasks in flight. Failures are reported as one line each:

* Ctrl-C (SIGINT to this process): the workers are stopped and ``KeyboardInterrupt`` goes on up.
* Worker processes that keep dying: :class:`WorkersFailed` after three restarts of the pool.
* A Dask cluster with no workers: :class:`~spsim.errors.UsageError` after :data:`WAIT_FOR_WORKERS` s.
* A Dask scheduler lost mid-sweep: :class:`SchedulerLost` instead of a ``CancelledError`` per run.

Worker processes die with the process that started them (:func:`spsim.studies.pool.watch_parent`), even when that
process is killed with SIGKILL, as the OOM killer or a batch scheduler does.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, CancelledError, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import UsageError
from .pool import process_pool, stop_pool

#: seconds ``--scheduler`` waits for the cluster to have at least one worker (env SPSIM_WAIT_FOR_WORKERS)
WAIT_FOR_WORKERS = 60.0


class WorkersFailed(UsageError):
    """The worker processes kept dying (e.g. out of memory): the sweep cannot go on."""


class SchedulerLost(UsageError):
    """The Dask scheduler went away during the sweep."""


# ------------------------------------------------------------------------------ worker side
def one_line(e: BaseException) -> str:
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
        out.update(status="failed", data=None, error=one_line(e))
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
            if isinstance(e, KeyboardInterrupt):
                raise
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
            self.executor, self.slots, self.label = process_pool(workers), workers, f"{workers} worker processes"
        else:
            self.executor, self.slots, self.label = InlineExecutor(), 1, "this process"

    def _dask(self, address: str):
        try:
            from distributed import Client
        except ImportError:
            raise UsageError("--scheduler needs dask.distributed: pip install 'spsim[cluster]'") from None
        import logging

        # distributed logs each failed reconnection with a traceback; spsim says what happened in one line
        for name in ["distributed", *[n for n in logging.root.manager.loggerDict if n.startswith("distributed.")]]:
            logging.getLogger(name).setLevel(logging.CRITICAL)
        try:
            self.client = Client(address, timeout="20s")
        except (OSError, TimeoutError, ValueError) as e:
            raise UsageError(f"--scheduler {address}: cannot connect to a Dask scheduler ({' '.join(str(e).split())})"
                             ) from None
        wait_s = WAIT_FOR_WORKERS
        with contextlib.suppress(ValueError):
            wait_s = float(os.environ.get("SPSIM_WAIT_FOR_WORKERS", WAIT_FOR_WORKERS))
        try:
            self.client.wait_for_workers(1, timeout=wait_s)
        except (TimeoutError, OSError):
            self.client.close()
            raise UsageError(f"--scheduler {address}: the cluster has no workers (waited {wait_s:g} s); "
                             f"start some with 'dask worker {address}'") from None
        threads = sum(self.client.nthreads().values())
        return self.client.get_executor(pure=False), max(threads, 1), f"Dask scheduler {address} ({threads} threads)"

    def lost(self) -> bool:
        """True when a Dask client has lost its scheduler."""
        return self.client is not None and self.client.status not in ("running", "newly-created")

    def restart(self) -> None:
        stop_pool(self.executor)
        self.executor = process_pool(self.workers)

    def close(self, cancel: bool = False) -> None:
        if cancel and isinstance(self.executor, ProcessPoolExecutor):
            stop_pool(self.executor)
        else:
            with contextlib.suppress(Exception):
                self.executor.shutdown(wait=not cancel)
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.close(timeout=5)


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
            except BrokenProcessPool as e:
                restarts += 1
                if restarts > 3:
                    raise WorkersFailed(f"worker processes kept dying ({restarts} pools broke; the last: "
                                        f"{one_line(e)}); is the machine out of memory? Try fewer --workers"
                                        ) from None
                pool.restart()
                fut = pool.executor.submit(fn, payload)
            except RuntimeError as e:  # a Dask executor whose client has closed
                if pool.lost():
                    raise SchedulerLost(f"lost the Dask scheduler {pool.scheduler}") from None
                raise UsageError(f"cannot submit a run: {one_line(e)}") from None
            inflight[fut] = (seq, payload)
            seq += 1
            if len(inflight) >= window:
                break
        if not inflight:
            return
        done, _ = wait(inflight, return_when=FIRST_COMPLETED, timeout=None if pool.client is None else 5.0)
        if not done and pool.lost():
            raise SchedulerLost(f"lost the Dask scheduler {pool.scheduler}")
        for fut in sorted(done, key=lambda f: inflight[f][0]):  # submission order among those done
            _, payload = inflight.pop(fut)
            try:
                res = fut.result()
            except Exception as e:  # noqa: BLE001 - e.g. a worker process or Dask worker died
                if pool.client is not None and (isinstance(e, CancelledError) or pool.lost()):
                    raise SchedulerLost(f"lost the Dask scheduler {pool.scheduler}") from None
                res = {"status": "failed", "data": None, "error": one_line(e), "seconds": float("nan"),
                       "host": None}
            handle(payload, res)
