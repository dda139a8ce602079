"""The planners' report for ``spsim compare``: number formatting, plots and one self-contained HTML page.

The page is built with plain string templates; plots are matplotlib (Agg) PNGs embedded as base64,
so ``report.html`` opens offline and can be forwarded as a single file. The same PNGs are written
beside it for slides. Every plot tells scenarios apart by line style, marker and hatch as well as
colour (Okabe-Ito palette), so it survives grey-scale printing; every image has alt text; every
table names its units; numbers are written for people (thousands separators, sensible decimals, £).
"""

from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import __version__
from ..studies.compare import OUTCOMES, Comparison, Outcome, differing_parameters, t_quantile

MINUS = "\u2212"
DASH = "\u2013"  # shown where a number does not exist (e.g. a wait with nobody taken on)

#: (colour, line style, marker, hatch) per scenario, baseline first; distinct without colour
STYLES = [
    ("#000000", "-", "o", ""),
    ("#0072B2", "--", "s", "//"),
    ("#D55E00", ":", "^", ".."),
    ("#009E73", "-.", "D", "xx"),
    ("#CC79A7", (0, (5, 1, 1, 1, 1, 1)), "v", "\\\\"),
    ("#E69F00", (0, (1, 3)), "P", "++"),
    ("#56B4E9", (0, (8, 3)), "X", "oo"),
]


def style(i: int) -> tuple:
    return STYLES[i % len(STYLES)]


# ============================================================================ formatting
def _decimals(x: float) -> int:
    a = abs(x)
    if a >= 100 or a == 0:
        return 0
    if a >= 1:
        return 1
    if a >= 0.1:
        return 2
    return 3


def _num(x: float, d: int, signed: bool = False, prefix: str = "", suffix: str = "") -> str:
    if x is None or not math.isfinite(x):
        return DASH
    text = f"{abs(x):,.{d}f}"
    zero = float(text.replace(",", "")) == 0
    sign = "" if zero else (MINUS if x < 0 else ("+" if signed else ""))
    return f"{sign}{prefix}{text}{suffix}"


def _scale(kind: str) -> float:
    return 100.0 if kind == "share" else 1.0


def _shared_decimals(kind: str, mean: float, lo: float, hi: float) -> int:
    if kind == "ratio":
        return 2
    if kind == "gbp":
        return 0 if not math.isfinite(mean) or mean == 0 or abs(mean) >= 10 else 2
    s = _scale(kind)
    if not math.isfinite(mean):
        return 0
    d = _decimals(mean * s)
    if kind == "weeks":
        d = max(d, 1)
    if math.isfinite(lo) and math.isfinite(hi) and hi > lo:
        # enough decimals to show the interval's half-width to one significant figure, at most one more
        half = (hi - lo) * s / 2
        d = min(max(d, -math.floor(math.log10(half))), d + 1)
    return max(0, min(d, 3))


def fmt(kind: str, x: float, d: int, diff: bool = False) -> str:
    """One number of an outcome of this kind: 6.3%, +0.21 pp, 5,023, £97,280, £0.12."""
    if kind == "share":
        return _num(100 * x, d, signed=diff, suffix=" pp" if diff else "%")
    if kind in ("gbp", "ratio"):
        return _num(x, d, signed=diff, prefix="£")
    return _num(x, d, signed=diff)


def fmt_ci(kind: str, mean: float, lo: float, hi: float, diff: bool = False) -> tuple[str, str]:
    """(value, "low to high") formatted alike; the interval is '' when it does not exist."""
    d = _shared_decimals(kind, mean, lo, hi)
    value = fmt(kind, mean, d, diff)
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo == hi:
        return value, ""  # no interval: one replicate, or the same in every replicate
    return value, f"{fmt(kind, lo, d, diff)} to {fmt(kind, hi, d, diff)}"


def fmt_gbp(x: float) -> str:
    return _num(x, 0 if x == 0 or abs(x) >= 10 else 2, prefix="£")


def fmt_int(x: float) -> str:
    return _num(x, 0)


def esc(x) -> str:
    return html.escape(str(x), quote=True)


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


# ============================================================================ plots
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


OUTCOMES_BY_KEY = {o.key: o for o in OUTCOMES}


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


