"""Calibration: the built-in default town lands inside every evidence band of the brief.

The bands and the evidence are ``spsim.studies.calibration.TARGETS`` (the same ones ``spsim targets``
prints). One run of the default town (50,000 residents, 52 + 104 weeks, 3 replicates) is shared
by the per-target tests.
"""

from __future__ import annotations

import numpy as np
import pytest

from spsim.model.config import load_config
from spsim.studies.calibration import TARGETS, check_targets


@pytest.fixture(scope="module")
def table():
    cfg = load_config(None, ["simulation.replicates=3"])
    assert cfg.population.size == 50_000
    return check_targets(cfg).set_index("target")


@pytest.mark.parametrize("target", TARGETS, ids=[t.key for t in TARGETS])
def test_default_town_lands_inside_band(table, target):
    row = table.loc[target.key]
    assert np.isfinite(row["mean"])
    assert target.low <= row["mean"] <= target.high, (
        f"{target.label}: {row['mean']:.4g} (95% interval {row['ci_low']:.4g} to {row['ci_high']:.4g}) "
        f"outside {target.low}-{target.high} ({target.source})")


def test_targets_command_prints_every_target(capsys):
    from spsim.interfaces.cli import main

    assert main(["targets", "--replicates", "2", "--set", "population.size=2000",
                 "--set", "simulation.weeks=8", "--set", "simulation.burn_in_weeks=4"]) == 0
    out = capsys.readouterr().out
    for t in TARGETS:
        assert t.label in out


def test_latin_hypercube_fills_every_slice_once():
    from spsim.studies.calibration import latin_hypercube

    u = latin_hypercube(40, 3, np.random.default_rng(0))
    assert u.shape == (40, 3) and (u >= 0).all() and (u < 1).all()
    for j in range(3):
        assert sorted(np.floor(u[:, j] * 40).astype(int)) == list(range(40))


def test_distance_is_one_at_the_band_edges():
    t = TARGETS[0]
    assert t.distance(t.centre) == 0
    assert t.distance(t.low) == pytest.approx(1) and t.distance(t.high) == pytest.approx(1)
    assert t.distance(float("nan")) == float("inf")


def test_calibrate_command_writes_samples_and_posterior(tmp_path, capsys):
    import pandas as pd

    from spsim.interfaces.cli import main
    from spsim.studies.calibration import PRIORS

    out = tmp_path / "cal"
    assert main(["calibrate", "--samples", "4", "--out", str(out), "--set", "population.size=1500",
                 "--set", "simulation.weeks=6", "--set", "simulation.burn_in_weeks=2"]) == 0
    samples = pd.read_csv(out / "samples.csv")
    post = pd.read_csv(out / "posterior.csv")
    assert len(samples) == 4 and set(p.key for p in PRIORS) <= set(samples.columns)
    for p in PRIORS:  # every sample lies inside its prior
        assert samples[p.key].between(p.low, p.high).all()
    assert list(post["parameter"]) == [p.key for p in PRIORS]
    assert samples["accepted"].equals(samples["distance"] <= 1.0)
