"""The whole page: one self-contained HTML file (CSS and a few lines of script inline, charts as
base64 PNGs), readable at phone width."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from ... import __version__
from ...studies.compare import Comparison
from ...studies.planner_outcomes import OUTCOMES
from .fmt import DASH, esc, png_size
from .planner import (
    decision_table,
    equity_tables,
    first_screen_summary,
    fte_table,
    horizon_tables,
    values_note,
    wait_verdict,
    weeks,
)
from .plots import make_plots
from .tables import _outcome_table
from .text import _caveats, _findings, _grants_note, _method
from .uncertainty import probability_table, uncertainty_section


def html_head(title: str) -> str:
    """The document's start, up to and including ``</head>``: language, viewport, generator, the
    escaped ``title`` and the shared style sheet (every spsim report page begins with it)."""
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="spsim {esc(__version__)}">
<title>{esc(title)}</title>
<style>{CSS}</style>
</head>"""


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
code { font-size: .88em; overflow-wrap: anywhere; }
.broken { border: 2px dashed #000; padding: .5rem; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; margin: .6rem 0 .4rem; }
.scroll table { margin: 0; }
.scroll caption { position: sticky; left: 0; max-width: calc(100vw - 24px); }
table.decision td, table.decision th { white-space: nowrap; }
nav.toc { font-size: .92rem; }
nav.toc a { margin-right: .8rem; white-space: nowrap; }
@media (max-width: 600px) {
  body { padding: 12px 12px 32px; }
  h1 { font-size: 1.45rem; }
  h2 { font-size: 1.2rem; }
  table { font-size: .85rem; }
  tbody th { min-width: 8em; }
}
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


def build_report(comp: Comparison) -> Report:
    plots = make_plots(comp)
    for p in plots:
        if not p.png:
            raise RuntimeError(f"plot {p.name} is empty")
    names = [s.name for s in comp.scenarios]
    sim = comp.cfg.simulation
    pop = comp.cfg.population.size
    headline = [o for o in OUTCOMES if o.section == "outcomes" and not o.vs_baseline]
    achieved = [o for o in OUTCOMES if o.section == "outcomes" and o.vs_baseline]
    capacity = [o for o in OUTCOMES if o.section == "capacity"]
    value = [o for o in OUTCOMES if o.section == "value"]
    other_cost = comp.table[(comp.table.outcome == "cost_other_service")]["mean"].abs().max()
    cost_rows = [o for o in OUTCOMES if o.section == "costs"
                 and not (o.key == "cost_other_service" and not (other_cost > 0))]
    verdicts = "".join(f"<li><b>{esc(n)}</b>: {esc(wait_verdict(comp, n)[0])} ({esc(wait_verdict(comp, n)[1])})</li>"
                       for n in names[1:])
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
    wait_fig = figure("plot_link_work.png") if "plot_link_work.png" in by_name else ""
    time_figs = "".join(figure(p.name) for p in plots
                        if p.name not in ("plot_differences.png", "plot_costs.png", "plot_link_work.png"))
    reps_note = ("" if sim.replicates >= 2 else
                 '<p class="box"><b>One replicate only:</b> no intervals can be computed. Run with '
                 "<code>--replicates 10</code> or more before drawing conclusions.</p>")
    others = ", ".join(f"<b>{esc(n)}</b>" for n in names[1:])
    covers_mean = ("It covers parameter uncertainty as well as noise, because each replicate draws its parameters "
                   "from the posterior." if comp.posterior else
                   "It covers replicate noise only, not uncertainty about the model's parameters.")
    html_text = html_head(f"Scenario comparison: {', '.join(names[1:])} vs {names[0]}") + f"""
<body>
<header>
<h1>Social prescribing scenarios compared</h1>
<p class="lede">{others} compared with the baseline <b>{esc(names[0])}</b>, in a simulated place of {pop:,} residents
over {sim.weeks} weeks ({sim.weeks / 52:.1f} years), {sim.replicates} replicate(s) per scenario. Every scenario has the
same residents and the same luck, so the differences come from the policy alone.</p>
</header>
{reps_note}
<nav class="toc" aria-label="Sections"><a href="#decision">Decision</a><a href="#capacity">Capacity</a>
<a href="#value">Value for money</a><a href="#uncertainty">Uncertainty</a>
<a href="#equity">Equity</a><a href="#horizons">Years 1, 2, 5</a>
<a href="#findings">Detail</a><a href="#caveats">Reading this report</a></nav>
<main>
<section id="decision">
<h2>Decision</h2>
{first_screen_summary(comp)}
{decision_table(comp)}
<p class="note">Net social value = the DCMS value of the loneliness avoided + GP and A&amp;E cost avoided &minus; extra
service spend. Confidence in a lower mean is how sure, given the spread of the {sim.replicates} paired replicates, we
can be that the model's <i>mean</i> number of lonely person-years is below the baseline's (a Student-t probability); it
is about the average, not about how likely the scenario is to help: for that, read the shares below. {covers_mean}
The wait verdict compares the mean wait
and its interval with {weeks(comp.max_wait)} ({'your threshold, <code>--max-wait</code>' if comp.max_wait_given
else 'the default; set yours with <code>--max-wait WEEKS</code>'}).</p>
{probability_table(comp)}
{glance}
</section>
<section id="capacity">
<h2>Capacity</h2>
<ul class="findings">{verdicts}</ul>
{_outcome_table(comp, capacity, "Capacity: places used, people who gave up waiting, and the waiting list")}
{fte_table(comp)}
{wait_fig}
</section>
<section id="value">
<h2>Value for money</h2>
{_outcome_table(comp, achieved + value, "What each scenario achieves a year compared with the baseline, and what it "
                                        "costs per outcome")}
{values_note(comp)}
<h3>Costs</h3>
{_outcome_table(comp, cost_rows, "Costs per year (£), cost per client supported, and the comparison with the baseline")}
{_grants_note(comp)}
<p class="note">Service spend is link-worker pay with on-costs, community-developer pay with on-costs, community
connectors (active connectors times their yearly cost), grants, and any other service cost the model records (such as
programmes). Net cost = extra service spend &minus; GP and A&amp;E cost avoided. Return per pound = GP and A&amp;E cost
avoided &divide; extra service spend. Cost per client supported = the scenario's service spend &divide; clients it
supported to discharge.</p>
{cost_fig}
</section>
<section id="uncertainty">
<h2>Uncertainty: parameters and noise</h2>
{uncertainty_section(comp)}
</section>
<section id="equity">
<h2>Equity: who is referred, who refuses, who is helped</h2>
<p class="note">The same residents in every scenario (common random numbers build the same place), broken down by the
deprivation quintile of their neighbourhood, their age band and their GP practice. Rates are per 1,000 residents of
the group a year; refusals are the share of the group's referrals refused at once; lonely person-years avoided are
paired with the baseline replicate by replicate. Small groups have wide intervals.</p>
{equity_tables(comp)}
</section>
<section id="horizons">
<h2>Years 1, 2 and 5</h2>
{horizon_tables(comp)}
</section>
<section id="findings">
<h2>Detail: findings per scenario</h2>
{findings_html}
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

