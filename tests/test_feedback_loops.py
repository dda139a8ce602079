"""docs/feedback-loops.md shows the diagram generated from docs/feedback-loops.mmd, and every
parameter named on the diagram's arrows is a real configuration key."""

from __future__ import annotations

import re
from pathlib import Path

from spsim.model.params import parameter_table

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_page_embeds_the_diagram_source():
    source = (DOCS / "feedback-loops.mmd").read_text(encoding="utf-8").strip()
    page = (DOCS / "feedback-loops.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```mermaid\n(.*?)^```", page, flags=re.M | re.S)
    assert len(blocks) == 1 and blocks[0].strip() == source, (
        "docs/feedback-loops.md is out of date: paste docs/feedback-loops.mmd into its mermaid block")


def test_every_arrow_names_a_real_parameter():
    source = (DOCS / "feedback-loops.mmd").read_text(encoding="utf-8")
    keys = {r["key"] for r in parameter_table()}
    arrows = [line for line in source.splitlines() if "-->" in line]
    assert len(arrows) >= 20
    for line in arrows:
        named = re.findall(r"\[([a-z_]+\.[a-z_0-9]+)\]", line)
        assert named, f"arrow without a parameter: {line}"
        assert set(named) <= keys, f"unknown parameter on an arrow: {line}"
