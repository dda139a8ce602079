"""One command-line grammar (issue 11, point 5).

- Every command that runs the model takes ``--seed --weeks --replicates --workers --set --overlay
  --out --quiet`` with the same defaults and help, and each option reaches the scenario it runs.
- One interval method (``spsim.studies.stats``): a Student-t 95% interval of a mean.
- ``--set`` addresses ``[[teams]]`` entries: ``teams.0.fte=2`` (or ``teams[0].fte=2``).
- ``spsim params SECTION``, ``spsim validate --diff``.
- Errors say ``spsim`` once, and blame ``--set`` only when a ``--set`` caused them.
"""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spsim.interfaces.cli.compare as cli_compare
import spsim.studies.calibration as calibration
import spsim.studies.evaluation as evaluation
import spsim.studies.runner as runner
from spsim.interfaces.cli import build_parser, main
from spsim.model.config import ConfigError, load_config, validate
from spsim.model.overrides import apply_override
from spsim.model.params import Config, TeamParams, parameter_table
from spsim.studies.stats import t_half_width, t_interval, t_quantile

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"
MODEL_COMMANDS = ["run", "evaluate", "compare", "targets", "calibrate"]
SHARED = ["--seed", "--weeks", "--replicates", "--workers", "--set", "--overlay", "--out", "--quiet"]


def subparser(name: str):
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sub.choices[name]


def options(name: str) -> dict[str, object]:
    return {s: a for a in subparser(name)._actions for s in a.option_strings}


def one_line_error(capsys, argv: list[str]) -> str:
    rc = main(argv)
    out, err = capsys.readouterr()
    assert rc == 2, (rc, err)
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("spsim: error: ")
    return err.strip()


# ------------------------------------------------------------------------------------ the options
@pytest.mark.parametrize("command", MODEL_COMMANDS)
def test_every_model_command_takes_the_shared_options(command):
    opts = options(command)
    assert set(SHARED) <= set(opts), set(SHARED) - set(opts)
    reference = options("run")
    for flag in SHARED:
        mine, ref = opts[flag], reference[flag]
        assert mine.default == ref.default, flag
        assert mine.type is ref.type or mine.type.__qualname__ == ref.type.__qualname__, flag
        assert mine.metavar == ref.metavar and mine.dest == ref.dest, flag
        if flag != "--out":  # --out names each command's own default folder
            assert mine.help == ref.help, (command, flag)
    assert opts["--seed"].default is None and opts["--weeks"].default is None
    assert opts["--replicates"].default is None and opts["--workers"].default == 1


def test_sweep_shares_workers_out_and_quiet():
    """The experiment file fixes the scenario, seed, weeks and replicates; the rest is shared."""
    opts, ref = options("sweep"), options("run")
    for flag in ("--workers", "--quiet"):
        assert opts[flag].help == ref[flag].help and opts[flag].default == ref[flag].default
    assert "--out" in opts


def _overlay(tmp_path: Path) -> Path:
    p = tmp_path / "overlay.toml"
    p.write_text("[groups]\ncount = 7\n", encoding="utf-8")
    return p


class Reached(Exception):
    """Raised by a stand-in for the study a command runs, carrying what it was given."""


def _stop(**captured):
    raise Reached(captured)


@pytest.fixture
def stand_ins(monkeypatch):
    """Replace each command's study by a function that records its scenario and workers, then stops."""
    monkeypatch.setattr(runner, "run", lambda cfg, workers=1, progress=None, **kw: _stop(cfgs=[cfg], workers=workers))
    monkeypatch.setattr(evaluation, "evaluate", lambda cfg, workers=1: _stop(cfgs=[cfg], workers=workers))
    monkeypatch.setattr(calibration, "check_targets", lambda cfg, workers=1: _stop(cfgs=[cfg], workers=workers))
    monkeypatch.setattr(calibration, "calibrate", lambda cfg, samples, seed, workers=1, priors=None:
                        _stop(cfgs=[cfg], workers=workers, seed=seed))
    monkeypatch.setattr(cli_compare, "run_comparison",
                        lambda scenarios, workers=1, done=None: _stop(cfgs=[s.cfg for s in scenarios], workers=workers))


