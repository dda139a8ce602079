"""People: health and GP demand, needs, loneliness and wellbeing."""

from __future__ import annotations

from .base import P, Section


class HealthParams(Section):
    """GP demand = a persistent propensity (lognormal, raised by a long-term condition) plus illness
    episodes that come and go, each with its own size and length; weekly consultations are Poisson
    counts (no one-a-week cap). Concentration among frequent attenders and their regression to the
    mean both emerge (checked against Neal et al. 1998, Vedsted & Christensen 2005 and Kontopantelis
    et al. 2021 by ``spsim targets``)."""
    gp_medical_per_year: float = P(2.2, ge=0, le=50, unit="consultations per person-year", source="calibrated: with episodes and social consultations the total is about 5 a year (Hobbs et al. 2016)",
                                   doc="Mean persistent medical GP consultation demand outside episodes")
    propensity_sigma: float = P(1.35, ge=0, le=3, unit="log-sd", source="calibrated to the concentration of consultations (top 10% make 30-50%: Vedsted & Christensen 2005; ~40%: Kontopantelis et al. 2021; top 3% make 15%: Neal et al. 1998)",
                                doc="Persistent between-person differences in consultation propensity (lognormal)")
    episode_per_year: float = P(0.8, ge=0, le=52, unit="episodes per person-year", source="assumption (episodes that bring a person to the GP repeatedly; calibrated with propensity_sigma to concentration and its year-to-year persistence, Vedsted & Christensen 2005: up to 40% of frequent attenders still frequent the next year)",
                                doc="Illness episodes that raise consultation demand, at average risk")
    episode_mean_weeks: float = P(10.0, ge=1, le=520, unit="weeks", source="assumption (geometric lengths: most episodes last weeks, some most of a year)",
                                  doc="Mean length of an episode (geometric)")
    episode_gp_per_year: float = P(12.0, ge=0, le=500, unit="consultations per year of episode", source="assumption (calibrated with episode_per_year to the share of consultations in frequent attenders)",
                                   doc="Mean extra GP demand while an episode lasts; each episode's size is drawn at onset")
    episode_size_sigma: float = P(1.0, ge=0, le=3, unit="log-sd", source="assumption",
                                  doc="Spread of episode sizes (lognormal with mean episode_gp_per_year)")
    episode_ltc_multiplier: float = P(2.0, ge=1, le=10, unit="x", source="assumption (people with long-term conditions have more acute episodes)",
                                      doc="Episode onset multiplier for residents with a long-term condition")
    episode_rr_per_ucla_point: float = P(1.03, ge=1, le=2, unit="x per UCLA-3 point", source="calibrated so that GP visits rise about 3% per UCLA point after adjusting for health (NICOLA: Burns et al. 2021); loneliness acts on health, health on demand",
                                         doc="Episode onset multiplier per point of true UCLA-3 loneliness above 3")
    episode_multiplier: float = P(2.0, ge=1, le=50, unit="x", source="assumption",
                                  doc="A&E attendance multiplier during an illness episode")
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
    gp_uplift_per_year: float = P(3.3, ge=0, le=50, unit="consultations per person-year", source="calibrated to Citizens Advice 2015 (~20% mainly social)",
                                  doc="Extra (social) GP consultation demand for each active non-medical need (loneliness acts through health instead)")
    loneliness_link: float = P(1.5, ge=1, le=10, unit="x", source="assumption",
                               doc="Loneliness onset multiplier for residents with at least one other need")


