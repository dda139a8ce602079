"""Posteriors carried into every answer: loading and validating a posterior, which parameter set
each replicate gets, the paths that build replicates, the command line, and the comparison's
probabilities, variance split and rank sensitivity (spsim.studies.posterior, spsim.studies.uncertainty)."""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spsim.errors import ConfigError
from spsim.interfaces.cli import main
from spsim.model.config import load_config
from spsim.studies import posterior as posterior_mod
from spsim.studies.posterior import (
    builtin_names,
    check_posterior,
    load_posterior,
    permutation,
    replicate_config,
    replicate_rows,
)
from spsim.studies.uncertainty import (
    partial_rank_correlation,
    sensitivity_table,
    share_better,
    variance_components,
)

ROOT = Path(__file__).resolve().parents[1]
#: a town small and short enough for a test (its own numbers, not scaled from the default town)
TINY = ["population.size=1000", 'population.scaling="absolute"', "simulation.weeks=6", "simulation.burn_in_weeks=2",
        "groups.count=4", "simulation.seed=11"]
KEYS = ("link_workers.need_resolution_multiplier", "loneliness.onset_per_year", "link_workers.engagement")
ROWS = ((2.0, 0.012, 0.80), (3.0, 0.015, 0.84), (4.5, 0.018, 0.90), (6.0, 0.020, 0.70), (1.5, 0.010, 0.95))


