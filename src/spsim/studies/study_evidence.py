"""The published studies, simulated: what a before-after evaluation and a controlled study of the
model's own service would report, as calibration targets for the service's effect parameters.

The evidence on social prescribing is split by design (``docs/calibration.md``): uncontrolled
before-after evaluations report large falls, controlled studies mostly little or nothing. The
model can hold both at once, because a before-after study of people referred at a peak of need
also measures the peak passing (regression to the mean). So each published result is a target for
the *same study made in the model*: the same cohort definition, outcome, instrument and follow-up.

- **Cohort**: each study enrols whom the published one enrolled (``StudyTarget.cohort``), among the
  residents first referred between one year after the start and one year before the end who then
  engaged with a link worker (as in :mod:`spsim.studies.evaluation`):

  * ``frequent_attenders``: those with at least ``evaluation.FREQUENT_ATTENDER_GP`` (10) GP
    consultations in the year up to their referral. The uncontrolled evaluations of GP and A&E use
    that Polley et al. (2017) reviewed were of schemes for patients who used services heavily
    (frequent attenders, people at high risk of admission; Carnes et al. 2017 describe City &
    Hackney's referrals as socially isolated patients who frequently visited their GP), so the
    regression to the mean of a cohort chosen at a peak of use is part of what they report;
  * ``lonely_at_referral``: those lonely at their referral, i.e. referred *for* loneliness: the
    British Red Cross service took people experiencing or at risk of loneliness (Foster et al. 2021);
  * ``engaged``: every engaged referral (City & Hackney's broad inclusion criteria, seeds/003).

- **Index week** ``t0``: the first referral, or (``index="intake"``) the first contact with the link
  worker, where a service's own questionnaire is first given (the Red Cross's baseline UCLA-3).
- **Before-after** (no control group): the relative change of a count over a window after ``t0``
  against the same length before it (``[t0 - b + 1, t0]`` vs ``[t0 + 1, t0 + a]``), or the change of
  an observed questionnaire score (with the instrument's measurement noise,
  :mod:`spsim.model.instruments`) between ``t0`` and ``t0 + a``.
- **Controlled**: the same change in the cohort minus that of matched controls from the risk set
  (:func:`spsim.studies.matching.match`), relative to the cohort's mean before.
- **Sample size**: the simulated study takes everyone the model's town enrols (``n_<key>`` in the
  results); the published ``n`` is recorded beside it. A mean's expectation does not depend on
  ``n``; a smaller simulated study is noisier, which the history match carries as run-to-run variance.

Only the service arm is run (a study never sees the twin), so one target evaluation costs one run.

Each target carries the published value and a standard deviation: the published sampling error
where one is given, widened by a model discrepancy (an assumption, said in each ``source``). The
three **regimes** name which evidence a calibration believes: ``uncontrolled`` (the before-after
evaluations only), ``controlled`` (the controlled studies only) and ``both``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.params import Config
from .calibration import Prior

YEAR = 52
MIN_TOTAL_WEEKS = 3 * YEAR  # a year before and after every referral of a year-long window


COHORTS = ("engaged", "frequent_attenders", "lonely_at_referral")


@dataclass(frozen=True)
class StudyTarget:
    key: str
    label: str
    design: str  # "before-after" or "controlled"
    outcome: str  # a ResidentHistory outcome: gp, ae, ucla3, ...
    scale: str  # "relative" (change / mean before) or "points" (change in score points)
    before_weeks: int  # counts: weeks in the window up to t0; scores: 0 (the score at t0)
    after_weeks: int  # counts: weeks in the window after t0; scores: weeks from t0 to the follow-up
    value: float  # the published result
    sd: float  # its uncertainty as a target (sampling error and model discrepancy)
    source: str
    cohort: str = "engaged"  # who the published study enrolled (COHORTS)
    index: str = "referral"  # t0: "referral" (first referral) or "intake" (first contact with the link worker)
    published_n: int | None = None  # the published study's sample size, where given

    @property
    def band(self) -> tuple[float, float]:
        """value +/- 2 sd: the band a run's study must land in to be accepted."""
        return self.value - 2 * self.sd, self.value + 2 * self.sd


