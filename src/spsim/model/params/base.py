"""The building blocks: a documented parameter (``P``) and a strict section."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


def P(default: Any, *, unit: str, source: str, doc: str, ge=None, le=None, gt=None, lt=None):
    """A documented parameter: default, unit, range and source in one place."""
    return Field(
        default,
        ge=ge,
        le=le,
        gt=gt,
        lt=lt,
        description=doc,
        json_schema_extra={"unit": unit, "source": source},
    )


class Section(BaseModel):
    """A strict section: unknown keys are errors, and values must already have the field's type
    (``size = "500"`` or ``enabled = "yes"`` is refused rather than converted; ``weeks = true`` is not 1).
    pydantic's strict mode still takes a whole number where a decimal one is expected (``fte = 2``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, strict=True)
