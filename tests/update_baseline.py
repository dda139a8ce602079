"""Regenerate tests/baseline.json on purpose, and print what moved.

    .venv/bin/python tests/update_baseline.py

Then add a line to CHANGELOG.md under "Unreleased" saying which change moved the outputs and why.
"""

from __future__ import annotations

import sys

import baseline

if __name__ == "__main__":
    new = baseline.compute()
    old = baseline.load() if baseline.BASELINE.exists() else {}
    moved = baseline.differences(old, new)
    baseline.save(new)
    print("\n".join(moved) if moved else "no outputs moved")
    print(f"wrote {baseline.BASELINE} ({len(moved)} outcome(s) changed)", file=sys.stderr)
