"""Shocks and unit costs."""

from __future__ import annotations

from .base import P, Section


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
    """Unit costs and values. The model itself uses only the GP and A&E costs (its cost columns);
    the other values are read by ``spsim compare`` and ``spsim optimise`` (docs/compare.md)."""
    gp_consultation_gbp: float = P(39.0, ge=0, le=1e4, unit="GBP (2014/15 prices)",
                                   source="PSSRU Unit Costs of Health and Social Care 2015 (11.7-minute surgery consultation, 33-44); not re-checked against the current (2024) manual: assumption that it is still of the right order",
                                   doc="Cost of a GP consultation")
    ae_attendance_gbp: float = P(126.0, ge=0, le=1e5, unit="GBP", source="NHS reference costs via NICE NG94 (114-138)",
                                 doc="Cost of an A&E attendance")
    connector_gbp_per_year: float = P(200.0, ge=0, le=1e6, unit="GBP per active connector per year",
                                      source="assumption (a day of training amortised, expenses and a share of a coordinator; no published unit cost found)",
                                      doc="Cost of supporting one community connector for a year (connectors are volunteers, not paid)")
    loneliness_value_gbp_per_person_year: float = P(9_537.0, ge=0, le=1e6, unit="GBP per person-year (2019 prices)",
                                                    source="DCMS Loneliness monetisation report (Peytrignet, Garforth-Bles & Keohane, Simetrica-Jacobs, 2020): wellbeing, health and productivity cost of chronic loneliness",
                                                    doc="Value of one person-year of chronic loneliness avoided")
    wellby_gbp: float = P(13_000.0, ge=0, le=1e6, unit="GBP per WELLBY (2019 prices)",
                          source="HM Treasury Green Book supplementary guidance: wellbeing (2021), central value (range 10,000-16,000)",
                          doc="Value of one point of life satisfaction (0-10) for one person for one year")
