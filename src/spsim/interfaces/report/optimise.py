"""The ``spsim optimise`` page: the Pareto front of lever mixes within a budget, as a table and a
plot, in one self-contained HTML file."""

from __future__ import annotations

import base64
import math

from ... import __version__
from ...studies.optimise import LEVER_LABELS, LEVERS, Optimisation, unit_costs
from .fmt import esc, fmt_gbp, png_size
from .page import SCRIPT, Report, html_head
from .plots import Plot, _figure, _png, _rc


def _front_plot(opt: Optimisation) -> Plot:
    f = opt.frame()
    front = f[f.pareto].sort_values("planned_cost_gbp")
    rest = f[~f.pareto]
    panels = [("lonely_py_avoided", "Lonely person-years avoided", "person-years per year"),
              ("gp_avoided", "GP consultations avoided", "consultations per year")]
    title = f"Mixes of levers within {fmt_gbp(opt.budget)} a year: the Pareto front"
    with _rc():
        fig, axes = _figure(ncols=2)
        for ax, (key, ptitle, unit) in zip(axes, panels, strict=True):
            ax.scatter(rest.planned_cost_gbp / 1000, rest[key], marker="x", color="0.55",
                       label="other mixes tried (within budget)")
            err = [front[key] - front[f"{key}_ci_low"], front[f"{key}_ci_high"] - front[key]]
            ax.errorbar(front.planned_cost_gbp / 1000, front[key], yerr=err, fmt="o", color="#0072B2",
                        markerfacecolor="white", capsize=4, label="Pareto front (95% interval)")
            ax.axvline(opt.budget / 1000, color="black", linestyle="--", linewidth=1.0)
            ax.axhline(0, color="black", linewidth=0.8)
            ax.set_title(ptitle)
            ax.set_xlabel("planned cost, £ thousand per year")
            ax.set_ylabel(unit)
        axes[0].legend(loc="best", frameon=True, framealpha=0.9)
        fig.suptitle(title, fontsize=13, fontweight="bold")
        fig.supxlabel(f"Dashed line: the budget. Whiskers: 95% interval over {opt.replicates} paired replicates. "
                      f"spsim {__version__}.", x=0.995, ha="right", fontsize=8, color="0.3")
        png = _png(fig)
    parts = "; ".join(f"£{r.planned_cost_gbp:,.0f}: {r.lonely_py_avoided:.1f} lonely person-years and "
                      f"{r.gp_avoided:.0f} GP consultations avoided" for r in front.itertuples())
    alt = (f"Two scatter charts against planned cost: lonely person-years avoided and GP consultations avoided a "
           f"year, {len(f)} mixes tried, {len(front)} on the Pareto front shown as circles with whiskers, others as "
           f"grey crosses, a dashed line at the budget. Front: {parts}.")
    caption = ("Each point is one mix of link workers, community development, grants and connectors. Circles are the "
               "Pareto front: no other mix tried costs less and avoids more of both. Differences are paired with the "
               "same place without any of the four levers.")
    return Plot("plot_pareto.png", title, alt, caption, png)


def _ci(m: float, lo: float, hi: float, d: int = 1) -> str:
    if not math.isfinite(m):
        return "&ndash;"
    ci = f'<span class="ci">{lo:,.{d}f} to {hi:,.{d}f}</span>' if math.isfinite(lo) and hi > lo else ""
    return f"{m:,.{d}f}{ci}".replace("-", "\u2212")


