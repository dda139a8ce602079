"""The report's uncertainty: how likely each scenario is to do better, which part of the spread is
parameter uncertainty and which is noise, and which uncertain parameters move the answer most
(:mod:`spsim.studies.uncertainty`)."""

from __future__ import annotations

import math

from ...studies.compare import Comparison
from ...studies.planner_outcomes import OUTCOME_BY_KEY
from ...studies.uncertainty import ANSWERS
from .fmt import DASH, esc, fmt
from .plots import _row

#: short headings of the answers
HEADINGS = {"gp_avoided": "Reduces GP demand", "lonely_py_avoided": "Reduces loneliness",
            "return_per_pound": "Return per pound above £1", "net_social_value": "Positive net social value"}


def _pct(p: float) -> str:
    return f"{p:.0%}" if math.isfinite(p) else DASH


def covers_sentence(comp: Comparison) -> str:
    post = comp.posterior
    reps = comp.cfg.simulation.replicates
    if not post:
        return (f"Each of the {reps} replicates is one run of the place with the parameters as configured and its own "
                "luck, so these shares cover <b>noise only</b>: they say nothing about how uncertain the model's "
                "parameters are. Run with <code>--posterior NAME</code> (see <code>spsim posteriors</code>) to draw "
                "each replicate's uncertain parameters from a calibrated posterior.")
    return (f"Each of the {reps} replicates is one run of the place with its own luck and one parameter set from the "
            f"posterior <b>{esc(post['name'])}</b> ({post['distinct_sets_used']} of its {post['rows']} sets; "
            f"file sha256 <code>{esc(post['sha256'][:12])}</code>), so these shares cover <b>parameter uncertainty "
            "and noise together</b>.")


def probability_table(comp: Comparison) -> str:
    """Per scenario: the share of replicates whose paired answer is on the better side."""
    names = [s.name for s in comp.scenarios]
    keys = [k for k, _, _, _ in ANSWERS if k in comp.table.outcome.values]
    head = ['<th scope="col">Scenario</th>']
    head += [f'<th scope="col">{esc(HEADINGS[k])}<span class="unit">share of replicates</span></th>' for k in keys]
    body = []
    for n in names[1:]:
        cells = [f'<th scope="row">{esc(n)}<span class="unit">vs {esc(names[0])}</span></th>']
        for k in keys:
            r = _row(comp, n, k)
            cells.append(f"<td>{esc(_pct(r.share_better))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="scroll"><table class="probabilities"><caption>How likely each scenario is to do better than '
            f"{esc(names[0])}: the share of paired replicates in which it does</caption><thead><tr>{''.join(head)}"
            f"</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
            f'<p class="note">{covers_sentence(comp)} A share is the chance that the scenario does better in one '
            "realisation of the place (fewer GP consultations than the baseline's same replicate; fewer lonely "
            "person-years; GP and A&amp;E cost avoided above the extra spend; a positive net social value). It is "
            "not the <i>confidence in a lower mean</i> of the decision table (<code>p_benefit</code> in "
            "<code>comparison.csv</code>), which is about the model's average over replicates and goes to 0% or "
            "100% as replicates are added, however uncertain each outcome is.</p>")


def _sd(x: float) -> float:
    return math.sqrt(x) if math.isfinite(x) and x >= 0 else math.nan


