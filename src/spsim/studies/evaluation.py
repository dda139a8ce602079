"""Counterfactual evaluation: the true effect of the service versus what studies would report.

For each replicate the scenario runs twice on the same residents and the same luck: as
configured (the *service* arm) and with the service switched off (``link_workers.fte = 0`` and
every extra team's ``fte = 0``, the *twin*). Every random draw is made per resident per week whatever the model's state
(:mod:`spsim.rng`), so the twins differ only through what the service did.

The cohort is the residents first referred between one year after the start and one year
before the end, who then engaged with a link worker. Index week ``t0`` = their first referral.
GP consultations and A&E attendances are counted over the year up to and including the index
week (``[t0 - 51, t0]``, which holds the consultation that led to the referral) and the year
after it (``[t0 + 1, t0 + 52]``). Loneliness is measured as a study would with a questionnaire:
lonely or not at the index week (baseline) and 52 weeks later (follow-up). For each outcome:

- ``true_effect``: service arm minus twin, same residents, the year after referral;
- ``pre_post``: the year after minus the year before, service arm (an uncontrolled study);
- ``matched_control``: the pre-post change of the cohort minus that of matched controls (a
  controlled study's difference in differences). Controls come from the residents not yet referred
  at the index week, matched on a propensity score of what a study could see then (records and a
  baseline questionnaire): see :mod:`spsim.studies.matching`;
- ``counterfactual_change``: the same residents' pre-post change in the twin, where nobody got
  the service: regression to the mean plus any trend. ``pre_post`` = ``true_effect`` +
  ``counterfactual_change`` up to the (tiny) effect of the service on the year before.

Intervals are 95% two-stage cluster-bootstrap intervals (Davison & Hinkley 1997, section 3.8):
replicates are resampled, then residents within each resampled replicate, so the interval carries
the variation between runs of the place as well as between residents. With one replicate it is a
bootstrap over residents only, and residents share a network: use several replicates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.analyzers import ResidentHistory
from ..model.params import Config
from .matching import match

YEAR = 52
#: outcome -> (label, weeks in each measurement window)
OUTCOMES = {
    "gp": ("GP consultations per year", YEAR),
    "ae": ("A&E attendances per year", YEAR),
    "lonely": ("share lonely", 1),
    # questionnaire scores with measurement noise (spsim.model.instruments), at referral and a year later
    "ucla3": ("UCLA-3 loneliness score (observed)", 1),
    "life_satisfaction": ("ONS4 life satisfaction (observed)", 1),
    "swemwbs": ("SWEMWBS (observed)", 1),
}
FREQUENT_ATTENDER_GP = 10  # consultations in the year before referral (assumption; ~top 5%)
MIN_TOTAL_WEEKS = 3 * YEAR
BOOTSTRAP_SAMPLES = 2000


def twin_config(cfg: Config) -> Config:
    """The same scenario with the service switched off: no link workers in any team."""
    data = cfg.model_dump()
    data["link_workers"]["fte"] = 0.0
    for team in data["teams"]:  # an extra team left on would still take referrals in the twin
        team["fte"] = 0.0
    return Config.model_validate(data)


@dataclass
class ArmData:
    history: ResidentHistory
    residents: dict[str, np.ndarray]


def _run_arm(cfg: Config, replicate: int) -> ArmData:
    from ..model.rng import replicate_seeds
    from ..model.simulation import SocialPrescribingModel

    seed_seq = replicate_seeds(cfg.simulation.seed, cfg.simulation.replicates)[replicate]
    hist = ResidentHistory()
    model = SocialPrescribingModel(cfg, replicate=replicate, seed_seq=seed_seq, agents=False,
                                   analyzers=[hist])
    model.run()
    r = model.residents
    seen = ("age_band", "ltc", "deprivation", "lives_alone", "practice")  # what a study's records show
    return ArmData(hist, {k: getattr(r, k).copy() for k in seen})


def _windows(t0: np.ndarray, length: int) -> tuple[tuple[np.ndarray, int], tuple[np.ndarray, int]]:
    """(start, length) of the before and after windows: a year of counts up to and including the
    index week and the year after it, or (length 1) the state at the index week and a year later."""
    if length == 1:
        return (t0, 1), (t0 + YEAR, 1)
    return (t0 - length + 1, length), (t0 + 1, length)


def evaluate_replicate(cfg: Config, replicate: int) -> pd.DataFrame:
    """Per-resident rows for one replicate: cohort members and their matched controls. A posterior
    set is applied once, before the twin is made, so both arms have the same parameters."""
    from .posterior import replicate_config

    cfg = replicate_config(cfg, replicate)
    service = _run_arm(cfg, replicate)
    twin = _run_arm(twin_config(cfg), replicate)
    hs, ht = service.history, twin.history
    weeks = hs.weeks
    idx_week = hs.first_referral
    cohort = np.flatnonzero((idx_week >= YEAR) & (idx_week + YEAR < weeks) & (hs.first_intake >= 0))
    t0 = idx_week[cohort].astype(np.int64)

    rows = {"replicate": np.full(cohort.size, replicate), "resident": cohort, "index_week": t0}
    for k, (_, length) in OUTCOMES.items():
        for arm, h in (("", hs), ("twin_", ht)):
            rows[f"{k}_{arm}pre"] = h.window_counts(k, cohort, *_windows(t0, length)[0])
            rows[f"{k}_{arm}post"] = h.window_counts(k, cohort, *_windows(t0, length)[1])

    # matched controls: risk-set propensity-score matching on what a study could see at the index week
    rng = np.random.default_rng([cfg.simulation.seed, replicate, 7])
    m = match(hs, service.residents, cohort, t0, rng)
    ctrl = m.control
    rows["propensity_logit"] = m.logit_case
    rows["control_propensity_logit"] = m.logit_control
    rows["control"] = ctrl
    matched = ctrl >= 0
    for k, (_, length) in OUTCOMES.items():
        pre = np.full(cohort.size, -1, np.int64)
        post = np.full(cohort.size, -1, np.int64)
        (pre_start, pre_len), (post_start, post_len) = _windows(t0[matched], length)
        pre[matched] = hs.window_counts(k, ctrl[matched], pre_start, pre_len)
        post[matched] = hs.window_counts(k, ctrl[matched], post_start, post_len)
        rows[f"{k}_control_pre"] = pre
        rows[f"{k}_control_post"] = post
    return pd.DataFrame(rows)


def cluster_bootstrap(x: np.ndarray, replicate: np.ndarray, rng: np.random.Generator,
                      samples: int = BOOTSTRAP_SAMPLES) -> tuple[float, float, float, int]:
    """Mean of ``x`` with a 95% two-stage cluster-bootstrap interval: resample replicates with
    replacement, then values within each resampled replicate (Davison & Hinkley 1997, 3.8).
    Returns (mean, low, high, n); the interval is nan with fewer than two values."""
    x = np.asarray(x, float)
    n = x.size
    if n == 0:
        return (float("nan"),) * 3 + (0,)
    mean = float(x.mean())
    if n < 2:
        return mean, float("nan"), float("nan"), n
    reps, inverse = np.unique(np.asarray(replicate), return_inverse=True)
    size = np.bincount(inverse).astype(float)
    within = np.empty((samples, reps.size))  # each replicate's mean in each bootstrap sample
    for r in range(reps.size):
        vals = x[inverse == r]
        chunk = max(1, 2_000_000 // vals.size)
        for s in range(0, samples, chunk):
            k = min(chunk, samples - s)
            within[s:s + k, r] = vals[rng.integers(0, vals.size, (k, vals.size))].mean(axis=1)
    weight = rng.multinomial(reps.size, np.full(reps.size, 1.0 / reps.size), size=samples) * size
    pooled = (weight * within).sum(axis=1) / weight.sum(axis=1)
    lo, hi = np.percentile(pooled, [2.5, 97.5])
    return mean, float(lo), float(hi), n


def estimates(per_resident: pd.DataFrame) -> pd.DataFrame:
    """The four estimates for each outcome, for all referred residents, frequent attenders and
    the residents lonely at referral."""
    out = []
    rng = np.random.default_rng(8)  # fixed: the same rows give the same intervals
    groups = {
        "all referred": np.ones(len(per_resident), bool),
        f"frequent attenders (>= {FREQUENT_ATTENDER_GP} GP consultations in the year before)":
            per_resident["gp_pre"].to_numpy() >= FREQUENT_ATTENDER_GP,
        # where a loneliness effect can show: the residents lonely at referral
        "lonely at referral": per_resident["lonely_pre"].to_numpy() > 0,
    }
    for gname, sel in groups.items():
        d = per_resident[sel]
        m = d["control"].to_numpy() >= 0
        rep = d["replicate"].to_numpy()
        for k, (label, _) in OUTCOMES.items():
            pre, post = d[f"{k}_pre"].to_numpy(), d[f"{k}_post"].to_numpy()
            tpre, tpost = d[f"{k}_twin_pre"].to_numpy(), d[f"{k}_twin_post"].to_numpy()
            cpre, cpost = d[f"{k}_control_pre"].to_numpy(), d[f"{k}_control_post"].to_numpy()
            base = float(pre.mean()) if len(pre) else float("nan")
            est = {
                "true_effect": (post - tpost, rep),
                "pre_post": (post - pre, rep),
                "matched_control": (((post - pre) - (cpost - cpre))[m], rep[m]),
                "counterfactual_change": (tpost - tpre, rep),
            }
            for name, (x, r) in est.items():
                mean, lo, hi, n = cluster_bootstrap(x, r, rng)
                out.append({
                    "group": gname, "outcome": k, "outcome_label": label, "estimate": name,
                    "mean": mean, "ci_low": lo, "ci_high": hi, "n": n,
                    "baseline_mean": base,
                    "relative": mean / base if base else float("nan"),
                })
    return pd.DataFrame(out)


def evaluate(cfg: Config, workers: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every replicate's twin pair; return (per-resident rows, estimates)."""
    from .runner import map_ordered

    reps = cfg.simulation.replicates
    from .posterior import replicate_config

    frames = map_ordered(evaluate_replicate, [(replicate_config(cfg, r), r) for r in range(reps)], workers)
    per_resident = pd.concat(frames, ignore_index=True)
    return per_resident, estimates(per_resident)


