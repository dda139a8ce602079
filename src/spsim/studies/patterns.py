"""Patterns of people measured on per-resident histories: how GP use concentrates among frequent
attenders and how they regress to the mean, how loneliness clusters on the network (one to three
degrees) and at its periphery, who is lonely (by age, disability, deprivation), how lasting
loneliness is, and how much GP use rises per UCLA-3 point after adjustment for health.

``run_measured(cfg, replicate)`` runs one replicate (the same seeds as
:func:`spsim.studies.runner.run_replicate`) with a :class:`~spsim.model.analyzers.ResidentHistory`
and returns the usual summary plus these measures; ``spsim targets`` compares them with the
published figures (``spsim.studies.calibration.PEOPLE_TARGETS``).
"""

from __future__ import annotations

import numpy as np

from ..model.analyzers import ResidentHistory
from ..model.outcomes import summarise
from ..model.params import Config
from ..model.rng import replicate_seeds


class LastYearUCLA:
    """Analyzer: each resident's mean true UCLA-3 score over the last 52 weeks of the run."""

    def init(self, model) -> None:
        sim = model.cfg.simulation
        self.total = sim.burn_in_weeks + sim.weeks
        self.sum = np.zeros(model.residents.n)
        self.weeks = 0

    def apply(self, model) -> None:
        if model.week > self.total - 52:
            self.sum += model.residents.ucla
            self.weeks += 1

    @property
    def mean(self) -> np.ndarray:
        return self.sum / max(self.weeks, 1)


class ReferralCohort:
    """Analyzer: who is referred (any route, before refusal). Over the recorded weeks: how many
    referrals there were, how many of the residents were lonely at referral, their true UCLA-3
    scores and their other needs (the referral reasons mix). Over the last 52 weeks: who was
    referred at least once, and who was lonely at the start of those weeks (for the odds of
    referral by loneliness, as ELSA wave 10 asked it)."""

    def init(self, model) -> None:
        from ..model.tables import NEEDS

        sim = model.cfg.simulation
        self.burn, self.total = sim.burn_in_weeks, sim.burn_in_weeks + sim.weeks
        self.n_referrals = 0
        self.n_lonely = 0
        self.ucla: list[np.ndarray] = []
        self.needs = np.zeros(len(NEEDS), np.int64)
        self.referred_last_year = np.zeros(model.residents.n, bool)
        self.lonely_at_start = np.zeros(model.residents.n, bool)
        self.needs_at_start = np.zeros(model.residents.n, np.uint8)

    def apply(self, model) -> None:
        if model.week <= self.burn:
            return
        r = model.residents
        who = np.flatnonzero(model.referred_this_week)
        if who.size:
            from ..model.tables import NEEDS

            self.n_referrals += who.size
            self.n_lonely += int(np.count_nonzero(r.lonely[who]))
            self.ucla.append(r.ucla[who].astype(np.float64))
            bits = r.needs[who]
            flags = np.unpackbits(bits[:, None], axis=1, bitorder="little")[:, :len(NEEDS)]
            self.needs += flags.sum(axis=0, dtype=np.int64)
        if model.week == self.total - 51:  # the first of the last 52 weeks (after its step)
            self.lonely_at_start = r.lonely.copy()
            self.needs_at_start = r.needs.copy()
        if model.week > self.total - 52:
            self.referred_last_year |= model.referred_this_week


def logit_slope(y: np.ndarray, x: np.ndarray, covariates: np.ndarray, iters: int = 30) -> float:
    """Odds ratio per unit of ``x`` from a logistic regression of 0/1 ``y`` on x and covariates
    (IRLS, intercept added)."""
    X = np.column_stack([np.ones(y.size), x, covariates]).astype(np.float64)
    beta = np.zeros(X.shape[1])
    for _ in range(iters):
        eta = np.clip(X @ beta, -30, 30)
        mu = 1.0 / (1.0 + np.exp(-eta))
        w = np.maximum(mu * (1.0 - mu), 1e-12)
        z = eta + (y - mu) / w
        XtW = X.T * w
        beta = np.linalg.solve(XtW @ X + 1e-9 * np.eye(X.shape[1]), XtW @ z)
    return float(np.exp(beta[1]))


