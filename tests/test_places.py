"""Places: scaling a place, building one from a planner's table, and who lives there."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import small_config
from spsim.interfaces.cli.main import main
from spsim.model import SocialPrescribingModel
from spsim.model.config import load_config
from spsim.model.population import AGE_GROUP_BAND, AGE_GROUP_WITHIN_BAND, practice_quintile
from spsim.model.scaling import factor, scale_place

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
EXAMPLES = ROOT / "examples" / "places"


# ------------------------------------------------------------------------------------ scaling
def test_every_shipped_config_states_the_population_it_describes():
    for path in sorted(CONFIGS.glob("*.toml")) + [CONFIGS / "default.yaml"]:
        text = path.read_text()
        assert "described" in text, path
        cfg = load_config(path)
        assert cfg.population.described == cfg.population.size, path  # as shipped: the real size
        assert scale_place(cfg)[1] == [], path


def test_a_smaller_copy_of_the_default_town_keeps_provision_per_resident():
    cfg = load_config(None, ["population.size=10000"])
    assert cfg.population.described == 50_000 and factor(cfg) == pytest.approx(0.2)
    scaled, items = scale_place(cfg)
    keys = {s.key for s in items}
    assert {"link_workers.fte", "groups.count", "practices.count"} <= keys
    # e.g. 2 FTE x 29 places x 0.2 = 11.6 places -> 12 whole places -> 12/29 FTE
    per = cfg.link_workers.caseload_per_fte
    places = round(cfg.link_workers.fte * per * 0.2)
    assert scaled.link_workers.fte == pytest.approx(places / per)
    assert scaled.groups.count == 20 and scaled.practices.count == 1
    assert scaled.population.described == 10_000
    again, more = scale_place(scaled)  # scaling twice changes nothing
    assert more == [] and again == scaled
    # (no warm start of the group sector: the groups at build are the scaled count)
    m = SocialPrescribingModel(cfg.model_copy(update={"groups": cfg.groups.model_copy(update={"warm_start_weeks": 0})}),
                               agents=False)
    assert m.cfg.model_copy(update={"groups": scaled.groups}) == scaled
    assert m.link_workers.caseload_cap.sum() == places and m.groups.n == 20


def test_absolute_switch_and_programmatic_configs_keep_values_as_given():
    cfg = load_config(None, ["population.size=10000", "population.scaling=\"absolute\"", "groups.warm_start_weeks=0"])
    assert scale_place(cfg) == (cfg, [])
    m = SocialPrescribingModel(cfg, agents=False)
    assert m.total_link_worker_fte == 2.0 and m.groups.n == 100
    small = small_config()  # described not given: the numbers are the small town's own
    assert small.population.described is None and scale_place(small)[1] == []


def test_local_models_scale_every_absolute_quantity():
    frome = scale_place(load_config(CONFIGS / "frome.toml", ["population.size=14000"]))[0]
    assert frome.connectors.count == 200  # 400 connectors meant for 28,000 people
    assert frome.community_development.fte == pytest.approx(0.5)
    kb = load_config(CONFIGS / "kingsbridge.toml", ["population.size=5000"])
    k2, items = scale_place(kb)
    # one programme of 12 places for 20,000 -> one programme of 3 places, same cost per place
    assert (k2.programmes.count, k2.programmes.places) == (1, 3)
    assert k2.programmes.weekly_cost_gbp / 3 == pytest.approx(kb.programmes.weekly_cost_gbp / 12)
    ss = load_config(CONFIGS / "southern-staffordshire.toml", ["population.size=25000"])
    s2, items = scale_place(ss)
    assert s2.grants.budget_gbp_per_year == pytest.approx(ss.grants.budget_gbp_per_year / 4)
    team = ss.teams[0]
    assert s2.teams[0].fte == pytest.approx(round(team.fte * team.caseload_per_fte / 4) / team.caseload_per_fte)
    assert any(s.key.startswith("teams[0].fte") for s in items)


def test_run_says_what_was_scaled(tmp_path, capsys):
    out = tmp_path / "r"
    rc = main(["run", "--set", "population.size=1000", "--set", "simulation.burn_in_weeks=2", "--weeks", "6",
               "--out", str(out)])
    assert rc == 0
    err = capsys.readouterr().err
    assert "scaled to 1,000 of the 50,000 residents" in err and "link_workers.fte 2 -> " in err
    info = json.loads((out / "run.json").read_text())
    assert info["population_described"] == 50_000
    assert {s["key"] for s in info["scaled"]} >= {"link_workers.fte", "groups.count"}


# ------------------------------------------------------------------------------- who lives there
def test_residents_mix_follows_census_shares():
    m = SocialPrescribingModel(small_config({"population.size": 40_000}), agents=False)
    r = m.residents
    n = r.n
    se = lambda p: 4 * np.sqrt(p * (1 - p) / n)  # noqa: E731  (4 binomial standard errors)
    f, d = m.cfg.population.female_share, m.cfg.population.disability_share  # from the config, not copied
    assert abs((r.sex == 0).mean() - f) < se(f)  # 0 female, 1 male
    assert abs(r.disability.mean() - d) < se(d) + 0.005  # normalised on the expected mean
    assert np.array_equal(AGE_GROUP_BAND[r.age_group], r.age_band)  # finer groups sit inside the bands
    for band in range(3):
        inside = r.age_group[r.age_band == band]
        groups = np.flatnonzero(AGE_GROUP_BAND == band)
        want = AGE_GROUP_WITHIN_BAND[groups] / AGE_GROUP_WITHIN_BAND[groups].sum()
        got = np.bincount(inside - groups[0], minlength=groups.size) / inside.size
        assert np.all(np.abs(got - want) < 4 * np.sqrt(want * (1 - want) / inside.size)), band
    # disability rises with age and deprivation and is more common with a long-term condition
    d = r.disability
    assert d[r.age_group == 7].mean() > d[r.age_group == 4].mean() > d[r.age_group == 0].mean()
    assert d[r.deprivation == 5].mean() > d[r.deprivation == 1].mean()
    assert d[r.ltc].mean() > d[~r.ltc].mean()
    assert (r.sex[r.age_group == 7] == 0).mean() > (r.sex[r.age_group == 0] == 0).mean()  # more women among the oldest


def test_new_attributes_leave_everyone_elses_luck_alone():
    """The attributes come from their own stream: changing their shares changes nothing else."""
    a = SocialPrescribingModel(small_config(), agents=False)
    b = SocialPrescribingModel(small_config({"population.female_share": 0.3, "population.disability_share": 0.4}),
                               agents=False)
    assert a.residents.sex.mean() != b.residents.sex.mean()
    for col in ("age_band", "deprivation", "ltc", "gp_base", "ae_base", "needs", "lonely", "practice",
                "queue_key", "confidence", "volunteer", "group", "age_group"):
        assert np.array_equal(getattr(a.residents, col), getattr(b.residents, col)), col
    for _ in range(4):
        a.step()
        b.step()
    sa, sb = a.streams.states(), b.streams.states()
    assert sa == sb
    assert a.timeseries().equals(b.timeseries())


def test_summary_by_group_all_row_reproduces_the_summary(tmp_path):
    out = tmp_path / "r"
    rc = main(["run", "--set", "population.size=1500", "--set", "population.scaling=\"absolute\"",
               "--set", "simulation.burn_in_weeks=8", "--weeks", "20", "--replicates", "2", "--quiet",
               "--out", str(out)])
    assert rc == 0
    by = pd.read_csv(out / "summary_by_group.csv")
    summ = pd.read_csv(out / "summary.csv")
    assert set(by["dimension"]) == {"all", "deprivation", "age_band", "age_group", "sex", "ltc", "disability",
                                    "practice"}
    for _, s in summ.iterrows():
        rep = by[by["replicate"] == s["replicate"]]
        row = rep[rep["dimension"] == "all"].iloc[0]
        assert row["referrals"] == s["referrals_total"]
        assert row["clients_supported"] == s["clients_supported_total"]
        assert row["lonely_share"] == pytest.approx(s["lonely_share_mean"])
        assert row["gp_consultations_per_person_year"] == pytest.approx(s["gp_consultations_per_person_year"])
        assert row["ae_attendances_per_1000_year"] == pytest.approx(s["ae_attendances_per_1000_year"])
        assert row["refusal_share"] == pytest.approx(s["referral_refusal_share"])
        assert row["lw_wait_weeks_mean"] == pytest.approx(s["lw_wait_weeks_mean"])
        # every dimension partitions the residents and the counts
        for dim, part in rep.groupby("dimension"):
            assert part["residents"].sum() == 1500, dim
            for col in ("referrals", "referrals_refused", "clients_supported", "lw_taken_on"):
                assert part[col].sum() == row[col], (dim, col)
    assert summ["referrals_total"].sum() > 0  # the check above compared something


# ------------------------------------------------------------------------------- your own place
TABLE = """practice,list_size,under_25_share,over_65_share,deprivation_decile,setting
North,1200,0.40,0.05,1,urban
South,600,0.10,0.45,10,rural
"""


def test_practice_list_gives_residents_their_practice_age_and_deprivation():
    rows = [dict(name="North", list_size=1200, under_25_share=0.40, over_65_share=0.05, deprivation_decile=1),
            dict(name="South", list_size=600, under_25_share=0.10, over_65_share=0.45, deprivation_decile=10,
                 setting="rural")]
    m = SocialPrescribingModel(small_config({"population.size": 9000}, practice_list=rows), agents=False)
    r = m.residents
    assert np.bincount(r.practice).tolist() == [6000, 3000]  # in proportion to list size
    assert m.practices.list_size.tolist() == [6000, 3000]
    assert set(r.deprivation[r.practice == 0]) == {practice_quintile(1)} == {5}
    assert set(r.deprivation[r.practice == 1]) == {practice_quintile(10)} == {1}
    assert not r.rural[r.practice == 0].any() and r.rural[r.practice == 1].all()
    for p, (under, over) in enumerate([(0.40, 0.05), (0.10, 0.45)]):
        band = r.age_band[r.practice == p]
        for share, b in ((under, 0), (over, 2)):
            assert abs((band == b).mean() - share) < 4 * np.sqrt(share * (1 - share) / band.size)


def test_place_round_trip_table_to_config_to_run(tmp_path):
    table = tmp_path / "my-place.csv"
    table.write_text(TABLE)
    cfg_path = tmp_path / "my-place.toml"
    assert main(["place", str(table), "--link-worker-fte", "0.2", "--groups", "4", "--out", str(cfg_path)]) == 0
    cfg = load_config(cfg_path)
    assert cfg.population.size == cfg.population.described == 1800
    assert [p.name for p in cfg.practice_list] == ["North", "South"]
    assert cfg.link_workers.fte == 0.2 and cfg.groups.count == 4
    out = tmp_path / "res"
    assert main(["run", str(cfg_path), "--set", "simulation.burn_in_weeks=2", "--weeks", "6", "--quiet",
                 "--out", str(out)]) == 0
    by = pd.read_csv(out / "summary_by_group.csv")
    prac = by[by["dimension"] == "practice"].set_index("group")
    assert prac.loc["North", "residents"] == 1200 and prac.loc["South", "residents"] == 600
    assert set(by.loc[by["dimension"] == "setting", "group"]) == {"urban", "rural"}


@pytest.mark.parametrize("name", ["urban-pcn.csv", "rural.csv"])
def test_example_tables_build_valid_scenarios(tmp_path, name):
    text = (EXAMPLES / name).read_text()
    assert "ILLUSTRATIVE" in text.splitlines()[0]
    out = tmp_path / "p.toml"
    extra = ["--values", str(EXAMPLES / "rural-values.csv")] if name == "rural.csv" else []
    assert main(["place", str(EXAMPLES / name), *extra, "--out", str(out)]) == 0
    cfg = load_config(out, ["population.size=2000"])
    assert cfg.population.described > 2000 and len(cfg.practice_list) >= 3
    m = SocialPrescribingModel(cfg, agents=False)
    assert m.practices.n == len(cfg.practice_list)


BAD = [
    ("practice,list_size,under_25_share,deprivation_decile,setting\nA,100,0.3,5,urban\n",
     "row 1, column over_65_share: missing column"),
    ("practice,list_size,under_25_share,over_65_share,deprivation_decile,setting\nA,1000,0.3,0.2,5,urban\n"
     "B,-5,0.3,0.2,5,urban\n", "row 3, column list_size: expected a whole number of patients, 1 or more, got -5"),
    ("# a note\npractice,list_size,under_25_share,over_65_share,deprivation_decile,setting\n"
     "A,1000,0.3,0.2,11,urban\n", "row 3, column deprivation_decile: expected an IMD decile"),
    ("practice,list_size,under_25_share,over_65_share,deprivation_decile,setting\nA,1000,0.3,0.2,0,urban\n",
     "row 2, column deprivation_decile"),
    ("practice,list_size,under_25_share,over_65_share,deprivation_decile,setting\nA,1000,0.3,0.2,5,urban\n"
     "A,900,0.3,0.2,4,rural\n", "row 3, column practice: practice 'A' is listed twice (first on row 2)"),
    ("practice,list_size,under_25_share,over_65_share,deprivation_decile,setting\nA,1000,0.3,0.2,5,suburb\n",
     "row 2, column setting: expected urban or rural"),
    ("practice,list_size,under_25_share,over_65_share,deprivation_decile,setting\nA,1000,0.7,0.5,5,urban\n",
     "row 2, column over_65_share: under_25_share + over_65_share must be at most 1"),
    ("practice,list_size,under_25_share,over_65_share,deprivation_decile,setting\nA,many,0.3,0.2,5,urban\n",
     "row 2, column list_size: expected a whole number"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_tables_stop_with_one_line_and_write_nothing(tmp_path, capsys, text, message):
    table = tmp_path / "t.csv"
    table.write_text(text)
    out = tmp_path / "out.toml"
    assert main(["place", str(table), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"spsim: error: {table}: ") and message in err, err
    assert not out.exists() and list(tmp_path.iterdir()) == [table]


# ------------------------------------------------------------------- the same place at any size
SIZES = {10_000: 6, 20_000: 4, 50_000: 3, 200_000: 2}  # residents -> replicates
PER_CAPITA = ("lonely_share_mean", "gp_consultations_per_person_year", "ae_attendances_per_1000_year",
              "clients_per_fte_year", "groups_per_1000", "lw_wait_weeks_mean")


@pytest.mark.slow
def test_per_capita_outcomes_agree_across_sizes():
    """The default town at 10,000, 20,000, 50,000 and 200,000 residents is the same place.

    Tolerance from the replicates: for each outcome the replicate variance of a per-capita quantity
    falls as 1/N, so the per-resident variance is pooled over all sizes,
    ``s2 = sum_s (R_s - 1) N_s var_s / sum_s (R_s - 1)``, giving each size's standard error
    ``sqrt(s2 / (N_s R_s))``. Each size's mean must be within 4 combined standard errors of the
    50,000-resident town's (18 comparisons; under normality a false alarm has < 0.2% chance in all).
    Without scaling, the 10,000-resident copy gives about 50 clients per FTE-year instead of about
    220 and fails by far more than that.

    A 26-week burn-in, not the usual two years: the claim is that the sizes are the same place week
    by week, which holds in the settling months as much as at the steady state, and every size has the
    same burn-in (the tolerance comes from these runs' own replicates).
    """
    from spsim.studies.runner import run

    means, variances = {}, {}
    for n, reps in SIZES.items():
        cfg = load_config(None, [f"population.size={n}", f"simulation.replicates={reps}", "simulation.seed=7",
                                 "simulation.weeks=52", "simulation.burn_in_weeks=26"])
        s = run(cfg).summary()
        s["groups_per_1000"] = s["groups_active_final"] / n * 1000
        means[n] = s[list(PER_CAPITA)].mean()
        variances[n] = s[list(PER_CAPITA)].var(ddof=1)
    dof = sum(r - 1 for r in SIZES.values())
    pooled = sum((SIZES[n] - 1) * n * variances[n] for n in SIZES) / dof
    ref = 50_000
    se = {n: np.sqrt(pooled / (n * SIZES[n])) for n in SIZES}
    for n in SIZES:
        if n == ref:
            continue
        z = (means[n] - means[ref]).abs() / np.sqrt(se[n] ** 2 + se[ref] ** 2)
        table = pd.DataFrame({"mean": means[n], "ref": means[ref], "z": z})
        assert (z < 4).all(), f"{n:,} residents vs {ref:,}:\n{table}"


def test_compare_runs_each_scenario_as_a_copy_of_its_own_place(tmp_path):
    from spsim.studies.compare import load_scenarios

    plain = tmp_path / "plain.toml"  # a user's file that does not say which population it describes
    plain.write_text('[simulation]\nname = "plain"\n\n[population]\nsize = 25000\n\n[groups]\ncount = 50\n')
    scen = load_scenarios([str(CONFIGS / "baseline.toml"), str(CONFIGS / "frome.toml"), str(plain)], None, [], [])
    frome, mine = scen[1].cfg, scen[2].cfg
    assert frome.population.size == mine.population.size == 50_000  # the baseline's size
    assert scale_place(frome)[0].connectors.count == round(400 * 50_000 / 28_000)
    assert mine.population.described == 25_000 and scale_place(mine)[0].groups.count == 100
