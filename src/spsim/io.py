"""Writing results safely.

Two ways to put files in a results folder, both through a temporary folder beside the target:

* :func:`atomic_output` with ``kind`` (``spsim run``, ``compare``, ``evaluate``): the whole folder is
  replaced in one step. The new folder is written beside the old one and swapped in with a single
  ``renameat2(RENAME_EXCHANGE)`` (two renames where that is missing), so a reader, a crash or a
  second writer only ever sees the old folder or the new one, never a mix. A folder spsim writes
  holds a small manifest (:data:`OWNER`) saying which command wrote it; a folder that holds
  anything else (a sweep, or files spsim did not write) is refused unless ``replace=True``
  (``--replace``). :func:`claim_output` takes the folder's lock and does these checks before the
  run, so a wrong ``--out`` is found before the work, and two commands cannot write one folder.
* :func:`atomic_output` without ``kind`` (a sweep's own files, ``targets``, ``calibrate``): each
  file is moved into the existing folder with ``os.replace`` (atomic per file), other files kept.

A full disk (``ENOSPC``/``EDQUOT``) becomes one :class:`~spsim.errors.OutputError` line, with the
old folder untouched. Temporary folders left by a killed writer (``.NAME.tmp-PID-*``) are removed
the next time that folder is written. See docs/reliability.md.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import OutputError

#: the manifest inside every folder that run/compare/evaluate write: which command, which version
OWNER = ".spsim.json"
#: the files each command writes (a folder of only these, from before manifests existed, is theirs)
KNOWN_FILES = {
    "run": {"timeseries.parquet", "timeseries.csv", "summary.csv", "run.json"},
    "compare": {"comparison.csv", "replicates.csv", "timeseries.parquet", "report.html", "run.json"},
    "evaluate": {"evaluation.csv", "evaluation_residents.parquet", "evaluation.md", "evaluation.png", "run.json"},
}
_TMP = re.compile(r"^\.(?P<name>.+)\.(?:tmp|old)-(?P<pid>\d+)-[^/]*$")
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


# ------------------------------------------------------------------------------ checks
def check_output_dir(out: Path) -> None:
    """Fail early, before any work, if ``out`` cannot become a results folder."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: output path exists and is not a directory")
    probe = Path(os.path.abspath(out)).parent
    while not probe.exists() and not probe.is_symlink():
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"{out}: cannot make this folder: {probe} is a file, not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"{out}: cannot write to {probe}")


def safe_name(name: str, what: str = "simulation.name") -> str:
    """A name that may become a folder under ``results/``: one plain path component."""
    bad = not name or "/" in name or "\\" in name or "\x00" in name or name.startswith(".")
    if bad or not name.isprintable():
        raise OutputError(f"{what} {name!r} cannot name a results folder (it must be one plain name, without "
                          "'/', '\\' or '..', not starting with '.'); rename it or give --out")
    return name


def default_out(name: str, suffix: str = "", root: Path | str = "results") -> Path:
    """``results/<name><suffix>`` for a name taken from a scenario file, which must stay inside ``results/``."""
    safe_name(name)
    out = Path(root) / f"{name}{suffix}"
    base = Path(os.path.abspath(root))
    if Path(os.path.abspath(out)).parent != base:  # belt and braces: one level under results/
        raise OutputError(f"simulation.name {name!r} would write outside {root}/; give --out")
    return out


def is_disk_full(e: BaseException) -> bool:
    return isinstance(e, OSError) and (e.errno in DISK_FULL or "No space left on device" in str(e)
                                       or "Disk quota exceeded" in str(e))


def disk_full(out: Path, e: OSError, after: str = "nothing was changed") -> OutputError:
    where = f" writing {Path(e.filename).name}" if getattr(e, "filename", None) else ""
    return OutputError(f"{out}: the disk is full{where} ({os.strerror(e.errno or errno.ENOSPC)}); {after}")


# ------------------------------------------------------------------------------ writers
def write_parquet(df: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, path, compression="zstd")


def write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n")


def write_json(obj: object, path: Path) -> None:
    path.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n", encoding="utf-8")


# ------------------------------------------------------------------------------ locks and claims
def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Claim:
    out: Path
    kind: str | None
    replace: bool
    fd: int
    lock: Path
    made: list[Path] = field(default_factory=list)  # parent folders this claim created, innermost first
    done: bool = False


_CLAIMS: dict[str, Claim] = {}


def _key(out: Path) -> str:
    return os.path.abspath(out)


def _lock(out: Path) -> tuple[int, Path]:
    """An exclusive, non-blocking ``flock`` on ``.NAME.lock`` beside ``out`` (the parent must exist)."""
    import fcntl

    lock = out.parent / f".{out.name}.lock"
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputError(f"{out}: another spsim command is writing to this folder now; wait for it, "
                              "or choose another --out") from None
        try:  # the holder before us may have removed the file after we opened it: lock the live one
            same = os.path.samestat(os.fstat(fd), os.stat(lock))
        except FileNotFoundError:
            same = False
        if same:
            return fd, lock
        os.close(fd)


def _describe(out: Path, names: set[str]) -> str:
    if names & {"manifest.json", "runs", "index.jsonl", ".sweep.lock"}:
        return "a sweep"
    shown = sorted(n for n in names if n != OWNER)[:3]
    return "files spsim did not write there (" + ", ".join(shown) + (", ..." if len(names) > 3 else "") + ")"


