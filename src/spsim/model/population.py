"""Build the residents, practices, link workers and groups of a place (week 0)."""

from __future__ import annotations

import math

import numpy as np

from .params import Config
from .tables import (
    GROUP_KIND_SHARES,
    NEEDS,
    GroupTable,
    LinkWorkerTable,
    PracticeTable,
    ResidentTable,
)

WEEKS_PER_YEAR = 52.0


def weekly_prob(rate_per_year: float | np.ndarray) -> float | np.ndarray:
    """Chance of at least one event in a week for a yearly rate (constant hazard)."""
    return -np.expm1(-np.asarray(rate_per_year) / WEEKS_PER_YEAR)


def build_residents(
    cfg: Config, rng: np.random.Generator, household: np.ndarray, hh_size: np.ndarray
) -> ResidentTable:
    pop, health = cfg.population, cfg.health
    n = pop.size
    r = ResidentTable(n)
    r.household = household
    r.lives_alone = hh_size == 1
    r.neighbourhood = np.arange(n) // pop.neighbourhood_size
    n_hoods = int(r.neighbourhood.max()) + 1
    # deprivation quintile per neighbourhood, balanced
    quint = (np.arange(n_hoods) * 5 // max(n_hoods, 1)) + 1
    r.deprivation = rng.permutation(quint).astype(np.int8)[r.neighbourhood]
    u = rng.random(n)
    r.age_band = np.where(u < pop.age_under_25_share, 0, np.where(u > 1 - pop.age_65_plus_share, 2, 1))
    r.ltc = rng.random(n) < pop.long_term_condition_share * np.where(r.age_band == 2, 1.8, 0.8)
    # persistent consultation propensity: lognormal with mean 1, times the LTC multiplier
    s = health.propensity_sigma
    prop = rng.lognormal(-0.5 * s * s, s, size=n)
    ltc_mult = np.where(r.ltc, health.ltc_multiplier, 1.0)
    ltc_mult = ltc_mult / ltc_mult.mean()  # keep the population mean at gp_medical_per_year
    r.gp_base = prop * ltc_mult * health.gp_medical_per_year / WEEKS_PER_YEAR
    sq = np.sqrt(prop)  # A&E propensity follows GP propensity, less steeply
    r.ae_base = sq / sq.mean() * ltc_mult * health.ae_per_year / WEEKS_PER_YEAR
    # need onset: rises with deprivation, normalised to mean 1
    g = cfg.needs.deprivation_gradient
    mult = 1.0 + g * (r.deprivation.astype(np.float64) - 1.0) / 2.0
    r.need_onset_mult = mult / mult.mean()
    r.queue_key = rng.random(n)
    r.confidence = rng.beta(4, 4, size=n)
    # initial needs near their steady state; loneliness is redrawn from the network by
    # Loneliness.init once ties are known
    p_need = cfg.needs.onset_per_year * cfg.needs.mean_duration_weeks / WEEKS_PER_YEAR
    bits = np.zeros(n, np.uint8)
    for k in range(len(NEEDS)):
        has = rng.random(n) < np.minimum(p_need * r.need_onset_mult, 0.9)
        bits |= (has.astype(np.uint8) << k)
    r.needs = bits
    r.lonely = rng.random(n) < cfg.loneliness.initial_share
    p_ep = health.episode_per_year * health.episode_mean_weeks / WEEKS_PER_YEAR
    r.in_episode = rng.random(n) < min(p_ep, 0.9)
    r.volunteer = rng.random(n) < cfg.volunteering.monthly_share
    r.wellbeing = cfg.wellbeing.baseline
    return r


#: share of residents who are male (ONS mid-year population estimates, England 2022: about 49%)
MALE_SHARE = 0.49


def assign_sex(residents: ResidentTable, rng: np.random.Generator) -> None:
    """A minimal sex attribute (0 female, 1 male), drawn from its own stream ("sex") so that adding
    it left every other draw, and so the existing luck, unchanged."""
    residents.sex = rng.random(residents.n) < MALE_SHARE


def build_practices(cfg: Config, residents: ResidentTable) -> PracticeTable:
    k = min(cfg.practices.count, int(residents.neighbourhood.max()) + 1)
    p = PracticeTable(k)
    n_hoods = int(residents.neighbourhood.max()) + 1
    hood_to_practice = (np.arange(n_hoods) * k) // n_hoods
    residents.practice = hood_to_practice[residents.neighbourhood]
    p.list_size = np.bincount(residents.practice, minlength=k)
    p.capacity = np.round(p.list_size * cfg.practices.appointments_per_1000_per_week / 1000.0)
    p.recognition = cfg.practices.recognition
    p.referral = cfg.practices.referral
    return p


def link_worker_split(fte: float) -> list[float]:
    """Split total FTE into workers of at most 1 FTE each (equal shares)."""
    if fte <= 0:
        return []
    k = max(1, math.ceil(fte - 1e-9))  # tiny FTE is still one (part-time) worker
    return [fte / k] * k


def team_specs(cfg: Config) -> list[tuple[float, int, int]]:
    """(fte, caseload_per_fte, contacts_per_client) for team 0 (main) and each extra team."""
    lw = cfg.link_workers
    return [(lw.fte, lw.caseload_per_fte, lw.contacts_per_client)] + [
        (t.fte, t.caseload_per_fte, t.contacts_per_client) for t in cfg.teams
    ]


def build_link_workers(cfg: Config) -> LinkWorkerTable:
    """Workers of at most 1 FTE for each team; a team's caseload cap is round(fte x caseload_per_fte)
    spread as evenly as possible over its workers."""
    teams, ftes, caps = [], [], []
    for k, (fte, per_fte, _) in enumerate(team_specs(cfg)):
        split = link_worker_split(fte)
        if not split:
            continue
        total = int(round(fte * per_fte))
        base = np.full(len(split), total // len(split))
        base[: total - base.sum()] += 1
        teams += [k] * len(split)
        ftes += split
        caps += base.tolist()
    t = LinkWorkerTable(len(ftes), capacity=max(len(ftes), 1))
    if ftes:
        t.team = teams
        t.fte = ftes
        t.caseload_cap = caps
    return t


def new_group_rows(
    groups: GroupTable, k: int, cfg: Config, rng: np.random.Generator, n_hoods: int, week: int
) -> slice:
    """Append ``k`` open groups with random kind, place, income and reserves."""
    gp = cfg.groups
    rows = groups.append(k)
    if k == 0:
        return rows
    groups.kind[rows] = rng.choice(len(GROUP_KIND_SHARES), size=k, p=GROUP_KIND_SHARES)
    groups.neighbourhood[rows] = rng.integers(0, n_hoods, size=k)
    groups.open[rows] = True
    groups.cost[rows] = gp.weekly_cost_gbp
    groups.income[rows] = gp.weekly_cost_gbp * gp.income_share_mean * rng.gamma(8.0, 1 / 8.0, size=k)
    if gp.initial_funds_weeks > 0:
        groups.funds[rows] = gp.weekly_cost_gbp * rng.exponential(gp.initial_funds_weeks, size=k)
    groups.started_week[rows] = week
    groups.online[rows] = rng.random(k) < cfg.shock.online_share
    return rows


def add_programmes(cfg: Config, groups: GroupTable, n_hoods: int) -> None:
    """Fixed-length programmes: staffed and funded by the scheme, so they never close."""
    pr = cfg.programmes
    if pr.count == 0:
        return
    from .tables import GROUP_KINDS

    rows = groups.append(pr.count)
    groups.kind[rows] = GROUP_KINDS.index(pr.kind)
    groups.open[rows] = True
    groups.neighbourhood[rows] = (np.arange(pr.count) * n_hoods) // pr.count
    groups.fixed_weeks[rows] = pr.weeks
    groups.places[rows] = pr.places
    groups.online[rows] = False


def seed_group_memberships(
    cfg: Config, residents: ResidentTable, groups: GroupTable, rng: np.random.Generator
) -> None:
    """Give the starting groups volunteers and members drawn at random from the residents."""
    gp = cfg.groups
    g = groups.n
    if g == 0:
        return
    n = residents.n
    vols = np.maximum(rng.poisson(gp.initial_volunteers, size=g), gp.volunteers_needed)
    places = np.minimum(gp.max_places, vols * gp.places_per_volunteer)
    fill = np.floor(places * rng.uniform(0.4, 0.8, size=g)).astype(np.int64)
    need = int(vols.sum() + fill.sum())
    chosen = rng.choice(n, size=min(need, n), replace=False)
    nv = int(vols.sum())
    vol_ids = chosen[:nv]
    mem_ids = chosen[nv:]
    residents.volunteer_group[vol_ids] = np.repeat(np.arange(g), vols)[: vol_ids.size]
    residents.volunteer[vol_ids] = True
    residents.group[mem_ids] = np.repeat(np.arange(g), fill)[: mem_ids.size]
    residents.group_since[mem_ids] = 0
