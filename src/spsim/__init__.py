"""spsim: an agent-based simulation of a local social prescribing system.

Three layers (see docs/architecture.md): :mod:`spsim.model` simulates one place, :mod:`spsim.studies`
runs many models (replicates, sweeps, calibration, evaluation, comparisons), :mod:`spsim.interfaces`
is how people reach them (command line, HTML report, browser app).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("spsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

from .errors import ConfigError  # noqa: E402
from .model import WEEKLY_ORDER, Config, SocialPrescribingModel, load_config  # noqa: E402

__all__ = ["Config", "ConfigError", "SocialPrescribingModel", "WEEKLY_ORDER", "load_config", "__version__"]
