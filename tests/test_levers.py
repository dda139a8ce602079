"""The three levers move the outcomes the right way, and the default town lands on the evidence.

Lever tests compare arms on common random numbers: every arm runs the same replicates (the same
SeedSequence spawns, hence the same residents and the same weekly luck), so arm differences are
the lever's effect plus a little divergence noise. Outcomes are averaged over replicates.

The town is 5,000 residents for one year after a quarter of burn-in. Demand for link work is
raised (``referral.self_referral_per_year``) so that link-worker capacity binds at low FTE and
enough clients pass through for spillover to matter; the defaults are tuned to a 50,000 town.
"""

from __future__ import annotations

from conftest import default_config
from spsim.studies.runner import run

REPLICATES = 4
LEVER_TOWN = {
    "population.size": 5000,
    "groups.count": 10,  # the default density: 2 per 1,000 residents
    "simulation.weeks": 52,
    "simulation.burn_in_weeks": 13,
    "simulation.replicates": REPLICATES,
}


def arm(**levers) -> dict[str, float]:
    """Run one arm (all replicates) with ``section__key=value`` overrides; return replicate
    means of the summary, plus weekly means of places and volunteers."""
    dotted = {k.replace("__", "."): v for k, v in levers.items()}
    cfg = default_config({**LEVER_TOWN, **dotted})
    result = run(cfg)
    summary = result.summary().mean(numeric_only=True).to_dict()
    ts = result.timeseries()
    summary["group_places_mean"] = float(ts["group_places"].mean())
    summary["volunteers_mean"] = float(ts["volunteers"].mean())
    summary["referrals_total_max"] = float(result.summary()["referrals_total"].max())
    return summary


def test_more_link_worker_capacity_never_lengthens_the_wait_and_supports_more_clients():
    # seen (4 replicates): mean wait 31, 23, 10, 0.01 weeks; supported 100, 201, 404, 620
    ftes = (0.5, 1.0, 2.0, 4.0)
    res = [arm(link_workers__fte=f, referral__self_referral_per_year=0.8) for f in ftes]
    wait = [r["lw_wait_weeks_mean"] for r in res]
    supported = [r["clients_supported_total"] for r in res]
    for lo, hi in zip(range(len(ftes) - 1), range(1, len(ftes)), strict=True):
        assert wait[hi] <= wait[lo], (ftes[hi], wait)
        if wait[lo] > 1.0:  # a real queue: more capacity must shorten it
            assert wait[hi] < wait[lo] - 0.5, (ftes[hi], wait)
        assert supported[hi] > supported[lo], (ftes[hi], supported)
    assert wait[0] > 5.0, "capacity never bound at the lowest FTE: the lever was not tested"


def test_no_link_workers_means_no_referrals_and_no_clients():
    res = arm(link_workers__fte=0.0, referral__self_referral_per_year=0.8)
    assert res["referrals_total_max"] == 0
    assert res["lw_intake_total"] == 0 and res["clients_supported_total"] == 0
    assert res["cost_link_workers_gbp"] == 0
    assert res["lw_waiting_mean"] == 0


def test_more_volunteering_spillover_adds_volunteers_and_places_without_adding_loneliness():
    # seen: volunteers (weekly mean) 40, 90, 139; places 198, 262, 267; lonely 6.63%, 6.61%, 6.61%
    spill = (0.0, 0.5, 1.0)
    res = [arm(volunteering__spillover=s, link_workers__fte=1.0, referral__self_referral_per_year=0.2)
           for s in spill]
    vols = [r["volunteers_mean"] for r in res]
    places = [r["group_places_mean"] for r in res]
    lonely = [r["lonely_share_mean"] for r in res]
    assert vols[0] < vols[1] < vols[2], vols
    assert places[0] <= places[1] <= places[2] and places[2] > places[0] * 1.1, places
    # not more loneliness (0.1 percentage point allowance for divergence noise between arms)
    assert lonely[1] <= lonely[0] + 0.001 and lonely[2] <= lonely[0] + 0.001, lonely


def test_more_groups_mean_more_attendance_and_less_loneliness():
    # seen (4 replicates, one year): attendance 26, 181, 320 a week; lonely share (mean over the
    # year) 6.80%, 6.62%, 6.44% -- about 0.35 points less loneliness from 0 to 40 groups, and
    # every replicate moved the same way from 10 to 40 groups
    counts = (0, 10, 40)
    res = [arm(groups__count=c, link_workers__fte=1.0, referral__self_referral_per_year=0.2) for c in counts]
    attendance = [r["group_attendance_per_week"] for r in res]
    lonely = [r["lonely_share_mean"] for r in res]
    assert attendance[0] < attendance[1] < attendance[2], attendance
    assert lonely[0] > lonely[1] > lonely[2], lonely
    assert lonely[0] - lonely[2] > 0.002, lonely
