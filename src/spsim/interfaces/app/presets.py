"""Presets for the classroom app: which scenario files it offers, and what the sliders show for each.

A preset is a scenario file. The app offers the packaged ``classroom`` town (``presets/classroom.toml``,
the default: a 2,000-resident teaching town in which a waiting list forms within weeks), every valid
scenario file in the configs folder (found at run time, so new local models appear by themselves),
and ``no social prescribing`` (the classroom town without link work).

**Scaling.** The sliders are levers of a small town, but most presets describe a whole place (the
default town: 50,000 residents, 2 FTE, 100 groups). A classroom town is a scaled copy of the
preset's place (:func:`spsim.model.scaling.scale_place`: link-worker FTE of every team snapped to
whole caseload places, groups, practices, connectors and the rest per resident), and choosing a
preset sets the sliders to that copy's values, so "1 FTE per 50,000" stays 1 FTE per 50,000 in a
classroom town (1 caseload place at 2,000). Spillover is a share and is not scaled. Whatever the
sliders then say is what the town gets: their values are set on the scaled copy as they are, and
nothing is scaled twice.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

from ...model.config import ConfigError, load_config, validate
from ...model.params import Config
from ...model.scaling import scale_place

NO_SERVICE = "no social prescribing"
CLASSROOM = "classroom"
CLASSROOM_FILE = Path(__file__).resolve().parent / "presets" / "classroom.toml"
CONFIG_SUFFIXES = (".toml", ".yaml", ".yml")  # preferred first when two files share a name
CONFIGS_ENV = "SPSIM_CONFIGS"
CLASSROOM_WEEKS = 520  # the app stops after ten years

#: the sliders: name -> (label, min, max, step); the classroom app's levers
SLIDERS = {
    "population": ("Residents", 200, 3000, 100),
    "fte": ("Link-worker capacity (FTE)", 0.0, 1.0, 0.01),
    "spillover": ("Volunteering spillover", 0.0, 1.0, 0.05),
    "groups": ("Community groups at the start", 0, 30, 1),
}


def configs_dir(explicit: str | Path | None = None) -> Path | None:
    """Where presets come from: ``explicit``, else ``$SPSIM_CONFIGS``, else ``./configs``, else the
    ``configs/`` folder of the source checkout this package was installed from."""
    for cand in (explicit, os.environ.get(CONFIGS_ENV) or None, Path.cwd() / "configs",
                 Path(__file__).resolve().parents[4] / "configs"):
        if cand is not None and Path(cand).is_dir():
            return Path(cand)
    return None


def discover_presets(folder: str | Path | None = None) -> dict[str, Path]:
    """Preset name -> scenario file: ``classroom`` first, every valid scenario file in the configs
    folder, then :data:`NO_SERVICE` (-> the classroom file, with link work switched off). Files that
    do not validate are left out with one line on stderr (once: the folder is read again only when
    a file in it changes)."""
    where = configs_dir(folder)
    files: tuple = ()
    if where is not None:
        found = [p for p in where.iterdir() if p.is_file() and p.suffix.lower() in CONFIG_SUFFIXES]
        files = tuple(sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in found))
    return dict(_scan(files))


@functools.lru_cache(maxsize=16)
def _scan(files: tuple) -> tuple[tuple[str, Path], ...]:
    found: dict[str, Path] = {CLASSROOM: CLASSROOM_FILE}
    paths = [Path(f) for f, _, _ in files]
    paths.sort(key=lambda p: (p.stem, CONFIG_SUFFIXES.index(p.suffix.lower())))
    for p in paths:
        if p.stem in found or p.stem == NO_SERVICE:
            continue
        try:
            load_config(p)
        except ConfigError as e:
            print(f"spsim app: preset skipped: {e}", file=sys.stderr)
            continue
        found[p.stem] = p
    found[NO_SERVICE] = CLASSROOM_FILE
    return tuple(found.items())


def _preset_path(preset: str, configs: str | Path | None) -> Path:
    presets = discover_presets(configs)
    if preset not in presets:
        raise ConfigError("app", "preset", f"no preset {preset!r}; choose one of {', '.join(presets)}")
    return presets[preset]


def _scaled_preset(preset: str, population: int, configs, extra=()) -> Config:
    """The preset as a scaled copy of its place at ``population`` residents (spsim.model.scaling:
    FTE snapped to whole caseload places, groups, practices, connectors... per resident), so the
    model scales nothing more."""
    cfg = load_config(_preset_path(preset, configs), [f"population.size={int(population)}", *extra])
    return scale_place(cfg)[0]


def preset_levers(preset: str, population: int | None = None, configs: str | Path | None = None) -> dict:
    """The slider values for ``preset`` in a town of ``population`` residents (default: the classroom
    town's 2,000): the preset's link-worker FTE and groups as a scaled copy of its place has them
    (:func:`spsim.model.scaling.scale_place`), its spillover as is. Also ``team_fte`` (each extra
    team's FTE, scaled) and ``caseload_per_fte``."""
    n = int(population or load_config(CLASSROOM_FILE).population.size)
    cfg = _scaled_preset(preset, n, configs)
    off = preset == NO_SERVICE
    return {
        "population": n,
        "fte": 0.0 if off else round(cfg.link_workers.fte, 2),
        "spillover": round(cfg.volunteering.spillover, 2),
        "groups": int(cfg.groups.count),
        "team_fte": [0.0 if off else t.fte for t in cfg.teams],
        "caseload_per_fte": cfg.link_workers.caseload_per_fte,
    }


def parse_seed(seed: int | str) -> int:
    try:
        value = int(str(seed).strip())
    except ValueError:
        raise ConfigError("app", "seed", f"must be a whole number, got {seed!r}") from None
    if value < 0:
        raise ConfigError("app", "seed", f"must be 0 or more, got {value}")
    return value


def classroom_config(
    population: int = 2000,
    fte: float = 0.15,
    spillover: float = 0.15,
    groups: int = 6,
    preset: str = CLASSROOM,
    seed: int | str = "1",
    weeks: int = CLASSROOM_WEEKS,
    configs: str | Path | None = None,
) -> Config:
    """The scenario for a classroom town: the preset as a scaled copy of its place at ``population``
    residents (everything that belongs to the place, per resident), then the sliders' FTE, spillover
    and groups taken as they are. ``no social prescribing`` switches link work off whatever the FTE
    slider says."""
    cfg = _scaled_preset(preset, int(population), configs, [
        f"simulation.seed={parse_seed(seed)}",
        f"simulation.weeks={int(weeks)}",
        "simulation.replicates=1",
        f'simulation.name="{preset}"',
    ])
    data = cfg.model_dump()
    data["link_workers"]["fte"] = 0.0 if preset == NO_SERVICE else round(float(fte), 6)
    data["volunteering"]["spillover"] = round(float(spillover), 6)
    data["groups"]["count"] = int(groups)
    if preset == NO_SERVICE:
        for team in data["teams"]:
            team["fte"] = 0.0
    path = _preset_path(preset, configs)
    return validate(data, f"{path} (classroom app)")
