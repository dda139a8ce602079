"""People as they really are: GP demand, loneliness, its causes and effects, and the instruments.

Directions are tested on paired runs (same seed, so common random numbers make the comparison
sharp); levels against published figures are in ``spsim targets`` (tests/test_targets.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import binomial_tolerance, make_model, run_weeks, small_config
from spsim.model.analyzers import ResidentHistory
from spsim.model.instruments import RANGES, error_sd, observe
from spsim.model.mechanisms.loneliness import true_ucla
from spsim.model.simulation import SocialPrescribingModel
from spsim.studies.patterns import contagion, frequent_attenders, persistence_by_duration, poisson_slope, top_share


def test_consultations_are_counts_with_no_one_a_week_cap():
    m = make_model(small_config({"practices.appointments_per_1000_per_week": 1000.0}))
    most = []
    run_weeks(m, 8, lambda mm: most.append(int(mm.gp_count.max())))
    assert max(most) >= 2
    assert m.tally["gp_consultations"] == int(m.gp_count.sum())


def test_episodes_come_and_go_with_sizes_drawn_at_onset():
    m = make_model(small_config({"population.size": 4000}))
    r = m.residents
    started = []

    def each(mm):
        assert np.all((mm.residents.episode_gp > 0) == mm.residents.in_episode)
        started.append(mm.residents.in_episode.copy())

    run_weeks(m, 12, each)
    ever, now = np.any(started, axis=0), started[-1]
    assert (ever & ~now).any() and (now & ~started[0]).any()  # episodes end and begin
    sizes = r.episode_gp[r.in_episode] * 52
    assert sizes.std() > 0.3 * sizes.mean()  # sizes vary (lognormal), not one fixed multiplier


def _gp_total(cfg) -> int:
    m = make_model(cfg)
    total = 0

    def add(mm):
        nonlocal total
        total += mm.tally["gp_consultations"]

    run_weeks(m, 30, add)
    return total


def test_loneliness_raises_gp_use_through_health():
    base = {"population.size": 4000, "practices.appointments_per_1000_per_week": 1000.0}
    flat = _gp_total(small_config({**base, "health.episode_rr_per_ucla_point": 1.0}))
    steep = _gp_total(small_config({**base, "health.episode_rr_per_ucla_point": 1.3}))
    assert steep > flat


def test_lockdown_raises_loneliness():
    base = {"population.size": 4000, "simulation.weeks": 30}
    calm = make_model(small_config(base))
    shut = make_model(small_config({**base, "shock.start_week": 0, "shock.weeks": 30}))
    run_weeks(calm, 32)
    run_weeks(shut, 32)
    assert shut.residents.lonely.mean() > calm.residents.lonely.mean()


def test_true_ucla_agrees_with_the_direct_question():
    m = make_model(small_config({"population.size": 3000}))
    run_weeks(m, 4)
    r = m.residents
    assert (r.ucla[r.lonely] >= 6.5).all() and (r.ucla[~r.lonely] < 6.5).all()
    assert (r.ucla >= 3).all() and (r.ucla <= 9).all()
    u = true_ucla(np.array([True, False]), np.array([10.0, -10.0]), np.array([False, True]),
                  np.array([True, False]), m.cfg.loneliness)
    assert u[0] == 9.0 and u[1] == 3.0


def test_true_ucla_follows_the_configured_means_disposition_bereavement_and_needs():
    """The true UCLA-3 score: ucla_lonely_mean + ucla_trait_slope x disposition (kept in
    [6.5, 9]) for a lonely resident; ucla_not_lonely_mean + the slope x disposition, + 0.8 when
    bereaved and + 0.4 with a need (assumption), kept in [3, 6.49], otherwise. Exact, from the config."""
    lc = small_config({"loneliness.ucla_trait_slope": 0.3}).loneliness
    trait = np.array([-1.0, 0.0, 1.0, 0.5])
    for lonely in (True, False):
        for bereaved in (True, False):
            for needs in (True, False):
                n = trait.size
                got = true_ucla(np.full(n, lonely), trait, np.full(n, bereaved), np.full(n, needs), lc)
                if lonely:
                    want = np.clip(lc.ucla_lonely_mean + lc.ucla_trait_slope * trait, 6.5, 9.0)
                else:
                    want = np.clip(lc.ucla_not_lonely_mean + lc.ucla_trait_slope * trait + 0.8 * bereaved
                                   + 0.4 * needs, 3.0, 6.49)
                np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    # the configured values are inside the clipping, so each term shows
    assert 6.5 < lc.ucla_lonely_mean - lc.ucla_trait_slope and lc.ucla_lonely_mean + lc.ucla_trait_slope < 9.0
    assert 3.0 < lc.ucla_not_lonely_mean - lc.ucla_trait_slope
    assert lc.ucla_not_lonely_mean + lc.ucla_trait_slope + 1.2 < 6.49


def test_homophily_ties_like_to_like():
    def tie_corr(h):
        m = make_model(small_config({"population.size": 3000, "network.homophily": h}))
        a, b, kind = m.network.tie_table()
        z = m.residents.lonely_trait
        sel = kind == 1
        return np.corrcoef(z[a[sel]], z[b[sel]])[0, 1]

    assert tie_corr(0.9) > tie_corr(0.0) + 0.3


def test_disposition_lowers_degree():
    m = make_model(small_config({"population.size": 4000, "network.disposition_sociability": 0.8}))
    deg = m.network.base_degree
    z = m.residents.lonely_trait
    assert np.corrcoef(z, deg)[0, 1] < -0.05


def test_sex_is_drawn_at_the_published_share():
    n = 8000
    m = make_model(small_config({"population.size": n}))
    assert abs(m.residents.sex.mean() - 0.49) <= binomial_tolerance(0.49, n)


@pytest.mark.parametrize("retest", [0.6, 0.83])
def test_measurement_error_gives_the_published_test_retest_correlation(retest):
    """Two observations of the same true scores correlate at the reliability (continuous scores;
    tolerance: 4 standard errors of a correlation from 20,000 pairs)."""
    rng = np.random.default_rng(1)
    true = rng.normal(5, 2, 20_000)
    sd = error_sd(true, retest)
    a, b = true + sd * rng.standard_normal(true.size), true + sd * rng.standard_normal(true.size)
    se = (1 - retest**2) / np.sqrt(true.size)
    assert abs(np.corrcoef(a, b)[0, 1] - retest) < 4 * se


def test_observed_instruments_are_in_range_noisy_and_tied_to_the_truth():
    m = make_model(small_config({"population.size": 4000}))
    run_weeks(m, 6)
    first, second = observe(m), observe(m)  # a retest on the same true scores
    for name, (lo, hi) in RANGES.items():
        x, y = first[name].astype(float), second[name].astype(float)
        assert x.min() >= lo and x.max() <= hi
        assert (x != y).any()  # noise differs between occasions
        assert 0.3 < np.corrcoef(x, y)[0, 1] < 0.99
    lonely = m.residents.lonely
    assert first["ucla3"][lonely].mean() > first["ucla3"][~lonely].mean() + 2


def test_observing_does_not_change_the_model():
    a, b = make_model(small_config()), make_model(small_config())
    for _ in range(5):
        a.step()
        b.step()
        observe(b)
    assert np.array_equal(a.residents.lonely, b.residents.lonely)
    assert np.array_equal(a.gp_count, b.gp_count)


def test_frequent_attender_measures_on_known_counts():
    years = np.zeros((2, 100), np.int64)
    years[0, :10] = 10  # the top 10% make everything in year one...
    years[1, :5] = 10  # ...and half of them are still on top in year two
    years[1, 50:55] = 10
    fa = frequent_attenders(years, np.random.default_rng(0))
    assert fa["fa_top10_share"] == pytest.approx(1.0)
    assert fa["fa_persistence"] == pytest.approx(0.5)
    assert fa["fa_next_year_change"] == pytest.approx(-0.5)
    assert top_share(np.arange(100), 0.01) == pytest.approx(99 / 4950)


def test_contagion_measure_is_one_for_unclustered_loneliness_and_above_for_clustered():
    from scipy import sparse

    n = 20_000
    i = np.arange(n)
    ring = sparse.csr_matrix((np.ones(2 * n), (np.r_[i, (i + 1) % n], np.r_[(i + 1) % n, i])), shape=(n, n))
    rng = np.random.default_rng(3)
    random_lonely = rng.random(n) < 0.1
    rr = contagion(ring, random_lonely, rng, egos=1500)
    for d in (1, 2, 3):  # tolerance: ~4 binomial standard errors of 3,000 alters at 10%
        assert abs(rr[f"lonely_rr_d{d}"] - 1) < 4 * np.sqrt(0.1 * 0.9 / 3000) / 0.1
    blocks = (i // 20) % 10 == 0  # lonely in runs of 20 along the ring
    rr = contagion(ring, blocks, rng, egos=1500)
    assert rr["lonely_rr_d1"] > rr["lonely_rr_d3"] > 1.5


def test_poisson_slope_recovers_a_known_rate_ratio():
    rng = np.random.default_rng(5)
    x = rng.uniform(3, 9, 50_000)
    c = rng.normal(size=(50_000, 1))
    y = rng.poisson(np.exp(0.2 + np.log(1.03) * x + 0.5 * c[:, 0]))
    assert poisson_slope(y, x, c) == pytest.approx(1.03, abs=0.006)  # ~4 standard errors


def test_lasting_loneliness_lasts_longer_than_new_loneliness():
    """A chronic core: the long lonely stay lonely more often than the newly lonely (a memoryless
    process gives both the same share); with no lasting disposition the gap shrinks."""
    def stay(over):
        cfg = small_config({"population.size": 6000, "simulation.burn_in_weeks": 52, "simulation.weeks": 60,
                            **over})
        h = ResidentHistory()
        SocialPrescribingModel(cfg, agents=False, analyzers=[h]).run()
        p = persistence_by_duration(h)
        return p["lonely_stay_long"] - p["lonely_stay_new"]

    assert stay({}) > 0.03
    assert stay({}) > stay({"loneliness.trait_onset": 0.0, "loneliness.trait_recovery": 0.0,
                            "loneliness.ltc_multiplier": 1.0, "loneliness.living_alone_multiplier": 1.0,
                            "loneliness.neighbourhood_sd": 0.0})


def test_loneliness_step_matches_the_plain_rule():
    """The step computes 1 - exp(-rate) only below its bound; the plain rule for everyone agrees."""
    from spsim.model.mechanisms.loneliness import Loneliness

    m = make_model(small_config({"population.size": 3000}))
    run_weeks(m, 3)
    mech = next(x for x in m.mechanisms if isinstance(x, Loneliness))
    rng = np.random.default_rng(2)
    for _ in range(4):
        u = rng.random((1, m.residents.n), dtype=np.float32)
        r = m.residents
        lc = m.network.count_flagged_neighbours(r.lonely)
        onset, recovery = mech.rates(m, lc, m.network.degree() - lc)
        p = -np.expm1(-np.where(r.lonely, recovery, onset) / 52.0)
        expected = (u[0] < p) ^ r.lonely
        mech.step(m, u)
        assert np.array_equal(m.residents.lonely, expected)
