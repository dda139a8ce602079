"""The budget question: ``spsim optimise --budget GBP``.

Which mix of link-worker FTE, community-development FTE, grants to community groups and community
connectors gives most for a yearly budget? A multi-objective search with optuna's NSGA-II sampler
(Deb et al. 2002) over the four levers, with the budget as a constraint: a sampled mix over budget
is scaled down in proportion until it fits (a repair, so no run is spent on a mix the budget cannot
buy), and the constraint is also given to NSGA-II's constrained domination. Three objectives:
planned cost (minimise), lonely person-years avoided a year and GP consultations avoided a year
(maximise), both paired with the place without any of the four
levers on the same residents and luck (common random numbers: every trial runs replicates
``0..R-1`` of the same seed). The result is the Pareto front: the mixes no other tried mix beats on
all three objectives at once, each with 95% intervals over the paired replicates.

Planned cost of a mix = link-worker FTE x salary x (1 + on-costs) + developer FTE x salary x
(1 + on-costs) + the grant budget + connectors x ``costs.connector_gbp_per_year``. It is what a
commissioner commits; the simulated spend (grants actually paid, connectors still active) can be
lower and is reported beside it.

The front is chosen on the replicates' mean, so with few replicates it is optimistic (the best of
many noisy estimates is biased upwards); the intervals and a re-run with more replicates tell how
much. Optuna was chosen over pymoo and the EMA workbench because it is a small, well-kept
dependency with an ask-and-tell interface (a whole generation is run as one batch of replicates,
serially or in worker processes, with identical results), seeded samplers, mixed integer and
float levers and built-in constraint handling for NSGA-II.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..model.params import Config
from ..model.population import WEEKS_PER_YEAR
from .intervals import t_interval

#: lever -> (config section, field, step); the search ranges follow from the budget
LEVERS: dict[str, tuple[str, str, float]] = {
    "link_worker_fte": ("link_workers", "fte", 0.1),
    "development_fte": ("community_development", "fte", 0.1),
    "grants_gbp": ("grants", "budget_gbp_per_year", 1000.0),
    "connectors": ("connectors", "count", 1.0),
}
LEVER_LABELS = {"link_worker_fte": "Link-worker FTE", "development_fte": "Community-development FTE",
                "grants_gbp": "Grants (£ a year)", "connectors": "Community connectors"}
OBJECTIVES = ("cost_gbp", "lonely_py_avoided", "gp_avoided")


def unit_costs(cfg: Config) -> dict[str, float]:
    """£ a year for one unit of each lever."""
    on = 1 + cfg.link_workers.on_cost_rate
    return {"link_worker_fte": cfg.link_workers.salary_gbp * on,
            "development_fte": cfg.community_development.salary_gbp * on,
            "grants_gbp": 1.0,
            "connectors": cfg.costs.connector_gbp_per_year}


def planned_cost(cfg: Config, mix: dict[str, float]) -> float:
    u = unit_costs(cfg)
    return float(sum(mix[k] * u[k] for k in LEVERS))


def upper_bounds(cfg: Config, budget: float) -> dict[str, float]:
    """The most of each lever the budget buys on its own (connectors also at most 2% of residents:
    they are chosen among volunteers)."""
    u = unit_costs(cfg)
    out = {}
    for k, (_, _, step) in LEVERS.items():
        hi = budget / u[k] if u[k] > 0 else 0.0
        if k == "connectors":
            hi = min(hi, 0.02 * cfg.population.size)
        out[k] = math.floor(hi / step + 1e-9) * step
    return out


def repair(cfg: Config, mix: dict[str, float], budget: float) -> dict[str, float]:
    """A mix over budget scaled down in proportion until it fits (each lever rounded down to its
    step). NSGA-II keeps breeding from the sampled values (Baldwinian repair); the mix evaluated and
    reported is the repaired one, so no simulation is spent on a mix the budget cannot buy."""
    cost = planned_cost(cfg, mix)
    if cost <= budget:
        return mix
    k = budget / cost
    return {key: math.floor(v * k / LEVERS[key][2] + 1e-9) * LEVERS[key][2] for key, v in mix.items()}


def with_mix(cfg: Config, mix: dict[str, float]) -> Config:
    data = cfg.model_dump()
    for k, (section, name, _) in LEVERS.items():
        data[section][name] = int(round(mix[k])) if name == "count" else float(mix[k])
    return Config.model_validate(data)


@dataclass
class Trial:
    number: int
    mix: dict[str, float]
    planned_cost: float
    lonely: tuple[float, float, float]  # mean, low, high: lonely person-years avoided a year
    gp: tuple[float, float, float]  # GP consultations avoided a year
    spend: float  # simulated service spend a year (mean)
    feasible: bool
    pareto: bool = False


@dataclass
class Optimisation:
    cfg: Config  # the place (levers as in the file; the reference has all four at zero)
    budget: float
    trials: list[Trial] = field(default_factory=list)
    replicates: int = 1
    generations: int = 0
    population_size: int = 0
    seed: int = 0

    def frame(self) -> pd.DataFrame:
        rows = []
        for t in self.trials:
            row = {"trial": t.number, **t.mix, "planned_cost_gbp": t.planned_cost, "simulated_spend_gbp": t.spend,
                   "lonely_py_avoided": t.lonely[0], "lonely_py_avoided_ci_low": t.lonely[1],
                   "lonely_py_avoided_ci_high": t.lonely[2], "gp_avoided": t.gp[0], "gp_avoided_ci_low": t.gp[1],
                   "gp_avoided_ci_high": t.gp[2], "within_budget": t.feasible, "pareto": t.pareto}
            rows.append(row)
        return pd.DataFrame(rows)

    def front(self) -> pd.DataFrame:
        f = self.frame()
        return f[f.pareto].sort_values("planned_cost_gbp").reset_index(drop=True)


def _replicate_totals(cfg: Config, replicate: int) -> tuple[float, float, float]:
    """(lonely person-years a year, GP consultations a year, service spend a year) of one replicate."""
    from .planner_outcomes import replicate_outcomes
    from .record import run_planner_replicate

    res = run_planner_replicate(cfg, replicate)
    ts = res.timeseries
    years = len(ts) / WEEKS_PER_YEAR
    v = replicate_outcomes(ts, cfg.population.size, cfg)
    return (float(ts.lonely_share.mean()) * cfg.population.size, float(ts.gp_consultations.sum()) / years, v["spend"])


def _run_batch(cfgs: list[Config], reps: int, workers: int) -> list[np.ndarray]:
    """Each config's replicates as an array [replicate, (lonely, gp, spend)], in order."""
    from .runner import map_ordered

    tasks = [(c, r) for c in cfgs for r in range(reps)]
    out = map_ordered(_replicate_totals, tasks, workers)
    return [np.array(out[i * reps:(i + 1) * reps]) for i in range(len(cfgs))]