@pytest.mark.parametrize("command", MODEL_COMMANDS)
def test_each_shared_option_reaches_the_scenario(command, stand_ins, tmp_path):
    configs = [str(CONFIGS / "baseline.toml"), str(CONFIGS / "default.toml")] if command == "compare" else []
    argv = [command, *configs, "--seed", "7", "--weeks", "160", "--replicates", "3", "--workers", "2",
            "--set", "population.size=1500", "--overlay", str(_overlay(tmp_path)), "--out", str(tmp_path / "o"),
            "--quiet"]
    with pytest.raises(Reached) as got:
        main(argv)
    seen = got.value.args[0]
    assert seen["workers"] == 2
    for cfg in seen["cfgs"]:
        assert (cfg.simulation.seed, cfg.simulation.weeks, cfg.simulation.replicates) == (7, 160, 3)
        assert cfg.population.size == 1500 and cfg.groups.count == 7
    if command == "calibrate":
        assert seen["seed"] == 7  # the root of the design and of every sample's seed
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", MODEL_COMMANDS)
def test_without_options_the_scenario_decides(command, stand_ins, tmp_path):
    f = tmp_path / "s.toml"
    f.write_text("[simulation]\nseed = 5\nweeks = 200\nreplicates = 4\n", encoding="utf-8")
    configs = [str(CONFIGS / "baseline.toml")] if command == "compare" else []
    with pytest.raises(Reached) as got:
        main([command, *configs, str(f), "--out", str(tmp_path / "o"), "--quiet"])
    cfg = got.value.args[0]["cfgs"][-1]
    if command != "compare":  # compare takes these from its baseline (here configs/baseline.toml)
        assert (cfg.simulation.seed, cfg.simulation.weeks, cfg.simulation.replicates) == (5, 200, 4)
    assert got.value.args[0]["workers"] == 1


def test_readme_documents_the_shared_options():
    """README's synopsis of each model command lists the shared options."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for command in MODEL_COMMANDS:
        m = re.search(rf"`spsim {command} [^`]*`", readme)
        assert m, command
        for flag in SHARED:
            assert flag in m.group(0), (command, flag)


# ------------------------------------------------------------------------------------ intervals
@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=40))
def test_t_interval_is_scipys_t_interval(xs):
    from scipy import stats

    mean, lo, hi, sd, n = t_interval(xs)
    a = np.asarray(xs)
    if a.std(ddof=1) == 0:
        assert lo == hi == mean
        return
    want = stats.t.interval(0.95, n - 1, loc=a.mean(), scale=stats.sem(a))
    assert lo == pytest.approx(want[0], rel=1e-9, abs=1e-9) and hi == pytest.approx(want[1], rel=1e-9, abs=1e-9)


def test_t_quantile_and_edge_cases():
    assert t_quantile(1) == pytest.approx(12.706, abs=5e-4) and t_quantile(4) == pytest.approx(2.776, abs=5e-4)
    assert math.isnan(t_quantile(0))
    assert all(math.isnan(v) for v in t_interval([3.0])[1:4])
    assert t_interval([-2.0, -1.0, 0.5], nonnegative=True)[1] == 0.0
    assert t_interval([-2.0, -1.0, 0.5])[1] < 0


def test_half_width_vectorised_matches_the_scalar_interval():
    rng = np.random.default_rng(3)
    groups = [rng.normal(size=n) for n in (1, 2, 3, 7, 30)]
    half = t_half_width([g.std(ddof=1) if g.size > 1 else np.nan for g in groups], [g.size for g in groups])
    assert math.isnan(half[0])
    for g, h in zip(groups[1:], half[1:], strict=True):
        mean, lo, hi, _, _ = t_interval(g)
        assert h == pytest.approx(hi - mean, rel=1e-12)


def test_t_interval_covers_the_mean_at_two_replicates_where_196_does_not():
    """Why Student-t: with 2 replicates, mean +/- 1.96 s.e. covers the true mean only 70% of the time
    (P(|T_1| < 1.96), T_1 a t variable with 1 degree of freedom), the t interval 95%. With 20,000
    normal pairs each coverage is checked to 4 binomial standard errors (about +/- 0.006)."""
    rng = np.random.default_rng(11)
    x = rng.normal(size=(20_000, 2))
    m, s = x.mean(axis=1), x.std(axis=1, ddof=1) / np.sqrt(2)
    t_cover = np.mean(np.abs(m) <= t_half_width(x.std(axis=1, ddof=1), np.full(len(x), 2)))
    z_cover = np.mean(np.abs(m) <= 1.96 * s)
    tol = 4 * math.sqrt(0.95 * 0.05 / len(x))
    assert abs(t_cover - 0.95) < tol
    from scipy import stats

    z_expected = 2 * stats.t.cdf(1.96, 1) - 1  # 0.70
    assert abs(z_cover - z_expected) < 4 * math.sqrt(z_expected * (1 - z_expected) / len(x))


def test_run_summary_prints_the_t_interval_of_summary_csv(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["run", "--set", "population.size=800", "--set", "groups.count=4", "--set",
                 "simulation.burn_in_weeks=4", "--weeks", "6", "--replicates", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    s = pd.read_csv(out / "summary.csv")
    mean, lo, hi, _, _ = t_interval(s["gp_consultations_per_person_year"], nonnegative=True)
    assert f"{mean:.2f}  (95% interval {lo:.2f} to {hi:.2f})" in printed


def test_sweep_points_use_the_t_interval(tmp_path):
    exp = tmp_path / "e.toml"
    exp.write_text(f"""[experiment]