def narrative(est: pd.DataFrame, per_resident: pd.DataFrame, cfg: Config) -> str:
    """A short plain-language paragraph on the GP and loneliness results."""
    n = len(per_resident)
    if n == 0:
        return ("No resident was referred and engaged in the evaluation window (a year after the start "
                "to a year before the end), so there is nothing to evaluate; run more weeks or a larger place.")

    def get(outcome: str, name: str) -> pd.Series:
        sel = (est.group == "all referred") & (est.outcome == outcome) & (est.estimate == name)
        return est[sel].iloc[0]

    def ci(row: pd.Series, fmt: str) -> str:
        return f"{row['mean']:{fmt}} (95% interval {row['ci_low']:{fmt}} to {row['ci_high']:{fmt}})"

    gp = {k: get("gp", k) for k in ("pre_post", "true_effect", "counterfactual_change", "matched_control")}
    lo = {k: get("lonely", k) for k in ("pre_post", "true_effect", "counterfactual_change")}
    text = (
        f"{n:,} residents were referred and engaged with a link worker ({cfg.simulation.replicates} replicate(s) of "
        f"'{cfg.simulation.name}'). An uncontrolled before-after study of them would report a change of "
        f"{gp['pre_post']['mean']:+.2f} GP consultations per person-year ({100 * gp['pre_post']['relative']:+.0f}% "
        f"of the year before). Running the same residents with the same luck but no service shows a change of "
        f"{gp['counterfactual_change']['mean']:+.2f} without any help: people are referred around a peak of need "
        f"and attendance, and many peaks pass by themselves (regression to the mean). The true effect of the "
        f"service on GP consultations is {ci(gp['true_effect'], '+.2f')} per person-year; a matched-control "
        f"comparison, as a controlled study would make, estimates {ci(gp['matched_control'], '+.2f')}. "
        f"Loneliness (lonely at referral vs a year later, as a questionnaire would measure it): the share lonely "
        f"changed by {lo['pre_post']['mean']:+.3f} before-after, of which {lo['counterfactual_change']['mean']:+.3f} "
        f"would have happened anyway; the true effect is {ci(lo['true_effect'], '+.3f')}. "
        "Intervals are two-stage cluster-bootstrap intervals (replicates, then residents within them)"
        + (": with one replicate they cover residents only, and residents share a network, so use several."
           if cfg.simulation.replicates < 2 else ".")
    )
    return text


