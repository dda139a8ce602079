"""People: health and GP demand, needs, loneliness and wellbeing."""

from __future__ import annotations

from .base import P, Section


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
