"""The model's outputs have not moved since tests/baseline.json was last written on purpose."""

from __future__ import annotations

import baseline


def test_outputs_match_the_regression_baseline():
    moved = baseline.differences(baseline.load(), baseline.compute())
    assert not moved, (
        f"{len(moved)} model output(s) moved from tests/baseline.json:\n  " + "\n  ".join(moved[:40])
        + "\nIf this change is meant to move them: run `python tests/update_baseline.py` and say why in CHANGELOG.md."
    )


def test_differences_names_what_moved():
    old = {"town": {"a": 1.0, "b": 2.0, "gone": 3.0}}
    new = {"town": {"a": 1.0, "b": 2.5, "new": 4.0}}
    lines = baseline.differences(old, new)
    assert lines == ["town: b 2 -> 2.5 (+25.0%)", "town: gone removed (3)", "town: new added (4)"]
    assert baseline.differences(new, new) == []
