"""Typed, validated scenario parameters.

Every field carries its unit, its allowed range, its default and its source (or the word
"assumption") so that ``spsim validate`` and ``docs/ODD.md`` can print the full table. Sections
are small pydantic models; unknown keys are errors (``extra="forbid"``).

The parameter table in the docs is generated from these definitions by
``spsim params --markdown``; edit here, not there.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator


def P(default: Any, *, unit: str, source: str, doc: str, ge=None, le=None, gt=None, lt=None):
    """A documented parameter: default, unit, range and source in one place."""
    return Field(
        default,
        ge=ge,
        le=le,
        gt=gt,
        lt=lt,
        description=doc,
        json_schema_extra={"unit": unit, "source": source},
    )


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_number(cls, v: Any, info: ValidationInfo) -> Any:
        """pydantic would read ``weeks = true`` as 1; a true/false where a number belongs is a mistake."""
        if isinstance(v, bool) and cls.model_fields[info.field_name].annotation in (int, float):
            raise ValueError("expected a number, not true/false")
        return v


# --------------------------------------------------------------------------------------------
class SimulationParams(Section):
    name: str = P("default", unit="-", source="-", doc="Scenario label written to every output row")
    weeks: int = P(104, ge=1, le=5200, unit="weeks", source="assumption",
                   doc="Weeks recorded after burn-in")
    burn_in_weeks: int = P(52, ge=0, le=520, unit="weeks", source="assumption (loneliness and queues settle within about a year)",
                           doc="Weeks run before recording starts, so queues and ties settle")
    seed: int = P(20261123, ge=0, le=2**63 - 1, unit="-", source="-",
                  doc="Root seed; replicate seeds are spawned from it with numpy SeedSequence")
    replicates: int = P(1, ge=1, le=100_000, unit="runs", source="-",
                        doc="Independent replicates (different luck, same configuration)")


class PopulationParams(Section):
    size: int = P(50_000, ge=100, le=5_000_000, unit="residents", source="assumption",
                  doc="Residents (all ages) in the simulated place")
    living_alone_share: float = P(0.15, ge=0, le=1, unit="share", source="ONS Families and households 2023 (about 8.4 M of 55 M adults live alone)",
                                  doc="Share of residents in one-person households")
    mean_household_size: float = P(2.4, ge=1.5, le=5, unit="residents", source="ONS Families and households 2023 (2.36)",
                                   doc="Mean size of multi-person households is derived from this and living_alone_share")
    age_65_plus_share: float = P(0.19, ge=0, le=1, unit="share", source="ONS Census 2021 (18.6% aged 65+)",
                                 doc="Share of residents aged 65 and over")
    age_under_25_share: float = P(0.29, ge=0, le=1, unit="share", source="ONS Census 2021",
                                  doc="Share of residents under 25")
    long_term_condition_share: float = P(0.26, ge=0, le=1, unit="share", source="DH 2012 Long-term conditions compendium (15 M of 57 M)",
                                         doc="Share of residents with a long-term condition")
    neighbourhood_size: int = P(1500, ge=50, le=50_000, unit="residents", source="ONS LSOA size (about 1,500)",
                                doc="Residents per neighbourhood; deprivation and practice are set per neighbourhood")


class NetworkParams(Section):
    neighbour_ties: float = P(6.0, ge=0, le=50, unit="ties per resident", source="assumption (Dunbar sympathy group ~12-15, half outside the household)",
                              doc="Mean friendship/neighbour ties outside the household")
    tie_heterogeneity: float = P(0.6, ge=0, le=1, unit="-", source="assumption",
                                 doc="0: everyone keeps all ring ties; 1: tie retention varies fully with a resident's sociability, so some live at the periphery")
    rewire: float = P(0.1, ge=0, le=1, unit="share", source="assumption (Watts-Strogatz small world)",
                      doc="Share of neighbour ties rewired to a random resident anywhere in the place")
    group_tie_prob: float = P(0.05, ge=0, le=1, unit="per attendance", source="assumption",
                              doc="Chance that a group attendance creates (or refreshes) a tie with a co-attendee")
    group_tie_fade_weeks: int = P(26, ge=1, le=520, unit="weeks", source="assumption",
                                  doc="A tie made at a group fades after this many weeks without co-attendance")


class HealthParams(Section):
    gp_medical_per_year: float = P(4.0, ge=0, le=50, unit="consultations per person-year", source="calibrated (ABC, docs/calibration.md) to Hobbs et al. 2016 (about 5 in all, social ones included)",
                                   doc="Mean medical GP consultation demand outside episodes")
    propensity_sigma: float = P(0.8, ge=0, le=3, unit="log-sd", source="assumption (the top 10% of attenders make ~30% of consultations in the model; UK studies report up to ~40%)",
                                doc="Persistent between-person differences in consultation propensity (lognormal)")
    episode_per_year: float = P(0.35, ge=0, le=52, unit="episodes per person-year", source="assumption",
                                doc="Temporary illness episodes that raise consultation demand")
    episode_mean_weeks: float = P(8.0, ge=1, le=520, unit="weeks", source="assumption",
                                  doc="Mean length of an episode (geometric)")
    episode_multiplier: float = P(4.0, ge=1, le=50, unit="x", source="assumption",
                                  doc="Consultation demand multiplier during an episode")
    ltc_multiplier: float = P(2.0, ge=1, le=10, unit="x", source="assumption (people with LTCs account for ~50% of GP appointments, DH 2012)",
                              doc="Consultation demand multiplier for residents with a long-term condition")
    ae_per_year: float = P(0.35, ge=0, le=20, unit="attendances per person-year", source="NHS England A&E attendances ~25 M a year / 57 M",
                           doc="Mean A&E attendance rate outside episodes and unmet GP demand")
    ae_unmet_gp_share: float = P(0.05, ge=0, le=1, unit="share", source="assumption",
                                 doc="Share of GP requests turned away for lack of capacity that end at A&E")
    social_ae_share: float = P(0.3, ge=0, le=1, unit="share", source="assumption",
                               doc="A&E uplift from social need, relative to the GP social uplift")


class NeedsParams(Section):
    """Non-medical needs: debt, housing, employment, mental wellbeing, inactivity."""
    onset_per_year: float = P(0.12, ge=0, le=52, unit="per person-year, each need", source="assumption",
                              doc="Onset rate of each non-medical need at average deprivation")
    deprivation_gradient: float = P(1.0, ge=0, le=5, unit="x per quintile step", source="assumption (need concentrates in deprived areas)",
                                    doc="Onset multiplier 1 + g * (q - 1) / 2 for deprivation quintile q (1 least, 5 most deprived), normalised to mean 1")
    mean_duration_weeks: float = P(26.0, ge=1, le=1040, unit="weeks", source="assumption",
                                   doc="Mean duration of a need without help")
    gp_uplift_per_year: float = P(2.8, ge=0, le=50, unit="consultations per person-year", source="calibrated (ABC, docs/calibration.md) to Citizens Advice 2015 (~20% mainly social)",
                                  doc="Extra (social) GP consultation demand for each active need, loneliness counting as one")
    loneliness_link: float = P(1.5, ge=1, le=10, unit="x", source="assumption",
                               doc="Loneliness onset multiplier for residents with at least one other need")


class LonelinessParams(Section):
    initial_share: float = P(0.07, ge=0, le=1, unit="share", source="ONS OPN 2023/24 (often/always lonely ~7%)",
                             doc="Share lonely at the start of burn-in")
    onset_per_year: float = P(0.015, ge=0, le=52, unit="per person-year", source="calibrated (ABC, docs/calibration.md; Hill et al. 2010 give 0.04 for a broader definition of lonely)",
                              doc="Spontaneous onset rate")
    contagion_per_year: float = P(0.013, ge=0, le=52, unit="per lonely contact per year", source="Hill et al. 2010 (0.04) scaled by 1/3 like onset (calibrated assumption)",
                                  doc="Added onset rate for each lonely contact")
    recovery_per_year: float = P(0.18, ge=0, le=52, unit="per person-year", source="Hill et al. 2010",
                                 doc="Spontaneous recovery rate")
    recovery_per_contact_per_year: float = P(0.02, ge=0, le=52, unit="per non-lonely contact per year", source="Hill et al. 2010",
                                             doc="Added recovery rate for each non-lonely contact")
    group_recovery_per_year: float = P(1.0, ge=0, le=52, unit="per year of attendance", source="assumption",
                                       doc="Added recovery rate while attending a community group")
    living_alone_multiplier: float = P(1.5, ge=1, le=10, unit="x", source="assumption (ONS: living alone is the strongest correlate)",
                                       doc="Onset multiplier for residents living alone")


class WellbeingParams(Section):
    """Wellbeing (0-10, ONS life-satisfaction scale) and confidence (0-1)."""
    baseline: float = P(7.5, ge=0, le=10, unit="score 0-10", source="ONS APS personal well-being 2023 (mean life satisfaction ~7.4)",
                        doc="Wellbeing with no needs, not lonely, not ill")
    per_need: float = P(0.6, ge=0, le=10, unit="points", source="assumption",
                        doc="Wellbeing lost for each active non-medical need")
    lonely: float = P(1.5, ge=0, le=10, unit="points", source="assumption",
                      doc="Wellbeing lost while lonely")
    episode: float = P(0.5, ge=0, le=10, unit="points", source="assumption",
                       doc="Wellbeing lost during an illness episode")
    group: float = P(0.3, ge=0, le=10, unit="points", source="assumption",
                     doc="Wellbeing gained in a week with a group attendance")
    adjustment: float = P(0.1, gt=0, le=1, unit="per week", source="assumption",
                          doc="Share of the gap to the target closed each week")
    confidence_per_attendance: float = P(0.01, ge=0, le=1, unit="per attendance", source="assumption",
                                         doc="Confidence gained at each group attendance")
    confidence_loss_lonely: float = P(0.005, ge=0, le=1, unit="per lonely week", source="assumption",
                                      doc="Confidence lost in each lonely week")


class PracticeParams(Section):
    count: int = P(6, ge=1, le=5000, unit="practices", source="assumption (~8,000 patients per practice, NHS Digital)",
                   doc="GP practices; residents register with the practice of their neighbourhood")
    appointments_per_1000_per_week: float = P(110.0, ge=0, le=2000, unit="appointments per 1,000 patients per week", source="assumption (NHS Digital appointments data ~100)",
                                              doc="Weekly GP appointment capacity")
    recognition: float = P(0.35, ge=0, le=1, unit="probability", source="assumption",
                           doc="Chance a GP recognises the non-medical need behind a social consultation")
    referral: float = P(0.03, ge=0, le=1, unit="probability", source="assumption",
                        doc="Initial chance a recognised need is referred to a link worker")
    referral_max: float = P(0.15, ge=0, le=1, unit="probability", source="assumption",
                            doc="Ceiling on the referral probability reached through feedback")
    feedback_gain: float = P(0.002, ge=0, le=1, unit="per discharge", source="assumption",
                             doc="Each discharge fed back to a practice moves its referral probability this fraction of the way to the ceiling")
    waiting_discouragement: float = P(0.5, ge=0, le=10, unit="per 10 weeks of wait", source="assumption",
                                      doc="Referral probability is divided by 1 + this * (mean wait in weeks / 10)")


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
    caseload_per_fte: int = P(29, ge=1, le=500, unit="clients per FTE", source="calibrated (ABC, docs/calibration.md) to 150-250 clients per FTE-year (NHS England; CRESR)",
                              doc="Caseload cap")
    contacts_per_client: int = P(8, ge=1, le=52, unit="contacts (one a week)", source="NHS England (6-12)",
                                 doc="Contacts before discharge")
    engagement: float = P(0.88, ge=0, le=1, unit="probability", source="calibrated (ABC, docs/calibration.md) so ~76% of accepted referrals engage net of reneging (Ways to Wellness 2020)",
                          doc="Chance a client taken off the waiting list engages at the first contact")
    dropout_per_week: float = P(0.02, ge=0, le=1, unit="per week", source="assumption",
                                doc="Chance an engaged client drops out each week")
    match_at_contact: int = P(2, ge=1, le=52, unit="contact number", source="assumption",
                              doc="Contact at which the client is matched to a community group")
    accompany_below_confidence: float = P(0.3, ge=0, le=1, unit="confidence (0-1)", source="assumption",
                                          doc="Clients below this confidence are accompanied to their first sessions (uses one extra contact)")
    confidence_gain_per_contact: float = P(0.05, ge=0, le=1, unit="per contact", source="assumption",
                                           doc="Confidence gained at each contact")
    need_resolution_multiplier: float = P(3.0, ge=1, le=50, unit="x", source="assumption",
                                          doc="Needs resolve this much faster while a client is supported")
    effect_on_residents: float = P(1.0, ge=0, le=1, unit="share of full effect", source="- (evaluation switch)",
                                   doc="Scales everything link work does to clients (faster need resolution, confidence, group matching, spillover); 0 keeps the referral process but makes the service inert, for null-effect evaluation checks")
    waiting_policy: Literal["fifo", "need"] = P("fifo", unit="-", source="assumption",
                                                doc="fifo: first come first served; need: most needs first, then longest wait")
    salary_gbp: float = P(38_000.0, ge=0, le=1e6, unit="GBP per FTE-year", source="NHS ARRS Band 5 (36,000-40,000)",
                          doc="Salary before on-costs")
    on_cost_rate: float = P(0.28, ge=0, le=2, unit="share of salary", source="assumption (employer NI and pension)",
                            doc="Employer on-costs")


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
    new_per_year_per_10k: float = P(4.0, ge=0, le=1000, unit="groups per 10,000 residents per year", source="assumption",
                                    doc="Groups started by residents themselves")


class VolunteeringParams(Section):
    spillover: float = P(0.15, ge=0, le=1, unit="share", source="no published rate: scenario lever",
                         doc="Share of residents discharged from link work who go on to volunteer for a group")
    monthly_share: float = P(0.16, ge=0, le=1, unit="share", source="DCMS Community Life Survey 2021/22",
                             doc="Formal volunteering at least monthly, all causes (sets the start rate)")
    stop_per_year: float = P(1.0, ge=0, le=52, unit="per volunteer-year", source="assumption",
                             doc="Rate at which general volunteers stop")


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


class ShockParams(Section):
    """A lockdown shock (COVID-19 overlay): face-to-face groups stop, some move online, contact
    with ties falls, volunteering surges, shielding residents get outreach calls."""
    start_week: int = P(-1, ge=-1, le=5200, unit="recorded week", source="scenario", doc="Recorded weeks before the lockdown starts (-1: no shock); 12 puts output weeks 13 onwards in lockdown")
    weeks: int = P(0, ge=0, le=520, unit="weeks", source="scenario", doc="Length of the lockdown")
    online_share: float = P(0.3, ge=0, le=1, unit="share", source="assumption (test beds moved some groups online)", doc="Share of groups that keep meeting online")
    contact_multiplier: float = P(0.5, ge=0, le=1, unit="x", source="assumption", doc="Weight of ties in loneliness recovery and contagion during the lockdown")
    volunteer_surge: float = P(3.0, ge=0, le=100, unit="x", source="assumption (mutual aid surge 2020)", doc="Volunteering start-rate multiplier during the lockdown")
    shielding_outreach_per_year: float = P(0.0, ge=0, le=520, unit="per shielding resident in need per year", source="seeds (Cullompton: 500+ shielding patients contacted; Frome: shielding letters)",
                                           doc="During the lockdown, link workers call residents aged 65+ or with a long-term condition who have a need, and refer them")
    gp_demand_multiplier: float = P(0.7, ge=0, le=10, unit="x", source="assumption", doc="Medical GP demand multiplier during the lockdown")


class CostParams(Section):
    gp_consultation_gbp: float = P(39.0, ge=0, le=1e4, unit="GBP", source="PSSRU (33-45)",
                                   doc="Cost of a GP consultation")
    ae_attendance_gbp: float = P(126.0, ge=0, le=1e5, unit="GBP", source="NHS reference costs via NICE NG94 (114-138)",
                                 doc="Cost of an A&E attendance")


class Config(Section):
    """A whole scenario. Every section has defaults: an empty file is the default town."""
    simulation: SimulationParams = SimulationParams()
    population: PopulationParams = PopulationParams()
    network: NetworkParams = NetworkParams()
    health: HealthParams = HealthParams()
    needs: NeedsParams = NeedsParams()
    loneliness: LonelinessParams = LonelinessParams()
    wellbeing: WellbeingParams = WellbeingParams()
    practices: PracticeParams = PracticeParams()
    referral: ReferralParams = ReferralParams()
    link_workers: LinkWorkerParams = LinkWorkerParams()
    groups: GroupParams = GroupParams()
    volunteering: VolunteeringParams = VolunteeringParams()
    teams: list[TeamParams] = P([], unit="-", source="local model", doc="Extra link-work teams (see TeamParams)")
    connectors: ConnectorParams = ConnectorParams()
    community_development: CommunityDevelopmentParams = CommunityDevelopmentParams()
    outreach: OutreachParams = OutreachParams()
    app: AppParams = AppParams()
    programmes: ProgrammeParams = ProgrammeParams()
    grants: GrantParams = GrantParams()
    shock: ShockParams = ShockParams()
    costs: CostParams = CostParams()


def parameter_table(model: type[BaseModel] = Config, prefix: str = "") -> list[dict[str, Any]]:
    """Flatten the config schema into rows: key, default, unit, range, source, description."""
    rows: list[dict[str, Any]] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            rows.extend(parameter_table(ann, key + "."))
            continue
        item = (getattr(ann, "__args__", None) or (None,))[0]
        if getattr(ann, "__origin__", None) is list and isinstance(item, type) and issubclass(item, BaseModel):
            rows.extend(parameter_table(item, key + "[]."))
            continue
        lo = hi = None
        for m in field.metadata:
            lo = f"{m.ge}" if getattr(m, "ge", None) is not None else lo
            lo = f"{m.gt} (excl.)" if getattr(m, "gt", None) is not None else lo  # gt: the bound is refused
            hi = f"{m.le}" if getattr(m, "le", None) is not None else hi
            hi = f"{m.lt} (excl.)" if getattr(m, "lt", None) is not None else hi
        extra = field.json_schema_extra or {}
        choices = getattr(ann, "__args__", None) if getattr(ann, "__origin__", None) is Literal else None
        if choices:
            rng = " | ".join(map(str, choices))
        elif lo is None and hi is None:
            rng = "any text" if ann is str else "any"
        else:
            rng = f"{lo if lo is not None else ''} to {hi if hi is not None else ''}".strip()
        rows.append(
            dict(key=key, default=field.default, unit=extra.get("unit", ""), range=rng,
                 source=extra.get("source", ""), description=field.description or "")
        )
    return rows
