"""The voluntary and community sector and the local models' community mechanisms."""

from __future__ import annotations

from typing import Literal

from .base import P, Section


class GroupParams(Section):
    count: int = P(100, ge=0, le=100_000, unit="groups", source="assumption (~2 per 1,000 residents; City & Hackney used 85 organisations)",
                   doc="Community groups at the start")
    max_places: int = P(25, ge=1, le=1000, unit="places", source="assumption",
                        doc="Most members a group can take")
    places_per_volunteer: int = P(6, ge=1, le=100, unit="places", source="assumption",
                                  doc="Places each volunteer makes possible")
    volunteers_needed: int = P(2, ge=0, le=100, unit="volunteers", source="assumption",
                               doc="Volunteers a group needs to run; below this for too long it closes")
    initial_volunteers: float = P(3.0, ge=0, le=100, unit="volunteers per group", source="assumption",
                                  doc="Mean volunteers per group at the start (Poisson, at least volunteers_needed)")
    weeks_short_to_close: int = P(8, ge=1, le=520, unit="weeks", source="assumption",
                                  doc="Consecutive weeks below volunteers_needed before a group closes")
    attendance: float = P(0.8, ge=0, le=1, unit="probability per week", source="assumption",
                          doc="Chance a member attends in a given week")
    leave_per_week: float = P(0.01, ge=0, le=1, unit="per week", source="assumption",
                              doc="Chance a member leaves each week")
    early_leave_low_confidence: float = P(0.25, ge=0, le=1, unit="per week", source="assumption",
                                          doc="Added chance of leaving in the first 4 weeks for low-confidence members who were not accompanied")
    self_join_per_year: float = P(0.03, ge=0, le=52, unit="per person-year", source="assumption",
                                  doc="Rate at which residents join a group without help, if a place is free")
    member_volunteer_per_year: float = P(0.15, ge=0, le=52, unit="per member-year", source="assumption",
                                         doc="Rate at which members start volunteering for their group")
    volunteer_stop_per_year: float = P(0.5, ge=0, le=52, unit="per volunteer-year", source="assumption",
                                       doc="Rate at which group volunteers stop")
    weekly_cost_gbp: float = P(60.0, ge=0, le=1e6, unit="GBP per week", source="assumption",
                               doc="Running cost of an open group")
    income_share_mean: float = P(1.05, ge=0, le=5, unit="share of cost", source="assumption",
                                 doc="Mean weekly income as a share of cost (varies by group)")
    initial_funds_weeks: float = P(52.0, ge=0, le=5200, unit="weeks of cost", source="assumption",
                                   doc="Mean starting reserves in weeks of running cost (exponential)")
    new_per_year_per_10k: float = P(0.0, ge=0, le=1000, unit="groups per 10,000 residents per year", source="assumption",
                                    doc="Groups started by residents beyond those replacing groups that fold (growth of the sector)")
    fold_per_year: float = P(0.2, ge=0, le=10, unit="per group-year", source="assumption (small groups' organisers move on, venues are lost)",
                             doc="Rate at which open community groups fold for reasons outside the model (organisers move on, venues are lost)")
    queue_give_up_per_week: float = P(0.02, ge=0, le=1, unit="per week", source="assumption (as patient as those waiting for a link worker, referral.reneging_per_week)",
                                      doc="Chance a referred resident waiting for a place in a full group gives up each week")
    referred_member_cost_gbp: float = P(1.0, ge=0, le=1000, unit="GBP per referred member-week", source="assumption (materials, refreshments and room for members who come through link work and pay no subscription; no figure in the seeds or the brief)",
                                        doc="What each referred member costs the group a week, drawn from its reserves")
    warm_start_weeks: int = P(104, ge=0, le=2080, unit="weeks", source="assumption: two years, one volunteer tenure (volunteer_stop_per_year = 0.5), before the two-year burn-in; measured with tests/test_stationary.py (docs/ODD.md 5.9)",
                                doc="Weeks the group sector runs under its own rules (groups and volunteering steps, the rest of the town held still) before the burn-in, so that it starts at its steady state")
    warm_start_discharges_per_place_week: float = P(0.2, ge=0, le=1, unit="discharges per in-post caseload place per week", source="measured: a service with a waiting list discharged 0.19-0.22 per in-post caseload place a week (the default town and five local models at 20,000 residents, recorded years 3-7; docs/ODD.md 5.9); that the service ran at capacity before the burn-in is an assumption",
                                                     doc="Clients the group sector's warm start takes a running service to discharge each week (their spillover volunteers), while the service itself is held still")
    refill_per_year: float = P(1.0, ge=0, le=52, unit="per missing group per year", source="assumption (density-dependent founding, as in organisational ecology: Hannan & Freeman 1989)",
                               doc="Residents start new groups at this rate for each group the place is short of groups.count (venues, organisers and funders freed by closures are taken up again)")


