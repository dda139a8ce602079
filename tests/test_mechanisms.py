"""Each weekly mechanism does what its docstring says, checked on small models.

Tests look inside the model between (and within) weeks: the columnar tables, ``model.tally``
(this week's counts) and, through :func:`conftest.spy`, the state just before and after one
mechanism's step, while the model's own ``step`` still drives the week.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import (
    binomial_tolerance,
    default_config,
    make_model,
    mechanism_of,
    paired_margin,
    run_weeks,
    small_config,
    spy,
    tally_sum,
)
from spsim.model.agents import CommunityGroup
from spsim.model.mechanisms.groups import Groups
from spsim.model.mechanisms.help_seeking import HelpSeeking
from spsim.model.mechanisms.life_events import LifeEvents
from spsim.model.mechanisms.link_work import LinkWork
from spsim.model.mechanisms.loneliness import Loneliness
from spsim.model.mechanisms.referral import ACTIVE, WAITING, Referral
from spsim.model.mechanisms.ties import Ties
from spsim.model.mechanisms.volunteering import Volunteering
from spsim.model.network import build_network
from spsim.model.population import WEEKS_PER_YEAR
from spsim.model.tables import NEEDS, popcount8

#: Plenty of referrals, so queues and caseloads fill in a few weeks of a 2,000-resident town.
BUSY = {"referral.self_referral_per_year": 3.0, "link_workers.fte": 1.5, "workforce.leave_weeks_per_year": 0.0,
        "workforce.turnover_per_year": 0.0}


# ============================================================== population and network
@pytest.mark.parametrize("n, alone", [(300, 0.15), (2000, 0.15), (7777, 0.4), (2000, 0.0)])
def test_households_partition_the_residents_with_the_configured_living_alone_share(n, alone):
    cfg = small_config({"population.size": n, "population.living_alone_share": alone})
    r = make_model(cfg).residents
    sizes = np.bincount(r.household)
    assert sizes.sum() == n
    assert (sizes > 0).all(), "household ids are dense"
    assert (np.diff(r.household) >= 0).all(), "households are contiguous runs of residents"
    assert np.array_equal(r.lives_alone, sizes[r.household] == 1)
    # one-person households hold round(share * n) residents; trimming the last household can
    # leave one more resident alone
    assert abs(r.lives_alone.mean() - alone) <= 1.5 / n
    if n >= 2000 and alone <= 0.2:  # (with 40% alone a mean of 2.4 needs households above the cap of 8)
        mean_size = n / sizes.size
        assert abs(mean_size - cfg.population.mean_household_size) < 0.15


def test_network_csr_is_symmetric_without_self_loops_or_duplicates():
    cfg = small_config({"population.size": 5000})
    m = make_model(cfg)
    net, r = m.network, m.residents
    n = net.n
    assert net.indptr[0] == 0 and (np.diff(net.indptr) >= 0).all()
    assert net.indptr[-1] == net.indices.size == 2 * net.n_base_ties
    assert np.array_equal(net.base_degree, np.diff(net.indptr))
    src = np.repeat(np.arange(n), np.diff(net.indptr))
    dst = net.indices.astype(np.int64)
    assert (src != dst).all(), "self loop"
    fwd = np.sort(src * n + dst)
    assert np.unique(fwd).size == fwd.size, "duplicate tie"
    assert np.array_equal(fwd, np.sort(dst * n + src)), "CSR not symmetric"
    assert (net.base_u < net.base_v).all()

    # every pair of housemates is tied; outside the household about network.neighbour_ties each
    same = r.household[src] == r.household[dst]
    sizes = np.bincount(r.household)
    assert np.array_equal(np.bincount(r.household[src[same]], minlength=sizes.size), sizes * (sizes - 1))
    outside = (~same).sum() / n
    assert abs(outside - cfg.network.neighbour_ties) < 0.1 * cfg.network.neighbour_ties


def test_household_sizes_function_is_exact_for_many_sizes():
    rng = np.random.default_rng(3)
    pop = small_config().population
    for n in (100, 101, 999, 4321):
        net, household, hh_size, _ = build_network(pop.model_copy(update={"size": n}), small_config().network, rng)
        assert household.size == n and hh_size.size == n
        assert np.bincount(household).sum() == n
        assert np.array_equal(np.bincount(household)[household], hh_size)


def test_practice_lists_cover_every_resident_once():
    cfg = small_config({"population.size": 6000, "population.neighbourhood_size": 500, "practices.count": 4})
    m = make_model(cfg)
    p, r = m.practices, m.residents
    assert p.n == 4
    assert p.list_size.sum() == r.n
    assert np.array_equal(p.list_size, np.bincount(r.practice, minlength=p.n))
    # a neighbourhood belongs to one practice
    per_hood = {int(h): np.unique(r.practice[r.neighbourhood == h]).size for h in np.unique(r.neighbourhood)}
    assert set(per_hood.values()) == {1}
    assert np.array_equal(p.capacity, np.round(p.list_size * cfg.practices.appointments_per_1000_per_week / 1000))


# ============================================================== 1. life events
def test_no_episode_starts_when_the_onset_rate_is_zero():
    m = make_model(small_config({"health.episode_per_year": 0.0}))
    m.residents.in_episode = False
    run_weeks(m, 12, lambda mm: _assert(not mm.residents.in_episode.any()))
    # control: the same town with the default rate does start episodes in those weeks
    c = make_model(small_config())
    c.residents.in_episode = False
    run_weeks(c, 12)
    assert c.residents.in_episode.sum() > 0


def _assert(cond: bool, msg: str = "") -> None:
    assert cond, msg


def test_episodes_end_at_one_over_the_mean_length_each_week():
    cfg = small_config({"health.episode_per_year": 0.0, "health.episode_mean_weeks": 4.0})
    m = make_model(cfg)
    m.residents.in_episode = True
    m.step()
    still = m.residents.in_episode.mean()
    assert abs(still - 0.75) <= binomial_tolerance(0.75, m.n_residents)


def _one_week_of_life_events(cfg, on_caseload, attended_group_kind=None):
    """All residents start with every need; step LifeEvents once; return resolved (n, needs) mask."""
    m = make_model(cfg)
    r = m.residents
    r.needs = np.uint8(2 ** len(NEEDS) - 1)
    r.lw_status = np.where(on_caseload, ACTIVE, 0)
    r.attended = False
    if attended_group_kind is not None:
        m.groups.kind[0] = attended_group_kind
        m.groups.open[0] = True
        r.group = 0
        r.attended = True
    le = mechanism_of(m, LifeEvents)
    le.step(m, m.luck(le))
    bits = (r.needs[:, None] >> np.arange(len(NEEDS), dtype=np.uint8)) & 1
    return bits == 0


def test_needs_resolve_faster_while_on_a_caseload():
    n = 4000
    on = np.arange(n) % 2 == 0
    resolved = {}
    for mult in (1.0, 5.0):
        cfg = small_config({"population.size": n, "link_workers.need_resolution_multiplier": mult})
        base = 1.0 / cfg.needs.mean_duration_weeks
        resolved[mult] = _one_week_of_life_events(cfg, on)
        trials = on.sum() * len(NEEDS)
        off_rate = resolved[mult][~on].mean()
        on_rate = resolved[mult][on].mean()
        assert abs(off_rate - base) <= binomial_tolerance(base, trials)
        assert abs(on_rate - mult * base) <= binomial_tolerance(mult * base, trials)
    # same seed, same luck: every need resolved at x1 is also resolved at x5, off-caseload identical
    assert (resolved[5.0] >= resolved[1.0]).all()
    assert np.array_equal(resolved[5.0][~on], resolved[1.0][~on])
    assert resolved[5.0][on].mean() > 3 * resolved[1.0][on].mean()


@pytest.mark.parametrize("effect", [1.0, 0.5, 0.0])
def test_supported_clients_recover_from_loneliness_faster_by_exactly_the_support_term(effect):
    """link_workers.loneliness_recovery_per_year adds to the recovery rate of clients past the
    effective dose (model.lw_effective), scaled by effect_on_residents; nobody else's rates move."""
    rates = {}
    for support in (0.0, 4.0):
        cfg = small_config({"population.size": 1500, "link_workers.loneliness_recovery_per_year": support,
                            "link_workers.effect_on_residents": effect})
        model = make_model(cfg)
        model.lw_effective = np.arange(model.residents.n) % 3 == 0
        mech = mechanism_of(model, Loneliness)
        lonely_contacts = np.zeros(model.residents.n)
        rates[support] = mech.rates(model, lonely_contacts, model.network.degree().astype(float))
    on = np.arange(len(rates[0.0][1])) % 3 == 0
    assert np.array_equal(rates[4.0][0], rates[0.0][0])  # onset untouched
    assert np.allclose(rates[4.0][1][on] - rates[0.0][1][on], 4.0 * effect)
    assert np.array_equal(rates[4.0][1][~on], rates[0.0][1][~on])


