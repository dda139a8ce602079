"""Calibration targets from the brief's evidence table, and ABC-rejection calibration.

``TARGETS`` lists each quantity, its band (the acceptance tolerance), the evidence it comes from
and how it is read off a replicate's summary. A target is *evidence* only when the model produces
it (``evidence=True``); three targets read back a parameter set from the same figure (refusal,
engagement, monthly volunteering) and are kept as consistency checks of those inputs, not as
evidence that the model reproduces anything. ``check_targets`` runs replicates of a config and
reports mean and 95% interval against each band (``spsim targets``).

``calibrate`` is approximate Bayesian computation by rejection: draw parameter sets from
uniform priors with a Latin hypercube, run one replicate per set (each with its own seed, so
the posterior carries the model's own noise), and accept the sets whose every target lands in
its band. Distance = the largest of ``|simulated - centre| / half-width`` over the targets;
accepted means distance <= 1. The posterior median of each parameter is proposed as the
default; docs/calibration.md records the run that set the current defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.config import validate
from ..model.overrides import apply_override
from ..model.params import Config


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    low: float
    high: float
    source: str
    measure: Callable[[dict], float]
    #: False when the measure reads back an input (a parameter set from the same figure): then
    #: landing in the band checks the input's consistency, it is not evidence about the model
    evidence: bool = True
    reads_back: str = ""

    @property
    def centre(self) -> float:
        return 0.5 * (self.low + self.high)

    def distance(self, value: float) -> float:
        if not np.isfinite(value):
            return float("inf")
        return abs(value - self.centre) / (0.5 * (self.high - self.low))


TARGETS: tuple[Target, ...] = (
    Target("lonely_share", "adults often/always lonely (share)", 0.05, 0.09,
           "ONS Opinions and Lifestyle Survey 2023/24 (~7%)", lambda s: s["lonely_share_mean"]),
    Target("gp_per_person_year", "GP consultations per person-year", 4.5, 5.5,
           "Hobbs et al. 2016 (~5)", lambda s: s["gp_consultations_per_person_year"]),
    Target("gp_social_share", "consultations mainly for social problems (share)", 0.15, 0.25,
           "Citizens Advice 2015; Polley et al. 2017 (~20%)", lambda s: s["gp_social_share"]),
    Target("lw_throughput", "link-worker clients per FTE-year (demand exceeds capacity)", 150, 250,
           "NHS England 200-250; observed 160-165 (Rotherham, City & Hackney)", lambda s: s["clients_per_fte_year"]),
    # input checks: each reads back a parameter set from the same figure
    Target("refusal", "referrals refused or not taken up (share)", 0.10, 0.22,
           "CPRD study 2025 (10-22%)", lambda s: s["referral_refusal_share"],
           evidence=False, reads_back="referral.refusal (the refused share is a Bernoulli draw at this probability)"),
    Target("engagement", "engagement after referral (share)", 0.70, 0.82,
           "Ways to Wellness 2020 (~76%)", lambda s: s["engagement_share"],
           evidence=False, reads_back="link_workers.engagement (calibrated to this band, net of reneging)"),
    Target("volunteering", "formal volunteering at least monthly (share)", 0.14, 0.18,
           "DCMS Community Life Survey 2021/22 (16%)", lambda s: s["formal_volunteering_share_mean"],
           evidence=False,
           reads_back="volunteering.monthly_share (sets the start rate; group volunteers add a little)"),
)

#: the targets that are evidence about the model (its outputs, not its inputs read back)


#: Patterns of people, measured on per-resident histories (spsim.studies.patterns). The bands are
#: the published ranges where a range is published, else an assumption around the point estimate
#: (said in each source).
PEOPLE_TARGETS: tuple[Target, ...] = (
    Target("fa_top10_share", "consultations made by the top 10% of attenders in a year (share)", 0.35, 0.50,
           "Vedsted & Christensen 2005 review: 30-50%; Kontopantelis et al. 2021 (845 UK practices): ~40%",
           lambda s: s["fa_top10_share"]),
    Target("fa_top3_share", "consultations made by the top 3% of attenders over the recorded years (share)", 0.12, 0.20,
           "Neal et al. 1998 (Leeds, 41 months): 15%; band an assumption", lambda s: s["fa_top3_share_all_years"]),
    Target("fa_persistence", "top-10% attenders of one year still top 10% the next (share)", 0.25, 0.45,
           "Vedsted & Christensen 2005: up to 40% still frequent attenders the following year; band an assumption",
           lambda s: s["fa_persistence"]),
    Target("lonely_rr_d1", "loneliness at one degree from a lonely resident (x prevalence)", 1.30, 1.80,
           "Cacioppo, Fowler & Christakis 2009: +52%; band an assumption", lambda s: s["lonely_rr_d1"]),
    Target("lonely_rr_d2", "loneliness at two degrees from a lonely resident (x prevalence)", 1.10, 1.45,
           "Cacioppo, Fowler & Christakis 2009: +25%; band an assumption", lambda s: s["lonely_rr_d2"]),
    Target("lonely_rr_d3", "loneliness at three degrees from a lonely resident (x prevalence)", 1.03, 1.30,
           "Cacioppo, Fowler & Christakis 2009: +15%; band an assumption", lambda s: s["lonely_rr_d3"]),
    Target("lonely_ratio_young_old", "lonely often/always, under 25 vs 65+ (ratio)", 2.0, 4.5,
           "Community Life Survey 2016/17 (ONS 2018): 9.8% of 16-24s vs about 3% of 65+",
           lambda s: s["lonely_ratio_young_old"]),
    Target("lonely_ratio_ltc", "lonely often/always, long-term condition or disability vs none (ratio)",
           2.0, 5.0,
           "Community Life Survey 2018/19 (ONS 2020): 23.6% / 9.2% of disabled people limited a lot / a little vs 3.8%",
           lambda s: s["lonely_ratio_ltc"]),
    Target("lonely_ratio_deprivation", "lonely often/always, most vs least deprived quintile (ratio)", 1.1, 2.5,
           "Community Life Survey 2019/20: more in the most deprived areas (direction; band an assumption)",
           lambda s: s["lonely_ratio_deprivation"]),
    Target("gp_rr_per_ucla_point", "GP visits per UCLA-3 point, adjusted for health (rate ratio)", 1.01, 1.05,
           "NICOLA (Burns et al. 2021): about 3% more GP visits per point after adjustment; band an assumption",
           lambda s: s["gp_rr_per_ucla_point"]),
    Target("referral_or_lonely",
           "odds of referral to social prescribing in a year, lonely vs not, adjusted (odds ratio)", 1.63, 2.97,
           "ELSA wave 10, 7,283 adults aged 50+ (Perspect Public Health 2025, doi:10.1177/17579139251330767): "
           "OR 2.20 (95% CI 1.63-2.97) adjusted for age, health, wealth, benefits and mental health; "
           "band = that interval",
           lambda s: s["referral_or_lonely"]),
)
TARGETS = TARGETS + PEOPLE_TARGETS
EVIDENCE: tuple[Target, ...] = tuple(t for t in TARGETS if t.evidence)


def measure(summary: dict) -> dict[str, float]:
    return {t.key: float(t.measure(summary)) for t in TARGETS}


def _replicate_measures(cfg: Config, replicate: int) -> dict[str, float]:
    from .patterns import run_measured

    return measure(run_measured(cfg, replicate))


def check_targets(cfg: Config, workers: int = 1) -> pd.DataFrame:
    """Run ``cfg.simulation.replicates`` replicates; one row per target with mean, 95% interval
    over replicates (Student-t, :func:`spsim.studies.stats.t_interval`), the band and whether the
    mean lies inside it."""
    from .runner import map_ordered
    from .stats import t_interval

    reps = cfg.simulation.replicates
    rows = map_ordered(_replicate_measures, [(cfg, r) for r in range(reps)], workers)
    values = pd.DataFrame(rows)
    out = []
    for t in TARGETS:
        m, lo, hi, _, _ = t_interval(values[t.key].to_numpy(float), nonnegative=True)  # shares, rates
        out.append({"target": t.key, "label": t.label, "low": t.low, "high": t.high, "mean": m,
                    "ci_low": lo, "ci_high": hi, "inside": bool(t.low <= m <= t.high),
                    "replicates": reps, "source": t.source, "evidence": t.evidence, "reads_back": t.reads_back})
    return pd.DataFrame(out)


@dataclass(frozen=True)
class Prior:
    key: str
    low: float
    high: float
    integer: bool = False

    def value(self, u: float) -> float | int:
        v = self.low + u * (self.high - self.low)
        return int(round(v)) if self.integer else float(round(v, 5))


#: The parameters calibrated and their uniform priors (ranges chosen from the evidence and the
#: parameters' plausible ranges; see docs/calibration.md).
PRIORS: tuple[Prior, ...] = (
    Prior("loneliness.onset_per_year", 0.005, 0.03),
    Prior("needs.gp_uplift_per_year", 1.5, 5.0),
    Prior("health.gp_medical_per_year", 3.2, 4.8),
    Prior("link_workers.caseload_per_fte", 20, 40, integer=True),
    Prior("link_workers.engagement", 0.70, 0.98),
)


def latin_hypercube(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """n points in [0, 1)^d, one in each of n equal slices of every dimension."""
    u = (rng.permuted(np.tile(np.arange(n), (d, 1)), axis=1).T + rng.random((n, d))) / n
    return u


def _abc_sample(cfg: Config, i: int) -> dict[str, float]:
    """Mean of each target measure over the config's replicates."""
    from .patterns import run_measured

    runs = [measure(run_measured(cfg, r)) for r in range(cfg.simulation.replicates)]
    return {k: float(np.mean([m[k] for m in runs])) for k in runs[0]}


