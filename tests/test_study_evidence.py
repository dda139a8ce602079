"""The simulated studies that calibrate the service's effect (spsim.studies.study_evidence): each
target is the published study made in the model, the regimes name which evidence is believed, and
`spsim calibrate --evidence studies` writes one posterior per regime or fails with one line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import default_config
from spsim.studies import study_evidence as se
from test_cli import run_subprocess

SMALL = {"population.size": 4000, "simulation.weeks": 104, "simulation.burn_in_weeks": 52}


@pytest.fixture(scope="module")
def results():
    return se.study_results(default_config(SMALL), 0)


def test_every_target_has_its_source_band_and_a_regime():
    keys = {t.key for t in se.STUDY_TARGETS}
    assert set(se.REGIMES["both"]) == keys
    assert set(se.REGIMES["controlled"]) | set(se.REGIMES["uncontrolled"]) == keys
    assert not set(se.REGIMES["controlled"]) & set(se.REGIMES["uncontrolled"])
    for t in se.STUDY_TARGETS:
        lo, hi = t.band
        assert lo < t.value < hi and t.sd > 0 and t.source
        assert t.design in ("before-after", "controlled") and t.scale in ("relative", "points")


def test_the_studies_are_deterministic_and_sized(results):
    again = se.study_results(default_config(SMALL), 0)
    assert again == results  # same config and seed: the same study
    assert results["cohort"] > 20 and 0 < results["matched"] <= results["cohort"]
    for t in se.STUDY_TARGETS:
        assert np.isfinite(results[t.key]), t.key
        if t.scale == "relative":
            assert results[t.key] >= -1.0  # a count cannot fall by more than all of it
        else:
            assert abs(results[t.key]) <= 6  # UCLA-3 runs from 3 to 9


def test_before_after_study_is_a_plain_pre_post_of_the_cohort(results):
    """ba_gp computed by hand from the resident history equals the module's value (the module's
    study of the same config and replicate: the ``results`` fixture)."""
    from spsim.studies.evaluation import _run_arm

    cfg = default_config(SMALL)
    h = _run_arm(cfg, 0).history
    first = h.first_referral
    cohort = np.flatnonzero((first >= 52) & (first + 52 < h.weeks) & (h.first_intake >= 0))
    pre = np.array([int(h.bits["gp"][t - 51:t + 1, i].sum()) for i, t in zip(cohort, first[cohort], strict=True)])
    post = np.array([int(h.bits["gp"][t + 1:t + 53, i].sum()) for i, t in zip(cohort, first[cohort], strict=True)])
    assert results["ba_gp"] == pytest.approx((post - pre).mean() / pre.mean())


def test_no_cohort_gives_nan_not_a_number_that_looks_like_evidence():
    res = se.study_results(default_config({**SMALL, "link_workers.fte": 0.0}), 0)
    assert res["cohort"] == 0 and all(np.isnan(res[t.key]) for t in se.STUDY_TARGETS)


def test_calibrate_on_studies_writes_a_posterior_per_regime(tmp_path):
    out = tmp_path / "hm"
    p = run_subprocess(["calibrate", "--method", "history-matching", "--evidence", "studies", "--waves", "1",
                        "--points", "3", "--replicates", "1", "--sets", "5", "--quiet", "--out", str(out),
                        *sum((["--set", f"{k}={v}"] for k, v in SMALL.items()), [])], cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    keys = [pr.key for pr in se.EFFECT_PRIORS]
    for regime in se.REGIMES:
        post = pd.read_csv(out / f"posterior-{regime}.csv")
        assert list(post.columns) == keys and len(post) <= 5
        for pr in se.EFFECT_PRIORS:  # every set lies in its prior box
            assert post[pr.key].between(pr.low, pr.high).all()
        meta = json.loads((out / f"posterior-{regime}.json").read_text())
        assert meta["regime"] == regime and meta["believes"] == list(se.REGIMES[regime])
        assert meta["sets"] == len(post) and {t["key"] for t in meta["targets"]} == set(se.TARGETS_BY_KEY)
    waves = pd.read_csv(out / "waves.csv")
    assert len(waves) == 3 and set(se.TARGETS_BY_KEY) <= set(waves.columns)


@pytest.mark.parametrize("extra, field", [
    (["--set", "simulation.weeks=52", "--set", "simulation.burn_in_weeks=52"], "simulation.weeks"),
    (["--set", "link_workers.fte=0"], "link_workers.fte"),
])
def test_calibrate_on_studies_refuses_what_cannot_be_studied(tmp_path, extra, field):
    out = tmp_path / "hm"
    p = run_subprocess(["calibrate", "--method", "history-matching", "--evidence", "studies", "--points", "2",
                        "--set", "population.size=1000", *extra, "--out", str(out)], cwd=tmp_path)
    assert p.returncode == 2 and field in p.stderr and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_same_waves_in_this_process_in_worker_processes_and_on_dask():
    """The design fixes every run's seed, so where the runs are made does not change the result."""
    from distributed import LocalCluster

    cfg = default_config({**SMALL, "population.size": 1500})
    kw = {"waves": 1, "points": 2, "replicates": 1, "seed": 5}
    serial = se.history_match_studies(cfg, **kw).table()
    assert len(serial) == 2 and np.isfinite(serial[list(se.TARGETS_BY_KEY)].to_numpy(float)).any()
    assert se.history_match_studies(cfg, workers=2, **kw).table().equals(serial)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        assert se.history_match_studies(cfg, scheduler=cluster.scheduler_address, **kw).table().equals(serial)
