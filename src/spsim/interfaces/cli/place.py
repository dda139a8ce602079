"""``spsim place TABLE --out FILE.toml``: a scenario file from the small table a planner has.

The table (CSV, one row per GP practice; lines starting with ``#`` are notes) has the columns
``practice, list_size, under_25_share, over_65_share, deprivation_decile, setting``:

- ``list_size``: registered patients, a whole number of at least 1;
- ``under_25_share``, ``over_65_share``: shares of the list (0-1, together at most 1);
- ``deprivation_decile``: the practice's IMD decile, 1 (most deprived) to 10 (least);
- ``setting``: ``urban`` or ``rural``.

Place-level values come from options (``--link-worker-fte``, ``--groups``, ``--name``) or a second
small table (``--values FILE.csv`` with ``key,value`` rows: ``name``, ``link_worker_fte``,
``community_groups``); options win. Residents inherit practice, age mix and deprivation from the
table (``[[practice_list]]`` in the scenario). Bad input stops with one line naming the file, row
(the line number in the file) and column, exit status 2, and nothing is written.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from ...errors import ConfigError, OutputError
from ...model.config import validate
from ...model.params import PopulationParams
from .common import dump_toml

COLUMNS = ("practice", "list_size", "under_25_share", "over_65_share", "deprivation_decile", "setting")
VALUE_KEYS = ("name", "link_worker_fte", "community_groups")
#: defaults when the planner gives no value (printed when used)
FTE_PER_RESIDENT = 1 / 50_000  # the national PCN model, about 1 FTE per 50,000 patients (NHS England)
GROUPS_PER_RESIDENT = 2 / 1_000  # the default town's ratio (100 groups for 50,000 residents)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "place", help="build a scenario file from a table of GP practices (list size, age mix, deprivation)",
        description="Build a scenario file from a CSV of GP practices with the columns "
                    + ", ".join(COLUMNS) + ". Residents inherit practice, age mix and deprivation from it.")
    p.add_argument("table", type=Path, help="CSV, one row per GP practice")
    p.add_argument("--out", type=Path, required=True, help="scenario file to write (.toml)")
    p.add_argument("--values", type=Path, metavar="CSV",
                   help="place-level values as key,value rows: " + ", ".join(VALUE_KEYS))
    p.add_argument("--name", help="scenario name (default: the table's file name)")
    p.add_argument("--link-worker-fte", type=float, metavar="FTE",
                   help="link-worker FTE the place funds (default: 1 per 50,000 patients, the national PCN model)")
    p.add_argument("--groups", type=int, metavar="N",
                   help="community groups in the place's directory (default: 2 per 1,000 patients)")
    p.add_argument("--size", type=int, metavar="N",
                   help="residents to simulate (default: the total list size); a smaller copy of the same place")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every non-blank, non-note line."""
    src = str(path)
    if not path.exists():
        raise ConfigError(src, None, "file not found")
    if path.is_dir():
        raise ConfigError(src, None, "is a directory, expected a .csv file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(src, None, f"cannot read file ({e.__class__.__name__})") from None
    out = []
    try:
        for i, cells in enumerate(csv.reader(text.splitlines()), start=1):
            if not cells or not "".join(cells).strip() or cells[0].lstrip().startswith("#"):
                continue
            out.append((i, [c.strip() for c in cells]))
    except csv.Error as e:
        raise ConfigError(src, None, f"not a valid CSV file ({e})") from None
    if not out:
        raise ConfigError(src, None, "no header row: expected the columns " + ", ".join(COLUMNS))
    return out


def _number(src: str, line: int, col: str, text: str, kind: type, lo: float, hi: float, what: str) -> Any:
    where = f"row {line}, column {col}"
    try:
        v = kind(text)
        if kind is float and not math.isfinite(v):
            raise ValueError
    except ValueError:
        raise ConfigError(src, where, f"expected {what}, got {text!r}") from None
    if not lo <= v <= hi:
        raise ConfigError(src, where, f"expected {what}, got {text}")
    return v


def read_practices(path: Path) -> list[dict[str, Any]]:
    """The practice rows of a planner's table, checked; ConfigError (file, row, column) on bad input."""
    src = str(path)
    rows = _rows(path)
    header_line, header = rows[0]
    names = [h.lower() for h in header]
    for col in COLUMNS:
        if col not in names:
            raise ConfigError(src, f"row {header_line}, column {col}",
                              f"missing column (the header has: {', '.join(header)}; expected {', '.join(COLUMNS)})")
    extra = [h for h in names if h not in COLUMNS]
    if extra:
        raise ConfigError(src, f"row {header_line}, column {extra[0]}",
                          f"unknown column (expected {', '.join(COLUMNS)})")
    dup = [h for h in names if names.count(h) > 1]
    if dup:
        raise ConfigError(src, f"row {header_line}, column {dup[0]}", "column given twice")
    index = {h: names.index(h) for h in COLUMNS}
    out: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, cells in rows[1:]:
        if len(cells) != len(names):
            raise ConfigError(src, f"row {line}", f"has {len(cells)} cells, the header has {len(names)}")
        cell = {c: cells[index[c]] for c in COLUMNS}
        name = cell["practice"]
        if not name:
            raise ConfigError(src, f"row {line}, column practice", "empty practice name")
        if name in seen:
            raise ConfigError(src, f"row {line}, column practice",
                              f"practice {name!r} is listed twice (first on row {seen[name]})")
        seen[name] = line
        size = _number(src, line, "list_size", cell["list_size"], int, 1, 10_000_000,
                       "a whole number of patients, 1 or more")
        under = _number(src, line, "under_25_share", cell["under_25_share"], float, 0, 1, "a share from 0 to 1")
        over = _number(src, line, "over_65_share", cell["over_65_share"], float, 0, 1, "a share from 0 to 1")
        if under + over > 1:
            raise ConfigError(src, f"row {line}, column over_65_share",
                              f"under_25_share + over_65_share must be at most 1 (got {under} + {over})")
        decile = _number(src, line, "deprivation_decile", cell["deprivation_decile"], int, 1, 10,
                         "an IMD decile, a whole number from 1 (most deprived) to 10 (least deprived)")
        setting = cell["setting"].lower()
        if setting not in ("urban", "rural"):
            raise ConfigError(src, f"row {line}, column setting", f"expected urban or rural, got {cell['setting']!r}")
        out.append({"name": name, "list_size": size, "under_25_share": under, "over_65_share": over,
                    "deprivation_decile": decile, "setting": setting})
    if not out:
        raise ConfigError(src, None, "no practices: the table has a header but no rows")
    return out


def read_values(path: Path) -> dict[str, Any]:
    """Place-level values from a key,value table."""
    src = str(path)
    rows = _rows(path)
    start = 1 if [c.lower() for c in rows[0][1]][:2] == ["key", "value"] else 0
    out: dict[str, Any] = {}
    for line, cells in rows[start:]:
        if len(cells) != 2:
            raise ConfigError(src, f"row {line}", f"expected two cells (key,value), got {len(cells)}")
        key, text = cells[0].lower(), cells[1]
        if key not in VALUE_KEYS:
            raise ConfigError(src, f"row {line}, column key",
                              f"unknown key {cells[0]!r} (expected {', '.join(VALUE_KEYS)})")
        if key in out:
            raise ConfigError(src, f"row {line}, column key", f"{key} given twice")
        if key == "link_worker_fte":
            out[key] = _number(src, line, "value", text, float, 0, 1000, "link-worker FTE from 0 to 1000")
        elif key == "community_groups":
            out[key] = _number(src, line, "value", text, int, 0, 100_000, "a whole number of groups from 0 to 100,000")
        else:
            out[key] = text
    return out


def build_scenario(practices: list[dict[str, Any]], name: str, fte: float, groups: int,
                   size: int | None) -> dict[str, Any]:
    total = sum(p["list_size"] for p in practices)
    return {
        "simulation": {"name": name},
        "population": {"size": size or total, "described": total},
        "practices": {"count": len(practices)},
        "link_workers": {"fte": fte},
        "groups": {"count": groups},
        "practice_list": practices,
    }


def cmd_place(args: argparse.Namespace) -> int:
    practices = read_practices(args.table)
    values = read_values(args.values) if args.values else {}
    total = sum(p["list_size"] for p in practices)
    src = "spsim place"
    if args.link_worker_fte is not None and not 0 <= args.link_worker_fte <= 1000:
        raise ConfigError(src, "--link-worker-fte", f"must be from 0 to 1000, got {args.link_worker_fte}")
    if args.groups is not None and not 0 <= args.groups <= 100_000:
        raise ConfigError(src, "--groups", f"must be from 0 to 100,000, got {args.groups}")
    lo, hi = (PopulationParams.model_fields["size"].metadata[i] for i in (0, 1))
    if total > hi.le:
        raise ConfigError(str(args.table), "column list_size",
                          f"the lists add up to {total:,} patients, more than the model's {hi.le:,}")
    if args.size is not None and not lo.ge <= args.size <= hi.le:
        raise ConfigError(src, "--size", f"must be from {lo.ge} to {hi.le:,}, got {args.size}")
    if total < lo.ge and args.size is None:
        raise ConfigError(str(args.table), "column list_size",
                          f"the lists add up to {total} patients; the model needs at least {lo.ge} (or give --size)")
    notes = []
    fte = args.link_worker_fte if args.link_worker_fte is not None else values.get("link_worker_fte")
    if fte is None:
        fte = round(total * FTE_PER_RESIDENT, 3)
        notes.append(f"link-worker FTE not given: {fte} (1 per 50,000 patients, the national PCN model)")
    groups = args.groups if args.groups is not None else values.get("community_groups")
    if groups is None:
        groups = round(total * GROUPS_PER_RESIDENT)
        notes.append(f"community groups not given: {groups} (2 per 1,000 patients, the default town's ratio)")
    name = args.name or values.get("name") or args.table.stem
    data = build_scenario(practices, name, float(fte), int(groups), args.size)
    validate(data, f"{src} ({args.table})")  # the file it writes must load

    out: Path = args.out
    if out.suffix.lower() != ".toml":
        raise ConfigError(src, "--out", f"expected a .toml file name, got {out}")
    if out.exists() and not args.force:
        raise OutputError(f"{out}: exists; use --force to replace it")
    if out.exists() and out.is_dir():
        raise OutputError(f"{out}: is a directory")
    header = [
        f"# Built by `spsim place` from {args.table}: {len(practices)} GP practice(s), {total:,} patients.",
        f"# Describes a place of {total:,} residents (population.described = the sum of the list sizes);",
        "# residents inherit practice, age mix (under 25, 65+) and deprivation from [[practice_list]].",
        f"# link_workers.fte = {fte} and groups.count = {groups}: "
        + ("; ".join(notes) if notes else "as given") + ".",
        "# Everything else takes the model's defaults (`spsim params`); edit freely, then `spsim validate` it.",
        "",
    ]
    text = "\n".join(header) + dump_toml(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    for n in notes:
        print(f"spsim place: {n}")
    print(f"spsim place: wrote {out} ({len(practices)} practices, {total:,} residents described"
          + (f", simulated at {args.size:,}" if args.size else "") + f"); run it with `spsim run {out}`")
    return 0
