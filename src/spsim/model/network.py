"""The social network: households, neighbours and friends, and ties made at groups.

Built without per-node Python: households are contiguous runs of resident indices, neighbour
ties link residents that are up to k places apart in a line that visits the neighbourhoods in
turn, each in a random order (a Watts-Strogatz lattice without wrap-around, so the ends of a
neighbourhood's run link into the next; a small world, with some ties rewired anywhere),
thinned by each resident's sociability so some residents sit at the periphery. Friendship is
homophilous: within a neighbourhood the line is ordered by a noisy copy of each resident's lasting
disposition to loneliness (``network.homophily``), so like sits near like, and that disposition also
lowers sociability (``network.disposition_sociability``), so the lonely-prone sit at the periphery
(Cacioppo, Fowler & Christakis 2009; McPherson et al. 2001). Base ties are
stored in CSR arrays (``indptr``, ``indices``). Ties made by attending the same group are kept
apart in a small sorted key array with the week each was last refreshed, and fade when unused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .params import NetworkParams, PopulationParams


def expand_ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(s, e)`` for every pair, without a Python loop."""
    lengths = (ends - starts).astype(np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts.astype(np.int64) - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total, dtype=np.int64)


def household_sizes(n: int, pop: PopulationParams, rng: np.random.Generator) -> np.ndarray:
    """Household sizes summing to ``n``: one-person households hold ``living_alone_share`` of residents."""
    a = pop.living_alone_share
    inv = 1.0 / pop.mean_household_size - a
    # mean size of multi-person households implied by the overall mean (clamped to 2..8)
    m = float(np.clip((1 - a) / inv, 2.0, 8.0)) if inv > 0 else 8.0
    n_alone = int(round(a * n))
    rest = n - n_alone
    est = int(rest / m * 1.3) + 10
    sizes = 2 + np.minimum(rng.poisson(m - 2.0, size=est), 6)
    csum = np.cumsum(sizes)
    k = int(np.searchsorted(csum, rest))
    sizes = sizes[: k + 1].copy()
    sizes[-1] -= int(csum[k] - rest) if k < len(csum) else 0
    sizes = sizes[sizes > 0]
    all_sizes = np.concatenate([np.ones(n_alone, dtype=np.int64), sizes.astype(np.int64)])
    rng.shuffle(all_sizes)
    assert all_sizes.sum() == n
    return all_sizes