class VolunteeringParams(Section):
    spillover: float = P(0.15, ge=0, le=1, unit="share", source="no published rate: scenario lever",
                         doc="Share of residents discharged from link work who go on to volunteer for a group")
    monthly_share: float = P(0.16, ge=0, le=1, unit="share", source="DCMS Community Life Survey 2021/22",
                             doc="Formal volunteering at least monthly, all causes (sets the start rate)")
    stop_per_year: float = P(1.0, ge=0, le=52, unit="per volunteer-year", source="assumption",
                             doc="Rate at which general volunteers stop")
    loneliness_recovery_per_year: float = P(0.2, ge=0, le=52, unit="per volunteer-year", source="assumption, kept modest (the Community Life Survey reports monthly formal volunteers less often lonely, but no figure is in the seeds or the brief)",
                                            doc="Added recovery rate from loneliness while volunteering formally (volunteering helps the volunteer)")


class ConnectorParams(Section):
    """Community connectors: trained residents who signpost people in their own networks (Frome)."""
    count: int = P(0, ge=0, le=1_000_000, unit="residents", source="local model", doc="Connectors trained at the start (chosen among volunteers)")
    signpost_per_year: float = P(1.0, ge=0, le=52, unit="per contact in need per year", source="assumption",
                                 doc="Rate at which a connector signposts each of their ties who has a need")
    to_link_worker_share: float = P(0.5, ge=0, le=1, unit="share", source="assumption",
                                    doc="Share of signposted residents referred to a link worker; the rest find a group place directly")
    from_spillover_share: float = P(0.0, ge=0, le=1, unit="share", source="assumption",
                                    doc="Share of spillover volunteers who also become connectors")
    stop_per_year: float = P(0.2, ge=0, le=52, unit="per connector-year", source="assumption", doc="Rate at which connectors stop")


class CommunityDevelopmentParams(Section):
    """Community developers / builders who start groups where unmet need piles up (Northern Devon, Kingsbridge)."""
    fte: float = P(0.0, ge=0, le=1000, unit="FTE", source="local model", doc="Community developer whole-time equivalents")
    groups_per_fte_year: float = P(6.0, ge=0, le=520, unit="groups per FTE-year", source="assumption",
                                   doc="Groups a developer can start a year, where unmet demand exists")
    salary_gbp: float = P(32_000.0, ge=0, le=1e6, unit="GBP per FTE-year", source="assumption (NJC scale, community development officer)",
                          doc="Salary before on-costs (on-cost rate as link workers)")


class OutreachParams(Section):
    """Proactive identification ('Flow'): support pulled to isolated residents without a referral."""
    per_year: float = P(0.0, ge=0, le=52, unit="per eligible resident-year", source="local model",
                        doc="Rate at which lonely residents at the periphery are found and referred")
    max_ties: int = P(4, ge=0, le=1000, unit="ties", source="assumption", doc="Residents with at most this many ties count as at the periphery")


class AppParams(Section):
    """App-based signposting (help@hand, referral apps) lowering referral friction."""
    enabled: bool = P(False, unit="-", source="local model", doc="Whether residents and practices use a referral app")
    self_referral_multiplier: float = P(2.0, ge=0, le=100, unit="x", source="assumption", doc="Self-referral rate multiplier")
    gp_referral_multiplier: float = P(1.3, ge=0, le=100, unit="x", source="assumption", doc="GP referral probability multiplier")


class ProgrammeParams(Section):
    """A fixed-length programme (e.g. a 10-week outdoor wellbeing course, Kingsbridge)."""
    count: int = P(0, ge=0, le=10_000, unit="programmes", source="local model", doc="Programmes running at once")
    places: int = P(12, ge=1, le=1000, unit="places", source="assumption", doc="Places per programme")
    weeks: int = P(10, ge=1, le=104, unit="weeks", source="local model (Kingsbridge 10-week course)", doc="Length; participants leave after it")
    kind: Literal["connect", "be_active", "keep_learning", "take_notice", "give", "advice"] = P(
        "take_notice", unit="-", source="assumption (outdoor: take notice / be active)", doc="Five Ways kind")
    weekly_cost_gbp: float = P(300.0, ge=0, le=1e6, unit="GBP per week", source="assumption", doc="Running cost (paid by the scheme)")


class GrantParams(Section):
    """Small grants to community groups (Southern Staffordshire: 50,000 GBP)."""
    budget_gbp_per_year: float = P(0.0, ge=0, le=1e9, unit="GBP per year", source="local model", doc="Grant budget")
    max_grant_gbp: float = P(2_000.0, ge=0, le=1e7, unit="GBP", source="assumption", doc="Largest single grant")
    low_funds_weeks: float = P(12.0, ge=0, le=520, unit="weeks of cost", source="assumption",
                               doc="Groups with less than this many weeks of reserves can apply; funds are given quarterly")
