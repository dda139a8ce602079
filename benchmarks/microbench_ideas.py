"""Micro-benchmarks behind the optimisation ideas in docs/performance.md.

Each idea replaces one hot expression of ``src/spsim`` with a faster one that gives the SAME
result (checked here with ``np.array_equal`` on real model state, and for the random draws also
the generator state afterwards). The "original" expressions are copies of the code at the commit
named in docs/performance.md; if src has changed since, re-read them before trusting a figure.
Nothing in src is changed.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONPATH=src \\
        python benchmarks/microbench_ideas.py --size 100000
"""

from __future__ import annotations

import argparse
import sys
import timeit

import numpy as np


def best_ms(fn, number: int = 20, repeat: int = 7) -> float:
    """Best of ``repeat`` means over ``number`` calls, in ms (the best is the least disturbed by other work)."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e3


# ------------------------------------------------------------------------- 1. uniforms
def uniforms_numpy(gen: np.random.Generator, rows: int, n: int) -> np.ndarray:
    return gen.random((rows, n), dtype=np.float32)  # spsim.model.rng.Streams.uniforms


def uniforms_raw(gen: np.random.Generator, rows: int, n: int) -> np.ndarray:
    """Same numbers as ``Generator.random(dtype=float32)`` on PCG64: numpy takes 32-bit halves of
    each 64-bit output, low half first, keeps the top 24 bits and scales by 2**-24. Valid when
    rows * n is even and no half-word is buffered (otherwise fall back to numpy)."""
    bg = gen.bit_generator
    if (rows * n) % 2 or bg.state["has_uint32"]:
        return gen.random((rows, n), dtype=np.float32)
    raw = bg.random_raw(rows * n // 2).view(np.uint32)
    out = (raw >> np.uint32(8)).astype(np.float32)
    out *= np.float32(1.0 / 16777216.0)
    return out.reshape(rows, n)


# ------------------------------------------------------------------------- 2. unique keys
def unique_sort(keys: np.ndarray) -> np.ndarray:
    """Sorted unique values, as ``np.unique`` returns them, by a sort and a mask."""
    s = np.sort(keys)
    if s.size == 0:
        return s
    return s[np.concatenate(([True], s[1:] != s[:-1]))]


# ------------------------------------------------------------------------- 3. GP queue order
def order_lexsort(luck: np.ndarray, practice: np.ndarray) -> np.ndarray:
    return np.lexsort((luck, practice))  # help_seeking: by practice, then luck, stable


def order_combined(luck: np.ndarray, practice: np.ndarray) -> np.ndarray:
    """float32 uniforms in [0, 1) are k / 2**24 exactly, so (practice, luck) packs into one int64
    key whose stable argsort is the lexsort order."""
    key = (practice.astype(np.int64) << 24) | (luck * np.float32(16777216.0)).astype(np.int64)
    return np.argsort(key, kind="stable")


# ------------------------------------------------------------------------- 4. group founders
def founders_argsort(key: np.ndarray, pool: np.ndarray, k: int) -> np.ndarray:
    return pool[np.argsort(key[pool], kind="stable")][:k]  # groups._start_groups


def founders_partition(key: np.ndarray, pool: np.ndarray, k: int) -> np.ndarray:
    """The k lowest keys, ties broken by position as a stable sort does, without sorting the pool."""
    if k >= pool.size:
        return founders_argsort(key, pool, k)
    packed = ((key[pool] * np.float32(16777216.0)).astype(np.int64) << 32) | np.arange(pool.size, dtype=np.int64)
    part = np.argpartition(packed, k - 1)[:k]
    return pool[part[np.argsort(packed[part])]]


# ------------------------------------------------------------------------- 5. needs
def needs_original(r, groups_kind, u, need_onset, base, mult, need_to_kind, n_needs):
    res_mult = np.where(r.lw_status == 2, np.float32(mult), np.float32(1.0))
    kind_attended = np.where(r.attended, groups_kind[np.maximum(r.group, 0)], -1)
    needs = r.needs.copy()
    for k in range(n_needs):
        bit = np.uint8(1 << k)
        has = (needs & bit) != 0
        p_res = np.minimum(base * res_mult * np.where(kind_attended == need_to_kind[k], 2.0, 1.0), 1.0)
        now = np.where(has, u[k + 1] >= p_res, u[k + 1] < need_onset)
        needs = np.where(now, needs | bit, needs & ~bit).astype(np.uint8)
    return needs


def f32_at_least(p: np.ndarray) -> np.ndarray:
    """Smallest float32 >= p, so that (u >= t) == (u >= p) for every float32 u."""
    t = p.astype(np.float32)
    low = t.astype(np.float64) < p
    t[low] = np.nextafter(t[low], np.float32(np.inf))
    return t


def needs_lookup(r, groups_kind, u, need_onset, base, mult, need_to_kind, n_needs):
    """p_res takes one of four values (on a caseload or not x attends the matching kind or not):
    look it up as an exact float32 threshold and set bits in place."""
    # the same arithmetic as the original: base * res_mult in float32, then x 1.0 or 2.0 in float64
    res = base * np.array([1.0, mult], dtype=np.float32)
    table = f32_at_least(np.minimum(res[:, None] * np.array([1.0, 2.0])[None, :], 1.0).ravel())
    on_case = (r.lw_status == 2).view(np.uint8) << np.uint8(1)
    kind_attended = np.where(r.attended, groups_kind[np.maximum(r.group, 0)], np.int8(-1))
    needs = r.needs
    out = np.zeros(needs.shape[0], np.uint8)
    for k in range(n_needs):
        has = ((needs >> np.uint8(k)) & np.uint8(1)).view(bool)
        p_res = table[on_case | (kind_attended == need_to_kind[k]).view(np.uint8)]
        now = np.where(has, u[k + 1] >= p_res, u[k + 1] < need_onset)
        out |= now.view(np.uint8) << np.uint8(k)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="micro-benchmarks behind docs/performance.md's optimisation ideas")
    p.add_argument("--size", type=int, default=100_000)
    p.add_argument("--warm-weeks", type=int, default=20, help="weeks run first so the state is realistic")
    a = p.parse_args(argv)

    from spsim.model import SocialPrescribingModel
    from spsim.model.config import load_config
    from spsim.model.tables import NEED_TO_KIND, NEEDS

    n = a.size
    cfg = load_config(None, [f"population.size={n}", "simulation.burn_in_weeks=0"])
    model = SocialPrescribingModel(cfg, agents=False)
    for _ in range(a.warm_weeks):
        model.step()
    r = model.residents
    rows: list[tuple[str, float, float, str]] = []

    # 1. uniforms: the 24 rows a week draws in all
    g1 = np.random.Generator(np.random.PCG64(7))
    g2 = np.random.Generator(np.random.PCG64(7))
    for _ in range(3):
        assert np.array_equal(uniforms_numpy(g1, 24, n), uniforms_raw(g2, 24, n))
    s1, s2 = g1.bit_generator.state, g2.bit_generator.state
    assert s1["state"] == s2["state"] and s1["has_uint32"] == s2["has_uint32"] == 0
    assert np.array_equal(g1.random(1001, dtype=np.float32), g2.random(1001, dtype=np.float32))
    rows.append(("uniforms, 24 x n float32 (a week's draws)", best_ms(lambda: uniforms_numpy(g1, 24, n), 5),
                 best_ms(lambda: uniforms_raw(g2, 24, n), 5), "per week"))

    # 2. network build: the edge keys unique_undirected passes to np.unique (captured from a real build)
    import spsim.model.network as network

    captured: list[np.ndarray] = []
    real_unique = np.unique

    def spy(ar, *args, **kwargs):
        captured.append(np.array(ar, copy=True))
        return real_unique(ar, *args, **kwargs)

    np.unique = spy
    try:
        network.build_network(cfg.population, cfg.network, np.random.default_rng(3))
    finally:
        np.unique = real_unique
    keys = max(captured, key=lambda x: x.size)
    assert np.array_equal(np.unique(keys), unique_sort(keys))
    rows.append((f"unique edge keys at build ({keys.size:,} keys)", best_ms(lambda: np.unique(keys), 1, 3),
                 best_ms(lambda: unique_sort(keys), 3, 3), "once per build"))

    # 3. help-seeking queue order
    hs = model.streams["help_seeking"].random((4, n), dtype=np.float32)
    lam = r.gp_base * np.float32(1.5) + np.float32(0.02)
    idx = np.flatnonzero(hs[0] < -np.expm1(-lam))
    luck, pr = hs[2][idx], r.practice[idx]
    assert np.array_equal(order_lexsort(luck, pr), order_combined(luck, pr))
    rows.append((f"GP request order ({idx.size:,} requests)", best_ms(lambda: order_lexsort(luck, pr)),
                 best_ms(lambda: order_combined(luck, pr)), "per week"))

    # 4. founders of new groups
    key = model.streams["groups"].random(n, dtype=np.float32)
    pool = np.flatnonzero(r.volunteer & (r.volunteer_group < 0))
    k = 2 * max(cfg.groups.volunteers_needed, 1)
    assert np.array_equal(founders_argsort(key, pool, k), founders_partition(key, pool, k))
    rows.append((f"new-group founders (pool {pool.size:,})", best_ms(lambda: founders_argsort(key, pool, k)),
                 best_ms(lambda: founders_partition(key, pool, k)), "per week with a new group"))

    # 5. life events: needs arise and resolve
    le = model.mechanisms[0]
    ul = model.streams["life_events"].random((1 + len(NEEDS), n), dtype=np.float32)
    args = (r, model.groups.kind, ul, le.need_onset, 1.0 / cfg.needs.mean_duration_weeks,
            cfg.link_workers.need_resolution_multiplier, NEED_TO_KIND, len(NEEDS))
    assert np.array_equal(needs_original(*args), needs_lookup(*args))
    rows.append(("life events: needs loop", best_ms(lambda: needs_original(*args)),
                 best_ms(lambda: needs_lookup(*args)), "per week"))

    print(f"{n:,} residents, state after {a.warm_weeks} weeks; best of 7, ms; every candidate gives identical results")
    print(f"{'expression':<46} {'original':>9} {'candidate':>10} {'saved':>8}  when")
    for name, t0, t1, when in rows:
        print(f"{name:<46} {t0:>9.3f} {t1:>10.3f} {t0 - t1:>8.3f}  {when}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
