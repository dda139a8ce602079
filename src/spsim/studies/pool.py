"""Process pools whose workers die with the process that made them (used by replicates and sweeps).

Kept apart from :mod:`spsim.studies.executors` (the sweep's executors) and
:mod:`spsim.studies.runner` (replicates) so both can use it without importing each other.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

#: how often a worker process checks that the process that started it is still there
WATCH_SECONDS = 0.5


# ------------------------------------------------------------------------------ dying with the parent
def _start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (Linux), so a reused pid is not taken for the parent."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    return stat.rsplit(b")", 1)[-1].split()[19].decode()  # field 22, counted after the command name


def _alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if started is not None:
        now = _start_time(pid)
        if now is None or now != started:
            return False
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                if f.read().rsplit(b")", 1)[-1].split()[0] == b"Z":  # killed, not yet reaped
                    return False
        except OSError:
            return False
    return True


def watch_parent(pid: int, started: str | None = None) -> None:
    """Worker initializer: exit at once when process ``pid`` (the one that made the pool) is gone.

    A worker of a forkserver pool is the forkserver's child, not ours, so ``PR_SET_PDEATHSIG`` would
    watch the wrong process; a daemon thread that polls the parent's pid (and its start time, so a
    reused pid does not fool it) works for every start method and costs nothing measurable.
    """

    def watch() -> None:
        while _alive(pid, started):
            time.sleep(WATCH_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="spsim-parent-watch", daemon=True).start()


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A forkserver process pool whose workers die with this process."""
    import multiprocessing as mp

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["spsim.studies.executors"])  # workers fork from a server that imported spsim
    me = os.getpid()
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=watch_parent,
                               initargs=(me, _start_time(me)))


def stop_pool(executor: ProcessPoolExecutor) -> None:
    """Cancel what is queued and terminate the workers now (a run in progress is lost, not kept)."""
    procs = list((getattr(executor, "_processes", None) or {}).values())  # before shutdown clears it
    executor.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        with contextlib.suppress(Exception):
            p.terminate()
    for p in procs:
        with contextlib.suppress(Exception):
            p.join(timeout=5)
