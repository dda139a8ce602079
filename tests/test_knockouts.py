"""The knock-out matrix stays honest: every row still matches the source and names tests that
exist, every weekly mechanism has rows, and (slow) the knock-outs really are caught.

``tools/knockouts.py`` runs the whole matrix (docs/testing.md records the last run). Here the
fast checks run in every test run; ``test_knockouts_are_caught`` applies a sample of rows, one
per mechanism module, and is marked slow.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import load_script
from knockout_matrix import KNOCKOUTS, MODULES_WITHOUT_ROWS, PENDING_REWRITE
from spsim.model import WEEKLY_ORDER

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "spsim"


def _tool():
    return load_script(REPO / "tools" / "knockouts.py", "knockouts_tool")


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}


def test_row_ids_are_unique():
    ids = [r.id for r in KNOCKOUTS]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


LIVE = [r for r in KNOCKOUTS if r.id not in PENDING_REWRITE]


def test_rows_pending_rewrite_are_really_stale():
    """The rows set aside for rewriting after the mechanism rewrites are exactly those whose text is gone."""
    ids = {r.id for r in KNOCKOUTS}
    assert PENDING_REWRITE <= ids, sorted(PENDING_REWRITE - ids)
    still_match = [r.id for r in KNOCKOUTS if r.id in PENDING_REWRITE
                   and (SRC / r.file).exists() and (SRC / r.file).read_text().count(r.old) == 1]
    assert not still_match, f"these rows match the source again: take them off PENDING_REWRITE: {still_match}"


@pytest.mark.parametrize("row", LIVE, ids=[r.id for r in LIVE])
def test_row_matches_the_source_once_and_names_existing_tests(row):
    path = SRC / row.file
    assert path.exists(), row.file
    n = path.read_text().count(row.old)
    assert n == 1, f"{row.id}: the knocked-out text occurs {n} times in src/spsim/{row.file}; update the row"
    assert row.new != row.old and row.what and row.tests
    for node in row.tests:
        file, _, name = node.partition("::")
        assert (REPO / file).exists(), node
        assert re.sub(r"\[.*\]$", "", name) in _test_functions(REPO / file), f"{node} is not a test"


def test_every_weekly_mechanism_module_has_knockouts():
    modules = {m.__module__.rsplit(".", 1)[-1] for m in WEEKLY_ORDER}
    covered = {Path(r.file).stem for r in LIVE}
    assert modules - MODULES_WITHOUT_ROWS <= covered, f"no knock-out rows for {sorted(modules - covered)}"
    assert not (MODULES_WITHOUT_ROWS & covered), "a module with rows now: take it off MODULES_WITHOUT_ROWS"


def test_every_mechanism_module_in_the_source_is_covered():
    on_disk = {p.stem for p in (SRC / "model" / "mechanisms").glob("*.py")} - {"__init__", "base"}
    covered = {Path(r.file).stem for r in LIVE}
    assert on_disk - MODULES_WITHOUT_ROWS <= covered, f"mechanism modules without rows: {sorted(on_disk - covered)}"


#: one row per mechanism module (the first listed), so the slow check touches every module
SAMPLE = [next(r for r in LIVE if Path(r.file).stem == stem)
          for stem in dict.fromkeys(Path(r.file).stem for r in LIVE if "mechanisms" in r.file)]


@pytest.mark.slow
@pytest.mark.parametrize("row", SAMPLE, ids=[r.id for r in SAMPLE])
def test_knockouts_are_caught(row):
    """Apply the knock-out to a copy of src/ and run its tests there: at least one must fail."""
    res = _tool().check_row(row, timeout=600)
    assert res["caught"], f"{row.id}: {res['outcome']}"