def test_needs_met_by_the_attended_group_kind_resolve_twice_as_fast():
    n = 6000
    cfg = small_config({"population.size": n})
    advice = 5  # GROUP_KINDS index; meets debt and housing
    resolved = _one_week_of_life_events(cfg, np.zeros(n, bool), attended_group_kind=advice)
    base = 1.0 / cfg.needs.mean_duration_weeks
    met = resolved[:, [NEEDS.index("debt"), NEEDS.index("housing")]]
    unmet = resolved[:, [NEEDS.index("employment"), NEEDS.index("inactivity")]]
    assert abs(met.mean() - 2 * base) <= binomial_tolerance(2 * base, met.size)
    assert abs(unmet.mean() - base) <= binomial_tolerance(base, unmet.size)


# ============================================================== 2. ties
def test_co_attendance_creates_ties_only_between_attendees_of_the_same_group():
    m = make_model(small_config({"network.group_tie_prob": 1.0}))
    formed = []

    def before(model, u):
        return set(model.network.group.keys.tolist()), model.residents.attended.copy(), model.residents.group.copy()

    def after(model, u, state):
        keys_before, attended, group = state
        gt = model.network.group
        new = np.array(sorted(set(gt.keys.tolist()) - keys_before), dtype=np.int64)
        a, b = new // model.n_residents, new % model.n_residents
        assert attended[a].all() and attended[b].all()
        assert np.array_equal(group[a], group[b]) and (group[a] >= 0).all()
        assert new.size == model.tally["ties_formed"]
        formed.append(new.size)

    spy(m, Ties, before, after)
    run_weeks(m, 4)
    assert sum(formed) > 100
    keys = m.network.group.keys
    assert (np.diff(keys) > 0).all(), "group ties sorted and unique"
    assert (m.network.group.u < m.network.group.v).all(), "no self ties"
    # group ties count in the degree used by the loneliness rules
    deg_extra = m.network.degree() - m.network.base_degree
    assert deg_extra.sum() == 2 * keys.size

    # and with group_tie_prob = 0 no group tie ever forms
    z = make_model(small_config({"network.group_tie_prob": 0.0}))
    assert tally_sum(z, 6, "ties_formed")["ties_formed"] == 0
    assert z.network.group.keys.size == 0


