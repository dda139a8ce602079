"""Between-replicate spread of the lonely share, and what sets it (docs/ODD.md 7.3).

    PYTHONPATH=src .venv/bin/python tools/loneliness_spread.py --size 50000 --replicates 8
    PYTHONPATH=src .venv/bin/python tools/loneliness_spread.py --size 10000 --set loneliness.neighbourhood_sd=0

For each replicate of the default town (``--set`` overrides, as in ``spsim run``) it prints the
town's mean neighbourhood effect and lasting onset multiplier, the mean-field steady-state share
(``Loneliness.stationary``) at the start, the share drawn at the start, the share every 26 weeks
through burn-in and recorded weeks, and the recorded mean; then the mean, sd, range and the
correlation of the recorded share with the steady state at the start. A correlation near 1 with
flat trajectories means the spread is fixed when the town is built (which town), not a slow mode.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from spsim.model.config import load_config
from spsim.model.mechanisms.loneliness import Loneliness
from spsim.model.rng import replicate_seeds
from spsim.model.simulation import SocialPrescribingModel


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=50_000)
    ap.add_argument("--replicates", type=int, default=8)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    a = ap.parse_args()
    cfg = load_config(None, [f"population.size={a.size}", f"simulation.replicates={a.replicates}", *a.set])
    seeds = replicate_seeds(cfg.simulation.seed, a.replicates)
    total = cfg.simulation.burn_in_weeks + cfg.simulation.weeks
    recorded, start = [], []
    for rep in range(a.replicates):
        t0 = time.perf_counter()
        m = SocialPrescribingModel(cfg, replicate=rep, seed_seq=seeds[rep], agents=False)
        lon = next(x for x in m.mechanisms if isinstance(x, Loneliness))
        r = m.residents
        steady = float(lon.stationary(m).mean())
        drawn = float(r.lonely.mean())
        path = []
        while m.week < total:
            m.step()
            if m.week % 26 == 0:
                path.append(float(r.lonely.mean()))
        share = float(m.timeseries()["lonely_share"].mean())
        recorded.append(share)
        start.append(steady)
        print(f"replicate {rep}: mean neighbourhood effect {lon.hood_effect[r.neighbourhood].mean():.3f}, "
              f"lasting multiplier {lon.lasting_mult.mean():.2f}, steady state {steady:.4f}, drawn {drawn:.4f}, "
              f"every 26 weeks {' '.join(f'{x:.4f}' for x in path)}, recorded {share:.4f} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    x = np.array(recorded)
    corr = np.corrcoef(x, start)[0, 1] if a.replicates > 2 else float("nan")
    print(f"{a.size} residents, {a.replicates} replicates: lonely share mean {x.mean():.4f}, "
          f"sd {x.std(ddof=1):.4f}, range {x.min():.4f} to {x.max():.4f}; "
          f"correlation with the steady state at the start {corr:.2f}")


if __name__ == "__main__":
    main()
