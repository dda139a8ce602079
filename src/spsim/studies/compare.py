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

Costs (per year, GBP): service spend is every ``cost_*_gbp`` timeseries column other than GP and
A&E (link-worker pay with on-costs, grants to groups if the model records them in
``cost_grants_gbp``, and any other service cost columns). Compared with the baseline:
``extra spend = spend - baseline spend``, ``savings = baseline (GP + A&E) - scenario (GP + A&E)``,
``net cost = extra spend - savings``, ``return per pound = savings / extra spend`` (undefined if
the scenario spends no more than the baseline). With a baseline without social prescribing the
extra spend is the scenario's whole spend. ``cost per client supported`` is the scenario's own
spend divided by the clients it supported to discharge.
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
from .planning import equity_table, horizon_table
from .record import run_planner_replicate
from .stats import t_interval, t_quantile  # noqa: F401  (t_quantile: re-exported for report.py)
from .uncertainty import NOISE_ONLY, THRESHOLDS, share_better

WEEKS_PER_YEAR = 52.0
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
#: timeseries cost columns that are activity costs, not service spend
ACTIVITY_COSTS = ("cost_gp_gbp", "cost_ae_gbp")
#: service cost lines always shown (0 with a note if the model does not record them)
LINK_WORKER_COST = "cost_link_workers_gbp"
GRANTS_COST = "cost_grants_gbp"
DEVELOPMENT_COST = "cost_development_gbp"


@dataclass(frozen=True)
class Outcome:
    key: str
    label: str
    unit: str  # written in table headers and the CSV
    kind: str  # share | number | weeks | gbp | ratio (how to format it)
    section: str  # outcomes | costs
    vs_baseline: bool = False  # the value itself is a comparison with the baseline
    better: int = 0  # -1 lower is better, +1 higher is better, 0 no direction
    note: str = ""

    @property
    def nonnegative(self) -> bool:
        """Levels that cannot be negative: their interval is cut at zero (differences are not)."""
        return not self.vs_baseline


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("lonely_share", "Share of residents lonely", "% of residents, mean over the period", "share",
            "outcomes", better=-1, note="often or always lonely"),
    Outcome("gp_per_1000_year", "GP consultations", "per 1,000 residents per year", "number", "outcomes", better=-1),
    Outcome("ae_per_1000_year", "A&E attendances", "per 1,000 residents per year", "number", "outcomes", better=-1),
    Outcome("lw_wait_weeks", "Wait for a link worker", "weeks, mean of those taken on", "weeks", "outcomes",
            better=-1, note="blank where nobody was taken on"),
    Outcome("lw_waiting_mean", "People waiting for a link worker", "residents, mean over the period", "number",
            "outcomes", better=-1),
    Outcome("clients_supported_per_year", "Clients supported", "residents discharged per year", "number",
            "outcomes", better=+1, note="completed their contacts with a link worker"),
    Outcome("volunteers_end", "Group volunteers", "residents, at the end", "number", "outcomes", better=+1),
    Outcome("groups_active_end", "Active community groups", "groups, at the end", "number", "outcomes", better=+1),
    Outcome("mean_wellbeing", "Mean wellbeing", "life satisfaction 0-10 (ONS scale), mean over the period",
            "number", "outcomes", better=+1),
    # what the scenario achieves compared with the baseline, per year, paired by replicate
    Outcome("lonely_py_avoided", "Lonely person-years avoided", "person-years per year (loneliness-free years)",
            "number", "outcomes", vs_baseline=True, better=+1,
            note="baseline minus scenario share lonely, times residents"),
    Outcome("gp_avoided", "GP consultations avoided", "consultations per year in the place", "number", "outcomes",
            vs_baseline=True, better=+1),
    Outcome("ae_avoided", "A&E attendances avoided", "attendances per year in the place", "number", "outcomes",
            vs_baseline=True, better=+1),
    Outcome("wellbys", "Wellbeing gained", "WELLBYs per year (one life-satisfaction point for one person-year)",
            "number", "outcomes", vs_baseline=True, better=+1),
    # capacity
    Outcome("caseload_utilisation", "Caseload places used", "% of link-worker caseload places, mean over the period",
            "share", "capacity", note="blank without link workers"),
    Outcome("group_place_utilisation", "Group places used", "% of places in open groups, mean over the period",
            "share", "capacity"),
    Outcome("gave_up_per_year", "Gave up waiting", "residents per year who left the waiting list unseen", "number",
            "capacity", better=-1),
    Outcome("lost_to_waits_share", "Referrals lost to waits", "% of accepted referrals that gave up waiting",
            "share", "capacity", better=-1, note="blank without accepted referrals"),
    Outcome("lw_waiting_end", "Waiting list at the end", "residents waiting in the last week", "number", "capacity",
            better=-1),
    # costs, GBP per year
    Outcome("cost_link_workers", "Link-worker pay with on-costs", "£ per year", "gbp", "costs"),
    Outcome("cost_development", "Community-developer pay with on-costs", "£ per year", "gbp", "costs"),
    Outcome("cost_connectors", "Community connectors", "£ per year", "gbp", "costs",
            note="active connectors times costs.connector_gbp_per_year"),
    Outcome("cost_grants", "Grants to community groups", "£ per year", "gbp", "costs"),
    Outcome("cost_other_service", "Other service costs", "£ per year", "gbp", "costs"),
    Outcome("spend", "Service spend", "£ per year", "gbp", "costs"),
    Outcome("cost_gp", "Cost of GP consultations", "£ per year", "gbp", "costs", better=-1),
    Outcome("cost_ae", "Cost of A&E attendances", "£ per year", "gbp", "costs", better=-1),
    Outcome("cost_per_client", "Cost per client supported", "£ of service spend per client", "gbp", "costs",
            better=-1, note="blank where no client was supported"),
    Outcome("extra_spend", "Extra service spend vs baseline", "£ per year", "gbp", "costs", vs_baseline=True),
    Outcome("savings", "GP and A&E cost avoided vs baseline", "£ per year", "gbp", "costs", vs_baseline=True,
            better=+1),
    Outcome("net_cost", "Net cost vs baseline", "£ per year", "gbp", "costs", vs_baseline=True, better=-1,
            note="extra spend minus GP and A&E cost avoided"),
    Outcome("return_per_pound", "Return per pound", "£ of GP and A&E cost avoided per £1 of extra spend", "ratio",
            "costs", vs_baseline=True, better=+1, note="blank where there is no extra spend"),
    # value for money
    Outcome("cost_per_lonely_py", "Cost per lonely person-year avoided", "£ of extra spend per person-year",
            "gbp", "value", vs_baseline=True, better=-1,
            note="ratio of the means; blank where none is avoided; no interval"),
    Outcome("cost_per_gp_avoided", "Cost per GP consultation avoided", "£ of extra spend per consultation",
            "gbp", "value", vs_baseline=True, better=-1,
            note="ratio of the means; blank where none is avoided; no interval"),
    Outcome("loneliness_value", "Value of loneliness avoided", "£ per year at the DCMS value of chronic loneliness",
            "gbp", "value", vs_baseline=True, better=+1),
    Outcome("net_social_value", "Net social value", "£ per year: loneliness value + NHS cost avoided - extra spend",
            "gbp", "value", vs_baseline=True, better=+1),
)
#: outcomes computed as a ratio of the means over replicates (key -> (numerator, denominator))
RATIO_OF_MEANS = {"cost_per_lonely_py": ("extra_spend", "lonely_py_avoided"),
                  "cost_per_gp_avoided": ("extra_spend", "gp_avoided")}