def test_group_ties_fade_after_fade_weeks_without_co_attendance():
    fade = 5
    m = make_model(small_config({"network.group_tie_prob": 1.0, "network.group_tie_fade_weeks": fade}))
    stop = {"from": None}
    counts = {}

    def before(model, u):
        if stop["from"] is not None:
            model.residents.attended = False  # nobody co-attends any more
        return model.network.group.keys.copy(), model.network.group.last.copy()

    def after(model, u, state):
        keys0, last0 = state
        w = model.week
        gt = model.network.group
        # exact rule: a tie survives while last co-attendance > week - fade
        assert (gt.last > w - fade).all()
        kept = np.isin(keys0, gt.keys)
        assert (last0[~kept] <= w - fade).all(), "a tie faded early"
        assert kept[last0 > w - fade].all()
        counts[w] = gt.keys.size

    spy(m, Ties, before, after)
    run_weeks(m, 6)
    last_coattendance = m.week - 1
    refreshed = int((m.network.group.last == last_coattendance).sum())
    assert refreshed > 0
    stop["from"] = m.week
    run_weeks(m, fade)
    # after fade - 1 weeks without co-attendance the ties used in the last week remain ...
    assert counts[last_coattendance + fade - 1] >= refreshed
    # ... and after fade weeks none is left
    assert counts[last_coattendance + fade] == 0
    assert m.network.group.keys.size == 0


# ============================================================== 3. loneliness
def test_initial_lonely_residents_share_their_luck_across_the_group_lever():
    """Regression: the starting lonely state was drawn from the population stream after the
    starting groups, so scenarios differing only in groups.count started with different lonely
    residents (no common random numbers for the group lever). Loneliness now starts at the steady
    state of its rules, where group members recover faster: with more groups every resident's
    chance is lower, so on the same luck the lonely with groups are a subset of those without."""
    a = make_model(small_config({"groups.count": 0}))
    b = make_model(small_config({"groups.count": 40, "groups.initial_volunteers": 6.0}))
    assert not (b.residents.lonely & ~a.residents.lonely).any()
    assert b.residents.lonely.sum() < a.residents.lonely.sum()
    assert np.array_equal(a.residents.needs, b.residents.needs)


