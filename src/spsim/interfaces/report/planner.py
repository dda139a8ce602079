"""The planner's sections of the compare report: the ranked decision table (first screen), capacity
(utilisation, people who gave up, the wait verdict, the FTE needed), value for money, equity by
deprivation, age and practice, and horizons (years 1, 2 and 5)."""

from __future__ import annotations

import math

import pandas as pd

from ...studies.compare import Comparison
from ...studies.planner_outcomes import OUTCOME_BY_KEY
from ...studies.record import AGE_BANDS, DIMENSIONS
from .fmt import DASH, esc, fmt, fmt_ci, fmt_gbp
from .plots import _row

#: the decision table's columns: (outcome key, heading, unit)
DECISION = (
    ("extra_spend", "Cost a year", "£ extra service spend"),
    ("clients_supported_per_year", "People supported", "per year"),
    ("lonely_py_avoided", "Lonely person-years avoided", "per year"),
    ("gp_avoided", "GP consultations avoided", "per year"),
    ("ae_avoided", "A&E attendances avoided", "per year"),
    ("lw_wait_weeks", "Mean wait", "weeks"),
    ("net_social_value", "Net social value", "£ per year"),
)


def _value_cell(comp: Comparison, name: str, key: str) -> str:
    o = OUTCOME_BY_KEY[key]
    r = _row(comp, name, key)
    v, ci = fmt_ci(o.kind, r["mean"], r.ci_low, r.ci_high)
    return f"<td>{esc(v)}" + (f'<span class="ci">{esc(ci)}</span>' if ci else "") + "</td>"


def weeks(x: float) -> str:
    """'1 week', '12 weeks', '2.5 weeks'."""
    return f"{x:g} week" + ("" if x == 1 else "s")


def wait_verdict(comp: Comparison, name: str) -> tuple[str, str]:
    """(short verdict, reason) of a scenario's mean wait against the planner's threshold."""
    r = _row(comp, name, "lw_wait_weeks")
    limit = comp.max_wait
    if not math.isfinite(r["mean"]):
        return DASH, "nobody was taken on by a link worker"
    hi = r.ci_high if math.isfinite(r.ci_high) else r["mean"]
    lo = r.ci_low if math.isfinite(r.ci_low) else r["mean"]
    if hi <= limit:
        return "within", f"mean wait {r['mean']:.1f} weeks, at most {weeks(limit)}"
    if lo > limit:
        return "over", f"mean wait {r['mean']:.1f} weeks, over {weeks(limit)}"
    return "unclear", f"mean wait {r['mean']:.1f} weeks; its interval straddles {weeks(limit)}"


def ranked(comp: Comparison) -> list[str]:
    """Scenarios other than the baseline, best net social value first (missing values last)."""
    names = [s.name for s in comp.scenarios[1:]]
    key = lambda n: -_row(comp, n, "net_social_value")["mean"] if math.isfinite(  # noqa: E731
        _row(comp, n, "net_social_value")["mean"]) else math.inf
    return sorted(names, key=key)


def decision_table(comp: Comparison) -> str:
    base = comp.scenarios[0].name
    head = ['<th scope="col">Rank</th>', '<th scope="col">Scenario</th>']
    head += [f'<th scope="col">{esc(h)}<span class="unit">{esc(u)}</span></th>' for _, h, u in DECISION]
    head += [f'<th scope="col">Wait verdict<span class="unit">against {weeks(comp.max_wait)}</span></th>',
             '<th scope="col">Confidence in a lower mean<span class="unit">lonely person-years; '
             + ("parameters and noise" if comp.posterior else "replicate noise only") + "</span></th>"]
    body = []
    for i, n in enumerate(ranked(comp), start=1):
        cells = [f"<td>{i}</td>", f'<th scope="row">{esc(n)}<span class="unit">vs {esc(base)}</span></th>']
        cells += [_value_cell(comp, n, k) for k, _, _ in DECISION]
        verdict, why = wait_verdict(comp, n)
        cells.append(f'<td title="{esc(why)}">{esc(verdict)}</td>')
        p = _row(comp, n, "lonely_py_avoided").p_benefit
        cells.append(f"<td>{esc(f'{p:.0%}' if math.isfinite(p) else DASH)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="scroll"><table class="decision"><caption>Scenarios ranked by net social value '
            f"(mean over replicates, 95% interval below each figure)</caption><thead><tr>{''.join(head)}</tr>"
            f"</thead><tbody>{''.join(body)}</tbody></table></div>")


