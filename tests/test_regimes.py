"""Conclusions across evidence regimes (spsim.studies.regimes, `spsim compare --posterior A,B`): the
same comparison under each posterior, side by side, and which conclusions survive every regime."""

from __future__ import annotations

import json
import math
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spsim.interfaces.cli import main
from spsim.studies.regimes import LIKELY, TOSS_UP, UNLIKELY, parse_regimes, regimes_table, verdict
from test_posterior import ROOT, TINY, write_posterior

# two regimes that disagree about how well link work works: a strong and a weak service
STRONG = ((30.0, 0.3, 6.0), (25.0, 0.25, 5.0), (20.0, 0.3, 6.0))
WEAK = ((1.0, 0.0, 0.0), (1.2, 0.01, 0.1), (1.0, 0.02, 0.0))
KEYS = ("link_workers.need_resolution_multiplier", "link_workers.confidence_gain_per_contact",
        "loneliness.group_recovery_per_year")


def _args(out, *posterior):
    base, more = ROOT / "configs" / "baseline.toml", ROOT / "configs" / "default.toml"
    return ["compare", str(base), str(more), *sum((["--set", s] for s in TINY), []), "--replicates", "3",
            "--posterior", ",".join(str(p) for p in posterior), "--out", str(out), "--quiet"]


@pytest.mark.slow
def test_regimes_side_by_side_equal_each_regimes_own_comparison(tmp_path):
    strong = write_posterior(tmp_path, STRONG, KEYS, name="strong", provenance={"believes": ["ba_gp"]})
    weak = write_posterior(tmp_path, WEAK, KEYS, name="weak")
    out = tmp_path / "both"
    assert main(_args(out, strong, weak)) == 0
    frame = pd.read_csv(out / "regimes.csv")
    assert set(frame.scenario) == {"default"}
    assert {"gp_avoided", "lonely_py_avoided", "return_per_pound"} <= set(frame.outcome)
    # a regime's folder is exactly the comparison one would get with that posterior alone
    alone = tmp_path / "alone-weak"
    assert main(_args(alone, weak)) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "weak" / "comparison.csv"), pd.read_csv(alone / "comparison.csv"))
    # and its report names the options that regime ran with (its own posterior, not the list)
    def settings_shown(path):
        return re.findall(r"<code>--set [^<]*</code>", path.read_text())

    assert settings_shown(out / "weak" / "report.html") == settings_shown(alone / "report.html")
    for regime in ("strong", "weak"):
        mine = pd.read_csv(out / regime / "comparison.csv")
        assert (out / regime / "report.html").is_file()
        for r in frame.itertuples():
            row = mine[(mine.scenario == r.scenario) & (mine.outcome == r.outcome)].iloc[0]
            assert getattr(r, f"share_{regime}") == pytest.approx(row.share_better)
            assert getattr(r, f"verdict_{regime}") == verdict(row.share_better)
    for r in frame.itertuples():
        v = {r.verdict_strong, r.verdict_weak}
        assert r.survives_every_regime == (len(v) == 1 and v <= {"likely", "unlikely"})
    run = json.loads((out / "run.json").read_text())
    assert [g["name"] for g in run["regimes"]] == ["strong", "weak"] and run["regimes"][0]["believes"] == ["ba_gp"]
    html = (out / "report.html").read_text()
    assert "Which conclusions survive every evidence regime" in html
    assert 'href="strong/report.html"' in html and 'href="weak/report.html"' in html


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(0, 1), st.just(math.nan)), min_size=1, max_size=4))
def test_a_conclusion_survives_only_when_every_regime_gives_the_same_decisive_verdict(shares):
    tables = {}
    for i, s in enumerate(shares):
        tables[f"r{i}"] = pd.DataFrame([
            {"scenario": "base", "is_baseline": True, "outcome": "gp_avoided", "share_better": math.nan,
             "diff_mean": math.nan, "mean": 0.0},
            {"scenario": "plan", "is_baseline": False, "outcome": "gp_avoided", "share_better": s,
             "diff_mean": math.nan, "mean": 1.0}])
    frame = regimes_table(tables)
    verdicts = [verdict(s) for s in shares]
    if not any(verdicts):
        assert frame.empty
        return
    (row,) = frame.itertuples()
    assert row.survives_every_regime == (len(set(verdicts)) == 1 and verdicts[0] in ("likely", "unlikely"))
    for i, s in enumerate(shares):
        v = getattr(row, f"verdict_r{i}")
        assert v == ("" if math.isnan(s) else "likely" if s >= LIKELY else "unlikely" if s <= UNLIKELY else TOSS_UP)


@pytest.mark.parametrize("spec, words", [
    ("controlled,", "an empty name in the list"),
    (",controlled", "an empty name in the list"),
    ("controlled,controlled", "controlled given more than once"),
    ("controlled,no-such-regime", "no-such-regime: no such built-in posterior"),
])
def test_bad_regime_list_is_one_line_exit_2_nothing_written(tmp_path, capsys, spec, words):
    out = tmp_path / "out"
    base, more = ROOT / "configs" / "baseline.toml", ROOT / "configs" / "default.toml"
    rc = main(["compare", str(base), str(more), *sum((["--set", s] for s in TINY), []), "--posterior", spec,
               "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and err.startswith("spsim: error: ") and "Traceback" not in err
    assert words in err
    assert not out.exists()


def test_parse_regimes_keeps_the_order_given():
    assert parse_regimes("uncontrolled,controlled,both") == ["uncontrolled", "controlled", "both"]
