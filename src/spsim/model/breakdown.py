"""Outcomes by group: who is reached and who benefits.

Social prescribing's own evidence asks who is referred, who refuses and who is helped, by
deprivation, age and sex (referrals from the most deprived areas rose from 23% to 42% of all
between 2017 and 2023, Bu et al. 2025, Lancet Public Health; refusal differs by age and sex). Each
resident keeps a few counters over the recorded weeks (whole-array adds each week, no per-resident
loop); at the end they are summed by group into ``summary_by_group.csv``: one row per replicate,
dimension (``all``, ``deprivation``, ``age_band``, ``age_group``, ``sex``, ``ltc``,
``disability``, ``practice``, and ``setting`` when the place lists its practices) and group.

Rates use the group's residents: the population is fixed, so person-years are residents x
recorded weeks / 52. The ``all`` row reproduces summary.csv (referrals, refusal share, mean wait,
clients supported, lonely share, GP and A&E rates), which the tests check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .population import AGE_GROUPS, WEEKS_PER_YEAR, practice_names

#: summary_by_group.csv columns after scenario and replicate: (unit, meaning)
GROUP_COLUMNS: dict[str, tuple[str, str]] = {
    "dimension": ("-", "What the residents are grouped by: all, deprivation, age_band, age_group, sex, ltc, "
                       "disability, practice, setting"),
    "group": ("-", "The group: e.g. '5 (most deprived)', '65+', 'female', a practice's name"),
    "residents": ("residents", "Residents in the group"),
    "person_years": ("person-years", "Residents x recorded weeks / 52"),
    "referrals": ("referrals", "Referrals to link work over the recorded weeks, before refusal"),
    "referrals_refused": ("referrals", "Referrals refused by the resident"),
    "refusal_share": ("share", "Refused / referrals (empty if none)"),
    "referrals_per_1000_year": ("per 1,000 per year", "Referrals per 1,000 residents per year"),
    "lw_taken_on": ("residents", "Taken off the waiting list (engaged or not)"),
    "lw_wait_weeks_mean": ("weeks", "Mean wait of those taken off the waiting list (empty if none)"),
    "lw_intake": ("residents", "Taken off the waiting list and engaged"),
    "clients_supported": ("residents", "Discharged after completing their contacts"),
    "clients_supported_per_1000_year": ("per 1,000 per year", "Clients supported per 1,000 residents per year"),
    "lonely_share": ("share", "Share lonely, mean over the recorded weeks"),
    "gp_consultations_per_person_year": ("per person-year", "GP consultations per person-year"),
    "ae_attendances_per_1000_year": ("per 1,000 per year", "A&E attendances per 1,000 residents per year"),
}

_COUNTERS = ("referrals", "refused", "taken_on", "wait_weeks", "intake", "supported", "gp", "ae", "lonely_weeks")
DEPRIVATION_LABELS = {1: "1 (least deprived)", 2: "2", 3: "3", 4: "4", 5: "5 (most deprived)"}
AGE_BAND_LABELS = ("under 25", "25-64", "65+")


class GroupOutcomes:
    """Per-resident counters over the recorded weeks."""

    def __init__(self, n: int):
        self.c = {k: np.zeros(n, np.int32) for k in _COUNTERS}
        self.weeks = 0

    def record(self, model) -> None:
        c, r = self.c, model.residents
        c["referrals"][np.flatnonzero(model.referred_this_week)] += 1
        c["refused"][np.flatnonzero(model.refused_this_week)] += 1
        take = model.taken_on  # unique residents taken off the waiting list this week
        c["taken_on"][take] += 1
        c["wait_weeks"][take] += model.taken_on_waits.astype(np.int32)
        c["intake"][np.flatnonzero(model.intake_this_week)] += 1
        c["supported"][np.flatnonzero(model.discharged)] += 1
        c["gp"] += model.gp_count  # consultations this week (help_seeking)
        c["ae"] += model.ae_this_week
        c["lonely_weeks"] += r.lonely
        self.weeks += 1

    def dimensions(self, model) -> list[tuple[str, np.ndarray, list[str]]]:
        r, cfg = model.residents, model.cfg
        dims = [
            ("all", np.zeros(r.n, np.int64), ["all"]),
            ("deprivation", r.deprivation.astype(np.int64) - 1, [DEPRIVATION_LABELS[q] for q in range(1, 6)]),
            ("age_band", r.age_band.astype(np.int64), list(AGE_BAND_LABELS)),
            ("age_group", r.age_group.astype(np.int64), list(AGE_GROUPS)),
            ("sex", r.sex.astype(np.int64), ["female", "male"]),
            ("ltc", r.ltc.astype(np.int64), ["no long-term condition", "long-term condition"]),
            ("disability", r.disability.astype(np.int64), ["not disabled", "disabled"]),
            ("practice", r.practice.astype(np.int64), practice_names(cfg, model.practices.n)),
        ]
        if cfg.practice_list:
            dims.append(("setting", r.rural.astype(np.int64), ["urban", "rural"]))
        return dims

    def frame(self, model) -> pd.DataFrame:
        years = self.weeks / WEEKS_PER_YEAR
        rows = []
        for dim, code, labels in self.dimensions(model):
            k = len(labels)
            residents = np.bincount(code, minlength=k)
            sums = {name: np.bincount(code, weights=arr, minlength=k) for name, arr in self.c.items()}
            for g in range(k):
                n = int(residents[g])
                py = n * years
                s = {name: float(v[g]) for name, v in sums.items()}

                def per(x: float, scale: float = 1.0, py: float = py) -> float:
                    return scale * x / py if py > 0 else float("nan")

                rows.append({
                    "dimension": dim,
                    "group": labels[g],
                    "residents": n,
                    "person_years": py,
                    "referrals": int(s["referrals"]),
                    "referrals_refused": int(s["refused"]),
                    "refusal_share": s["refused"] / s["referrals"] if s["referrals"] else float("nan"),
                    "referrals_per_1000_year": per(s["referrals"], 1000),
                    "lw_taken_on": int(s["taken_on"]),
                    "lw_wait_weeks_mean": s["wait_weeks"] / s["taken_on"] if s["taken_on"] else float("nan"),
                    "lw_intake": int(s["intake"]),
                    "clients_supported": int(s["supported"]),
                    "clients_supported_per_1000_year": per(s["supported"], 1000),
                    "lonely_share": s["lonely_weeks"] / (n * self.weeks) if n and self.weeks else float("nan"),
                    "gp_consultations_per_person_year": per(s["gp"]),
                    "ae_attendances_per_1000_year": per(s["ae"], 1000),
                })
        return pd.DataFrame(rows, columns=list(GROUP_COLUMNS))