def referral_cohort(model, cohort: ReferralCohort) -> dict[str, float]:
    """The referred cohort: share lonely at referral, its true UCLA-3 scores, the reasons mix, and
    the odds ratio of being referred in a year for residents lonely at its start, adjusted as ELSA
    wave 10's model was as far as the model's residents allow: age band, long-term condition,
    deprivation (wealth), a practical need (debt, housing, employment: ELSA's benefits) and a
    mental-wellbeing need (ELSA's psychiatric conditions and depressive symptoms)."""
    from ..model.tables import NEEDS

    r = model.residents
    n = cohort.n_referrals
    out = {"referred_lonely_share": cohort.n_lonely / n if n else float("nan")}
    ucla = np.concatenate(cohort.ucla) if cohort.ucla else np.zeros(0)
    out["referred_ucla_mean"] = float(ucla.mean()) if ucla.size else float("nan")
    out["referred_ucla_6plus_share"] = float((ucla >= 6).mean()) if ucla.size else float("nan")
    for k, name in enumerate(NEEDS):
        out[f"referred_{name}_share"] = float(cohort.needs[k] / n) if n else float("nan")
    y = cohort.referred_last_year.astype(np.float64)
    x = cohort.lonely_at_start.astype(np.float64)
    if 0 < y.sum() < y.size and 0 < x.sum() < x.size:
        needs = cohort.needs_at_start
        cov = np.column_stack([r.ltc, r.age_band == 0, r.age_band == 2, r.deprivation.astype(float),
                               (needs & 0b111) != 0, (needs >> NEEDS.index("mental_wellbeing")) & 1])
        out["referral_or_lonely"] = logit_slope(y, x, cov)
        out["referral_or_lonely_crude"] = logit_slope(y, x, np.zeros((y.size, 0)))
    else:
        out["referral_or_lonely"] = out["referral_or_lonely_crude"] = float("nan")
    return out


def top_share(counts: np.ndarray, share: float) -> float:
    """Share of all events made by the top ``share`` of residents (ranked by their own count)."""
    total = counts.sum()
    if total == 0:
        return float("nan")
    k = max(1, int(round(share * counts.size)))
    return float(np.sort(counts)[::-1][:k].sum() / total)


