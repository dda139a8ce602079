"""A sweep's results folder: run files, the run index, the lock, checks on resuming, and gathering.

Layout (see docs/experiments.md for every column)::

    DIR/manifest.json       the resolved experiment: base config, parameters, seeds, runs
    DIR/experiment.toml     the experiment file as given
    DIR/design.parquet/.csv one row per design point
    DIR/runs/<id>.parquet   one file per run: weekly series, summary in the file's metadata
    DIR/index.jsonl         append-only log: one line per finished or failed attempt
    DIR/summary.parquet/.csv one row per (point, replicate): parameters, status, outcomes
    DIR/points.csv          one row per point: mean and 95% interval over replicates

A run file is written to a hidden temporary file and moved into place with ``os.replace``, so
``runs/`` only holds complete files; still, ``--resume`` trusts nothing on disk: every run file
is opened and checked (:func:`verify_runs`) and one that is unreadable, or lacks the expected
columns or summary, is set aside and run again; the index is read line by line, skipping what is
not a whole JSON record (bad bytes included); and a folder or run file written by another spsim
version is refused, so results of two model versions are never mixed.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..io import OutputError, check_output_dir, disk_full, is_disk_full
from ..model.outcomes import COLUMNS
from .experiment import SUMMARY_KEYS, Experiment
from .stats import t_half_width

RUNS = "runs"
INDEX = "index.jsonl"
MANIFEST = "manifest.json"
LOCK = ".sweep.lock"
TMP_MARK = ".tmp-"
BAD_MARK = ".bad-"


def write_run_file(out: Path, run_id: str, data: bytes) -> None:
    """``runs/<id>.parquet``, complete or not at all; a full disk is one line and the sweep stops."""
    path = out / RUNS / f"{run_id}.parquet"
    tmp = path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if is_disk_full(e):
            raise disk_full(out, e, "finished runs are kept; free some space and continue with --resume") from None
        raise


def done_ids(out: Path) -> set[str]:
    """Runs with a file (temporary and set-aside files are hidden and ignored)."""
    d = out / RUNS
    if not d.is_dir():
        return set()
    return {p.name[: -len(".parquet")] for p in d.iterdir()
            if p.name.endswith(".parquet") and not p.name.startswith(".")}


def read_index(out: Path) -> list[dict[str, Any]]:
    """Every whole record of the run index. A line cut short by a crash, a line that is not UTF-8
    or not JSON, or a record without a string ``run_id``, is skipped."""
    path = out / INDEX
    if not path.exists():
        return []
    records = []
    with open(path, "rb") as f:
        for raw in f:
            try:
                rec = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                continue
            if isinstance(rec, dict) and isinstance(rec.get("run_id"), str):
                if not isinstance(rec.get("error"), (str, type(None))):
                    rec["error"] = str(rec["error"])
                records.append(rec)
    return records


class Index:
    """Append-only JSON-lines log of run attempts, flushed and fsynced line by line."""

    def __init__(self, path: Path):
        self.path = path
        self.f = open(path, "a+b")  # noqa: SIM115 - closed in close()
        self.f.seek(0, os.SEEK_END)
        if self.f.tell() > 0:
            self.f.seek(-1, os.SEEK_END)
            if self.f.read(1) != b"\n":  # a line cut short by a crash: start a fresh line
                self.f.write(b"\n")

    def append(self, rec: dict[str, Any]) -> None:
        try:
            self.f.write((json.dumps(rec, sort_keys=True) + "\n").encode())
            self.f.flush()
            os.fsync(self.f.fileno())
        except OSError as e:
            if is_disk_full(e):
                raise disk_full(self.path.parent, e, "finished runs are kept; free some space and continue "
                                "with --resume") from None
            raise

    def close(self) -> None:
        with contextlib.suppress(OSError):
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
    version = _manifest_version(out)
    if version is not None and version != __version__:
        raise OutputError(f"{out}: holds a sweep made by spsim {version}, this is {__version__}: results of two "
                          "model versions are not mixed; choose another --out")
    if not resume and (done_ids(out) or read_index(out)):
        raise OutputError(f"{out}: already holds a sweep; add --resume to continue it, or choose another --out")
    stale = done_ids(out) - set(exp.run_ids())
    if stale:
        raise OutputError(f"{out}: holds {len(stale)} run(s) that are not in this experiment (it was changed); "
                          "choose another --out")


def _manifest_version(out: Path) -> str | None:
    try:
        info = json.loads((out / MANIFEST).read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return "unknown (manifest.json is unreadable)"
    v = info.get("spsim_version") if isinstance(info, dict) else None
    return v if isinstance(v, str) else "unknown"


def expected_columns(exp: Experiment) -> set[str]:
    return {"run_id", "replicate", *exp.keys, *COLUMNS}


def check_run_file(path: Path, columns: set[str]) -> str | None:
    """Why ``path`` is not a usable run file (None if it is): a readable Parquet footer, the expected
    columns, at least one row, and a summary and run description written by this spsim version."""
    import pyarrow.parquet as pq

    try:
        md = pq.read_metadata(path)
        schema = md.schema.to_arrow_schema()
    except Exception as e:  # noqa: BLE001 - pyarrow raises several kinds for a damaged file
        return f"unreadable ({' '.join(str(e).split())[:120]})"
    missing = columns - set(schema.names)
    if missing:
        return f"lacks column(s) {', '.join(sorted(missing)[:3])}"
    if md.num_rows < 1:
        return "has no rows"
    meta = schema.metadata or {}
    try:
        summary = json.loads(meta[b"spsim.summary"])
        run = json.loads(meta[b"spsim.run"])
    except (KeyError, ValueError):
        return "has no spsim summary"
    if not isinstance(summary, dict) or not isinstance(run, dict):
        return "has no spsim summary"
    if run.get("spsim_version") != __version__:
        return f"version:{run.get('spsim_version')}"
    return None


def verify_runs(exp: Experiment, out: Path) -> list[tuple[str, str]]:
    """Check every run file before resuming. A damaged one is renamed ``.<id>.parquet.bad-*`` (so it
    is run again, and kept for a look); one from another spsim version stops the sweep."""
    columns = expected_columns(exp)
    bad = []
    for rid in sorted(done_ids(out)):
        path = out / RUNS / f"{rid}.parquet"
        why = check_run_file(path, columns)
        if why is None:
            continue
        if why.startswith("version:"):
            raise OutputError(f"{path}: written by spsim {why[8:]}, this is {__version__}: results of two model "
                              "versions are not mixed; choose another --out")
        os.replace(path, path.with_name(f".{path.name}{BAD_MARK}{os.getpid()}"))
        bad.append((rid, why))
    return bad


def clean_partial(out: Path) -> None:
    """Remove temporary files left by a sweep that was killed (we hold the lock, so none is live)."""
    for d in (out, out / RUNS):
        if d.is_dir():
            for p in d.iterdir():
                if p.name.startswith(".") and TMP_MARK in p.name and p.is_file():
                    p.unlink(missing_ok=True)


def _param_dtype(kind: str):
    return {"int": "int64", "float": "float64", "bool": "bool", "str": "str"}[kind]


def design_frame(exp: Experiment, limit: int | None = None) -> pd.DataFrame:
    n = len(exp.points) if limit is None else min(limit, len(exp.points))
    df = pd.DataFrame({"point": np.arange(n, dtype=np.int64)})
    for j, p in enumerate(exp.parameters):
        df[p.key] = pd.Series([pt[p.key] for pt in exp.points[:n]], dtype=_param_dtype(p.kind))
        if exp.samples is not None:
            df[f"sample:{p.key}"] = exp.samples[:n, j]
    df["point_hash"] = exp.hashes[:n]
    return df


def manifest(exp: Experiment) -> dict[str, Any]:
    from ..model.config import to_dict
    from .posterior import posterior_record

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
        "runs": exp.n_runs,
        "distinct_runs": exp.n_distinct,
        "columns": {k: {"unit": u, "meaning": m} for k, (u, m) in COLUMNS.items()},
        "posterior": posterior_record(exp.base, exp.replicates),
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
    for run in exp.iter_runs():
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
