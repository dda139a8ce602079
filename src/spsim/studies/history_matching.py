"""History matching with Gaussian-process emulators: which parameter sets could have produced the evidence.

The method for expensive stochastic simulators of Vernon, Goldstein & Bower (2010), as applied to
agent-based models by Andrianakis et al. (2015). It runs in *waves*:

1. **Design**: points drawn (Latin hypercube, seeded) from the part of the parameter box not yet
   ruled out; each point is run for a few replicates.
2. **Emulate**: for every target, a Gaussian process (scikit-learn) fitted to the replicate means of
   every point run so far gives, anywhere in the box, the expected output ``E(x)`` and the
   emulator's own uncertainty ``V_em(x)``. The spread between replicates enters as each point's noise.
3. **Rule out**: the implausibility of ``x`` for target ``k`` is
   ``I_k(x) = |z_k - E_k(x)| / sqrt(V_em,k(x) + V_s,k + V_obs,k)`` with ``z_k`` the evidence
   (the centre of its band), ``V_obs,k`` the evidence's uncertainty (the band read as +/- 2 standard
   deviations) and ``V_s,k`` the model's run-to-run variance (the real place is one run). A point
   with ``max_k I_k(x) > 3`` is implausible (Pukelsheim's three-sigma rule) and leaves the
   *not ruled out yet* (NROY) space, for this and every later wave.

After the last wave, the points of that wave whose replicate means lie inside every evidence band are
the accepted parameter sets (an ABC acceptance inside the NROY space). Everything is seeded and the
simulator is called through an ordered map, so the same seed gives the same waves whatever the
executor (a process pool or a Dask cluster, through ``map_``).

Why this method (``docs/calibration.md``): the simulator is slow enough that each wave must count;
emulators use every run made so far; the stochastic noise, the emulator's ignorance and the evidence's
uncertainty are kept apart in the denominator, so a planner can see which uncertainty a conclusion
rests on; and the NROY fraction per wave shows how much the evidence constrains the parameters.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

CUTOFF = 3.0  # Pukelsheim's three-sigma rule: a unimodal distribution has 95% of its mass within 3 sd
CANDIDATES = 20_000  # points tried per wave to find the NROY space (rejection from the prior box)


@dataclass(frozen=True)
class Observation:
    """One piece of evidence: its value ``z`` and variance ``var`` (from an evidence band)."""
    key: str
    z: float
    var: float

    @classmethod
    def from_band(cls, key: str, low: float, high: float) -> Observation:
        return cls(key, 0.5 * (low + high), (0.25 * (high - low)) ** 2)


@dataclass(frozen=True)
class Parameter:
    key: str
    low: float
    high: float

    def value(self, u: np.ndarray) -> np.ndarray:
        return self.low + np.asarray(u) * (self.high - self.low)


@dataclass
class Wave:
    number: int
    design: np.ndarray  # points in [0, 1)^d
    means: np.ndarray  # points x targets: replicate means
    variances: np.ndarray  # points x targets: variance between replicates (nan with one replicate)
    nroy_fraction: float  # share of the prior box not ruled out before this wave was run
    implausibility: np.ndarray  # max implausibility of each design point under all waves' emulators


@dataclass
class Result:
    parameters: tuple[Parameter, ...]
    observations: tuple[Observation, ...]
    waves: list[Wave] = field(default_factory=list)
    #: True when a wave found no candidate left: the evidence rules out the whole box (model or priors wrong)
    exhausted: bool = False
    #: every wave's emulator and the pooled run-to-run variance: what :func:`nroy_sample` needs
    emulators: list = field(default_factory=list, repr=False)
    var_run: np.ndarray | None = None
    #: name -> indices of the observations a regime believes (see ``history_match(regimes=...)``)
    regimes: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """Every point run: wave, parameters, mean outputs, implausibility, inside every band."""
        rows = []
        for w in self.waves:
            for i in range(len(w.design)):
                row = {"wave": w.number, "point": i}
                row.update({p.key: float(p.value(w.design[i, j])) for j, p in enumerate(self.parameters)})
                row.update({o.key: float(w.means[i, k]) for k, o in enumerate(self.observations)})
                row["implausibility"] = float(w.implausibility[i])
                row["inside_bands"] = bool(all(
                    abs(w.means[i, k] - o.z) <= 2 * np.sqrt(o.var) for k, o in enumerate(self.observations)))
                rows.append(row)
        return pd.DataFrame(rows)

    def accepted(self) -> pd.DataFrame:
        t = self.table()
        if t.empty:
            return t
        last = t[t.wave == t.wave.max()]
        return last[last.inside_bands & (last.implausibility <= CUTOFF)].reset_index(drop=True)


class Emulator:
    """One Gaussian process per output, on inputs in [0, 1]^d (scikit-learn)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, noise: np.ndarray, seed: int):
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

        self.models = []
        d = x.shape[1]
        for k in range(y.shape[1]):
            ok = np.isfinite(y[:, k])  # a run with no value for a target (e.g. no clients) says nothing of it
            if ok.sum() < 2:
                self.models.append(None)
                continue
            scale = float(np.std(y[ok, k])) or 1.0
            kernel = ConstantKernel(1.0, (1e-3, 1e5)) * RBF(np.full(d, 0.3), (1e-2, 1e2)) + WhiteKernel(1e-3, (1e-8, 1))
            gp = GaussianProcessRegressor(kernel=kernel, alpha=np.nan_to_num(noise[ok, k]) / scale**2 + 1e-10,
                                          normalize_y=True, n_restarts_optimizer=1, random_state=seed + k)
            with warnings.catch_warnings():  # hyperparameters at a bound are common with few points
                warnings.simplefilter("ignore", ConvergenceWarning)
                gp.fit(x[ok], y[ok, k] / scale)
            self.models.append((gp, scale))

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        means, variances = [], []
        for model in self.models:
            if model is None:  # nothing to emulate: this target rules nothing out
                means.append(np.zeros(len(x)))
                variances.append(np.full(len(x), np.inf))
                continue
            gp, scale = model
            m, s = gp.predict(x, return_std=True)
            means.append(m * scale)
            variances.append((s * scale) ** 2)
        return np.column_stack(means), np.column_stack(variances)