def test_loneliness_spreads_along_ties():
    """With contagion on, non-lonely residents with lonely contacts become lonely more often."""
    cfg = small_config({"population.size": 4000, "loneliness.contagion_per_year": 1.0})
    m = make_model(cfg)
    # this strong contagion's steady state is nearly everyone lonely (and the model starts there):
    # start from 7% lonely instead, to watch it spread
    m.residents.lonely = np.random.default_rng(7).random(m.residents.n) < 0.07
    onsets = {True: [0, 0], False: [0, 0]}  # has lonely contact -> [onsets, at risk]

    def before(model, u):
        lonely = model.residents.lonely.copy()
        return lonely, model.network.count_flagged_neighbours(lonely) > 0

    def after(model, u, state):
        lonely, exposed = state
        new = ~lonely & model.residents.lonely
        for flag in (True, False):
            sel = ~lonely & (exposed == flag)
            onsets[flag][0] += int(new[sel].sum())
            onsets[flag][1] += int(sel.sum())

    spy(m, Loneliness, before, after)
    run_weeks(m, 20)
    rate_exposed = onsets[True][0] / onsets[True][1]
    rate_not = onsets[False][0] / onsets[False][1]
    # expected weekly onset with one lonely contact ~ 1/52 vs ~0.0003 without
    assert rate_exposed > 5 * rate_not


def test_contagion_raises_lonely_prevalence_on_average_over_seeds():
    """Paired over replicates (same seed, same luck, only contagion differs): the mean difference
    in lonely share must exceed its one-sided 99% t margin from the replicates' own spread."""
    diffs = []
    for rep in range(4):
        shares = {}
        for contagion in (0.0, 0.3):
            cfg = small_config({"loneliness.contagion_per_year": contagion, "simulation.weeks": 30})
            m = make_model(cfg, replicate=rep)
            m.run()
            shares[contagion] = m.timeseries()["lonely_share"].mean()
        diffs.append(shares[0.3] - shares[0.0])
    assert np.mean(diffs) > paired_margin(diffs), diffs


def test_lonely_residents_sit_at_the_periphery_at_defaults():
    """Default parameters, 20,000 residents, one year: the quarter of residents with the fewest
    ties is lonelier than the quarter with the most. The mean over 4 replicates of the gap must
    exceed its one-sided 99% t margin (from the replicates' spread), not a figure seen once."""
    gaps = []
    for rep in range(4):
        cfg = default_config({"population.size": 20_000, "groups.count": 40,
                              "simulation.burn_in_weeks": 0, "simulation.weeks": 52})
        m = make_model(cfg, replicate=rep)
        m.run()
        deg, lonely = m.network.degree(), m.residents.lonely
        q1, q3 = np.quantile(deg, [0.25, 0.75])
        gaps.append(lonely[deg <= q1].mean() - lonely[deg >= q3].mean())
    assert np.mean(gaps) > paired_margin(gaps), gaps


# ============================================================== 4. help-seeking
def test_consultations_never_exceed_practice_capacity():
    cfg = small_config({"population.size": 3000, "population.neighbourhood_size": 500,
                        "practices.appointments_per_1000_per_week": 60.0})
    m = make_model(cfg)
    full_weeks = []

    def after(model, u, state):
        seen = np.bincount(model.residents.practice, weights=model.gp_count, minlength=model.practices.n)
        cap = model.practices.capacity
        assert (seen <= cap).all()
        t = model.tally
        assert t["gp_consultations"] == model.gp_count.sum()
        assert np.array_equal(model.seen_gp, model.gp_count > 0)
        assert t["gp_consultations"] + t["gp_unmet"] == t["gp_requests"]
        assert t["gp_social_consultations"] <= t["gp_consultations"]
        full_weeks.append(bool((seen == cap).any() and t["gp_unmet"] > 0))

    spy(m, HelpSeeking, after=after)
    run_weeks(m, 10)
    assert any(full_weeks), "capacity never bound: the test would not show anything"


