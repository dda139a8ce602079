"""The classroom app (``spsim app``): a small town in the browser, levers in hand.

This module holds everything that does not need a web server, so notebooks and tests can use it
with matplotlib alone:

- :class:`ClassroomModel`: :class:`~spsim.model.SocialPrescribingModel` built from keyword
  parameters (what Mesa's SolaraViz needs to rebuild the model on *Reset*), recording a weekly
  series of model-level numbers with a :class:`mesa.DataCollector`;
- :func:`discover_presets`: the scenario files in ``configs/``, found at run time, plus
  ``no social prescribing``;
- :func:`draw_town` and :func:`draw_trends`: the network view and the four live plots;
- :func:`cmd_app`: the ``spsim app`` command, which starts a Solara server on localhost for the
  page in :mod:`spsim.app_page`.

The classroom town first settles for the preset's burn-in weeks without link workers (so start-up
drifts, e.g. group membership filling up, are over before the class watches); week 0 is that
settled town, and the link-worker service opens in week 1, so its waiting list builds up in front
of the class. Towns built with the same seed are identical at week 0 whatever the levers say
(common random numbers): what differs later is the levers' doing. The four sliders always win
over the preset for their own parameter (residents, link-worker FTE, spillover, groups at the
start); the preset supplies everything else. The preset ``no social prescribing`` switches the
service off whatever the FTE slider says.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import mesa
import numpy as np

from ...model.agents import LinkWorker
from ...model.config import ConfigError, load_config
from ...model.network import expand_ranges
from ...model.params import Config
from ...model.population import build_link_workers
from ...model.simulation import SocialPrescribingModel

NO_SERVICE = "no social prescribing"
CONFIG_SUFFIXES = (".toml", ".yaml", ".yml")  # preferred first when two files share a name
CONFIGS_ENV = "SPSIM_CONFIGS"
CLASSROOM_WEEKS = 520  # the app stops after ten years
MAX_DRAWN = 600  # residents drawn in the network view

#: the classroom defaults (also the sliders' starting positions)
DEFAULTS = {"population": 2000, "fte": 0.05, "spillover": 0.15, "groups": 4, "preset": "default", "seed": "1"}


# --------------------------------------------------------------------------------------- presets
def configs_dir(explicit: str | Path | None = None) -> Path | None:
    """Where presets come from: ``explicit``, else ``$SPSIM_CONFIGS``, else ``./configs``, else the
    ``configs/`` folder of the source checkout this package was installed from."""
    for cand in (explicit, os.environ.get(CONFIGS_ENV) or None, Path.cwd() / "configs",
                 Path(__file__).resolve().parents[2] / "configs"):
        if cand is not None and Path(cand).is_dir():
            return Path(cand)
    return None


def discover_presets(folder: str | Path | None = None) -> dict[str, Path | None]:
    """Preset name -> scenario file, for every valid scenario file in the configs folder, plus
    :data:`NO_SERVICE` (-> None). Files that do not validate are left out with a warning on stderr."""
    found: dict[str, Path | None] = {}
    where = configs_dir(folder)
    if where is not None:
        files = [p for p in where.iterdir() if p.is_file() and p.suffix.lower() in CONFIG_SUFFIXES]
        files.sort(key=lambda p: (p.stem, CONFIG_SUFFIXES.index(p.suffix.lower())))
        for p in files:
            if p.stem in found or p.stem == NO_SERVICE:
                continue
            try:
                load_config(p)
            except ConfigError as e:
                print(f"spsim app: preset skipped: {e}", file=sys.stderr)
                continue
            found[p.stem] = p
    found[NO_SERVICE] = None
    return found


def _parse_seed(seed: int | str) -> int:
    try:
        value = int(str(seed).strip())
    except ValueError:
        raise ConfigError("app", "seed", f"must be a whole number, got {seed!r}") from None
    if value < 0:
        raise ConfigError("app", "seed", f"must be 0 or more, got {value}")
    return value


def classroom_config(
    population: int = DEFAULTS["population"],
    fte: float = DEFAULTS["fte"],
    spillover: float = DEFAULTS["spillover"],
    groups: int = DEFAULTS["groups"],
    preset: str = DEFAULTS["preset"],
    seed: int | str = DEFAULTS["seed"],
    weeks: int = CLASSROOM_WEEKS,
    configs: str | Path | None = None,
) -> Config:
    """The scenario for a classroom town: the preset, with the four levers set from the sliders."""
    presets = discover_presets(configs)
    if preset not in presets:
        raise ConfigError("app", "preset", f"no preset {preset!r}; choose one of {', '.join(presets)}")
    path = presets[preset]
    fte = 0.0 if preset == NO_SERVICE else float(fte)
    overrides = [
        f"population.size={int(population)}",
        'population.scaling="absolute"',  # the sliders give the classroom town's own numbers (docs/places.md)
        f"link_workers.fte={round(fte, 6)!r}",
        f"volunteering.spillover={round(float(spillover), 6)!r}",
        f"groups.count={int(groups)}",
        f"simulation.seed={_parse_seed(seed)}",
        f"simulation.weeks={int(weeks)}",
        "simulation.replicates=1",
        f'simulation.name="{preset}"',
    ]
    return load_config(path, overrides)


# ----------------------------------------------------------------------------------------- model
def _lonely_pct(m) -> float:
    return 100.0 * float(m.residents.lonely.mean())


def _weekly(key: str):
    """A reporter for a count made during the week: missing (NaN) before the first week."""
    return lambda m: float(m.tally[key]) if m.recorded_week > 0 else math.nan


#: DataCollector model reporters: column -> function of the model (one row per week, week 0 first)
REPORTERS = {
    "Week": lambda m: m.recorded_week,
    "Share lonely (%)": _lonely_pct,
    "GP appointments asked for": _weekly("gp_requests"),
    "GP appointments for a social problem": _weekly("gp_social_consultations"),
    "Waiting for a link worker": lambda m: int(np.count_nonzero(m.residents.lw_status == 1)),
    "On a link-worker caseload": lambda m: int(np.count_nonzero(m.residents.lw_status == 2)),
    "Caseload places": lambda m: int(m.link_workers.caseload_cap.sum()) if m.link_workers.n else 0,
    "Group volunteers": lambda m: int(np.count_nonzero(m.residents.volunteer_group >= 0)),
    "Places in open groups": lambda m: int(m.groups.places[m.groups.open].sum()) if m.groups.n else 0,
    "Residents in a group": lambda m: int(np.count_nonzero(m.residents.group >= 0)),
    "Referrals": _weekly("referrals"),
    "A&E attendances": _weekly("ae_attendances"),
    "Groups open": lambda m: int(m.groups.open.sum()) if m.groups.n else 0,
    "Mean wellbeing (0-10)": lambda m: float(m.residents.wellbeing.mean(dtype=np.float64)),
}


class ClassroomModel(SocialPrescribingModel):
    """A classroom town built from keyword parameters, for Mesa's SolaraViz and for notebooks.

    Parameters
    ----------
    population: residents (a few hundred to a few thousand).
    fte: link-worker whole-time equivalents (each FTE holds ``link_workers.caseload_per_fte`` clients).
    spillover: share of residents helped by a link worker who go on to volunteer for a group.
    groups: community groups at the start.
    preset: a scenario file name from ``configs/`` (see :func:`discover_presets`) or ``no social prescribing``.
    seed: root seed (the same seed and levers give the same town and the same luck).
    weeks: weeks before the model stops running.
    configs: folder of scenario files (default: see :func:`configs_dir`).
    """

    def __init__(
        self,
        population: int = DEFAULTS["population"],
        fte: float = DEFAULTS["fte"],
        spillover: float = DEFAULTS["spillover"],
        groups: int = DEFAULTS["groups"],
        preset: str = DEFAULTS["preset"],
        seed: int | str = DEFAULTS["seed"],
        weeks: int = CLASSROOM_WEEKS,
        configs: str | None = None,
    ):
        cfg = classroom_config(population, fte, spillover, groups, preset, seed, weeks, configs)
        settle = cfg.model_copy(update={"link_workers": cfg.link_workers.model_copy(update={"fte": 0.0})})
        super().__init__(settle, replicate=0, agents=True)
        for _ in range(cfg.simulation.burn_in_weeks):  # settle without link work (not recorded)
            SocialPrescribingModel.step(self)
        # the service opens: link workers join, and from week 1 practices can refer to them
        self.cfg = cfg
        self.link_workers = build_link_workers(cfg)
        for i in range(self.link_workers.n):
            LinkWorker(self, i)
        self.preset = preset
        self._view: TownView | None = None
        self._pictures: dict[str, TownPicture | TrendsPicture] = {}
        self.datacollector = mesa.DataCollector(model_reporters=REPORTERS)
        self.datacollector.collect(self)

    def step(self) -> None:
        super().step()
        self.datacollector.collect(self)

    def series(self):
        """The weekly series as a DataFrame indexed by week (week 0 = the settled town, before the
        link-worker service opens)."""
        return self.datacollector.get_model_vars_dataframe().set_index("Week")

    def settings_line(self) -> str:
        """The levers this town was built with (sliders act on Reset, so these may differ from them)."""
        c = self.cfg
        places = int(self.link_workers.caseload_cap.sum()) if self.link_workers.n else 0
        service = (f"{c.link_workers.fte:g} FTE link work ({places} caseload places)" if c.link_workers.fte > 0
                   else "no link workers")
        return (f"This town: {self.preset} · {self.residents.n:,} residents · {service} · "
                f"spillover {c.volunteering.spillover:.0%} · {c.groups.count} groups at the start · "
                f"seed {c.simulation.seed}")

    def summary_line(self) -> str:
        """This week's numbers for the whole town."""
        r = self.residents
        lonely = int(r.lonely.sum())
        waiting = int(np.count_nonzero(r.lw_status == 1))
        active = int(np.count_nonzero(r.lw_status == 2))
        vols = int(np.count_nonzero(r.volunteer_group >= 0))
        open_groups = int(self.groups.open.sum()) if self.groups.n else 0
        return (f"Week {self.recorded_week}: {lonely} lonely ({lonely / r.n:.1%}) · "
                f"{waiting} waiting for a link worker · {active} on a caseload · {vols} group volunteers · "
                f"{open_groups} groups open")

    @property
    def view(self) -> TownView:
        """The drawn sample and its layout, computed once per model (so once per reset)."""
        if self._view is None:
            self._view = TownView.build(self)
        return self._view

    def picture(self, kind: str):
        """The app's kept figure of ``kind`` ("town" or "trends"), updated to this week."""
        if kind not in self._pictures:
            self._pictures[kind] = TownPicture(self) if kind == "town" else TrendsPicture()
        return self._pictures[kind].update(self)


