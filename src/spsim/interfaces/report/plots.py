"""The comparison's charts: matplotlib (Agg) PNGs, each with alt text that states its numbers."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import __version__
from ...studies.compare import Comparison, t_quantile
from ...studies.planner_outcomes import OUTCOME_BY_KEY as OUTCOMES_BY_KEY
from .fmt import esc, fmt_ci, fmt_gbp, style


@dataclass
class Plot:
    name: str  # file name
    title: str
    alt: str
    caption: str
    png: bytes = b""


def _figure(w: float = 10.0, h: float = 5.625, ncols: int = 1, nrows: int = 1, **kw):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes.ravel()


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, metadata={"Software": None})
    return buf.getvalue()


def _rc():
    import matplotlib

    return matplotlib.rc_context({
        "font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "legend.fontsize": 10,
        "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.color": "0.88",
        "grid.linewidth": 0.6, "hatch.linewidth": 0.8, "axes.axisbelow": True,
    })


def _matrix(ts: pd.DataFrame, name: str, col: str) -> tuple[np.ndarray, np.ndarray]:
    """(weeks, values[replicate, week]) of one column for one scenario."""
    d = ts[ts.scenario == name].pivot(index="replicate", columns="week", values=col).sort_index()
    return d.columns.to_numpy(), d.to_numpy(dtype=float)


def _rolling(m: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over ``window`` weeks (shorter at the start), per replicate."""
    if window <= 1:
        return m
    return pd.DataFrame(m.T).rolling(window, min_periods=1).mean().to_numpy().T


