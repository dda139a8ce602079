"""Step 9, outcomes and costs: one row of numbers per recorded week, kept in preallocated
arrays (no per-agent tables). ``COLUMNS`` documents every column of ``timeseries``."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from .population import WEEKS_PER_YEAR

#: column -> (unit, meaning). The first three (scenario, replicate, week) are added by the runner.
COLUMNS: dict[str, tuple[str, str]] = {
    "lonely_share": ("share", "Residents lonely (often/always) at the end of the week"),
    "gp_consultations": ("consultations", "GP appointments given this week"),
    "gp_social_consultations": ("consultations", "Of which mainly for a social problem"),
    "gp_unmet": ("requests", "GP requests turned away for lack of appointments"),
    "ae_attendances": ("attendances", "A&E attendances this week"),
    "referrals": ("referrals", "Referrals to link work this week (all routes below), before refusal"),
    "referrals_refused": ("referrals", "Referrals refused by the resident"),
    "referrals_gp": ("referrals", "Of the referrals, those made by GPs at a consultation"),
    "referrals_self": ("referrals", "Of the referrals, self-referrals"),
    "referrals_connector": ("referrals", "Of the referrals, those made by community connectors"),
    "referrals_outreach": ("referrals", "Of the referrals, by proactive outreach (Flow) and shielding calls"),
    "referrals_inreach": ("referrals", "Of the referrals, found by in-reach to practice lists (spare capacity)"),
    "referrals_groups": ("referrals", "Of the referrals, found by talks to community groups (spare capacity)"),
    "referrals_vcs": ("referrals", "Of the referrals, those made by voluntary-sector advice services"),
    "referrals_social_care": ("referrals", "Of the referrals, those made by adult social care"),
    "gp_referral_willingness": ("probability", "Practices' mean willingness to refer a recognised need"),
    "signposted_to_groups": ("residents", "Signposted by a connector straight into a group place"),
    "lw_waiting": ("residents", "On the link-worker waiting list at the end of the week"),
    "lw_active_clients": ("residents", "On a link-worker caseload at the end of the week"),
    "lw_taken_on": ("residents", "Taken off the waiting list this week (engaged or not)"),
    "lw_intake": ("residents", "Taken off the waiting list and engaged this week"),
    "lw_wait_weeks_mean": ("weeks", "Mean wait of those taken off the waiting list this week (empty if none)"),
    "clients_supported": ("residents", "Discharged after completing their contacts this week"),
    "lw_dropouts": ("residents", "Clients who dropped out, plus those who never engaged"),
    "lw_goals_met": ("residents", "Of those discharged, clients whose goals were met before their planned contacts"),
    "lw_reached_dose": ("residents", "Clients reaching link_workers.effective_dose contacts this week"),
    "lw_quoted_wait_weeks": ("weeks", "Wait quoted to referrers (waiting list / weekly take-on, smoothed)"),
    "lw_fte_in_post": ("FTE", "Link-worker FTE in post (funded posts minus vacancies)"),
    "lw_on_leave": ("residents", "Link workers away (leave, sickness) this week"),
    "lw_leavers": ("residents", "Link workers who left their post this week"),
    "lw_handed_over": ("residents", "Clients of leavers handed over to a colleague this week"),
    "lw_returned_to_list": ("residents", "Clients of leavers put back on the waiting list this week"),
    "lw_reneged": ("residents", "Left the waiting list without being seen"),
    "group_attendance": ("attendances", "Group sessions attended this week"),
    "group_members": ("residents", "Residents holding a place in a group"),
    "group_places": ("places", "Places in open groups"),
    "groups_active": ("groups", "Open groups"),
    "groups_closed": ("groups", "Groups that closed this week"),
    "groups_started": ("groups", "Groups started this week (by residents or community developers)"),
    "group_waiting": ("residents", "Referred residents on a group's waiting list for a place at the end of the week"),
    "group_queue_placed": ("residents", "Given a group place from a waiting list this week"),
    "group_queue_gave_up": ("residents", "Left a group's waiting list without a place this week"),
    "group_referred_members": ("residents", "Residents holding a group place as referred members (link work)"),
    "groups_referred_cost_gbp": ("GBP", "Referred members' cost to the groups' reserves this week (not a scheme cost)"),
    "programme_completions": ("residents", "Participants finishing a fixed-length programme this week"),
    "volunteers": ("residents", "Residents volunteering for a community group"),
    "formal_volunteering_share": ("share", "Residents volunteering formally (any cause) this month"),
    "new_volunteers_spillover": ("residents", "Discharged clients who became group volunteers this week"),
    "mean_wellbeing": ("score 0-10", "Mean wellbeing"),
    "lockdown": ("flag", "1 in lockdown weeks (shock overlay), else 0"),
    "cost_link_workers_gbp": ("GBP", "Link-worker pay with on-costs this week (all teams, posts filled)"),
    "cost_development_gbp": ("GBP", "Community-developer pay with on-costs this week"),
    "cost_programmes_gbp": ("GBP", "Running cost of fixed-length programmes this week"),
    "cost_grants_gbp": ("GBP", "Small grants paid to groups this week"),
    "cost_gp_gbp": ("GBP", "Cost of GP consultations this week"),
    "cost_ae_gbp": ("GBP", "Cost of A&E attendances this week"),
}


#: columns that count things: written as integers
COUNT_UNITS = {"consultations", "requests", "attendances", "referrals", "residents", "groups", "places", "flag"}
INT_COLUMNS = tuple(k for k, (unit, _) in COLUMNS.items() if unit in COUNT_UNITS)


class Recorder:
    """Holds one float64 array per column, ``weeks`` long."""

    def __init__(self, weeks: int):
        self.weeks = weeks
        self.data = {k: np.zeros(weeks) for k in COLUMNS}
        self.i = 0

    def record(self, model, tally: Counter) -> None:
        if self.i >= self.weeks:
            return
        r, g, c = model.residents, model.groups, model.cfg
        row = self.data
        i = self.i
        n = r.n
        for k in ("gp_consultations", "gp_social_consultations", "gp_unmet", "ae_attendances",
                  "referrals", "referrals_refused", "referrals_gp", "referrals_self", "referrals_connector",
                  "referrals_outreach", "referrals_inreach", "referrals_groups", "referrals_vcs",
                  "referrals_social_care", "signposted_to_groups", "lw_goals_met", "lw_reached_dose",
                  "lw_leavers", "lw_handed_over", "lw_returned_to_list",
                  "programme_completions", "lw_taken_on", "lw_intake", "clients_supported", "lw_reneged",
                  "group_attendance", "groups_closed", "groups_started", "new_volunteers_spillover",
                  "group_queue_placed", "group_queue_gave_up"):
            row[k][i] = tally[k]
        row["lw_dropouts"][i] = tally["lw_dropouts"] + tally["lw_not_engaged"]
        row["lonely_share"][i] = np.count_nonzero(r.lonely) / n
        w = model.link_workers
        row["gp_referral_willingness"][i] = float(model.practices.referral.mean())
        row["lw_quoted_wait_weeks"][i] = model.recent_wait_weeks
        row["lw_fte_in_post"][i] = float(w.fte[w.in_post].sum()) if w.n else 0.0
        row["lw_on_leave"][i] = int(np.count_nonzero(w.on_leave)) if w.n else 0
        row["lw_waiting"][i] = np.count_nonzero(r.lw_status == 1)
        row["lw_active_clients"][i] = np.count_nonzero(r.lw_status == 2)
        taken = tally["lw_taken_on"]
        row["lw_wait_weeks_mean"][i] = tally["lw_wait_weeks_sum"] / taken if taken else np.nan
        row["group_members"][i] = np.count_nonzero(r.group >= 0)
        row["group_places"][i] = g.places[g.open].sum() if g.n else 0
        row["groups_active"][i] = np.count_nonzero(g.open) if g.n else 0
        row["volunteers"][i] = np.count_nonzero(r.volunteer_group >= 0)
        row["group_waiting"][i] = np.count_nonzero(r.group_queue >= 0)
        row["group_referred_members"][i] = np.count_nonzero(r.group_referred)
        row["groups_referred_cost_gbp"][i] = tally["cost_referred_members_gbp"]
        row["formal_volunteering_share"][i] = np.count_nonzero(r.volunteer) / n
        row["mean_wellbeing"][i] = float(r.wellbeing.mean(dtype=np.float64))
        lw = c.link_workers
        on_cost = 1 + lw.on_cost_rate
        row["lockdown"][i] = tally["lockdown"]
        row["cost_link_workers_gbp"][i] = model.lw_pay_in_post * on_cost / WEEKS_PER_YEAR
        cd = c.community_development
        row["cost_development_gbp"][i] = cd.fte * cd.salary_gbp * on_cost / WEEKS_PER_YEAR
        row["cost_programmes_gbp"][i] = c.programmes.count * c.programmes.weekly_cost_gbp
        row["cost_grants_gbp"][i] = tally["cost_grants_gbp"]
        row["cost_gp_gbp"][i] = tally["gp_consultations"] * c.costs.gp_consultation_gbp
        row["cost_ae_gbp"][i] = tally["ae_attendances"] * c.costs.ae_attendance_gbp
        self.i += 1

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame({k: v[: self.i] for k, v in self.data.items()})
        for k in INT_COLUMNS:
            df[k] = df[k].astype(np.int64)
        df.insert(0, "week", np.arange(1, self.i + 1, dtype=np.int64))
        return df


def summarise(ts: pd.DataFrame, population: int, fte: float) -> dict[str, float]:
    """One replicate's totals and rates from its weekly rows."""
    weeks = len(ts)
    years = weeks / WEEKS_PER_YEAR
    per_person_year = lambda col: float(ts[col].sum()) / population / years  # noqa: E731
    taken = ts["lw_intake"].sum() + 0.0
    taken_on = float(ts["lw_taken_on"].sum())
    referrals = float(ts["referrals"].sum())
    gp = float(ts["gp_consultations"].sum())
    cost_cols = [k for k in COLUMNS if k.startswith("cost_")]
    costs = ts[cost_cols].sum()
    return {
        "weeks": weeks,
        "lonely_share_mean": float(ts["lonely_share"].mean()),
        "lonely_share_final": float(ts["lonely_share"].iloc[-1]),
        "gp_consultations_per_person_year": per_person_year("gp_consultations"),
        "gp_social_share": float(ts["gp_social_consultations"].sum()) / gp if gp else float("nan"),
        "ae_attendances_per_1000_year": 1000 * per_person_year("ae_attendances"),
        "referrals_total": float(ts["referrals"].sum()),
        "referral_refusal_share": float(ts["referrals_refused"].sum()) / referrals if referrals else float("nan"),
        "lw_intake_total": taken,
        "clients_supported_total": float(ts["clients_supported"].sum()),
        "clients_per_fte_year": float(taken / fte / years) if fte > 0 else float("nan"),
        "lw_wait_weeks_mean": (
            float(np.nansum(ts["lw_wait_weeks_mean"] * ts["lw_taken_on"])) / taken_on if taken_on else float("nan")
        ),
        "lw_waiting_mean": float(ts["lw_waiting"].mean()),
        "group_attendance_per_week": float(ts["group_attendance"].mean()),
        "groups_active_final": float(ts["groups_active"].iloc[-1]),
        "volunteers_final": float(ts["volunteers"].iloc[-1]),
        "formal_volunteering_share_mean": float(ts["formal_volunteering_share"].mean()),
        "mean_wellbeing": float(ts["mean_wellbeing"].mean()),
        "engagement_share": float(taken / (taken_on + ts["lw_reneged"].sum())) if taken_on else float("nan"),
        **{k: float(costs[k]) for k in cost_cols},
    }
