"""Ready for Mesa 4: the suite's warning filters (pyproject.toml, ``filterwarnings``) turn a
DeprecationWarning, PendingDeprecationWarning or FutureWarning that points at spsim's own code, or
that Mesa raises, into an error, and leave warnings from elsewhere alone. These tests run under
those filters (no ``pytest.warns``, which would replace them), so they fail if the filters are
missing or do not match.

Why Mesa too: Mesa 3.5 wraps ``Model.__init__`` in its logging decorator, so the FutureWarning for
``Model(seed=...)`` is attributed to ``mesa.mesa_logging``, not to the spsim line that made the call;
a filter on spsim's modules alone would let it through (the first test shows the attribution).
"""

from __future__ import annotations

import tomllib
import warnings
from pathlib import Path

import mesa
import pytest

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def call_from(module: str, source: str):
    """Run ``source`` as the body of a function defined in a module named ``module``: warnings it
    triggers with stacklevel=2 (Mesa's, pandas') are attributed to that module, as they would be to
    the spsim module that made the call."""
    namespace = {"__name__": module, "mesa": mesa, "warnings": warnings}
    exec(compile("def probe():\n" + "".join(f"    {line}\n" for line in source.splitlines()), module, "exec"),
         namespace)
    return namespace["probe"]


def test_the_filters_are_configured():
    filters = tomllib.loads(PYPROJECT.read_text())["tool"]["pytest"]["ini_options"]["filterwarnings"]
    for category in ("DeprecationWarning", "PendingDeprecationWarning", "FutureWarning"):
        assert any(f.startswith(f"error::{category}:spsim") for f in filters), category


def test_mesa_attributes_its_seed_warning_to_itself():
    probe = call_from("spsim.model.probe", "return mesa.Model(seed=1)")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        probe()
    assert [w.category for w in seen] == [FutureWarning]
    assert "mesa" in Path(seen[0].filename).parts  # not the probe's module


def test_a_deprecated_mesa_call_from_spsim_code_fails():
    """Mesa 3.5 warns (FutureWarning) for ``Model(seed=...)``, which Mesa 4 removes."""
    probe = call_from("spsim.model.probe", "return mesa.Model(seed=1)")
    with pytest.raises(FutureWarning, match="seed"):
        probe()


@pytest.mark.parametrize("category", [DeprecationWarning, PendingDeprecationWarning, FutureWarning])
def test_each_category_from_spsim_is_an_error(category):
    probe = call_from("spsim.studies.probe", f"warnings.warn('old API', {category.__name__}, stacklevel=1)")
    with pytest.raises(category):
        probe()


@pytest.mark.parametrize("module", ["elsewhere", "spsimilar", "tests.spsim"])
@pytest.mark.parametrize("category", [DeprecationWarning, FutureWarning])
def test_warnings_from_other_code_are_not_errors(module, category):
    probe = call_from(module, f"warnings.warn('old API', {category.__name__}, stacklevel=1)")
    with warnings.catch_warnings(record=True):  # keeps the active filters; records instead of printing
        probe()  # no exception


def test_the_model_uses_mesa_4_style_seeding():
    """``SocialPrescribingModel`` passes ``rng=`` (its 'mesa' stream), not the deprecated ``seed=``."""
    from spsim.model.params import Config
    from spsim.model.simulation import SocialPrescribingModel

    cfg = Config.model_validate({"population": {"size": 300}, "groups": {"count": 3},
                                 "simulation": {"weeks": 1, "burn_in_weeks": 0}})
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        warnings.simplefilter("error", DeprecationWarning)
        m = SocialPrescribingModel(cfg, agents=True)
        m.step()
    assert m.week == 1