OUTCOME_BY_KEY = {o.key: o for o in OUTCOMES}


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


# ----------------------------------------------------------------------------- outcomes
def service_cost_columns(ts: pd.DataFrame) -> list[str]:
    """Cost columns that are service spend: every cost_*_gbp column except GP and A&E activity."""
    return [c for c in ts.columns if c.startswith("cost_") and c.endswith("_gbp") and c not in ACTIVITY_COSTS]


def replicate_outcomes(ts: pd.DataFrame, population: int, cfg: Config | None = None) -> dict[str, float]:
    """Level outcomes of one replicate (one scenario) from its weekly rows. The connector cost needs
    the ``connectors`` column (the planner's record) and ``cfg`` (its unit cost); without them it is 0."""
    weeks = len(ts)
    years = weeks / WEEKS_PER_YEAR
    per_year = lambda col: float(ts[col].sum()) / years  # noqa: E731
    taken_on = float(ts["lw_taken_on"].sum())
    wait = float(np.nansum(ts["lw_wait_weeks_mean"] * ts["lw_taken_on"])) / taken_on if taken_on else math.nan
    service = service_cost_columns(ts)
    lw = per_year(LINK_WORKER_COST) if LINK_WORKER_COST in ts else 0.0
    grants = per_year(GRANTS_COST) if GRANTS_COST in ts else 0.0
    dev = per_year(DEVELOPMENT_COST) if DEVELOPMENT_COST in ts else 0.0
    connectors = 0.0
    if cfg is not None and "connectors" in ts:
        connectors = float(ts["connectors"].mean()) * cfg.costs.connector_gbp_per_year
    other = sum(per_year(c) for c in service if c not in (LINK_WORKER_COST, GRANTS_COST, DEVELOPMENT_COST))
    spend = lw + dev + connectors + grants + other
    clients = per_year("clients_supported")
    places = float(ts["caseload_places"].iloc[0]) if "caseload_places" in ts else 0.0
    accepted = float(ts["referrals"].sum() - ts["referrals_refused"].sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        group_use = np.where(ts["group_places"] > 0, ts["group_members"] / ts["group_places"].where(
            ts["group_places"] > 0, 1), np.nan)
    return {
        "lonely_share": float(ts["lonely_share"].mean()),
        "gp_per_1000_year": 1000 * per_year("gp_consultations") / population,
        "ae_per_1000_year": 1000 * per_year("ae_attendances") / population,
        "lw_wait_weeks": wait,
        "lw_waiting_mean": float(ts["lw_waiting"].mean()),
        "clients_supported_per_year": clients,
        "volunteers_end": float(ts["volunteers"].iloc[-1]),
        "groups_active_end": float(ts["groups_active"].iloc[-1]),
        "mean_wellbeing": float(ts["mean_wellbeing"].mean()),
        "caseload_utilisation": float(ts["lw_active_clients"].mean()) / places if places > 0 else math.nan,
        "group_place_utilisation": float(np.nanmean(group_use)) if np.isfinite(group_use).any() else math.nan,
        "gave_up_per_year": per_year("lw_reneged"),
        "lost_to_waits_share": float(ts["lw_reneged"].sum()) / accepted if accepted > 0 else math.nan,
        "lw_waiting_end": float(ts["lw_waiting"].iloc[-1]),
        "cost_link_workers": lw,
        "cost_development": dev,
        "cost_connectors": connectors,
        "cost_grants": grants,
        "cost_other_service": other,
        "spend": spend,
        "cost_gp": per_year("cost_gp_gbp"),
        "cost_ae": per_year("cost_ae_gbp"),
        "cost_per_client": spend / clients if clients > 0 else math.nan,
        "_gp_per_year": per_year("gp_consultations"),
        "_ae_per_year": per_year("ae_attendances"),
    }


def add_vs_baseline(values: pd.DataFrame, baseline: str, population: int | None = None,
                    costs=None) -> pd.DataFrame:
    """Add the paired (same replicate) comparisons with the baseline: extra spend, savings, net
    cost, return per pound and, given the population and the unit values (``cfg.costs``), lonely
    person-years, GP consultations and A&E attendances avoided a year, WELLBYs and their values."""
    base = values[values.scenario == baseline].set_index("replicate")
    out = values.copy()
    b = base.loc[out.replicate.to_numpy()]
    extra = out.spend.to_numpy() - b.spend.to_numpy()
    savings = (b.cost_gp.to_numpy() + b.cost_ae.to_numpy()) - (out.cost_gp.to_numpy() + out.cost_ae.to_numpy())
    out["extra_spend"] = extra
    out["savings"] = savings
    out["net_cost"] = extra - savings
    with np.errstate(divide="ignore", invalid="ignore"):
        out["return_per_pound"] = np.where(extra > 0, savings / np.where(extra > 0, extra, 1.0), np.nan)
    if population is not None:
        lonely = (b.lonely_share.to_numpy() - out.lonely_share.to_numpy()) * population
        out["lonely_py_avoided"] = lonely
        if "_gp_per_year" in out:
            out["gp_avoided"] = b["_gp_per_year"].to_numpy() - out["_gp_per_year"].to_numpy()
            out["ae_avoided"] = b["_ae_per_year"].to_numpy() - out["_ae_per_year"].to_numpy()
        else:
            out["gp_avoided"] = (b.gp_per_1000_year.to_numpy() - out.gp_per_1000_year.to_numpy()) * population / 1000
            out["ae_avoided"] = (b.ae_per_1000_year.to_numpy() - out.ae_per_1000_year.to_numpy()) * population / 1000
        if "mean_wellbeing" in out:
            out["wellbys"] = (out.mean_wellbeing.to_numpy() - b.mean_wellbeing.to_numpy()) * population
        if costs is not None:
            out["loneliness_value"] = lonely * costs.loneliness_value_gbp_per_person_year
            out["net_social_value"] = out["loneliness_value"] + savings - extra
    return out.drop(columns=[c for c in out.columns if c.startswith("_")])


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
