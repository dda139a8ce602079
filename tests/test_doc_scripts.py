"""The scripts that print the docs' tables still run (a table whose script is broken goes stale
without anyone noticing: docs/local-models.md's once showed a model two versions old)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from conftest import load_script

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    return load_script(ROOT / "docs" / f"{name}.py", name)


def test_the_local_models_snapshot_covers_every_local_model_and_runs_each():
    snap = _load("local_models_snapshot")
    shipped = {p.stem for p in (ROOT / "configs").glob("*.toml")} - {"default", "more-link-workers"}
    assert set(snap.MODELS) == shipped, "a local model is missing from docs/local_models_snapshot.py"
    for name in snap.MODELS:
        row = snap.one(name, size=1500, covid=name == "kingsbridge")
        s = row["s"]
        assert row["residents"] == 1500 and 0 <= s.lonely_share_mean <= 1, name
        assert row["fte"] >= 0 and math.isfinite(row["cost"]) and row["cost"] >= 0, name
        if name == "baseline":
            assert row["fte"] == 0 and s.referrals_total == 0
        else:  # every local model has a service that takes referrals, even scaled to 1,500 residents
            assert row["fte"] > 0 and s.referrals_total > 0, name


def test_the_local_models_tables_are_rewritten_between_their_markers_only():
    snap = _load("local_models_snapshot")
    doc = snap.DOC.read_text(encoding="utf-8")
    begin, end = "<!-- BEGIN local_models_snapshot {} -->", "<!-- END local_models_snapshot {} -->"
    for part in snap.PARTS:  # every table the script makes has its block in the doc
        assert begin.format(part) in doc and end.format(part) in doc, part
    text = f"before\n{begin.format('full')}\n| old |\n{end.format('full')}\nafter"
    out = snap.replace_block(text, "full", "| new |")
    assert out == f"before\n{begin.format('full')}\n| new |\n{end.format('full')}\nafter"
    with pytest.raises(ValueError, match="no '<!-- BEGIN local_models_snapshot small -->'"):
        snap.replace_block(text, "small", "| new |")
