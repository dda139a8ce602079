"""How sure a comparison's answers are, and why: probabilities a commissioner can use, the split
of their spread into parameter uncertainty and noise, and which uncertain parameters move them.

**Probabilities.** Each replicate of a comparison is one run of the place with its own luck and,
when a posterior is used, its own parameter set. :func:`share_better` is the share of replicates
whose paired answer is on the better side (fewer GP consultations than the baseline's same
replicate; fewer lonely person-years; a return per pound above 1). That is the probability that the
scenario does better *in one realisation of the place*, over the model's noise and, with a
posterior, over what we do not know about its parameters. It is not the t-based ``p_benefit`` of
:mod:`spsim.studies.intervals`, which is the confidence that the *mean* difference over replicates
is on the better side: with enough replicates that goes to 0 or 1 however uncertain each outcome is.

**Which uncertainty is which.** With a posterior and repeated sets (``posterior_draws`` below the
replicates), replicates that share a set differ only by noise, so the spread of each paired answer
splits by a one-way random-effects analysis of variance (Searle, Casella & McCulloch 1992, ch. 3):
``within = MSW`` (noise), ``between = max(0, (MSB - MSW) / n0)`` (parameters), with
``n0 = (N - sum(n_i^2) / N) / (k - 1)`` for ``k`` sets and ``N`` replicates (the usual estimator
for unequal group sizes). Without repeats the two cannot be separated; without a posterior the
spread is noise only.

**Which parameters matter.** Across parameter sets, the Spearman rank correlation of each posterior
parameter with each answer (:func:`scipy.stats.spearmanr`), and the partial rank correlation
(PRCC; Marino et al. 2008): the correlation of the rank residuals of the parameter and of the
answer after a linear regression on the ranks of the other parameters (scikit-learn), which
separates parameters that move together in the posterior. Where sets are repeated, the answer of a
set is the mean of its replicates (less noise), and the set, not the replicate, is the unit, so
the p-values do not count one set's replicates as independent evidence about its parameters.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

#: the planner's answers: key in a comparison's values, what "better" means, threshold, direction
ANSWERS: tuple[tuple[str, str, float, int], ...] = (
    ("gp_avoided", "reduces GP demand", 0.0, +1),
    ("lonely_py_avoided", "reduces loneliness", 0.0, +1),
    ("return_per_pound", "returns more than £1 of GP and A&E cost per £1 spent", 1.0, +1),
    ("net_social_value", "has a positive net social value", 0.0, +1),
)
#: the threshold "better" is measured against, where it is not zero
THRESHOLDS = {"return_per_pound": 1.0}
NOISE_ONLY = "noise only (no posterior: every replicate has the configured parameters)"


def covers(posterior: dict | None) -> str:
    """What a share of replicates covers, in words (for comparison.csv and the report)."""
    if not posterior:
        return NOISE_ONLY
    return (f"parameter uncertainty and noise (posterior {posterior['name']}, "
            f"{posterior['distinct_sets_used']} parameter sets)")


def share_better(x, better: int, threshold: float = 0.0) -> float:
    """Share of the finite values of ``x`` strictly on the better side of ``threshold``
    (``better`` +1: above, -1: below). NaN without finite values or without a direction. A value
    exactly at the threshold counts as not better, so ``share_better(x, +1) + share_better(x, -1)``
    is 1 minus the share of ties."""
    a = np.asarray(x, dtype=float)
    a = a[np.isfinite(a)]
    if a.size == 0 or better == 0:
        return math.nan
    return float(np.mean(better * (a - threshold) > 0))


# ----------------------------------------------------------------------------- variance components
def variance_components(y, groups) -> dict[str, float]:
    """One-way random-effects ANOVA of ``y`` by ``groups`` (the parameter set of each replicate):
    between-set (parameter) and within-set (noise) variance, the share that is between, and the
    F test of no between-set variance (:func:`scipy.stats.f_oneway`). NaN where they cannot be
    estimated: fewer than two sets, or no set with two or more replicates."""
    from scipy.stats import f_oneway

    y = np.asarray(y, dtype=float)
    g = np.asarray(groups)
    ok = np.isfinite(y)
    y, g = y[ok], g[ok]
    n_total = int(y.size)
    labels, inv = np.unique(g, return_inverse=True)
    k = int(labels.size)
    out = {"sets": k, "replicates": n_total, "total_var": float(y.var(ddof=1)) if n_total > 1 else math.nan,
           "between_var": math.nan, "within_var": math.nan, "share_between": math.nan,
           "f": math.nan, "p": math.nan}
    if k < 2 or n_total - k < 1:
        return out
    n_i = np.bincount(inv).astype(float)
    means = np.bincount(inv, weights=y) / n_i
    grand = y.mean()
    ssb = float(np.sum(n_i * (means - grand) ** 2))
    ssw = float(np.sum((y - means[inv]) ** 2))
    msb, msw = ssb / (k - 1), ssw / (n_total - k)
    n0 = (n_total - np.sum(n_i ** 2) / n_total) / (k - 1)
    between = max(0.0, (msb - msw) / n0)
    out.update(between_var=between, within_var=msw,
               share_between=between / (between + msw) if between + msw > 0 else math.nan)
    parts = [y[inv == i] for i in range(k)]
    if msw > 0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = f_oneway(*parts)
        out.update(f=float(res.statistic), p=float(res.pvalue))
    return out


def uncertainty_table(values: pd.DataFrame, names: list[str], rows: list[int] | None) -> pd.DataFrame:
    """uncertainty.csv: for each scenario other than the baseline (``names[0]``) and each answer,
    the spread over replicates and, where the design allows, its split into parameter (between
    sets) and noise (within sets). ``rows``: the posterior row of each replicate (None or empty:
    no posterior)."""
    out = []
    for name in names[1:]:
        mine = values[values.scenario == name].sort_values("replicate")
        reps = mine.replicate.to_numpy()
        for key, _, _, _ in ANSWERS:
            if key not in mine:
                continue
            y = mine[key].to_numpy(float)
            if not rows:
                vc = variance_components(y, np.zeros(y.size, int))
                vc["within_var"] = vc["total_var"]
                vc["between_var"] = 0.0 if math.isfinite(vc["total_var"]) else math.nan
                vc["share_between"] = 0.0 if math.isfinite(vc["total_var"]) else math.nan
                note = "no posterior: the spread is noise only (every replicate has the same parameters)"
            else:
                sets = np.asarray(rows)[reps]
                vc = variance_components(y, sets)
                if vc["sets"] < 2:
                    note = "one parameter set: the spread is noise only"
                elif vc["replicates"] - vc["sets"] < 1:
                    note = ("each replicate has its own parameter set: the spread carries parameter uncertainty "
                            "and noise together, and they cannot be separated; set simulation.posterior_draws "
                            "below the replicates to repeat sets")
                else:
                    note = "one-way random-effects ANOVA over the parameter sets (replicates that share a set)"
            out.append({"scenario": name, "outcome": key, "mean": float(np.nanmean(y)) if np.isfinite(y).any()
                        else math.nan, **vc, "note": note})
    return pd.DataFrame(out, columns=["scenario", "outcome", "mean", "sets", "replicates", "total_var", "between_var",
                                      "within_var", "share_between", "f", "p", "note"])


# ----------------------------------------------------------------------------- sensitivity
def _constant(a: np.ndarray) -> bool:
    return a.size == 0 or float(np.ptp(a)) == 0.0


def partial_rank_correlation(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """PRCC of each column of ``x`` (replicates x parameters) with ``y``: Pearson correlation of the
    residuals of rank(x_j) and rank(y) after a linear regression on the ranks of the other columns
    (:func:`scipy.stats.rankdata`, scikit-learn, :func:`scipy.stats.pearsonr`). NaN for a constant
    column, or with too few replicates (at least parameters + 3)."""
    from scipy.stats import pearsonr, rankdata
    from sklearn.linear_model import LinearRegression

    n, k = x.shape
    out = np.full(k, math.nan)
    if n < k + 3 or _constant(y):
        return out
    rx = np.column_stack([rankdata(x[:, j]) for j in range(k)])
    ry = rankdata(y)
    for j in range(k):
        if _constant(rx[:, j]):
            continue
        others = np.delete(rx, j, axis=1)
        if others.shape[1]:
            ex = rx[:, j] - LinearRegression().fit(others, rx[:, j]).predict(others)
            ey = ry - LinearRegression().fit(others, ry).predict(others)
        else:
            ex, ey = rx[:, j], ry
        if _constant(np.round(ex, 12)) or _constant(np.round(ey, 12)):
            continue
        out[j] = float(pearsonr(ex, ey).statistic)
    return out


def spearman(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Spearman's rho and its two-sided p-value (:func:`scipy.stats.spearmanr`). Below 10 points the
    t approximation scipy uses is poor (it gives p = 0 for a perfect correlation of 4 sets), so the
    p-value is the exact permutation p-value (:func:`scipy.stats.permutation_test`, every pairing)."""
    from scipy.stats import permutation_test, spearmanr

    res = spearmanr(x, y)
    rho, p = float(res.statistic), float(res.pvalue)
    if x.size < 10:
        def stat(a, b, axis=-1):
            from scipy.stats import rankdata

            ra, rb = rankdata(a, axis=axis), rankdata(b, axis=axis)
            ra, rb = ra - ra.mean(axis=axis, keepdims=True), rb - rb.mean(axis=axis, keepdims=True)
            return (ra * rb).sum(axis=axis) / np.sqrt((ra**2).sum(axis=axis) * (rb**2).sum(axis=axis))

        p = float(permutation_test((x, y), stat, permutation_type="pairings", n_resamples=np.inf,
                                   vectorized=True, alternative="two-sided").pvalue)
    return rho, p


