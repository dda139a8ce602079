"""Writing results safely: everything goes to a temporary folder beside the target, then is
moved into place, so a failed or interrupted run never leaves half-written files."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import OutputError


def check_output_dir(out: Path) -> None:
    """Fail early, before any work, if ``out`` cannot become a results folder."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: output path exists and is not a directory")
    parent = out.resolve().parent
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK):
        raise OutputError(f"{out}: cannot write to {probe}")


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    pq.write_table(table, path, compression="zstd")


def write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n")


def write_json(obj: object, path: Path) -> None:
    path.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def atomic_output(out: Path, write: Callable[[Path], None]) -> list[Path]:
    """Call ``write(tmpdir)`` and move what it wrote into ``out``; return the final paths.

    If ``out`` does not exist the whole folder is renamed into place; if it does, each file is
    replaced with ``os.replace`` (atomic per file), leaving other files in ``out`` alone.
    """
    out = Path(out)
    made = [p for p in out.parents if not p.exists()]  # parents this call creates, innermost first
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; results are ordinary folders
    ok = False
    try:
        write(tmp)
        names = sorted(p.name for p in tmp.iterdir())
        if not out.exists():
            os.rename(tmp, out)
        else:
            for name in names:
                os.replace(tmp / name, out / name)
            tmp.rmdir()
        ok = True
        return [out / n for n in names]
    except OSError as e:  # disk full, permissions, ...: one line for the user, not a traceback
        raise OutputError(f"{out}: could not write the results: {e.strerror or e}") from e
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        if not ok:  # a failed run leaves no empty parent folders either
            for d in made:
                try:
                    d.rmdir()
                except OSError:
                    break
