"""Write the teaching notebooks in this folder from the cells below (run: python notebooks/build.py).

The .ipynb files are generated, without outputs, so a review reads this file and the notebooks
stay in step with it (tests/test_notebooks.py checks both that they match and that they run top
to bottom). Sizes are small so all four run in about two minutes; the notebooks say where
to make them bigger.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = '''\
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import spsim


def find_configs() -> Path:
    """The repository's configs/ folder, from whatever folder the notebook was started in."""
    for folder in (Path.cwd(), *Path.cwd().parents, Path(spsim.__file__).resolve().parents[2]):
        if (folder / "configs" / "default.toml").is_file():
            return folder / "configs"
    raise FileNotFoundError("configs/default.toml not found: start Jupyter inside the spsim repository")


CONFIGS = find_configs()
DEFAULT = CONFIGS / "default.toml"
plt.rcParams["figure.dpi"] = 90
pd.set_option("display.width", 120)'''


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str):
    return new_code_cell(text.strip("\n"))


# ---------------------------------------------------------------------------------------------
TOUR = [
    md("""
# A guided tour of spsim

spsim simulates one place week by week: **residents** living on a social network, **GP practices**,
**link workers** (social prescribers) and **community groups**. A GP who sees a patient whose real
problem is social (loneliness, debt, housing...) can refer them to a link worker, who helps them find
a community group. Helped residents may go on to volunteer, which keeps groups going.

This notebook builds a small town, meets one agent of each kind, runs the town for two years and
plots what happened. Everything here is small so it runs in seconds; make `population.size`
bigger for smoother curves.
"""),
    code(SETUP),
    md("""
## Build a town

A scenario is a config file (`configs/default.toml`) plus overrides. The default town has 50,000
residents; here we take 3,000 residents with the same rules, 0.15 FTE of link work (one link worker
about three quarters of a day a week) and 6 community groups. `population.scaling=absolute` says
these numbers are the small town's own (without it, a smaller size is a scaled copy of the default
town: docs/places.md). `burn_in_weeks` lets the town settle before anything is recorded.
"""),
    code('''
from spsim.model.config import load_config
from spsim.model import SocialPrescribingModel

cfg = load_config(DEFAULT, [
    "population.size=3000", "population.scaling=absolute", "link_workers.fte=0.15", "groups.count=6",
    "simulation.burn_in_weeks=26", "simulation.weeks=104", "simulation.seed=42",
])
model = SocialPrescribingModel(cfg)
{agent_type.__name__: len(agents) for agent_type, agents in model.agents_by_type.items()}
'''),
    md("""
Every resident, practice, link worker and group is a Mesa agent (`model.agents_by_type`). The
residents' state lives in columns of numbers (one array per attribute), so each weekly rule works on
the whole town at once; an agent is a window onto one row.

## Meet the agents

A **resident**: age band (0 under 25, 1 25-64, 2 65+), deprivation quintile of their neighbourhood,
long-term condition, social needs, whether they are lonely, their wellbeing (0-10) and their ties.
"""),
    code('''
from spsim.model.agents import CommunityGroup, GPPractice, LinkWorker, Resident

residents = model.agents_by_type[Resident]
someone = next(r for r in residents if r.needs and not r.lives_alone)
print(f"resident {someone.idx}: age band {someone.age_band}, deprivation quintile {someone.deprivation}, "
      f"long-term condition {someone.ltc}")
print(f"  needs {someone.needs}, lonely {someone.lonely}, wellbeing {someone.wellbeing:.1f}, "
      f"confidence {someone.confidence:.2f}")
print(f"  {len(someone.ties)} ties (household and neighbours), registered with practice {someone.practice}")
'''),
    md("""
A **GP practice** has a registered list and a weekly number of appointments. When a patient's
problem is social, the GP may recognise it and refer them to link work; referrals grow when link
workers send good feedback.

A **link worker** has a caseload cap (FTE x clients per FTE). New referrals wait on a waiting list
until a caseload place is free.

A **community group** has a kind (the Five Ways to Wellbeing, plus advice), places that depend on
its volunteers, and money. Groups close when volunteers or money run out; new ones start.
"""),
    code('''
for agent_type in (GPPractice, LinkWorker, CommunityGroup):
    agent = model.agents_by_type[agent_type][0]
    fields = {k: getattr(agent, k) for k in type(agent).__dict__ if not k.startswith("_")
              and k != "table_name" and not callable(getattr(agent, k))}
    print(agent_type.__name__, {k: (round(v, 3) if isinstance(v, float) else v) for k, v in fields.items()})