def plot(est: pd.DataFrame, path) -> None:
    """Bar chart: each estimate with its 95% interval, one panel per outcome (grey-scale safe)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["pre_post", "counterfactual_change", "matched_control", "true_effect"]
    labels = ["Before-after\n(uncontrolled)", "Change without\nthe service (RTM)", "Matched\ncontrol",
              "True effect\n(twin runs)"]
    hatches = ["", "//", "..", "xx"]
    shades = ["0.85", "0.65", "0.45", "0.2"]
    d = est[est.group == "all referred"]
    fig, axes = plt.subplots(1, len(OUTCOMES), figsize=(4.8 * len(OUTCOMES), 4.0), constrained_layout=True)
    for ax, (k, (label, _)) in zip(axes, OUTCOMES.items(), strict=True):
        rows = [d[(d.outcome == k) & (d.estimate == nm)].iloc[0] for nm in names]
        y = [r["mean"] for r in rows]
        err = np.array([[r["mean"] - r["ci_low"], r["ci_high"] - r["mean"]] for r in rows]).T
        err = np.nan_to_num(err)
        bars = ax.bar(range(len(names)), y, yerr=err, capsize=4, color=shades, edgecolor="black")
        for b, h in zip(bars, hatches, strict=True):
            b.set_hatch(h)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(range(len(names)), labels, fontsize=7)
        ax.set_title(f"Change in {label}\n(after vs before referral)", fontsize=9)
        ax.set_ylabel(label)
    fig.suptitle("Referred residents: what a study would report vs the true effect (95% intervals)", fontsize=10)
    fig.savefig(path, dpi=120)
    plt.close(fig)