# ============================================================================ HTML
CSS = """
:root { --ink: #111; --muted: #444; --rule: #bbb; --shade: #f1f1f1; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1080px; padding: 24px 28px 48px; line-height: 1.45; background: #fff; }
h1 { font-size: 1.9rem; margin: 0 0 .3rem; }
h2 { font-size: 1.35rem; margin: 2.2rem 0 .6rem; border-bottom: 2px solid var(--ink); padding-bottom: .2rem; }
h3 { font-size: 1.1rem; margin: 1.3rem 0 .4rem; }
p.lede { font-size: 1.05rem; color: var(--muted); margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 .4rem; font-size: .92rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border-bottom: 1px solid var(--rule); padding: .35rem .5rem; vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); text-align: right; font-weight: 600; }
thead th:first-child, tbody th { text-align: left; }
tbody th { font-weight: 600; min-width: 12em; }
tbody tr:nth-child(even) { background: var(--shade); }
td { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.diff { border-left: 1px dashed var(--rule); }
.unit { display: block; font-weight: 400; font-size: .82rem; color: var(--muted); }
.ci { display: block; font-size: .8rem; color: var(--muted); }
.note { font-size: .88rem; color: var(--muted); }
.box { border: 1px solid var(--ink); padding: .6rem 1rem; margin: .8rem 0; }
figure { margin: 1.4rem 0; break-inside: avoid; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { font-size: .9rem; color: var(--muted); margin-top: .3rem; }
ul.findings li { margin: .25rem 0; }
code { font-size: .88em; }
.broken { border: 2px dashed #000; padding: .5rem; }
@media print { body { max-width: none; padding: 0; } h2 { break-after: avoid; } table, figure { break-inside: avoid; } }
"""

SCRIPT = """
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images), ok = 0;
  imgs.forEach(function (img) {
    if (img.complete && img.naturalWidth > 0) { ok++; }
    else { img.insertAdjacentHTML('afterend', '<p class="broken">This chart could not be displayed.</p>'); }
  });
  document.body.setAttribute('data-images-total', String(imgs.length));
  document.body.setAttribute('data-images-ok', String(ok));
  // where each chart is drawn on the page (x,y,width,height in CSS pixels), for the browser test
  document.body.setAttribute('data-image-boxes', imgs.map(function (img) {
    var r = img.getBoundingClientRect();
    return [r.left + img.clientLeft, r.top + window.scrollY + img.clientTop, img.clientWidth, img.clientHeight]
      .map(Math.round).join(',');
  }).join(';'));
});
"""


@dataclass
class Report:
    html: str
    plots: dict[str, bytes] = field(default_factory=dict)
    text_summary: str = ""


def _cell(kind: str, mean: float, lo: float, hi: float, diff: bool = False, cls: str = "") -> str:
    value, ci = fmt_ci(kind, mean, lo, hi, diff)
    c = f' class="{cls}"' if cls else ""
    ci_html = f'<span class="ci">{esc(ci)}</span>' if ci else ""
    return f"<td{c}>{esc(value)}{ci_html}</td>"


def _unit_of(o: Outcome, diff: bool = False) -> str:
    if o.kind == "share":
        return "percentage points (pp)" if diff else o.unit
    return o.unit


def _note_for(comp: Comparison, o: Outcome) -> str:
    """The row's note; for 'other service costs', what they are (from the model's column meanings)."""
    if o.key != "cost_other_service":
        return o.note
    from ..model.outcomes import COLUMNS
    from ..studies.compare import GRANTS_COST, LINK_WORKER_COST

    other = [c for c in comp.service_cost_columns if c not in (LINK_WORKER_COST, GRANTS_COST)]
    return "; ".join(COLUMNS.get(c, ("", c))[1].removesuffix(" this week") for c in other)


