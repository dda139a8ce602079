"""Regenerate Appendix A of docs/ODD.md from ``spsim params --markdown``, in place.

    PYTHONPATH=src python docs/update_params_appendix.py           # rewrite the appendix
    PYTHONPATH=src python docs/update_params_appendix.py --check   # exit 1 if it is out of date

Rerun it after changing a parameter in src/spsim/params.py (default, unit, range, source or
text). Only the lines between the two marker comments are replaced; the rest of the document is
left as it is. tests/test_docs.py fails when the appendix differs from the command's output.
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ODD = HERE / "ODD.md"
BEGIN, END = "<!-- BEGIN spsim params --markdown -->\n", "<!-- END spsim params --markdown -->"

# Describe the code of this checkout, not whatever spsim is installed.
sys.path.insert(0, str(HERE.parent / "src"))


def generated_table() -> str:
    from spsim.interfaces.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["params", "--markdown"])
    if rc != 0:
        raise SystemExit(f"spsim params --markdown failed with status {rc}")
    return buf.getvalue()


def updated(text: str, table: str) -> str:
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        raise SystemExit(f"{ODD}: expected exactly one pair of markers {BEGIN.strip()!r} ... {END!r}")
    i, j = text.index(BEGIN) + len(BEGIN), text.index(END)
    if i > j:
        raise SystemExit(f"{ODD}: the END marker comes before the BEGIN marker")
    return text[:i] + table + text[j:]


def main(argv: list[str]) -> int:
    check = "--check" in argv
    text = ODD.read_text(encoding="utf-8")
    new = updated(text, generated_table())
    if new == text:
        print(f"{ODD.name}: Appendix A is up to date")
        return 0
    if check:
        print(f"{ODD.name}: Appendix A is out of date; run `python docs/update_params_appendix.py`")
        return 1
    ODD.write_text(new, encoding="utf-8")
    print(f"{ODD.name}: Appendix A regenerated from `spsim params --markdown`")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