def sensitivity_table(values: pd.DataFrame, names: list[str], parameters: pd.DataFrame) -> pd.DataFrame:
    """sensitivity.csv: for each scenario other than the baseline, each answer and each posterior
    parameter, the Spearman rank correlation across parameter sets (each set's answer: the mean of
    its replicates) with its p-value, and the PRCC, ranked by the size of the Spearman correlation
    within each answer. ``parameters``: one row per replicate (``replicate``, ``posterior_row``, then
    one column per parameter)."""
    cols = ["scenario", "outcome", "parameter", "spearman", "spearman_p", "prcc", "replicates", "sets", "rank"]
    if parameters is None or parameters.empty:
        return pd.DataFrame(columns=cols)
    keys = [c for c in parameters.columns if c not in ("replicate", "posterior_row")]
    par = parameters.set_index("replicate")
    out = []
    for name in names[1:]:
        mine = values[values.scenario == name].sort_values("replicate")
        for key, _, _, _ in ANSWERS:
            if key not in mine:
                continue
            y = mine[key].to_numpy(float)
            ok = np.isfinite(y)
            reps = mine.replicate.to_numpy()[ok]
            by_set = pd.DataFrame({"row": par.loc[reps, "posterior_row"].to_numpy(), "y": y[ok]}).groupby("row").y
            sets = by_set.mean()
            first = par.loc[reps].drop_duplicates("posterior_row").set_index("posterior_row")
            x = first.loc[sets.index, keys].to_numpy(float)
            y = sets.to_numpy(float)
            prcc = partial_rank_correlation(x, y) if len(keys) > 1 else np.full(len(keys), math.nan)
            rows = []
            for j, p in enumerate(keys):
                rho = pval = math.nan
                if y.size >= 3 and not _constant(x[:, j]) and not _constant(y):
                    rho, pval = spearman(x[:, j], y)
                rows.append({"scenario": name, "outcome": key, "parameter": p, "spearman": rho, "spearman_p": pval,
                             "prcc": prcc[j] if len(keys) > 1 else rho, "replicates": int(reps.size),
                             "sets": int(y.size)})
            order = sorted(range(len(rows)), key=lambda i: -abs(rows[i]["spearman"])
                           if math.isfinite(rows[i]["spearman"]) else math.inf)
            for rank, i in enumerate(order, start=1):
                rows[i]["rank"] = rank
            out.extend(rows[i] for i in order)
    return pd.DataFrame(out, columns=cols)