def fte_table(comp: Comparison) -> str:
    if not comp.fte_search:
        how = ("" if comp.max_wait_given else
               " Give <code>--max-wait WEEKS</code> to search for the link-worker FTE that keeps the mean wait "
               "under your threshold.")
        return f'<p class="note">No FTE search was run.{how}</p>'
    rows = []
    for f in comp.fte_search:
        if math.isfinite(f.fte_needed):
            ci = (f" ({f.wait_low:.1f} to {f.wait_high:.1f})" if math.isfinite(f.wait_low) else "")
            found = f"{f.fte_needed:.1f}", f"{f.wait_mean:.1f}{ci}"
        else:
            found = DASH, esc(f.note)
        tried = "; ".join(f"{x:g}: {w:.1f}" if math.isfinite(w) else f"{x:g}: none seen" for x, w in f.evaluations)
        rows.append(f'<tr><th scope="row">{esc(f.scenario)}<span class="unit">FTE</span></th><td>{f.fte_now:g}</td>'
                    f"<td>{found[0]}</td><td>{found[1]}</td>"
                    f'<td style="white-space:normal;text-align:left">{esc(tried)}</td></tr>')
    return (f'<div class="scroll"><table><caption>Link-worker FTE needed to keep the mean wait within '
            f"{weeks(comp.max_wait)} (same residents and luck at every FTE)</caption><thead><tr>"
            '<th scope="col">Scenario</th><th scope="col">FTE now</th><th scope="col">FTE needed</th>'
            '<th scope="col">Mean wait there<span class="unit">weeks (95% interval)</span></th>'
            '<th scope="col" style="text-align:left">FTE tried: mean wait (weeks)</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _group_label(dim: str, g: int) -> str:
    if dim == "age_band":
        return AGE_BANDS.get(g, str(g))
    if dim == "practice":
        return f"practice {g + 1}"
    return f"quintile {g}"


EQUITY_COLUMNS = (
    ("referred_per_1000", "Referred", "per 1,000 a year", "number"),
    ("refused_share", "Refused", "% of referrals", "share"),
    ("supported_per_1000", "Supported", "per 1,000 a year", "number"),
    ("lonely_share", "Lonely", "% of person-weeks", "share"),
    ("lonely_py_avoided_per_1000", "Lonely person-years avoided", "per 1,000 a year", "number"),
)


def equity_tables(comp: Comparison) -> str:
    eq = comp.equity
    if eq is None or eq.empty:
        return ""
    names = [s.name for s in comp.scenarios]
    out = []
    for dim, title in DIMENSIONS:
        part = eq[eq.dimension == dim]
        groups = sorted(part.group.unique())
        head = ['<th scope="col">Group<span class="unit">residents</span></th>']
        for n in names[1:]:
            head += [f'<th scope="col">{esc(n)}: {esc(h)}<span class="unit">{esc(u)}</span></th>'
                     for _, h, u, _ in EQUITY_COLUMNS]
        body = []
        for g in groups:
            rows = part[part.group == g].set_index(["scenario", "measure"])
            residents = int(rows.residents.iloc[0]) if dim != "practice" or len(rows.index.get_level_values(
                0).unique()) == len(names) else None
            size = f"{residents:,} residents" if residents is not None else "residents differ by scenario"
            cells = [f'<th scope="row">{esc(_group_label(dim, int(g)))}<span class="unit">{size}</span></th>']
            for n in names[1:]:
                for key, _, _, kind in EQUITY_COLUMNS:
                    if (n, key) not in rows.index:  # this scenario has no such group (e.g. fewer practices)
                        cells.append(f"<td>{DASH}</td>")
                        continue
                    r = rows.loc[[(n, key)]].iloc[0]
                    v, ci = fmt_ci(kind, r["mean"], r.ci_low, r.ci_high)
                    cells.append(f"<td>{esc(v)}" + (f'<span class="ci">{esc(ci)}</span>' if ci else "") + "</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        out.append(f'<div class="scroll"><table><caption>{esc(title)}: who is referred, who refuses, who is helped'
                   f"</caption><thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")
    return "".join(out)


def horizon_tables(comp: Comparison) -> str:
    h = comp.horizons
    if h is None or h.empty:
        return (f'<p class="note">The run records {comp.cfg.simulation.weeks} weeks, less than a whole year, so no '
                "year is shown. Use <code>--weeks 260</code> for five years.</p>")
    names = [s.name for s in comp.scenarios]
    years = sorted(h.year.unique())
    head = ['<th scope="col">Outcome<span class="unit">unit</span></th>']
    for y in years:
        head.append(f'<th scope="col">{esc(names[0])}, year {y}<span class="unit">baseline level</span></th>')
        head += [f'<th scope="col">{esc(n)}, year {y}<span class="unit">difference (paired)</span></th>'
                 for n in names[1:]]
    body = []
    for key in h.outcome.unique():
        sub = h[h.outcome == key].set_index(["scenario", "year"])
        first = sub.iloc[0]
        kind = "share" if key == "lonely_share" else ("weeks" if key == "lw_wait_weeks" else "number")
        cells = [f'<th scope="row">{esc(first.label)}<span class="unit">{esc(first.unit)}</span></th>']
        for y in years:
            b = sub.loc[(names[0], y)]
            v, ci = fmt_ci(kind, b["mean"], b.ci_low, b.ci_high)
            cells.append(f"<td>{esc(v)}" + (f'<span class="ci">{esc(ci)}</span>' if ci else "") + "</td>")
            for n in names[1:]:
                r = sub.loc[(n, y)]
                if key == "lw_wait_weeks":  # a difference from no wait means nothing without link workers
                    v, ci = fmt_ci(kind, r["mean"], r.ci_low, r.ci_high)
                else:
                    v, ci = fmt_ci(kind, r.diff_mean, r.diff_ci_low, r.diff_ci_high, diff=True)
                cells.append(f'<td class="diff">{esc(v)}'
                             + (f'<span class="ci">{esc(ci)}</span>' if ci else "") + "</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    missing = [y for y in (1, 2, 5) if y not in years]
    more = (f'<p class="note">Year {", ".join(map(str, missing))} is not shown: the run records '
            f"{comp.cfg.simulation.weeks} weeks. Use <code>--weeks 260</code> for five years.</p>" if missing else "")
    return (f'<div class="scroll"><table><caption>Outcomes in year 1, 2 and 5 after burn-in: the baseline\'s level '
            "and each scenario's difference from it (the wait is each scenario's own level)</caption>"
            f"<thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(body)}</tbody></table></div>{more}")


def values_note(comp: Comparison) -> str:
    c = comp.cfg.costs
    return (f'<p class="note">Values used: chronic loneliness {esc(fmt_gbp(c.loneliness_value_gbp_per_person_year))} '
            "per person-year (DCMS Loneliness monetisation report, 2020; wellbeing, health and productivity; 2019 "
            f"prices); a WELLBY {esc(fmt_gbp(c.wellby_gbp))} (HM Treasury Green Book wellbeing guidance, 2021; 2019 "
            f"prices); a GP consultation {esc(fmt_gbp(c.gp_consultation_gbp))} (PSSRU 2015 manual, 2014/15 prices, "
            f"not re-checked against the current manual: an assumption); an A&amp;E attendance "
            f"{esc(fmt_gbp(c.ae_attendance_gbp))} (NHS reference costs via NICE NG94); a community connector "
            f"{esc(fmt_gbp(c.connector_gbp_per_year))} a year (assumption: no published unit cost). Lonely "
            "person-years avoided are loneliness-free years (McDaid &amp; Park 2021 use the same measure). Costs "
            "per outcome are the ratio of the mean extra spend to the mean outcome avoided; they have no interval "
            "here. Prices are not uprated to one year: read money figures as of the right order, not exact.</p>")


def first_screen_summary(comp: Comparison) -> str:
    """One sentence naming the top-ranked scenario and what it buys, for the first screen."""
    order = ranked(comp)
    if not order:
        return ""
    n = order[0]
    lonely = _row(comp, n, "lonely_py_avoided")
    cost = _row(comp, n, "extra_spend")
    nsv = _row(comp, n, "net_social_value")
    share = lonely.share_better
    what = "parameter uncertainty and noise" if comp.posterior else "replicate noise only"
    ptxt = (f"; it has fewer lonely person-years than the baseline in {share:.0%} of replicates ({what})"
            if math.isfinite(share) else "")
    return (f'<p class="box"><b>Top of the ranking: {esc(n)}</b>, costing {esc(fmt_gbp(cost["mean"]))} a year more '
            f"than {esc(comp.scenarios[0].name)}, avoids {esc(fmt('number', lonely['mean'], 1))} lonely person-years a "
            f"year, with a net social value of {esc(fmt_gbp(nsv['mean']))} a year{esc(ptxt)}.</p>")


def decision_frame(comp: Comparison) -> pd.DataFrame:
    """decision.csv: the first screen's table as numbers."""
    rows = []
    for i, n in enumerate(ranked(comp), start=1):
        row = {"rank": i, "scenario": n}
        for k, _, _ in DECISION:
            r = _row(comp, n, k)
            row.update({k: r["mean"], f"{k}_ci_low": r.ci_low, f"{k}_ci_high": r.ci_high})
        row["wait_verdict"] = wait_verdict(comp, n)[0]
        row["max_wait_weeks"] = comp.max_wait
        row["p_benefit_lonely"] = _row(comp, n, "lonely_py_avoided").p_benefit
        for key, col in (("gp_avoided", "share_reduces_gp"), ("lonely_py_avoided", "share_reduces_lonely"),
                         ("return_per_pound", "share_return_above_1")):
            row[col] = _row(comp, n, key).share_better
        row["shares_cover"] = "parameters and noise" if comp.posterior else "noise only"
        rows.append(row)
    return pd.DataFrame(rows)
