"""Columnar state: one numpy array per attribute, one row per entity.

Residents, practices, link workers and groups all keep their state in a :class:`Table`; the
Mesa agents in :mod:`spsim.agents` are thin views onto one row, so agent-level code (the app,
notebooks, tests) and whole-array weekly rules read and write the same numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Table:
    """A fixed set of named columns that can grow by appending rows."""

    #: column name -> (dtype, fill value for new rows); subclasses override
    schema: dict[str, tuple[Any, Any]] = {}

    def __init__(self, n: int = 0, capacity: int | None = None):
        self.n = int(n)
        cap = max(int(capacity or n), 1)
        self._cols: dict[str, np.ndarray] = {}
        for name, (dtype, fill) in self.schema.items():
            self._cols[name] = np.full(cap, fill, dtype=dtype)
        self._refresh_views()

    # ``table.col`` is the view ``_cols[col][: n]``. The views are kept in the instance's
    # ``__dict__`` (rebuilt whenever ``n`` or a column's storage changes, in ``append``), so reading
    # a column is a plain attribute look-up: the weekly step reads about 400 columns a week, and a
    # ``__getattr__`` that sliced on every read cost about 2 us each (measured, default town).
    def _refresh_views(self) -> None:
        d = self.__dict__
        for name, arr in self._cols.items():
            d[name] = arr[: self.n]

    def __setattr__(self, name: str, value: Any) -> None:
        cols = self.__dict__.get("_cols")
        if cols is not None and name in cols:
            self.__dict__[name][...] = value  # write into the column, never rebind it
        else:
            object.__setattr__(self, name, value)

    def __getstate__(self) -> dict[str, Any]:  # the views are rebuilt, not copied (pickle, deepcopy)
        cols = self.__dict__["_cols"]
        return {k: v for k, v in self.__dict__.items() if k not in cols}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._refresh_views()

    def __len__(self) -> int:
        return self.n

    def append(self, k: int) -> slice:
        """Add ``k`` rows filled with the schema defaults; return the slice of the new rows."""
        start = self.n
        need = start + k
        for name, arr in self._cols.items():
            if need > arr.shape[0]:
                dtype, fill = self.schema[name]
                grown = np.full(max(need, 2 * arr.shape[0]), fill, dtype=dtype)
                grown[:start] = arr[:start]
                self._cols[name] = grown
        self.n = need
        self._refresh_views()
        return slice(start, need)

    def nbytes(self) -> int:
        return sum(a.nbytes for a in self._cols.values())


I32 = np.int32


class ResidentTable(Table):
    schema = {
        # fixed characteristics
        "age_band": (np.int8, 1),  # 0: under 25, 1: 25-64, 2: 65+
        "household": (I32, -1),
        "lives_alone": (np.bool_, False),
        "neighbourhood": (I32, -1),
        "deprivation": (np.int8, 3),  # quintile 1 (least) .. 5 (most deprived)
        "practice": (I32, -1),
        "ltc": (np.bool_, False),
        # who lives there (population.add_attributes; the "attributes" stream)
        "age_group": (np.int8, 3),  # index into population.AGE_GROUPS, inside age_band
        "sex": (np.int8, 0),  # 0 female, 1 male
        "disability": (np.bool_, False),  # disabled under the Equality Act (Census 2021 definition)
        "rural": (np.bool_, False),  # lives in a rural practice's area ([[practice_list]] setting)
        "gp_base": (np.float32, 0.0),  # medical consultations per week outside episodes
        "ae_base": (np.float32, 0.0),  # A&E attendances per week outside episodes
        "need_onset_mult": (np.float32, 1.0),
        "queue_key": (np.float32, 0.0),  # fixed tie-break for queues and allocations
        # changing state
        "in_episode": (np.bool_, False),
        "needs": (np.uint8, 0),  # bitmask over NEEDS
        "lonely": (np.bool_, False),
        "wellbeing": (np.float32, 7.0),  # 0-10 (ONS life-satisfaction scale)
        "confidence": (np.float32, 0.5),  # 0-1
        "lw_status": (np.int8, 0),  # 0 none, 1 waiting, 2 on a caseload
        "lw_since": (I32, -1),  # week the current status began
        "lw_worker": (I32, -1),
        "lw_team": (np.int8, -1),  # team of the current referral: 0 main, 1.. extra teams
        "lw_contacts": (np.int16, 0),
        "lw_planned": (np.int16, 0),  # contacts planned for the current spell (needs, caseload pressure)
        "lw_accompanied": (np.bool_, False),
        "lw_eligible_from": (I32, -(2**30)),  # cooldown after leaving link work
        "group": (I32, -1),  # community group attended (a place), -1 none
        "group_since": (I32, -1),
        "group_accompanied": (np.bool_, False),
        "group_referred": (np.bool_, False),  # holds the place as a referred member (link work)
        "group_queue": (I32, -1),  # group whose waiting list the resident is on, -1 none
        "group_queue_since": (I32, 0),  # week they joined that waiting list
        "attended": (np.bool_, False),  # attended a group session this week
        "volunteer": (np.bool_, False),  # formal volunteering (any cause) this month
        "volunteer_group": (I32, -1),  # the group volunteered for, -1 none
        "connector": (np.bool_, False),  # community connector signposting their own ties
        "times_referred": (np.int16, 0),
        "times_supported": (np.int16, 0),
        # people: health, loneliness and the instruments (docs/ODD.md, "People")
        "episode_gp": (np.float32, 0.0),  # extra GP demand per week of the current illness episode
        "bereaved": (np.bool_, False),  # recently bereaved of someone close
        "lonely_trait": (np.float32, 0.0),  # lasting disposition to loneliness (standard normal)
        "ucla": (np.float32, 4.0),  # true UCLA-3 loneliness score (3-9, continuous)
        "swemwbs_offset": (np.float32, 0.0),  # lasting person-level part of SWEMWBS beyond wellbeing
        "ls_offset": (np.float32, 0.0),  # lasting person-level part of life satisfaction beyond wellbeing
    }


class PracticeTable(Table):
    schema = {
        "list_size": (I32, 0),
        "capacity": (I32, 0),  # appointments per week
        "recognition": (np.float64, 0.0),
        "referral": (np.float64, 0.0),
        "feedback": (I32, 0),  # discharges fed back so far
    }


class LinkWorkerTable(Table):
    schema = {
        "team": (np.int8, 0),  # 0 main team, 1.. extra teams (Config.teams)
        "fte": (np.float64, 0.0),
        "caseload_cap": (I32, 0),  # of the funded post
        "clients": (I32, 0),
        "supported": (I32, 0),
        "in_post": (np.bool_, True),  # False while the post is vacant
        "on_leave": (np.bool_, False),  # away this week: no contacts, no intake
        "supervised": (np.bool_, False),  # regular supervision (lower turnover)
        "vacant_since": (I32, -1),
    }


class GroupTable(Table):
    schema = {
        "kind": (np.int8, 0),  # index into GROUP_KINDS
        "open": (np.bool_, False),
        "neighbourhood": (I32, -1),
        "members": (I32, 0),
        "volunteers": (I32, 0),
        "places": (I32, 0),
        "weeks_short": (I32, 0),
        "funds": (np.float64, 0.0),
        "income": (np.float64, 0.0),  # GBP per week
        "cost": (np.float64, 0.0),  # GBP per week
        "started_week": (I32, 0),
        "closed_week": (I32, -1),
        "attendance": (I32, 0),
        "online": (np.bool_, False),  # keeps meeting online during a lockdown
        "fixed_weeks": (I32, 0),  # >0: a fixed-length programme; members leave after this many weeks
    }


# Non-medical needs (bits of ResidentTable.needs) and the group kind that meets each.
NEEDS = ("debt", "housing", "employment", "mental_wellbeing", "inactivity")
# Five Ways to Wellbeing plus practical advice.
GROUP_KINDS = ("connect", "be_active", "keep_learning", "take_notice", "give", "advice")
GROUP_KIND_SHARES = np.array([0.30, 0.25, 0.12, 0.10, 0.08, 0.15])
NEED_TO_KIND = np.array([5, 5, 2, 3, 1], dtype=np.int8)  # debt, housing -> advice ...
LONELY_KIND = 0  # loneliness -> connect


def popcount8(x: np.ndarray) -> np.ndarray:
    """Number of set bits in a uint8 array."""
    return np.bitwise_count(x) if hasattr(np, "bitwise_count") else np.unpackbits(
        x[:, None], axis=1).sum(axis=1)
