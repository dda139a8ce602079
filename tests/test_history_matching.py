"""History matching: on a simulator whose truth is known, the waves rule out what the evidence
forbids, keep the truth, and give the same result whatever the executor."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from spsim.studies.history_matching import CUTOFF, Observation, Parameter, history_match, implausibility

TRUTH = (0.3, 0.7)


def toy(values, run_seed):
    """Two outputs of two parameters with run-to-run noise (top level, so processes can run it)."""
    a, b = float(values[0]), float(values[1])
    noise = np.random.default_rng(run_seed).normal(0, 0.01, 2)
    return {"sum": a + b + noise[0], "ratio": a / (a + b) + noise[1]}


PARAMS = [Parameter("a", 0.0, 1.0), Parameter("b", 0.0, 1.0)]
OBS = [Observation.from_band("sum", 0.95, 1.05), Observation.from_band("ratio", 0.27, 0.33)]


@pytest.fixture(scope="module")
def result():
    return history_match(toy, PARAMS, OBS, waves=3, points=24, replicates=2, seed=4)


def test_waves_shrink_the_space_and_keep_the_truth(result):
    nroy = [w.nroy_fraction for w in result.waves]
    assert nroy[0] == 1.0  # the first wave samples the whole box
    assert nroy[-1] < 0.2 * nroy[0], nroy  # the evidence rules out most of the box
    assert all(later <= earlier + 1e-12 for earlier, later in zip(nroy, nroy[1:], strict=False)), nroy
    acc = result.accepted()
    assert len(acc) >= 3
    # accepted points reproduce the evidence, so they lie near the truth
    assert abs(acc.a.median() - TRUTH[0]) < 0.1 and abs(acc.b.median() - TRUTH[1]) < 0.1, acc[["a", "b"]]


def test_implausibility_separates_the_evidence_from_its_surroundings():
    obs = [Observation("y", 1.0, 0.01)]
    near = implausibility(np.array([[1.05]]), np.array([[0.0]]), obs, np.array([0.0]))
    far = implausibility(np.array([[1.5]]), np.array([[0.0]]), obs, np.array([0.0]))
    assert near[0] == pytest.approx(0.5) and far[0] == pytest.approx(5.0)
    assert near[0] <= CUTOFF < far[0]
    # the emulator's own uncertainty keeps a point in play
    assert implausibility(np.array([[1.5]]), np.array([[1.0]]), obs, np.array([0.0]))[0] < CUTOFF


def test_same_seed_same_waves_serial_or_in_processes(result):
    import multiprocessing as mp

    with ProcessPoolExecutor(2, mp_context=mp.get_context("forkserver")) as pool:
        again = history_match(toy, PARAMS, OBS, waves=3, points=24, replicates=2, seed=4, map_=pool.map)
    assert again.table().equals(result.table())
    other = history_match(toy, PARAMS, OBS, waves=1, points=24, replicates=2, seed=5)
    assert not other.table().equals(result.table().query("wave == 1"))


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        history_match(toy, PARAMS, OBS, waves=0)


def test_calibrate_command_history_matching_writes_its_files(tmp_path, capsys):
    from spsim.interfaces.cli import main

    out = tmp_path / "hm"
    rc = main(["calibrate", "--method", "history-matching", "--waves", "1", "--points", "3", "--replicates", "2",
               "--set", "population.size=800", "--set", "simulation.weeks=8", "--set", "simulation.burn_in_weeks=4",
               "--out", str(out)])
    assert rc == 0
    assert sorted(p.name for p in out.iterdir()) == ["accepted.csv", "run.json", "waves.csv"]
    import pandas as pd

    waves = pd.read_csv(out / "waves.csv")
    assert len(waves) == 3 and {"implausibility", "inside_bands", "lonely_share"} <= set(waves.columns)
    assert "wave 1: 3 points" in capsys.readouterr().out


def test_regimes_each_keep_their_own_truth_from_the_same_runs():
    """Two readings of conflicting evidence: one believes `sum` near 1.0, the other `sum2` near 0.6
    (toy2: sum2 = a + b as well). One history match with both regimes keeps, for each, the sets its
    own evidence allows, and the design follows both."""
    from spsim.studies.history_matching import nroy_sample

    obs = [Observation.from_band("sum", 0.95, 1.05), Observation.from_band("sum2", 0.55, 0.65)]
    res = history_match(toy2, PARAMS, obs, waves=2, points=20, replicates=2, seed=3,
                        regimes={"high": ["sum"], "low": ["sum2"]})
    high, share_high = nroy_sample(res, "high", 200, seed=1)
    low, share_low = nroy_sample(res, "low", 200, seed=1)
    assert len(high) > 20 and len(low) > 20
    assert np.all(np.abs(high.sum(axis=1) - 1.0) < 0.15), high.sum(axis=1).max()
    assert np.all(np.abs(low.sum(axis=1) - 0.6) < 0.15), low.sum(axis=1).max()
    assert 0 < share_low < 1 and 0 < share_high < 1
    # the second wave's design lies where some regime is not ruled out: near either truth
    second = res.waves[1].design.sum(axis=1)
    assert np.all((np.abs(second - 1.0) < 0.2) | (np.abs(second - 0.6) < 0.2)), second
    with pytest.raises(ValueError, match="unknown observations"):
        history_match(toy2, PARAMS, obs, waves=1, points=4, regimes={"bad": ["nothing"]})


def toy2(values, run_seed):
    a, b = float(values[0]), float(values[1])
    noise = np.random.default_rng(run_seed).normal(0, 0.01, 2)
    return {"sum": a + b + noise[0], "sum2": a + b + noise[1]}