def _outcome_table(comp: Comparison, outcomes: list[Outcome], caption: str) -> str:
    names = [s.name for s in comp.scenarios]
    head = ['<th scope="col">Outcome <span class="unit">unit</span></th>']
    for i, n in enumerate(names):
        role = "baseline" if i == 0 else "scenario"
        head.append(f'<th scope="col">{esc(n)}<span class="unit">{role}: mean (95% interval)</span></th>')
        if i:
            head.append(f'<th scope="col">{esc(n)} vs {esc(names[0])}<span class="unit">difference (95% interval, '
                        "paired)</span></th>")
    body = []
    for o in outcomes:
        unit = esc(_unit_of(o))
        if o.kind == "share":
            unit += "; differences in percentage points (pp)"
        note = f"; {esc(_note_for(comp, o))}" if _note_for(comp, o) else ""
        cells = [f'<th scope="row">{esc(o.label)}<span class="unit">{unit}{note}</span></th>']
        for i, n in enumerate(names):
            r = _row(comp, n, o.key)
            if o.vs_baseline:
                if i == 0:
                    cells.append(f"<td>{DASH}</td>")
                else:
                    cells.append(_cell(o.kind, r["mean"], r.ci_low, r.ci_high, diff=False).replace(
                        "<td>", '<td colspan="2">', 1))
                continue
            cells.append(_cell(o.kind, r["mean"], r.ci_low, r.ci_high))
            if i:
                cells.append(_cell(o.kind, r.diff_mean, r.diff_ci_low, r.diff_ci_high, diff=True, cls="diff"))
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<table><caption>{esc(caption)}</caption><thead><tr>{''.join(head)}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def _verdict(o: Outcome, lo: float, hi: float, reps: int) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "no interval with one replicate" if reps < 2 else ""
    if lo <= 0 <= hi:
        return f"the model cannot tell this apart from no difference with {reps} replicates"
    up = lo > 0
    if o.better == 0:
        return "higher" if up else "lower"
    good = (up and o.better > 0) or (not up and o.better < 0)
    return ("higher" if up else "lower") + (", better" if good else ", worse")


def _finding(comp: Comparison, name: str, key: str, per_place: str = "") -> str:
    o = OUTCOMES_BY_KEY[key]
    base = comp.scenarios[0].name
    r, b = _row(comp, name, key), _row(comp, base, key)
    d = _shared_decimals(o.kind, r["mean"], r.ci_low, r.ci_high)
    d = max(d, _shared_decimals(o.kind, b["mean"], b.ci_low, b.ci_high))
    if math.isfinite(r.diff_mean) and r.diff_mean != 0:  # enough decimals for the levels to show the difference
        d = max(d, min(_shared_decimals(o.kind, r.diff_mean, math.nan, math.nan), d + 1))
    diff, ci = fmt_ci(o.kind, r.diff_mean, r.diff_ci_low, r.diff_ci_high, diff=True)
    verdict = _verdict(o, r.diff_ci_low, r.diff_ci_high, comp.cfg.simulation.replicates)
    unit = "" if o.kind == "share" else f" {o.unit}"
    text = (f"<b>{esc(o.label)}</b>: {esc(fmt(o.kind, r['mean'], d))}{esc(unit)} against "
            f"{esc(fmt(o.kind, b['mean'], d))} in {esc(base)}, a difference of {esc(diff)}")
    if ci:
        text += f" (95% interval {esc(ci)})"
    if per_place and math.isfinite(r.diff_mean):
        text += f", {per_place}"
    if verdict:
        text += f": {esc(verdict)}"
    return text + "."


def _in_place(x: float, what: str, where: str) -> str:
    """'about 388 fewer consultations a year in the place' (or 'fewer than one ...')."""
    if not math.isfinite(x):
        return ""
    n = round(abs(x))
    if n == 0:
        return f"less than one {what} either way{where}"
    return f"about {n:,} {'fewer' if x < 0 else 'more'} {what}{'s' if n != 1 else ''}{where}"