STUDY_TARGETS: tuple[StudyTarget, ...] = (
    StudyTarget("ba_gp", "GP consultations of frequent attenders, year after vs year before referral (relative "
                "change), before-after",
                "before-after", "gp", "relative", YEAR, YEAR, -0.28, 0.07,
                "Polley et al. 2017 (seven uncontrolled evaluations of GP demand: -28% on average, 12 months after vs "
                "12 months before, e.g. Bristol Wellspring -60%, seeds/002), of schemes for heavy users of services: "
                "cohort = engaged referrals with 10 or more GP consultations in the year up to referral "
                "(evaluation.FREQUENT_ATTENDER_GP, about the top 5% of the town; assumption); sd an assumption: "
                "the evaluations reviewed differ widely", cohort="frequent_attenders"),
    StudyTarget("ba_ae", "A&E attendances of frequent attenders, year after vs year before referral (relative "
                "change), before-after",
                "before-after", "ae", "relative", YEAR, YEAR, -0.24, 0.07,
                "Polley et al. 2017 (five evaluations of A&E use: -24% on average, pre-post, e.g. Rotherham -17% "
                "and City & Hackney -25% over 12 months, seeds/002); the same cohort as ba_gp (the evaluations "
                "measured both on one cohort); sd an assumption as for GP demand", cohort="frequent_attenders"),
    StudyTarget("ba_ucla", "UCLA-3 score of people referred for loneliness, 12 weeks after the start of support "
                "minus at its start, before-after",
                "before-after", "ucla3", "points", 0, 12, -1.84, 0.25,
                "British Red Cross national service (Foster et al. 2021, Health Soc Care Community): people "
                "experiencing or at risk of loneliness, up to 12 weeks of link-worker support, UCLA-3 at the start "
                "and end of support, -1.84 (95% CI -1.91 to -1.77; sd of the change about 1.7), n = 2,250 of "
                "10,643 served May 2017-Dec 2019, 72.6% less lonely. The baseline mean is not in the abstract, but "
                "a mean fall of 1.84 on 3-9 with 27% not falling needs those who fell to start at 5.5 or more: a "
                "lonely cohort. Cohort = engaged referrals lonely at referral; follow-up 12 weeks (the most "
                "support given; assumption); sd = sampling sd 0.036 widened to 0.25 points for model discrepancy "
                "(assumption)", cohort="lonely_at_referral", index="intake", published_n=2250),
    StudyTarget("cc_gp", "GP consultations, 8 months after vs before referral, cohort minus matched controls "
                "(relative to the cohort's mean before), controlled",
                "controlled", "gp", "relative", 35, 35, 0.0, 0.06,
                "Carnes et al. 2017 (City & Hackney: no difference from controls at 8 months; broad inclusion "
                "criteria, 737 people supported Feb 2014-Jul 2015, seeds/003); Kiely et al. 2022 "
                "(4 of 8 controlled studies, n = 2,186, no effect); sd an assumption: a null from studies of a "
                "few hundred people is consistent with effects within about +/-12%", published_n=737),
)
TARGETS_BY_KEY = {t.key: t for t in STUDY_TARGETS}

#: which evidence each regime believes
REGIMES: dict[str, tuple[str, ...]] = {
    "both": tuple(t.key for t in STUDY_TARGETS),
    "controlled": tuple(t.key for t in STUDY_TARGETS if t.design == "controlled"),
    "uncontrolled": tuple(t.key for t in STUDY_TARGETS if t.design == "before-after"),
}

#: The service's effect parameters, every one an assumption until calibrated here, with uniform
#: priors over what the mechanisms allow and the evidence does not rule out beforehand.
EFFECT_PRIORS: tuple[Prior, ...] = (
    Prior("link_workers.need_resolution_multiplier", 1.0, 30.0),  # x faster resolution of a need while supported
    Prior("link_workers.confidence_gain_per_contact", 0.0, 0.3),  # confidence per contact after the effective dose
    Prior("loneliness.group_recovery_per_year", 0.0, 6.0),  # recovery hazard per year of group attendance
    Prior("link_workers.loneliness_recovery_per_year", 0.0, 6.0),  # recovery hazard per year of one-to-one support
)


def inside(table, keys) -> np.ndarray:
    """For rows of a history-matching table (replicate means): every target in ``keys`` inside its band."""
    ok = np.ones(len(table), bool)
    for k in keys:
        lo, hi = TARGETS_BY_KEY[k].band
        ok &= table[k].between(lo, hi).to_numpy()
    return ok


def _windows(t: StudyTarget, t0: np.ndarray) -> tuple[tuple[np.ndarray, int], tuple[np.ndarray, int]]:
    if t.scale == "points":  # a questionnaire at t0 and at the follow-up
        return (t0, 1), (t0 + t.after_weeks, 1)
    return (t0 - t.before_weeks + 1, t.before_weeks), (t0 + 1, t.after_weeks)