class LonelinessParams(Section):
    """Loneliness with lasting and passing causes: onset and recovery hazards depend on a lasting
    disposition (the chronic core), living alone, a long-term condition or disability, age,
    deprivation and the neighbourhood (shared local causes), and on passing causes (bereavement,
    other needs, lockdowns); contagion along ties (Hill et al. 2010)."""
    onset_per_year: float = P(0.010, ge=0, le=52, unit="per person-year", source="calibrated to ~7% lonely often/always (ONS OPN 2023/24); Hill et al. 2010 give 0.04 for a broader definition",
                              doc="Spontaneous onset rate for a resident with average disposition and no risk factors")
    contagion_per_year: float = P(0.004, ge=0, le=52, unit="per lonely contact per year", source="Hill et al. 2010 (0.04 for a broader definition) scaled down: calibrated so that clustering falls from one to three degrees as in Cacioppo et al. 2009",
                                  doc="Added onset rate for each lonely contact")
    recovery_per_year: float = P(0.45, ge=0, le=52, unit="per person-year", source="Hill et al. 2010 (0.18, broader definition) raised so that passing loneliness passes within about two years (calibrated)",
                                 doc="Spontaneous recovery rate at average disposition")
    recovery_per_contact_per_year: float = P(0.02, ge=0, le=52, unit="per non-lonely contact per year", source="Hill et al. 2010",
                                             doc="Added recovery rate for each non-lonely contact")
    group_recovery_per_year: float = P(1.0, ge=0, le=52, unit="per year of attendance", source="assumption",
                                       doc="Added recovery rate while attending a community group")
    living_alone_multiplier: float = P(1.8, ge=1, le=10, unit="x", source="assumption (ONS 2018: living alone among the strongest correlates)",
                                       doc="Onset multiplier for residents living alone")
    trait_onset: float = P(0.9, ge=0, le=5, unit="log-hazard per SD", source="assumption (a lasting disposition: the chronic core; calibrated to duration dependence)",
                           doc="Onset log-hazard per standard deviation of the lasting disposition to loneliness")
    trait_recovery: float = P(0.7, ge=0, le=5, unit="log-hazard per SD", source="assumption (chronic loneliness lasts: the longer lonely, the less likely to recover)",
                              doc="Recovery log-hazard falls by this per standard deviation of the disposition")
    ltc_multiplier: float = P(6.0, ge=1, le=20, unit="x", source="calibrated to CLS 2018/19: 23.6% (limited a lot) and 9.2% (a little) of disabled people lonely often/always vs 3.8% of others (ONS 2020)",
                              doc="Onset multiplier for residents with a long-term condition or disability")
    young_multiplier: float = P(2.8, ge=0.1, le=10, unit="x", source="calibrated to CLS 2016/17 (ONS 2018): 9.8% of 16-24s vs about 3% of 65+",
                                doc="Onset multiplier for residents under 25")
    old_multiplier: float = P(0.35, ge=0.1, le=10, unit="x", source="calibrated to CLS 2016/17 (ONS 2018): about 3% of 65+",
                              doc="Onset multiplier for residents aged 65+ (bereavement comes on top)")
    deprivation_gradient: float = P(0.08, ge=0, le=2, unit="x per quintile step", source="assumption (CLS 2019/20: more lonely in the most deprived areas than the least; size not published there)",
                                    doc="Onset multiplier 1 + g * (q - 3) for deprivation quintile q")
    neighbourhood_sd: float = P(0.8, ge=0, le=3, unit="log-sd", source="assumption (ONS 2021 mapping: loneliness varies between places); 1.1 -> 0.8 when the effects were stratified (the same spread in every replicate, mean exactly 1), calibrated to Cacioppo et al. 2009's clustering at one to three degrees by spsim targets --replicates 3",
                                doc="Spread of a shared neighbourhood effect on onset (stratified: lognormal quantiles placed at random among the neighbourhoods, mean 1 over residents)")
    bereavement_per_year: float = P(0.04, ge=0, le=1, unit="per person-year", source="assumption (about 1% of people die each year, each leaving several close people bereaved)",
                                    doc="Bereavement of someone close, at ages under 65 (x2.5 at 65+)")
    bereavement_weeks: float = P(52.0, ge=1, le=520, unit="weeks", source="assumption (grief's first year)",
                                 doc="Mean time a bereavement raises the onset of loneliness (geometric)")
    bereavement_multiplier: float = P(3.0, ge=1, le=20, unit="x", source="assumption (ONS 2018: the widowed are at particular risk)",
                                      doc="Onset multiplier while bereaved")
    lockdown_onset_multiplier: float = P(3.2, ge=1, le=20, unit="x", source="calibrated to ONS OPN: 5.0% (Apr-May 2020) to 7.2% (Oct 2020-Feb 2021) lonely often/always (ONS 2021)",
                                         doc="Onset multiplier during a lockdown (on top of fewer contacts)")
    ucla_lonely_mean: float = P(7.4, ge=3, le=9, unit="UCLA-3 points", source="assumption (ONS 2018 harmonised measures: the direct question and UCLA-3 agree; scores 6-9 count as lonely, Hughes et al. 2004)",
                                doc="True UCLA-3 score of a resident lonely often/always, at average disposition (kept within 6.5-9)")
    ucla_not_lonely_mean: float = P(4.3, ge=3, le=9, unit="UCLA-3 points", source="assumption (UK population mean of UCLA-3 about 4-4.5, e.g. ELSA)",
                                    doc="True UCLA-3 score of a resident not lonely, at average disposition (kept within 3-6.5)")
    ucla_trait_slope: float = P(0.7, ge=0, le=3, unit="UCLA-3 points per SD", source="assumption",
                                doc="How much the lasting disposition raises the true UCLA-3 score")


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
    confidence_half_life_weeks: float = P(52.0, ge=1, le=5200, unit="weeks", source="assumption: a year; the form (state changes fade towards a lasting personal level, which stays) follows self-esteem's trait-state structure, whose rank-order stability decays exponentially to a non-zero asymptote (Kuster & Orth 2013)",
                                          doc="Half-life of a resident's confidence away from their own resting level (their confidence at the start): gains from groups and link work fade, losses in lonely weeks recover")
    ucla3_retest: float = P(0.8, gt=0, le=1, unit="correlation", source="UCLA-3 test-retest ICC 0.8-0.9 over two weeks (Pikea et al. 2016, UCLA v3); 0.73 over a year for the 20-item scale (Russell 1996)",
                            doc="Short-term test-retest reliability of the observed UCLA-3 score (sets its measurement noise)")
    life_satisfaction_retest: float = P(0.6, gt=0, le=1, unit="correlation", source="single-item life satisfaction test-retest about 0.6 over two weeks (Krueger & Schkade 2008)",
                                        doc="Test-retest reliability of the observed ONS4 life-satisfaction answer")
    swemwbs_retest: float = P(0.83, gt=0, le=1, unit="correlation", source="WEMWBS test-retest ICC 0.83 at one week (Tennant et al. 2007); assumed the same for the 7-item SWEMWBS",
                              doc="Test-retest reliability of the observed SWEMWBS score")
    life_satisfaction_person_sd: float = P(1.4, ge=0, le=5, unit="points (0-10 scale)", source="assumption (so that observed life satisfaction has an SD near 2, as in national surveys; the model's wellbeing alone varies far less between people)",
                                           doc="Lasting person-level part of true life satisfaction beyond the model's wellbeing")
    swemwbs_mean: float = P(23.5, ge=7, le=35, unit="SWEMWBS raw score 7-35", source="Health Survey for England 2010-13: mean 23.7 men, 23.2 women (Ng Fat et al. 2017)",
                            doc="True SWEMWBS of a resident at the mean life satisfaction")
    swemwbs_per_point: float = P(1.4, ge=0, le=10, unit="SWEMWBS points per life-satisfaction point", source="assumption (moderate correlation of SWEMWBS with other wellbeing measures, Ng Fat et al. 2017)",
                                 doc="How true SWEMWBS moves with true life satisfaction")
    swemwbs_person_sd: float = P(2.5, ge=0, le=10, unit="SWEMWBS points", source="assumption (population SD of SWEMWBS about 4, part of it not shared with life satisfaction)",
                                 doc="Lasting person-level part of true SWEMWBS not shared with life satisfaction")