def narrowed_priors(posterior: pd.DataFrame, priors=PRIORS) -> tuple[Prior, ...]:
    """Priors for a further ABC round: each parameter's 5-95% range among the accepted samples of
    the previous round (a simple sequential ABC step)."""
    rows = posterior.set_index("parameter")
    out = []
    for pr in priors:
        lo, hi = float(rows.loc[pr.key, "q05"]), float(rows.loc[pr.key, "q95"])
        if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
            raise ValueError(f"posterior for {pr.key} has no usable 5-95% range")
        out.append(Prior(pr.key, lo, hi, pr.integer))
    return tuple(out)


def calibrate(base: Config, samples: int, seed: int = 1, workers: int = 1, priors=PRIORS) -> pd.DataFrame:
    """ABC rejection over ``priors``; one row per sample with parameters, measures (averaged over
    ``base.simulation.replicates`` replicates), distance and acceptance."""
    from .runner import map_ordered

    rng = np.random.default_rng(seed)
    u = latin_hypercube(samples, len(priors), rng)
    data = base.model_dump()
    tasks, params = [], []
    for i in range(samples):
        d = data
        p = {pr.key: pr.value(u[i, j]) for j, pr in enumerate(priors)}
        for k, v in p.items():
            d = apply_override(d, f"{k}={v}")
        d = apply_override(d, f"simulation.seed={seed * 100_000 + i}")
        tasks.append((validate(d, "calibration"), i))
        params.append(p)
    results = map_ordered(_abc_sample, tasks, workers)
    rows = []
    for p, m in zip(params, results, strict=True):
        dist = max(t.distance(m[t.key]) for t in TARGETS)
        rows.append({**p, **m, "distance": dist, "accepted": dist <= 1.0})
    return pd.DataFrame(rows)


