"""Global sensitivity analysis of a finished sweep (``spsim sensitivity DIR``), with SALib.

Sobol designs (``SALib.sample.sobol``, Saltelli's scheme) are analysed with
``SALib.analyze.sobol``: first-order (S1) and total (ST) indices with bootstrap 95% intervals.
Morris designs are analysed with ``SALib.analyze.morris``: mu* (mean absolute elementary effect)
with its bootstrap 95% interval, mu and sigma.

Replicates: the analysed output at a design point is the **mean over its replicates**. Every point
uses the same replicate seeds (common random numbers), so the replicate mean is a smooth function of
the parameters and the indices describe how the parameters move the expected outcome. How much
replicate noise is left in that mean is reported, not hidden: ``noise_share`` is the point x
replicate interaction variance divided by the number of replicates, as a share of the variance of
the point means (0 = no noise; with one replicate it cannot be estimated and is empty). A
replicate's offset common to all points is not noise here: it cancels between points. Noise that is left inflates the
total-order indices and widens the intervals; more replicates (or a larger population) shrink it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..io import atomic_output, write_csv

RESAMPLES = 1000
CONF = 0.95


def _error(out: Path, msg: str) -> Exception:
    return UsageError(f"{out}: {msg}")


def _point_means(summary: pd.DataFrame, outcome: str, n_points: int) -> tuple[np.ndarray, float]:
    """The replicate mean of ``outcome`` at each point, and the share of their variance that is
    replicate noise.

    With common random numbers, replicate r is the same town with the same luck at every point, so
    an offset of replicate r (its town is a little lonelier everywhere) shifts every point mean
    alike and cancels between points: it is not noise for the indices. What is noise is the
    point x replicate interaction; its variance (two-way ANOVA residual) divided by the number of
    replicates, as a share of the variance of the point means, is ``noise_share``."""
    ok = summary[summary.status == "ok"]
    y = ok.pivot(index="point", columns="replicate", values=outcome).reindex(np.arange(n_points))
    means = y.mean(axis=1).to_numpy(dtype=np.float64)
    m = y.to_numpy(dtype=np.float64)
    p, r = m.shape
    noise = float("nan")
    var_means = float(np.var(means, ddof=1)) if p > 1 else float("nan")
    if r > 1 and p > 1 and np.all(np.isfinite(m)) and var_means > 0:
        resid = m - m.mean(axis=1, keepdims=True) - m.mean(axis=0, keepdims=True) + m.mean()
        noise = float((resid**2).sum() / ((p - 1) * (r - 1)) / r / var_means)
    return means, noise


def analyse(manifest: dict[str, Any], design: pd.DataFrame, summary: pd.DataFrame,
            outcomes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """One row per (outcome, parameter) with the indices and their 95% intervals; and, for a Sobol
    design sampled with second_order, one row per (outcome, pair of parameters) with S2."""
    method = manifest["method"]
    problem = manifest["problem"]
    names = problem["names"]
    n_points = int(manifest["points"])
    seed = 1 + int(manifest["spec"]["design"].get("seed") or manifest["seed"]) % (2**31 - 1)  # SALib: 0 = unseeded
    rows, pairs = [], []
    second = method == "sobol" and bool(manifest["spec"]["design"]["second_order"])
    for outcome in outcomes:
        y, noise = _point_means(summary, outcome, n_points)
        note = ""
        if not np.all(np.isfinite(y)):
            note = f"no value at {int((~np.isfinite(y)).sum())} of {n_points} points"
        elif np.ptp(y) == 0:
            note = "did not vary"
        base = {"outcome": outcome, "noise_share": noise, "points": n_points,
                "replicates": int(manifest["replicates"]), "note": note}
        if note:
            rows.extend({**base, "parameter": name} for name in names)
            continue
        if method == "sobol":
            from SALib.analyze import sobol

            si = sobol.analyze(problem, y, calc_second_order=second, num_resamples=RESAMPLES, conf_level=CONF,
                               seed=seed)
            for j, name in enumerate(names):
                s1, c1, st, ct = (float(si[k][j]) for k in ("S1", "S1_conf", "ST", "ST_conf"))
                rows.append({**base, "parameter": name, "S1": s1, "S1_ci_low": s1 - c1, "S1_ci_high": s1 + c1,
                             "ST": st, "ST_ci_low": st - ct, "ST_ci_high": st + ct})
            for j in range(len(names)) if second else ():
                for k in range(j + 1, len(names)):
                    s2, c2 = float(si["S2"][j, k]), float(si["S2_conf"][j, k])
                    pairs.append({"outcome": outcome, "parameter_1": names[j], "parameter_2": names[k],
                                  "S2": s2, "S2_ci_low": s2 - c2, "S2_ci_high": s2 + c2})
        else:
            from SALib.analyze import morris

            x = design[[f"sample:{k}" for k in names]].to_numpy(dtype=np.float64)
            si = morris.analyze(problem, x, y, num_resamples=RESAMPLES, conf_level=CONF,
                                num_levels=int(manifest["spec"]["design"]["levels"]), seed=seed)
            for j, name in enumerate(names):
                ms, c = float(si["mu_star"][j]), float(si["mu_star_conf"][j])
                rows.append({**base, "parameter": name, "mu_star": ms, "mu_star_ci_low": ms - c,
                             "mu_star_ci_high": ms + c, "mu": float(si["mu"][j]), "sigma": float(si["sigma"][j])})
    cols = (["S1", "S1_ci_low", "S1_ci_high", "ST", "ST_ci_low", "ST_ci_high"] if method == "sobol"
            else ["mu_star", "mu_star_ci_low", "mu_star_ci_high", "mu", "sigma"])
    df = pd.DataFrame(rows)
    for c in cols:
        if c not in df:
            df[c] = np.nan
    s2 = pd.DataFrame(pairs, columns=["outcome", "parameter_1", "parameter_2", "S2", "S2_ci_low", "S2_ci_high"])
    return df[["outcome", "parameter", *cols, "noise_share", "points", "replicates", "note"]], (s2 if second else None)


def plot(table: pd.DataFrame, method: str, path: Path) -> None:
    """One panel per outcome: S1 and ST bars (Sobol) or mu* vs sigma (Morris), with 95% intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outcomes = list(dict.fromkeys(table.outcome))
    ncols = min(3, len(outcomes))
    nrows = -(-len(outcomes) // ncols)
    height = 0.5 + (0.45 * table.parameter.nunique() + 1.2) * nrows
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, height), squeeze=False, constrained_layout=True)
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        d = table[table.outcome == outcome]
        note = d["note"].fillna("").iloc[0]
        if note:
            ax.text(0.5, 0.5, f"{outcome}:\n{note}", ha="center", va="center", fontsize=8)
            ax.set_axis_off()
            continue
        y = np.arange(len(d))
        if method == "sobol":
            for off, k, shade, hatch in ((-0.2, "S1", "0.75", ""), (0.2, "ST", "0.3", "//")):
                err = np.array([d[k] - d[f"{k}_ci_low"], d[f"{k}_ci_high"] - d[k]])
                ax.barh(y + off, d[k], height=0.38, xerr=err, color=shade, hatch=hatch, edgecolor="black",
                        capsize=3, label={"S1": "first order (S1)", "ST": "total (ST)"}[k])
            ax.set_yticks(y, d.parameter, fontsize=7)
            ax.invert_yaxis()  # parameters top to bottom in the experiment's order, S1 above ST
            ax.axvline(0, color="black", lw=0.6)
            ax.set_xlabel("Sobol index (95% interval)", fontsize=8)
            handles, labels = ax.get_legend_handles_labels()
        else:
            err = np.array([d.mu_star - d.mu_star_ci_low, d.mu_star_ci_high - d.mu_star])
            ax.errorbar(d.mu_star, d.sigma, xerr=err, fmt="o", color="black", ecolor="0.5", capsize=3)
            for _, r in d.iterrows():
                ax.annotate(r.parameter, (r.mu_star, r.sigma), fontsize=7, xytext=(3, 3), textcoords="offset points")
            ax.set_xlabel("mu* (95% interval)", fontsize=8)
            ax.set_ylabel("sigma", fontsize=8)
        noise = d.noise_share.iloc[0]
        extra = f"\nreplicate noise {noise:.0%} of variance" if noise == noise else ""
        ax.set_title(f"{outcome}{extra}", fontsize=9)
    for ax in list(axes.flat)[len(outcomes):]:
        ax.set_axis_off()
    title = "Sobol indices of the replicate-mean outcome" if method == "sobol" else "Morris screening"
    fig.suptitle(title, fontsize=10)
    if method == "sobol" and "handles" in locals():
        fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def analyse_dir(out: str | Path, outcomes: list[str] | None = None) -> pd.DataFrame:
    """Analyse the sweep in ``out``; write sensitivity.csv and sensitivity.png there."""
    from .experiment import check_outcome

    out = Path(out)
    mpath = out / "manifest.json"
    if not mpath.exists():
        raise _error(out, "no sweep here (manifest.json missing)")
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    method = manifest["method"]
    if method not in ("sobol", "morris"):
        raise _error(out, f"sensitivity analysis needs a sobol or morris design; this sweep is a {method} design")
    if not (out / "summary.parquet").exists():
        raise _error(out, "summary.parquet missing: finish the sweep first (spsim sweep ... --resume)")
    summary = pd.read_parquet(out / "summary.parquet")
    design = pd.read_parquet(out / "design.parquet")
    bad = int((summary.status != "ok").sum())
    if bad:
        raise _error(out, f"{bad} run(s) failed or did not run; finish the sweep first (spsim sweep ... --resume)")
    outcomes = outcomes or manifest["outcomes"]
    for o in outcomes:
        check_outcome(o, str(out), "--outcome")
        if o not in summary:
            raise _error(out, f"outcome '{o}' is not in summary.parquet; add it to the experiment's outcomes "
                              "and resume")
    table, s2 = analyse(manifest, design, summary, outcomes)

    def write(tmp: Path) -> None:
        write_csv(table, tmp / "sensitivity.csv")
        if s2 is not None:
            write_csv(s2, tmp / "sensitivity_second_order.csv")
        plot(table, method, tmp / "sensitivity.png")

    atomic_output(out, write)
    return table


def format_table(table: pd.DataFrame) -> str:
    sobol = "S1" in table
    lines = []
    for outcome, d in table.groupby("outcome", sort=False):
        noise = d.noise_share.iloc[0]
        note = d.note.fillna("").iloc[0]
        ns = f"; replicate noise {noise:.0%} of variance" if noise == noise else ""
        lines.append(f"{outcome}{ns}" + (f" ({note})" if note else ""))
        if note:
            continue
        for _, r in d.iterrows():
            if sobol:
                lines.append(f"  {r.parameter:40s} S1 {r.S1:6.3f} [{r.S1_ci_low:6.3f}, {r.S1_ci_high:6.3f}]"
                             f"   ST {r.ST:6.3f} [{r.ST_ci_low:6.3f}, {r.ST_ci_high:6.3f}]")
            else:
                lines.append(f"  {r.parameter:40s} mu* {r.mu_star:10.4g} [{r.mu_star_ci_low:10.4g}, "
                             f"{r.mu_star_ci_high:10.4g}]   mu {r.mu:10.4g}   sigma {r.sigma:10.4g}")
    return "\n".join(lines)