def top_decile(counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mask of the top 10% of residents by count (ties broken at random)."""
    k = max(1, int(round(0.1 * counts.size)))
    order = np.lexsort((rng.random(counts.size), -counts))
    mask = np.zeros(counts.size, bool)
    mask[order[:k]] = True
    return mask


def frequent_attenders(years: np.ndarray, rng: np.random.Generator) -> dict[str, float]:
    """From (years, n) GP counts: concentration in a year, persistence of the top decile into the
    next year and how far its use falls (regression to the mean)."""
    shares = [top_share(y, 0.10) for y in years]
    persist, fall = [], []
    for a, b in zip(years[:-1], years[1:], strict=True):
        ta, tb = top_decile(a, rng), top_decile(b, rng)
        persist.append((ta & tb).sum() / ta.sum())
        fall.append(b[ta].mean() / a[ta].mean() - 1.0)
    return {
        "fa_top10_share": float(np.mean(shares)),
        "fa_top3_share_all_years": top_share(years.sum(axis=0), 0.03),
        "fa_top1_share_all_years": top_share(years.sum(axis=0), 0.01),
        "fa_persistence": float(np.mean(persist)) if persist else float("nan"),
        "fa_next_year_change": float(np.mean(fall)) if fall else float("nan"),
    }


def contagion(adjacency, lonely: np.ndarray, rng: np.random.Generator, egos: int = 3000) -> dict[str, float]:
    """Cacioppo et al. (2009) style: share lonely among residents at exactly 1, 2 and 3 steps from a
    lonely resident, relative to the share lonely overall (what a permuted network gives)."""
    prevalence = float(lonely.mean())
    who = np.flatnonzero(lonely)
    out = {}
    if who.size == 0 or prevalence == 0:
        return {f"lonely_rr_d{d}": float("nan") for d in (1, 2, 3)}
    ego = rng.choice(who, size=min(egos, who.size), replace=False)
    from scipy import sparse

    seen = sparse.csr_matrix((np.ones(ego.size, np.int8), (np.arange(ego.size), ego)),
                             shape=(ego.size, adjacency.shape[0]))
    frontier = seen
    for d in (1, 2, 3):
        nxt = (frontier @ adjacency).astype(bool).astype(np.int8)
        nxt = nxt - nxt.multiply(seen)  # exactly d steps away
        nxt.eliminate_zeros()
        cols = nxt.indices
        out[f"lonely_rr_d{d}"] = float(lonely[cols].mean() / prevalence) if cols.size else float("nan")
        seen = ((seen + nxt) > 0).astype(np.int8)
        frontier = nxt
    return out


def prevalence_by_group(r, lonely_share: np.ndarray) -> dict[str, float]:
    """Mean share of weeks lonely, by group, and the ratios the surveys report."""
    def m(mask):
        return float(lonely_share[mask].mean()) if mask.any() else float("nan")

    out = {
        "lonely_under25": m(r.age_band == 0), "lonely_65plus": m(r.age_band == 2),
        "lonely_ltc": m(r.ltc), "lonely_no_ltc": m(~r.ltc),
        "lonely_most_deprived": m(r.deprivation == 5), "lonely_least_deprived": m(r.deprivation == 1),
        "lonely_alone": m(r.lives_alone), "lonely_not_alone": m(~r.lives_alone),
    }
    out["lonely_ratio_young_old"] = out["lonely_under25"] / out["lonely_65plus"]
    out["lonely_ratio_ltc"] = out["lonely_ltc"] / out["lonely_no_ltc"]
    out["lonely_ratio_deprivation"] = out["lonely_most_deprived"] / out["lonely_least_deprived"]
    out["lonely_ratio_alone"] = out["lonely_alone"] / out["lonely_not_alone"]
    return out


def persistence_by_duration(hist: ResidentHistory) -> dict[str, float]:
    """Still lonely a year later, for the newly lonely (lonely now, not half a year ago) and the
    long lonely (lonely now, half a year ago and a year ago): a chronic core shows as the second
    higher (a memoryless process gives the same share for both)."""
    T = hist.weeks - 53
    if T < 52:
        return {"lonely_stay_new": float("nan"), "lonely_stay_long": float("nan")}
    bits = hist.bits["lonely"]

    def at(t):
        return np.unpackbits(bits[t], count=hist.n).astype(bool)

    now, h1, y1, nxt = at(T), at(T - 26), at(T - 52), at(T + 52)
    new, long_ = now & ~h1, now & h1 & y1
    return {"lonely_stay_new": float(nxt[new].mean()) if new.any() else float("nan"),
            "lonely_stay_long": float(nxt[long_].mean()) if long_.any() else float("nan")}


def poisson_slope(y: np.ndarray, x: np.ndarray, covariates: np.ndarray, iters: int = 25) -> float:
    """Rate ratio per unit of ``x`` from a Poisson regression of ``y`` on x and covariates
    (IRLS, intercept added)."""
    X = np.column_stack([np.ones(y.size), x, covariates])
    beta = np.zeros(X.shape[1])
    beta[0] = np.log(max(y.mean(), 1e-9))
    for _ in range(iters):
        eta = np.clip(X @ beta, -30, 30)
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        w = mu
        XtW = X.T * w
        beta = np.linalg.solve(XtW @ X + 1e-9 * np.eye(X.shape[1]), XtW @ z)
    return float(np.exp(beta[1]))


def gp_per_ucla_point(model, last_year_gp: np.ndarray, ucla_mean: np.ndarray) -> float:
    """GP visits per UCLA-3 point, adjusted for health (long-term condition, persistent propensity)
    and age band and deprivation, as a cohort study such as NICOLA would estimate it."""
    r = model.residents
    cov = np.column_stack([r.ltc, r.age_band == 0, r.age_band == 2, r.deprivation.astype(float),
                           np.log(np.maximum(r.gp_base.astype(float), 1e-9))])
    return poisson_slope(last_year_gp.astype(float), ucla_mean, cov)


def measure_people(model, hist: ResidentHistory, ucla: LastYearUCLA, seed: int = 0,
                   cohort: ReferralCohort | None = None) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    burn = model.cfg.simulation.burn_in_weeks
    years = hist.per_year("gp", burn)
    out: dict[str, float] = dict.fromkeys(
        ("fa_top10_share", "fa_top3_share_all_years", "fa_top1_share_all_years", "fa_persistence",
         "fa_next_year_change", "gp_rr_per_ucla_point"), float("nan"))
    if years.shape[0]:  # at least one whole recorded year
        out.update(frequent_attenders(years, rng))
        out["gp_rr_per_ucla_point"] = gp_per_ucla_point(model, years[-1], ucla.mean)
    lonely = model.residents.lonely
    out.update(contagion(model.network.adjacency(), lonely, rng))
    deg = model.network.degree().astype(float)
    out["lonely_degree_corr"] = float(np.corrcoef(deg, lonely)[0, 1]) if lonely.any() else float("nan")
    rec = hist.weeks - burn
    csum = hist.cumulative("lonely")
    share = (csum[hist.weeks] - csum[burn]) / max(rec, 1)
    out.update(prevalence_by_group(model.residents, share))
    out.update(persistence_by_duration(hist))
    if cohort is not None:
        out.update(referral_cohort(model, cohort))
    return out


def run_measured(cfg: Config, replicate: int) -> dict[str, float]:
    """One replicate's summary plus the people patterns (same seeds as ``run_replicate``)."""
    from ..model.simulation import SocialPrescribingModel
    from .posterior import replicate_config

    cfg = replicate_config(cfg, replicate)  # its posterior set, if any (a no-op when already applied)
    seed_seq = replicate_seeds(cfg.simulation.seed, cfg.simulation.replicates)[replicate]
    hist, ucla, cohort = ResidentHistory(), LastYearUCLA(), ReferralCohort()
    model = SocialPrescribingModel(cfg, replicate=replicate, seed_seq=seed_seq, agents=False,
                                   analyzers=[hist, ucla, cohort])
    model.run()
    summary = summarise(model.timeseries(), cfg.population.size, model.total_link_worker_fte)
    return {**summary, **measure_people(model, hist, ucla, seed=replicate, cohort=cohort)}
