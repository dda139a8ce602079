"""docs/ODD.md must stay in step with the code it describes.

Checks: the parameter appendix is exactly what ``spsim params --markdown`` prints; every
parameter key is named in the body too; the process overview lists the mechanisms in
``WEEKLY_ORDER``'s order; the random-stream and uniforms tables match ``rng.STREAM_IDS`` and each
mechanism's ``stream``/``rows``; every outcome column is documented.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spsim.interfaces.cli import main
from spsim.model import WEEKLY_ORDER
from spsim.model.outcomes import COLUMNS
from spsim.model.params import parameter_table
from spsim.model.rng import STREAM_IDS

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"
BEGIN, END = "<!-- BEGIN spsim params --markdown -->\n", "<!-- END spsim params --markdown -->"


@pytest.fixture(scope="module")
def text() -> str:
    return ODD.read_text(encoding="utf-8")


def split_appendix(text: str) -> tuple[str, str]:
    """(the generated block between the markers, the rest of the document)."""
    assert text.count(BEGIN) == 1 and text.count(END) == 1, "parameter table markers missing or repeated"
    i, j = text.index(BEGIN) + len(BEGIN), text.index(END)
    assert i <= j
    return text[i:j], text[:i] + text[j:]


def section(text: str, number: int) -> str:
    """The body of top-level section ``## <number>. ...`` up to the next ``## ``."""
    m = re.search(rf"^## {number}\. .*?$(.*?)(?=^## )", text, flags=re.M | re.S)
    assert m, f"section {number} not found"
    return m.group(1)


def table_rows(block: str, first_cell: str) -> list[list[str]]:
    """Cells of Markdown table rows whose first cell matches the regex ``first_cell``."""
    rows = []
    for line in block.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if re.fullmatch(first_cell, cells[0]):
                rows.append(cells)
    return rows


def test_parameter_appendix_is_the_generated_table(text, capsys):
    assert main(["params", "--markdown"]) == 0
    generated = capsys.readouterr().out
    block, _ = split_appendix(text)
    assert block == generated, (
        "docs/ODD.md Appendix A is out of date: run `PYTHONPATH=$PWD/src python docs/update_params_appendix.py` "
        "(it replaces the lines between the markers with `spsim params --markdown`)"
    )


def test_every_parameter_is_named_in_the_description(text):
    _, body = split_appendix(text)
    fenced = re.findall(r"^```.*?^```", body, flags=re.M | re.S)
    inline = re.findall(r"`[^`\n]+`", re.sub(r"^```.*?^```", "", body, flags=re.M | re.S))
    code_spans = fenced + inline
    named = lambda key: any(re.search(rf"(?<![\w.]){re.escape(key)}(?![\w.])", span) for span in code_spans)  # noqa: E731
    missing = [r["key"] for r in parameter_table() if not named(r["key"])]
    assert not missing, f"parameters not described outside the appendix: {missing}"


def test_process_overview_follows_weekly_order(text):
    overview = section(text, 3)
    steps = re.findall(r"^\d+\. .*?\(`([A-Z]\w*)`", overview, flags=re.M)
    assert steps == [m.__name__ for m in WEEKLY_ORDER] + ["Recorder"]


def test_stream_table_matches_stream_ids(text):
    rows = table_rows(section(text, 4), r"`\w+`")
    ids = {cells[0].strip("`"): int(cells[1]) for cells in rows if len(cells) == 3 and cells[1].isdigit()}
    assert ids == STREAM_IDS


def test_uniforms_table_matches_mechanisms(text):
    rows = table_rows(section(text, 4), r"\d+")
    documented = [(cells[1].strip("`"), cells[2].strip("`"), int(cells[3])) for cells in rows]
    assert documented == [(m.__name__, m.stream, m.rows) for m in WEEKLY_ORDER]


def test_every_outcome_column_is_documented(text):
    observation = section(text, 4)
    missing = [c for c in COLUMNS if f"| `{c}` |" not in observation]
    assert not missing, f"outcome columns missing from section 4.11: {missing}"