def decomposition_table(comp: Comparison) -> str:
    u = comp.uncertainty
    if u is None or u.empty:
        return ""
    head = ('<th scope="col">Scenario and answer</th><th scope="col">Mean<span class="unit">over replicates</span></th>'
            '<th scope="col">Spread<span class="unit">standard deviation</span></th>'
            '<th scope="col">From parameters<span class="unit">standard deviation</span></th>'
            '<th scope="col">From noise<span class="unit">standard deviation</span></th>'
            '<th scope="col">Parameters\' share<span class="unit">of the variance</span></th>'
            '<th scope="col">Sets<span class="unit">replicates</span></th>')
    body = []
    for r in u.itertuples():
        o = OUTCOME_BY_KEY[r.outcome]
        kind = "number" if o.kind == "share" else o.kind
        d = 2 if kind == "ratio" else 1

        def num(x: float, kind: str = kind, d: int = d) -> str:
            return esc(fmt(kind, x, d)) if math.isfinite(x) else DASH

        body.append(f'<tr><th scope="row">{esc(r.scenario)}: {esc(o.label)}<span class="unit">{esc(o.unit)}</span>'
                    f"</th><td>{num(r.mean)}</td><td>{num(_sd(r.total_var))}</td><td>{num(_sd(r.between_var))}</td>"
                    f"<td>{num(_sd(r.within_var))}</td><td>{esc(_pct(r.share_between))}</td>"
                    f"<td>{r.sets} / {r.replicates}</td></tr>")
    notes = sorted({n for n in u.note if not n.startswith("one-way")})
    said = "".join(f"{esc(n[0].upper() + n[1:])}. " for n in notes)
    return (f'<div class="scroll"><table><caption>Which uncertainty is which: the spread of each answer over '
            f"replicates, split into parameter sets and noise</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>"
            f'<p class="note">{said}The split is a one-way random-effects analysis of variance over the parameter '
            "sets: replicates that share a set differ only by luck, so the spread within sets is noise and what is "
            "left between sets is parameter uncertainty. With few sets the parameters' share is itself "
            "uncertain.</p>")


def sensitivity_tables(comp: Comparison, top: int = 5) -> str:
    s = comp.sensitivity
    if s is None or s.empty:
        return ""
    out = []
    for (name, key), part in s.groupby(["scenario", "outcome"], sort=False):
        rows = part.sort_values("rank").head(top)
        body = "".join(
            f'<tr><th scope="row"><code>{esc(r.parameter)}</code></th>'
            f"<td>{esc(f'{r.spearman:+.2f}') if math.isfinite(r.spearman) else DASH}</td>"
            f"<td>{esc(f'{r.spearman_p:.2g}') if math.isfinite(r.spearman_p) else DASH}</td>"
            f"<td>{esc(f'{r.prcc:+.2f}') if math.isfinite(r.prcc) else DASH}</td></tr>"
            for r in rows.itertuples())
        reps, sets = int(part.replicates.iloc[0]), int(part.sets.iloc[0])
        out.append(f'<div class="scroll"><table><caption>{esc(name)}: which uncertain parameters move '
                   f"{esc(OUTCOME_BY_KEY[key].label.lower())} most ({sets} parameter sets, {reps} replicates)</caption>"
                   '<thead><tr><th scope="col">Parameter</th><th scope="col">Rank correlation<span class="unit">'
                   'Spearman</span></th><th scope="col">p-value</th><th scope="col">Partial rank correlation'
                   '<span class="unit">PRCC, others held</span></th></tr></thead>'
                   f"<tbody>{body}</tbody></table></div>")
    return ("".join(out) + '<p class="note">Across parameter sets, each posterior parameter\'s rank correlation '
            "with the scenario's answer (paired with the baseline; a set's answer is the mean of its replicates): "
            "near &plusmn;1, the answer rises or falls with the parameter; near 0, it does not depend on it (or the "
            "posterior pins it down). The partial rank correlation removes what the other parameters explain, "
            "separating parameters that move together in the posterior (a dash: too few sets, or the parameter "
            "moves in step with another). Noise weakens every correlation; with few parameter sets read them as "
            "rough. Full table: <code>sensitivity.csv</code>.</p>")


def uncertainty_section(comp: Comparison) -> str:
    if not comp.posterior:
        return (f'<p class="note">{covers_sentence(comp)} The intervals in this report are then intervals over '
                "replicate noise only, and the spread cannot be split into parameters and noise.</p>")
    return decomposition_table(comp) + sensitivity_tables(comp)
