"""The referral loop, live: a stocks-and-flows picture of the classroom town, redrawn every week.

Boxes are stocks (how many residents are waiting, on a caseload, in a group, volunteering; places in
open groups; the practices' chance of referring) and arrows are this week's flows between them, taken
from the model's own weekly counts (``model.tally``, the same numbers as ``timeseries``). Dashed arrows
are the feedback loops the model contains (docs/ODD.md):

- R1 (reinforcing): discharges are fed back to the practices, whose referral chance rises towards
  its ceiling (``practices.feedback_gain``), so more residents are referred;
- B1 (balancing): a long wait discourages GPs from referring (``practices.waiting_discouragement``);
- R2 (reinforcing): helped residents go on to volunteer (``volunteering.spillover``), each volunteer
  makes group places (``groups.places_per_volunteer``), and places let more residents join.

The picture is an SVG string (a few microseconds to make, no image to encode each week), shown as is
in the page and, through :class:`LoopSVG`, in notebooks.
"""

from __future__ import annotations

from html import escape

import numpy as np

from .model import referral_chance
from .town import CASELOAD, IN_GROUP, WAITING

W, H = 640, 500
STOCKS = {  # name -> (centre x, centre y, colour, title)
    "gp": (110, 150, "#08519c", "GP practices"),
    "waiting": (320, 150, WAITING, "Waiting list"),
    "caseload": (530, 150, CASELOAD, "On a caseload"),
    "volunteers": (110, 390, "#b15928", "Group volunteers"),
    "places": (320, 390, "#1b9e77", "Places in open groups"),
    "members": (530, 390, IN_GROUP, "In a group"),
}
BOX_W, BOX_H = 150, 74
GREY, R1, B1, R2 = "#333333", "#6a3d9a", "#d94801", "#1b9e77"


def _count(mask) -> int:
    return int(np.count_nonzero(mask))


def loop_numbers(model) -> dict[str, float]:
    """This week's stocks and flows, from the model's arrays and its weekly tally."""
    r, g, t = model.residents, model.groups, model.tally
    week = model.recorded_week > 0
    flow = (lambda k: int(t[k])) if week else (lambda k: 0)
    return {
        "referral_pct": referral_chance(model),
        "wait_weeks": float(model.recent_wait_weeks),
        "waiting": _count(r.lw_status == 1),
        "caseload": _count(r.lw_status == 2),
        "places_lw": int(model.link_workers.caseload_cap.sum()) if model.link_workers.n else 0,
        "volunteers": _count(r.volunteer_group >= 0),
        "places": int(g.places[g.open].sum()) if g.n else 0,
        "groups_open": int(g.open.sum()) if g.n else 0,
        "members": _count(r.group >= 0),
        "referrals": flow("referrals"),
        "refused": flow("referrals_refused"),
        "taken_on": flow("lw_taken_on"),
        "reneged": flow("lw_reneged"),
        "supported": flow("clients_supported"),
        "dropped": flow("lw_dropouts") + flow("lw_not_engaged"),
        "signposted": flow("signposted_to_groups"),
        "new_volunteers": flow("new_volunteers_spillover"),
        "groups_started": flow("groups_started"),
        "groups_closed": flow("groups_closed"),
    }


def _text(x, y, lines, colour=GREY, size=12, weight="normal", cls="") -> str:
    lines = [lines] if isinstance(lines, str) else lines
    first = y - (len(lines) - 1) * size * 0.6
    spans = "".join(f'<tspan x="{x}" y="{first + i * size * 1.2:.1f}">{escape(s)}</tspan>'
                    for i, s in enumerate(lines))
    c = f' class="{cls}"' if cls else ""
    return (f'<text{c} text-anchor="middle" dominant-baseline="middle" font-size="{size}" font-weight="{weight}" '
            f'fill="{colour}" stroke="white" stroke-width="4" paint-order="stroke">{spans}</text>')


def _arrow(path: str, colour: str, dashed: bool = False) -> str:
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    return (f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash} '
            f'marker-end="url(#head{colour[1:]})"/>')


