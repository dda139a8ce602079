"""spsim against Mesa's own `virus_on_network` example, stepping the same number of agents in one
process (run phase only).

    python benchmarks/bench_mesa_virus.py --sizes 10000 100000 --spsim-weeks 20 --mesa-steps 5

For each size, in this one process: build the spsim default town with that many residents (a Mesa
agent per resident, as `SocialPrescribingModel` does by default), time `--spsim-weeks` weekly steps;
then build Mesa's `VirusOnNetwork(num_nodes=N)` and time `--mesa-steps` calls of its own
`model.step()` (every agent's `step` in random order, plus the example's DataCollector, as the
example ships). Throughput for both is agent-steps per second; the ratio is spsim / Mesa.

Two build-time substitutions make the example buildable at 100,000 nodes; neither touches its run
phase: the example's `nx.erdos_renyi_graph` examines all n^2 / 2 pairs, so this script swaps in
`nx.fast_gnp_random_graph` (the same G(n, p) distribution in O(n + m)); and Mesa's
`Network(..., layout=nx.spring_layout)` default computes a force-directed layout (57 s for 5,000
nodes here), so the example's Network is built with `layout=None`, which the Mesa docs recommend
when no view needs positions.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _time_build_and_steps(build, n: int, steps: int) -> dict:
    """Time ``model = build()`` and ``steps`` calls of ``model.step()``; agent-steps per second."""
    t0 = time.perf_counter()
    model = build()
    t1 = time.perf_counter()
    for _ in range(steps):
        model.step()
    t2 = time.perf_counter()
    return {"build_s": t1 - t0, "run_s": t2 - t1, "steps": steps,
            "agent_steps_per_s": n * steps / (t2 - t1)}


def time_spsim(n: int, weeks: int) -> dict:
    from spsim.model import SocialPrescribingModel
    from spsim.model.config import load_config

    cfg = load_config(None, [f"population.size={n}", f"simulation.weeks={weeks}", "simulation.burn_in_weeks=0"])
    return _time_build_and_steps(lambda: SocialPrescribingModel(cfg, agents=True), n, weeks)


def time_mesa_virus(n: int, steps: int) -> dict:
    from functools import partial

    import networkx as nx
    from mesa.discrete_space import Network
    from mesa.examples.basic.virus_on_network import model as vmodel

    vmodel.nx = type("nx_fast", (), {"erdos_renyi_graph": staticmethod(
        lambda n, p, seed=None: nx.fast_gnp_random_graph(n, p, seed=seed))})
    vmodel.Network = partial(Network, layout=None)
    return _time_build_and_steps(lambda: vmodel.VirusOnNetwork(num_nodes=n, rng=1), n, steps)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    p.add_argument("--spsim-weeks", type=int, default=20)
    p.add_argument("--mesa-steps", type=int, default=5)
    p.add_argument("--json", help="write the results here")
    args = p.parse_args()
    rows = []
    print(f"{'agents':>10} {'spsim agent-steps/s':>20} {'Mesa virus agent-steps/s':>25} {'ratio':>8}")
    for n in args.sizes:
        s = time_spsim(n, args.spsim_weeks)
        m = time_mesa_virus(n, args.mesa_steps)
        ratio = s["agent_steps_per_s"] / m["agent_steps_per_s"]
        rows.append({"agents": n, "spsim": s, "mesa_virus_on_network": m, "ratio": ratio})
        print(f"{n:>10,} {s['agent_steps_per_s']:>20,.0f} {m['agent_steps_per_s']:>25,.0f} {ratio:>8.1f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"load_average": os.getloadavg(), "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
