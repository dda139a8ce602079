"""The simulation of one place: parameters, config reading, random streams, tables, network,
population, agents, mechanisms, outcomes and the ``mesa.Model``. It imports nothing from
:mod:`spsim.studies` or :mod:`spsim.interfaces`."""

from .config import load_config
from .params import Config
from .simulation import WEEKLY_ORDER, SocialPrescribingModel

__all__ = ["Config", "SocialPrescribingModel", "WEEKLY_ORDER", "load_config"]