def test_ample_capacity_meets_all_demand_and_scarce_capacity_sends_people_to_ae():
    out = {}
    for per_1000 in (2000.0, 5.0):
        cfg = small_config({"practices.appointments_per_1000_per_week": per_1000})
        m = make_model(cfg)
        out[per_1000] = tally_sum(m, 10, "gp_unmet", "gp_requests", "ae_attendances", "gp_consultations")
    ample, scarce = out[2000.0], out[5.0]
    assert ample["gp_unmet"] == 0 and ample["gp_consultations"] == ample["gp_requests"] > 0
    # 5 appointments per 1,000 a week against ~100 requests: most are turned away
    assert scarce["gp_unmet"] > 0.8 * scarce["gp_requests"]
    # same residents and luck: the extra A&E is about ae_unmet_gp_share of the turned-away requests.
    # Tolerance: 4 sd of a binomial count, plus 10% for the few attendances the two towns share
    # (a resident with unmet demand who would have gone to A&E anyway counts once)
    extra = scarce["ae_attendances"] - ample["ae_attendances"]
    share = cfg.health.ae_unmet_gp_share
    expected = share * scarce["gp_unmet"]
    assert extra > 0
    assert abs(extra - expected) <= 4 * np.sqrt(expected * (1 - share)) + 0.1 * expected


def test_social_consultation_share_rises_with_the_gp_uplift():
    shares = []
    for uplift in (0.0, 1.6, 3.2, 8.0):
        m = make_model(small_config({"needs.gp_uplift_per_year": uplift}))
        t = tally_sum(m, 12, "gp_social_consultations", "gp_consultations")
        shares.append(t["gp_social_consultations"] / t["gp_consultations"])
    assert shares[0] == 0.0
    assert all(b > a for a, b in zip(shares, shares[1:], strict=False)), shares


# ============================================================== 5. referral
@pytest.mark.parametrize("refusal", [0.0, 0.16, 0.5, 1.0])
def test_refusal_share_matches_the_configured_probability(refusal):
    m = make_model(small_config({**BUSY, "referral.refusal": refusal}))
    t = tally_sum(m, 20, "referrals", "referrals_refused")
    n = t["referrals"]
    assert n > 300
    share = t["referrals_refused"] / n
    assert abs(share - refusal) <= binomial_tolerance(refusal, n)
    if refusal == 1.0:
        assert (m.residents.lw_status == 0).all() and m.residents.times_supported.sum() == 0


def test_no_referrals_without_link_workers():
    m = make_model(small_config({**BUSY, "link_workers.fte": 0.0}))
    assert m.link_workers.n == 0
    t = tally_sum(m, 20, "referrals", "referrals_gp", "referrals_self", "lw_intake", "clients_supported")
    assert all(v == 0 for v in t.values()), t
    assert (m.residents.lw_status == 0).all() and m.residents.times_referred.sum() == 0


def test_only_eligible_residents_are_referred():
    """Nobody waiting or on a caseload, in cool-down, or without a need is referred."""
    cfg = small_config({**BUSY, "link_workers.fte": 0.5})
    m = make_model(cfg)
    seen = {"referred": 0, "busy_with_need": 0}

    def before(model, u):
        r = model.residents
        return r.lw_status.copy(), r.lw_eligible_from.copy(), (r.needs != 0) | r.lonely

    def after(model, u, state):
        status, eligible_from, has_need = state
        r, w = model.residents, model.week
        ref = model.referred_this_week
        assert (status[ref] == 0).all()
        assert (eligible_from[ref] <= w).all()
        assert has_need[ref].all()
        accepted = ref & (r.lw_status == WAITING)
        refused = ref & ~accepted
        assert (r.lw_since[accepted] == w).all()
        assert (r.lw_status[refused] == 0).all()
        assert (r.lw_eligible_from[refused] == w + cfg.referral.cooldown_weeks).all()
        assert ref.sum() == model.tally["referrals"]
        seen["referred"] += int(ref.sum())
        seen["busy_with_need"] += int(((status != 0) & has_need).sum())

    spy(m, Referral, before, after)
    run_weeks(m, 20)
    assert seen["referred"] > 100 and seen["busy_with_need"] > 100  # both sides were exercised


