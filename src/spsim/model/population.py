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

# Finer age groups inside the three age bands the mechanisms use (``age_band``: 0 under 25,
# 1 25-64, 2 65+). Shares within each band: ONS Census 2021, England and Wales, usual residents
# by five-year age band (TS007A), rounded: under 15 is 17.4% of residents and under 25 about 29%;
# 65-74 about 10.2%, 75-84 about 6.2%, 85+ about 2.4% (90+ 527,900 of 59.6 M) of 18.6% aged 65+.
AGE_GROUPS = ("0-14", "15-24", "25-34", "35-49", "50-64", "65-74", "75-84", "85+")
AGE_GROUP_BAND = np.array([0, 0, 1, 1, 1, 2, 2, 2], dtype=np.int8)
AGE_GROUP_WITHIN_BAND = np.array([0.60, 0.40, 0.255, 0.37, 0.375, 0.545, 0.33, 0.125])
# Female share by age group: ONS Census 2021 England and Wales (51.0% female overall; women are
# the majority from middle age and about 63% of those aged 85+), rounded; scaled so the mean is
# population.female_share.
FEMALE_BY_AGE_GROUP = np.array([0.488, 0.490, 0.505, 0.508, 0.508, 0.520, 0.550, 0.630])
# Disability (Equality Act definition): Census 2021 England 17.7% (age-standardised; females
# 18.7%, males 16.5%), rising steeply with age and higher in deprived areas (aged 40-44: 21.6% in
# the most deprived decile vs 8.1% in the least, ONS "Disability by age, sex and deprivation",
# 2023). Relative risks below are an assumption shaped to those patterns; the mean is set to
# population.disability_share.
DISABILITY_RR_AGE = np.array([0.35, 0.7, 0.7, 0.8, 1.2, 1.5, 2.2, 3.3])
DISABILITY_RR_FEMALE = 18.7 / 17.6
DISABILITY_RR_MALE = 16.5 / 17.6
DISABILITY_RR_DEPRIVATION = np.array([0.0, 0.65, 0.8, 1.0, 1.2, 1.5])  # by quintile 1..5 (index 0 unused)
DISABILITY_RR_LTC = (2.5, 0.5)  # with, without a long-term condition (assumption: disability is a limiting condition)


def practice_quintile(decile: int) -> int:
    """IMD decile (1 most deprived) -> the model's deprivation quintile (1 least .. 5 most deprived)."""
    return 5 - (int(decile) - 1) // 2


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Whole numbers summing to ``total`` in proportion to ``weights`` (largest remainders; ties by order)."""
    w = np.asarray(weights, dtype=np.float64)
    exact = total * w / w.sum()
    base = np.floor(exact).astype(np.int64)
    short = total - int(base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:short]] += 1
    return base


def assign_practices(cfg: Config, neighbourhood: np.ndarray) -> np.ndarray:
    """Each resident's practice. Without a practice list: the neighbourhoods are shared out among
    ``practices.count`` practices in turn (contiguous runs). With ``[[practice_list]]``: residents are
    shared in proportion to list size, as contiguous runs (neighbouring residents share a practice)."""
    n = neighbourhood.shape[0]
    if cfg.practice_list:
        counts = apportion(n, np.array([p.list_size for p in cfg.practice_list]))
        return np.repeat(np.arange(len(counts), dtype=np.int32), counts)
    n_hoods = int(neighbourhood.max()) + 1
    k = min(cfg.practices.count, n_hoods)
    hood_to_practice = (np.arange(n_hoods) * k) // n_hoods
    return hood_to_practice[neighbourhood]


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
    r.practice = assign_practices(cfg, r.neighbourhood)
    n_hoods = int(r.neighbourhood.max()) + 1
    # deprivation quintile per neighbourhood, balanced (drawn whatever the place, so a practice
    # list leaves everyone else's draws as they were); a practice list gives each practice's
    # residents the quintile of its deprivation decile
    quint = (np.arange(n_hoods) * 5 // max(n_hoods, 1)) + 1
    r.deprivation = rng.permutation(quint).astype(np.int8)[r.neighbourhood]
    under, over = pop.age_under_25_share, pop.age_65_plus_share
    if cfg.practice_list:
        rows = cfg.practice_list
        r.deprivation = np.array([practice_quintile(p.deprivation_decile) for p in rows], np.int8)[r.practice]
        under = np.array([p.under_25_share for p in rows])[r.practice]
        over = np.array([p.over_65_share for p in rows])[r.practice]
    u = rng.random(n)
    r.age_band = np.where(u < under, 0, np.where(u > 1 - over, 2, 1))
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
    # (who is lonely is drawn by Loneliness.init, at the steady state of its rules, once ties are known)
    p_ep = health.episode_per_year * health.episode_mean_weeks / WEEKS_PER_YEAR
    r.in_episode = rng.random(n) < min(p_ep, 0.9)
    r.volunteer = rng.random(n) < cfg.volunteering.monthly_share
    r.wellbeing = cfg.wellbeing.baseline
    return r


def add_attributes(cfg: Config, r: ResidentTable, rng: np.random.Generator) -> None:
    """Who lives there, beyond what the mechanisms have always used: finer age group (inside the
    resident's age band), sex, disability and urban/rural setting. Drawn from their own stream
    ("attributes", three uniforms per resident, whatever the place) so the residents' other
    characteristics and luck are those they had before these were added."""
    pop = cfg.population
    n = r.n
    u = rng.random((3, n))
    # age group inside the band: cumulative shares within each band
    cum = np.zeros((3, 3))
    for band in range(3):
        w = AGE_GROUP_WITHIN_BAND[AGE_GROUP_BAND == band]
        cum[band, : w.size] = np.cumsum(w / w.sum())
        cum[band, w.size:] = 1.0
    first = np.array([0, 2, 5])  # first age group of each band
    band = r.age_band.astype(np.int64)
    offset = (u[0][:, None] >= cum[band]).sum(axis=1)
    offset = np.minimum(offset, np.array([1, 2, 2])[band])
    r.age_group = (first[band] + offset).astype(np.int8)
    # sex: female share by age group, scaled to the place's overall share
    f_age = FEMALE_BY_AGE_GROUP[r.age_group]
    p_f = np.clip(f_age * pop.female_share / max(float(f_age.mean()), 1e-12), 0, 1) if n else f_age
    r.sex = np.where(u[1] < p_f, 0, 1).astype(np.int8)  # 0 female, 1 male
    # disability: relative risks by age, sex, deprivation and long-term condition, mean set to the share
    rr = (DISABILITY_RR_AGE[r.age_group]
          * np.where(r.sex == 0, DISABILITY_RR_FEMALE, DISABILITY_RR_MALE)
          * DISABILITY_RR_DEPRIVATION[r.deprivation]
          * np.where(r.ltc, *DISABILITY_RR_LTC))
    p_d = np.clip(rr * pop.disability_share / max(float(rr.mean()), 1e-12), 0, 1) if n else rr
    r.disability = u[2] < p_d
    if cfg.practice_list:
        r.rural = np.array([p.setting == "rural" for p in cfg.practice_list])[r.practice]


def practice_names(cfg: Config, k: int) -> list[str]:
    if cfg.practice_list:
        return [p.name for p in cfg.practice_list]
    return [f"practice {i + 1}" for i in range(k)]


def build_practices(cfg: Config, residents: ResidentTable) -> PracticeTable:
    """Practices of the residents' :func:`assign_practices`; capacity follows list size."""
    k = int(residents.practice.max()) + 1 if residents.n else 1
    if cfg.practice_list:
        k = len(cfg.practice_list)
    p = PracticeTable(k)
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
