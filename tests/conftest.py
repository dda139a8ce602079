"""Shared helpers for the behavioural tests: small configurations, models and mechanism spies.

Everything here is self-contained (no fixtures from other files). The plain functions can be
used through the session-scoped fixtures of the same purpose (``make_config``, ``make_model``,
``spy_mechanism``), which also work inside hypothesis tests because they are not
function-scoped.

``small_config`` builds a :class:`~spsim.model.params.Config` for a town of 2,000 residents, run for
a few weeks with a short burn-in. Overrides come either as dotted keys in a mapping
(``small_config({"link_workers.fte": 0})``) or as section keyword arguments
(``small_config(link_workers={"fte": 0})``); both may be combined.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from spsim.model import SocialPrescribingModel
from spsim.model.mechanisms.base import Mechanism
from spsim.model.params import Config

#: The base of every small test configuration (sections -> keys -> values).
SMALL_BASE: dict[str, dict[str, Any]] = {
    "simulation": {"name": "test", "weeks": 12, "burn_in_weeks": 2, "seed": 12345, "replicates": 1},
    "population": {"size": 2000},
    # scaled with the town: the default is 100 groups for 50,000 residents; no warm start of the group
    # sector (it runs the groups step for years before the burn-in: tests/test_group_queues.py has its own)
    "groups": {"count": 10, "warm_start_weeks": 0},
}


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = dict(v) if isinstance(v, Mapping) else v
    return out


def _nest(dotted: Mapping[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in dotted.items():
        section, _, field = key.partition(".")
        if not field:
            raise ValueError(f"override {key!r} must be SECTION.KEY")
        nested.setdefault(section, {})[field] = value
    return nested


def small_config(dotted: Mapping[str, Any] | None = None, /, **sections: Mapping[str, Any]) -> Config:
    """A small, fast scenario (2,000 residents, 12 weeks after a 2-week burn-in, 10 groups).

    ``dotted`` maps ``"section.key"`` to a value; ``sections`` maps a section name to a dict
    of its keys. Validation is the model's own (unknown keys raise).
    """
    data = _merge(SMALL_BASE, sections)
    if dotted:
        data = _merge(data, _nest(dotted))
    return Config.model_validate(data)


def default_config(dotted: Mapping[str, Any] | None = None, /, **sections: Mapping[str, Any]) -> Config:
    """The built-in default town with overrides (same override forms as :func:`small_config`)."""
    data = _merge({}, sections)
    if dotted:
        data = _merge(data, _nest(dotted))
    return Config.model_validate(data)


def make_model(cfg: Config | None = None, replicate: int = 0, agents: bool = False) -> SocialPrescribingModel:
    """Build a model (no per-resident Mesa agents unless asked: faster, same arrays)."""
    return SocialPrescribingModel(cfg if cfg is not None else small_config(), replicate=replicate, agents=agents)


def run_weeks(model: SocialPrescribingModel, weeks: int, each: Callable[[SocialPrescribingModel], None] | None = None):
    """Step ``weeks`` weeks; call ``each(model)`` after every week (``model.tally`` is that week's)."""
    for _ in range(weeks):
        model.step()
        if each is not None:
            each(model)


class _Spy(Mechanism):
    """Runs hooks around one mechanism's step; same stream and rows, so the luck is unchanged."""

    def __init__(self, inner: Mechanism, before, after):
        self.inner, self.before, self.after = inner, before, after
        self.name, self.stream, self.rows = inner.name, inner.stream, inner.rows

    def init(self, model) -> None:  # already initialised by the model
        pass

    def step(self, model, u: np.ndarray) -> None:
        state = self.before(model, u) if self.before else None
        self.inner.step(model, u)
        if self.after:
            self.after(model, u, state)


def spy(
    model: SocialPrescribingModel,
    mechanism: type[Mechanism],
    before: Callable[[SocialPrescribingModel, np.ndarray], Any] | None = None,
    after: Callable[[SocialPrescribingModel, np.ndarray, Any], None] | None = None,
) -> None:
    """Wrap the model's ``mechanism`` so ``before(model, u)`` runs just before its weekly step and
    ``after(model, u, before_result)`` just after. The model's own ``step`` still drives the week."""
    for i, m in enumerate(model.mechanisms):
        if type(m) is mechanism:
            model.mechanisms[i] = _Spy(m, before, after)
            return
    raise LookupError(f"{mechanism.__name__} is not in the model's weekly order")


def mechanism_of(model: SocialPrescribingModel, mechanism: type[Mechanism]) -> Mechanism:
    """The model's instance of a mechanism class (unwrapping spies)."""
    for m in model.mechanisms:
        inner = m.inner if isinstance(m, _Spy) else m
        if type(inner) is mechanism:
            return inner
    raise LookupError(mechanism.__name__)


def binomial_tolerance(p: float, n: int, z: float = 4.0) -> float:
    """``z`` standard errors of a share estimated from ``n`` Bernoulli(``p``) trials."""
    return z * float(np.sqrt(max(p * (1 - p), 1e-12) / max(n, 1)))


def paired_margin(diffs, alpha: float = 0.01) -> float:
    """One-sided (1 - ``alpha``) t margin of the mean of paired replicate differences: a mean
    above it is an effect the replicates' own noise would show by chance with probability below
    ``alpha``. Replicates share their luck (common random numbers), so pairs are matched."""
    from scipy import stats

    d = np.asarray(diffs, float)
    if d.size < 2:
        raise ValueError("need at least two replicates for a margin from replicate noise")
    return float(stats.t.ppf(1 - alpha, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size))


def import_or_skip(name: str, why: str = ""):
    """Import ``name``; if it is missing, skip the calling module outside CI, and fail it under CI
    (``CI`` set, as ``.ci/run`` does): CI must never pass by silently skipping a test."""
    if os.environ.get("CI"):
        try:
            return importlib.import_module(name)
        except ImportError as e:
            pytest.fail(f"{name} is missing under CI ({e}); {why or 'install the dev extra'}", pytrace=False)
    return pytest.importorskip(name, reason=why or None)


#: the shipped scenario files, and those with a service (every one but the baseline, which has none)
CONFIGS = Path(__file__).resolve().parents[1] / "configs"
SHIPPED_SCHEMES = tuple(sorted(p.stem for p in CONFIGS.glob("*.toml") if p.stem != "baseline"))


def load_script(path: Path, name: str):
    """Import a script that is not in a package (``tools/``, ``docs/``, ``notebooks/``) as module ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ------------------------------------------------------------------ fixtures (session scoped)
@pytest.fixture(scope="session")
def make_config() -> Callable[..., Config]:
    """Factory: ``make_config({"link_workers.fte": 0}, groups={"count": 5})`` -> small Config."""
    return small_config


@pytest.fixture(scope="session")
def make_default_config() -> Callable[..., Config]:
    """Factory: the built-in default town with overrides."""
    return default_config


@pytest.fixture(scope="session")
def build_model() -> Callable[..., SocialPrescribingModel]:
    """Factory: ``build_model(cfg, replicate=0, agents=False)``."""
    return make_model


@pytest.fixture(scope="session")
def spy_mechanism() -> Callable[..., None]:
    """Factory: ``spy_mechanism(model, LinkWork, before=..., after=...)``."""
    return spy


@pytest.fixture(scope="module")
def placing_model() -> SocialPrescribingModel:
    """A small town with programmes (fixed-length groups) and groups short of places, a few weeks in
    (module scoped: tests that change it put it back)."""
    m = make_model(small_config({"programmes.count": 2, "groups.count": 12, "groups.max_places": 6}))
    for _ in range(4):
        m.step()
    return m


def tally_sum(model, weeks: int, *keys: str) -> dict[str, int]:
    """Run ``weeks`` weeks and add up the weekly tallies of ``keys`` (burn-in included)."""
    out = dict.fromkeys(keys, 0)

    def add(m):
        for k in keys:
            out[k] += m.tally[k]

    run_weeks(model, weeks, add)
    return out