# -------------------------------------------------------------------------------------- drawing
LONELY, NOT_LONELY = "#d7301f", "#a6bddb"
WAITING, CASELOAD, IN_GROUP = "#ff8c00", "#6a3d9a", "#1a9850"
GROUP_KIND_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#a6761d")
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

    def __init__(self, model: ClassroomModel, legend: bool = True):
        from matplotlib.collections import LineCollection
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D

        self.view = view = model.view
        self.fig = fig = Figure(figsize=(5.6, 6.1), dpi=80)
        self.ax = ax = fig.add_axes((0.0, 0.12 if legend else 0.0, 1.0, 0.8 if legend else 0.9))
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
                dot("community group", marker="s", mfc=GROUP_KIND_COLOURS[0], mec="black", ms=9),
                dot("link worker", marker="^", mfc=CASELOAD, mec="black", ms=10),
                Line2D([], [], color=GROUP_TIE, lw=1.5, label="tie made at a group"),
            ]
            fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False,
                       columnspacing=0.8, handletextpad=0.2)

    def update(self, model: ClassroomModel):
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
                self.dynamic.append(ax.scatter(xy[~is_open, 0], xy[~is_open, 1], s=60, marker="X", c="#9e9e9e",
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


#: the four live plots: title -> (columns, colours)
TRENDS = {
    "Share lonely (%)": (("Share lonely (%)",), (LONELY,)),
    "GP demand per week": (("GP appointments asked for", "GP appointments for a social problem"),
                           ("#08519c", "#6baed6")),
    "Link work: the queue": (("Waiting for a link worker", "On a link-worker caseload", "Caseload places"),
                             (WAITING, CASELOAD, "#999999")),
    "Volunteers and group capacity": (("Group volunteers", "Places in open groups", "Residents in a group"),
                                      ("#b15928", "#1b9e77", IN_GROUP)),
}


class TrendsPicture:
    """The four live plots (share lonely, GP demand, waiting list, volunteers) in a 2 x 2 figure
    that is kept and updated in place every week."""

    def __init__(self):
        from matplotlib.figure import Figure

        self.fig = fig = Figure(figsize=(5.6, 4.8), dpi=80)
        axes = fig.subplots(2, 2, sharex=True)
        fig.subplots_adjust(left=0.08, right=0.98, top=0.93, bottom=0.1, hspace=0.3, wspace=0.22)
        self.axes = axes.ravel()
        self.lines: dict[str, object] = {}
        for ax, (title, (cols, colours)) in zip(self.axes, TRENDS.items(), strict=True):
            for col, colour in zip(cols, colours, strict=True):
                (self.lines[col],) = ax.plot([], [], "--" if col == "Caseload places" else "-", color=colour,
                                             lw=1.8, label=col)
            ax.set_title(title, fontsize=10, fontweight="bold")
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=8)
            if len(cols) > 1:
                ax.legend(fontsize=7, loc="upper left", frameon=False, handlelength=1.5, borderaxespad=0.2)
        for ax in axes[1]:
            ax.set_xlabel("week", fontsize=9)

    def update(self, model: ClassroomModel):
        data = model.datacollector.model_vars
        weeks = np.asarray(data["Week"], float)
        last = weeks[-1] if weeks.size else 0.0
        for ax, (cols, _) in zip(self.axes, TRENDS.values(), strict=True):
            top = 0.0
            for col in cols:
                y = np.asarray(data[col], float)
                self.lines[col].set_data(weeks, y)
                if np.isfinite(y).any():
                    top = max(top, float(np.nanmax(y)))
            ax.set_ylim(0, max(1.0, 1.4 * top))
        self.axes[0].set_xlim(0, max(10.0, last))
        return self.fig


def draw_town(model: ClassroomModel, legend: bool = True):
    """A new figure of the network view for the model's current week (for notebooks)."""
    return TownPicture(model, legend=legend).update(model)


def draw_trends(model: ClassroomModel):
    """A new figure of the four live plots up to the model's current week (for notebooks)."""
    return TrendsPicture().update(model)
