"""The report's words: findings per scenario, how the comparison was run, and how to read it."""

from __future__ import annotations

import html
import math
import re

from ... import __version__
from ...studies.compare import Comparison, differing_parameters
from ...studies.planner_outcomes import OUTCOME_BY_KEY as OUTCOMES_BY_KEY
from ...studies.planner_outcomes import Outcome
from .fmt import _shared_decimals, esc, fmt, fmt_ci, fmt_gbp
from .plots import _row


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
    from ...model.scaling import describe, scale_place  # a place run at another size (docs/places.md)

    scaled = [(sc, describe(sc.cfg, scale_place(sc.cfg)[1])) for sc in comp.scenarios]
    scal = "".join(f"<p><b>Scaled.</b> {esc(sc.name)}: {esc(line)}</p>" for sc, line in scaled if line)
    return f"""
<div class="scroll"><table><caption>Scenarios</caption><thead><tr><th scope="col">Scenario</th>
<th scope="col" style="text-align:left">File</th>
<th scope="col" style="text-align:left">Parameters that differ from the baseline (baseline &rarr; scenario)</th>
</tr></thead>
<tbody>{''.join(rows)}</tbody></table></div>
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