def posterior_summary(samples: pd.DataFrame, priors=PRIORS) -> pd.DataFrame:
    acc = samples[samples.accepted]
    rows = []
    for pr in priors:
        x = acc[pr.key].to_numpy(float)
        rows.append({"parameter": pr.key, "prior_low": pr.low, "prior_high": pr.high, "accepted": len(x),
                     "median": float(np.median(x)) if len(x) else float("nan"),
                     "q05": float(np.quantile(x, 0.05)) if len(x) else float("nan"),
                     "q95": float(np.quantile(x, 0.95)) if len(x) else float("nan")})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- history matching
def config_at(base: dict, keys: tuple[str, ...], integer: tuple[bool, ...], values, run_seed: int) -> Config:
    """``base`` (a config as a dict) with ``keys`` set to ``values`` and one replicate seeded ``run_seed``."""
    d = base
    for k, v, is_int in zip(keys, values, integer, strict=True):
        d = apply_override(d, f"{k}={int(round(float(v))) if is_int else round(float(v), 6)}")
    d = apply_override(d, f"simulation.seed={run_seed}")
    d = apply_override(d, "simulation.replicates=1")
    return validate(d, "history matching")


def _hm_simulate(base: dict, keys: tuple[str, ...], integer: tuple[bool, ...], values, run_seed: int) -> dict:
    """One replicate of ``base`` at parameter ``values``: the target measures (top level: picklable)."""
    from .patterns import run_measured

    return measure(run_measured(config_at(base, keys, integer, values, run_seed), 0))


def ordered_map(workers: int, scheduler: str | None = None) -> Callable:
    """A ``map_`` for :func:`~spsim.studies.history_matching.history_match`: results in task order, in
    worker processes when ``workers > 1`` or on the Dask cluster at ``scheduler`` (the same results
    whichever: every run's seed is fixed by the design, not by where it runs)."""
    from .history_matching import _call

    def map_(f, fs, tasks):
        if scheduler is None and workers <= 1:
            return [_call(g, task) for g, task in zip(fs, tasks, strict=True)]
        from .executors import Pool

        pool = Pool(workers, scheduler)  # a sweep's pool: worker processes die with this process
        try:
            out = list(pool.executor.map(_call, fs, tasks))
        except BaseException:
            pool.close(cancel=True)  # Ctrl-C or a failure: do not wait for the rest of the design
            raise
        pool.close()
        return out

    return map_


def history_match_targets(base: Config, waves: int = 3, points: int = 40, replicates: int = 2, seed: int = 1,
                          workers: int = 1, priors=PRIORS, scheduler: str | None = None):
    """History matching (``studies/history_matching.py``) of ``priors`` against ``TARGETS``."""
    from functools import partial

    from .history_matching import Observation, Parameter, history_match

    simulate = partial(_hm_simulate, base.model_dump(), tuple(p.key for p in priors), tuple(p.integer for p in priors))
    obs = [Observation.from_band(t.key, t.low, t.high) for t in TARGETS]
    params = [Parameter(p.key, p.low, p.high) for p in priors]
    return history_match(simulate, params, obs, waves=waves, points=points, replicates=replicates, seed=seed,
                         map_=ordered_map(workers, scheduler))