'''),
    md("""
## One week, in order

The weekly order is written once, in `spsim.model.WEEKLY_ORDER`: each mechanism is a small module.
"""),
    code('''
from spsim.model import WEEKLY_ORDER

for i, mechanism in enumerate(WEEKLY_ORDER, 1):
    print(i, mechanism.__name__, "-", (mechanism.__module__.split(".")[-1]))
print(len(WEEKLY_ORDER) + 1, "record outcomes and costs")
'''),
    md("""
## Run two years

`model.run()` runs the burn-in and the recorded weeks; `model.timeseries()` has one row per week.
"""),
    code('''
model.run()
ts = model.timeseries()
ts[["week", "lonely_share", "gp_consultations", "referrals", "lw_waiting", "lw_active_clients",
    "volunteers", "groups_active"]].tail()
'''),
    code('''
fig, axes = plt.subplots(2, 2, figsize=(10, 6), sharex=True)
panels = [
    ("Share lonely", ["lonely_share"]),
    ("GP consultations per week", ["gp_consultations", "gp_social_consultations"]),
    ("Link work", ["lw_waiting", "lw_active_clients"]),
    ("Community groups", ["volunteers", "group_members", "groups_active"]),
]
for ax, (title, cols) in zip(axes.ravel(), panels, strict=True):
    for col in cols:
        ax.plot(ts["week"], ts[col], label=col)
    ax.set_title(title)
    ax.set_ylim(bottom=0)  # from zero, so small wiggles look small
    ax.legend(fontsize=8)
for ax in axes[1]:
    ax.set_xlabel("week")
fig.tight_layout()
plt.show()
'''),
    md("""
## Is loneliness at the edge of the network?

In the model loneliness spreads along ties (a lonely contact raises the chance of becoming lonely)
and each non-lonely contact helps recovery, so residents with few ties should be lonely more often.
Compare the share lonely among residents with few and with many ties at the end of the run, and look
at how many residents are in each bar: small bars are noisy.
"""),
    code('''
degree = model.network.degree()
lonely = model.residents.lonely
bins = pd.cut(degree, [-1, 3, 6, 9, np.inf], labels=["0-3", "4-6", "7-9", "10+"])
by_ties = pd.DataFrame({"ties": bins, "lonely": lonely}).groupby("ties", observed=True)["lonely"].agg(
    ["mean", "size"])
by_ties.columns = ["share lonely", "residents"]
ax = by_ties["share lonely"].plot.bar(figsize=(6, 3), color="#d7301f", title="Share lonely by number of ties")
ax.set_xlabel("ties (household, neighbours, groups)")
plt.show()
by_ties
'''),
    md("""
## The same town, drawn

`spsim app` shows this live in a browser. Here is the classroom version of the network view for a
town of 1,000 residents after a year: red dots are lonely residents, outlines show who is waiting for
a link worker (orange), on a caseload (purple) or in a group (green).
"""),
    code('''
from spsim.interfaces.app.classroom import ClassroomModel, draw_town, draw_trends

town = ClassroomModel(population=1000, fte=0.05, groups=4, seed=3, configs=CONFIGS)
for _ in range(52):
    town.step()
draw_town(town)
'''),
    code('''
draw_trends(town)
'''),
    md("""
## Things to try

- Change `link_workers.fte` or `groups.count` above and run again.
- Follow one resident through the run with `spsim.model.analyzers.ResidentHistory`.
- Next notebook: the three levers as classroom experiments; the fourth shows the feedback loops.
"""),
]

# ---------------------------------------------------------------------------------------------
LEVERS = [
    md("""
# Three levers, three experiments

Places ask three questions first:

1. **Link-worker capacity**: what happens to the waiting list when there is more or less link work?
2. **Volunteering spillover**: if people who were helped go on to volunteer, do groups get stronger?
3. **Group availability**: do more community groups mean fewer lonely residents?

Each experiment changes one lever and keeps everything else fixed. Each setting runs with the same
three seeds: the same residents and the same luck (common random numbers), so differences come from
the lever. The spread over seeds shows how much is chance. The town is small (3,000 residents, two
years) so this runs in seconds; use more residents and seeds for firmer answers.
"""),
    code(SETUP),
    code('''
from spsim.model.config import load_config
from spsim.studies.runner import run