def _findings(comp: Comparison) -> tuple[str, list[str]]:
    """Plain-language bullets per scenario (HTML) and the same as plain text lines."""
    base = comp.scenarios[0].name
    pop = comp.cfg.population.size
    out_html, out_text = [], []
    for sc in comp.scenarios[1:]:
        n = sc.name
        items = []
        gp = _row(comp, n, "gp_per_1000_year")
        ae = _row(comp, n, "ae_per_1000_year")
        lonely = _row(comp, n, "lonely_share")
        items.append(_finding(comp, n, "lonely_share",
                              _in_place(lonely.diff_mean * pop, "lonely resident", f" in a place of {pop:,}")))
        items.append(_finding(comp, n, "gp_per_1000_year",
                              _in_place(gp.diff_mean * pop / 1000, "consultation", " a year in the place")))
        items.append(_finding(comp, n, "ae_per_1000_year",
                              _in_place(ae.diff_mean * pop / 1000, "attendance", " a year")))
        items.append(_finding(comp, n, "clients_supported_per_year"))
        w = _row(comp, n, "lw_wait_weeks")
        if math.isfinite(w["mean"]):
            v, ci = fmt_ci("weeks", w["mean"], w.ci_low, w.ci_high)
            items.append(f"<b>Wait for a link worker</b>: {esc(v)} weeks on average"
                         + (f" (95% interval {esc(ci)})" if ci else "") + ".")
        ex, sv, net, rpp = (_row(comp, n, k) for k in ("extra_spend", "savings", "net_cost", "return_per_pound"))
        cost = (f"<b>Money</b>: extra service spend {esc(fmt_gbp(ex['mean']))} a year; GP and A&E cost avoided "
                f"{esc(fmt_gbp(sv['mean']))} a year")
        _, sv_ci = fmt_ci("gbp", sv["mean"], sv.ci_low, sv.ci_high)
        if sv_ci:
            cost += f" (95% interval {esc(sv_ci)})"
        cost += f"; net cost {esc(fmt_gbp(net['mean']))} a year"
        if math.isfinite(rpp["mean"]):
            cost += (f"; each £1 of extra spend avoids {esc(fmt('ratio', rpp['mean'], 2))} of GP and A&E activity "
                     f"(a return {'above' if rpp['mean'] >= 1 else 'below'} £1 means the NHS activity avoided is "
                     f"worth {'more' if rpp['mean'] >= 1 else 'less'} than the spend)")
        out_html.append(f"<h3>{esc(n)} compared with {esc(base)}</h3><ul class=\"findings\">"
                        + "".join(f"<li>{i}</li>" for i in items + [cost + "."]) + "</ul>")
        import re

        strip = lambda s: html.unescape(re.sub(r"<[^>]+>", "", s))  # noqa: E731
        out_text.append(f"{n} vs {base}:")
        out_text.extend("  " + strip(i) for i in items + [cost + "."])
    return "".join(out_html), out_text


def _fmt_param(v) -> str:
    if isinstance(v, float):
        return f"{v:,g}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def _method(comp: Comparison) -> str:
    base = comp.scenarios[0]
    sim = comp.cfg.simulation
    rows = []
    for i, sc in enumerate(comp.scenarios):
        if i == 0:
            what = "the baseline"
        else:
            diffs = differing_parameters(base.cfg, sc.cfg)
            what = ", ".join(f"<code>{esc(k)}</code> {esc(_fmt_param(a))} &rarr; {esc(_fmt_param(b))}"
                             for k, a, b in diffs) or "no parameter differs from the baseline"
        rows.append(f'<tr><th scope="row">{esc(sc.name)}</th><td style="text-align:left;white-space:normal">'
                    f"<code>{esc(sc.source)}</code></td><td style=\"text-align:left;white-space:normal\">{what}"
                    "</td></tr>")
    shared = ""
    if comp.overrides or comp.overlays:
        items = [f"overlay <code>{esc(o)}</code>" for o in comp.overlays]
        items += [f"<code>--set {esc(o)}</code>" for o in comp.overrides]
        shared = f"<p>Applied to every scenario: {', '.join(items)}.</p>"
    adjusted = [(sc, k, a, b) for sc in comp.scenarios for k, a, b in sc.adjusted]
    if adjusted:
        adj = ("<p><b>Adjusted to match the baseline.</b> For common random numbers every scenario must have the same "
               "seed, replicates, weeks, burn-in and population size; these values were taken from the baseline "
               "instead of the scenario file:</p><ul>"
               + "".join(f"<li>{esc(sc.name)}: <code>{esc(k)}</code> = {esc(_fmt_param(b))} (the file gives "
                         f"{esc(_fmt_param(a))})</li>" for sc, k, a, b in adjusted) + "</ul>")
    else:
        adj = ("<p>Every scenario file already had the baseline's seed, replicates, weeks, burn-in and population "
               "size, so nothing was adjusted.</p>")
    costs = comp.cfg.costs
    lw = comp.cfg.link_workers
    from ..model.scaling import describe, scale_place  # a place run at another size (docs/places.md)

    scaled = [(sc, describe(sc.cfg, scale_place(sc.cfg)[1])) for sc in comp.scenarios]
    scal = "".join(f"<p><b>Scaled.</b> {esc(sc.name)}: {esc(line)}</p>" for sc, line in scaled if line)
    return f"""
<table><caption>Scenarios</caption><thead><tr><th scope="col">Scenario</th>
<th scope="col" style="text-align:left">File</th>
<th scope="col" style="text-align:left">Parameters that differ from the baseline (baseline &rarr; scenario)</th>
</tr></thead>
<tbody>{''.join(rows)}</tbody></table>
{shared}
{adj}
{scal}
<p>Place: {sim.weeks} recorded weeks ({sim.weeks / 52:.1f} years) after a burn-in of {sim.burn_in_weeks} weeks,
{comp.cfg.population.size:,} residents, {sim.replicates} replicate(s) per scenario, root seed {sim.seed}.
Replicate <i>r</i> of every scenario uses <code>numpy.random.SeedSequence({sim.seed}).spawn({sim.replicates})[r]</code>.
Unit costs in the baseline: GP consultation {esc(fmt_gbp(costs.gp_consultation_gbp))}, A&amp;E attendance
{esc(fmt_gbp(costs.ae_attendance_gbp))}, link-worker salary {esc(fmt_gbp(lw.salary_gbp))} a year plus
{lw.on_cost_rate:.0%} on-costs. Made with spsim {esc(__version__)}; the numbers behind every table are in
<code>comparison.csv</code> and each replicate's in <code>replicates.csv</code>.</p>
"""


