"""spsim: an agent-based simulation of a local social prescribing system.

Three layers (see docs/architecture.md): :mod:`spsim.model` simulates one place, :mod:`spsim.studies`
runs many models (replicates, sweeps, calibration, evaluation, comparisons), :mod:`spsim.interfaces`
is how people reach them (command line, HTML report, browser app).
"""

from .errors import ConfigError
from .model import WEEKLY_ORDER, Config, SocialPrescribingModel, load_config
from .version import __version__

__all__ = ["Config", "ConfigError", "SocialPrescribingModel", "WEEKLY_ORDER", "load_config", "__version__"]
