"""Invariants that hold after every week, whatever the parameters (hypothesis property test).

Each example draws a random town and lever settings, steps the model week by week and checks
the bookkeeping: caseloads within caps, members within places, closed groups empty, one link-work
status per resident, residents conserved, counts non-negative, shares and scores in range.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_model, small_config
from spsim.model.agents import CommunityGroup, GPPractice, LinkWorker, Resident
from spsim.model.mechanisms.referral import ACTIVE, WAITING
from spsim.model.outcomes import COLUMNS

#: dotted key -> strategy; ranges cover the levers and the knobs that stress the bookkeeping
PARAMS = {
    "population.size": st.integers(300, 3000),
    "population.neighbourhood_size": st.sampled_from([100, 500, 1500]),
    "population.living_alone_share": st.floats(0.0, 0.5),
    "practices.count": st.integers(1, 8),
    "practices.appointments_per_1000_per_week": st.floats(0.0, 300.0),
    "practices.feedback_gain": st.floats(0.0, 0.2),
    "link_workers.fte": st.one_of(st.just(0.0), st.floats(0.0, 5.0)),
    "link_workers.caseload_per_fte": st.integers(1, 80),
    "link_workers.contacts_per_client": st.integers(1, 15),
    "link_workers.match_at_contact": st.integers(1, 6),
    "link_workers.engagement": st.floats(0.0, 1.0),
    "link_workers.dropout_per_week": st.floats(0.0, 0.3),
    "link_workers.accompany_below_confidence": st.floats(0.0, 1.0),
    "link_workers.waiting_policy": st.sampled_from(["fifo", "need"]),
    "referral.refusal": st.floats(0.0, 1.0),
    "referral.self_referral_per_year": st.floats(0.0, 5.0),
    "referral.reneging_per_week": st.floats(0.0, 0.3),
    "referral.cooldown_weeks": st.integers(0, 30),
    "groups.count": st.integers(0, 60),
    "groups.max_places": st.integers(1, 40),
    "groups.places_per_volunteer": st.integers(1, 10),
    "groups.volunteers_needed": st.integers(0, 5),
    "groups.weeks_short_to_close": st.integers(1, 10),
    "groups.leave_per_week": st.floats(0.0, 0.2),
    "groups.self_join_per_year": st.floats(0.0, 5.0),
    "groups.volunteer_stop_per_year": st.floats(0.0, 10.0),
    "groups.income_share_mean": st.floats(0.0, 2.0),
    "groups.initial_funds_weeks": st.floats(0.0, 100.0),
    "groups.new_per_year_per_10k": st.floats(0.0, 300.0),
    "volunteering.spillover": st.floats(0.0, 1.0),
    "volunteering.monthly_share": st.floats(0.0, 1.0),
    "network.group_tie_prob": st.floats(0.0, 1.0),
    "network.group_tie_fade_weeks": st.integers(1, 30),
    "loneliness.contagion_per_year": st.floats(0.0, 2.0),
    "simulation.seed": st.integers(0, 2**32),
    # every feature of the local models can switch on (0 / false is "off")
    "connectors.count": st.one_of(st.just(0), st.integers(1, 300)),
    "connectors.signpost_per_year": st.floats(0.0, 5.0),
    "connectors.to_link_worker_share": st.floats(0.0, 1.0),
    "connectors.from_spillover_share": st.floats(0.0, 1.0),
    "outreach.per_year": st.one_of(st.just(0.0), st.floats(0.0, 10.0)),
    "outreach.max_ties": st.integers(0, 20),
    "app.enabled": st.booleans(),
    "programmes.count": st.integers(0, 3),
    "programmes.places": st.integers(1, 20),
    "programmes.weeks": st.integers(1, 12),
    "grants.budget_gbp_per_year": st.one_of(st.just(0.0), st.floats(0.0, 100_000.0)),
    "grants.max_grant_gbp": st.floats(0.0, 5000.0),
    "community_development.fte": st.one_of(st.just(0.0), st.floats(0.0, 5.0)),
    "shock.start_week": st.integers(-1, 10),
    "shock.weeks": st.integers(0, 20),
    "shock.online_share": st.floats(0.0, 1.0),
    "shock.shielding_outreach_per_year": st.floats(0.0, 20.0),
}

#: extra link-work teams (0 to 2), each serving some age bands and a minimum number of needs
TEAMS = st.lists(
    st.fixed_dictionaries({
        "fte": st.floats(0.0, 3.0),
        "caseload_per_fte": st.integers(1, 40),
        "contacts_per_client": st.integers(1, 12),
        "age_bands": st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True),
        "min_needs": st.integers(0, 3),
    }),
    max_size=2,
)


def check_week(model, n: int, agents: bool) -> None:
    r, g, w, p = model.residents, model.groups, model.link_workers, model.practices
    cfg = model.cfg

    # residents conserved
    assert r.n == n
    assert all(col.shape[0] >= n for col in r._cols.values())
    if agents:
        assert len(model.agents_by_type[Resident]) == n
    assert len(model.agents_by_type.get(GPPractice, [])) == p.n
    assert len(model.agents_by_type.get(LinkWorker, [])) == w.n
    assert len(model.agents_by_type.get(CommunityGroup, [])) == g.n

    # link work: one status each; a worker iff on a caseload; caseloads within caps
    assert np.isin(r.lw_status, (0, WAITING, ACTIVE)).all()
    on = r.lw_status == ACTIVE
    assert ((r.lw_worker >= 0) == on).all()
    assert (r.lw_worker < w.n).all()
    if w.n:
        load = np.bincount(r.lw_worker[on], minlength=w.n)
        assert (load <= w.caseload_cap).all()
        assert np.array_equal(load, w.clients)
    else:
        assert not r.lw_status.any()
    assert (r.lw_contacts[~on] == 0).all() and (r.lw_contacts >= 0).all()
    # each client is with a worker of the team that took them; every team's residents are ones it serves
    if w.n:
        assert (w.team[r.lw_worker[on]] == r.lw_team[on]).all()
    busy = r.lw_status > 0
    for k, team in enumerate(cfg.teams, start=1):
        assert np.isin(r.age_band[busy & (r.lw_team == k)], team.age_bands).all()
    assert not r.lw_accompanied[~on].any()

    # groups: ids in range, members within places, closed groups empty
    assert (r.group >= -1).all() and (r.group < g.n).all()
    assert (r.volunteer_group >= -1).all() and (r.volunteer_group < g.n).all()
    members = np.bincount(r.group[r.group >= 0], minlength=g.n)
    volunteers = np.bincount(r.volunteer_group[r.volunteer_group >= 0], minlength=g.n)
    assert np.array_equal(members, g.members)
    assert np.array_equal(volunteers, g.volunteers)
    assert (members <= g.places).all()
    community = g.fixed_weeks == 0  # programmes have programmes.places, whatever groups.max_places says
    assert (g.places[community] <= cfg.groups.max_places).all() and (g.places >= 0).all()
    closed = ~g.open
    assert (members[closed] == 0).all() and (volunteers[closed] == 0).all() and (g.places[closed] == 0).all()
    assert (g.closed_week[closed] >= 0).all() and (g.closed_week[g.open] == -1).all()
    assert not r.attended[r.group < 0].any()
    assert np.array_equal(g.attendance, np.bincount(r.group[r.attended], minlength=g.n))
    assert r.volunteer[r.volunteer_group >= 0].all()
    assert ((r.group_since >= 0) == (r.group >= 0)).all()
    # programmes: never more than their places, never closed, nobody past the course length
    prog = np.flatnonzero(g.fixed_weeks > 0) if g.n else np.zeros(0, int)
    assert prog.size == cfg.programmes.count
    assert g.open[prog].all() and (members[prog] <= cfg.programmes.places).all()
    inside = (r.group >= 0) & np.isin(r.group, prog)
    assert (model.week - r.group_since[inside] <= g.fixed_weeks[r.group[inside]]).all()
    # a lockdown lets only online groups meet
    if model.week > 0 and model.tally.get("lockdown") and g.n:
        assert g.online[r.group[r.attended]].all()

    # states and scores in range
    assert ((r.wellbeing >= 0) & (r.wellbeing <= 10)).all()
    assert ((r.confidence >= 0) & (r.confidence <= 1)).all()
    assert (r.needs < 2 ** 5).all()
    assert (p.referral >= 0).all() and (p.referral <= max(cfg.practices.referral_max, cfg.practices.referral)).all()

    # this week's counts
    t = model.tally
    assert all(v >= 0 for v in t.values()), {k: v for k, v in t.items() if v < 0}
    assert t["gp_consultations"] + t["gp_unmet"] == t["gp_requests"]
    assert t["gp_social_consultations"] <= t["gp_consultations"]
    # every referral comes by exactly one route, and is either refused or accepted
    from spsim.model.mechanisms.referral import ROUTES
    assert t["referrals"] == sum(t["referrals_" + k] for k in ROUTES)
    assert t["referrals"] == t["referrals_refused"] + t["referrals_accepted"]
    if not (cfg.shock.shielding_outreach_per_year > 0 and t["lockdown"]) and cfg.outreach.per_year == 0:
        assert t["referrals_outreach"] == 0
    if cfg.connectors.count == 0 and cfg.connectors.from_spillover_share == 0:
        assert t["referrals_connector"] == 0 and t["signposted_to_groups"] == 0
    # vacant posts hold no clients (their caseload was handed over or put back on the list)
    assert not w.clients[~w.in_post].any()
    assert t["lw_intake"] <= t["lw_taken_on"]
    assert t["group_attendance"] == r.attended.sum()
    network = model.network.group
    assert (np.diff(network.keys) > 0).all()
    assert (network.u < network.v).all()


def check_timeseries(ts) -> None:
    assert set(COLUMNS) <= set(ts.columns)
    for col in COLUMNS:
        vals = ts[col].dropna() if col == "lw_wait_weeks_mean" else ts[col]
        assert not vals.isna().any(), col
        assert (vals >= 0).all(), col
    for col in ("lonely_share", "formal_volunteering_share"):
        assert ts[col].between(0, 1).all(), col
    assert ts["mean_wellbeing"].between(0, 10).all()
    assert (ts["gp_social_consultations"] <= ts["gp_consultations"]).all()
    assert (ts["referrals_refused"] <= ts["referrals"]).all()
    assert (ts["group_members"] <= ts["group_places"]).all()


@settings(max_examples=20, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    overrides=st.fixed_dictionaries(PARAMS),
    weeks=st.integers(6, 30),
    burn_in=st.integers(0, 4),
    agents=st.booleans(),
    teams=TEAMS,
)
def test_invariants_hold_every_week(overrides, weeks, burn_in, agents, teams):
    cfg = small_config(overrides, simulation={"weeks": weeks, "burn_in_weeks": burn_in}, teams=teams)
    n = cfg.population.size
    model = make_model(cfg, agents=agents)
    check_week(model, n, agents)  # the starting state too (tally empty)
    for _ in range(burn_in + weeks):
        model.step()
        check_week(model, n, agents)
    assert model.recorder.i == weeks
    check_timeseries(model.timeseries())