# ============================================================== 6. link work
def test_caseload_cap_is_never_exceeded():
    m = make_model(small_config({**BUSY, "link_workers.engagement": 1.0}))  # every place taken is filled
    full = []

    def check(model):
        r, w = model.residents, model.link_workers
        on = r.lw_status == ACTIVE
        load = np.bincount(r.lw_worker[on], minlength=w.n)
        assert (load <= w.caseload_cap).all()
        assert np.array_equal(load, w.clients)
        assert ((r.lw_worker >= 0) == on).all()
        full.append(bool((load == w.caseload_cap).all()))

    run_weeks(m, 20, check)
    lw = m.cfg.link_workers
    assert lw.fte == 1.5
    assert m.link_workers.caseload_cap.sum() == round(1.5 * lw.caseload_per_fte)  # over two workers
    assert sum(full) >= 5, "caseloads never full: the cap was not tested"


def test_discharge_after_planned_contacts_plus_one_if_accompanied_or_when_goals_are_met():
    contacts = 5
    cfg = small_config({**BUSY, "link_workers.contacts_per_client": contacts, "link_workers.contacts_min": 4,
                        "link_workers.pressure_shortening": 0.0, "link_workers.match_at_contact": 2,
                        "link_workers.accompany_below_confidence": 0.6})
    lw = cfg.link_workers
    m = make_model(cfg)
    discharged = {True: 0, False: 0}
    goals = []

    def before(model, u):
        r = model.residents
        return r.lw_status.copy(), r.lw_contacts.copy(), r.lw_accompanied.copy(), r.lw_since.copy(), r.lw_planned.copy()

    def after(model, u, state):
        status, nc, acc, since, planned = state
        r, w = model.residents, model.week
        done = model.discharged
        assert (status[done] == ACTIVE).all()
        full = nc[done] + 1 == planned[done] + acc[done]
        met = (r.needs[done] == 0) & ~r.lonely[done] & (nc[done] + 1 >= min(lw.contacts_min, lw.effective_dose))
        assert (full | met).all()
        assert (nc[done] + 1 <= planned[done] + acc[done]).all()
        assert (w - since[done] == nc[done]).all()  # the intake week is contact 1, one contact a week
        on = r.lw_status == ACTIVE
        assert ((r.lw_planned[on] >= 1) & (r.lw_planned[on] <= contacts)).all()  # plans within the offer
        assert (r.lw_contacts[on] < r.lw_planned[on] + r.lw_accompanied[on]).all()
        assert done.sum() == model.tally["clients_supported"]
        goals.append(int((met & ~full).sum()))
        for flag in (True, False):
            discharged[flag] += int((done & (acc == flag)).sum())

    spy(m, LinkWork, before, after)
    run_weeks(m, 20)
    assert discharged[True] > 10 and discharged[False] > 10
    assert sum(goals) > 0  # some leave early because their goals were met


def test_plans_follow_needs_and_shorten_under_pressure():
    from spsim.model.mechanisms.link_work import LinkWork as LW

    m = make_model(small_config({"link_workers.contacts_per_client": 12, "link_workers.contacts_min": 4,
                                 "link_workers.contacts_per_need": 2.0}))
    r = m.residents
    mech = next(x for x in m.mechanisms if isinstance(x, LW))
    one = np.flatnonzero((popcount8(r.needs) == 1) & ~r.lonely)[:20]
    many = np.flatnonzero(popcount8(r.needs) + r.lonely >= 3)[:20]
    r.lw_team[one] = 0
    r.lw_team[many] = 0
    assert (mech.plan(m, one, 1.0) == 4).all()
    assert (mech.plan(m, many, 1.0) >= 8).all()
    assert (mech.plan(m, many, 2.0) < mech.plan(m, many, 1.0)).all()


@pytest.mark.parametrize("policy", ["fifo", "need"])
def test_waiting_list_is_served_in_policy_order(policy):
    cfg = small_config({**BUSY, "link_workers.fte": 0.5, "link_workers.waiting_policy": policy,
                        "link_workers.engagement": 1.0, "referral.reneging_per_week": 0.0})
    m = make_model(cfg)
    contested = []

    def before(model, u):
        r = model.residents
        return r.lw_status == WAITING, r.lw_since.copy(), popcount8(r.needs).astype(np.int64)

    def after(model, u, state):
        waiting, since, nneeds = state
        r = model.residents
        taken = waiting & (r.lw_status == ACTIVE)
        left = waiting & (r.lw_status == WAITING)
        assert taken.sum() == model.tally["lw_taken_on"]
        if not (taken.any() and left.any()):
            return
        # sort key of the policy: smaller is served first
        key = since if policy == "fifo" else -nneeds * 10**6 + since
        assert key[taken].max() <= key[left].min()
        contested.append(int(taken.sum()))

    spy(m, LinkWork, before, after)
    run_weeks(m, 20)
    assert len(contested) >= 10, "the queue was never longer than the free places"