def _band(m: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Mean over replicates (rows) and its pointwise 95% t-interval (None with one replicate)."""
    mean = m.mean(axis=0)
    r = m.shape[0]
    if r < 2:
        return mean, None, None
    half = t_quantile(r - 1) * m.std(axis=0, ddof=1) / math.sqrt(r)
    return mean, mean - half, mean + half


def _line(ax, i: int, x, mean, lo, hi, label: str) -> None:
    colour, ls, marker, _ = style(i)
    every = max(1, len(x) // 8)
    ax.plot(x, mean, color=colour, linestyle=ls, marker=marker, markevery=(i % every, every), markersize=6,
            linewidth=1.8, label=label, markerfacecolor="white" if i % 2 else colour)
    if lo is not None:
        ax.fill_between(x, lo, hi, color=colour, alpha=0.13, linewidth=0)
        for edge in (lo, hi):
            ax.plot(x, edge, color=colour, linestyle=ls, linewidth=0.6, alpha=0.8)


def _note(fig, comp: Comparison, extra: str = "", what: str = "Bands") -> None:
    r = comp.cfg.simulation.replicates
    band = (f"{what}: 95% interval of the mean over {r} replicates." if r > 1
            else f"One replicate: no {what.lower()}.")
    fig.supxlabel(f"{band} {extra}spsim {__version__}.", x=0.995, ha="right", fontsize=8, color="0.3")


def _timeseries_plot(comp: Comparison, name: str, panels: list[dict], title: str, caption: str) -> Plot:
    """One figure with a panel per series: every scenario's mean line with its band."""
    ts = comp.timeseries
    names = [s.name for s in comp.scenarios]
    pop = comp.cfg.population.size
    with _rc():
        fig, axes = _figure(ncols=len(panels))
        summaries = []
        for ax, p in zip(axes, panels, strict=True):
            parts = []
            for i, n in enumerate(names):
                weeks, m = _matrix(ts, n, p["col"])
                m = _rolling(m * p.get("scale", 1.0) * (1000.0 / pop if p.get("per_1000") else 1.0),
                             min(p.get("window", 1), m.shape[1]))
                mean, lo, hi = _band(m)
                _line(ax, i, weeks, mean, lo, hi, n)
                parts.append(f"{n} {p['fmt'](float(np.mean(mean)))}")
            ax.set_title(p["title"])
            ax.set_xlabel("Week (after burn-in)")
            ax.set_ylabel(p["ylabel"])
            if p.get("zero"):
                ax.set_ylim(bottom=0)
            summaries.append(f"{p['title']}, mean over the period: " + "; ".join(parts) + ".")
        axes[0].legend(title="Scenario", loc="best", frameon=True, framealpha=0.9)
        fig.suptitle(title, fontsize=13, fontweight="bold")
        _note(fig, comp)
        png = _png(fig)
    weeks_total = comp.cfg.simulation.weeks
    alt = (f"Line chart{'s' if len(panels) > 1 else ''}: {title}, weeks 1 to {weeks_total}, one line per scenario "
           f"({', '.join(names)}), each with a shaded 95% band. " + " ".join(summaries))
    return Plot(name, title, alt, caption, png)


def _diff_over_time_plot(comp: Comparison) -> Plot:
    """Paired differences from the baseline, week by week."""
    ts = comp.timeseries
    names = [s.name for s in comp.scenarios]
    pop = comp.cfg.population.size
    window = min(4, comp.cfg.simulation.weeks)
    panels = [
        ("lonely_share", 100.0, 1, "Share lonely", "Difference (percentage points)", lambda v: f"{v:+.2f} pp"),
        ("gp_consultations", 1000.0 / pop, window, "GP consultations",
         f"Difference per 1,000 residents per week\n({window}-week average)", lambda v: f"{v:+.2f}"),
    ]
    title = "Difference from the baseline, same residents and same luck"
    with _rc():
        fig, axes = _figure(ncols=len(panels))
        summaries = []
        for ax, (col, scale, win, ptitle, ylabel, f) in zip(axes, panels, strict=True):
            weeks, base = _matrix(ts, names[0], col)
            parts = []
            for i, n in enumerate(names[1:], start=1):
                _, m = _matrix(ts, n, col)
                d = _rolling((m - base) * scale, win)
                mean, lo, hi = _band(d)
                _line(ax, i, weeks, mean, lo, hi, n)
                parts.append(f"{n} {f(float(np.mean(mean)))}")
            ax.axhline(0, color="black", linewidth=1.0)
            ax.set_title(f"{ptitle}: scenario minus {names[0]}")
            ax.set_xlabel("Week (after burn-in)")
            ax.set_ylabel(ylabel)
            summaries.append(f"{ptitle}, mean difference over the period: " + "; ".join(parts) + ".")
        axes[0].legend(title="Scenario", loc="best", frameon=True, framealpha=0.9)
        fig.suptitle(title, fontsize=13, fontweight="bold")
        _note(fig, comp, "Below zero: fewer than the baseline. ")
        png = _png(fig)
    alt = (f"Line charts: {title}, weeks 1 to {comp.cfg.simulation.weeks}, one line per scenario compared with "
           f"{names[0]}, with a horizontal line at zero and shaded 95% bands. " + " ".join(summaries))
    caption = (f"Week-by-week difference from <b>{esc(names[0])}</b> for the same replicate (same residents, same "
               f"luck), averaged over replicates. GP consultations are a {window}-week moving average.")
    return Plot("plot_difference_over_time.png", title, alt, caption, png)


def _row(comp: Comparison, name: str, key: str) -> pd.Series:
    t = comp.table
    return t[(t.scenario == name) & (t.outcome == key)].iloc[0]


def _forest_plot(comp: Comparison) -> Plot:
    """At a glance: each scenario's difference from the baseline, one panel per headline outcome."""
    names = [s.name for s in comp.scenarios]
    others = names[1:]
    panels = [
        ("lonely_share", "Share lonely", "percentage points", 100.0, "diff"),
        ("gp_per_1000_year", "GP consultations", "per 1,000 residents\nper year", 1.0, "diff"),
        ("ae_per_1000_year", "A&E attendances", "per 1,000 residents\nper year", 1.0, "diff"),
        ("net_cost", "Net cost", "£ thousand\nper year", 1e-3, "value"),
    ]
    title = f"Difference from {names[0]}, with 95% intervals"
    with _rc():
        fig, axes = _figure(w=10.0, h=max(3.2, 1.6 + 0.55 * len(others)), ncols=len(panels), sharey=True)
        summaries = []
        y = np.arange(len(others))[::-1]
        for ax, (key, ptitle, unit, scale, which) in zip(axes, panels, strict=True):
            parts = []
            for j, n in enumerate(others):
                r = _row(comp, n, key)
                m, lo, hi = ((r.diff_mean, r.diff_ci_low, r.diff_ci_high) if which == "diff"
                             else (r["mean"], r.ci_low, r.ci_high))
                colour, _, marker, _ = style(j + 1)
                err = None
                if math.isfinite(lo) and math.isfinite(hi):
                    err = [[(m - lo) * scale], [(hi - m) * scale]]
                ax.errorbar([m * scale], [y[j]], xerr=err, fmt=marker, color=colour, markersize=8, capsize=5,
                            elinewidth=1.6, markerfacecolor="white" if (j + 1) % 2 else colour)
                kind = OUTCOMES_BY_KEY[key].kind
                v, ci = fmt_ci(kind, m, lo, hi, diff=(which == "diff"))
                parts.append(f"{n} {v}" + (f" ({ci})" if ci else ""))
            ax.axvline(0, color="black", linewidth=1.0)
            ax.set_title(ptitle)
            ax.set_xlabel(unit)
            ax.margins(x=0.25)
            summaries.append(f"{ptitle} ({unit.replace(chr(10), ' ')}): " + "; ".join(parts) + ".")
        axes[0].set_yticks(y, others)
        axes[0].set_ylim(-0.7, len(others) - 0.3)
        fig.suptitle(title, fontsize=13, fontweight="bold")
        _note(fig, comp, "Left of zero: less than the baseline. ", what="Whiskers")
        png = _png(fig)
    alt = (f"Dot-and-whisker chart: {title}. One row per scenario, one panel per outcome, a vertical line at "
           "zero. " + " ".join(summaries))
    caption = ("Each dot is the average difference from the baseline over paired replicates; whiskers are 95% "
               "intervals. A whisker crossing zero means the model cannot tell the scenario apart from the "
               "baseline on that outcome with this many replicates. Net cost is extra spend minus GP and A&E "
               "cost avoided.")
    return Plot("plot_differences.png", title, alt, caption, png)


def _costs_plot(comp: Comparison) -> Plot:
    """Grouped bars per scenario: extra spend, GP and A&E cost avoided, net cost (with intervals)."""
    names = [s.name for s in comp.scenarios][1:]
    bars = [
        ("extra_spend", "Extra service spend", "0.85", "//"),
        ("savings", "GP and A&E cost avoided", "0.6", ".."),
        ("net_cost", "Net cost", "0.25", ""),
    ]
    title = "Costs per year compared with the baseline"
    with _rc():
        fig, axes = _figure(w=10.0, h=max(3.6, 1.8 + 0.9 * len(names)))
        ax = axes[0]
        height = 0.26
        parts = []
        for k, (key, label, shade, hatch) in enumerate(bars):
            ys, xs, errs = [], [], []
            for j, n in enumerate(names):
                r = _row(comp, n, key)
                ys.append(len(names) - 1 - j + (1 - k) * height)
                xs.append(r["mean"] / 1000)
                lo, hi = r.ci_low, r.ci_high
                errs.append((0.0, 0.0) if not (math.isfinite(lo) and math.isfinite(hi))
                            else ((r["mean"] - lo) / 1000, (hi - r["mean"]) / 1000))
            ax.barh(ys, xs, height=height * 0.95, color=shade, edgecolor="black", hatch=hatch, label=label,
                    xerr=np.array(errs).T, capsize=3, error_kw={"elinewidth": 1.0})
        for n in names:
            v = {key: _row(comp, n, key) for key, *_ in bars}
            parts.append(f"{n}: extra spend {fmt_gbp(v['extra_spend']['mean'])}, cost avoided "
                         f"{fmt_gbp(v['savings']['mean'])}, net cost {fmt_gbp(v['net_cost']['mean'])} a year.")
        ax.axvline(0, color="black", linewidth=1.0)
        ax.set_yticks(range(len(names))[::-1], names)
        ax.set_xlabel("£ thousand per year")
        ax.legend(loc="best", frameon=True, framealpha=0.9)
        fig.suptitle(title, fontsize=13, fontweight="bold")
        _note(fig, comp, what="Whiskers")
        png = _png(fig)
    alt = ("Horizontal bar chart: " + title + ". For each scenario three bars, extra service spend (light, "
           "diagonal hatching), GP and A&E cost avoided (mid grey, dotted) and net cost (dark). " + " ".join(parts))
    caption = ("Extra service spend is the scenario's spend (link-worker pay with on-costs, grants and other service "
               "costs) minus the baseline's; cost avoided values the GP consultations and A&E attendances the "
               "scenario avoids at unit costs; net cost is the difference.")
    return Plot("plot_costs.png", title, alt, caption, png)



def make_plots(comp: Comparison) -> list[Plot]:
    pop = comp.cfg.population.size
    window = min(4, comp.cfg.simulation.weeks)
    pct = lambda v: f"{v:.1f}%"  # noqa: E731
    one = lambda v: f"{v:,.1f}"  # noqa: E731
    plots = []
    if len(comp.scenarios) > 1:
        plots.append(_forest_plot(comp))
        plots.append(_costs_plot(comp))
        plots.append(_diff_over_time_plot(comp))
    plots += [
        _timeseries_plot(comp, "plot_lonely.png", [
            dict(col="lonely_share", scale=100.0, title="Share of residents lonely", ylabel="% of residents",
                 fmt=pct)], "Loneliness over time",
            "Share of all residents often or always lonely at the end of each week."),
        _timeseries_plot(comp, "plot_gp_ae.png", [
            dict(col="gp_consultations", per_1000=True, window=window, title="GP consultations",
                 ylabel=f"per 1,000 residents per week\n({window}-week average)", fmt=one),
            dict(col="ae_attendances", per_1000=True, window=window, title="A&E attendances",
                 ylabel=f"per 1,000 residents per week\n({window}-week average)", fmt=one)],
            "GP and A&E demand over time",
            f"Weekly GP consultations given and A&E attendances per 1,000 residents, {window}-week moving averages "
            f"({pop:,} residents)."),
        _timeseries_plot(comp, "plot_link_work.png", [
            dict(col="lw_waiting", title="Waiting for a link worker", ylabel="residents", fmt=one, zero=True),
            dict(col="lw_active_clients", title="On a link-worker caseload", ylabel="residents", fmt=one,
                 zero=True)],
            "Link-work waiting list and caseload over time",
            "Residents on the waiting list and on a link worker's caseload at the end of each week."),
        _timeseries_plot(comp, "plot_community.png", [
            dict(col="groups_active", title="Active community groups", ylabel="groups", fmt=one, zero=True),
            dict(col="volunteers", title="Group volunteers", ylabel="residents", fmt=one, zero=True)],
            "Community groups and volunteers over time",
            "Open community groups and residents volunteering for them at the end of each week."),
    ]
    return plots