BASE = ["population.size=3000", "population.scaling=absolute", "simulation.weeks=104",
        "simulation.burn_in_weeks=26",
        "simulation.replicates=3", "simulation.seed=7", "groups.count=6"]


def experiment(lever, values, extra=()):
    """Run the town once per lever value (3 seeds each); one row per value and seed."""
    rows = []
    for value in values:
        cfg = load_config(DEFAULT, [*BASE, *extra, f"{lever}={value}"])
        summary = run(cfg).summary()
        summary.insert(0, lever, value)
        rows.append(summary)
    return pd.concat(rows, ignore_index=True)


def show(results, lever, measures, xlabel):
    """Mean over seeds (line) and each seed (dots) for each measure."""
    fig, axes = plt.subplots(1, len(measures), figsize=(4.2 * len(measures), 3.2))
    for ax, (col, label) in zip(np.atleast_1d(axes), measures.items(), strict=True):
        mean = results.groupby(lever)[col].mean()
        ax.plot(mean.index, mean.values, "o-", color="#08519c", label="mean of 3 seeds")
        ax.plot(results[lever], results[col], ".", color="#999999", label="each seed")
        ax.set_xlabel(xlabel)
        ax.set_title(label, fontsize=10)
        ax.set_ylim(bottom=0)
    np.atleast_1d(axes)[0].legend(fontsize=8)
    fig.tight_layout()
    plt.show()
    return results.groupby(lever)[list(measures)].mean().round(3)
'''),
    md("""
## 1. Link-worker capacity

From no link work at all to 0.5 FTE (15 caseload places) for 3,000 residents. Watch the waiting
list and the wait.
"""),
    code('''
capacity = experiment("link_workers.fte", [0.0, 0.1, 0.25, 0.5])
show(capacity, "link_workers.fte", {
    "lw_waiting_mean": "waiting list (mean residents)",
    "lw_wait_weeks_mean": "wait for a link worker (weeks)",
    "clients_supported_total": "clients supported in 2 years",
    "lonely_share_mean": "share lonely",
}, "link-worker FTE")
'''),
    md("""
**Questions for the class.** Below some capacity the waiting list grows and people wait for weeks;
above it, extra capacity sits idle. Where is that point here? Why does the share lonely hardly move
at this size, even when hundreds of residents are lonely? (How many people does link work reach in
two years, compared with the number who are lonely?)

## 2. Volunteering spillover

The share of residents who, after being helped, go on to volunteer for a group. No study has
measured it: it is a scenario lever. Link work is set to 0.5 FTE so there are helped residents.
"""),
    code('''
spillover = experiment("volunteering.spillover", [0.0, 0.25, 0.5, 1.0], extra=["link_workers.fte=0.5"])
show(spillover, "volunteering.spillover", {
    "volunteers_final": "group volunteers at the end",
    "groups_active_final": "groups open at the end",
    "group_attendance_per_week": "group attendances per week",
}, "spillover (share of helped who volunteer)")
'''),
    md("""
**Questions.** Volunteers add places (each volunteer runs a few places), and groups that are short of
volunteers close. Does spillover keep more groups open? Is the effect big compared with the spread
between seeds?

## 3. Group availability

How many community groups the town starts with (new ones can still start later).
"""),
    code('''
groups = experiment("groups.count", [0, 6, 12, 24], extra=["link_workers.fte=0.25"])
show(groups, "groups.count", {
    "group_attendance_per_week": "group attendances per week",
    "volunteers_final": "group volunteers at the end",
    "lonely_share_mean": "share lonely",
}, "community groups at the start")
'''),
    md("""
**Questions.** More groups mean more attendance and more volunteers. What does it do to loneliness
in this small town, and is the difference larger than the seed-to-seed spread? What would you change
to find out with more confidence (more seeds? more residents? more years)?

The same experiments at full size run from the command line, e.g.
`spsim run --set link_workers.fte=4 --replicates 20 --workers 2`.
"""),
]

# ---------------------------------------------------------------------------------------------
PREPOST = [
    md("""
# Why before-and-after evaluations mislead

Many social prescribing evaluations compare people's GP visits in the year before referral with the
year after, and report large falls (one review: GP demand -28%, A&E -24%). Controlled studies mostly
find much smaller effects or none.

One reason is **regression to the mean**: people are referred when things are at their worst:
frequent GP visits, a crisis. Many of those peaks pass by themselves, so the year after looks better
*whether or not the service helped*.

A simulation can show this exactly, because it can run **the same residents with the same luck
twice**: once with the service and once without (its *twin*). The difference between the two runs is
the true effect. `spsim.studies.evaluation.evaluate` does this and also computes what an uncontrolled
before-after study and a matched-control study would report.
"""),
    code(SETUP),
    code('''