def write_posterior(folder: Path, rows=ROWS, keys=KEYS, name: str = "post", provenance: dict | None = None) -> Path:
    path = folder / f"{name}.csv"
    lines = [",".join(keys)] + [",".join(str(v) for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if provenance is not None:
        path.with_suffix(".json").write_text(json.dumps(provenance), encoding="utf-8")
    return path


def tiny(post: Path | None = None, *extra: str):
    options = [f"simulation.posterior={json.dumps(str(post))}"] if post is not None else []
    return load_config(None, [*TINY, *extra], options=options)


# ----------------------------------------------------------------------------------- loading
def test_load_reads_keys_values_hash_and_provenance(tmp_path):
    path = write_posterior(tmp_path, provenance={"method": "test", "samples": 5})
    post = load_posterior(str(path))
    assert post.keys == KEYS and post.rows == 5 and not post.builtin and post.name == "post"
    assert np.array_equal(post.values, np.array(ROWS))
    assert post.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert post.provenance == {"method": "test", "samples": 5}
    assert post.row(2) == dict(zip(KEYS, ROWS[2], strict=True))


def test_an_integer_parameter_is_applied_as_an_integer(tmp_path):
    path = write_posterior(tmp_path, rows=((20.0,), (31,)), keys=("link_workers.caseload_per_fte",))
    cfg = replicate_config(tiny(path, "simulation.replicates=2"), 1)
    assert isinstance(cfg.link_workers.caseload_per_fte, int)
    assert cfg.link_workers.caseload_per_fte in (20, 31)


BAD = [
    # (file text, column or row the message names, words in the message)
    ("link_workers.fte,loneliness.onset_per_year\n2,0.01\n", "link_workers.fte", "is a lever"),
    ("simulation.seed\n3\n", "simulation.seed", "a setting of the run"),
    ("population.size\n3000\n", "population.size", "a description of the place"),
    ("teams.0.fte\n1\n", "teams.0.fte", "not a parameter key"),
    ("volunteering.spillover\n0.2\n", "volunteering.spillover", "is a lever"),
    ("costs.gp_consultation_gbp\n40\n", "costs.gp_consultation_gbp", "unit value"),
    ("link_workers.waiting_policy\n1\n", "link_workers.waiting_policy", "not a number"),
    ("loneliness.onset_per_yer\n0.01\n", "loneliness.onset_per_yer", "did you mean 'loneliness.onset_per_year'"),
    ("loneliness.onset_per_year\n0.01\n-0.5\n", "loneliness.onset_per_year", "row 2 (line 3): -0.5 is below"),
    ("link_workers.engagement\n1.5\n", "link_workers.engagement", "above the highest allowed value"),
    ("loneliness.onset_per_year\n0.01\nabc\n", "loneliness.onset_per_year", "row 2 (line 3): 'abc' is not a number"),
    ("loneliness.onset_per_year\nnan\n", "loneliness.onset_per_year", "not a finite number"),
    ("link_workers.caseload_per_fte\n20.5\n", "link_workers.caseload_per_fte", "not a whole number"),
    ("loneliness.onset_per_year,link_workers.engagement\n0.01\n", "row 1 (line 2)", "has 1 cell(s)"),
    ("loneliness.onset_per_year,loneliness.onset_per_year\n0.01,0.01\n", "loneliness.onset_per_year",
     "appears twice"),
    ("loneliness.onset_per_year\n", None, "has no rows"),
    ("", None, "is empty"),
]


@pytest.mark.parametrize("text, field, words", BAD)
def test_bad_posterior_is_one_line_naming_file_and_column_exit_2_nothing_written(tmp_path, capsys, text, field,
                                                                               words):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    rc = main(["run", "--posterior", str(path), *sum((["--set", s] for s in TINY), []), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"spsim: error: {path}: ")
    if field is not None:
        assert f": {field}: " in err
    assert words in err
    assert not out.exists()


def test_missing_file_unknown_builtin_and_too_many_draws(tmp_path, capsys):
    out = tmp_path / "out"
    missing = tmp_path / "nope.csv"
    assert main(["run", "--posterior", str(missing), "--out", str(out), "--quiet"]) == 2
    assert capsys.readouterr().err == f"spsim: error: {missing}: file not found (simulation.posterior, --posterior)\n"
    assert main(["run", "--posterior", "no-such-regime", "--out", str(out), "--quiet"]) == 2
    assert "no-such-regime: no such built-in posterior" in capsys.readouterr().err
    path = write_posterior(tmp_path)
    assert main(["run", "--posterior", str(path), "--set", "simulation.posterior_draws=6", "--out", str(out),
                 "--quiet"]) == 2
    assert "has 5 parameter set(s) but simulation.posterior_draws is 6" in capsys.readouterr().err
    assert not out.exists()


def test_a_set_of_a_drawn_parameter_is_refused(tmp_path, capsys):
    path = write_posterior(tmp_path)
    out = tmp_path / "out"
    rc = main(["run", "--posterior", str(path), "--set", "link_workers.engagement=0.9", "--out", str(out), "--quiet"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "--set: link_workers.engagement: is drawn from the posterior" in err and err.count("\n") == 1
    assert not out.exists()


def test_a_compared_scenario_cannot_differ_in_a_drawn_parameter(tmp_path, capsys):
    path = write_posterior(tmp_path)
    base = tmp_path / "base.toml"
    base.write_text('[simulation]\nname = "base"\n', encoding="utf-8")
    other = tmp_path / "other.toml"
    other.write_text('[simulation]\nname = "other"\n[link_workers]\nengagement = 0.7\n', encoding="utf-8")
    out = tmp_path / "cmp"
    assert main(["compare", str(base), str(other), "--posterior", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"{other}: link_workers.engagement: differs from the baseline" in err and err.count("\n") == 1
    assert not out.exists()


def test_a_sweep_cannot_vary_a_drawn_parameter(tmp_path):
    path = write_posterior(tmp_path)
    exp = tmp_path / "exp.toml"
    exp.write_text('[experiment]\nname = "e"\nreplicates = 2\nweeks = 4\n[config.population]\nsize = 1000\n'
                   '[[parameters]]\nkey = "link_workers.engagement"\nvalues = [0.7, 0.9]\n', encoding="utf-8")
    from spsim.studies.experiment import load_experiment

    with pytest.raises(ConfigError, match="parameters: link_workers.engagement: is drawn from the posterior"):
        load_experiment(exp, [f"simulation.posterior={json.dumps(str(path))}"])


def test_calibration_refuses_a_posterior(tmp_path, capsys):
    path = write_posterior(tmp_path)
    assert main(["calibrate", "--set", f"simulation.posterior={json.dumps(str(path))}", "--out",
                 str(tmp_path / "c"), "--quiet"]) == 2
    assert "draws its own parameter sets" in capsys.readouterr().err


# ----------------------------------------------------------------------------------- which set
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**40), rows=st.integers(1, 40), draws=st.integers(0, 40), reps=st.integers(1, 60))
def test_replicate_sets_depend_on_the_seed_draws_and_replicate_only(seed, rows, draws, reps):
    """Replicate r uses row perm[(r % draws) % rows] (r when draws is 0) of a permutation seeded by the
    seed alone: not by the number of replicates, the scenario's levers, or its name."""
    draws = min(draws, rows)
    perm = permutation(seed, rows)
    assert sorted(perm) == list(range(rows))
    expected = [int(perm[((r % draws) if draws else r) % rows]) for r in range(reps)]

    class Post:  # the rows of a posterior are all replicate_rows needs from it
        pass

    p = Post()
    p.rows = rows
    for extra in ([], ["link_workers.fte=7.5", 'simulation.name="other"']):
        cfg = load_config(None, [f"simulation.seed={seed}", f"simulation.replicates={reps}",
                                 f"simulation.posterior_draws={draws}", 'simulation.posterior="x.csv"', *extra])
        assert replicate_rows(cfg, p) == expected
        more = load_config(None, [f"simulation.seed={seed}", f"simulation.replicates={reps + 7}",
                                  f"simulation.posterior_draws={draws}", 'simulation.posterior="x.csv"', *extra])
        assert replicate_rows(more, p)[:reps] == expected
    if draws:
        assert len(set(expected)) == min(draws, reps)


def test_applying_twice_is_harmless_and_without_a_posterior_nothing_changes(tmp_path):
    cfg = tiny(write_posterior(tmp_path), "simulation.replicates=4")
    for r in range(4):
        once = replicate_config(cfg, r)
        assert once.simulation.posterior == ""
        assert replicate_config(once, r) == once
        assert {k: getattr(getattr(once, k.split(".")[0]), k.split(".")[1]) for k in KEYS} in [
            dict(zip(KEYS, row, strict=True)) for row in ROWS]
    plain = tiny()
    assert replicate_config(plain, 3) is plain


def test_every_scenario_of_a_comparison_gets_the_same_set_per_replicate(tmp_path, monkeypatch):
    from spsim.studies import compare

    path = write_posterior(tmp_path)
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('[simulation]\nname = "a"\n[link_workers]\nfte = 0.0\n', encoding="utf-8")
    b.write_text('[simulation]\nname = "b"\n[link_workers]\nfte = 1.0\n[groups]\nattendance = 0.7\n', encoding="utf-8")
    seen: dict[tuple[str, int], tuple] = {}
    real = compare.run_planner_replicate

    def spy(cfg, r):
        seen[(cfg.simulation.name, r)] = tuple(getattr(getattr(cfg, k.split(".")[0]), k.split(".")[1]) for k in KEYS)
        return real(cfg, r)

    monkeypatch.setattr(compare, "run_planner_replicate", spy)
    scen = compare.load_scenarios([str(a), str(b)], None, [*TINY, "simulation.replicates=3"], [],
                                  options=[f"simulation.posterior={json.dumps(str(path))}"])
    comp = compare.run_comparison(scen)
    assert len(seen) == 6
    for r in range(3):
        assert seen[("a", r)] == seen[("b", r)] == ROWS[replicate_rows(scen[0].cfg)[r]]
    rows = comp.values.pivot(index="replicate", columns="scenario", values="posterior_row")
    assert (rows["a"] == rows["b"]).all()
    assert list(comp.parameters.posterior_row) == [r + 1 for r in replicate_rows(scen[0].cfg)]


# ----------------------------------------------------------------------------------- same as --set
def test_a_posterior_of_one_row_is_the_same_as_setting_its_values(tmp_path):
    """Every path that builds a replicate applies the set: run, the planner's record, the measured
    people patterns and (in test_evaluation_arms_share_the_set) the evaluation."""
    from spsim.studies.patterns import run_measured
    from spsim.studies.record import run_planner_replicate
    from spsim.studies.runner import run_replicate

    row = ROWS[3]
    path = write_posterior(tmp_path, rows=(row,))
    post = tiny(path, "simulation.replicates=2")
    sets = [f"{k}={v}" for k, v in zip(KEYS, row, strict=True)]
    plain = tiny(None, "simulation.replicates=2", *sets)
    for r in (0, 1):
        assert run_replicate(post, r).timeseries.equals(run_replicate(plain, r).timeseries)
    a, b = run_planner_replicate(post, 1), run_planner_replicate(plain, 1)
    assert a.timeseries.equals(b.timeseries) and a.groups.equals(b.groups)
    ma, mb = run_measured(post, 0), run_measured(plain, 0)
    assert ma.keys() == mb.keys()
    assert all((ma[k] == mb[k]) or (math.isnan(ma[k]) and math.isnan(mb[k])) for k in ma)
    # and the posterior's values do move the run: another set gives another series
    other = tiny(write_posterior(tmp_path, rows=(ROWS[4],), name="other"), "simulation.replicates=2")
    assert not run_replicate(other, 0).timeseries.equals(run_replicate(post, 0).timeseries)


def test_evaluation_arms_share_the_set(tmp_path):
    """The evaluation applies the set once, before the twin is made: a one-row posterior gives exactly
    the rows of setting its values, in both arms."""
    from spsim.studies.evaluation import evaluate_replicate

    row = ROWS[1]
    extra = ["simulation.weeks=130", "simulation.burn_in_weeks=0", "link_workers.fte=1.0"]
    post = tiny(write_posterior(tmp_path, rows=(row,)), *extra)
    plain = tiny(None, *extra, *(f"{k}={v}" for k, v in zip(KEYS, row, strict=True)))
    a, b = evaluate_replicate(post, 0), evaluate_replicate(plain, 0)
    assert len(a) > 0
    pd.testing.assert_frame_equal(a, b)


# ----------------------------------------------------------------------------------- the command line
def _run(tmp_path: Path, name: str, *args: str) -> Path:
    out = tmp_path / name
    assert main(["run", *sum((["--set", s] for s in TINY), []), *args, "--out", str(out), "--quiet"]) == 0
    return out


def test_run_same_posterior_same_bytes_serial_equals_workers_and_metadata(tmp_path):
    path = write_posterior(tmp_path, provenance={"method": "test"})
    args = ("--posterior", str(path), "--replicates", "3", "--set", "simulation.posterior_draws=2")
    one, again, two = _run(tmp_path, "one", *args), _run(tmp_path, "again", *args), _run(tmp_path, "two", *args,
                                                                                         "--workers", "2")
    for f in ("timeseries.csv", "summary.csv", "summary_by_group.csv"):
        assert (one / f).read_bytes() == (again / f).read_bytes() == (two / f).read_bytes()
    summary = pd.read_csv(one / "summary.csv")
    info = json.loads((one / "run.json").read_text())
    rec = info["posterior"]
    assert rec["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() and rec["name"] == "post"
    assert rec["path"] == str(path) and rec["provenance"] == {"method": "test"} and rec["draws"] == 2
    assert list(summary.posterior_row) == rec["replicate_rows"]
    assert rec["replicate_rows"][0] == rec["replicate_rows"][2] and rec["distinct_sets_used"] == 2
    for k in KEYS:  # the set's values are written beside each replicate
        assert [ROWS[r - 1][KEYS.index(k)] for r in summary.posterior_row] == list(summary[k])
    plain = _run(tmp_path, "plain", "--replicates", "3")
    assert json.loads((plain / "run.json").read_text())["posterior"] is None
    assert "posterior_row" not in pd.read_csv(plain / "summary.csv")
    assert (plain / "timeseries.csv").read_bytes() != (one / "timeseries.csv").read_bytes()


def test_posteriors_lists_builtins_with_provenance_and_shows_a_file(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "posteriors"
    folder.mkdir()
    write_posterior(folder, name="both", provenance={"regime": "both", "method": "history matching"})
    write_posterior(folder, name="controlled", rows=ROWS[:2])
    monkeypatch.setattr(posterior_mod, "POSTERIOR_DIR", folder)
    assert builtin_names() == ["both", "controlled"]
    assert main(["posteriors"]) == 0
    out = capsys.readouterr().out
    assert "both: 5 parameter sets over 3 parameters (regime: both; method: history matching)" in out
    assert "controlled: 2 parameter sets over 3 parameters (no provenance file)" in out
    assert main(["posteriors", "both"]) == 0
    out = capsys.readouterr().out
    assert "built-in posterior" in out and "regime: both" in out and "link_workers.engagement" in out
    assert load_posterior("both").builtin
    assert main(["posteriors", str(write_posterior(tmp_path))]) == 0
    assert "posterior file" in capsys.readouterr().out


def test_builtin_posteriors_ship_in_the_wheel_and_validate():
    """pyproject ships the posteriors folder as package data; every built-in there loads and applies
    to the default town (there may be none yet: the calibration adds them)."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "posteriors/*.csv" in data["spsim.studies"] and "posteriors/*.json" in data["spsim.studies"]
    assert posterior_mod.POSTERIOR_DIR.is_dir()
    for name in builtin_names():
        cfg = load_config(None, [f"simulation.posterior={json.dumps(name)}", "simulation.replicates=3"])
        post = check_posterior(cfg)
        assert post.builtin and post.rows >= 1
        assert post.provenance, f"built-in posterior {name} has no {name}.json provenance"


def test_a_sweep_with_a_posterior_equals_run_replicate(tmp_path):
    from spsim.studies.experiment import load_experiment
    from spsim.studies.runner import run_replicate
    from spsim.studies.sweep import run_sweep

    path = write_posterior(tmp_path)
    exp_file = tmp_path / "exp.toml"
    exp_file.write_text('[experiment]\nname = "e"\nreplicates = 2\nweeks = 6\nseed = 3\n'
                        '[config.population]\nsize = 1000\nscaling = "absolute"\n[config.simulation]\n'
                        'burn_in_weeks = 2\n[config.groups]\ncount = 4\n'
                        '[[parameters]]\nkey = "link_workers.fte"\nvalues = [0.5, 2.0]\n', encoding="utf-8")
    opt = [f"simulation.posterior={json.dumps(str(path))}"]
    exp = load_experiment(exp_file, opt)
    assert load_experiment(exp_file).hashes != exp.hashes  # the posterior is part of what a run is
    res = run_sweep(exp, tmp_path / "sweep")
    assert not res.failed
    manifest = json.loads((tmp_path / "sweep" / "manifest.json").read_text())
    assert manifest["posterior"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    summary = pd.read_parquet(tmp_path / "sweep" / "summary.parquet")
    for point in (0, 1):
        cfg = exp.point_config(point)
        for r in (0, 1):
            row = summary[(summary.point == point) & (summary.replicate == r)].iloc[0]
            run = pd.read_parquet(tmp_path / "sweep" / "runs" / f"{row.run_id}.parquet")
            direct = run_replicate(cfg, r).timeseries
            assert run[list(direct.columns)].equals(direct)


# ----------------------------------------------------------------------------------- compare
def test_compare_with_a_posterior_writes_probabilities_split_and_sensitivity(tmp_path):
    path = write_posterior(tmp_path)
    base, more = ROOT / "configs" / "baseline.toml", ROOT / "configs" / "default.toml"
    out = tmp_path / "cmp"
    args = ["compare", str(base), str(more), *sum((["--set", s] for s in TINY), []), "--replicates", "6",
            "--set", "simulation.posterior_draws=3", "--posterior", str(path), "--out", str(out), "--quiet"]
    assert main(args) == 0
    table = pd.read_csv(out / "comparison.csv")
    other = table[~table.is_baseline & table.share_better.notna()]
    assert not other.empty and other.share_better.between(0, 1).all()
    assert other.share_covers.str.startswith("parameter uncertainty and noise (posterior post").all()
    values = pd.read_csv(out / "replicates.csv")
    mine = values[values.scenario == "default"]
    for key, threshold in (("gp_avoided", 0.0), ("lonely_py_avoided", 0.0), ("return_per_pound", 1.0)):
        row = table[(table.scenario == "default") & (table.outcome == key)].iloc[0]
        assert row.share_better == share_better(mine[key], +1, threshold) and row.better_threshold == threshold
    unc = pd.read_csv(out / "uncertainty.csv")
    assert set(unc.outcome) >= {"gp_avoided", "lonely_py_avoided", "return_per_pound"}
    assert (unc.sets == 3).all() and (unc.replicates == 6).all()
    ok = unc.between_var.notna() & (unc.between_var + unc.within_var > 0)
    assert ok.any() and np.allclose(unc.share_between[ok], unc.between_var[ok] / (unc.between_var + unc.within_var)[ok])
    sens = pd.read_csv(out / "sensitivity.csv")
    assert set(sens.parameter) == set(KEYS) and sens.spearman.dropna().between(-1, 1).all()
    params = pd.read_csv(out / "parameters.csv")
    assert list(params.columns) == ["replicate", "posterior_row", *KEYS]
    assert json.loads((out / "run.json").read_text())["posterior"]["name"] == "post"
    html = (out / "report.html").read_text()
    assert "Uncertainty: parameters and noise" in html and "Which uncertainty is which" in html
    assert "which uncertain parameters move" in html and "parameter uncertainty and noise together" in html
    decision = pd.read_csv(out / "decision.csv")
    assert (decision.shares_cover == "parameters and noise").all()
    assert decision.share_reduces_gp.between(0, 1).all()


def test_compare_without_a_posterior_says_noise_only(tmp_path):
    from spsim.interfaces.report.uncertainty import probability_table, uncertainty_section
    from spsim.studies.compare import load_scenarios, run_comparison

    base, more = ROOT / "configs" / "baseline.toml", ROOT / "configs" / "default.toml"
    comp = run_comparison(load_scenarios([str(base), str(more)], None, [*TINY, "simulation.replicates=2"], []))
    t = comp.table[comp.table.share_better.notna()]
    assert t.share_covers.str.startswith("noise only").all()
    assert comp.posterior is None and comp.sensitivity is None
    assert (comp.uncertainty.between_var.dropna() == 0).all() and comp.uncertainty.note.str.contains("noise only").all()
    html = probability_table(comp) + uncertainty_section(comp)
    assert "these shares cover <b>noise only</b>" in html and "cannot be split into parameters and noise" in html


# ----------------------------------------------------------------------------------- the statistics
@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(0.0), st.just(1.0), st.just(math.nan)), max_size=40),
       st.sampled_from([0.0, 1.0, -2.5]))
def test_share_better_is_a_probability_that_flips_with_better(xs, threshold):
    up, down = share_better(xs, +1, threshold), share_better(xs, -1, threshold)
    finite = np.asarray([x for x in xs if math.isfinite(x)])
    if finite.size == 0:
        assert math.isnan(up) and math.isnan(down)
        return
    assert 0 <= up <= 1 and 0 <= down <= 1
    ties = float(np.mean(finite == threshold))
    assert up + down + ties == pytest.approx(1.0)
    assert share_better([2 * threshold - x for x in xs], +1, threshold) == pytest.approx(down)  # mirror image
    assert math.isnan(share_better(xs, 0, threshold))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sd_between=st.floats(0.0, 3.0), sd_within=st.floats(0.1, 3.0), sets=st.integers(150, 300),
       per=st.integers(2, 6), seed=st.integers(0, 2**32 - 1))
def test_anova_recovers_known_variance_components(sd_between, sd_within, sets, per, seed):
    """Synthetic data y = mu + a_set + e with known variances. The tolerance is 5 standard errors of
    each ANOVA estimator (balanced design: Var(MSW) = 2 s_w^4 / (k(n-1)), Var(MSB) = 2 (s_w^2 + n s_b^2)^2 /
    (k-1), s_b^2 = (MSB - MSW) / n), so a correct estimator fails about once in a million examples."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(sets), per)
    y = 10 + rng.normal(0, sd_between, sets)[groups] + rng.normal(0, sd_within, groups.size)
    vc = variance_components(y, groups)
    vb, vw, k, n = sd_between**2, sd_within**2, sets, per
    se_w = math.sqrt(2 * vw**2 / (k * (n - 1)))
    se_b = math.sqrt(2 * (vw + n * vb) ** 2 / (k - 1) + se_w**2) / n
    assert vc["sets"] == k and vc["replicates"] == k * n
    assert abs(vc["within_var"] - vw) < 5 * se_w
    assert abs(vc["between_var"] - vb) < 5 * se_b + 1e-12
    assert vc["between_var"] >= 0 and 0 <= vc["share_between"] <= 1
    assert 0 <= vc["p"] <= 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=2, max_size=12), st.integers(0, 2**32 - 1))
def test_anova_sums_of_squares_add_up_for_unequal_sets(sizes, seed):
    """Unequal set sizes: within = the pooled within-set variance, and the sums of squares add up to
    the total: (k-1) MSB + (N-k) MSW = (N-1) total variance (recovered from the estimator's n0)."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(len(sizes)), sizes)
    y = rng.normal(0, 1, len(sizes))[groups] + rng.normal(0, 1, groups.size)
    vc = variance_components(y, groups)
    N, k = groups.size, len(sizes)
    if N - k < 1:
        assert math.isnan(vc["within_var"]) and math.isnan(vc["between_var"])
        return
    means = np.array([y[groups == g].mean() for g in range(k)])
    ssw = sum(((y[groups == g] - means[g]) ** 2).sum() for g in range(k))
    assert vc["within_var"] == pytest.approx(ssw / (N - k))
    n0 = (N - sum(s * s for s in sizes) / N) / (k - 1)
    msb = vc["between_var"] * n0 + vc["within_var"] if vc["between_var"] > 0 else None
    if msb is not None:
        assert (k - 1) * msb + (N - k) * vc["within_var"] == pytest.approx((N - 1) * vc["total_var"])


def test_anova_cannot_separate_without_repeats_or_with_one_set():
    y = np.arange(6.0)
    assert math.isnan(variance_components(y, np.arange(6))["between_var"])
    assert math.isnan(variance_components(y, np.zeros(6))["between_var"])
    assert variance_components(y, np.zeros(6))["total_var"] == pytest.approx(np.var(y, ddof=1))


def test_rank_sensitivity_finds_the_parameter_that_moves_the_answer():
    """y rises with a, not with b; c moves with a in the posterior but has no effect of its own, so its
    Spearman correlation is high and its partial rank correlation is not. Bounds: an independent
    parameter's rank correlation has sd about 1/sqrt(n - 1), so |rho| < 4/sqrt(n) fails ~1 in 10^4."""
    rng = np.random.default_rng(4)
    n = 400
    a = rng.uniform(1, 5, n)
    b = rng.uniform(0, 1, n)
    c = a + rng.normal(0, 0.3, n)
    y = np.exp(a) + rng.normal(0, 5, n)
    params = pd.DataFrame({"replicate": np.arange(n), "posterior_row": np.arange(n) + 1, "a": a, "b": b, "c": c})
    values = pd.DataFrame({"scenario": ["base"] * n + ["s"] * n, "replicate": np.tile(np.arange(n), 2),
                           "gp_avoided": np.r_[np.zeros(n), y]})
    sens = sensitivity_table(values, ["base", "s"], params)
    gp = sens[sens.outcome == "gp_avoided"].set_index("parameter")
    assert gp.loc["a", "rank"] == 1 and gp.loc["a", "spearman"] > 0.9
    assert abs(gp.loc["b", "spearman"]) < 4 / math.sqrt(n) and abs(gp.loc["b", "prcc"]) < 4 / math.sqrt(n)
    assert gp.loc["c", "spearman"] > 0.8 and abs(gp.loc["c", "prcc"]) < 4 / math.sqrt(n)
    assert gp.loc["a", "prcc"] > max(4 / math.sqrt(n), abs(gp.loc["c", "prcc"]), abs(gp.loc["b", "prcc"]))
    # too few replicates for a partial correlation: NaN rather than a number
    assert np.isnan(partial_rank_correlation(np.c_[a[:4], b[:4], c[:4]], y[:4])).all()


def test_rank_sensitivity_with_repeated_sets_correlates_set_means():
    """With repeated sets the unit is the set: its answer is the mean of its replicates, so the noise
    of one set's replicates does not count as evidence about its parameters."""
    from scipy.stats import spearmanr

    rng = np.random.default_rng(9)
    sets, per = 30, 4
    a = rng.uniform(0, 1, sets)
    row = np.repeat(np.arange(sets), per)
    y = a[row] + rng.normal(0, 1.0, row.size)
    n = row.size
    params = pd.DataFrame({"replicate": np.arange(n), "posterior_row": row + 1, "a": a[row]})
    values = pd.DataFrame({"scenario": ["base"] * n + ["s"] * n, "replicate": np.tile(np.arange(n), 2),
                           "lonely_py_avoided": np.r_[np.zeros(n), y]})
    got = sensitivity_table(values, ["base", "s"], params).iloc[0]
    means = pd.Series(y).groupby(row).mean()
    want = spearmanr(a, means.to_numpy())
    assert (got.sets, got.replicates) == (sets, n)
    assert got.spearman == pytest.approx(want.statistic) and got.spearman_p == pytest.approx(want.pvalue)


def test_spearman_p_value_of_few_sets_is_exact():
    """With 4 sets a perfect rank correlation has exact two-sided p = 2/4! (the two perfect orders out
    of 24 pairings), not the 0 of the t approximation."""
    from spsim.studies.uncertainty import spearman

    rho, p = spearman(np.array([1.0, 2, 3, 4]), np.array([10.0, 20, 30, 40]))
    assert rho == pytest.approx(1.0) and p == pytest.approx(2 / 24)
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=40), rng.normal(size=40)
    from scipy.stats import spearmanr

    assert spearman(x, y) == pytest.approx(tuple(spearmanr(x, y)))