name = "t"
base = "{(tmp_path / 'b.toml').as_posix()}"
replicates = 2
weeks = 3
outcomes = ["gp_consultations_per_person_year", "lonely_share_mean"]
[design]
method = "grid"
[[parameters]]
key = "link_workers.fte"
values = [0.5, 2]
""", encoding="utf-8")
    (tmp_path / "b.toml").write_text("[population]\nsize = 600\n[groups]\ncount = 3\n"
                                     "[simulation]\nburn_in_weeks = 2\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sweep", str(exp), "--out", str(out), "--quiet"]) == 0
    runs, points = pd.read_parquet(out / "summary.parquet"), pd.read_csv(out / "points.csv")
    for o in ("gp_consultations_per_person_year", "lonely_share_mean"):
        for p, rows in runs.groupby("point"):
            mean, lo, hi, _, _ = t_interval(rows[o])
            got = points.set_index("point").loc[p]
            assert got[o] == pytest.approx(mean) and got[f"{o}_ci_low"] == pytest.approx(lo)
            assert got[f"{o}_ci_high"] == pytest.approx(hi)


# ------------------------------------------------------------------------------------ --set teams
TWO_TEAMS = {"teams": [{"name": "young", "fte": 1.0, "age_bands": [0]}, {"name": "old", "fte": 0.5}]}


@pytest.mark.parametrize("key", ["teams.1.fte", "teams[1].fte", " teams.1.fte "])
def test_set_reaches_one_team_entry(key):
    cfg = validate(apply_override(TWO_TEAMS, f"{key}=3"))
    assert [t.fte for t in cfg.teams] == [1.0, 3.0]
    assert [t.name for t in cfg.teams] == ["young", "old"]  # nothing else moved


def test_set_team_in_a_shipped_local_model():
    cfg = load_config(CONFIGS / "cullompton.toml", ["teams.0.caseload_per_fte=25"])
    base = load_config(CONFIGS / "cullompton.toml")
    assert cfg.teams[0].caseload_per_fte == 25
    assert cfg.teams[0].model_copy(update={"caseload_per_fte": base.teams[0].caseload_per_fte}) == base.teams[0]


@settings(max_examples=40, deadline=None)
# no service, or at least one caseload place (a smaller FTE is refused: docs/reliability.md)
@given(n=st.integers(0, 4), i=st.integers(0, 8), fte=st.one_of(st.just(0.0), st.floats(0.1, 1000)))
def test_set_team_index_in_range_or_refused(n, i, fte):
    data = {"teams": [{"name": f"t{k}"} for k in range(n)]}
    if i < n:
        cfg = validate(apply_override(data, f"teams.{i}.fte={fte!r}"))
        assert cfg.teams[i].fte == fte and all(t.fte == TeamParams().fte for k, t in enumerate(cfg.teams) if k != i)
    else:
        with pytest.raises(ConfigError) as e:
            apply_override(data, f"teams.{i}.fte={fte!r}")
        assert e.value.source == "--set" and e.value.field == f"teams.{i}.fte"
        assert f"entry {i} is out of range" in str(e.value)
        assert (f"has {n} [[teams]]" in str(e.value)) if n else ("no [[teams]] entries" in str(e.value))


@pytest.mark.parametrize("assignment, needle", [
    ("teams.x.fte=1", "not an entry number"),
    ("teams.-1.fte=1", "not an entry number"),
    ("teams.0=1", "set a key of one entry"),
    ("teams.0.ftee=1", "did you mean 'teams.0.fte'"),
    ("teams.5.fte=1", "entry 5 is out of range: the scenario has 2 [[teams]] entries (0 to 1)"),
])
def test_set_team_mistakes_are_explained(assignment, needle):
    with pytest.raises(ConfigError) as e:
        apply_override(TWO_TEAMS, assignment)
    assert needle in str(e.value)


def test_set_team_out_of_range_on_the_command_line(capsys, tmp_path):
    line = one_line_error(capsys, ["run", "--set", "teams.0.fte=2", "--out", str(tmp_path / "o")])
    assert "--set: teams.0.fte" in line and "no [[teams]] entries" in line
    assert not (tmp_path / "o").exists()


def test_bad_team_value_is_blamed_on_set():
    with pytest.raises(ConfigError) as e:
        load_config(CONFIGS / "cullompton.toml", ["teams.0.fte=-1"])
    assert e.value.source.endswith("with --set") and e.value.field == "teams.0.fte"


# ------------------------------------------------------------------------------------ params, validate
SECTIONS = list(Config.model_fields)


@pytest.mark.parametrize("section", SECTIONS)
def test_params_section_lists_that_section_only(section, capsys):
    assert main(["params", section]) == 0
    keys = [line.split(" = ")[0] for line in capsys.readouterr().out.splitlines()]
    want = [r["key"] for r in parameter_table() if re.match(rf"{section}(\[\])?\.", r["key"])]
    assert keys == want and keys


def test_params_sections_add_up_to_the_whole_table(capsys):
    lines = []
    for s in SECTIONS:
        main(["params", s, "--markdown"])
        lines += capsys.readouterr().out.splitlines()[2:]
    assert main(["params", "--markdown"]) == 0
    assert lines == capsys.readouterr().out.splitlines()[2:]


@pytest.mark.parametrize("section, needle", [("link_worker", "did you mean 'link_workers'"),
                                             ("zzz", "sections: simulation, population")])
def test_params_unknown_section(section, needle, capsys):
    line = one_line_error(capsys, ["params", section])
    assert line.startswith(f"spsim: error: params: no section '{section}'") and needle in line


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.toml")) + [None], ids=lambda p: p.name if p else "default")
def test_validate_diff_loads_back_to_the_same_scenario(path, capsys):
    argv = ["validate", *([str(path)] if path else []), "--diff"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    header, _, body = text.partition("\n")
    assert header.startswith("# ") and "valid" in header
    data = tomllib.loads(body)
    want = load_config(path)
    assert validate(data) == want
    default = Config().model_dump(mode="json")
    for section, values in data.items():  # only what differs is printed
        if isinstance(values, dict):
            assert all(default[section][k] != v for k, v in values.items()), section
    if path is None:
        assert data == {} and "same as the built-in default town" in header


def test_validate_diff_shows_set_and_overlay(tmp_path, capsys):
    assert main(["validate", "--diff", "--set", "link_workers.fte=3", "--overlay", str(_overlay(tmp_path))]) == 0
    data = tomllib.loads(capsys.readouterr().out.partition("\n")[2])
    assert data == {"link_workers": {"fte": 3.0}, "groups": {"count": 7}}


# ------------------------------------------------------------------------------------ error lines
@pytest.mark.parametrize("argv", [
    ["compare"],
    ["compare", "configs/default.toml", "--out", "{d}/o"],
    ["targets", "--seed", "x"],
    ["calibrate", "--samples", "0"],
    ["evaluate", "--weeks", "-3"],
    ["app", "--port", "99999"],
    ["sweep", "{d}/missing.toml"],
    ["params", "nope"],
])
def test_errors_say_spsim_once(argv, tmp_path, capsys):
    argv = [a.replace("{d}", str(tmp_path)) if "{d}" in a else str(REPO / a) if a.startswith("configs/") else a
            for a in argv]
    line = one_line_error(capsys, argv)
    assert not line.startswith("spsim: error: spsim"), line
    assert line.count("spsim:") == 1


@pytest.mark.parametrize("command", ["run", "evaluate", "targets", "calibrate", "validate"])
def test_set_is_blamed_only_when_given(command, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[link_workers]\nfte = -1\n", encoding="utf-8")
    out = ["--out", str(tmp_path / "o")] if command != "validate" else []
    line = one_line_error(capsys, [command, str(bad), *out])
    assert "--set" not in line and "bad.toml: link_workers.fte" in line
    line = one_line_error(capsys, [command, str(bad), "--set", "groups.count=5", *out])  # another key
    assert "--set" not in line
    line = one_line_error(capsys, [command, "--set", "link_workers.fte=-2", *out])
    assert "with --set: link_workers.fte" in line
    assert not (tmp_path / "o").exists()


def test_an_option_out_of_range_names_the_option(capsys, tmp_path):
    line = one_line_error(capsys, ["run", "--weeks", "999999", "--out", str(tmp_path / "o")])
    assert line.startswith("spsim: error: --weeks: simulation.weeks:"), line
