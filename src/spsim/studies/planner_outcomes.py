"""What a planner's comparison measures: the outcomes of ``spsim compare`` (their labels, units
and which way is better), each replicate's level outcomes from its weekly rows, and the paired
comparisons with the baseline (:mod:`spsim.studies.compare` runs the scenarios and builds the table).

Costs (per year, GBP): service spend is every ``cost_*_gbp`` timeseries column other than GP and
A&E (link workers' and community developers' pay with on-costs, small grants paid to groups, and any
other service cost column, such as programmes' running costs) plus the community connectors' cost
(active connectors x ``costs.connector_gbp_per_year``, when the planner's record has the
``connectors`` column). Compared with the baseline:
``extra spend = spend - baseline spend``, ``savings = baseline (GP + A&E) - scenario (GP + A&E)``,
``net cost = extra spend - savings``, ``return per pound = savings / extra spend`` (undefined if
the scenario spends no more than the baseline). With a baseline without social prescribing the
extra spend is the scenario's whole spend. ``cost per client supported`` is the scenario's own
spend divided by the clients it supported to discharge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.params import Config

WEEKS_PER_YEAR = 52.0
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


def service_cost_columns(ts: pd.DataFrame) -> list[str]:
    """Cost columns that are service spend: every cost_*_gbp column except GP and A&E activity."""
    return [c for c in ts.columns if c.startswith("cost_") and c.endswith("_gbp") and c not in ACTIVITY_COSTS]


def other_service_cost_columns(service: list[str]) -> list[str]:
    """The service cost columns shown together as "other service costs": all but link workers,
    community developers and grants, which have rows of their own (programmes' running cost today)."""
    return [c for c in service if c not in (LINK_WORKER_COST, GRANTS_COST, DEVELOPMENT_COST)]


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
    other = sum(per_year(c) for c in other_service_cost_columns(service))
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
