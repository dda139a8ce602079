"""The planner page's work, without a web server: scenarios from presets or uploaded files, a
comparison run on common random numbers, and the report, all through the comparison's public
functions (:func:`spsim.studies.compare.load_scenarios`, :func:`~spsim.studies.compare.run_comparison`,
:func:`spsim.interfaces.report.build_report`), so the page shows whatever the report contains.

The first scenario chosen is the baseline. Replicates and years apply to every scenario
(``simulation.replicates``, ``simulation.weeks = 52 x years``); "residents" optionally runs a smaller
copy for a quick look (``population.size``). Uploaded files are written to a private temporary
folder under their own (sanitised) name and validated like any scenario file: a bad file gives one
line naming it and the field.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import ConfigError, UsageError
from ...studies.compare import load_scenarios, run_comparison
from ..report import build_report
from .presets import CONFIG_SUFFIXES, NO_SERVICE, discover_presets

MAX_UPLOAD_BYTES = 1_000_000
REPLICATES = (2, 20)
YEARS = (1, 5)


@dataclass
class PlannerResult:
    html: str  # the whole report.html
    plots: dict[str, bytes]  # the report's charts (PNG)
    table: object  # comparison.csv as a DataFrame
    summary: str  # the report's findings as text
    notes: list[str] = field(default_factory=list)  # adjustments made so the scenarios are paired


def planner_presets(configs=None) -> dict[str, Path]:
    """The scenario files a planner can pick (every preset that is a file of its own)."""
    return {k: v for k, v in discover_presets(configs).items() if k != NO_SERVICE}


def save_upload(name: str, data: bytes, folder: Path) -> Path:
    """Write an uploaded scenario file into ``folder`` under a safe version of its name."""
    stem, suffix = Path(name).stem, Path(name).suffix.lower()
    if suffix not in CONFIG_SUFFIXES:
        raise ConfigError(name, None, f"not a scenario file: expected {', '.join(CONFIG_SUFFIXES)}")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ConfigError(name, None, f"too large for a scenario file ({len(data):,} bytes)")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("._") or "uploaded"
    path = folder / f"{safe}{suffix}"
    path.write_bytes(data)
    return path


def check_choice(replicates: int, years: int, chosen: list) -> None:
    if len(chosen) < 2:
        raise UsageError("choose at least two scenarios (the first is the baseline)")
    if not REPLICATES[0] <= int(replicates) <= REPLICATES[1]:
        raise UsageError(f"replicates must be {REPLICATES[0]}-{REPLICATES[1]}, got {replicates}")
    if not YEARS[0] <= int(years) <= YEARS[1]:
        raise UsageError(f"years must be {YEARS[0]}-{YEARS[1]}, got {years}")


def run_planner(
    presets: list[str],
    uploads: list[tuple[str, bytes]] = (),
    replicates: int = 5,
    years: int = 2,
    residents: int | None = None,
    progress=None,
    configs=None,
) -> PlannerResult:
    """Compare the chosen presets and uploaded files (baseline first); ``progress(done, total)`` is
    called after each run. Raises ConfigError / UsageError with a one-line message on bad input."""
    known = planner_presets(configs)
    for p in presets:
        if p not in known:
            raise ConfigError("planner", "scenario", f"no preset {p!r}")
    check_choice(replicates, years, [*presets, *uploads])
    overrides = [f"simulation.replicates={int(replicates)}", f"simulation.weeks={52 * int(years)}"]
    if residents:
        overrides.append(f"population.size={int(residents)}")
    with tempfile.TemporaryDirectory(prefix="spsim-planner-") as tmp:
        paths = [str(known[p]) for p in presets]
        for i, (name, data) in enumerate(uploads):
            folder = Path(tmp) / str(i)
            folder.mkdir()
            paths.append(str(save_upload(name, data, folder)))
        scenarios = load_scenarios(paths, None, overrides, [])
    total = len(scenarios) * scenarios[0].cfg.simulation.replicates
    count = [0]

    def done(_result=None):
        count[0] += 1
        if progress is not None:
            progress(count[0], total)

    comp = run_comparison(scenarios, 1, done)
    comp.overrides = overrides
    report = build_report(comp)
    notes = [f"'{sc.name}' uses the baseline's {key} = {used} (its file gives {have})"
             for sc in scenarios[1:] for key, have, used in sc.adjusted]
    return PlannerResult(html=report.html, plots=dict(getattr(report, "plots", {}) or {}), table=comp.table,
                         summary=getattr(report, "text_summary", ""), notes=notes)
