"""The schema of an experiment file (``[experiment]``, ``[config]``, ``[design]``,
``[[parameters]]``) and its one-line errors; see :mod:`spsim.studies.experiment`."""

from __future__ import annotations

import typing
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..model.config import ConfigError
from ..model.overrides import suggest

DEFAULT_OUTCOMES = [
    "lonely_share_mean",
    "gp_consultations_per_person_year",
    "ae_attendances_per_1000_year",
    "lw_wait_weeks_mean",
    "clients_supported_total",
    "groups_active_final",
    "volunteers_final",
]


# ----------------------------------------------------------------------------------- schema
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)  # "2" is not 2 (docs/reliability.md)


class ParameterSpec(_Strict):
    """One varied parameter: explicit ``values`` (grid), or a ``low``-``high`` range (with
    ``levels`` evenly spaced values for a grid; sampled for lhs, sobol and morris designs)."""

    key: str = Field(description="Scenario key, as in --set, e.g. link_workers.fte")
    values: list[bool | int | float | str] | None = Field(None, min_length=1, description="Grid levels")
    low: float | None = Field(None, description="Lower end of the range")
    high: float | None = Field(None, description="Upper end of the range")
    levels: int | None = Field(None, ge=2, le=10_000, description="Grid: evenly spaced values from low to high")


class DesignSpec(_Strict):
    method: Literal["grid", "lhs", "sobol", "morris"] = "grid"
    samples: int | None = Field(None, ge=1, le=1_000_000, description=(
        "lhs: points; sobol: base samples N (N x (D+2) points, or N x (2D+2) with second order); "
        "morris: trajectories (N x (D+1) points)"))
    levels: int = Field(4, ge=2, le=100, description="morris: grid levels (even)")
    second_order: bool = Field(False, description="sobol: also estimate second-order indices")
    seed: int | None = Field(None, ge=0, le=2**63 - 1,
                             description="Seed for sampling the design (default: the root seed)")


class ExperimentSpec(_Strict):
    name: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100,
                             description="Label and default output folder (default: the file name)")
    description: str = ""
    base: str | None = Field(None, description="Scenario file, relative to this file (default: built-in town)")
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="Root seed (default: the base scenario's)")
    replicates: int = Field(1, ge=1, le=100_000)
    weeks: int | None = Field(None, ge=1, le=5200, description="Weeks recorded (default: the base scenario's)")
    outcomes: list[str] = Field(default_factory=lambda: list(DEFAULT_OUTCOMES), min_length=1)


class ExperimentFile(_Strict):
    experiment: ExperimentSpec
    config: dict[str, Any] = Field(default_factory=dict, description="Scenario settings on top of the base file")
    design: DesignSpec = DesignSpec()
    parameters: list[ParameterSpec] = Field(min_length=1)


def _model_of(ann: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (``X``, ``list[X]``, ``X | None``)."""
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in typing.get_args(ann):
        m = _model_of(arg)
        if m is not None:
            return m
    return None


def _known(model: type[BaseModel], loc: tuple) -> list[str]:
    for part in loc:
        if isinstance(part, int):
            continue
        f = model.model_fields.get(part)
        sub = _model_of(f.annotation) if f is not None else None
        if sub is None:
            return []
        model = sub
    return list(model.model_fields)


def _loc_str(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validate_file(data: dict[str, Any], source: str) -> ExperimentFile:
    try:
        return ExperimentFile.model_validate(data)
    except ValidationError as e:
        errors = e.errors()
        err = errors[0]
        loc = tuple(err["loc"])
        # a bad item inside a union list reports the tried type as the last loc part; drop it
        while loc and isinstance(loc[-1], str) and loc[-1] in ("bool", "int", "float", "str"):
            loc = loc[:-1]
        if err["type"] == "extra_forbidden":
            msg = "unknown key" + suggest(str(loc[-1]), _known(ExperimentFile, loc[:-1]))
        else:
            msg = err["msg"]
            if not isinstance(err.get("input"), (dict, list)):
                msg += f" (got {err.get('input')!r})"
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(source, _loc_str(loc), msg + more) from None
