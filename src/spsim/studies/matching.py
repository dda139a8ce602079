"""Matched controls for a simulated controlled study: risk-set propensity-score matching.

A controlled evaluation of social prescribing compares the people referred with similar people who
were not. What "similar" means decides whether the study is fair: people are referred at a peak of
need, so controls matched only on last year's GP count are, on average, less in need at the index
week, and their outcomes fall less. The difference then looks like an effect even when the service
does nothing (a false positive).

The design here is the one methodologists recommend for treatment that starts at different times
(risk-set or sequential matching: Li, Propert & Rosenbaum 2001; Lu 2005), with propensity scores
(Rosenbaum & Rubin 1983) estimated by logistic regression (scikit-learn):

1. **Risk set.** For a resident first referred in week ``t``, the candidate controls are the
   residents *not yet referred* by week ``t`` (they may be referred later, as in a real study; with
   an active service that contaminates the controls and biases the estimate towards no effect,
   never away from it).
2. **What a study could see at week t**, from records and the baseline questionnaire: age band,
   long-term condition, deprivation quintile, living alone, lonely at ``t`` and half a year before,
   GP consultations in weeks ``t-51..t-13`` and ``t-12..t-1``, a consultation in week ``t`` (most
   referrals are made at one), A&E attendances in the year to ``t``, and consultations mainly for a
   social need in weeks ``t-12..t-1`` and in week ``t`` (assumption: the GP record's reason code shows
   it, as coded psychosocial problems do), and the baseline questionnaire's UCLA-3 score (observed,
   with its measurement noise: it carries how deep and lasting the loneliness is, which decides both
   who is referred for it and their later health), and the questionnaire's social-needs checklist
   (the number of non-medical needs now: debt, housing, employment, ...; assumption: reported as
   they are).
3. **Propensity.** A logistic regression of being referred in week ``t`` on those features, fitted on
   the cohort (at their index weeks) and, for each of them, ``CONTROLS_PER_CASE`` residents drawn at
   random from the same risk set.
4. **Matching.** Exactly on the general practice (a practice's willingness to refer and its
   appointments differ, and change over time), a consultation for a social need in week ``t``,
   loneliness at ``t``, any consultation in week ``t`` (GPs refer lonely patients at medical
   consultations too), the number of needs on the checklist (0, 1, 2+: people are referred with
   needs that then go on raising their consultations, so controls without them fall more), and
   the bands of GP consultations (0-2, 3-5, 6-9, 10-14, 15+: a subgroup such as frequent attenders,
   10 or more, then compares like with like) and A&E attendances (0, 1, 2+) in the year to ``t``; within that, the
   nearest candidate on the logit of the propensity score, with replacement, inside a caliper of
   0.2 standard deviations of the logit (Austin 2011). Residents with no candidate inside the caliper
   are left out of the matched estimate.

Everything is whole-array work per index week; the loop is over weeks, never over residents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

YEAR = 52
CONTROLS_PER_CASE = 10  # non-referred person-weeks sampled per case to fit the propensity model
CALIPER_SD = 0.2  # Austin 2011: 0.2 SD of the logit of the propensity score
STRATUM = 1000.0  # spacing of the exact-match strata in the sort key
FEATURES = (
    "age_under_25", "age_65_plus", "ltc", "deprivation", "lives_alone", "lonely_now", "lonely_6m_before",
    "gp_weeks_51_to_13_before", "gp_weeks_12_to_1_before", "gp_this_week", "ae_year_before",
    "social_weeks_12_to_1_before", "social_this_week", "ucla3_now", "needs_now",
)

#: matched exactly: a consultation for a social need this week, loneliness now, and any consultation
#: this week (GPs refer lonely patients at any consultation, most of them medical: a control who did
#: not consult that week has a lower GP count in the year before, and its fall looks like an effect)
EXACT = (FEATURES.index("social_this_week"), FEATURES.index("lonely_now"), FEATURES.index("gp_this_week"))
#: and the band of GP consultations in the year up to and including the index week, so that a subgroup
#: defined on it (frequent attenders: 10 or more) compares like with like
GP_YEAR_BANDS = (3, 6, 10, 15)
#: and A&E attendances in that year (0, 1, 2+): rare events the propensity score alone left unbalanced
#: (the cohort had 0.53 a year before referral against its controls' 0.48 on the default town)
AE_YEAR_BANDS = (1, 2)
#: and the needs on the baseline checklist (0, 1, 2+). Without it, with an inert service, 60 studies
#: of 3,000 residents had a mean GP estimate of +0.60 consultations a year (z = 3.5, 8 of 60 found an
#: effect): the cohort had 1.11 needs at referral against its controls' 0.84 and more need-weeks after
NEEDS_BANDS = (1, 2)


def stratum(history, residents: dict[str, np.ndarray], who: np.ndarray, t: np.ndarray,
            x: np.ndarray) -> np.ndarray:
    """The exact-match stratum of each row of ``x`` (features of residents ``who`` at weeks ``t``):
    one integer for the practice, the bands and the 0/1 features together."""
    start = np.asarray(t) - YEAR + 1
    gp = np.searchsorted(np.asarray(GP_YEAR_BANDS), history.window_counts("gp", who, start, YEAR), side="right")
    ae = np.searchsorted(np.asarray(AE_YEAR_BANDS), history.window_counts("ae", who, start, YEAR), side="right")
    needs = np.searchsorted(np.asarray(NEEDS_BANDS), x[:, FEATURES.index("needs_now")], side="right")
    key = residents["practice"][who].astype(np.int64)
    for band, edges in ((gp, GP_YEAR_BANDS), (ae, AE_YEAR_BANDS), (needs, NEEDS_BANDS)):
        key = key * (len(edges) + 1) + band
    for j in EXACT:  # 0/1 features
        key = key * 2 + x[:, j].astype(np.int64)
    return key


@dataclass
class MatchResult:
    control: np.ndarray  # control resident for each cohort member, -1 if none inside the caliper
    logit_case: np.ndarray  # logit of each cohort member's propensity score
    logit_control: np.ndarray  # logit of the chosen control's (nan where unmatched)
    coef: dict[str, float]  # fitted coefficients on standardised features (for the report)


def features(history, residents: dict[str, np.ndarray], who: np.ndarray, t: np.ndarray) -> np.ndarray:
    """What a study could observe about residents ``who`` at week ``t`` (one row each)."""
    who = np.asarray(who, np.int64)
    t = np.broadcast_to(np.asarray(t, np.int64), who.shape)
    age = residents["age_band"][who]
    wc = history.window_counts
    cols = [
        age == 0,
        age == 2,
        residents["ltc"][who],
        residents["deprivation"][who],
        residents["lives_alone"][who],
        wc("lonely", who, t, 1),
        wc("lonely", who, t - 26, 1),
        wc("gp", who, t - 51, 39),
        wc("gp", who, t - 12, 12),
        wc("gp", who, t, 1) > 0,
        wc("ae", who, t - 51, YEAR),
        wc("social", who, t - 12, 12),
        wc("social", who, t, 1) > 0,
        wc("ucla3", who, t, 1),  # the baseline questionnaire's UCLA-3 (observed, with its noise)
        wc("needs", who, t, 1),  # and its social-needs checklist
    ]
    return np.column_stack([np.asarray(c, np.float64) for c in cols])


def _risk_set(first_referral: np.ndarray, t: int) -> np.ndarray:
    return np.flatnonzero((first_referral < 0) | (first_referral > t))


def match(history, residents: dict[str, np.ndarray], cohort: np.ndarray, t0: np.ndarray,
          rng: np.random.Generator) -> MatchResult:
    """One matched control (or -1) for each cohort member, by risk-set propensity-score matching."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    cohort = np.asarray(cohort, np.int64)
    t0 = np.asarray(t0, np.int64)
    n = cohort.size
    control = np.full(n, -1, np.int64)
    logit_case = np.full(n, np.nan)
    logit_control = np.full(n, np.nan)
    if n == 0:
        return MatchResult(control, logit_case, logit_control, {})
    first = history.first_referral
    weeks = np.unique(t0)

    # fit: cases at their index weeks against residents drawn from the same risk sets
    sample_who, sample_t = [], []
    for t in weeks:
        risk = _risk_set(first, int(t))
        k = int((t0 == t).sum()) * CONTROLS_PER_CASE
        if risk.size:
            sample_who.append(risk[rng.integers(0, risk.size, k)])
            sample_t.append(np.full(k, t, np.int64))
    x_case = features(history, residents, cohort, t0)
    x_ctrl = features(history, residents, np.concatenate(sample_who), np.concatenate(sample_t))
    x = np.vstack([x_case, x_ctrl])
    y = np.r_[np.ones(len(x_case)), np.zeros(len(x_ctrl))]
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
    model.fit(x, y)
    logit_case[:] = model.decision_function(x_case)
    caliper = CALIPER_SD * float(np.std(model.decision_function(x)))
    coef = dict(zip(FEATURES, map(float, model[-1].coef_[0]), strict=True))

    # match within exact strata (practice, bands, a social consultation this week, lonely now, any
    # consultation) on the logit
    exact_case = stratum(history, residents, cohort, t0, x_case)
    for t in weeks:
        mine = np.flatnonzero(t0 == t)
        risk = _risk_set(first, int(t))
        if risk.size == 0:
            continue
        xr = features(history, residents, risk, t)
        lr = model.decision_function(xr)
        exact_risk = stratum(history, residents, risk, np.full(risk.size, t), xr)
        # one sorted key: the stratum, then the logit inside it (logits are far inside +-STRATUM/2)
        key_risk = exact_risk * STRATUM + np.clip(lr, -STRATUM / 4, STRATUM / 4)
        order = np.argsort(key_risk, kind="stable")
        s_risk, s_key = risk[order], key_risk[order]
        e = exact_case[mine]
        key_case = e * STRATUM + np.clip(logit_case[mine], -STRATUM / 4, STRATUM / 4)
        lo = np.searchsorted(s_key, e * STRATUM - STRATUM / 2, "left")
        hi = np.searchsorted(s_key, e * STRATUM + STRATUM / 2, "right")
        pos = np.searchsorted(s_key, key_case)
        # nearest of the neighbours either side, inside the stratum
        left = np.clip(pos - 1, lo, np.maximum(hi - 1, lo))
        right = np.clip(pos, lo, np.maximum(hi - 1, lo))
        has = hi > lo
        d_left = np.where(has, np.abs(s_key[np.minimum(left, s_key.size - 1)] - key_case), np.inf)
        d_right = np.where(has, np.abs(s_key[np.minimum(right, s_key.size - 1)] - key_case), np.inf)
        pick = np.where(d_right < d_left, right, left)
        dist = np.minimum(d_left, d_right)
        ok = has & (dist <= caliper)
        control[mine[ok]] = s_risk[pick[ok]]
        logit_control[mine[ok]] = lr[order][pick[ok]]
    return MatchResult(control, logit_case, logit_control, coef)