def _caveats(comp: Comparison) -> str:
    reps = comp.cfg.simulation.replicates
    sim = comp.cfg.simulation
    costs = comp.cfg.costs
    few = ("" if reps >= 10 else
           f" This report has only {reps} replicate(s): treat it as a sketch, and run 10 or more "
           "(<code>--replicates 10</code>) before using it for a decision.")
    return f"""
<h3>What the intervals mean</h3>
<p>The model simulates the place {reps} time(s) per scenario (replicates), each with different luck. Each figure is
the average over the replicates; the 95% interval shows how precisely that many replicates pin the model's average
down (mean &plusmn; t &times; standard error). More replicates narrow it.{few}</p>
<p>Differences from the baseline are worked out replicate by replicate: replicate <i>r</i> of every scenario has the
same residents and the same luck, so the difference shows only what the change of policy did. That is why the
difference can be clear even when the two scenarios' own intervals overlap.</p>
<p>The intervals cover the model's chance variation only. They do not include uncertainty about the model's
assumptions (the parameters marked "assumption" in <code>spsim params</code>), which is larger: a narrow interval
does not mean the real effect is known that precisely. Test the conclusions against other plausible settings.</p>
<h3>Why before-and-after claims overstate the effect</h3>
<p>People are referred to social prescribing when things are at their worst: a crisis, an illness, many GP visits.
Many of them would improve anyway (regression to the mean), so comparing the same people before and after referral
credits the service with that natural recovery. Uncontrolled evaluations have reported falls of 28% in GP demand and
24% in A&amp;E attendances (Polley et al. 2017); controlled studies mostly found smaller or no differences
(Carnes et al. 2017; Kiely et al. 2022). This report does not compare people before and after: it compares the same
simulated place with and without the change, so the differences are not inflated in that way. To see how large the
before-and-after bias is in this model, run <code>spsim evaluate</code>.</p>
<h3>What the costs mean</h3>
<p>GP and A&amp;E costs avoided value the consultations and attendances the model avoids at unit costs
({esc(fmt_gbp(costs.gp_consultation_gbp))} per GP consultation, {esc(fmt_gbp(costs.ae_attendance_gbp))} per A&amp;E
attendance). They are capacity freed for other patients, not cash that can be taken out of budgets. Benefits to
residents themselves (less loneliness, better wellbeing) are not given a money value here, so a return below £1 does
not by itself mean a scheme is not worth having. Figures per year are over the {sim.weeks} weeks recorded after a
{sim.burn_in_weeks}-week burn-in; effects that build slowly (new groups, volunteers) may not have fully shown.</p>
"""


