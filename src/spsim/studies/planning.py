"""What planners ask of a comparison beyond the mean over the run: equity breakdowns, horizons
(years 1, 2 and 5) and the link-worker FTE needed to keep waits under a threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.params import Config
from ..model.population import WEEKS_PER_YEAR
from .intervals import t_interval
from .record import DIMENSIONS  # noqa: F401  (re-exported for the report)

#: outcome years shown as horizons (a year is shown only if the run records it)
HORIZON_YEARS = (1, 2, 5)


# ----------------------------------------------------------------------------- equity
EQUITY_MEASURES: tuple[tuple[str, str, str], ...] = (
    # key, label, unit
    ("referred_per_1000", "Referred", "referrals per 1,000 residents per year"),
    ("refused_share", "Refused", "share of their referrals"),
    ("started_per_1000", "Started with a link worker", "per 1,000 residents per year"),
    ("supported_per_1000", "Supported to discharge", "per 1,000 residents per year"),
    ("lonely_share", "Lonely", "share of person-weeks"),
    ("gp_per_1000", "Weeks with a GP consultation", "per 1,000 residents per year"),
    ("ae_per_1000", "Weeks with an A&E attendance", "per 1,000 residents per year"),
)


def equity_rates(groups: pd.DataFrame, weeks: int) -> pd.DataFrame:
    """Rates per group from the counter totals of one replicate (or many, row by row)."""
    years = weeks / WEEKS_PER_YEAR
    g = groups.copy()
    per_1000 = lambda col: 1000 * g[col] / g.residents / years  # noqa: E731
    g["referred_per_1000"] = per_1000("referrals")
    with np.errstate(divide="ignore", invalid="ignore"):
        g["refused_share"] = np.where(g.referrals > 0, g.refusals / g.referrals.where(g.referrals > 0, 1), np.nan)
    g["started_per_1000"] = per_1000("starts")
    g["supported_per_1000"] = per_1000("supported")
    g["lonely_share"] = g.lonely_weeks / (g.residents * weeks)
    g["gp_per_1000"] = per_1000("gp_weeks")
    g["ae_per_1000"] = per_1000("ae_weeks")
    g["lonely_py_avoided_per_1000"] = np.nan
    return g


def equity_table(groups: pd.DataFrame, names: list[str], weeks: int, unpaired: dict[str, set[str]] | None = None
                 ) -> pd.DataFrame:
    """equity.csv: per scenario, dimension, group and measure, the mean over replicates with its
    interval and the paired difference from the baseline (``names[0]``) with its interval. Residents
    are the same in every scenario (common random numbers build the same place), so a group is the
    same people in every scenario, except for dimensions listed in ``unpaired[name]`` (e.g. practice,
    when a scenario configures other practices): there the differences are left out (NaN)."""
    unpaired = unpaired or {}
    g = equity_rates(groups, weeks)
    keys = ["dimension", "group", "replicate"]
    base = g[g.scenario == names[0]].set_index(keys)
    measures = (*EQUITY_MEASURES, ("lonely_py_avoided_per_1000", "Lonely person-years avoided",
                                   "a year per 1,000 residents, vs baseline"))
    rows = []
    for name in names:
        mine = g[g.scenario == name].set_index(keys)
        for (dim, grp), part in mine.groupby(level=["dimension", "group"], sort=False):
            paired = dim not in unpaired.get(name, set()) and part.index.isin(base.index).all()
            bpart = base.loc[part.index] if paired else None
            if paired:  # lonely person-years avoided a year per 1,000 residents of the group, by replicate
                part = part.assign(lonely_py_avoided_per_1000=1000 * (
                    bpart.lonely_share.to_numpy() - part.lonely_share.to_numpy()))
            for key, label, unit in measures:
                mean, lo, hi, _, n = t_interval(part[key])
                dm = dlo = dhi = math.nan
                if paired and key != "lonely_py_avoided_per_1000":
                    dm, dlo, dhi, _, _ = t_interval(part[key].to_numpy() - bpart[key].to_numpy())
                rows.append({"scenario": name, "dimension": dim, "group": int(grp),
                             "residents": int(part.residents.iloc[0]), "measure": key, "label": label,
                             "unit": unit, "mean": mean, "ci_low": lo, "ci_high": hi, "replicates": n,
                             "diff_mean": dm, "diff_ci_low": dlo, "diff_ci_high": dhi})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- horizons
HORIZON_MEASURES: tuple[tuple[str, str, str], ...] = (
    ("lonely_share", "Share of residents lonely", "share, mean over the year"),
    ("gp_per_1000_year", "GP consultations", "per 1,000 residents in the year"),
    ("ae_per_1000_year", "A&E attendances", "per 1,000 residents in the year"),
    ("clients_supported", "Clients supported", "residents discharged in the year"),
    ("lw_wait_weeks", "Wait for a link worker", "weeks, mean of those taken on in the year"),
    ("lw_waiting_end", "Waiting list", "residents waiting at the end of the year"),
    ("groups_active_end", "Active community groups", "groups at the end of the year"),
)


def year_outcomes(ts: pd.DataFrame, population: int, year: int) -> dict[str, float] | None:
    """Outcomes of recorded year ``year`` (weeks 52(year-1)+1 .. 52 year) of one replicate, or None if
    the run is shorter."""
    w = int(WEEKS_PER_YEAR)
    if len(ts) < year * w:
        return None
    y = ts.iloc[(year - 1) * w: year * w]
    taken = float(y.lw_taken_on.sum())
    return {
        "lonely_share": float(y.lonely_share.mean()),
        "gp_per_1000_year": 1000 * float(y.gp_consultations.sum()) / population,
        "ae_per_1000_year": 1000 * float(y.ae_attendances.sum()) / population,
        "clients_supported": float(y.clients_supported.sum()),
        "lw_wait_weeks": float(np.nansum(y.lw_wait_weeks_mean * y.lw_taken_on)) / taken if taken else math.nan,
        "lw_waiting_end": float(y.lw_waiting.iloc[-1]),
        "groups_active_end": float(y.groups_active.iloc[-1]),
    }


def horizon_table(timeseries: pd.DataFrame, names: list[str], population: int) -> pd.DataFrame:
    """horizons.csv: each outcome in years 1, 2 and 5 (those the run records), mean over replicates
    with its interval and the paired difference from the baseline."""
    rows = []
    per = {}
    for (name, rep), ts in timeseries.groupby(["scenario", "replicate"], sort=False):
        for year in HORIZON_YEARS:
            v = year_outcomes(ts.sort_values("week"), population, year)
            if v is not None:
                per[(name, int(rep), year)] = v
    years = sorted({k[2] for k in per})
    reps = sorted({k[1] for k in per})
    for name in names:
        for year in years:
            for key, label, unit in HORIZON_MEASURES:
                x = np.array([per[(name, r, year)][key] for r in reps])
                b = np.array([per[(names[0], r, year)][key] for r in reps])
                mean, lo, hi, _, n = t_interval(x)
                dm, dlo, dhi, _, _ = t_interval(x - b)
                rows.append({"scenario": name, "year": year, "outcome": key, "label": label, "unit": unit,
                             "mean": mean, "ci_low": lo, "ci_high": hi, "replicates": n,
                             "diff_mean": dm, "diff_ci_low": dlo, "diff_ci_high": dhi})
    return pd.DataFrame(rows, columns=["scenario", "year", "outcome", "label", "unit", "mean", "ci_low", "ci_high",
                                       "replicates", "diff_mean", "diff_ci_low", "diff_ci_high"])


# ----------------------------------------------------------------------------- FTE search
@dataclass
class FteSearch:
    scenario: str
    max_wait: float
    fte_now: float
    fte_needed: float  # smallest main-team FTE found whose mean wait is within the threshold (nan: none found)
    wait_mean: float  # at fte_needed
    wait_low: float
    wait_high: float
    evaluations: list[tuple[float, float]]  # (fte, mean wait) in the order tried
    note: str = ""


def _mean_wait(cfg: Config, fte: float, workers: int) -> tuple[float, float, float]:
    """Mean over replicates of the mean wait of those taken on, at this main-team FTE (same seeds).
    A replicate where residents waited and nobody was taken on counts as an infinite wait."""
    from .runner import map_ordered, run_replicate

    data = cfg.model_dump()
    data["link_workers"]["fte"] = fte
    c = Config.model_validate(data)
    res = map_ordered(run_replicate, [(c, r) for r in range(c.simulation.replicates)], workers)
    waits = []
    for rr in res:
        ts = rr.timeseries
        taken = float(ts.lw_taken_on.sum())
        if taken:
            waits.append(float(np.nansum(ts.lw_wait_weeks_mean * ts.lw_taken_on)) / taken)
        else:
            waits.append(math.inf if ts.lw_waiting.max() > 0 else 0.0)
    if any(math.isinf(w) for w in waits):
        return math.inf, math.nan, math.nan
    mean, lo, hi, _, _ = t_interval(waits)
    return mean, max(lo, 0.0) if math.isfinite(lo) else lo, hi


def fte_needed(name: str, cfg: Config, max_wait: float, workers: int = 1, resolution: float = 0.1,
               max_fte: float = 100.0) -> FteSearch:
    """The smallest main-team link-worker FTE whose mean wait (over the replicates, the same seeds at
    every FTE: common random numbers) is at most ``max_wait`` weeks, by doubling then bisection to
    ``resolution`` FTE. Extra teams keep their FTE. Assumes the wait falls as FTE rises (true of a
    queue; on common random numbers the noise between neighbouring FTEs is small)."""
    from ..model.scaling import scale_place

    cfg = scale_place(cfg)[0]  # FTE in the simulated place's own terms (a place run at another size)
    now = float(cfg.link_workers.fte)
    tried: list[tuple[float, float]] = []
    cache: dict[float, tuple[float, float, float]] = {}

    def wait(fte: float) -> tuple[float, float, float]:
        fte = round(fte, 6)
        if fte not in cache:
            cache[fte] = _mean_wait(cfg, fte, workers)
            tried.append((fte, cache[fte][0]))
        return cache[fte]

    hi = max(now, resolution)
    while wait(hi)[0] > max_wait:
        if hi >= max_fte:
            return FteSearch(name, max_wait, now, math.nan, math.nan, math.nan, math.nan, tried,
                             f"waits stay above {max_wait:g} weeks up to {max_fte:g} FTE")
        hi = min(2 * hi, max_fte)
    lo = 0.0
    while hi - lo > resolution + 1e-9:
        mid = round((lo + hi) / 2 / resolution) * resolution
        if mid <= lo or mid >= hi:
            break
        if wait(mid)[0] <= max_wait:
            hi = mid
        else:
            lo = mid
    m, wl, wh = wait(hi)
    return FteSearch(name, max_wait, now, hi, m, wl, wh, tried)
