"""The default town's whole command, timed from outside, and where its time goes.

Issue 13 asks that the default town's ``spsim run`` stays under 5 s. This times the command a
user types, in fresh processes (interpreter start, imports, config, build, burn-in and recorded
weeks, summary, writing the files):

- ``spsim run --quiet --out DIR`` (what ``bench_model.py --default-town`` also times), and
- with ``--make-run``, the README's main command ``make run`` = ``spsim run --out DIR`` (not quiet:
  a progress bar and the printed summary);

``--repeat`` times each (default 5; medians reported), as wall time (``perf_counter`` around the
child) and CPU time (the child's user + system time from ``getrusage(RUSAGE_CHILDREN)``), with the
load average before every run. On a shared machine trust a run whose CPU time is close to its
wall time; the CPU figure is what a core to itself would give.

``--src DIR ...`` names several source trees (e.g. ``src`` of this checkout and of a ``git
worktree`` of an older commit): each repeat runs every tree once, in turn, so the trees share the
machine's load alike (interleaved before/after). Python's bytecode cache matters here (this
sandbox sets ``PYTHONDONTWRITEBYTECODE=1``, so a tree without ``__pycache__`` is compiled from
source on every run, about 0.3 s): by default every tree is compiled first (``compileall``, as
any first run on an ordinary Python leaves it), ``--no-compile`` leaves the trees as they are;
the JSON records which.

``--phases`` adds one in-process breakdown per repeat (a fresh process each): imports (Mesa, the
model, the command line), config, build (network, residents, the groups' warm start, the rest),
the weekly steps by mechanism, the recorder, summaries and writing, as CPU seconds. It wraps
functions on the classes (``src`` is not modified) and adds a little overhead.

    PYTHONPATH=src python benchmarks/bench_command.py --repeat 5 --make-run --phases \\
        --json benchmarks/recorded/DATE-default-town-command.json
    PYTHONPATH=src python benchmarks/bench_command.py --src src /tmp/before/src --repeat 5

Threads are pinned to one (``OMP_NUM_THREADS=1`` ...), as in ``bench_model.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from bench_model import FLOOR_DEFAULT_TOWN_S, THREAD_VARS, git_commit, machine_info  # noqa: E402

SCHEMA = "spsim-bench-command/1"
COMMANDS = {"run --quiet": ["run", "--quiet"], "make run": ["run"]}


def env_for(src: Path, compiled: bool) -> dict[str, str]:
    env = dict(os.environ)
    for k in THREAD_VARS:
        env[k] = "1"
    env["PYTHONPATH"] = str(src)
    if compiled:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("TQDM_DISABLE", None)
    return env


def compile_tree(src: Path) -> None:
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], check=True,
                   env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})


def has_bytecode(src: Path) -> bool:
    return (src / "spsim" / "__pycache__").is_dir()


def time_command(src: Path, args: list[str], compiled: bool) -> dict:
    """One fresh ``python -m spsim ...`` with a fresh output folder: wall and CPU seconds."""
    with tempfile.TemporaryDirectory(prefix="spsim-bench-cmd-") as tmp:
        load = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "spsim", *args, "--out", str(Path(tmp) / "out")],
                              capture_output=True, text=True, env=env_for(src, compiled))
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"bench_command: spsim {' '.join(args)} failed with status {proc.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "load_1min_before": load}


# ----------------------------------------------------------------------------- child: phases
def child_phases(extra: list[str]) -> dict:
    """Run ``spsim run --quiet`` in this process with timers (CPU seconds) on its parts."""
    acc: dict[str, float] = {}
    clock = time.process_time

    def timed(key: str, f):
        def w(*a, **k):
            t = clock()
            try:
                return f(*a, **k)
            finally:
                acc[key] = acc.get(key, 0.0) + clock() - t
        return w

    t0 = clock()
    import mesa  # noqa: F401

    t1 = clock()
    import spsim.model.simulation as S

    t2 = clock()
    import importlib

    cli = importlib.import_module("spsim.interfaces.cli.main")
    cli_run = importlib.import_module("spsim.interfaces.cli.run")
    common = importlib.import_module("spsim.interfaces.cli.common")
    from spsim.studies import runner

    t3 = clock()
    acc["import: interpreter start (not in this process)"] = 0.0
    for name in ("build_network", "build_residents", "add_attributes", "seed_group_memberships"):
        setattr(S, name, timed(f"build: {name}", getattr(S, name)))
    M = S.SocialPrescribingModel
    M._warm_start_groups = timed("build: groups' warm start (groups + volunteering steps)", M._warm_start_groups)
    M.__init__ = timed("build: all", M.__init__)
    M.run = timed("weeks: all (burn-in + recorded)", M.run)
    for mech in S.WEEKLY_ORDER:
        mech.step = timed(f"step: {mech.__name__}", mech.step)
    S.Streams.draws = timed("step: random draws (full rows and keys)", S.Streams.draws)
    S.Recorder.record = timed("weeks: recorder", S.Recorder.record)
    S.GroupOutcomes.record = timed("weeks: outcomes by group", S.GroupOutcomes.record)
    common.load = timed("config: load and validate", common.load)
    cli_run.load = common.load
    runner.summarise = timed("summary: summarise", runner.summarise)
    for name in ("write_parquet", "write_csv", "write_json"):
        setattr(cli_run, name, timed(f"write: {name}", getattr(cli_run, name)))
    with tempfile.TemporaryDirectory(prefix="spsim-bench-cmd-") as tmp:
        t4 = clock()
        rc = cli.main(["run", "--quiet", *extra, "--out", str(Path(tmp) / "out")])
        t5 = clock()
    if rc != 0:
        raise SystemExit(f"bench_command: spsim run failed with status {rc}")
    out = {"import: mesa (pandas, scipy.spatial, networkx, ...)": t1 - t0,
           "import: spsim.model (pydantic parameters, mechanisms)": t2 - t1,
           "import: command line, runner": t3 - t2,
           "main: all": t5 - t4}
    out.update(acc)
    out.pop("import: interpreter start (not in this process)")
    # (the Groups and Volunteering steps' figures include their 104 warm-start weeks, which are
    # also inside "build: groups' warm start"; "step: random draws" includes the warm start's)
    return out


# ----------------------------------------------------------------------------- parent
def summarise_runs(runs: list[dict]) -> dict:
    walls = [r["wall_s"] for r in runs]
    cpus = [r["cpu_s"] for r in runs]
    return {"wall_s_median": statistics.median(walls), "wall_s_min": min(walls),
            "cpu_s_median": statistics.median(cpus), "cpu_s_min": min(cpus),
            "load_1min_before": [r["load_1min_before"] for r in runs], "runs": runs}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    p.add_argument("--src", type=Path, nargs="+", default=[REPO / "src"], metavar="DIR",
                   help="source trees to time, interleaved (default: this checkout's src)")
    p.add_argument("--repeat", type=int, default=5, help="runs of each command and tree (default 5; medians)")
    p.add_argument("--make-run", action="store_true", help="also time `spsim run --out DIR` (what `make run` runs)")
    p.add_argument("--phases", action="store_true", help="also an in-process breakdown (CPU s), one per repeat")
    p.add_argument("--no-compile", action="store_true", help="do not compile the trees' bytecode first")
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the results as JSON")
    p.add_argument("--spsim-arg", action="append", default=[], metavar="ARG",
                   help="pass ARG on to `spsim run` (repeatable; e.g. --spsim-arg=--weeks=4 for a smoke run: "
                        "the figures are then not the default town's)")
    p.add_argument("--child-phases", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child_phases:
        print(json.dumps(child_phases(args.spsim_arg)))
        return 0
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    srcs = [s.resolve() for s in args.src]
    for s in srcs:
        if not (s / "spsim" / "__init__.py").is_file():
            p.error(f"--src {s}: no spsim package there")
        if not args.no_compile:
            compile_tree(s)
    compiled = not args.no_compile
    commands = {k: [*v, *args.spsim_arg] for k, v in COMMANDS.items() if k == "run --quiet" or args.make_run}
    result = {"schema": SCHEMA, "machine": machine_info(), "settings": {
        "repeat": args.repeat, "bytecode_compiled_first": compiled, "commands": list(commands),
        "spsim_args": list(args.spsim_arg),
        "PYTHONDONTWRITEBYTECODE_in_env": os.environ.get("PYTHONDONTWRITEBYTECODE")}, "trees": {}}
    raw: dict[str, dict[str, list]] = {str(s): {k: [] for k in commands} for s in srcs}
    phases: dict[str, list[dict]] = {str(s): [] for s in srcs}
    for _ in range(args.repeat):
        for s in srcs:  # interleaved: every tree once per repeat
            for name, cmd in commands.items():
                raw[str(s)][name].append(time_command(s, cmd, compiled))
            if args.phases:
                proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child-phases",
                                       *(f"--spsim-arg={a}" for a in args.spsim_arg)],
                                      capture_output=True, text=True, env=env_for(s, compiled))
                if proc.returncode != 0:
                    sys.stderr.write(proc.stderr)
                    raise SystemExit("bench_command: the phases child failed")
                phases[str(s)].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    result["machine"]["load_average_at_end"] = list(os.getloadavg())
    for s in srcs:
        tree = {"bytecode_cached": has_bytecode(s), "commands": {k: summarise_runs(v) for k, v in raw[str(s)].items()}}
        if s.parent == REPO:
            tree["git_commit"] = git_commit()
        if phases[str(s)]:
            order = ("import", "config", "build", "weeks", "step", "summary", "write", "main")
            keys = sorted(phases[str(s)][0], key=lambda k: (order.index(k.split(":")[0]), k))
            tree["phases_cpu_s_median"] = {k: statistics.median(ph.get(k, 0.0) for ph in phases[str(s)]) for k in keys}
        result["trees"][str(s)] = tree
    print(f"default town, {args.repeat} run(s) each; load average {result['machine']['load_average_at_start']}"
          f" -> {result['machine']['load_average_at_end']}; floor {FLOOR_DEFAULT_TOWN_S:.0f} s")
    for s, tree in result["trees"].items():
        print(f"{s} (bytecode cached: {tree['bytecode_cached']})")
        for name, c in tree["commands"].items():
            print(f"  spsim {name:12s} wall median {c['wall_s_median']:.2f} s (min {c['wall_s_min']:.2f}), "
                  f"CPU median {c['cpu_s_median']:.2f} s (min {c['cpu_s_min']:.2f})")
        for k, v in tree.get("phases_cpu_s_median", {}).items():
            print(f"    {k:60s} {v:7.3f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
