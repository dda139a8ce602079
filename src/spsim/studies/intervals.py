"""The probability that a paired mean difference is beneficial, for spsim compare. The Student-t
interval itself is :func:`spsim.studies.stats.t_interval` (re-exported here for planning and optimise)."""

from __future__ import annotations

import math

import numpy as np

from .stats import t_interval, t_quantile  # noqa: F401  (re-exported)


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
