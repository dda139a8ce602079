"""Intervals over replicates for spsim compare, its planner's sections and spsim optimise: the
Student-t interval of a mean and the probability that a paired mean difference is beneficial."""

from __future__ import annotations

import math

import numpy as np


def t_quantile(df: int) -> float:
    """t(0.975, df): the multiplier for a two-sided 95% interval."""
    from scipy.stats import t

    return float(t.ppf(0.975, df))


def t_interval(x) -> tuple[float, float, float, float, int]:
    """(mean, low, high, sd, n) of the finite values of ``x``; the interval is
    ``mean +/- t(0.975, n-1) * sd / sqrt(n)`` and is NaN with fewer than two values."""
    a = np.asarray(x, dtype=float)
    a = a[np.isfinite(a)]
    n = int(a.size)
    if n == 0:
        return (math.nan, math.nan, math.nan, math.nan, 0)
    mean = float(a.mean())
    if n == 1:
        return (mean, math.nan, math.nan, math.nan, 1)
    sd = float(a.std(ddof=1))
    half = t_quantile(n - 1) * sd / math.sqrt(n)
    return (mean, mean - half, mean + half, sd, n)


def probability_of_benefit(d, better: int) -> float:
    """Probability that the model's mean paired difference is on the better side of zero, from the
    replicates' t distribution: ``T(R-1).cdf(better * mean / se)``. It reflects replicate noise only
    (not parameter uncertainty) until a posterior over the parameters is used. NaN with fewer than
    two replicates; 1 or 0 when every replicate gives the same non-zero difference."""
    from scipy.stats import t

    a = np.asarray(d, dtype=float)
    a = a[np.isfinite(a)]
    if a.size < 2 or better == 0:
        return math.nan
    m, sd = float(a.mean()), float(a.std(ddof=1))
    if sd == 0:
        return 0.5 if m == 0 else float((better * m) > 0)
    return float(t.cdf(better * m / (sd / math.sqrt(a.size)), a.size - 1))