def test_low_confidence_clients_are_accompanied_when_matched():
    thr = 0.6
    cfg = small_config({**BUSY, "link_workers.accompany_below_confidence": thr, "groups.count": 30})
    m = make_model(cfg)
    seen = {True: 0, False: 0}
    match_at = cfg.link_workers.match_at_contact

    def before(model, u):
        return model.residents.group.copy()

    def after(model, u, group_before):
        r = model.residents
        matched = (r.lw_status == ACTIVE) & (r.lw_contacts == match_at) & (group_before < 0) & (r.group >= 0)
        low = r.confidence < thr
        assert np.array_equal(r.lw_accompanied[matched], low[matched])
        assert np.array_equal(r.group_accompanied[matched], low[matched])
        assert matched.sum() == model.tally["lw_matched"]
        for flag in (True, False):
            seen[flag] += int((matched & (low == flag)).sum())

    spy(m, LinkWork, before, after)
    run_weeks(m, 16)
    assert seen[True] > 5 and seen[False] > 5


def test_feedback_from_discharges_raises_practice_referral_probability():
    base = {**BUSY, "referral.self_referral_per_year": 0.5, "link_workers.fte": 2.0,
            "practices.waiting_discouragement": 0.0, "demand.gp_memory_weeks": 4.0}
    gain, r0, top = 0.05, 0.03, 0.15
    gp_refs = {}
    for g in (0.0, gain):
        cfg = small_config({**base, "practices.feedback_gain": g, "practices.referral": r0,
                            "practices.referral_max": top})
        m = make_model(cfg)
        t = tally_sum(m, 30, "clients_supported", "referrals_gp")
        p = m.practices
        assert p.feedback.sum() == t["clients_supported"] > 0
        assert (p.referral >= r0 - 1e-12).all() and (p.referral <= top).all()
        if g == 0.0:  # no gain, no waits: willingness stays where it started
            np.testing.assert_allclose(p.referral, r0, rtol=1e-12)
        gp_refs[g] = t["referrals_gp"]
    # the loop closes: practices that hear back refer more (same luck in both arms)
    assert gp_refs[gain] > gp_refs[0.0]


