"""Where a run's time goes: cProfile of the weekly steps, and optionally time per source line.

Builds a model (agents=True, burn-in 0) and profiles ``--weeks`` weeks with cProfile, printing the
top functions by own time. ``--lines`` adds a second, separately timed run with a small
``sys.settrace`` line timer over ``spsim`` source files: each line's figure is inclusive (it holds
the time of the functions it calls) and carries about a microsecond of tracer overhead per line
executed, which is small next to whole-array numpy operations on 10^5 elements. Pin threads as
the benchmark does, e.g.::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONPATH=src \\
        python benchmarks/profile_model.py --size 100000 --weeks 52 --lines

Nothing in ``src`` is changed.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import linecache
import pstats
import sys
from pathlib import Path
from time import perf_counter


def line_times(model, weeks: int, root: str) -> tuple[dict[tuple[str, int], list], float]:
    """Run ``weeks`` weeks with a line timer on files under ``root``; return
    {(file, line): [seconds, hits]} and the wall time of the traced run."""
    acc: dict[tuple[str, int], list] = {}
    state: dict[int, tuple[int, float]] = {}

    def local(frame, event, arg):
        t = perf_counter()
        key = id(frame)
        prev = state.get(key)
        if prev is not None:
            cell = acc.setdefault((frame.f_code.co_filename, prev[0]), [0.0, 0])
            cell[0] += t - prev[1]
            cell[1] += 1
        if event == "return":
            state.pop(key, None)
        else:
            state[key] = (frame.f_lineno, perf_counter())
        return local

    def glob(frame, event, arg):
        if event == "call" and frame.f_code.co_filename.startswith(root):
            return local
        return None

    t0 = perf_counter()
    sys.settrace(glob)
    try:
        for _ in range(weeks):
            model.step()
    finally:
        sys.settrace(None)
    return acc, perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="cProfile (and optional line timings) of spsim's weekly steps")
    p.add_argument("--size", type=int, default=100_000, help="residents (default 100000)")
    p.add_argument("--weeks", type=int, default=52, help="weeks to profile (default 52)")
    p.add_argument("--top", type=int, default=30, help="functions to list (default 30)")
    p.add_argument("--lines", action="store_true", help="also time each source line (separate run)")
    p.add_argument("--top-lines", type=int, default=40, help="lines to list (default 40)")
    p.add_argument("--stats", type=Path, help="write the cProfile stats file here (for pstats/snakeviz)")
    a = p.parse_args(argv)

    import spsim
    from spsim.model import SocialPrescribingModel
    from spsim.model.config import load_config

    cfg = load_config(None, [f"population.size={a.size}", f"simulation.weeks={a.weeks}",
                             "simulation.burn_in_weeks=0"])
    model = SocialPrescribingModel(cfg, agents=True)
    prof = cProfile.Profile()
    t = perf_counter()
    prof.enable()
    model.run()
    prof.disable()
    wall = perf_counter() - t
    print(f"cProfile: {a.size:,} residents, {a.weeks} weeks, {wall:.3f} s under the profiler "
          f"({1e3 * wall / a.weeks:.1f} ms/week)")
    if a.stats:
        prof.dump_stats(a.stats)
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).strip_dirs().sort_stats("tottime").print_stats(a.top)
    print(buf.getvalue())

    if a.lines:
        root = str(Path(spsim.__file__).resolve().parent)
        model = SocialPrescribingModel(cfg, agents=True)
        acc, traced = line_times(model, a.weeks, root)
        print(f"line timer: {traced:.3f} s traced ({1e3 * traced / a.weeks:.1f} ms/week); inclusive per line, "
              f"ms per week")
        rows = sorted(acc.items(), key=lambda kv: -kv[1][0])[: a.top_lines]
        for (fn, line), (sec, hits) in rows:
            src = linecache.getline(fn, line).strip()
            rel = Path(fn).resolve().relative_to(root)
            print(f"{1e3 * sec / a.weeks:8.3f}  {hits / a.weeks:6.1f}x  {str(rel) + ':' + str(line):<32} {src[:90]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
