"""Sweep benchmark: parallel speed-up of `spsim sweep` and the parent's memory as runs grow.

    python benchmarks/bench_sweep.py                 # 24 runs of 50,000 residents x 78 weeks
    python benchmarks/bench_sweep.py --runs 8 --size 20000

1. Speed-up: the same experiment with `--workers 1` (runs in the sweep's own process) and
   `--workers 2` (a process pool), each as a fresh `python -m spsim sweep` command, timed from the
   outside (start-up and imports included), best of --repeat. The two result folders must be
   byte-identical.
2. Memory: the sweep process's peak RSS (workers excluded) for a small and an 8x larger sweep of
   tiny runs; it should not grow with the number of runs (only summaries are gathered).

Other work on the machine slows the parallel run most: the load average and the speed-up the
machine gives two plain CPU-bound processes at the time are printed with the figures.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

EXPERIMENT = """
[experiment]
name = "bench"
replicates = {replicates}
weeks = {weeks}
outcomes = ["lw_wait_weeks_mean", "clients_supported_total"]
[config.population]
size = {size}
[[parameters]]
key = "link_workers.fte"
values = {values}
"""


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}


def experiment(tmp: Path, runs: int, size: int, weeks: int, name: str = "bench.toml") -> Path:
    replicates = 2 if runs % 2 == 0 else 1
    points = runs // replicates
    values = [round(0.5 + 0.5 * i, 2) for i in range(points)]
    p = tmp / name
    p.write_text(EXPERIMENT.format(replicates=replicates, weeks=weeks, size=size, values=values))
    return p


def timed_sweep(exp: Path, out: Path, workers: int) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "spsim", "sweep", str(exp), "--out", str(out), "--workers", str(workers),
                    "--quiet"], check=True, env=env())
    return time.perf_counter() - t0


PEAK = """
import resource, sys
from pathlib import Path
from spsim.studies.experiment import load_experiment
from spsim.studies.sweep import run_sweep
res = run_sweep(load_experiment(sys.argv[1]), Path(sys.argv[2]), workers=2)
assert not res.failed
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss_mb(exp: Path, out: Path) -> float:
    got = subprocess.run([sys.executable, "-c", PEAK, str(exp), str(out)], check=True, env=env(),
                         capture_output=True, text=True)
    return int(got.stdout.split()[-1]) / 1024


SPIN = "x = 0\nfor i in range(20_000_000):\n    x += i\n"


def available_speedup() -> float:
    """What this machine gives two CPU-bound processes right now (2.0 on an idle 2-core machine):
    other work running alongside caps any parallel speed-up, so it is measured and printed with it."""
    def spin(n: int) -> float:
        t0 = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(n)]
        for p in procs:
            p.wait()
        return time.perf_counter() - t0

    one = spin(1)
    return 2 * one / spin(2)


def same_results(a: Path, b: Path) -> bool:
    names = ["summary.parquet", "summary.csv", "points.csv"]
    runs = sorted(p.name for p in (a / "runs").iterdir())
    _, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    return (not mismatch and not errors and runs == sorted(p.name for p in (b / "runs").iterdir())
            and all(filecmp.cmp(a / "runs" / n, b / "runs" / n, shallow=False) for n in runs))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=24)
    ap.add_argument("--size", type=int, default=50_000)
    ap.add_argument("--weeks", type=int, default=52, help="recorded weeks (plus the default 26 of burn-in)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--memory-runs", type=int, default=24, help="runs in the small memory sweep (8x in the large)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as d:
        tmp = Path(d)
        exp = experiment(tmp, args.runs, args.size, args.weeks)
        print(f"speed-up: {args.runs} runs of {args.size:,} residents x {args.weeks + 26} weeks, "
              f"{os.cpu_count()} cores, load average before {os.getloadavg()[0]:.2f}")
        best = {}
        for workers in (1, 2):
            times = []
            for k in range(args.repeat):
                out = tmp / f"w{workers}-{k}"
                times.append(timed_sweep(exp, out, workers))
            best[workers] = min(times)
            print(f"  --workers {workers}: {best[workers]:6.1f} s  ({args.runs / best[workers]:.2f} runs/s)")
        identical = same_results(tmp / "w1-0", tmp / "w2-0")
        print(f"  speed-up with 2 workers: {best[1] / best[2]:.2f}x; results byte-identical: {identical}; "
              f"load average after {os.getloadavg()[0]:.2f}")
        print(f"  speed-up this machine gave two CPU-bound processes just after: {available_speedup():.2f}x")

        small = experiment(tmp, args.memory_runs, 1000, 10, "small.toml")
        large = experiment(tmp, 8 * args.memory_runs, 1000, 10, "large.toml")
        m_small = peak_rss_mb(small, tmp / "m-small")
        m_large = peak_rss_mb(large, tmp / "m-large")
        print(f"memory: sweep process peak RSS {m_small:.0f} MB for {args.memory_runs} runs, "
              f"{m_large:.0f} MB for {8 * args.memory_runs} runs (1,000 residents x 36 weeks, 2 workers)")


if __name__ == "__main__":
    main()
