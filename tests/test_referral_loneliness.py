"""Lonely residents reach social prescribing: a GP recognises loneliness at any consultation.

Since loneliness acts on GP demand through health (NICOLA), most of a lonely resident's
consultations are medical; the referral step lets the GP recognise the loneliness there
(``practices.loneliness_recognition``) and refer it with the practice's willingness. These tests
check the rule's probabilities exactly (binomial tolerances, 4 standard errors), that it draws no
extra random numbers, and that in a whole town it raises the share of the referred who are lonely
without touching GP demand.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import binomial_tolerance, make_model, mechanism_of, small_config
from spsim.model.mechanisms.referral import Referral


def _one_week(cfg, *, lonely: bool, social: bool, needs: int) -> tuple[int, int, object]:
    """Every resident eligible, seen at the GP this week; return (GP referrals, residents, model)."""
    m = make_model(cfg)
    r = m.residents
    r.needs = np.full(r.n, needs, np.uint8)
    r.lonely = np.full(r.n, lonely)
    m.seen_gp = np.ones(r.n, bool)
    m.seen_social = np.full(r.n, social)
    mech = mechanism_of(m, Referral)
    mech.step(m, m.luck(mech))
    return m.tally["referrals_gp"], r.n, m


BASE = {"population.size": 20_000, "practices.recognition": 0.5, "practices.referral": 0.4,
        "practices.waiting_discouragement": 0.0, "referral.self_referral_per_year": 0.0,
        "connectors.count": 0}


@pytest.mark.parametrize("lrec", [0.0, 0.3, 0.8])
def test_lonely_patient_at_a_medical_consultation_is_referred_at_recognition_times_willingness(lrec):
    cfg = small_config({**BASE, "practices.loneliness_recognition": lrec})
    k, n, m = _one_week(cfg, lonely=True, social=False, needs=0)
    p = lrec * float(m.practices.referral.mean())
    assert np.ptp(m.practices.referral) < 1e-12  # every practice refers alike here
    assert abs(k / n - p) <= binomial_tolerance(p, n), (k / n, p)
    if lrec == 0.0:
        assert k == 0


def test_lonely_patient_at_a_social_consultation_has_both_chances():
    """Recognised as lonely or for the other need: P = 1 - (1 - p_social)(1 - p_lonely)."""
    cfg = small_config({**BASE, "practices.loneliness_recognition": 0.3})
    k, n, m = _one_week(cfg, lonely=True, social=True, needs=1)
    w = float(m.practices.referral.mean())
    p = 1 - (1 - 0.5 * w) * (1 - 0.3 * w)
    assert abs(k / n - p) <= binomial_tolerance(p, n), (k / n, p)
    # not lonely: only the social need is seen
    k, n, _ = _one_week(cfg, lonely=False, social=True, needs=1)
    assert abs(k / n - 0.5 * w) <= binomial_tolerance(0.5 * w, n)


def test_not_lonely_at_a_medical_consultation_is_never_referred_by_the_gp():
    cfg = small_config({**BASE, "practices.loneliness_recognition": 1.0})
    k, _, _ = _one_week(cfg, lonely=False, social=False, needs=1)
    assert k == 0


def test_the_route_draws_no_extra_numbers():
    """Common random numbers: the referral streams end the week in the same state with the route on
    or off (it reuses the GP route's own uniform)."""
    states = []
    for lrec in (0.0, 1.0):
        cfg = small_config({**BASE, "practices.loneliness_recognition": lrec})
        _, _, m = _one_week(cfg, lonely=True, social=False, needs=0)
        states.append({k: v for k, v in m.streams.states().items() if k.startswith("referral")})
    assert states[0] == states[1]


@pytest.fixture(scope="module")
def cohorts():
    from spsim.model.config import load_config
    from spsim.studies.patterns import run_measured

    out = {}
    for lrec in (0.0, 0.15):
        cfg = load_config(None, ["population.size=6000", "population.scaling=absolute", "simulation.weeks=104",
                                 "simulation.burn_in_weeks=20", "link_workers.fte=1.0", "groups.count=15",
                                 "simulation.seed=11", f"practices.loneliness_recognition={lrec}"])
        out[lrec] = run_measured(cfg, 0)
    return out


def test_more_of_the_referred_are_lonely_and_gp_demand_is_untouched(cohorts):
    """The same town and luck with and without the route: the referred cohort is lonelier (share
    lonely at referral and its UCLA-3 scores), while GP consultations per person, which the
    referral step does not touch before anyone is helped, stay within 2% and the GP visits per
    UCLA point inside the NICOLA band."""
    off, on = cohorts[0.0], cohorts[0.15]
    assert on["referrals_total"] > off["referrals_total"]
    assert on["referred_lonely_share"] > off["referred_lonely_share"], (off, on)
    assert on["referred_ucla_mean"] > off["referred_ucla_mean"]
    assert on["referral_or_lonely"] > off["referral_or_lonely"]
    assert on["gp_consultations_per_person_year"] == pytest.approx(off["gp_consultations_per_person_year"], rel=0.02)
    for m in (off, on):
        assert 1.0 < m["gp_rr_per_ucla_point"] < 1.06
