"""The one interval method: a Student-t 95% interval of a mean over replicates.

Every mean over replicates that spsim prints or writes (``spsim run``'s summary, ``spsim compare``,
``spsim targets``, the ``points.csv`` of ``spsim sweep``) has the interval

    mean +/- t(0.975, n - 1) * sd / sqrt(n)

with ``sd`` the sample standard deviation (``ddof=1``) of the ``n`` finite values. With fewer than
two values there is no interval (NaN). The interval of a level that cannot be negative (a count, a
rate, a share) is cut at zero; a difference is not cut. The t multiplier matters at the replicate counts people use:
12.71 at 2 replicates, 2.78 at 5, 2.26 at 10, against the normal 1.96 (see docs/architecture.md).
"""

from __future__ import annotations

import math

import numpy as np

#: the two-sided level, and the t quantile it needs
LEVEL = 0.95
QUANTILE = 0.975


def t_quantile(df: int | float) -> float:
    """t(0.975, df): the multiplier for a two-sided 95% interval (NaN for df < 1)."""
    from scipy.stats import t

    return float(t.ppf(QUANTILE, df)) if df >= 1 else math.nan


def t_interval(x, nonnegative: bool = False) -> tuple[float, float, float, float, int]:
    """(mean, low, high, sd, n) of the finite values of ``x``; the interval is
    ``mean +/- t(0.975, n-1) * sd / sqrt(n)`` and is NaN with fewer than two values. For a level
    that cannot be negative (a count, a rate, a share), ``nonnegative=True`` cuts ``low`` at 0."""
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
    low = max(mean - half, 0.0) if nonnegative else mean - half
    return (mean, low, mean + half, sd, n)


def t_half_width(sd, n) -> np.ndarray:
    """The half-width ``t(0.975, n-1) * sd / sqrt(n)`` element by element (arrays of standard
    deviations and counts, e.g. one per design point); NaN where ``n < 2``."""
    from scipy.stats import t

    sd = np.asarray(sd, dtype=float)
    n = np.asarray(n, dtype=float)
    ok = n >= 2
    df = np.where(ok, n - 1, 1.0)
    half = t.ppf(QUANTILE, df) * sd / np.sqrt(np.where(ok, n, 1.0))
    return np.where(ok, half, np.nan)
