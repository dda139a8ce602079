"""The installed version of spsim (base layer: any module may import it)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("spsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"
