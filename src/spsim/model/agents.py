"""Mesa agents for spsim: residents, GP practices, link workers and community groups.

Each agent is a view onto one row of a columnar :class:`~spsim.tables.Table`: reading
``resident.lonely`` reads ``model.residents.lonely[resident.idx]``. The weekly rules work on the
whole arrays at once (see :mod:`spsim.model`); the agents are for inspection, drawing and
teaching, and they are registered with Mesa so ``model.agents_by_type`` and AgentSet tools work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa

from .tables import GROUP_KINDS, NEEDS

if TYPE_CHECKING:
    from .tables import Table


class column:
    """Descriptor exposing one column of the agent's table as an attribute."""

    def __init__(self, name: str | None = None):
        self.column = name

    def __set_name__(self, owner: type, name: str) -> None:
        self.column = self.column or name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        return getattr(obj.table, self.column)[obj.idx].item()

    def __set__(self, obj: Any, value: Any) -> None:
        getattr(obj.table, self.column)[obj.idx] = value


class RowAgent(mesa.Agent):
    """A Mesa agent whose state is row ``idx`` of a table owned by the model."""

    table_name: str = ""

    def __init__(self, model: mesa.Model, idx: int):
        super().__init__(model)
        self.idx = int(idx)

    @property
    def table(self) -> Table:
        return getattr(self.model, self.table_name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(idx={self.idx})"


class Resident(RowAgent):
    """A resident. All behaviour is in the weekly whole-array rules, not in ``step``."""

    table_name = "residents"
    age_band = column()
    household = column()
    lives_alone = column()
    neighbourhood = column()
    deprivation = column()
    practice = column()
    ltc = column()
    age_group = column()
    sex = column()
    disability = column()
    rural = column()
    in_episode = column()
    lonely = column()
    wellbeing = column()
    confidence = column()
    lw_status = column()
    lw_team = column()
    group = column()
    volunteer = column()
    volunteer_group = column()
    connector = column()

    @property
    def needs(self) -> list[str]:
        bits = int(self.table.needs[self.idx])
        return [name for i, name in enumerate(NEEDS) if bits >> i & 1]

    @property
    def ties(self) -> list[int]:
        """Indices of the residents this one is tied to (household, neighbours, groups)."""
        return self.model.network.neighbours(self.idx).tolist()


class GPPractice(RowAgent):
    table_name = "practices"
    list_size = column()
    capacity = column()
    recognition = column()
    referral = column()
    feedback = column()


class LinkWorker(RowAgent):
    table_name = "link_workers"
    team = column()
    fte = column()
    caseload_cap = column()
    clients = column()
    supported = column()


class CommunityGroup(RowAgent):
    table_name = "groups"
    open = column()
    neighbourhood = column()
    members = column()
    volunteers = column()
    places = column()
    funds = column()
    weeks_short = column()
    online = column()
    fixed_weeks = column()

    @property
    def kind(self) -> str:
        return GROUP_KINDS[int(self.table.kind[self.idx])]
