"""The referral loop, live: a stocks-and-flows picture of the classroom town, redrawn every week.

Boxes are stocks (how many residents are waiting, on a caseload, in a group, volunteering; places in
open groups; the practices' referral chance) and arrows are this week's flows between them, taken from
the model's own weekly counts (``model.tally``, the same numbers as ``timeseries``). Dashed arrows are
the feedback loops the model contains (docs/ODD.md):

- R1 (reinforcing): discharges are fed back to the practices, whose referral chance rises towards
  its ceiling (``practices.feedback_gain``), so more residents are referred;
- B1 (balancing): a long wait discourages GPs from referring (``practices.waiting_discouragement``);
- R2 (reinforcing): helped residents go on to volunteer (``volunteering.spillover``), each volunteer
  makes group places (``groups.places_per_volunteer``), and places let more residents join.
"""

from __future__ import annotations

import numpy as np

from .town import CASELOAD, IN_GROUP, WAITING

STOCKS = {  # name -> (x, y, colour)
    "gp": (1.7, 8.2, "#08519c"),
    "waiting": (5.0, 8.2, WAITING),
    "caseload": (8.3, 8.2, CASELOAD),
    "volunteers": (1.7, 2.6, "#b15928"),
    "places": (5.0, 2.6, "#1b9e77"),
    "members": (8.3, 2.6, IN_GROUP),
}
TITLES = {"gp": "GP practices", "waiting": "Waiting list", "caseload": "On a caseload",
          "volunteers": "Group volunteers", "places": "Places in open groups", "members": "In a group"}


def _count(mask) -> int:
    return int(np.count_nonzero(mask))


def loop_numbers(model) -> dict[str, float]:
    """This week's stocks and flows, from the model's arrays and its weekly tally."""
    r, g, t = model.residents, model.groups, model.tally
    week = model.recorded_week > 0
    flow = (lambda k: int(t[k])) if week else (lambda k: 0)
    return {
        "referral_pct": 100.0 * float(np.average(model.practices.referral, weights=model.practices.list_size)),
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


class LoopPicture:
    """The stocks-and-flows figure, kept: boxes and arrows drawn once, numbers updated each week."""

    def __init__(self):
        from matplotlib.figure import Figure
        from matplotlib.patches import FancyBboxPatch

        self.fig = fig = Figure(figsize=(6.4, 5.0), dpi=80)
        self.ax = ax = fig.add_axes((0, 0, 1, 0.93))
        ax.set_xlim(0, 10)
        ax.set_ylim(0, 10.6)
        ax.axis("off")
        self.title = fig.suptitle("", fontsize=10, fontweight="bold", y=0.985)
        self.value: dict[str, object] = {}
        for name, (x, y, colour) in STOCKS.items():
            ax.add_patch(FancyBboxPatch((x - 1.15, y - 0.75), 2.3, 1.5, boxstyle="round,pad=0.05", fc="white",
                                        ec=colour, lw=2.2))
            ax.text(x, y + 0.4, TITLES[name], ha="center", va="center", fontsize=8.5, color=colour,
                    fontweight="bold")
            self.value[name] = ax.text(x, y - 0.22, "", ha="center", va="center", fontsize=9.5)

        def arrow(a, b, label_xy, colour="#333333", style="-|>", dashed=False, rad=0.0, key=None, **kw):
            ax.annotate("", xy=b, xytext=a, arrowprops={
                "arrowstyle": style, "color": colour, "lw": 1.6, "linestyle": "--" if dashed else "-",
                "connectionstyle": f"arc3,rad={rad}", "shrinkA": 0, "shrinkB": 0})
            t = ax.text(*label_xy, "", ha="center", va="center", fontsize=7.8, color=colour,
                        bbox={"fc": "white", "ec": "none", "pad": 0.6, "alpha": 0.9}, **kw)
            if key:
                self.value[key] = t
            return t

        arrow((2.85, 8.2), (3.85, 8.2), (3.35, 9.25), key="f_referrals")
        arrow((6.15, 8.2), (7.15, 8.2), (6.65, 9.25), key="f_taken")
        arrow((5.0, 7.45), (5.0, 6.6), (5.0, 6.3), key="f_reneged")
        self.value["f_out"] = ax.text(7.95, 6.75, "", ha="center", va="center", fontsize=7.5, color="#333333")
        arrow((8.95, 7.45), (8.95, 3.35), (9.5, 5.2), colour=IN_GROUP, key="f_signposted")
        arrow((7.5, 7.45), (2.3, 3.35), (4.3, 5.1), colour="#b15928", key="f_spill")
        arrow((2.85, 2.6), (3.85, 2.6), (3.35, 1.5), colour="#1b9e77", key="f_makes")
        arrow((6.15, 2.6), (7.15, 2.6), (6.65, 1.5), colour=IN_GROUP, key="f_join")
        # feedback loops (dashed)
        arrow((8.0, 8.95), (2.0, 8.95), (5.0, 10.3), colour="#6a3d9a", dashed=True, rad=0.35,
              key="r1", fontweight="bold")
        arrow((4.3, 7.45), (2.4, 7.45), (2.2, 6.55), colour="#d94801", dashed=True, rad=-0.5,
              key="b1", fontweight="bold")
        ax.text(1.6, 5.3, "R2: helped residents volunteer,\nvolunteers make places,\nplaces let more join",
                ha="center", va="center", fontsize=7.5, color="#1b9e77", fontweight="bold")
        ax.text(5.0, 0.35, "boxes: residents now · arrows: this week's flows · dashed: feedback loops",
                ha="center", va="center", fontsize=7.5, color="#555555")

    def update(self, model):
        n = loop_numbers(model)
        v = self.value
        v["gp"].set_text(f"refer {n['referral_pct']:.1f}% of\nrecognised needs")
        v["waiting"].set_text(f"{n['waiting']} residents\nrecent wait {n['wait_weeks']:.1f} wk")
        v["caseload"].set_text(f"{n['caseload']} of {n['places_lw']} places")
        v["volunteers"].set_text(f"{n['volunteers']} residents")
        v["places"].set_text(f"{n['places']} places\nin {n['groups_open']} groups")
        v["members"].set_text(f"{n['members']} residents")
        v["f_referrals"].set_text(f"{n['referrals']} referred\n({n['refused']} refused)")
        v["f_taken"].set_text(f"{n['taken_on']} taken on")
        v["f_reneged"].set_text(f"{n['reneged']} gave up waiting")
        v["f_out"].set_text(f"{n['supported']} supported to the end\n{n['dropped']} dropped out")
        v["f_signposted"].set_text(f"{n['signposted']}\nsignposted\nto groups")
        v["f_spill"].set_text(f"{n['new_volunteers']} new\nvolunteers\n(spillover)")
        v["f_makes"].set_text("volunteers\nmake places")
        v["f_join"].set_text(f"{n['groups_started']} groups started,\n{n['groups_closed']} closed")
        v["r1"].set_text("R1: discharges fed back, GPs refer more")
        v["b1"].set_text("B1: long waits,\nGPs refer less")
        self.title.set_text(f"Week {model.recorded_week}: the referral loop (stocks and flows)")
        return self.fig


def draw_loop(model):
    """A new stocks-and-flows figure for the model's current week (for notebooks)."""
    return LoopPicture().update(model)