def test_willingness_follows_its_target_and_long_waits_lower_it():
    """The rule has a fixed point: with a constant service willingness converges to
    target / (1 + discouragement x wait / 10), and a longer quoted wait gives a lower one."""
    from spsim.model.mechanisms.referral import update_willingness

    m = make_model(small_config({"practices.feedback_gain": 0.01}))
    pc = m.cfg.practices
    ends = {}
    for wait in (0.0, 20.0):
        state = {"fed_back": np.zeros(m.practices.n)}
        m.practices.referral = pc.referral
        m.recent_wait_weeks = wait
        discharged = np.zeros(m.residents.n, bool)
        discharged[:: max(m.residents.n // 3, 1)] = True  # the same few discharges every week
        m.discharged = discharged
        for _ in range(600):
            update_willingness(m, state)
        k = np.bincount(m.residents.practice[discharged], minlength=m.practices.n) * 52.0
        target = pc.referral_max - (pc.referral_max - pc.referral) * (1 - pc.feedback_gain) ** k
        target /= 1 + pc.waiting_discouragement * wait / 10
        np.testing.assert_allclose(m.practices.referral, target, rtol=1e-6)
        ends[wait] = m.practices.referral.mean()
    assert ends[20.0] < ends[0.0]


# ============================================================== 7. groups
def test_members_never_exceed_places_even_when_volunteers_leave():
    cfg = small_config({"groups.count": 20, "groups.volunteer_stop_per_year": 6.0,
                        "groups.self_join_per_year": 1.0})
    m = make_model(cfg)
    displaced = []

    def check(model):
        r, g = model.residents, model.groups
        members = np.bincount(r.group[r.group >= 0], minlength=g.n)
        assert (members <= g.places).all()
        assert np.array_equal(members, g.members)
        assert (g.places <= cfg.groups.max_places).all()
        displaced.append(model.tally["members_displaced"])

    run_weeks(m, 20, check)
    assert sum(displaced) > 0, "places never shrank below membership: trimming untested"


def test_a_group_out_of_money_closes_and_releases_members_and_volunteers():
    m = make_model(small_config({"groups.count": 20}))
    run_weeks(m, 2)
    r, g = m.residents, m.groups
    victims = np.flatnonzero(g.open & (g.members > 0) & (g.volunteers > 0))[:3]
    assert victims.size == 3
    g.funds[victims] = -1e9
    week = m.week
    m.step()
    assert not g.open[victims].any()
    assert (g.closed_week[victims] == week).all()
    assert not np.isin(r.group, victims).any()
    assert not np.isin(r.volunteer_group, victims).any()
    assert (g.places[victims] == 0).all() and (g.members[victims] == 0).all()
    assert m.tally["groups_closed"] >= 3


def test_a_group_short_of_volunteers_closes_after_weeks_short_to_close():
    cfg = small_config({"groups.count": 20, "groups.weeks_short_to_close": 3,
                        "groups.member_volunteer_per_year": 0.0, "volunteering.spillover": 0.0,
                        "groups.initial_funds_weeks": 5200.0})
    m = make_model(cfg)
    r, g = m.residents, m.groups
    target = 4
    r.volunteer_group[r.volunteer_group == target] = -1
    for week in range(3):
        assert g.open[target]
        m.step()
        assert g.open[target] == (week < 2), f"week {week}"
    assert not np.isin(r.group, [target]).any()


def test_new_groups_start_at_the_configured_rate_with_founders():
    n, per_10k, weeks = 2000, 520.0, 30  # 2 new groups a week expected
    cfg = small_config({"groups.new_per_year_per_10k": per_10k})
    m = make_model(cfg)
    n0 = m.groups.n
    starts = []

    def before(model, u):
        return model.groups.n

    def after(model, u, n_before):
        g, r = model.groups, model.residents
        k = g.n - n_before
        assert k == model.tally["groups_started"]
        new = np.arange(n_before, g.n)
        assert g.open[new].all() and (g.started_week[new] == model.week).all()
        vols = np.bincount(r.volunteer_group[r.volunteer_group >= 0], minlength=g.n)[new]
        assert (vols == max(cfg.groups.volunteers_needed, 1)).all()  # founders (the pool is large)
        starts.append(k)

    spy(m, Groups, before, after)
    run_weeks(m, weeks)
    expected = per_10k * n / 10_000 / WEEKS_PER_YEAR * weeks
    assert m.groups.n - n0 == sum(starts)
    assert abs(sum(starts) - expected) <= 4 * np.sqrt(expected)
    assert len(m.agents_by_type[CommunityGroup]) == m.groups.n  # one Mesa agent per group


# ============================================================== 8. volunteering
def test_no_spillover_volunteers_when_spillover_is_zero():
    m = make_model(small_config({**BUSY, "volunteering.spillover": 0.0}))
    discharged = [0]

    def before(model, u):
        return model.residents.volunteer_group.copy()

    def after(model, u, vg_before):
        assert np.array_equal(model.residents.volunteer_group, vg_before)
        assert model.tally["new_volunteers_spillover"] == 0
        discharged[0] += int(model.discharged.sum())

    spy(m, Volunteering, before, after)
    run_weeks(m, 20)
    assert discharged[0] > 50


def test_every_discharged_client_volunteers_for_a_group_when_spillover_is_one():
    m = make_model(small_config({**BUSY, "volunteering.spillover": 1.0}))
    discharged = [0]

    def after(model, u, _):
        r, g = model.residents, model.groups
        done = model.discharged
        assert (r.volunteer_group[done] >= 0).all()
        assert g.open[r.volunteer_group[done]].all()
        assert r.volunteer[done].all()
        assert model.tally["new_volunteers_spillover"] == done.sum()
        assert np.array_equal(g.volunteers, np.bincount(r.volunteer_group[r.volunteer_group >= 0], minlength=g.n))
        discharged[0] += int(done.sum())

    spy(m, Volunteering, after=after)
    run_weeks(m, 20)
    assert discharged[0] > 50


@pytest.mark.parametrize("share", [0.16, 0.4])
def test_formal_volunteering_stays_near_the_monthly_share(share):
    # no groups, so group volunteering does not add to the general rate
    cfg = small_config({"population.size": 5000, "groups.count": 0, "groups.new_per_year_per_10k": 0.0,
                        "volunteering.monthly_share": share, "simulation.weeks": 52})
    m = make_model(cfg)
    m.run()
    ts = m.timeseries()["formal_volunteering_share"]
    assert abs(ts.mean() - share) < 0.02
    assert abs(ts.iloc[-1] - share) < 0.025