def check_owner(out: Path, kind: str, replace: bool = False) -> None:
    """Refuse a folder that holds something other than an earlier result of the same command."""
    if not out.is_dir() or replace:
        return
    names = {p.name for p in out.iterdir()}
    if not names:
        return
    try:
        mark = json.loads((out / OWNER).read_text(encoding="utf-8"))
        owner = mark.get("kind") if isinstance(mark, dict) else None
    except (OSError, ValueError):
        owner = None
    if owner == kind:
        return
    known = KNOWN_FILES.get(kind, set())
    if owner is None and all(n in known or (kind == "compare" and n.endswith(".png")) for n in names):
        return  # written by an spsim from before the manifest
    what = f"the results of `spsim {owner}`" if owner else _describe(out, names)
    raise OutputError(f"{out}: holds {what}; choose another --out, or add --replace to replace the whole folder")


def clean_stale(out: Path) -> int:
    """Remove ``.NAME.tmp-PID-*`` / ``.NAME.old-PID-*`` beside ``out`` left by writers that are gone
    (and the unnamed ones of spsim versions before the PID was in the name). Returns how many."""
    parent = out.parent
    if not parent.is_dir():
        return 0
    n = 0
    for p in parent.iterdir():
        m = _TMP.match(p.name)
        legacy = p.name.startswith(f".{out.name}.tmp-") and m is None
        if not legacy and (m is None or m["name"] != out.name or _pid_alive(int(m["pid"]))):
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                p.unlink()
        n += 1
    return n


def claim_output(out: Path, kind: str | None = None, replace: bool = False) -> Claim:
    """Before a run: check ``out`` can be written and is ours to replace, and lock it for this process.

    The lock is held until :func:`atomic_output` has swapped the new folder in (or the process ends),
    so a second command aimed at the same folder is refused at once instead of mixing its files in.
    """
    out = Path(out)
    key = _key(out)
    if key in _CLAIMS:
        return _CLAIMS[key]
    check_output_dir(out)
    made = [p for p in Path(key).parents if not p.exists()]
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        if is_disk_full(e):
            raise disk_full(out, e) from None
        raise OutputError(f"{out}: cannot make the folder ({e.strerror or e})") from None
    fd, lock = _lock(out)
    claim = Claim(out, kind, replace, fd, lock, made)
    try:
        if kind is not None:
            check_owner(out, kind, replace)
        clean_stale(out)
    except BaseException:
        release(claim)
        raise
    _CLAIMS[key] = claim
    return claim


def release(claim: Claim) -> None:
    """Drop the lock (removing its file), and, if nothing was written, the parent folders made for it."""
    _CLAIMS.pop(_key(claim.out), None)
    with contextlib.suppress(OSError):
        os.unlink(claim.lock)  # while still holding it; a later locker re-checks the inode (see _lock)
    with contextlib.suppress(OSError):
        os.close(claim.fd)
    if not claim.done:
        for d in claim.made:
            try:
                d.rmdir()
            except OSError:
                break


@atexit.register
def _release_all() -> None:
    for c in list(_CLAIMS.values()):
        release(c)


# ------------------------------------------------------------------------------ swapping
def _renameat2():
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); False where the system cannot."""
    fn = _renameat2()
    if fn is None:
        return False
    import ctypes

    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(tmp: Path, out: Path) -> None:
    """Put folder ``tmp`` at ``out``; the old ``out`` (if any) is removed after."""
    if not out.exists() and not out.is_symlink():
        os.rename(tmp, out)
        return
    if out.is_dir() and not out.is_symlink() and exchange(tmp, out):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old folder
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}-{os.urandom(4).hex()}"
    os.rename(out, old)  # no one-step swap here: two renames, the old one kept until the new is in
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old, out)
        raise
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.unlink()


def _mktmp(out: Path) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; results are ordinary folders
    return tmp


def atomic_output(out: Path, write: Callable[[Path], None], kind: str | None = None,
                  replace: bool = False) -> list[Path]:
    """Call ``write(tmpdir)`` and move what it wrote into ``out``; return the final paths.

    With ``kind`` the whole folder is replaced (see the module notes) and marked with :data:`OWNER`;
    without, each file is replaced with ``os.replace`` and other files in ``out`` are left alone.
    """
    out = Path(out)
    claim = claim_output(out, kind, replace)
    tmp = None
    try:
        tmp = _mktmp(out)
        try:
            write(tmp)
            names = sorted(p.name for p in tmp.iterdir())
            if kind is not None:
                from .version import __version__

                write_json({"kind": kind, "spsim_version": __version__, "files": names}, tmp / OWNER)
        except OSError as e:
            if is_disk_full(e):
                raise disk_full(out, e, "the folder was left as it was") from None
            raise
        if kind is not None:
            check_owner(out, kind, claim.replace or replace)  # again: it may have changed during the run
            _swap_in(tmp, out)
        elif not out.exists():
            os.rename(tmp, out)
        else:
            for name in names:
                os.replace(tmp / name, out / name)
            tmp.rmdir()
        claim.done = True
        return [out / n for n in names]
    except OSError as e:  # disk full, permissions, ...: one line for the user, not a traceback
        raise OutputError(f"{out}: could not write the results: {e.strerror or e}") from e
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        release(claim)  # done, or failed: either way this writer is finished with the folder

