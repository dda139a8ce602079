"""spsim: an agent-based simulation of a local social prescribing system."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("spsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

from .config import ConfigError, load_config  # noqa: E402
from .model import WEEKLY_ORDER, SocialPrescribingModel  # noqa: E402
from .params import Config  # noqa: E402

__all__ = ["Config", "ConfigError", "SocialPrescribingModel", "WEEKLY_ORDER", "load_config", "__version__"]