import spsim.studies.evaluation as ev
from spsim.model.config import load_config

print(ev.__doc__.split("\\n\\n")[1])
'''),
    md("""
## Run the twin experiment

A town of 6,000 residents with 1 FTE of link work, three years (each referred resident needs a year
before and a year after referral), two seeds. It takes a few seconds; a real analysis would use more
residents and replicates.
"""),
    code('''
cfg = load_config(DEFAULT, [
    "population.size=6000", "population.scaling=absolute", "link_workers.fte=1.0", "groups.count=15",
    "simulation.burn_in_weeks=20", "simulation.weeks=150", "simulation.replicates=2", "simulation.seed=11",
])
per_resident, estimates = ev.evaluate(cfg)
print(f"{len(per_resident)} referred residents who engaged, in {cfg.simulation.replicates} replicates")
per_resident[["resident", "index_week", "gp_pre", "gp_post", "gp_twin_pre", "gp_twin_post"]].head()
'''),
    md("""
Each row is a referred resident: GP consultations in the year up to referral (`gp_pre`) and the year
after (`gp_post`), with the service, and the same for their twin who never got the service.

## Four answers to one question

- **pre_post**: after minus before, with the service (an uncontrolled study);
- **counterfactual_change**: after minus before for the *same residents without the service*: the
  change that happens anyway;
- **matched_control**: the pre-post change minus that of similar residents who were never referred
  (a controlled study);
- **true_effect**: with the service minus without, the year after (only a simulation can know it).
"""),
    code('''
gp = estimates[(estimates.outcome == "gp") & (estimates.group == "all referred")].set_index("estimate")
gp[["mean", "ci_low", "ci_high", "n", "relative"]].round(2)
'''),
    code('''
order = ["pre_post", "counterfactual_change", "matched_control", "true_effect"]
labels = ["before-after\\n(uncontrolled)", "change without\\nthe service", "matched\\ncontrol", "true effect\\n(twins)"]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for ax, group in zip(axes, ["all referred", "frequent attenders"], strict=True):
    rows = estimates[(estimates.outcome == "gp") & estimates.group.str.startswith(group)].set_index("estimate")
    rows = rows.loc[order]
    err = np.nan_to_num(np.vstack([rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]]))
    ax.bar(labels, rows["mean"], yerr=err, capsize=4, color=["#bdbdbd", "#fdae6b", "#9ecae1", "#31a354"])
    ax.axhline(0, color="black", lw=0.8)
    ax.set_title(f"{group}: change in GP consultations per year (n = {int(rows['n'].iloc[0])})", fontsize=10)
    ax.tick_params(axis="x", labelsize=8)
fig.tight_layout()
plt.show()
'''),
    code('''
def line(group):
    rows = estimates[(estimates.outcome == "gp") & estimates.group.str.startswith(group)].set_index("estimate")
    pp, cf, te = (rows.loc[k, "mean"] for k in ("pre_post", "counterfactual_change", "true_effect"))
    base = rows.loc["pre_post", "baseline_mean"]
    return (f"{group}: {base:.1f} GP consultations in the year before referral. A before-after study reports "
            f"{pp:+.2f} a year ({pp / base:+.0%}); {cf:+.2f} of that happens without the service; "
            f"the true effect is {te:+.2f}.")

print(line("all referred"))
print(line("frequent attenders"))
'''),
    md("""
The before-after change is (almost exactly) the true effect **plus** the change that happens anyway.
For frequent attenders, who are referred at their peak, the change that happens anyway is largest.

## See it in the twins

The twins never met a link worker. Still, their GP visits fall after the week they *would have been*
referred, because that week was chosen at a peak.
"""),
    code('''
fig, ax = plt.subplots(figsize=(6, 4))
for col, label, colour in [("gp_twin", "twin (no service)", "#fdae6b"), ("gp", "with the service", "#31a354")]:
    means = [per_resident[f"{col}_pre"].mean(), per_resident[f"{col}_post"].mean()]
    ax.plot(["year before referral", "year after"], means, "o-", color=colour, label=label, lw=2)