def _grants_note(comp: Comparison) -> str:
    if comp.grants_recorded:
        return ("<p class=\"note\">Grants to community groups are as recorded by the model "
                "(<code>cost_grants_gbp</code>).</p>")
    return ("<p class=\"note\"><b>Grants:</b> this version of the model does not yet simulate grants to community "
            "groups, so grants are shown as £0. When the model records them (column <code>cost_grants_gbp</code>), "
            "this report includes them automatically in service spend, net cost and return per pound.</p>")


def build_report(comp: Comparison) -> Report:
    plots = make_plots(comp)
    for p in plots:
        if not p.png:
            raise RuntimeError(f"plot {p.name} is empty")
    names = [s.name for s in comp.scenarios]
    sim = comp.cfg.simulation
    pop = comp.cfg.population.size
    headline = [o for o in OUTCOMES if o.section == "outcomes"]
    other_cost = comp.table[(comp.table.outcome == "cost_other_service")]["mean"].abs().max()
    cost_rows = [o for o in OUTCOMES if o.section == "costs"
                 and not (o.key == "cost_other_service" and not (other_cost > 0))]
    findings_html, findings_text = _findings(comp)
    by_name = {p.name: p for p in plots}

    def figure(name: str) -> str:
        p = by_name[name]
        data = base64.b64encode(p.png).decode("ascii")
        w, h = png_size(p.png)
        return (f'<figure><img src="data:image/png;base64,{data}" width="{w}" height="{h}" alt="{esc(p.alt)}">'
                f"<figcaption><b>{esc(p.title)}.</b> {p.caption} Also saved as <code>{esc(p.name)}</code>."
                "</figcaption></figure>")

    glance = "".join(figure(n) for n in ("plot_differences.png",) if n in by_name)
    cost_fig = figure("plot_costs.png") if "plot_costs.png" in by_name else ""
    time_figs = "".join(figure(p.name) for p in plots if p.name not in ("plot_differences.png", "plot_costs.png"))
    reps_note = ("" if sim.replicates >= 2 else
                 '<p class="box"><b>One replicate only:</b> no intervals can be computed. Run with '
                 "<code>--replicates 10</code> or more before drawing conclusions.</p>")
    others = ", ".join(f"<b>{esc(n)}</b>" for n in names[1:])
    html_text = f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="spsim {esc(__version__)}">
<title>Scenario comparison: {esc(', '.join(names[1:]))} vs {esc(names[0])}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>Social prescribing scenarios compared</h1>
<p class="lede">{others} compared with the baseline <b>{esc(names[0])}</b>, in a simulated place of {pop:,} residents
over {sim.weeks} weeks ({sim.weeks / 52:.1f} years), {sim.replicates} replicate(s) per scenario. Every scenario has the
same residents and the same luck, so the differences come from the policy alone.</p>
</header>
{reps_note}
<main>
<section id="findings">
<h2>Key findings</h2>
{findings_html}
{glance}
</section>
<section id="outcomes">
<h2>Outcomes</h2>
{_outcome_table(comp, headline, "Outcomes per scenario: mean over replicates (95% interval), and difference "
                                  "from the baseline")}
<p class="note">Rates per year are over the {sim.weeks} recorded weeks. A dash ({DASH}) marks a figure that does not
exist, such as the wait for a link worker in a scenario without link workers. Where no interval is shown the figure
was the same in every replicate (or there is one replicate). Intervals for quantities that cannot be negative are cut
at zero.</p>
</section>
<section id="costs">
<h2>Costs and return</h2>
{_outcome_table(comp, cost_rows, "Costs per year (£), cost per client supported, and the comparison with the baseline")}
{_grants_note(comp)}
<p class="note">Service spend is link-worker pay with on-costs plus grants plus any other service costs the model
records. Net cost = extra service spend &minus; GP and A&amp;E cost avoided. Return per pound = GP and A&amp;E cost
avoided &divide; extra service spend. Cost per client supported = the scenario's service spend &divide; clients it
supported to discharge.</p>
{cost_fig}
</section>
<section id="over-time">
<h2>Over time</h2>
{time_figs}
</section>
<section id="caveats">
<h2>Reading this report</h2>
{_caveats(comp)}
</section>
<section id="method">
<h2>How this comparison was run</h2>
{_method(comp)}
</section>
</main>
<script>{SCRIPT}</script>
</body>
</html>
"""
    return Report(html=html_text, plots={p.name: p.png for p in plots}, text_summary="\n".join(findings_text))
