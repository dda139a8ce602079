"""Scenario comparison for planners: ``spsim compare CONFIG... --out DIR``.

Every scenario runs on the same residents and the same luck (common random numbers): replicate
``r`` of every scenario uses ``SeedSequence(seed).spawn(R)[r]`` and every mechanism draws a fixed
amount per resident per week, so the only differences between scenarios are the levers. For that
to hold, the scenarios must share ``simulation.seed``, ``simulation.replicates``,
``simulation.weeks``, ``simulation.burn_in_weeks`` and ``population.size``. **Policy:** where a
scenario file disagrees with the baseline on one of these, the baseline's value is used, a line
is printed, and the report lists every adjustment ("How this comparison was run"). Changing the
place's size or the seed is not a lever; comparing runs that differ in them would not be paired.

For each outcome and scenario the comparison gives the mean over replicates with a 95% interval
``mean +/- t(0.975, R-1) * sd / sqrt(R)``, and the paired difference from the baseline: for each
replicate ``outcome(scenario, r) - outcome(baseline, r)``, with the same interval over those R
differences. Common random numbers make the paired interval much narrower than the two
scenarios' own intervals would suggest. Intervals of levels that cannot be negative (counts, rates,
costs) are cut at zero; differences and comparisons with the baseline are not.

The outcomes, their units and the cost definitions are in :mod:`spsim.studies.planner_outcomes`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, UsageError
from ..model.config import load_config, to_dict
from ..model.params import Config
from .intervals import probability_of_benefit  # noqa: F401  (re-exported)
from .planner_outcomes import (
    GRANTS_COST,
    OUTCOMES,
    RATIO_OF_MEANS,
    Outcome,
    add_vs_baseline,
    replicate_outcomes,
    service_cost_columns,
)
from .planning import equity_table, horizon_table
from .record import run_planner_replicate
from .stats import t_interval, t_quantile  # noqa: F401  (t_quantile: re-exported for report.py)
from .uncertainty import NOISE_ONLY, THRESHOLDS, share_better

#: keys every scenario must share for common random numbers; taken from the baseline
ALIGNED_KEYS: tuple[tuple[str, str], ...] = (
    ("simulation", "seed"),
    ("simulation", "replicates"),
    ("simulation", "weeks"),
    ("simulation", "burn_in_weeks"),
    ("population", "size"),
    ("simulation", "posterior"),  # every scenario draws replicate r's parameters from the same set
    ("simulation", "posterior_draws"),
)


@dataclass
class Scenario:
    name: str
    source: str
    cfg: Config
    adjusted: list[tuple[str, Any, Any]] = field(default_factory=list)  # (key, value in file, value used)


@dataclass
class Comparison:
    scenarios: list[Scenario]  # baseline first
    values: pd.DataFrame  # one row per scenario and replicate: scenario, replicate, every outcome key
    table: pd.DataFrame  # comparison.csv
    timeseries: pd.DataFrame  # every scenario and replicate, long format
    service_cost_columns: list[str]  # cost columns counted as service spend
    grants_recorded: bool  # whether the model records cost_grants_gbp
    overrides: list[str] = field(default_factory=list)  # --set (and --seed/--weeks/--replicates) for every scenario
    overlays: list[str] = field(default_factory=list)
    groups: pd.DataFrame | None = None  # per scenario, replicate, dimension and group: counter totals
    equity: pd.DataFrame | None = None  # equity.csv
    horizons: pd.DataFrame | None = None  # horizons.csv
    max_wait: float = 12.0  # the planner's wait threshold (weeks)
    max_wait_given: bool = False  # whether the planner set it (--max-wait) or it is the default
    fte_search: list = field(default_factory=list)  # planning.FteSearch per scenario with link workers
    posterior: dict | None = None  # posterior.posterior_record of the comparison (None: parameters as configured)
    parameters: pd.DataFrame | None = None  # per replicate: posterior_row and the set's values (parameters.csv)
    uncertainty: pd.DataFrame | None = None  # uncertainty.csv: parameter vs noise variance of each answer
    sensitivity: pd.DataFrame | None = None  # sensitivity.csv: rank correlations of parameters with answers

    @property
    def baseline(self) -> Scenario:
        return self.scenarios[0]

    @property
    def cfg(self) -> Config:
        return self.baseline.cfg


# ----------------------------------------------------------------------------- statistics
# t_quantile and t_interval live in spsim.studies.stats (the one interval method); imported above.


def comparison_table(values: pd.DataFrame, names: list[str], covers: str = NOISE_ONLY) -> pd.DataFrame:
    """comparison.csv: per scenario and outcome, mean and 95% interval over replicates, and the
    paired difference from the baseline (``names[0]``) with its interval. ``p_benefit`` is the
    t-based confidence that the *mean* paired difference is on the better side; ``share_better``
    the share of replicates whose own paired difference is (beyond ``better_threshold``), which
    ``covers`` says what it includes (noise only, or parameter uncertainty too)."""
    baseline = names[0]
    base = values[values.scenario == baseline].set_index("replicate").sort_index()
    rows = []
    for name in names:
        mine = values[values.scenario == name].set_index("replicate").sort_index()
        for o in OUTCOMES:
            if o.key not in mine and not (o.key in RATIO_OF_MEANS and set(RATIO_OF_MEANS[o.key]) <= set(mine)):
                continue
            if o.key in RATIO_OF_MEANS:
                num, den = (float(mine[k].mean()) for k in RATIO_OF_MEANS[o.key])
                value = num / den if den > 0 and name != baseline else math.nan
                rows.append({"scenario": name, "is_baseline": name == baseline, "section": o.section,
                             "outcome": o.key, "label": o.label, "unit": _csv_unit(o), "mean": value,
                             "ci_low": math.nan, "ci_high": math.nan, "sd": math.nan,
                             "replicates": int(mine[RATIO_OF_MEANS[o.key][1]].notna().sum()),
                             "diff_mean": math.nan, "diff_ci_low": math.nan, "diff_ci_high": math.nan,
                             "diff_replicates": 0, "p_benefit": math.nan, "share_better": math.nan,
                             "better_threshold": math.nan, "share_covers": ""})
                continue
            mean, lo, hi, sd, n = t_interval(mine[o.key])
            if o.nonnegative and math.isfinite(lo):
                lo = max(lo, 0.0)
            if o.nonnegative and o.kind == "share" and math.isfinite(hi):
                hi = min(hi, 1.0)  # a share of residents or places cannot exceed 100%
            row = {
                "scenario": name, "is_baseline": name == baseline, "section": o.section, "outcome": o.key,
                "label": o.label, "unit": _csv_unit(o), "mean": mean, "ci_low": lo, "ci_high": hi, "sd": sd,
                "replicates": n, "diff_mean": math.nan, "diff_ci_low": math.nan, "diff_ci_high": math.nan,
                "diff_replicates": 0, "p_benefit": math.nan, "share_better": math.nan,
                "better_threshold": math.nan, "share_covers": "",
            }
            if not o.vs_baseline:
                d = mine[o.key].to_numpy() - base.loc[mine.index, o.key].to_numpy()
                dm, dlo, dhi, _, dn = t_interval(d)
                row.update(diff_mean=dm, diff_ci_low=dlo, diff_ci_high=dhi, diff_replicates=dn)
                if name != baseline:
                    row["p_benefit"] = probability_of_benefit(d, o.better)
            elif name != baseline:
                row["p_benefit"] = probability_of_benefit(mine[o.key], o.better)
                d = mine[o.key].to_numpy()
            if name != baseline and o.better:
                threshold = THRESHOLDS.get(o.key, 0.0)
                p = share_better(d, o.better, threshold)
                row.update(share_better=p, better_threshold=threshold, share_covers=covers if math.isfinite(p) else "")
            rows.append(row)
    return pd.DataFrame(rows)


def _csv_unit(o: Outcome) -> str:
    if o.kind == "share":
        return "share of residents (0-1), mean over the period"
    return o.unit.replace("£", "GBP")


# ----------------------------------------------------------------------------- scenarios
def _get(cfg: Config, key: tuple[str, str]) -> Any:
    return getattr(getattr(cfg, key[0]), key[1])


def align(scenarios: list[Scenario]) -> list[Scenario]:
    """Give every scenario the baseline's seed, replicates, weeks, burn-in and population size,
    recording each change in ``Scenario.adjusted``."""
    base = scenarios[0].cfg
    out = [scenarios[0]]
    for sc in scenarios[1:]:
        data = sc.cfg.model_dump()
        adjusted = []
        for key in ALIGNED_KEYS:
            have, want = _get(sc.cfg, key), _get(base, key)
            if have != want:
                data[key[0]][key[1]] = want
                adjusted.append((".".join(key), have, want))
                if key == ("population", "size") and data["population"]["described"] is None:
                    data["population"]["described"] = have  # the same place at the baseline's size
        cfg = Config.model_validate(data) if adjusted else sc.cfg
        out.append(Scenario(sc.name, sc.source, cfg, adjusted))
    return out


def load_scenarios(
    configs: list[str], baseline: str | None, overrides: list[str], overlays: list[str], options: list[str] = ()
) -> list[Scenario]:
    """Load every scenario (baseline first), with the shared overrides and overlays applied (and
    ``options``: the command line's --seed/--weeks/--replicates, see load_config), named by
    ``simulation.name`` (or the file name where names clash), then aligned."""
    paths = ([baseline] if baseline else []) + list(configs)
    seen: dict[Path, str] = {}
    unique: list[str] = []
    for p in paths:
        key = Path(p).resolve()
        if key in seen:
            continue
        seen[key] = p
        unique.append(p)
    if len(unique) < 2:

        raise UsageError("spsim compare: give at least two different scenario files (the first, or --baseline, "
                         "is the baseline), e.g. spsim compare configs/baseline.toml configs/default.toml --out DIR")
    cfgs = [load_config(p, overrides, overlays=overlays, options=options) for p in unique]
    given = [c.simulation.name for c in cfgs]
    names = [Path(p).stem if given.count(n) > 1 else n for n, p in zip(given, unique, strict=True)]
    for i, n in enumerate(names):
        if names.index(n) != i:
            raise ConfigError(unique[i], "simulation.name",
                              f"scenario name '{n}' is also used by {unique[names.index(n)]}; give each file "
                              "its own simulation.name")
    from .posterior import check_comparison

    scenarios = align([Scenario(n, p, c) for n, p, c in zip(names, unique, cfgs, strict=True)])
    check_comparison([(sc.source, sc.cfg) for sc in scenarios], overrides)  # before anything runs
    return scenarios


def differing_parameters(base: Config, other: Config) -> list[tuple[str, Any, Any]]:
    """(key, baseline value, scenario value) for every parameter that differs (names excluded)."""

    def flat(d: Any, prefix: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {}
        if isinstance(d, dict):
            for k, v in d.items():
                out.update(flat(v, f"{prefix}{k}."))
        else:
            out[prefix[:-1]] = d
        return out

    a, b = flat(to_dict(base)), flat(to_dict(other))
    keys = [k for k in dict.fromkeys([*a, *b]) if k != "simulation.name"]
    return [(k, a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)]


# ----------------------------------------------------------------------------- running
def run_comparison(scenarios: list[Scenario], workers: int = 1, done=None) -> Comparison:
    """Run every replicate of every scenario (with the planner's per-resident record) and build
    the comparison, its equity breakdown and its horizons."""
    from .posterior import posterior_record, replicate_config, replicate_parameters
    from .runner import map_ordered
    from .uncertainty import covers, sensitivity_table, uncertainty_table

    reps = scenarios[0].cfg.simulation.replicates
    # replicate r of every scenario gets the same posterior set (applied here, not in the workers)
    tasks = [(replicate_config(sc.cfg, r), r) for sc in scenarios for r in range(reps)]
    results = map_ordered(run_planner_replicate, tasks, workers, done)
    owners = [sc for sc in scenarios for _ in range(reps)]
    frames, rows, groups = [], [], []
    for sc, (sc_cfg, r), res in zip(owners, tasks, results, strict=True):
        ts = res.timeseries.copy()
        ts.insert(0, "replicate", np.int64(r))
        ts.insert(0, "scenario", sc.name)
        frames.append(ts)
        rows.append({"scenario": sc.name, "replicate": r,
                     **replicate_outcomes(res.timeseries, sc_cfg.population.size, sc_cfg)})
        groups.append(res.groups.assign(scenario=sc.name, replicate=np.int64(r)))
    timeseries = pd.concat(frames, ignore_index=True)
    names = [s.name for s in scenarios]
    cfg = scenarios[0].cfg
    values = add_vs_baseline(pd.DataFrame(rows), names[0], cfg.population.size, cfg.costs)
    group_frame = pd.concat(groups, ignore_index=True)
    post, params = posterior_record(cfg), pd.DataFrame(replicate_parameters(cfg))
    set_rows = []
    if post is not None:
        params.insert(0, "replicate", np.arange(reps, dtype=np.int64))
        set_rows = list(params.posterior_row)
        values.insert(2, "posterior_row", values.replicate.map(dict(enumerate(set_rows))).astype("int64"))
    return Comparison(
        scenarios=scenarios,
        values=values,
        table=comparison_table(values, names, covers(post)),
        posterior=post,
        parameters=params if post is not None else None,
        uncertainty=uncertainty_table(values, names, set_rows),
        sensitivity=sensitivity_table(values, names, params) if post is not None else None,
        timeseries=timeseries,
        service_cost_columns=service_cost_columns(timeseries),
        grants_recorded=GRANTS_COST in timeseries.columns,
        groups=group_frame,
        equity=equity_table(group_frame, names, cfg.simulation.weeks,
                            {s.name: {"practice"} for s in scenarios[1:] if s.cfg.practices != cfg.practices}),
        horizons=horizon_table(timeseries, names, cfg.population.size),
    )