ax.set_ylabel("GP consultations per resident")
ax.set_ylim(bottom=0)
ax.legend()
ax.set_title("Referred residents: GP use falls with or without the service")
plt.show()
'''),
    md("""
**Questions for the class.**

1. Why are people referred at a peak? What would a referral policy look like that avoided this?
2. A controlled study compares the referred with similar residents who were not referred. Why is it
   closer to the truth here? What could still go wrong in a real controlled study?
3. The same logic applies to loneliness measured by a questionnaire at referral and a year later:
   look at `estimates[estimates.outcome == "lonely"]`.
"""),
    code('''
estimates[(estimates.outcome == "lonely") & (estimates.group == "all referred")].set_index("estimate")[
    ["mean", "ci_low", "ci_high", "n"]].round(3)
'''),
]

# ---------------------------------------------------------------------------------------------
LOOPS = [
    md("""
# Feedback loops: the waiting list, referrals, groups and volunteers

A social prescribing system is not a pipe: what comes out feeds back into what goes in. The model
contains three feedback loops (docs/ODD.md), and the app's *Town and referral loop* tab draws them:

- **R1, reinforcing**: when a link worker discharges a client, the practice hears about it; GPs who
  see results refer more (`practices.feedback_gain`: discharges fed back raise the target of a
  practice's willingness to refer towards its ceiling `practices.referral_max`).
- **B1, balancing**: when the wait is long, GPs refer less (`practices.waiting_discouragement`: the
  target is divided by 1 + discouragement x wait / 10 weeks). A queue limits its own growth.
- **R2, reinforcing**: residents who were helped may go on to volunteer (`volunteering.spillover`);
  each volunteer makes group places (`groups.places_per_volunteer`), and groups short of volunteers
  close. More places let more residents join, some of whom volunteer in turn.

The way to see a loop in a model is to **cut it** and compare: run the same town with the same seed
(the same residents and the same luck, common random numbers) with the loop and without it. This
notebook uses the app's classroom town (2,000 residents, a queue forms within weeks), three seeds per
setting, two years. Sizes are small so it runs in seconds; use more seeds for firmer answers.
"""),
    code(SETUP),
    code("""
from spsim.interfaces.app.presets import CLASSROOM_FILE
from spsim.model import SocialPrescribingModel
from spsim.model.config import load_config

SEEDS = (1, 2, 3)
WEEKS = 104


def run_town(extra=(), seed=1):
    \"\"\"One classroom town for two years: the weekly timeseries, plus the practices' willingness to
    refer a recognised need (%), as the referral rule uses it.\"\"\"
    cfg = load_config(CLASSROOM_FILE, [f"simulation.seed={seed}", f"simulation.weeks={WEEKS}", *extra])
    model = SocialPrescribingModel(cfg)
    chance = []
    for _ in range(cfg.simulation.burn_in_weeks + cfg.simulation.weeks):
        model.step()
        p = model.practices
        chance.append(100 * np.average(p.referral, weights=p.list_size))  # R1 raises it, B1 divides it
    ts = model.timeseries()
    ts["referral_chance"] = chance[cfg.simulation.burn_in_weeks:]
    return ts


def compare(settings):
    \"\"\"{label: overrides} -> one long table: every setting, every seed, every week.\"\"\"
    frames = []
    for label, extra in settings.items():
        for seed in SEEDS:
            ts = run_town(extra, seed)
            ts.insert(0, "seed", seed)
            ts.insert(0, "setting", label)
            frames.append(ts)
    return pd.concat(frames, ignore_index=True)


def plot(results, panels, title):
    \"\"\"Mean over seeds (thick) and each seed (thin) for each column, one panel per column.\"\"\"
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.4))
    for ax, (col, label) in zip(np.atleast_1d(axes), panels.items(), strict=True):
        for i, (setting, rows) in enumerate(results.groupby("setting", sort=False)):
            colour = f"C{i}"
            for _, one in rows.groupby("seed"):
                ax.plot(one["week"], one[col], color=colour, lw=0.6, alpha=0.35)
            mean = rows.groupby("week")[col].mean()
            ax.plot(mean.index, mean.values, color=colour, lw=2, label=setting)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("week")
        ax.set_ylim(bottom=0)
    np.atleast_1d(axes)[0].legend(fontsize=8)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    plt.show()
"""),
    md("""
## B1: a long wait discourages referrals

Link work is short (0.1 FTE, 3 caseload places) so a queue builds. With the balancing loop, GPs who
see long waits refer less; cut it (`practices.waiting_discouragement = 0`) and they keep referring.
"""),
    code("""
b1 = compare({
    "with B1 (default)": ["link_workers.fte=0.1"],
    "B1 cut": ["link_workers.fte=0.1", "practices.waiting_discouragement=0"],
})
plot(b1, {"lw_waiting": "waiting list (residents)", "referrals": "referrals per week",
          "referral_chance": "GPs' willingness to refer (%)"}, "B1: the queue limits its own growth")
b1.groupby("setting", sort=False)[["lw_waiting", "referrals", "lw_wait_weeks_mean"]].mean().round(2)
"""),
    md("""
**Questions.** Which setting has the longer waiting list? Is the difference bigger than the spread
between seeds (the thin lines)? A balancing loop hides a shortage: fewer referrals look like less
need. What would a planner who only counts referrals conclude?

## R1: results bring more referrals

Now enough link work for the queue to clear (0.3 FTE, 9 places). With R1, each discharge nudges the
practices' referral chance up; cut it (`practices.feedback_gain = 0`) and it stays where it started.
"""),
    code("""
r1 = compare({
    "with R1 (default)": ["link_workers.fte=0.3"],
    "R1 cut": ["link_workers.fte=0.3", "practices.feedback_gain=0"],
})
plot(r1, {"referral_chance": "GPs' willingness to refer (%)", "referrals": "referrals per week",
          "clients_supported": "clients supported per week"}, "R1: discharges fed back, GPs refer more")
r1.groupby("setting", sort=False)[["referral_chance", "referrals", "clients_supported"]].mean().round(3)
"""),
    md("""
**Questions.** How fast does the willingness to refer move, and towards what? (It follows a target
over `demand.gp_memory_weeks`.) (Look up
`practices.referral_max` with `spsim params`.) R1 and B1 pull against each other: what happens to
the wait when R1 brings in more referrals than the link workers can take?

## R2: helped residents volunteer, volunteers make places

Volunteering spillover is a lever nobody has measured. Compare none with a half of helped residents
going on to volunteer, with plenty of link work (0.5 FTE) so that residents are helped.
"""),
    code("""
r2 = compare({
    "spillover 0": ["link_workers.fte=0.5", "volunteering.spillover=0"],
    "spillover 0.5": ["link_workers.fte=0.5", "volunteering.spillover=0.5"],
})
plot(r2, {"volunteers": "group volunteers", "group_places": "places in open groups",
          "groups_active": "groups open"}, "R2: volunteers into capacity")
r2.groupby("setting", sort=False)[["new_volunteers_spillover", "volunteers", "group_places", "groups_active",
                                   "group_members"]].mean().round(2)
"""),
    md("""
**Questions.** How many helped residents a year become volunteers at 0.5? Is that enough to keep
groups open that would otherwise close? Where does the loop run out (link-work capacity, groups'
`max_places`, money)?

## The loop, drawn

The app's stocks-and-flows picture for a classroom town after a year: boxes are stocks (how many
residents are in each state now), arrows this week's flows, dashed arrows the loops.
"""),
    code("""
from spsim.interfaces.app.classroom import ClassroomModel, draw_loop

town = ClassroomModel(seed=2, configs=CONFIGS)
for _ in range(52):
    town.step()
draw_loop(town)
"""),
    md("""
## Things to try

- Cut two loops at once. Does the waiting list behave as the sum of the two cuts?
- Make the ceiling `practices.referral_max` higher and watch R1 outrun the link workers.
- In the app (`spsim app`), play a year with 0.05 FTE, press Reset with 0.3 FTE and the same seed,
  and compare the dotted line (the previous run) with the new one.
"""),
]


NOTEBOOKS = {
    "01_guided_tour.ipynb": TOUR,
    "02_levers.ipynb": LEVERS,
    "03_pre_post_evaluation.ipynb": PREPOST,
    "04_feedback_loops.ipynb": LOOPS,
}


def build(name: str) -> nbformat.NotebookNode:
    nb = new_notebook(cells=[c.copy() for c in NOTEBOOKS[name]])
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{Path(name).stem[:2]}-{i:02d}"  # stable ids: rebuilding changes nothing
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nbformat.validate(nb)
    return nb


def main(out: Path = HERE) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in NOTEBOOKS:
        path = out / name
        path.write_text(nbformat.writes(build(name)) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(p)
