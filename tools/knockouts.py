"""Run the knock-out matrix (tests/knockout_matrix.py): apply each knock-out to a scratch copy of
``src/`` and check that the tests named for it fail there.

    PYTHONPATH=src .venv/bin/python tools/knockouts.py               # every row, 2 at a time
    PYTHONPATH=src .venv/bin/python tools/knockouts.py --only loneliness.contagion --jobs 1
    PYTHONPATH=src .venv/bin/python tools/knockouts.py --markdown docs/knockouts.md

First the named tests are run once on the untouched source (they must pass: a test that fails
anyway proves nothing). Then, for each row, ``old`` is replaced by ``new`` in a copy of
``src/`` and the row's tests are run with that copy first on ``PYTHONPATH``; the row is
*caught* when pytest reports at least one failed test (exit status 1). Any other outcome
(all pass, a collection error, the text not found) is reported and makes the exit status 1.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from knockout_matrix import KNOCKOUTS, PENDING_REWRITE, KnockOut  # noqa: E402


def pytest_cmd(tests: tuple[str, ...] | list[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--no-header", "-x",
            *tests]


def run_pytest(tests, src: Path, timeout: float) -> tuple[int, str, float]:
    # no entry-point plugins (hypothesis, xdist, ...): the named tests do not need them, and loading
    # them roughly doubles the start-up time of each of the ~90 runs
    env = {**os.environ, "PYTHONPATH": str(src), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    env.pop("CI", None)
    t0 = time.perf_counter()
    try:
        p = subprocess.run(pytest_cmd(tests), cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
        rc, out = p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired:
        rc, out = -1, "timeout"
    return rc, out, time.perf_counter() - t0


def summary_line(out: str) -> str:
    lines = [ln for ln in out.strip().splitlines() if re.search(r"\d+ (passed|failed|error)", ln)]
    return lines[-1].strip("= ") if lines else out.strip().splitlines()[-1] if out.strip() else ""


def mutated_tree(row: KnockOut, into: Path) -> Path:
    """A copy of src/ with the row applied; raises if ``old`` is not found exactly once."""
    src = into / "src"
    # byte-code caches are copied too (same mtimes), so only the changed module is recompiled
    shutil.copytree(REPO / "src", src, ignore=shutil.ignore_patterns("*.egg-info"))
    path = src / "spsim" / row.file
    text = path.read_text()
    n = text.count(row.old)
    if n != 1:
        raise ValueError(f"{row.id}: the text to knock out occurs {n} times in src/spsim/{row.file}")
    path.write_text(text.replace(row.old, row.new))
    return src


def check_row(row: KnockOut, timeout: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="knockout-") as tmp:
        try:
            src = mutated_tree(row, Path(tmp))
        except ValueError as e:
            return {"row": row, "caught": False, "outcome": str(e), "seconds": 0.0}
        rc, out, secs = run_pytest(row.tests, src, timeout)
    caught = rc == 1 and " failed" in summary_line(out)
    return {"row": row, "caught": caught, "outcome": summary_line(out) or f"exit {rc}", "seconds": secs}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", action="append", default=[], help="row id (repeatable; prefix matches)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per row")
    ap.add_argument("--skip-baseline", action="store_true", help="do not first run the tests on the untouched source")
    ap.add_argument("--markdown", type=Path, help="also write the result table here")
    args = ap.parse_args(argv)

    rows = [r for r in KNOCKOUTS if not args.only or any(r.id.startswith(o) for o in args.only)]
    pending = sorted(PENDING_REWRITE & {r.id for r in rows})
    if pending:
        print(f"not applied, pending rewrite against the new mechanisms: {pending}")
    rows = [r for r in rows if r.id not in PENDING_REWRITE]
    if not rows:
        print("no row matches", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    # the scratch copy, not the installed package, must be what the tests import
    with tempfile.TemporaryDirectory(prefix="knockout-probe-") as tmp:
        src = mutated_tree(rows[0], Path(tmp))
        probe = subprocess.run([sys.executable, "-c", "import spsim; print(spsim.__file__)"], cwd=REPO,
                               env={**os.environ, "PYTHONPATH": str(src)}, capture_output=True, text=True)
        if not probe.stdout.strip().startswith(str(src)):
            print(f"the tests would import {probe.stdout.strip()!r}, not the scratch copy", file=sys.stderr)
            return 1
    if not args.skip_baseline:
        tests = sorted({t for r in rows for t in r.tests})
        env_src = REPO / "src"
        rc, out, secs = run_pytest(tests, env_src, args.timeout * 4)
        print(f"untouched source: {summary_line(out)} ({len(tests)} tests, {secs:.0f} s)")
        if rc != 0:
            print(out[-3000:])
            print("the named tests must pass on the untouched source", file=sys.stderr)
            return 1
    with ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        results = []
        for res in pool.map(lambda r: check_row(r, args.timeout), rows):
            row = res["row"]
            verdict = "caught" if res["caught"] else "MISSED"
            print(f"{verdict:7s} {row.id:48s} {res['seconds']:6.1f} s  {res['outcome']}", flush=True)
            results.append(res)
    missed = [r for r in results if not r["caught"]]
    wall = time.perf_counter() - t0
    print(f"{len(results) - len(missed)} of {len(results)} knock-outs caught in {wall:.0f} s")
    if args.markdown:
        lines = ["| knock-out | what is switched off | tests that must fail | outcome |", "|---|---|---|---|"]
        for res in results:
            row = res["row"]
            tests = "<br>".join(f"`{t.removeprefix('tests/')}`" for t in row.tests)
            verdict = "caught" if res["caught"] else "**missed**"
            lines.append(f"| `{row.id}` | {row.what} | {tests} | {verdict}: {res['outcome']} |")
        lines.append("")
        lines.append(f"{len(results) - len(missed)} of {len(results)} knock-outs caught; wall time {wall:.0f} s "
                     f"with {args.jobs} jobs.")
        args.markdown.write_text("\n".join(lines) + "\n")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
