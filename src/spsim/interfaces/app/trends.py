"""The classroom app's live plots: 2 x 2 panels of weekly series, kept and updated in place.

Every panel has a title, an x axis in weeks and a y axis from zero (with a fixed top where the
quantity has one, e.g. wellbeing 0-10), so a flat line looks flat rather than being blown up around a
constant. The run before the last *Reset* is drawn faintly behind (same colours, thin, dotted), so a
class can compare two settings with the same seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .town import CASELOAD, IN_GROUP, LONELY, WAITING


@dataclass(frozen=True)
class Panel:
    columns: tuple[str, ...]
    colours: tuple[str, ...]
    ylabel: str
    floor: float = 1.0  # the y axis reaches at least this high
    top: float | None = None  # a fixed top (a bounded quantity)


#: the first tab's four plots: title -> panel
TRENDS = {
    "Share of residents lonely": Panel(("Share lonely (%)",), (LONELY,), "% of residents", floor=20.0),
    "GP demand per week": Panel(("GP appointments asked for", "GP appointments for a social problem"),
                                ("#08519c", "#6baed6"), "appointments per week", floor=10.0),
    "Link work: the queue": Panel(("Waiting for a link worker", "On a link-worker caseload", "Caseload places",
                                   "Caseload places, posts filled"),
                                  (WAITING, CASELOAD, "#999999", "#555555"), "residents", floor=5.0),
    "Volunteers and group places": Panel(("Group volunteers", "Places in open groups", "Residents in a group"),
                                         ("#b15928", "#1b9e77", IN_GROUP), "residents / places", floor=10.0),
}

#: the second tab's four plots
MORE = {
    "Referrals to link work per week": Panel(("Referrals", "Taken on by a link worker", "Supported to the end"),
                                             ("#6a3d9a", WAITING, "#1a9850"), "residents per week", floor=3.0),
    "A&E attendances per week": Panel(("A&E attendances",), ("#e31a1c",), "attendances per week", floor=5.0),
    "Community groups open": Panel(("Groups open",), ("#1b9e77",), "groups", floor=5.0),
    "Mean wellbeing": Panel(("Mean wellbeing (0-10)",), ("#08519c",), "score (0-10)", top=10.0),
}

MIN_WEEKS = 52  # the x axis shows a year at a time, so lines grow across it


def nice_ceiling(x: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 x 10^k that is >= x (axes grow in steps, not every week)."""
    if not x > 0:
        return 0.0
    k = 10.0 ** math.floor(math.log10(x))
    return next(m * k for m in (1, 1.5, 2, 3, 4, 5, 6, 8, 10) if m * k >= x * (1 - 1e-12))


class TrendsPicture:
    """Four live plots in a 2 x 2 figure that is kept and updated in place every week."""

    def __init__(self, panels: dict[str, Panel], model=None):
        from matplotlib.figure import Figure

        self.panels = panels
        self.fig = fig = Figure(figsize=(7.6, 5.6), dpi=80)
        axes = fig.subplots(2, 2, sharex=True)
        fig.subplots_adjust(left=0.1, right=0.98, top=0.9, bottom=0.1, hspace=0.35, wspace=0.3)
        self.axes = axes.ravel()
        self.lines: dict[str, object] = {}
        self.ghosts: dict[str, object] = {}
        previous = getattr(model, "previous", None)
        for ax, (title, panel) in zip(self.axes, panels.items(), strict=True):
            for col, colour in zip(panel.columns, panel.colours, strict=True):
                dashed = col == "Caseload places"
                if previous is not None and col in previous:
                    (self.ghosts[col],) = ax.plot(previous.index.to_numpy(float), previous[col].to_numpy(float),
                                                  ":", color=colour, lw=1.2, alpha=0.45)
                (self.lines[col],) = ax.plot([], [], "--" if dashed else "-", color=colour, lw=1.8, label=col)
            ax.set_title(title, fontsize=10, fontweight="bold")
            ax.set_ylabel(panel.ylabel, fontsize=8)
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=8)
            if len(panel.columns) > 1:
                ax.legend(fontsize=7, loc="upper left", frameon=False, handlelength=1.5, borderaxespad=0.2)
        for ax in axes[1]:
            ax.set_xlabel("week (link work opens in week 1)", fontsize=8)
        if previous is not None:
            fig.suptitle(f"dotted: the previous run ({getattr(model, 'previous_label', '')})", fontsize=8,
                         color="#555555", y=0.995)

    def png(self, model) -> bytes:
        """This week's picture as PNG bytes (axes, titles, legends and the previous run are kept as a
        background, redrawn only when an axis range changes)."""
        from .render import Blit

        self.update(model)
        if not hasattr(self, "_blit"):
            self._blit = Blit(self.fig)
        key = tuple((*ax.get_xlim(), *ax.get_ylim()) for ax in self.axes)
        return self._blit.png(list(self.lines.values()), key)

    def update(self, model):
        data = model.datacollector.model_vars
        weeks = np.asarray(data["Week"], float)
        last = weeks[-1] if weeks.size else 0.0
        previous = getattr(model, "previous", None)
        for ax, panel in zip(self.axes, self.panels.values(), strict=True):
            if panel.top is not None:
                ax.set_ylim(0, panel.top)
            peak = 0.0
            for col in panel.columns:
                y = np.asarray(data[col], float)
                self.lines[col].set_data(weeks, y)
                for series in (y, previous[col].to_numpy(float) if col in self.ghosts else y):
                    if np.isfinite(series).any():
                        peak = max(peak, float(np.nanmax(series)))
            if panel.top is None:
                ax.set_ylim(0, max(panel.floor, nice_ceiling(1.2 * peak)))
        prev_last = float(previous.index.max()) if previous is not None and len(previous) else 0.0
        self.axes[0].set_xlim(0, MIN_WEEKS * math.ceil(max(MIN_WEEKS, last, prev_last) / MIN_WEEKS))
        return self.fig


def draw_trends(model, panels: dict[str, Panel] | None = None):
    """A new figure of four live plots up to the model's current week (for notebooks)."""
    return TrendsPicture(panels or TRENDS, model).update(model)
