"""spsim optimise: the budget search (NSGA-II on common random numbers), its Pareto front and its page."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spsim.interfaces.cli import main
from spsim.model.config import load_config
from spsim.studies.optimise import LEVERS, pareto_mask, planned_cost, repair, unit_costs, upper_bounds

TINY = ["population.size=1500", "simulation.burn_in_weeks=10", "groups.count=6"]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=25))
def test_pareto_mask_keeps_exactly_the_undominated(points):
    pts = np.array(points, dtype=float)
    keep = pareto_mask(pts)
    dominated = lambda i, j: (pts[j] >= pts[i]).all() and (pts[j] > pts[i]).any()  # noqa: E731
    for i in range(len(pts)):
        assert keep[i] == (not any(dominated(i, j) for j in range(len(pts))))
    assert keep.any()


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 10), st.floats(0, 10), st.floats(0, 3e5), st.integers(0, 30), st.floats(1e4, 3e5))
def test_repair_fits_the_budget_and_keeps_mixes_that_fit(lw, dev, grants, conn, budget):
    cfg = load_config(None, TINY)
    mix = {"link_worker_fte": lw, "development_fte": dev, "grants_gbp": grants, "connectors": float(conn)}
    fixed = repair(cfg, mix, budget)
    assert planned_cost(cfg, fixed) <= budget + 1e-6
    assert all(0 <= fixed[k] <= mix[k] + 1e-9 for k in LEVERS)
    if planned_cost(cfg, mix) <= budget:
        assert fixed == mix


def test_costs_and_bounds_follow_the_unit_costs():
    cfg = load_config(None, TINY)
    u = unit_costs(cfg)
    assert u["link_worker_fte"] == pytest.approx(38_000 * 1.28)
    assert u["connectors"] == cfg.costs.connector_gbp_per_year
    hi = upper_bounds(cfg, 100_000)
    for k in LEVERS:  # each bound alone fits the budget
        assert planned_cost(cfg, {**{j: 0.0 for j in LEVERS}, k: hi[k]}) <= 100_000 + 1e-6
    assert hi["connectors"] <= 0.02 * 1500


@pytest.fixture(scope="module")
def optimised(tmp_path_factory):
    out = tmp_path_factory.mktemp("optimise") / "out"
    args = ["optimise", "--budget", "90000", "--weeks", "16", "--trials", "6", "--population", "6",
            "--replicates", "2", "--seed", "3", "--out", str(out), "--quiet"]
    for s in TINY:
        args += ["--set", s]
    assert main(args) == 0
    return out


def test_search_writes_a_front_within_budget(optimised):
    trials = pd.read_csv(optimised / "trials.csv")
    front = pd.read_csv(optimised / "pareto.csv")
    assert len(trials) == 6
    assert set(LEVERS) <= set(trials.columns)
    # the first generation starts from every all-on-one-lever mix
    for k in LEVERS:
        others = [j for j in LEVERS if j != k]
        assert ((trials[k] > 0) & (trials[others] == 0).all(axis=1)).any(), k
    assert (trials.within_budget == (trials.planned_cost_gbp <= 90_000 + 1e-6)).all()
    assert trials.within_budget.all()  # mixes over budget are scaled down before they are run
    assert len(front) >= 1 and front.within_budget.all()
    # no mix on the front is beaten on all three objectives by any feasible mix tried
    feas = trials[trials.within_budget]
    for r in front.itertuples():
        beats = ((feas.planned_cost_gbp <= r.planned_cost_gbp) & (feas.lonely_py_avoided >= r.lonely_py_avoided)
                 & (feas.gp_avoided >= r.gp_avoided) & ((feas.planned_cost_gbp < r.planned_cost_gbp)
                 | (feas.lonely_py_avoided > r.lonely_py_avoided) | (feas.gp_avoided > r.gp_avoided)))
        assert not beats.any()
    assert (front.lonely_py_avoided_ci_low <= front.lonely_py_avoided).all()
    assert (front.lonely_py_avoided <= front.lonely_py_avoided_ci_high).all()
    info = json.loads((optimised / "run.json").read_text())
    assert info["sampler"] == "optuna NSGAIISampler" and info["replicates"] == 2


def test_page_is_one_file_with_the_front(optimised):
    html = (optimised / "report.html").read_text(encoding="utf-8")
    assert html.count("<img") == 1 and 'src="data:image/png;base64,' in html
    assert "Pareto front" in html and "Planned cost" in html and "optimistic" in html
    assert "http://" not in html and "https://" not in html


@pytest.mark.parametrize("argv, needle", [
    (["--budget", "0"], "budget must be a number above 0"),
    (["--budget", "lots"], "budget must be a number"),
    (["--budget", "10", "--set", "population.size=1500"], "buys none of the levers"),
])
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, argv, needle):
    out = tmp_path / "out"
    assert main(["optimise", *argv, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err
    assert not out.exists()