def household_edges(starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs within each household (households are contiguous index runs)."""
    us, vs = [], []
    for s in np.unique(sizes):
        if s < 2:
            continue
        st = starts[sizes == s]
        a, b = np.triu_indices(int(s), k=1)
        us.append((st[:, None] + a[None, :]).ravel())
        vs.append((st[:, None] + b[None, :]).ravel())
    if not us:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(us), np.concatenate(vs)


def neighbour_edges(
    neighbourhood: np.ndarray, sociability: np.ndarray, net: NetworkParams, rng: np.random.Generator,
    order_key: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Lattice over neighbourhoods in turn (ordered by ``order_key`` within each, random if None),
    thinned by sociability, partly rewired anywhere."""
    n = neighbourhood.shape[0]
    target = net.neighbour_ties
    if target <= 0 or n < 3:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    h = net.tie_heterogeneity
    mean_keep = (1 - h) + h * 0.25  # E[s_i * s_j] = 1/4 for s ~ U(0, 1)
    k = max(1, int(np.ceil(target / (2 * mean_keep))))
    k = min(k, (n - 1) // 2)
    scale = min(1.0, target / (2 * k * mean_keep))
    key = rng.random(n) if order_key is None else order_key
    order = np.lexsort((key, neighbourhood))  # ring order inside neighbourhoods
    us, vs = [], []
    for d in range(1, k + 1):
        u = order[:-d]
        v = order[d:]
        keep_p = scale * ((1 - h) + h * sociability[u] * sociability[v])
        keep = rng.random(u.shape[0]) < keep_p
        u, v = u[keep], v[keep]
        rewire = rng.random(u.shape[0]) < net.rewire
        v = np.where(rewire, rng.integers(0, n, size=u.shape[0]), v)
        us.append(u)
        vs.append(v)
    return np.concatenate(us), np.concatenate(vs)


def sorted_unique(keys: np.ndarray) -> np.ndarray:
    """``np.unique`` of a one-dimensional integer array: sort, then keep the first of each run
    (the same result, several times faster: 37 against 10 us for 300 keys, 4x at 10^6)."""
    keys = np.sort(keys)
    return keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if keys.size else keys


def unique_undirected(u: np.ndarray, v: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    u, v = np.asarray(u, np.int64), np.asarray(v, np.int64)
    ok = u != v
    lo, hi = np.minimum(u[ok], v[ok]), np.maximum(u[ok], v[ok])
    keys = sorted_unique(lo * n + hi)
    return (keys // n).astype(np.int32), (keys % n).astype(np.int32)


@dataclass
class GroupTies:
    """Ties formed by co-attendance: sorted undirected keys ``lo * n + hi`` and week last used.
    Pairs already tied at home or as neighbours (``base_keys``) are not tied twice."""

    n: int
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    last: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    base_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def touch(self, u: np.ndarray, v: np.ndarray, week: int) -> int:
        """Create or refresh ties (u_i, v_i); return how many were new."""
        ok = u != v
        if not ok.any():
            return 0
        lo, hi = np.minimum(u[ok], v[ok]).astype(np.int64), np.maximum(u[ok], v[ok]).astype(np.int64)
        new = sorted_unique(lo * self.n + hi)
        if self.base_keys.size:
            at = np.minimum(np.searchsorted(self.base_keys, new), self.base_keys.size - 1)
            new = new[self.base_keys[at] != new]
        pos = np.searchsorted(self.keys, new)
        found = pos < self.keys.shape[0]
        found[found] = self.keys[pos[found]] == new[found]
        self.last[pos[found]] = week
        fresh = new[~found]
        if fresh.size:
            at = pos[~found]
            valid = self._degree_valid()
            self.keys = np.insert(self.keys, at, fresh)
            self.last = np.insert(self.last, at, np.int32(week))
            if valid:
                self._shift_degree(fresh, 1)
        return int(fresh.size)

    def _degree_valid(self) -> bool:
        return self.__dict__.get("_deg_keys") is self.keys

    def _shift_degree(self, keys: np.ndarray, by: int) -> None:
        """Keep the group-tie degree in step after ``keys`` were added (by=1) or dropped (-1)."""
        np.add.at(self._deg, keys // self.n, by)
        np.add.at(self._deg, keys % self.n, by)
        self._deg_keys = self.keys

    def degree(self) -> np.ndarray:
        """Group ties per resident (int64), kept up to date by ``touch`` and ``fade``, recounted
        whenever ``keys`` was replaced any other way. Internal state: do not modify."""
        if not self._degree_valid():
            self._deg = np.bincount(self.u, minlength=self.n) + np.bincount(self.v, minlength=self.n)
            self._deg_keys = self.keys
        return self._deg

    def refresh_co_attending(self, attended_group: np.ndarray, week: int) -> None:
        """Ties whose two ends attended the same group this week stay fresh
        (``attended_group``: group attended this week per resident, -1 none)."""
        if self.keys.size:
            gu, gv = attended_group[self.u], attended_group[self.v]
            self.last[(gu >= 0) & (gu == gv)] = week

    def fade(self, week: int, fade_weeks: int) -> int:
        keep = self.last > week - fade_weeks
        dropped = int(keep.size - keep.sum())
        if dropped:
            valid = self._degree_valid()
            gone = self.keys[~keep]
            self.keys, self.last = self.keys[keep], self.last[keep]
            if valid:
                self._shift_degree(gone, -1)
        return dropped

    @property
    def u(self) -> np.ndarray:
        return self._ends()[0]

    @property
    def v(self) -> np.ndarray:
        return self._ends()[1]

    def _ends(self) -> tuple[np.ndarray, np.ndarray]:
        """(u, v) of the current keys, cached until ``keys`` is replaced (it is never changed
        in place: ``touch`` and ``fade`` assign new arrays). Read-only: callers share them."""
        cache = self.__dict__.get("_ends_cache")
        if cache is None or cache[0] is not self.keys:
            u, v = (self.keys // self.n).astype(np.int64), (self.keys % self.n).astype(np.int64)
            u.flags.writeable = v.flags.writeable = False
            cache = self.__dict__["_ends_cache"] = (self.keys, u, v)
        return cache[1], cache[2]


class Network:
    """Base ties in CSR form plus the dynamic group ties."""

    def __init__(self, n: int, u: np.ndarray, v: np.ndarray):
        self.n = n
        self.base_u, self.base_v = u, v
        src = np.concatenate([u, v])
        dst = np.concatenate([v, u])
        order = np.argsort(src, kind="stable")
        self.indices = dst[order].astype(np.int32)
        counts = np.bincount(src, minlength=n)
        self.indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=self.indptr[1:])
        self.base_degree = counts.astype(np.int32)
        self.group = GroupTies(n, base_keys=np.asarray(u, np.int64) * n + np.asarray(v, np.int64))
        #: lasting disposition to loneliness (standard normal), set by build_network
        self.trait = np.zeros(n, np.float32)
        #: household id per resident (set by build_network), to tell household from other base ties
        self.household = np.zeros(n, np.int32)

    def tie_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every current tie once: (a, b, kind) with a < b and kind 0 household, 1 neighbour or
        friend (base ties outside the household, rewired ones included), 2 made at a group."""
        bu, bv = self.base_u.astype(np.int64), self.base_v.astype(np.int64)
        kind = np.where(self.household[bu] == self.household[bv], 0, 1).astype(np.int8)
        gu, gv = self.group.u, self.group.v
        return (np.concatenate([bu, gu]), np.concatenate([bv, gv]),
                np.concatenate([kind, np.full(gu.shape[0], 2, np.int8)]))

    def adjacency(self):
        """The current ties as a symmetric scipy CSR matrix (for measures over several degrees)."""
        from scipy import sparse

        a, b, _ = self.tie_table()
        data = np.ones(2 * a.shape[0], np.int8)
        return sparse.csr_matrix((data, (np.concatenate([a, b]), np.concatenate([b, a]))), shape=(self.n, self.n))

    @property
    def n_base_ties(self) -> int:
        return int(self.base_u.shape[0])

    def degree(self) -> np.ndarray:
        """Ties per resident: base ties plus current group ties (cached until the group ties'
        keys are replaced; a read-only array, copy it to change it)."""
        cache = self.__dict__.get("_degree_cache")
        if cache is None or cache[0] is not self.group.keys:
            deg = self.base_degree + self.group.degree() if self.group.keys.size else self.base_degree.astype(np.int64)
            deg.flags.writeable = False
            cache = self._degree_cache = (self.group.keys, deg)
        return cache[1]

    def degree_of(self, who: np.ndarray) -> np.ndarray:
        """``degree()[who]`` without building the whole array."""
        deg = self.base_degree[who].astype(np.int64)
        if self.group.keys.size:
            deg += self.group.degree()[who]
        return deg

    def count_flagged_neighbours(self, flag: np.ndarray, cache: str | None = None) -> np.ndarray:
        """For each resident, how many of their ties have ``flag`` set (only flagged rows are expanded).

        With ``cache`` (a name), the base-tie counts are kept with a copy of ``flag`` and next
        time only residents whose flag changed are expanded (exact: integer counts)."""
        if cache is None:
            out = self._base_flag_counts(flag)
        else:
            memo = self.__dict__.setdefault("_flag_memo", {})
            prev = memo.get(cache)
            if prev is None or prev[0].shape != flag.shape:
                out = self._base_flag_counts(flag)
                memo[cache] = (flag.copy(), out)
            else:
                old, out = prev
                changed = np.flatnonzero(flag != old)
                if changed.size > self.n // 16:
                    out = self._base_flag_counts(flag)
                    memo[cache] = (flag.copy(), out)
                elif changed.size:
                    on = flag[changed]
                    for who, by in ((changed[on], 1), (changed[~on], -1)):
                        if who.size:
                            np.add.at(out, self.indices[expand_ranges(self.indptr[who], self.indptr[who + 1])], by)
                    old[changed] = flag[changed]
            out = out.copy()
        if self.group.keys.size:
            gu, gv = self.group.u, self.group.v
            np.add.at(out, gv[flag[gu]], 1)
            np.add.at(out, gu[flag[gv]], 1)
        return out

    def _base_flag_counts(self, flag: np.ndarray) -> np.ndarray:
        src = np.flatnonzero(flag)
        idx = expand_ranges(self.indptr[src], self.indptr[src + 1])
        return np.bincount(self.indices[idx], minlength=self.n)

    def neighbours(self, i: int) -> np.ndarray:
        base = self.indices[self.indptr[i]: self.indptr[i + 1]]
        if not self.group.keys.size:
            return base
        gu, gv = self.group.u, self.group.v
        extra = np.concatenate([gv[gu == i], gu[gv == i]])
        return np.unique(np.concatenate([base, extra]))

    def to_networkx(self, nodes: np.ndarray | None = None):
        """A networkx Graph of the current ties (optionally only among ``nodes``), for drawing/export."""
        import networkx as nx

        g = nx.Graph()
        u = np.concatenate([self.base_u, self.group.u])
        v = np.concatenate([self.base_v, self.group.v])
        if nodes is not None:
            keep = np.zeros(self.n, bool)
            keep[nodes] = True
            sel = keep[u] & keep[v]
            u, v = u[sel], v[sel]
            g.add_nodes_from(np.asarray(nodes).tolist())
        else:
            g.add_nodes_from(range(self.n))
        g.add_edges_from(zip(u.tolist(), v.tolist(), strict=True))
        return g


def build_network(
    pop: PopulationParams, net: NetworkParams, rng: np.random.Generator
) -> tuple[Network, np.ndarray, np.ndarray, np.ndarray]:
    """Return (network, household id per resident, household size per resident, sociability)."""
    n = pop.size
    sizes = household_sizes(n, pop, rng)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    household = np.repeat(np.arange(sizes.shape[0], dtype=np.int32), sizes)
    hh_size = np.repeat(sizes, sizes)
    neighbourhood = (np.arange(n) // pop.neighbourhood_size).astype(np.int32)
    from scipy.special import ndtr

    # lasting disposition to loneliness; sociability falls with it (uniform margin kept), and the
    # friendship line is ordered by a noisy copy of it (homophily)
    trait = rng.standard_normal(n)
    c = net.disposition_sociability
    sociability = ndtr(-c * trait + np.sqrt(1.0 - c * c) * rng.standard_normal(n))
    h = net.homophily
    order_key = h * trait + np.sqrt(1.0 - h * h) * rng.standard_normal(n)
    hu, hv = household_edges(starts, sizes)
    nu, nv = neighbour_edges(neighbourhood, sociability, net, rng, order_key)
    u, v = unique_undirected(np.concatenate([hu, nu]), np.concatenate([hv, nv]), n)
    network = Network(n, u, v)
    network.trait = trait.astype(np.float32)
    network.household = household
    return network, household, hh_size, sociability
