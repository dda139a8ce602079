"""The regression baseline: summary outcomes of a few fixed runs, kept in ``tests/baseline.json``.

Like Starsim's ``baseline.yaml``: a change that moves any model output fails ``test_baseline.py``
until it is made on purpose with ``python tests/update_baseline.py``, and ``CHANGELOG.md`` says
which change moved the outputs and why. The runs are small (3,000 residents, one recorded year,
two replicates) so the check is quick; they switch on the default town and three local models.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = Path(__file__).with_name("baseline.json")
CONFIGS = ROOT / "configs"

#: name -> (scenario file or None for the built-in default, overlays)
CASES: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "default": (None, ()),
    "frome": ("frome.toml", ()),
    "northern-devon": ("northern-devon.toml", ()),
    "st-austell+covid19": ("st-austell.toml", ("overlays/covid19.toml",)),
}
SETTINGS = ["population.size=3000", "simulation.weeks=52", "simulation.replicates=2", "simulation.seed=20261201"]
#: relative tolerance: the runs are deterministic, this only forgives the last bits of float printing
RTOL = 1e-9


def compute() -> dict[str, dict[str, float]]:
    """Each case's summary outcomes, averaged over its replicates."""
    from spsim.model.config import load_config
    from spsim.studies.runner import run

    out: dict[str, dict[str, float]] = {}
    for name, (file, overlays) in CASES.items():
        cfg = load_config(CONFIGS / file if file else None, SETTINGS, overlays=[CONFIGS / o for o in overlays])
        summary = run(cfg).summary().drop(columns=["scenario", "replicate"])
        out[name] = {k: float(v) for k, v in summary.mean(numeric_only=True).items()}
    return out


def load() -> dict[str, dict[str, float]]:
    return json.loads(BASELINE.read_text(encoding="utf-8"))["cases"]


def save(values: dict[str, dict[str, float]]) -> None:
    data = {
        "about": "summary outcomes (mean of 2 replicates) of the runs in tests/baseline.py; "
                 "regenerate with `python tests/update_baseline.py` and say why in CHANGELOG.md",
        "settings": SETTINGS,
        "cases": values,
    }
    BASELINE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=RTOL, abs_tol=1e-12)


def differences(old: dict[str, dict[str, float]], new: dict[str, dict[str, float]]) -> list[str]:
    """One readable line per outcome that moved, appeared or went away."""
    lines = []
    for case in sorted(set(old) | set(new)):
        a, b = old.get(case, {}), new.get(case, {})
        for key in sorted(set(a) | set(b)):
            x, y = a.get(key), b.get(key)
            if _same(x, y):
                continue
            if x is None or y is None:
                lines.append(f"{case}: {key} {'added' if x is None else 'removed'} ({y if x is None else x:.6g})")
                continue
            rel = f" ({(y - x) / abs(x):+.1%})" if x not in (0.0,) and not math.isnan(x) else ""
            lines.append(f"{case}: {key} {x:.6g} -> {y:.6g}{rel}")
    return lines