def implausibility(mean: np.ndarray, var_em: np.ndarray, obs: Sequence[Observation],
                   var_run: np.ndarray) -> np.ndarray:
    """Largest implausibility over the targets for each row (see the module text)."""
    z = np.array([o.z for o in obs])
    var_obs = np.array([o.var for o in obs])
    return np.max(np.abs(mean - z) / np.sqrt(var_em + var_run + var_obs), axis=1)


def _lhs(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    return (rng.permuted(np.tile(np.arange(n), (d, 1)), axis=1).T + rng.random((n, d))) / n


def history_match(
    simulate: Callable[[np.ndarray, int], dict[str, float]],
    parameters: Sequence[Parameter],
    observations: Sequence[Observation],
    waves: int = 3,
    points: int = 40,
    replicates: int = 2,
    seed: int = 1,
    map_: Callable = map,
    regimes: dict[str, Sequence[str]] | None = None,
) -> Result:
    """Run ``waves`` waves of ``points`` points x ``replicates`` replicates.

    ``simulate(values, run_seed)`` runs one replicate at parameter ``values`` (in the parameters'
    units) and returns every observation's key; ``map_`` maps a function over an iterable in order
    (``map``, a process pool's ordered map, or a Dask client's).

    ``regimes`` (name -> observation keys) matches several readings of the evidence with the same
    runs: a candidate stays in the design space while it is not ruled out under *some* regime, so
    the waves refine the emulators wherever any regime still has room; :func:`nroy_sample` then draws
    each regime's own non-implausible sets. Without it there is one regime, every observation."""
    if waves < 1 or points < 2 or replicates < 1:
        raise ValueError("history matching needs at least 1 wave, 2 points and 1 replicate")
    params, obs = tuple(parameters), tuple(observations)
    keys = [o.key for o in obs]
    regimes = dict(regimes) if regimes else {"all": keys}
    groups = {}
    for name, ks in regimes.items():
        unknown = sorted(set(ks) - set(keys))
        if unknown or not ks:
            what = "no observations" if not ks else f"unknown observations {unknown}"
            raise ValueError(f"regime {name!r}: {what}")
        groups[name] = tuple(keys.index(k) for k in ks)
    d = len(params)
    rng = np.random.default_rng(seed)
    result = Result(params, obs, regimes=groups)
    emulators: list[Emulator] = []
    var_run = np.zeros(len(obs))
    for w in range(1, waves + 1):
        cand = _lhs(CANDIDATES, d, rng)
        keep = _not_ruled_out(cand, emulators, obs, var_run, groups.values())
        nroy = float(keep.mean())
        pool = cand[keep]
        if len(pool) == 0:
            result.exhausted = True
            break
        design = pool[rng.permutation(len(pool))[:points]]
        values = np.column_stack([p.value(design[:, j]) for j, p in enumerate(params)])
        tasks = [(values[i], int(seed * 1_000_003 + w * 10_007 + i * 101 + r))
                 for i in range(len(design)) for r in range(replicates)]
        outs = list(map_(_call, [simulate] * len(tasks), tasks))
        y = np.array([[o[ob.key] for ob in obs] for o in outs], float).reshape(len(design), replicates, len(obs))
        means = y.mean(axis=1)
        variances = y.var(axis=1, ddof=1) if replicates > 1 else np.full_like(means, np.nan)
        if replicates > 1:
            with warnings.catch_warnings():  # a target with no value anywhere stays nan: rules nothing out
                warnings.simplefilter("ignore", RuntimeWarning)
                var_run = np.nan_to_num(np.nanmean(variances, axis=0))  # run-to-run variance, pooled
        # emulate on every point run so far; noise of a mean = variance between replicates / replicates
        xs = np.vstack([wv.design for wv in result.waves] + [design])
        ys = np.vstack([wv.means for wv in result.waves] + [means])
        noise = np.vstack([wv.variances for wv in result.waves] + [variances]) / replicates
        emulators.append(Emulator(xs, ys, noise, seed + w))
        imp = np.zeros(len(design))
        for em in emulators:
            m, v = em.predict(design)
            imp = np.maximum(imp, implausibility(m, v, obs, var_run))
        imp[~np.isfinite(means).all(axis=1)] = np.inf  # a run without every target cannot match the evidence
        result.waves.append(Wave(w, design, means, variances, nroy, imp))
    result.emulators, result.var_run = emulators, var_run
    return result


def _not_ruled_out(x: np.ndarray, emulators: Sequence[Emulator], obs: Sequence[Observation], var_run: np.ndarray,
                   groups) -> np.ndarray:
    """True where ``x`` is not ruled out by every emulator so far under at least one group of observations."""
    keep = np.zeros(len(x), bool)
    preds = [em.predict(x) for em in emulators]
    for idx in groups:
        idx = list(idx)
        ok = np.ones(len(x), bool)
        for m, v in preds:  # every earlier wave's emulator rules out its part of the box
            ok &= implausibility(m[:, idx], v[:, idx], [obs[i] for i in idx], var_run[idx]) <= CUTOFF
        keep |= ok
    return keep


def nroy_sample(result: Result, regime: str, n: int, seed: int = 1) -> tuple[np.ndarray, float]:
    """``n`` parameter sets (in the parameters' units) drawn uniformly from the space a regime has not
    ruled out, by every wave's emulator: its non-implausible sets, the history-matching answer to
    "which parameters could have produced this evidence". Returns (sets, share of the box they fill);
    fewer than ``n`` rows (maybe none) when the space is tiny."""
    idx = result.regimes[regime]
    rng = np.random.default_rng([seed, 99])
    d = len(result.parameters)
    cand = _lhs(CANDIDATES, d, rng)
    keep = _not_ruled_out(cand, result.emulators, result.observations, result.var_run, [idx])
    pool = cand[keep][:n]
    values = np.column_stack([p.value(pool[:, j]) for j, p in enumerate(result.parameters)]) if len(pool) \
        else np.empty((0, d))
    return values, float(keep.mean())


def _call(f: Callable, task: tuple) -> dict[str, float]:
    return f(*task)
