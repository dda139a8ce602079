"""Speed and memory of the spsim model: build time, weekly throughput, peak memory.

Each population size is measured in a fresh Python process, so import time and peak memory
(``ru_maxrss``) belong to that size alone. Numerical libraries are pinned to one thread
(OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS = 1) in that process, so the figures are
single-core figures.

For each size the child process:

1. times the imports (``spsim.model.config``, ``spsim.model``: numpy, pandas, mesa, pydantic come in here);
2. ``--repeat`` times: builds ``SocialPrescribingModel(cfg, agents=False)`` (residents as arrays
   only, as ``spsim run`` does) and runs ``--weeks`` weeks with ``burn_in_weeks = 0``;
3. ``--repeat`` times: builds ``SocialPrescribingModel(cfg, agents=True)`` (one Mesa agent per
   resident) and runs the same weeks; this run is the headline throughput;
4. with ``--by-mechanism``, one more instrumented run (agents=True) that times each mechanism's
   random draws and its ``step``, the recorder and the rest of ``model.step`` (not part of the
   headline figures, since the timers add overhead);
5. reports ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` after the imports, after step 2 and at
   the end (the peak of the whole child).

Throughput is resident-weeks per second: residents x weeks / run seconds, from the median run
time over the repeats. ``--default-town`` times the built-in default town (``Config()``: 50,000
residents, 26 burn-in + 104 recorded weeks) the way ``spsim run`` does it (build with
agents=False, run, timeseries and summary), and ``python -m spsim run`` end to end as a command.

Usage::

    PYTHONPATH=src python benchmarks/bench_model.py                       # 10k and 100k, 52 weeks
    PYTHONPATH=src python benchmarks/bench_model.py --sizes 100000 --by-mechanism
    PYTHONPATH=src python benchmarks/bench_model.py --default-town --json bench.json
    PYTHONPATH=src python benchmarks/bench_model.py --quick --sizes 2000 --weeks 3 --json out.json

Only the standard library is imported in the parent process; the model is imported in the children.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SCHEMA = "spsim-bench/1"

# The project's floors (docs/performance.md). Reported, never asserted in tests.
FLOOR_RESIDENTS = 100_000
FLOOR_RW_PER_S = 2_000_000
FLOOR_DEFAULT_TOWN_S = 5.0


# ----------------------------------------------------------------------------- environment
def child_env() -> dict[str, str]:
    """The environment for the measuring processes: one thread per numerical library, and this
    checkout's ``src`` first on the path (so the benchmark measures the code next to it)."""
    env = dict(os.environ)
    for k in THREAD_VARS:
        env[k] = "1"
    src = str(REPO / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def cpu_info() -> dict:
    """Model name, family/model numbers and a few flags of the first CPU in /proc/cpuinfo."""
    info: dict = {"cpu_model": platform.processor() or "unknown"}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return info
    first = text.split("\n\n", 1)[0]
    fields = dict(line.split(":", 1) for line in first.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    flags = set(fields.get("flags", "").split())
    info["cpu_model"] = fields.get("model name", info["cpu_model"])
    info["cpu_family_model"] = f"{fields.get('cpu family', '?')}/{fields.get('model', '?')}"
    info["cpu_flags"] = {f: f in flags for f in ("avx2", "avx512f", "hypervisor")}
    info["cache"] = fields.get("cache size")
    return info


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10)
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("+dirty-src" if dirty.stdout.strip() else "")


def maxrss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


# ----------------------------------------------------------------------------- child: one size
def _instrument(model, acc: dict[str, float]):
    """Time each mechanism's uniforms and step, and the recorder, by wrapping bound methods on
    this model's instances (src is not modified)."""
    from time import perf_counter

    streams = model.streams
    orig_uniforms = streams.uniforms
    running: list[str | None] = [None]  # the mechanism whose step is running, if any

    def uniforms(name, rows, n):
        t = perf_counter()
        out = orig_uniforms(name, rows, n)
        who = running[0] or name  # draws made inside a step count as that mechanism's
        acc[f"{who}|rng"] = acc.get(f"{who}|rng", 0.0) + perf_counter() - t
        return out

    streams.uniforms = uniforms
    for mech in model.mechanisms:
        key = f"{mech.stream or mech.name}|step"

        def timed(m, u, _orig=mech.step, _key=key, _name=mech.stream or mech.name):
            t = perf_counter()
            drawn = sum(v for k, v in acc.items() if k.endswith("|rng"))
            running[0] = _name
            try:
                _orig(m, u)
            finally:
                running[0] = None
            # uniforms drawn inside the step (e.g. workforce, rows = 0) count once, as its rng
            inside = sum(v for k, v in acc.items() if k.endswith("|rng")) - drawn
            acc[_key] = acc.get(_key, 0.0) + perf_counter() - t - inside

        mech.step = timed
    rec = model.recorder
    orig_record = rec.record

    def record(m, tally):
        t = perf_counter()
        orig_record(m, tally)
        acc["recorder|step"] = acc.get("recorder|step", 0.0) + perf_counter() - t

    rec.record = record


def by_mechanism(SocialPrescribingModel, cfg, weeks: int, repeat: int) -> dict:
    """``repeat`` instrumented runs (agents=True); per-mechanism figures are medians over them."""
    import gc
    from time import perf_counter

    runs: list[dict[str, float]] = []
    totals: list[float] = []
    names: list[str] = []
    n = 0
    for _ in range(repeat):
        model = SocialPrescribingModel(cfg, agents=True)
        acc: dict[str, float] = {}
        _instrument(model, acc)
        step_total = 0.0
        for _ in range(weeks):
            t = perf_counter()
            model.step()
            step_total += perf_counter() - t
        acc["other|step"] = step_total - sum(acc.values())  # model.step's own work: loop, tally, flags
        runs.append(acc)
        totals.append(step_total)
        names = [m.stream or m.name for m in model.mechanisms] + ["recorder", "other"]
        n = model.residents.n
        del model
        gc.collect()
    step_total = statistics.median(totals)
    rows = []
    for name in names:
        rng = statistics.median(a.get(f"{name}|rng", 0.0) for a in runs)
        step = statistics.median(a.get(f"{name}|step", 0.0) for a in runs)
        rows.append({
            "mechanism": name,
            "rng_ms_per_week": 1e3 * rng / weeks,
            "step_ms_per_week": 1e3 * step / weeks,
            "total_ms_per_week": 1e3 * (rng + step) / weeks,
            "ns_per_resident_week": 1e9 * (rng + step) / weeks / n,
            "share": (rng + step) / step_total if step_total else 0.0,
        })
    return {
        "weeks": weeks,
        "repeat": repeat,
        "step_ms_per_week": 1e3 * step_total / weeks,
        "instrumented_resident_weeks_per_s": n * weeks / step_total if step_total else None,
        "mechanisms": rows,
    }


def child_size(n: int, weeks: int, repeat: int, mechanisms: bool) -> dict:
    import gc
    from time import perf_counter, process_time

    t0 = perf_counter()
    from spsim.model import SocialPrescribingModel
    from spsim.model.config import load_config

    import_s = perf_counter() - t0
    rss_import = maxrss_mib()
    cfg = load_config(None, [f"population.size={n}", f"simulation.weeks={weeks}", "simulation.burn_in_weeks=0"])

    def build_and_run(agents: bool) -> tuple[float, float, float]:
        t = perf_counter()
        model = SocialPrescribingModel(cfg, agents=agents)
        b = perf_counter() - t
        c = process_time()
        t = perf_counter()
        model.run()
        r = perf_counter() - t
        c = process_time() - c
        if model.week != weeks or model.recorder.i != weeks:
            raise RuntimeError(f"model ran {model.week} weeks, recorded {model.recorder.i}; expected {weeks}")
        del model
        gc.collect()
        return b, r, c

    arrays = [build_and_run(False) for _ in range(repeat)]
    rss_arrays = maxrss_mib()
    agents = [build_and_run(True) for _ in range(repeat)]
    out = {
        "residents": n,
        "weeks": weeks,
        "repeat": repeat,
        "import_s": import_s,
        "build_agents_s": statistics.median(x[0] for x in agents),
        "build_arrays_s": statistics.median(x[0] for x in arrays),
        "run_s": statistics.median(x[1] for x in agents),
        "run_arrays_s": statistics.median(x[1] for x in arrays),
        "run_cpu_s": statistics.median(x[2] for x in agents),
        "build_agents_s_all": [x[0] for x in agents],
        "build_arrays_s_all": [x[0] for x in arrays],
        "run_s_all": [x[1] for x in agents],
        "run_arrays_s_all": [x[1] for x in arrays],
        "run_cpu_s_all": [x[2] for x in agents],
        "rss_after_import_mib": rss_import,
        "peak_rss_arrays_mib": rss_arrays,
    }
    out["resident_weeks_per_s"] = n * weeks / out["run_s"]
    out["resident_weeks_per_s_arrays"] = n * weeks / out["run_arrays_s"]
    out["resident_weeks_per_cpu_s"] = n * weeks / out["run_cpu_s"]  # less sensitive to other work on the machine
    out["resident_weeks_per_s_best"] = n * weeks / min(out["run_s_all"])  # fastest repeat: least disturbed
    if mechanisms:
        out["by_mechanism"] = by_mechanism(SocialPrescribingModel, cfg, weeks, repeat)
    out["peak_rss_mib"] = maxrss_mib()
    return out


def child_default_town(repeat: int) -> dict:
    from time import perf_counter, process_time

    t0 = perf_counter()
    from spsim.model.params import Config
    from spsim.studies.runner import run_replicate

    import_s = perf_counter() - t0
    cfg = Config()
    reps = []
    for _ in range(repeat):
        c = process_time()
        t = perf_counter()
        res = run_replicate(cfg, 0)  # what `spsim run` does per replicate: build (agents=False), run, summarise
        total = perf_counter() - t
        reps.append((res.build_seconds, res.run_seconds, total, process_time() - c))
    sim = cfg.simulation
    weeks = sim.burn_in_weeks + sim.weeks
    run_s = statistics.median(x[1] for x in reps)
    return {
        "residents": cfg.population.size,
        "burn_in_weeks": sim.burn_in_weeks,
        "weeks": sim.weeks,
        "repeat": repeat,
        "import_s": import_s,
        "build_s": statistics.median(x[0] for x in reps),
        "run_s": run_s,
        "build_run_summarise_s": statistics.median(x[2] for x in reps),
        "build_run_summarise_cpu_s": statistics.median(x[3] for x in reps),
        "build_run_summarise_s_all": [x[2] for x in reps],
        "resident_weeks_per_s": cfg.population.size * weeks / run_s,
        "peak_rss_mib": maxrss_mib(),
    }


# ----------------------------------------------------------------------------- parent
def run_child(args: list[str]) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=child_env())
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"bench_model: child {' '.join(args)} failed with status {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def time_cli(repeat: int) -> list[float]:
    """Wall time of ``python -m spsim run --quiet`` on the default town (interpreter start, imports,
    build, run, writing parquet/csv/json), one fresh process per repeat."""
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="spsim-bench-") as tmp:
            cmd = [sys.executable, "-m", "spsim", "run", "--quiet", "--out", str(Path(tmp) / "out")]
            t = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, env=child_env())
            times.append(time.perf_counter() - t)
            if proc.returncode != 0:
                sys.stderr.write(proc.stderr)
                raise SystemExit(f"bench_model: spsim run failed with status {proc.returncode}")
    return times