def pareto_mask(points: np.ndarray) -> np.ndarray:
    """Rows not dominated by any other row, all columns maximised (ties are not domination)."""
    n = len(points)
    keep = np.ones(n, bool)
    for i in range(n):
        better_eq = (points >= points[i]).all(axis=1)
        strictly = (points > points[i]).any(axis=1)
        if (better_eq & strictly).any():
            keep[i] = False
    return keep


def optimise(cfg: Config, budget: float, trials: int = 24, population_size: int = 8, workers: int = 1,
             progress=None) -> Optimisation:
    """Search the four levers within ``budget`` (see the module docstring). ``trials`` is rounded up to
    whole generations of ``population_size``; the first generation always includes the four
    all-on-one-lever mixes and the place's own mix if it fits the budget."""
    import optuna

    if population_size < 2:
        raise UsageError("spsim optimise: --population must be at least 2")
    from ..model.scaling import scale_place

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # the levers are set for the simulated place as run: scale a place run at another size once, so
    # the model does not scale the mixes again (docs/places.md)
    cfg = scale_place(cfg)[0]
    reps = cfg.simulation.replicates
    seed = cfg.simulation.seed
    hi = upper_bounds(cfg, budget)
    if all(v <= 0 for v in hi.values()):
        raise UsageError(f"spsim optimise: a budget of {budget:,.0f} buys none of the levers")
    sampler = optuna.samplers.NSGAIISampler(population_size=population_size, seed=seed % (2**32))
    study = optuna.create_study(directions=["minimize", "maximize", "maximize"], sampler=sampler)
    zero = {k: 0.0 for k in LEVERS}
    starts = [{**zero, k: hi[k]} for k in LEVERS if hi[k] > 0]
    own = {k: round(float(getattr(getattr(cfg, LEVERS[k][0]), LEVERS[k][1])) / LEVERS[k][2]) * LEVERS[k][2]
           for k in LEVERS}  # the file's own mix, on the levers' steps
    if planned_cost(cfg, own) <= budget and own not in starts and any(own.values()):
        starts.append(own)
    for s in starts:
        study.enqueue_trial(s)
    ref = _run_batch([with_mix(cfg, zero)], reps, workers)[0]
    out = Optimisation(cfg, budget, replicates=reps, population_size=population_size, seed=seed)
    generations = max(1, math.ceil(trials / population_size))
    for _gen in range(generations):
        batch = []
        for _ in range(population_size):
            t = study.ask()
            mix = {}
            for k, (_, _, step) in LEVERS.items():
                if hi[k] <= 0:
                    mix[k] = 0.0
                elif k == "connectors":
                    mix[k] = float(t.suggest_int(k, 0, int(hi[k])))
                else:
                    mix[k] = float(t.suggest_float(k, 0.0, hi[k], step=step))
            mix = repair(cfg, mix, budget)
            cost = planned_cost(cfg, mix)
            t.set_user_attr("cost", cost)
            t.set_constraint("over_budget_gbp", cost - budget)  # feasible when <= 0
            batch.append((t, mix, cost))
        results = _run_batch([with_mix(cfg, m) for _, m, _ in batch], reps, workers)
        for (t, mix, cost), res in zip(batch, results, strict=True):
            lonely = t_interval(ref[:, 0] - res[:, 0])[:3]
            gp = t_interval(ref[:, 1] - res[:, 1])[:3]
            study.tell(t, [cost, lonely[0], gp[0]])
            out.trials.append(Trial(t.number, mix, cost, lonely, gp, float(res[:, 2].mean()), cost <= budget + 1e-6))
            if progress is not None:
                progress(1)
    out.generations = generations
    feas = [t for t in out.trials if t.feasible]
    if feas:
        pts = np.array([[-t.planned_cost, t.lonely[0], t.gp[0]] for t in feas])
        for t, keep in zip(feas, pareto_mask(pts), strict=True):
            t.pareto = bool(keep)
    return out
