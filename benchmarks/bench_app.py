"""How responsive is the classroom app? Time one week of a classroom town as the app does it:
``model.step()``, then update both kept figures and encode them as PNG (what Solara sends to the
browser). Prints wall and CPU time (CPU time is what the machine's load does not inflate).

    python benchmarks/bench_app.py [--population 2000] [--weeks 30]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

from spsim.interfaces.app.classroom import ClassroomModel


def week(model: ClassroomModel) -> None:
    model.step()
    for kind in ("town", "trends"):
        model.picture(kind).savefig(io.BytesIO(), format="png")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--population", type=int, default=2000)
    ap.add_argument("--weeks", type=int, default=30)
    args = ap.parse_args()

    t0, c0 = time.perf_counter(), time.process_time()
    model = ClassroomModel(population=args.population)
    model.view  # noqa: B018  (sample and layout, once per reset)
    week(model)  # first draw builds the kept figures
    reset_wall, reset_cpu = time.perf_counter() - t0, time.process_time() - c0

    walls, cpus, steps = [], [], []
    for _ in range(args.weeks):
        w, c = time.perf_counter(), time.process_time()
        model.step()
        steps.append(time.perf_counter() - w)
        for kind in ("town", "trends"):
            model.picture(kind).savefig(io.BytesIO(), format="png")
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    print(f"classroom town of {args.population:,} residents ({model.view.nodes.size} drawn), {args.weeks} weeks")
    print(f"  reset (build + layout + first draw): {reset_wall:.2f} s wall, {reset_cpu:.2f} s CPU")
    print(f"  model.step() alone: median {1000 * statistics.median(steps):.1f} ms")
    print(f"  step + redraw: median {statistics.median(walls):.3f} s wall (max {max(walls):.3f}), "
          f"median {statistics.median(cpus):.3f} s CPU")


if __name__ == "__main__":
    main()