def loop_svg(model) -> str:
    """The stocks-and-flows picture for the model's current week, as an SVG document."""
    n = loop_numbers(model)
    colours = {GREY, R1, B1, R2, IN_GROUP, "#b15928"}
    heads = "".join(f'<marker id="head{c[1:]}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
                    f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>'
                    for c in sorted(colours))
    values = {
        "gp": [f"refer {n['referral_pct']:.1f}% of", "recognised needs"],
        "waiting": [f"{n['waiting']} residents", f"recent wait {n['wait_weeks']:.1f} wk"],
        "caseload": [f"{n['caseload']} of {n['places_lw']} places"],
        "volunteers": [f"{n['volunteers']} residents"],
        "places": [f"{n['places']} places", f"in {n['groups_open']} groups"],
        "members": [f"{n['members']} residents"],
    }
    parts = [f'<rect width="{W}" height="{H}" fill="white"/>',
             _text(W / 2, 18, f"Week {model.recorded_week}: the referral loop (stocks and flows)", size=14,
                   weight="bold", cls="spsim-loop-title")]
    for name, (x, y, colour, title) in STOCKS.items():
        parts.append(f'<rect class="spsim-stock" x="{x - BOX_W / 2}" y="{y - BOX_H / 2}" width="{BOX_W}" '
                     f'height="{BOX_H}" rx="10" fill="white" stroke="{colour}" stroke-width="2.5"/>')
        parts.append(_text(x, y - 20, title, colour, 12, "bold"))
        parts.append(_text(x, y + 12, values[name], size=13, cls=f"spsim-stock-{name}"))
    half = BOX_W / 2
    # flows (this week)
    parts += [
        _arrow(f"M{110 + half},150 L{320 - half - 3},150", GREY),
        _text(215, 118, [f"{n['referrals']} referred", f"({n['refused']} refused)"], size=11),
        _arrow(f"M{320 + half},150 L{530 - half - 3},150", GREY),
        _text(425, 128, f"{n['taken_on']} taken on", size=11),
        _arrow("M320,187 L320,232", GREY),
        _text(320, 246, f"{n['reneged']} gave up waiting", size=11),
        _text(530, 212, [f"{n['supported']} supported to the end", f"{n['dropped']} dropped out"], size=11),
        _arrow(f"M590,187 L590,{390 - BOX_H / 2 - 3}", IN_GROUP),
        _text(600, 285, [f"{n['signposted']} signposted", "to groups"], IN_GROUP, 11),
        _arrow(f"M480,187 L{140},{390 - BOX_H / 2 - 3}", "#b15928"),
        _text(300, 300, [f"{n['new_volunteers']} new volunteers", "(spillover)"], "#b15928", 11),
        _arrow(f"M{110 + half},390 L{320 - half - 3},390", R2),
        _text(215, 446, ["volunteers", "make places"], R2, 11),
        _arrow(f"M{320 + half},390 L{530 - half - 3},390", IN_GROUP),
        _text(425, 446, [f"{n['groups_started']} groups started,", f"{n['groups_closed']} closed"], IN_GROUP, 11),
    ]
    # feedback loops (dashed)
    parts += [
        _arrow(f"M500,{150 - BOX_H / 2} Q320,20 142,{150 - BOX_H / 2 - 2}", R1, dashed=True),
        _text(320, 62, "R1: discharges fed back, GPs refer more", R1, 11, "bold"),
        _arrow(f"M280,{150 + BOX_H / 2} Q200,250 130,{150 + BOX_H / 2 + 3}", B1, dashed=True),
        _text(150, 232, ["B1: long waits,", "GPs refer less"], B1, 11, "bold"),
        _text(95, 300, ["R2: helped residents", "volunteer, volunteers make", "places, places let more join"],
              R2, 10.5, "bold"),
        _text(W / 2, H - 12, "boxes: residents now · arrows: this week's flows · dashed: feedback loops",
              "#555555", 10.5),
    ]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="spsim-loop-svg" viewBox="0 0 {W} {H}" width="{W}" '
            f'height="{H}" font-family="DejaVu Sans, Arial, sans-serif" role="img" '
            f'aria-label="the referral loop, week {model.recorded_week}"><defs>{heads}</defs>{"".join(parts)}</svg>')


class LoopSVG(str):
    """An SVG string that Jupyter shows as a picture."""

    def _repr_svg_(self) -> str:
        return str(self)


def draw_loop(model) -> LoopSVG:
    """The stocks-and-flows picture for the model's current week (shown as a picture in notebooks)."""
    return LoopSVG(loop_svg(model))
