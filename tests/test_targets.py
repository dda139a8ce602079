"""Calibration: the built-in default town lands inside every band of the brief.

The bands and the evidence are ``spsim.studies.calibration.TARGETS`` (the same ones ``spsim targets``
prints). Only the targets with ``evidence=True`` are evidence about the model; the other three
(refusal, engagement, monthly volunteering) read back a parameter set from the same figure and are
checked as input consistency only. One run of the default town (50,000 residents, 52 + 104 weeks,
3 replicates) is checked in one test, so parallel workers do not each rebuild it.
"""

from __future__ import annotations

import numpy as np
import pytest

from spsim.model.config import load_config
from spsim.studies.calibration import EVIDENCE, TARGETS, check_targets


def test_default_town_lands_inside_every_band():
    cfg = load_config(None, ["simulation.replicates=3"])
    assert cfg.population.size == 50_000
    table = check_targets(cfg).set_index("target")
    outside = []
    for target in TARGETS:
        row = table.loc[target.key]
        assert np.isfinite(row["mean"]), target.key
        assert bool(row["evidence"]) == target.evidence
        if not target.low <= row["mean"] <= target.high:
            kind = "evidence" if target.evidence else f"input check of {target.reads_back}"
            outside.append(f"{target.label} ({kind}): {row['mean']:.4g} (95% interval {row['ci_low']:.4g} to "
                           f"{row['ci_high']:.4g}) outside {target.low}-{target.high} ({target.source})")
    assert not outside, "\n".join(outside)


def test_input_checks_are_not_counted_as_evidence():
    """A target that reads back a parameter says which one; the evidence list excludes it."""
    keys = {t.key for t in EVIDENCE}
    for t in TARGETS:
        assert t.evidence == (t.key in keys)
        assert t.evidence or t.reads_back.split()[0].count(".") == 1, t.key
    assert {"refusal", "engagement", "volunteering"}.isdisjoint(keys)
    assert {"lonely_share", "gp_per_person_year", "gp_social_share", "lw_throughput"} <= keys


def test_targets_command_prints_every_target(capsys):
    from spsim.interfaces.cli import main

    assert main(["targets", "--replicates", "2", "--set", "population.size=2000",
                 "--set", "simulation.weeks=8", "--set", "simulation.burn_in_weeks=4"]) == 0
    out = capsys.readouterr().out
    for t in TARGETS:
        line = next(ln for ln in out.splitlines() if ln.startswith(t.label))
        assert ("input check" in line) == (not t.evidence), line
    assert "not evidence" in out


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