def machine_info() -> dict:
    info = {
        "nproc": os.cpu_count(),
        "cpus_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        **cpu_info(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "thread_env": {k: "1" for k in THREAD_VARS},
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "git_commit": git_commit(),
    }
    probe = ("import json, numpy, mesa, pandas; print(json.dumps({'numpy': numpy.__version__, "
             "'mesa': mesa.__version__, 'pandas': pandas.__version__}))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=child_env())
    if proc.returncode == 0:
        info.update(json.loads(proc.stdout))
    return info


def floors(sizes: list[dict], town: dict | None) -> list[dict]:
    out = []
    for s in sizes:
        if s["residents"] == FLOOR_RESIDENTS:
            out.append({"floor": f">= {FLOOR_RW_PER_S:,} resident-weeks/s at {FLOOR_RESIDENTS:,} residents",
                        "measured": s["resident_weeks_per_s"], "met": s["resident_weeks_per_s"] >= FLOOR_RW_PER_S})
    if town is not None:
        out.append({"floor": f"default town build + run < {FLOOR_DEFAULT_TOWN_S:g} s",
                    "measured": town["build_run_summarise_s"],
                    "met": town["build_run_summarise_s"] < FLOOR_DEFAULT_TOWN_S})
    return out


def print_report(result: dict) -> None:
    m = result["machine"]
    print(f"spsim benchmark  ({m['cpu_model']}, nproc {m['nproc']}, python {m['python']}, "
          f"numpy {m.get('numpy', '?')}, mesa {m.get('mesa', '?')})")
    print(f"threads pinned: {', '.join(f'{k}=1' for k in THREAD_VARS)}; "
          f"OPENBLAS_CORETYPE={m['OPENBLAS_CORETYPE'] or '(unset)'}; load average at start "
          f"{', '.join(f'{x:.2f}' for x in m['load_average_at_start'] or [])} (1, 5, 15 min; "
          f"{m['nproc']} cores: a load above ~1 means other work shared the machine)")
    if result["sizes"]:
        s0 = result["sizes"][0]
        print(f"\nrun phase: {s0['weeks']} weeks, burn-in 0, median of {s0['repeat']} repeat(s); "
              "one fresh process per size")
        hdr = (f"{'residents':>10} {'import s':>9} {'build s':>8} {'build s':>8} {'run s':>7} {'run cpu':>8} "
               f"{'res-wk/s':>11} {'res-wk/s':>11} {'res-wk/s':>11} {'peak RSS':>9}")
        sub = (f"{'':>10} {'':>9} {'agents':>8} {'arrays':>8} {'agents':>7} {'s':>8} "
               f"{'agents':>11} {'best rep.':>11} {'arrays':>11} {'MiB':>9}")
        print(hdr)
        print(sub)
        for s in result["sizes"]:
            print(f"{s['residents']:>10,} {s['import_s']:>9.2f} {s['build_agents_s']:>8.3f} "
                  f"{s['build_arrays_s']:>8.3f} {s['run_s']:>7.3f} {s['run_cpu_s']:>8.3f} "
                  f"{s['resident_weeks_per_s']:>11,.0f} {s['resident_weeks_per_s_best']:>11,.0f} "
                  f"{s['resident_weeks_per_s_arrays']:>11,.0f} {s['peak_rss_mib']:>9.0f}")
        for s in result["sizes"]:
            bm = s.get("by_mechanism")
            if not bm:
                continue
            print(f"\nby mechanism, {s['residents']:,} residents, {bm['weeks']} weeks, median of {bm['repeat']} "
                  f"instrumented run(s): {bm['step_ms_per_week']:.2f} ms/week, "
                  f"{bm['instrumented_resident_weeks_per_s']:,.0f} res-wk/s")
            print(f"{'mechanism':<28} {'rng ms/wk':>10} {'step ms/wk':>11} {'total ms/wk':>12} "
                  f"{'ns/res-wk':>10} {'share':>7}")
            for row in bm["mechanisms"]:
                print(f"{row['mechanism']:<28} {row['rng_ms_per_week']:>10.3f} {row['step_ms_per_week']:>11.3f} "
                      f"{row['total_ms_per_week']:>12.3f} {row['ns_per_resident_week']:>10.1f} "
                      f"{row['share']:>7.1%}")
    t = result.get("default_town")
    if t:
        print(f"\ndefault town: {t['residents']:,} residents, {t['burn_in_weeks']} burn-in + {t['weeks']} weeks, "
              f"median of {t['repeat']}")
        print(f"  import {t['import_s']:.2f} s; build {t['build_s']:.3f} s; run {t['run_s']:.3f} s "
              f"({t['resident_weeks_per_s']:,.0f} res-wk/s); build+run+summary {t['build_run_summarise_s']:.3f} s "
              f"(CPU {t['build_run_summarise_cpu_s']:.3f} s); "
              f"peak RSS {t['peak_rss_mib']:.0f} MiB")
        if t.get("cli_wall_s") is not None:
            print(f"  `python -m spsim run --quiet` end to end (interpreter, imports, build, run, writing): "
                  f"{t['cli_wall_s']:.2f} s")
    if result["floors"]:
        print()
        for f in result["floors"]:
            print(f"floor {f['floor']}: measured {f['measured']:,.3f} -> {'met' if f['met'] else 'NOT MET'}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=None, metavar="N",
                   help="population sizes (default 10000 100000; with --quick 10000)")
    p.add_argument("--weeks", type=int, default=None, help="weeks in the run phase (default 52; with --quick 8)")
    p.add_argument("--repeat", type=int, default=None, help="repeats per size; medians are reported (default 3; "
                   "with --quick 1)")
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the results as JSON to OUT")
    p.add_argument("--quick", action="store_true", help="a fast smoke run: 1 repeat, small defaults")
    p.add_argument("--by-mechanism", action="store_true",
                   help="add an instrumented run per size timing each mechanism (ms per week)")
    p.add_argument("--default-town", action="store_true",
                   help="time the built-in default town end to end (as `spsim run` does) instead of --sizes, "
                        "unless --sizes is also given")
    p.add_argument("--no-cli", action="store_true", help="with --default-town, skip timing the `spsim run` command")
    # internal: the measuring child processes
    p.add_argument("--child-size", type=int, help=argparse.SUPPRESS)
    p.add_argument("--child-default-town", action="store_true", help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    p = build_parser()
    a = p.parse_args(argv)
    repeat = a.repeat if a.repeat is not None else (1 if a.quick else 3)
    weeks = a.weeks if a.weeks is not None else (8 if a.quick else 52)
    if repeat < 1 or weeks < 1:
        p.error("--repeat and --weeks must be at least 1")

    if a.child_size is not None:
        print(json.dumps(child_size(a.child_size, weeks, repeat, a.by_mechanism)))
        return 0
    if a.child_default_town:
        print(json.dumps(child_default_town(repeat)))
        return 0

    if a.sizes is not None:
        sizes = a.sizes
    elif a.default_town:
        sizes = []
    else:
        sizes = [10_000] if a.quick else [10_000, 100_000]
    if any(n < 100 for n in sizes):
        p.error("--sizes must be at least 100 residents")

    result: dict = {"schema": SCHEMA, "machine": machine_info(),
                    "settings": {"weeks": weeks, "repeat": repeat, "quick": a.quick,
                                 "by_mechanism": a.by_mechanism, "burn_in_weeks": 0},
                    "sizes": [], "default_town": None}
    for n in sizes:
        args = ["--child-size", str(n), "--weeks", str(weeks), "--repeat", str(repeat)]
        if a.by_mechanism:
            args.append("--by-mechanism")
        result["sizes"].append(run_child(args))
    if a.default_town:
        town = run_child(["--child-default-town", "--repeat", str(repeat)])
        town["cli_wall_s"] = None
        if not a.no_cli:
            cli = time_cli(repeat)
            town["cli_wall_s"] = statistics.median(cli)
            town["cli_wall_s_all"] = cli
        result["default_town"] = town
    if hasattr(os, "getloadavg"):
        result["machine"]["load_average_at_end"] = list(os.getloadavg())
    result["floors"] = floors(result["sizes"], result["default_town"])
    print_report(result)
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
