"""The report's tables: per-outcome tables with intervals and paired differences."""

from __future__ import annotations

from ...studies.compare import Comparison
from ...studies.planner_outcomes import Outcome
from .fmt import DASH, esc, fmt_ci
from .plots import _row


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
    from ...model.outcomes import COLUMNS
    from ...studies.planner_outcomes import other_service_cost_columns

    other = other_service_cost_columns(comp.service_cost_columns)  # the very columns the row adds up
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
    return (f'<div class="scroll"><table><caption>{esc(caption)}</caption><thead><tr>{"".join(head)}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