def enrolled(t: StudyTarget, h, cohort: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Study ``t``'s members among the engaged ``cohort`` and their index weeks (whole-array)."""
    from .evaluation import FREQUENT_ATTENDER_GP

    ref = h.first_referral[cohort].astype(np.int64)
    if t.cohort == "frequent_attenders":
        keep = h.window_counts("gp", cohort, ref - YEAR + 1, YEAR) >= FREQUENT_ATTENDER_GP
    elif t.cohort == "lonely_at_referral":
        keep = h.window_counts("lonely", cohort, ref, 1) > 0
    else:
        keep = np.ones(cohort.size, bool)
    t0 = (h.first_intake[cohort] if t.index == "intake" else h.first_referral[cohort]).astype(np.int64)
    keep &= t0 + t.after_weeks < h.weeks  # the follow-up lies inside the run
    return cohort[keep], t0[keep]


def study_results(cfg: Config, replicate: int = 0) -> dict[str, float]:
    """Run one replicate (the service arm only) and return every study target's simulated result,
    ``n_<key>`` (each study's sample size), plus ``cohort`` (engaged referrals in the window) and
    ``matched`` (the controlled study's matched pairs). NaN where a study enrols nobody."""
    from .evaluation import _run_arm
    from .matching import match

    arm = _run_arm(cfg, replicate)
    h = arm.history
    first = h.first_referral
    cohort = np.flatnonzero((first >= YEAR) & (first + YEAR < h.weeks) & (h.first_intake >= 0))
    out: dict[str, float] = {"cohort": float(cohort.size)}
    if cohort.size == 0:
        out.update({t.key: float("nan") for t in STUDY_TARGETS})
        out.update({f"n_{t.key}": 0.0 for t in STUDY_TARGETS})
        out["matched"] = 0.0
        return out
    matches = {}
    for t in STUDY_TARGETS:
        who, t0 = enrolled(t, h, cohort)
        out[f"n_{t.key}"] = float(who.size)
        if who.size == 0:
            out[t.key] = float("nan")
            continue
        (bs, bl), (as_, al) = _windows(t, t0)
        pre = h.window_counts(t.outcome, who, bs, bl).astype(float)
        post = h.window_counts(t.outcome, who, as_, al).astype(float)
        if t.design == "before-after":
            change, base = float((post - pre).mean()), float(pre.mean())
        else:
            key = (t.cohort, t.index)
            if key not in matches:  # one matched design per cohort (the same rng as before)
                matches[key] = match(h, arm.residents, who, t0,
                                     np.random.default_rng([cfg.simulation.seed, replicate, 7]))
            m = matches[key]
            ok = m.control >= 0
            out["matched"] = float(ok.sum())
            if not ok.any():
                out[t.key] = float("nan")
                continue
            (cbs, cbl), (cas, cal) = _windows(t, t0[ok])
            cpre = h.window_counts(t.outcome, m.control[ok], cbs, cbl).astype(float)
            cpost = h.window_counts(t.outcome, m.control[ok], cas, cal).astype(float)
            change = float(((post[ok] - pre[ok]) - (cpost - cpre)).mean())
            base = float(pre[ok].mean())
        if t.scale == "relative":
            out[t.key] = change / base if base > 0 else float("nan")
        else:
            out[t.key] = change
    out.setdefault("matched", 0.0)
    return out


def _simulate(base: dict, keys: tuple[str, ...], integer: tuple[bool, ...], values, run_seed: int) -> dict:
    """One replicate at parameter ``values``: every study target (top level, so workers can call it)."""
    from .calibration import config_at

    return study_results(config_at(base, keys, integer, values, run_seed), 0)


def history_match_studies(base: Config, waves: int = 2, points: int = 30, replicates: int = 2, seed: int = 1,
                          workers: int = 1, priors: tuple[Prior, ...] = EFFECT_PRIORS, scheduler: str | None = None):
    """History matching of the effect parameters ``priors`` against the simulated studies, for every
    regime at once (:func:`~spsim.studies.history_matching.history_match` with ``regimes``)."""
    from functools import partial

    from .calibration import ordered_map
    from .history_matching import Observation, Parameter, history_match

    simulate = partial(_simulate, base.model_dump(), tuple(p.key for p in priors), tuple(p.integer for p in priors))
    obs = [Observation(t.key, t.value, t.sd ** 2) for t in STUDY_TARGETS]
    params = [Parameter(p.key, p.low, p.high) for p in priors]
    return history_match(simulate, params, obs, waves=waves, points=points, replicates=replicates, seed=seed,
                         map_=ordered_map(workers, scheduler), regimes=REGIMES)
