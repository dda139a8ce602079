"""How responsive is the classroom app? Time one week of a classroom town as the app does it:
``model.step()``, then update the kept figures of the tab on show and encode them as PNG (what the page
sends to the browser; the loop is an SVG string; inactive tabs are not drawn). Prints wall and CPU
time per tab (CPU time is what the machine's load inflates least); the slowest tab is the one that counts.

    python benchmarks/bench_app.py [--population 2000] [--weeks 30]
"""

from __future__ import annotations

import argparse
import statistics
import time

from spsim.interfaces.app.classroom import ClassroomModel, loop_svg

#: the classroom's tabs and the figures each shows
TABS = {"Town and referral loop": ("town", "loop"), "Week by week": ("trends",), "More measures": ("more",)}


def draw(model: ClassroomModel, kind: str) -> None:
    if kind == "loop":
        loop_svg(model)  # an SVG string, sent as it is
    else:
        model.png(kind)  # PNG bytes, as the page sends them


def week(model: ClassroomModel, kinds) -> None:
    model.step()
    for kind in kinds:
        draw(model, kind)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--population", type=int, default=2000)
    ap.add_argument("--weeks", type=int, default=30)
    args = ap.parse_args()

    t0, c0 = time.perf_counter(), time.process_time()
    model = ClassroomModel(population=args.population)
    model.view  # noqa: B018  (sample and layout, once per reset)
    reset_wall, reset_cpu = time.perf_counter() - t0, time.process_time() - c0
    drawn = model.view.nodes.size
    print(f"classroom town of {args.population:,} residents ({drawn} drawn), {args.weeks} weeks per tab")
    print(f"  reset (build + burn-in + layout): {reset_wall:.2f} s wall, {reset_cpu:.2f} s CPU")
    worst = 0.0
    for tab, kinds in TABS.items():
        week(model, kinds)  # the first draw builds the kept figures
        walls, cpus, steps = [], [], []
        for _ in range(args.weeks):
            w, c = time.perf_counter(), time.process_time()
            model.step()
            steps.append(time.perf_counter() - w)
            for kind in kinds:
                draw(model, kind)
            walls.append(time.perf_counter() - w)
            cpus.append(time.process_time() - c)
        worst = max(worst, statistics.median(cpus))
        print(f"  {tab}: step + redraw median {statistics.median(cpus):.3f} s CPU, "
              f"{statistics.median(walls):.3f} s wall "
              f"(max {max(walls):.3f}); model.step() alone median {1000 * statistics.median(steps):.1f} ms wall")
    print(f"  slowest tab: median {worst:.3f} s CPU per week")


if __name__ == "__main__":
    main()
