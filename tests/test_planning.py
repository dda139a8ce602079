"""The planner's additions to spsim compare: the per-resident record, equity, horizons, the
probability of benefit and the FTE search."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spsim.model.config import load_config
from spsim.studies.compare import probability_of_benefit, t_interval
from spsim.studies.planning import equity_rates, fte_needed, year_outcomes
from spsim.studies.record import COUNTERS, DIMENSIONS, run_planner_replicate
from spsim.studies.runner import run_replicate

TINY = ["population.size=2000", "simulation.weeks=30", "simulation.burn_in_weeks=10", "groups.count=8",
        "simulation.seed=11", "link_workers.fte=0.5", "connectors.count=20"]


@pytest.fixture(scope="module")
def tiny():
    cfg = load_config(None, TINY)
    return cfg, run_planner_replicate(cfg, 0)


def test_the_record_only_observes(tiny):
    """Runs with and without the planner's record give the same timeseries, bit for bit."""
    cfg, res = tiny
    plain = run_replicate(cfg, 0).timeseries
    mine = res.timeseries.drop(columns=["connectors", "caseload_places"])
    pd.testing.assert_frame_equal(mine, plain)


def test_per_resident_counters_add_up_to_the_model_totals(tiny):
    """Summed over the residents of every group, each counter equals the model's own weekly totals
    (refusals are inferred from state, so this checks the inference)."""
    cfg, res = tiny
    ts, g = res.timeseries, res.groups
    n = cfg.population.size
    for dim, _ in DIMENSIONS:
        part = g[g.dimension == dim]
        assert part.residents.sum() == n
        assert part.referrals.sum() == ts.referrals.sum() > 0
        assert part.refusals.sum() == ts.referrals_refused.sum()
        assert part.starts.sum() == ts.lw_intake.sum()
        assert part.supported.sum() == ts.clients_supported.sum()
        assert part.ae_weeks.sum() <= ts.ae_attendances.sum()
        assert part.lonely_weeks.sum() == round(float((ts.lonely_share * n).sum()))
    assert set(COUNTERS) <= set(g.columns)
    from spsim.model.scaling import scale_place

    trained = scale_place(cfg)[0].connectors.count  # the place is scaled to the run's size
    assert (ts.connectors <= trained).all() and (np.diff(ts.connectors) <= 0).all()  # they only stop here
    lw = scale_place(cfg)[0].link_workers
    assert (ts.caseload_places == round(lw.fte * lw.caseload_per_fte)).all()
    rates = equity_rates(g.assign(scenario="x", replicate=0), cfg.simulation.weeks)
    assert ((rates.refused_share.dropna() >= 0) & (rates.refused_share.dropna() <= 1)).all()


def test_year_outcomes_are_that_years_weeks(tiny):
    cfg, res = tiny
    ts = res.timeseries
    assert year_outcomes(ts, cfg.population.size, 1) is None  # 30 weeks: no full year
    long = pd.concat([ts, ts, ts, ts], ignore_index=True)  # 120 weeks
    y2 = year_outcomes(long, cfg.population.size, 2)
    assert y2["lonely_share"] == pytest.approx(long.lonely_share.iloc[52:104].mean())
    assert y2["gp_per_1000_year"] == pytest.approx(1000 * long.gp_consultations.iloc[52:104].sum() / 2000)
    assert y2["lw_waiting_end"] == long.lw_waiting.iloc[103]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-100, 100, allow_nan=False), min_size=2, max_size=12))
def test_probability_of_benefit_is_a_t_probability(xs):
    p_up, p_down = probability_of_benefit(xs, +1), probability_of_benefit(xs, -1)
    assert 0 <= p_up <= 1
    if np.std(xs) > 1e-9:
        assert p_up + p_down == pytest.approx(1.0)
        m, lo, hi, _, _ = t_interval(xs)
        if lo > 0:  # the 95% interval above zero: more than 97.5% probability of being above
            assert p_up > 0.975
        if hi < 0:
            assert p_up < 0.025


def test_probability_of_benefit_edge_cases():
    assert math.isnan(probability_of_benefit([1.0], +1))
    assert probability_of_benefit([2.0, 2.0, 2.0], +1) == 1.0
    assert probability_of_benefit([2.0, 2.0, 2.0], -1) == 0.0
    assert probability_of_benefit([0.0, 0.0], +1) == 0.5


@pytest.mark.slow
def test_fte_search_finds_the_smallest_fte_that_meets_the_threshold():
    """A small caseload makes a queue; the search's answer meets the threshold and every FTE it tried
    below the answer did not (bisection on the same seeds)."""
    cfg = load_config(None, ["population.size=2000", "simulation.weeks=26", "simulation.burn_in_weeks=26",
                             "groups.count=8", "simulation.replicates=2", "link_workers.fte=0.5",
                             "link_workers.caseload_per_fte=6", "referral.self_referral_per_year=0.05",
                             "population.scaling=absolute"])
    res = fte_needed("q", cfg, max_wait=2.0, resolution=0.25)
    assert math.isfinite(res.fte_needed) and res.wait_mean <= 2.0
    below = [w for f, w in res.evaluations if f < res.fte_needed - 1e-9]
    assert below and all(w > 2.0 for w in below)
    assert all(w <= 2.0 for f, w in res.evaluations if abs(f - res.fte_needed) < 1e-9)
    assert res.fte_now == 0.5
