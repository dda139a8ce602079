"""The regimes page: one comparison under several evidence regimes' posteriors, side by side
(:mod:`spsim.studies.regimes`): per scenario and planner's answer, each regime's probability and
verdict, and which conclusions survive every regime."""

from __future__ import annotations

import math

import pandas as pd

from ...studies.regimes import LIKELY, UNLIKELY
from .fmt import DASH, esc
from .page import html_head
from .uncertainty import HEADINGS


def _pct(p: float) -> str:
    return f"{p:.0%}" if math.isfinite(p) else DASH


def regimes_html(frame: pd.DataFrame, regimes: list[dict], baseline: str, replicates: int) -> str:
    """``regimes``: per regime its name, the evidence it believes, its sets and sha256 (from the
    posterior's record), in the order given on the command line."""
    names = [r["name"] for r in regimes]
    head = '<th scope="col">Scenario and answer</th>' + "".join(
        f'<th scope="col">{esc(n)}<span class="unit">share of replicates</span></th>' for n in names)
    head += '<th scope="col">Every regime<span class="unit">the same verdict?</span></th>'
    body = []
    for r in frame.itertuples(index=False):
        d = r._asdict()
        cells = [f'<th scope="row">{esc(d["scenario"])}: {esc(HEADINGS.get(d["outcome"], d["outcome"]))}'
                 f'<span class="unit">vs {esc(baseline)}</span></th>']
        for n in names:
            cells.append(f"<td>{esc(_pct(d[f'share_{n}']))}<span class=\"unit\">{esc(d[f'verdict_{n}'] or DASH)}"
                         "</span></td>")
        cells.append(f"<td>{'<b>yes</b>' if d['survives_every_regime'] else 'no'}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    survive = frame[frame.survives_every_regime]
    if len(survive):
        items = "".join(f"<li><b>{esc(s.scenario)}</b>: {esc(s.conclusion)}.</li>" for s in survive.itertuples())
        held = f"<p>Conclusions that hold whichever evidence is believed:</p><ul>{items}</ul>"
    else:
        held = ("<p><b>No conclusion survives every regime</b>: each answer is either a toss-up or changes with the "
                "evidence believed. A planner should not rest a decision on any of them without saying which "
                "evidence they trust.</p>")
    depends = frame[~frame.survives_every_regime]
    dep = "".join(f"<li><b>{esc(s.scenario)}</b>, {esc(s.question)}: {esc(s.conclusion)}.</li>"
                  for s in depends.itertuples())
    regime_list = "".join(
        f"<li><b>{esc(r['name'])}</b>: {r['sets']} parameter sets, fitted to "
        f"{esc(', '.join(r['believes']) if r['believes'] else 'evidence not recorded')} "
        f"(<code>{esc(r['sha256'][:12])}</code>; its full report: <a href=\"{esc(r['name'])}/report.html\">"
        f"{esc(r['name'])}/report.html</a>)</li>" for r in regimes)
    return (f"{html_head('spsim: conclusions across evidence regimes')}\n<body>\n"
            "<h1>Which conclusions survive every evidence regime</h1>"
            f'<p class="lede">The same comparison (same scenarios, seed and {replicates} replicates) run once per '
            "posterior. Each posterior holds the service's effect parameters that one kind of evidence could not "
            "rule out, so where the regimes disagree the answer depends on which studies one believes.</p>"
            f"<h2>What survives</h2>{held}"
            + (f"<h3>What depends on the evidence</h3><ul>{dep}</ul>" if dep else "")
            + f'<h2>Side by side</h2><div class="scroll"><table class="probabilities"><caption>The share of paired '
            f"replicates in which each scenario does better than {esc(baseline)}, under each regime</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
            f'<p class="note">A share covers parameter uncertainty and noise: each replicate is one run of the place '
            "with its own luck and one parameter set of that regime's posterior. Verdicts follow the IPCC's "
            f"calibrated language (Mastrandrea et al. 2010): likely at {LIKELY:.0%} or more, unlikely at "
            f"{UNLIKELY:.0%} or less, otherwise about as likely as not. Full figures: <code>regimes.csv</code>; "
            "each regime's own comparison is in its folder.</p>"
            f"<h2>The regimes</h2><ul>{regime_list}</ul>\n</body>\n</html>\n")
