"""The network view of the classroom town: a connected patch of up to 600 residents, laid out once
per reset with a whole-array spring layout, redrawn in place every week (:class:`TownPicture`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...model.network import expand_ranges
from ...model.simulation import SocialPrescribingModel
from ...model.tables import GROUP_KINDS

MAX_DRAWN = 600  # residents drawn in the network view
LONELY, NOT_LONELY = "#d7301f", "#a6bddb"
WAITING, CASELOAD, IN_GROUP = "#ff8c00", "#6a3d9a", "#1a9850"
GROUP_KIND_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#a6761d")
#: how the legend names each kind of group (the Five Ways to Wellbeing, plus advice; tables.GROUP_KINDS)
GROUP_KIND_LABELS = {"connect": "connect", "be_active": "be active", "keep_learning": "keep learning",
                     "take_notice": "take notice", "give": "give", "advice": "advice"}
CLOSED_GROUP = "#9e9e9e"
TIE, GROUP_TIE = "#bdbdbd", "#1a9850"
HOUSEHOLD_PULL = 4.0  # households drawn as tight clusters
GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))


def sample_residents(model: SocialPrescribingModel, k: int, rng: np.random.Generator) -> np.ndarray:
    """Up to ``k`` residents forming connected patches of the network (breadth-first from random
    residents over household and neighbour ties), sorted. Everyone when the town is small enough."""
    net = model.network
    n = net.n
    if n <= k:
        return np.arange(n)
    chosen = np.zeros(n, bool)
    count = 0
    while count < k:
        frontier = np.array([rng.choice(np.flatnonzero(~chosen))])
        while frontier.size and count < k:
            room = k - count
            if frontier.size > room:
                frontier = rng.choice(frontier, size=room, replace=False)
            chosen[frontier] = True
            count += frontier.size
            nxt = net.indices[expand_ranges(net.indptr[frontier], net.indptr[frontier + 1])]
            frontier = np.unique(nxt[~chosen[nxt]])
    return np.flatnonzero(chosen)


def spring_layout(n: int, edges: np.ndarray, rng: np.random.Generator, weight: np.ndarray | None = None,
                  iterations: int = 80, gravity: float = 0.02) -> np.ndarray:
    """Fruchterman-Reingold positions for ``n`` nodes with ``edges`` (pairs of rows) pulling with
    ``weight``, whole-array numpy (networkx's takes seconds for 600 nodes), with a pull to the
    centre so loose residents and small components stay in view. Returns (n, 2) in [-1, 1]."""
    pos = rng.uniform(-1, 1, size=(n, 2)).astype(np.float32)
    if n < 2:
        return pos.astype(float) * 0
    k2 = np.float32(4.0 / n)
    k = float(np.sqrt(k2))
    u, v = edges[:, 0], edges[:, 1]
    step = 0.1
    for _ in range(iterations):
        x, y = pos[:, 0], pos[:, 1]
        dx = x[:, None] - x[None, :]
        dy = y[:, None] - y[None, :]
        w = dx * dx
        w += dy * dy
        np.maximum(w, 1e-4, out=w)
        np.divide(k2, w, out=w)  # repulsion k^2 / d, along the unit vector: k^2 / d^2 * delta
        disp = np.stack([(dx * w).sum(1), (dy * w).sum(1)], axis=1).astype(float)
        if u.size:
            e = (pos[u] - pos[v]).astype(float)
            f = e * (np.sqrt((e * e).sum(1)) / k)[:, None]  # attraction d^2 / k along the tie
            if weight is not None:
                f *= weight[:, None]
            for j in (0, 1):
                disp[:, j] += np.bincount(v, f[:, j], n) - np.bincount(u, f[:, j], n)
        disp -= gravity * n * k * pos
        length = np.sqrt((disp * disp).sum(1))[:, None]
        pos += (disp / np.maximum(length, 1e-9) * np.minimum(length, step)).astype(np.float32)
        step *= 0.97
    pos = pos.astype(float) - pos.mean(axis=0)
    radius = np.sqrt((pos * pos).sum(1))
    pos /= max(float(np.quantile(radius, 0.98)), 1e-9)  # a few far-flung residents do not shrink the rest
    radius = np.sqrt((pos * pos).sum(1))[:, None]
    return np.where(radius > 1.05, pos * 1.05 / np.maximum(radius, 1e-9), pos)


@dataclass
class TownView:
    """What the network view draws: a sample of residents, their fixed positions, base ties."""

    nodes: np.ndarray  # resident indices drawn (sorted)
    pos: np.ndarray  # (len(nodes), 2) positions in [-1, 1]
    base_edges: np.ndarray  # (m, 2) row pairs of household / neighbour ties among the drawn
    row: np.ndarray  # resident -> row in nodes, -1 if not drawn
    ring: float = 1.22  # radius of the ring the groups sit on

    @classmethod
    def build(cls, model: SocialPrescribingModel, max_drawn: int = MAX_DRAWN) -> TownView:
        """Sample and lay out the drawn residents (once per model, i.e. once per reset). Positions use
        the household and neighbour ties (``model.network.to_networkx(nodes)`` gives the same graph
        plus current group ties); ties made at groups come and go, so they do not move anyone."""
        rng = np.random.default_rng([model.cfg.simulation.seed, 4711])
        nodes = sample_residents(model, max_drawn, rng)
        net = model.network
        row = np.full(net.n, -1, np.int64)
        row[nodes] = np.arange(nodes.size)
        keep = (row[net.base_u] >= 0) & (row[net.base_v] >= 0)
        edges = np.stack([row[net.base_u[keep]], row[net.base_v[keep]]], axis=1)
        same_home = model.residents.household[nodes[edges[:, 0]]] == model.residents.household[nodes[edges[:, 1]]]
        weight = np.where(same_home, HOUSEHOLD_PULL, 1.0)
        return cls(nodes, spring_layout(nodes.size, edges, rng, weight), edges, row)

    def group_xy(self, idx: np.ndarray) -> np.ndarray:
        """Fixed spots on a ring for groups (golden-angle spacing: new groups never move old ones)."""
        a = np.asarray(idx, float) * GOLDEN_ANGLE + math.pi / 2
        return np.stack([self.ring * np.cos(a), self.ring * np.sin(a)], axis=1)

    @staticmethod
    def worker_xy(k: int) -> np.ndarray:
        x = np.linspace(-0.6, 0.6, k) if k > 1 else np.zeros(k)
        return np.stack([x, np.full(k, 1.47)], axis=1)


class TownPicture:
    """The network view as a matplotlib figure that is kept and updated in place every week (making
    a new figure each week costs more than drawing it).

    Residents are dots coloured by loneliness; an outline shows who is waiting for a link worker
    (orange), on a caseload (purple, with a line to their link worker) or holding a place in a
    group (green, with a line to the group). Diamonds are group volunteers. Grey lines are
    household and neighbour ties, green lines ties made at groups. Squares on the ring are community
    groups (area grows with places, a grey cross when closed); triangles at the top are link workers
    with their clients / caseload places.
    """

    def __init__(self, model, legend: bool = True):
        from matplotlib.collections import LineCollection
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D

        self.view = view = model.view
        self.fig = fig = Figure(figsize=(5.6, 6.6), dpi=80)
        self.ax = ax = fig.add_axes((0.0, 0.19 if legend else 0.0, 1.0, 0.74 if legend else 0.9))
        ax.set_xlim(-1.45, 1.45)
        ax.set_ylim(-1.4, 1.62)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.add_collection(LineCollection(view.pos[view.base_edges], colors=TIE, linewidths=0.5, alpha=0.6, zorder=1))
        self.lines = {
            "group_ties": LineCollection([], colors=GROUP_TIE, linewidths=1.0, alpha=0.85, zorder=2),
            "members": LineCollection([], colors=IN_GROUP, linewidths=0.5, alpha=0.35, zorder=1),
            "clients": LineCollection([], colors=CASELOAD, linewidths=0.7, alpha=0.55, zorder=1),
        }
        for c in self.lines.values():
            ax.add_collection(c)
        self.title = ax.set_title("", fontsize=10)
        self.dynamic: list = []
        if legend:
            def dot(label, **kw):
                return Line2D([], [], ls="", label=label, **{"marker": "o", "ms": 8, **kw})
            handles = [
                dot("lonely", mfc=LONELY, mec="white"),
                dot("not lonely", mfc=NOT_LONELY, mec="white"),
                dot("volunteer", marker="D", mfc="#dddddd", mec="#555555", ms=7),
                dot("waiting for a link worker", mfc="white", mec=WAITING, mew=2),
                dot("on a caseload", mfc="white", mec=CASELOAD, mew=2),
                dot("in a group", mfc="white", mec=IN_GROUP, mew=2),
                dot("link worker (clients/places)", marker="^", mfc=CASELOAD, mec="black", ms=10),
                Line2D([], [], color=GROUP_TIE, lw=1.5, label="tie made at a group"),
                dot("closed group", marker="X", mfc=CLOSED_GROUP, mec=CLOSED_GROUP, ms=8),
            ]
            kinds = [dot(f"group: {GROUP_KIND_LABELS[k]}", marker="s", mfc=c, mec="black", ms=8)
                     for k, c in zip(GROUP_KINDS, GROUP_KIND_COLOURS, strict=True)]
            handles = handles + kinds
            fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=7.5, frameon=False,
                       columnspacing=0.8, handletextpad=0.2)

    def png(self, model) -> bytes:
        """This week's picture as PNG bytes (the ties and legend are kept as a background)."""
        from .render import Blit

        self.update(model)
        if not hasattr(self, "_blit"):
            self._blit = Blit(self.fig)
        return self._blit.png([*self.lines.values(), *self.dynamic, self.title])

    def update(self, model):
        """Redraw the changing parts for the model's current week; returns the figure."""
        for artist in self.dynamic:
            artist.remove()
        self.dynamic = []
        ax, view = self.ax, self.view
        r, groups, net = model.residents, model.groups, model.network
        nodes, pos = view.nodes, view.pos

        segs = np.zeros((0, 2, 2))
        if net.group.keys.size:
            gu, gv = view.row[net.group.u], view.row[net.group.v]
            ok = (gu >= 0) & (gv >= 0)
            segs = pos[np.stack([gu[ok], gv[ok]], axis=1)]
        self.lines["group_ties"].set_segments(segs)
        gidx = r.group[nodes]
        member = gidx >= 0
        self.lines["members"].set_segments(np.stack([pos[member], view.group_xy(gidx[member])], axis=1))
        k_lw = model.link_workers.n
        wxy = view.worker_xy(k_lw)
        status = r.lw_status[nodes]
        worker = r.lw_worker[nodes]
        client = (status == 2) & (worker >= 0)
        self.lines["clients"].set_segments(np.stack([pos[client], wxy[worker[client]]], axis=1))

        face = np.where(r.lonely[nodes], LONELY, NOT_LONELY)
        edge = np.where(status == 1, WAITING, np.where(status == 2, CASELOAD, np.where(member, IN_GROUP, "white")))
        marked = (status > 0) | member
        width = np.where(status > 0, 2.2, np.where(member, 1.5, 0.4))
        size = (40.0 if nodes.size <= 300 else 24.0) * np.where(status > 0, 2.2, np.where(member, 1.4, 1.0))
        vol = r.volunteer_group[nodes] >= 0
        for mask, marker, grow in ((~vol, "o", 1.0), (vol, "D", 1.3)):
            for keep in (mask & ~marked, mask & marked):  # outlined residents drawn on top
                if keep.any():
                    self.dynamic.append(ax.scatter(pos[keep, 0], pos[keep, 1], s=size[keep] * grow, c=face[keep],
                                                   edgecolors=edge[keep], linewidths=width[keep], marker=marker,
                                                   zorder=3))
        if groups.n:
            xy = view.group_xy(np.arange(groups.n))
            is_open = groups.open.astype(bool)
            colours = np.array(GROUP_KIND_COLOURS)[groups.kind.astype(int)]
            if is_open.any():
                self.dynamic.append(ax.scatter(xy[is_open, 0], xy[is_open, 1], s=40 + 5.0 * groups.places[is_open],
                                               marker="s", c=colours[is_open], edgecolors="black", linewidths=0.8,
                                               zorder=4))
            if (~is_open).any():
                self.dynamic.append(ax.scatter(xy[~is_open, 0], xy[~is_open, 1], s=60, marker="X", c=CLOSED_GROUP,
                                               zorder=4))
        if k_lw:
            self.dynamic.append(ax.scatter(wxy[:, 0], wxy[:, 1], s=260, marker="^", c=CASELOAD, edgecolors="black",
                                           zorder=4))
            lw = model.link_workers
            for i, (x, y) in enumerate(wxy):
                self.dynamic.append(ax.annotate(f"{int(lw.clients[i])}/{int(lw.caseload_cap[i])}", (x, y),
                                                xytext=(0, -17), textcoords="offset points", ha="center", fontsize=8))
        else:
            self.dynamic.append(ax.text(0, 1.47, "no link workers", ha="center", va="center", fontsize=9,
                                        color="#555555"))
        n = r.n
        drawn = (f"all {n:,} residents" if nodes.size == n
                 else f"{nodes.size:,} of {n:,} residents (a patch of the town)")
        waiting = int(np.count_nonzero(r.lw_status == 1))
        self.title.set_text(f"Week {model.recorded_week}: {drawn}\nwhole town: {int(r.lonely.sum()):,} lonely "
                            f"({r.lonely.mean():.1%}), {waiting} waiting for a link worker")
        return self.fig


def draw_town(model, legend: bool = True):
    """A new figure of the network view for the model's current week (for notebooks)."""
    return TownPicture(model, legend=legend).update(model)