def build_optimise_report(opt: Optimisation, source: str) -> Report:
    plot = _front_plot(opt)
    front = opt.front()
    u = unit_costs(opt.cfg)
    head = ['<th scope="col">Mix</th>']
    head += [f'<th scope="col">{esc(LEVER_LABELS[k])}</th>' for k in LEVERS]
    head += ['<th scope="col">Planned cost<span class="unit">£ a year</span></th>',
             '<th scope="col">Simulated spend<span class="unit">£ a year</span></th>',
             '<th scope="col">Lonely person-years avoided<span class="unit">a year (95% interval)</span></th>',
             '<th scope="col">GP consultations avoided<span class="unit">a year (95% interval)</span></th>',
             '<th scope="col">Cost per lonely person-year avoided<span class="unit">£</span></th>']
    body = []
    for i, r in enumerate(front.itertuples(), start=1):
        cpl = r.planned_cost_gbp / r.lonely_py_avoided if r.lonely_py_avoided > 0 else math.nan
        cells = [f'<th scope="row">{i}<span class="unit">trial {r.trial}</span></th>',
                 f"<td>{r.link_worker_fte:.1f}</td>", f"<td>{r.development_fte:.1f}</td>",
                 f"<td>{esc(fmt_gbp(r.grants_gbp))}</td>", f"<td>{int(r.connectors):,}</td>",
                 f"<td>{esc(fmt_gbp(r.planned_cost_gbp))}</td>", f"<td>{esc(fmt_gbp(r.simulated_spend_gbp))}</td>",
                 f"<td>{_ci(r.lonely_py_avoided, r.lonely_py_avoided_ci_low, r.lonely_py_avoided_ci_high)}</td>",
                 f"<td>{_ci(r.gp_avoided, r.gp_avoided_ci_low, r.gp_avoided_ci_high, 0)}</td>",
                 f"<td>{esc(fmt_gbp(cpl)) if math.isfinite(cpl) else '&ndash;'}</td>"]
        body.append("<tr>" + "".join(cells) + "</tr>")
    data = base64.b64encode(plot.png).decode("ascii")
    w, h = png_size(plot.png)
    sim = opt.cfg.simulation
    html_text = html_head(f"Budget search: {fmt_gbp(opt.budget)} a year") + f"""
<body>
<header>
<h1>What {esc(fmt_gbp(opt.budget))} a year buys</h1>
<p class="lede">Mixes of link workers, community development, grants to groups and community connectors for
<code>{esc(source)}</code> ({opt.cfg.population.size:,} residents, {sim.weeks} weeks after a {sim.burn_in_weeks}-week
burn-in, {opt.replicates} replicate(s) per mix), searched with NSGA-II (optuna): {len(opt.trials)} mixes in
{opt.generations} generation(s) of {opt.population_size}. Outcomes are compared with the same place without any of the
four levers, on the same residents and luck.</p>
</header>
<main>
<section id="front">
<h2>The Pareto front</h2>
<div class="scroll"><table><caption>Mixes no other mix tried beats on cost, lonely person-years avoided and GP
consultations avoided at once, cheapest first</caption><thead><tr>{''.join(head)}</tr></thead>
<tbody>{''.join(body)}</tbody></table></div>
<figure><img src="data:image/png;base64,{data}" width="{w}" height="{h}" alt="{esc(plot.alt)}">
<figcaption><b>{esc(plot.title)}.</b> {plot.caption} Also saved as <code>{plot.name}</code>.</figcaption></figure>
</section>
<section id="reading">
<h2>Reading this page</h2>
<p>Planned cost is what a commissioner commits: link-worker FTE &times; {esc(fmt_gbp(u['link_worker_fte']))},
community-development FTE &times; {esc(fmt_gbp(u['development_fte']))} (salaries with on-costs), the grant budget, and
connectors &times; {esc(fmt_gbp(u['connectors']))} a year (an assumption: no published unit cost). Simulated spend is
what the model paid out (grants are paid only to groups short of funds; connectors stop over time), so it can be lower.
</p>
<p>The front is picked on the replicates' means, so with {opt.replicates} replicate(s) it is optimistic: the best of
many noisy estimates looks better than it is. Intervals cover replicate noise only, not uncertainty about the model's
assumptions. Before committing money, re-run the mixes you are considering with <code>spsim compare</code> and
<code>--replicates 10</code> or more. Every mix is in <code>trials.csv</code>, the front in
<code>pareto.csv</code>.</p>
</section>
</main>
<script>{SCRIPT}</script>
</body>
</html>
"""
    return Report(html=html_text, plots={plot.name: plot.png}, text_summary="")
