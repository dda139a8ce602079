"""The social prescribing service: referral, link workers and extra teams."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from .base import P, Section


class ReferralParams(Section):
    refusal: float = P(0.16, ge=0, le=1, unit="probability", source="CPRD study 2025 (10-22% refused or not taken up)",
                       doc="Chance a referred resident declines")
    self_referral_per_year: float = P(0.01, ge=0, le=52, unit="per person-year with a need", source="assumption",
                                      doc="Rate at which residents with a need refer themselves")
    reneging_per_week: float = P(0.02, ge=0, le=1, unit="per week", source="assumption",
                                 doc="Chance a resident on the waiting list gives up each week")
    cooldown_weeks: int = P(26, ge=0, le=520, unit="weeks", source="assumption",
                            doc="Weeks after leaving link work before a resident can be referred again")


class LinkWorkerParams(Section):
    fte: float = P(2.0, ge=0, le=1000, unit="FTE", source="assumption (national PCN model ~1 FTE per 50,000; the default town is more generous)",
                   doc="Link-worker whole-time equivalents, spread over workers of at most 1 FTE")
    caseload_per_fte: int = P(14, ge=1, le=500, unit="clients per FTE", source="calibrated by hand (2 replicates, default town) to 150-250 clients per FTE-year (NHS England; CRESR) with flexible plans and early drop-out (was 29 by ABC with fixed plans, docs/calibration.md)",
                              doc="Caseload cap")
    contacts_per_client: int = P(8, ge=1, le=52, unit="contacts (one a week)", source="NHS England (6-12)",
                                 doc="Most contacts a client is offered (the plan follows needs and caseload pressure; clients whose goals are met are discharged sooner)")
    engagement: float = P(0.84, ge=0, le=1, unit="probability", source="calibrated by hand (was 0.88 by ABC, docs/calibration.md) so ~76-79% of accepted referrals engage net of reneging (Ways to Wellness 2020)",
                          doc="Chance a client taken off the waiting list engages at the first contact")
    dropout_per_week: float = P(0.02, ge=0, le=1, unit="per week", source="assumption",
                                doc="Chance an engaged client drops out each week")
    contacts_min: int = P(6, ge=1, le=52, unit="contacts", source="Polley (seeds/004): some clients need a couple of sessions, some many",
                          doc="Contacts planned for a client with a single need; each further need (loneliness counts as one) adds contacts_per_need, up to contacts_per_client")
    contacts_per_need: float = P(2.0, ge=0, le=52, unit="contacts per need", source="assumption",
                                 doc="Extra contacts planned for each need beyond the first")
    pressure_shortening: float = P(0.5, ge=0, le=10, unit="-", source="assumption",
                                   doc="Under caseload pressure plans are shortened: planned contacts are divided by 1 + this x min(waiting list / caseload places, 1), never below 2")
    early_dropout_per_week: float = P(0.12, ge=0, le=1, unit="per week", source="assumption, set so about 45% of referrals reach 3 contacts (Mercer et al. 2019, Glasgow Deep End: 45%)",
                                      doc="Added chance a client drops out before their third contact")
    effective_dose: int = P(3, ge=1, le=52, unit="contacts", source="Mercer et al. 2019 (gains only among those who saw the link worker 3 or more times)",
                            doc="Contacts after which link work changes the client: confidence grows and recovery from loneliness is supported (model.lw_effective); needs resolve faster from the week a client is taken on")
    match_at_contact: int = P(3, ge=1, le=52, unit="contact number", source="assumption (at the effective dose, Mercer et al. 2019)",
                              doc="Contact at which the client is matched to a community group")
    accompany_below_confidence: float = P(0.3, ge=0, le=1, unit="confidence (0-1)", source="assumption",
                                          doc="Clients below this confidence are accompanied to their first sessions (uses one extra contact)")
    confidence_gain_per_contact: float = P(0.05, ge=0, le=1, unit="per contact", source="assumption",
                                           doc="Confidence gained at each contact")
    need_resolution_multiplier: float = P(3.0, ge=1, le=50, unit="x", source="assumption",
                                          doc="Needs resolve this much faster while a client is supported")
    loneliness_recovery_per_year: float = P(0.0, ge=0, le=52, unit="per year of support", source="assumption, off by default; calibrated against the studies (docs/calibration.md): the British Red Cross service's link workers gave up to 12 weeks of one-to-one support to people referred for loneliness, and 72.6% felt less lonely at its end (Foster et al. 2021), which group places alone cannot produce in the model",
                                           doc="Added recovery rate from loneliness while a client is supported past the effective dose (the one-to-one relationship itself, beside any group)")
    effect_on_residents: float = P(1.0, ge=0, le=1, unit="share of full effect", source="- (evaluation switch)",
                                   doc="Scales everything link work does to clients (faster need resolution, confidence, group matching, recovery from loneliness while supported, spillover); 0 keeps the referral process but makes the service inert, for null-effect evaluation checks")
    waiting_policy: Literal["fifo", "need"] = P("fifo", unit="-", source="assumption",
                                                doc="fifo: first come first served; need: most needs first, then longest wait")
    salary_gbp: float = P(38_000.0, ge=0, le=1e6, unit="GBP per FTE-year", source="NHS ARRS Band 5 (36,000-40,000)",
                          doc="Salary before on-costs")
    on_cost_rate: float = P(0.28, ge=0, le=2, unit="share of salary", source="assumption (employer NI and pension)",
                            doc="Employer on-costs")


class TeamParams(Section):
    """An extra link-work team with its own caseload rules and who it serves (age-targeted
    link workers, intensive care navigators). Referred residents go to the first team that
    serves them; everyone else goes to the main ``link_workers`` team."""
    name: str = P("team", unit="-", source="local model (label only)", doc="Label")
    fte: float = P(1.0, ge=0, le=1000, unit="FTE", source="local model", doc="Whole-time equivalents")
    caseload_per_fte: int = P(20, ge=1, le=500, unit="clients per FTE", source="assumption", doc="Caseload cap")
    contacts_per_client: int = P(10, ge=1, le=52, unit="contacts", source="assumption", doc="Contacts before discharge")
    age_bands: list[int] = P([0, 1, 2], unit="age bands (0: <25, 1: 25-64, 2: 65+)", source="local model",
                             doc="Ages the team serves")
    min_needs: int = P(0, ge=0, le=6, unit="needs (loneliness counts as one)", source="local model",
                       doc="Fewest needs a resident must have for this team")
    salary_gbp: float | None = P(None, ge=0, le=1e6, unit="GBP per FTE-year", source="local model",
                                 doc="Salary before on-costs; empty means link_workers.salary_gbp")

    @field_validator("age_bands")
    @classmethod
    def _bands(cls, v: list[int]) -> list[int]:
        if not v or any(b not in (0, 1, 2) for b in v):
            raise ValueError("must be a non-empty list of age bands 0, 1 or 2")
        return sorted(set(v))


class DemandParams(Section):
    """How referral demand answers the service: GPs' willingness follows what they see of it, link
    workers with spare capacity reach out, and other routes refer (test beds, seeds/000)."""
    gp_memory_weeks: float = P(26.0, ge=1, le=520, unit="weeks", source="assumption",
                               doc="Time over which a practice's willingness to refer follows its target (discharges fed back raise it, quoted waits lower it)")
    inreach_per_spare_place: float = P(0.1, ge=0, le=10, unit="referrals per free caseload place per week", source="assumption",
                                       doc="Link workers with free caseload places (beyond the waiting list) find clients through in-reach to practice lists and talks to groups")
    inreach_groups_share: float = P(0.3, ge=0, le=1, unit="share", source="assumption",
                                    doc="Share of that outreach spent on talks to community groups (the rest searches practice lists for residents with a long-term condition, aged 65+ or living alone)")
    vcs_per_year: float = P(0.01, ge=0, le=52, unit="per resident-year with a practical need", source="assumption",
                            doc="Voluntary-sector advice services refer residents with debt, housing or employment needs")
    social_care_per_year: float = P(0.02, ge=0, le=52, unit="per resident-year (65+ with a long-term condition and a need)", source="assumption",
                                    doc="Adult social care refers older residents with a long-term condition and a need")


class WorkforceParams(Section):
    """Funded posts are not workers in post: turnover, vacancies, leave and handover."""
    turnover_per_year: float = P(0.2, ge=0, le=10, unit="per worker-year", source="assumption, below NALW 2020 (29% intended to leave within a year)",
                                 doc="Rate at which link workers leave their post (their clients are handed over)")
    recruitment_weeks: float = P(16.0, ge=1, le=520, unit="weeks", source="assumption (NHS vacancies take about 3-4 months to fill)",
                                 doc="Mean weeks to fill a vacant post")
    leave_weeks_per_year: float = P(7.0, ge=0, le=52, unit="weeks per worker-year", source="5.6 weeks statutory annual leave (gov.uk) + about 1.4 weeks sickness (assumption)",
                                    doc="Weeks a worker is away: no contacts and no intake that week")
    supervised_share: float = P(0.5, ge=0, le=1, unit="share of posts", source="assumption (NALW 2020: many link workers lack regular clinical supervision)",
                                doc="Share of posts with regular supervision (a lever)")
    supervision_turnover_multiplier: float = P(0.7, ge=0, le=1, unit="x", source="assumption (NALW 2020: supervision and support linked to intention to stay)",
                                               doc="Turnover of supervised workers relative to unsupervised")
    retention_multiplier: float = P(1.0, ge=0, le=5, unit="x", source="- (lever: retention measures such as pay banding or permanent contracts)",
                                    doc="Scales every worker's turnover")
