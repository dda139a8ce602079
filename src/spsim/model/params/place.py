"""The place: the run itself, who lives there, how they are tied, and their GP practices."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from .base import P, Section


class SimulationParams(Section):
    name: str = P("default", unit="-", source="-", doc="Scenario label written to every output row")
    weeks: int = P(104, ge=1, le=5200, unit="weeks", source="assumption",
                   doc="Weeks recorded after burn-in")
    burn_in_weeks: int = P(104, ge=0, le=520, unit="weeks", source="assumption: two years; the service starts at the burn-in's first week and the volunteers it makes (spillover) serve about two years (groups.volunteer_stop_per_year); measured with tests/test_stationary.py (docs/ODD.md 5.10)",
                           doc="Weeks run before recording starts, so queues and ties settle")
    seed: int = P(20261123, ge=0, le=2**63 - 1, unit="-", source="-",
                  doc="Root seed; replicate seeds are spawned from it with numpy SeedSequence")
    replicates: int = P(1, ge=1, le=100_000, unit="runs", source="-",
                        doc="Independent replicates (different luck, same configuration)")
    posterior: str = P("", unit="-", source="- (a calibration's posterior: docs/calibration.md, 'Using a posterior')",
                       doc="Draw each replicate's uncertain parameters from a posterior: a built-in name (spsim posteriors) "
                           "or a path to a posterior CSV (one column per dotted parameter key, one row per parameter set, "
                           "relative paths from the working directory); empty: the parameters as configured")
    posterior_draws: int = P(0, ge=0, le=100_000, unit="parameter sets", source="-",
                             doc="How many distinct posterior sets the replicates use: replicate r uses set r % draws, so "
                                 "draws below replicates repeat sets and parameter uncertainty can be told from noise; "
                                 "0: one set per replicate (cycling if the posterior has fewer rows)")


class PopulationParams(Section):
    size: int = P(50_000, ge=100, le=5_000_000, unit="residents", source="assumption",
                  doc="Residents (all ages) in the simulated place")
    described: int | None = P(None, ge=100, le=100_000_000, unit="residents", source="the scenario file (the real place it describes)",
                              doc="Real population the scenario's absolute quantities are meant for (FTE, groups, connectors, developers, grants, programmes, practices); "
                                  "empty means population.size. Reading a file fills it from the file's own size, so --set population.size makes a scaled copy of the same place (docs/places.md)")
    scaling: Literal["proportional", "absolute"] = P("proportional", unit="-", source="- (switch)",
                                                     doc="proportional: when size differs from described, scale every absolute quantity of the place by size / described; absolute: use the values as given")
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
    female_share: float = P(0.51, ge=0, le=1, unit="share", source="ONS Census 2021 England and Wales (30.4 M of 59.6 M residents female, 51.0%)",
                            doc="Share of residents who are female; rises with age (Census 2021 by age band, docs/places.md)")
    disability_share: float = P(0.177, ge=0, le=1, unit="share", source="ONS Census 2021 England (17.7% disabled under the Equality Act)",
                                doc="Share of residents disabled under the Equality Act; rises with age and is higher with a long-term condition (docs/places.md)")
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
    homophily: float = P(0.45, ge=0, le=1, unit="correlation", source="assumption (McPherson et al. 2001: like befriends like; calibrated to Cacioppo et al. 2009, loneliness clustering to three degrees: 0.55 before the two-year burn-in, 0.45 after it, by spsim targets --replicates 3)",
                         doc="Correlation of the lasting disposition to loneliness with the key that orders friendship ties in a neighbourhood")
    disposition_sociability: float = P(0.35, ge=0, le=1, unit="correlation", source="assumption (Cacioppo et al. 2009: the lonely sit at the periphery)",
                                       doc="How strongly a disposition to loneliness lowers sociability (so fewer ties are kept)")


class PracticeRow(Section):
    """One GP practice of a place described practice by practice (``spsim place`` writes these)."""
    name: str = P("practice", unit="-", source="the planner's table", doc="Practice name (unique)")
    list_size: int = P(8000, ge=1, le=10_000_000, unit="patients", source="the planner's table (NHS Digital list sizes)",
                       doc="Registered patients; residents are shared among practices in proportion to list size")
    under_25_share: float = P(0.29, ge=0, le=1, unit="share", source="the planner's table", doc="Share of the practice's patients under 25")
    over_65_share: float = P(0.19, ge=0, le=1, unit="share", source="the planner's table", doc="Share of the practice's patients aged 65 and over")
    deprivation_decile: int = P(5, ge=1, le=10, unit="IMD decile (1 most deprived)", source="the planner's table (IMD 2019 decile of the practice)",
                                doc="Deprivation decile; its patients get quintile 5 - (decile - 1) // 2 in the model's order (1 least, 5 most deprived)")
    setting: Literal["urban", "rural"] = P("urban", unit="-", source="the planner's table (ONS rural-urban classification)",
                                           doc="Urban or rural; carried by residents for breakdowns (no mechanism uses it yet)")

    @field_validator("over_65_share")
    @classmethod
    def _shares(cls, v: float, info) -> float:
        under = info.data.get("under_25_share")
        if under is not None and under + v > 1:
            raise ValueError(f"under_25_share + over_65_share must be at most 1 (got {under} + {v})")
        return v


class PracticeParams(Section):
    count: int = P(6, ge=1, le=5000, unit="practices", source="assumption (~8,000 patients per practice, NHS Digital)",
                   doc="GP practices; residents register with the practice of their neighbourhood (ignored when [[practice_list]] rows are given)")
    appointments_per_1000_per_week: float = P(110.0, ge=0, le=2000, unit="appointments per 1,000 patients per week", source="assumption (NHS Digital appointments data ~100)",
                                              doc="Weekly GP appointment capacity")
    recognition: float = P(0.35, ge=0, le=1, unit="probability", source="assumption",
                           doc="Chance a GP recognises the non-medical need behind a social consultation")
    loneliness_recognition: float = P(0.15, ge=0, le=1, unit="probability per consultation week",
                                      source="assumption: practices.recognition (0.35) x the 44% of adults who do not find admitting loneliness difficult (Campaign to End Loneliness: 56% do); GPs do see lonely patients (ComRes 2013: 76% of 1,007 UK GPs saw 1-5 a day who came mainly because lonely). Checked, not calibrated, against the lonely's adjusted odds of referral in ELSA wave 10 (OR 2.20, 1.63-2.97)",
                                      doc="Chance a GP recognises a lonely patient's loneliness as a need to refer, in a week with any consultation (medical or social)")
    referral: float = P(0.03, ge=0, le=1, unit="probability", source="assumption",
                        doc="Initial chance a recognised need is referred to a link worker")
    referral_max: float = P(0.15, ge=0, le=1, unit="probability", source="assumption",
                            doc="Ceiling on the referral probability reached through feedback")
    feedback_gain: float = P(0.001, ge=0, le=1, unit="per discharge fed back a year", source="assumption",
                             doc="A practice's target referral probability lies this fraction of the way from the initial value to the ceiling for each discharge a year fed back to it (a responsive, visible service); the probability follows its target over demand.gp_memory_weeks")
    waiting_discouragement: float = P(1.0, ge=0, le=10, unit="per 10 weeks of wait", source="assumption",
                                      doc="The target is divided by 1 + this * (quoted wait in weeks / 10); the quoted wait is the waiting list over the weekly intake")
