"""Scaling a place: a smaller (or larger) copy of the same place.

A scenario describes a real place of ``population.described`` residents (its file's own
``population.size`` unless it says otherwise). When ``population.size`` differs, as with
``--set population.size=10000`` for a quick run, every quantity that belongs to the place and is
given in absolute numbers is multiplied by ``f = size / described``, so that per-capita
provision stays the same: the same place, fewer residents. Rates per resident, per group, per FTE
or per 1,000 (appointments, self-started groups per 10,000, referral and loneliness rates) need
nothing. ``population.scaling = "absolute"`` keeps every value as given.

What scales, and how whole numbers are kept (the rule is written beside each item in
:func:`scale_place` and in ``docs/places.md``):

- link-worker FTE (main team and every extra team): the caseload cap is a whole number of clients
  (``round(fte x caseload_per_fte)``), so the scaled FTE is snapped to whole caseload places,
  ``round(f x fte x caseload_per_fte) / caseload_per_fte`` (at least one place if the team had any).
  Throughput per FTE and salary per caseload place are then exact; capacity per resident is off by
  at most half a place (the 10,000-resident default town's 5.6 places become 6, +7.1%).
- community groups at the start, community connectors and GP practices: rounded to whole numbers
  (practices at least 1); with a ``[[practice_list]]`` residents are shared in proportion to list size,
  so the list needs nothing.
- community-developer FTE and the grant budget: continuous, scaled exactly.
- fixed-length programmes: the total of places is scaled; programmes are rounded (at least one if
  there were any) and places per programme set to keep the total, with running cost per place unchanged.

The result is a new :class:`Config` with ``described = size`` (so scaling twice changes nothing)
and the list of what changed, which ``spsim run`` and ``spsim compare`` print and write to run.json.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from .params import Config


@dataclass(frozen=True)
class Scaled:
    key: str
    given: Any
    used: Any
    how: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


def factor(cfg: Config) -> float:
    """size / described, or 1 when the place is not scaled."""
    pop = cfg.population
    if pop.scaling == "absolute" or pop.described is None:
        return 1.0
    return pop.size / pop.described


def _fte_places(fte: float, per_fte: int, f: float) -> float:
    if fte <= 0:
        return fte
    places = max(1, round_half_up(f * fte * per_fte))
    return places / per_fte


def scale_place(cfg: Config) -> tuple[Config, list[Scaled]]:
    """The scaled scenario and what was scaled (empty when nothing was)."""
    f = factor(cfg)
    if f == 1.0:
        return cfg, []
    data = cfg.model_dump()
    items: list[Scaled] = []

    def put(section: str, key: str, value: Any, how: str, label: str | None = None) -> None:
        old = data[section][key]
        if value != old:
            items.append(Scaled(label or f"{section}.{key}", old, value, how))
        data[section][key] = value

    lw = cfg.link_workers
    put("link_workers", "fte", _fte_places(lw.fte, lw.caseload_per_fte, f),
        "x f, snapped to whole caseload places")
    for i, t in enumerate(cfg.teams):
        new = _fte_places(t.fte, t.caseload_per_fte, f)
        if new != t.fte:
            items.append(Scaled(f"teams[{i}].fte ({t.name})", t.fte, new, "x f, snapped to whole caseload places"))
        data["teams"][i]["fte"] = new
    put("groups", "count", round_half_up(cfg.groups.count * f), "x f, rounded")
    put("connectors", "count", round_half_up(cfg.connectors.count * f), "x f, rounded")
    put("community_development", "fte", cfg.community_development.fte * f, "x f")
    put("grants", "budget_gbp_per_year", cfg.grants.budget_gbp_per_year * f, "x f")
    pr = cfg.programmes
    if pr.count > 0:
        total = pr.count * pr.places * f
        count = max(1, round_half_up(pr.count * f))
        places = max(1, round_half_up(total / count))
        put("programmes", "count", count, "total places x f; programmes rounded, at least 1")
        put("programmes", "places", places, "places per programme to keep the total")
        put("programmes", "weekly_cost_gbp", pr.weekly_cost_gbp * places / pr.places,
            "running cost per place unchanged")
    if not cfg.practice_list:
        put("practices", "count", max(1, round_half_up(cfg.practices.count * f)), "x f, rounded, at least 1")
    data["population"]["described"] = cfg.population.size
    return Config.model_validate(data), items


def describe(cfg: Config, items: list[Scaled]) -> str:
    """One line for the terminal: what was scaled and how to keep absolute values."""
    pop = cfg.population
    if not items:
        if pop.described and pop.described != pop.size:
            return (f"population.scaling = \"absolute\": values used as given for {pop.size:,} residents "
                    f"(the scenario describes {pop.described:,})")
        return ""
    f = factor(cfg)
    parts = ", ".join(f"{s.key} {_num(s.given)} -> {_num(s.used)}" for s in items)
    return (f"scaled to {pop.size:,} of the {pop.described:,} residents the scenario describes (x{f:.4g}): {parts} "
            "(--set population.scaling=absolute keeps the values as given)")


def _num(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return f"{v:,}" if isinstance(v, int) else str(v)
