"""Typed, validated scenario parameters.

Every field carries its unit, its allowed range, its default and its source (or the word
"assumption") so that ``spsim validate`` and ``docs/ODD.md`` can print the full table. Sections
are small pydantic models; unknown keys are errors (``extra="forbid"``).

The parameter table in the docs is generated from these definitions by
``spsim params --markdown``; edit here, not there.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, field_validator

from .base import P, Section
from .community import (
    AppParams,
    CommunityDevelopmentParams,
    ConnectorParams,
    GrantParams,
    GroupParams,
    OutreachParams,
    ProgrammeParams,
    VolunteeringParams,
)
from .people import HealthParams, LonelinessParams, NeedsParams, WellbeingParams
from .place import NetworkParams, PopulationParams, PracticeParams, PracticeRow, SimulationParams
from .scenario import CostParams, ShockParams
from .service import DemandParams, LinkWorkerParams, ReferralParams, TeamParams, WorkforceParams


class Config(Section):
    """A whole scenario. Every section has defaults: an empty file is the default town."""
    simulation: SimulationParams = SimulationParams()
    population: PopulationParams = PopulationParams()
    network: NetworkParams = NetworkParams()
    health: HealthParams = HealthParams()
    needs: NeedsParams = NeedsParams()
    loneliness: LonelinessParams = LonelinessParams()
    wellbeing: WellbeingParams = WellbeingParams()
    practices: PracticeParams = PracticeParams()
    practice_list: list[PracticeRow] = P([], unit="-", source="the planner's table (spsim place)",
                                         doc="The place's GP practices one by one (see PracticeRow); residents inherit practice, age mix and deprivation from them")
    referral: ReferralParams = ReferralParams()
    link_workers: LinkWorkerParams = LinkWorkerParams()
    groups: GroupParams = GroupParams()
    volunteering: VolunteeringParams = VolunteeringParams()
    demand: DemandParams = DemandParams()
    workforce: WorkforceParams = WorkforceParams()
    teams: list[TeamParams] = P([], unit="-", source="local model", doc="Extra link-work teams (see TeamParams)")
    connectors: ConnectorParams = ConnectorParams()
    community_development: CommunityDevelopmentParams = CommunityDevelopmentParams()
    outreach: OutreachParams = OutreachParams()
    app: AppParams = AppParams()
    programmes: ProgrammeParams = ProgrammeParams()
    grants: GrantParams = GrantParams()
    shock: ShockParams = ShockParams()
    costs: CostParams = CostParams()

    @field_validator("practice_list")
    @classmethod
    def _unique_practices(cls, v: list[PracticeRow]) -> list[PracticeRow]:
        seen: set[str] = set()
        for row in v:
            if row.name in seen:
                raise ValueError(f"practice {row.name!r} is listed twice")
            seen.add(row.name)
        return v


def parameter_table(model: type[BaseModel] = Config, prefix: str = "") -> list[dict[str, Any]]:
    """Flatten the config schema into rows: key, default, unit, range, source, description."""
    rows: list[dict[str, Any]] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            rows.extend(parameter_table(ann, key + "."))
            continue
        item = (getattr(ann, "__args__", None) or (None,))[0]
        if getattr(ann, "__origin__", None) is list and isinstance(item, type) and issubclass(item, BaseModel):
            rows.extend(parameter_table(item, key + "[]."))
            continue
        lo = hi = None
        for m in field.metadata:
            lo = f"{m.ge}" if getattr(m, "ge", None) is not None else lo
            lo = f"{m.gt} (excl.)" if getattr(m, "gt", None) is not None else lo  # gt: the bound is refused
            hi = f"{m.le}" if getattr(m, "le", None) is not None else hi
            hi = f"{m.lt} (excl.)" if getattr(m, "lt", None) is not None else hi
        extra = field.json_schema_extra or {}
        choices = getattr(ann, "__args__", None) if getattr(ann, "__origin__", None) is Literal else None
        if choices:
            rng = " | ".join(map(str, choices))
        elif lo is None and hi is None:
            rng = "any text" if ann is str else "any"
        else:
            rng = f"{lo if lo is not None else ''} to {hi if hi is not None else ''}".strip()
        rows.append(
            dict(key=key, default=field.default, unit=extra.get("unit", ""), range=rng,
                 source=extra.get("source", ""), description=field.description or "")
        )
    return rows


__all__ = [
    "AppParams",
    "CommunityDevelopmentParams",
    "Config",
    "ConnectorParams",
    "CostParams",
    "DemandParams",
    "GrantParams",
    "GroupParams",
    "HealthParams",
    "LinkWorkerParams",
    "LonelinessParams",
    "NeedsParams",
    "NetworkParams",
    "OutreachParams",
    "P",
    "PopulationParams",
    "PracticeParams",
    "PracticeRow",
    "ProgrammeParams",
    "ReferralParams",
    "Section",
    "ShockParams",
    "SimulationParams",
    "TeamParams",
    "VolunteeringParams",
    "WellbeingParams",
    "WorkforceParams",
    "parameter_table",
]
