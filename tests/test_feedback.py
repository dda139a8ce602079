"""Demand that answers the service, the workforce, and the routes into link work (issue 13)."""

from __future__ import annotations

import numpy as np

from conftest import make_model, run_weeks, small_config
from spsim.model.mechanisms.referral import ACTIVE, ROUTES, WAITING, spare_places


def tallies(model, weeks, keys):
    out = {k: 0 for k in keys}

    def add(m):
        for k in keys:
            out[k] += m.tally[k]

    run_weeks(model, weeks, add)
    return out


def test_inreach_only_with_spare_capacity_and_more_with_more():
    keys = ["referrals_inreach", "referrals_groups", "referrals"]
    got = {}
    for fte in (0.2, 3.0, 6.0):
        m = make_model(small_config({"link_workers.fte": fte, "referral.self_referral_per_year": 0.0,
                                     "groups.count": 20}))
        got[fte] = tallies(m, 20, keys)
    assert got[0.2]["referrals_inreach"] + got[0.2]["referrals_groups"] < got[3.0]["referrals_inreach"]
    assert got[3.0]["referrals_inreach"] < got[6.0]["referrals_inreach"]
    assert got[6.0]["referrals_groups"] > 0


def test_no_inreach_while_anyone_waits():
    m = make_model(small_config({"referral.self_referral_per_year": 3.0, "link_workers.fte": 0.5}))

    def check(model):
        if (model.residents.lw_status == WAITING).any():
            assert spare_places(model) == 0

    run_weeks(m, 10, check)
    assert (m.residents.lw_status == WAITING).any()


def test_route_columns_sum_to_referrals():
    from spsim.studies.runner import run_replicate

    cfg = small_config({"population.size": 4000, "link_workers.fte": 4.0, "connectors.count": 20,
                        "outreach.per_year": 1.0, "simulation.weeks": 26})
    ts = run_replicate(cfg, 0).timeseries
    routes = ts[[f"referrals_{k}" for k in ROUTES]].sum(axis=1)
    assert (routes == ts["referrals"]).all()
    assert (ts[[f"referrals_{k}" for k in ROUTES]].sum() > 0).sum() >= 5  # most routes are used


def test_turnover_makes_vacancies_and_hands_over_caseloads():
    cfg = small_config({"link_workers.fte": 4.0, "referral.self_referral_per_year": 3.0,
                        "workforce.turnover_per_year": 5.0, "workforce.recruitment_weeks": 8.0})
    m = make_model(cfg)
    seen = {"vacant": 0, "moved": 0, "back": 0}

    def check(model):
        w, r = model.link_workers, model.residents
        seen["vacant"] += int((~w.in_post).sum())
        seen["moved"] += model.tally["lw_handed_over"]
        seen["back"] += model.tally["lw_returned_to_list"]
        on = r.lw_status == ACTIVE
        assert w.in_post[r.lw_worker[on]].all()  # nobody is on a vacant post's caseload

    run_weeks(m, 20, check)
    assert seen["vacant"] > 0 and seen["moved"] + seen["back"] > 0


def test_no_turnover_and_no_leave_keeps_every_post_filled():
    m = make_model(small_config({"workforce.turnover_per_year": 0.0, "workforce.leave_weeks_per_year": 0.0}))
    run_weeks(m, 10)
    assert m.link_workers.in_post.all() and not m.link_workers.on_leave.any()


def test_supervision_and_retention_lower_turnover():
    leavers = {}
    for name, sets in {"none": {"workforce.supervised_share": 0.0},
                       "supervised": {"workforce.supervised_share": 1.0},
                       "retained": {"workforce.supervised_share": 0.0, "workforce.retention_multiplier": 0.5}}.items():
        m = make_model(small_config({"link_workers.fte": 40.0, "workforce.turnover_per_year": 2.0, **sets}))
        leavers[name] = tallies(m, 30, ["lw_leavers"])["lw_leavers"]
    assert leavers["supervised"] < leavers["none"] and leavers["retained"] < leavers["none"]


def test_vacancies_cost_nothing():
    from spsim.studies.runner import run_replicate

    base = {"link_workers.fte": 2.0}
    full = run_replicate(small_config({**base, "workforce.turnover_per_year": 0.0}), 0).timeseries
    churn = run_replicate(small_config({**base, "workforce.turnover_per_year": 10.0,
                                        "workforce.recruitment_weeks": 30.0}), 0).timeseries
    assert churn["cost_link_workers_gbp"].sum() < full["cost_link_workers_gbp"].sum()
    assert np.allclose(full["lw_fte_in_post"], 2.0)
