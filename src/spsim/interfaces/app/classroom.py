"""The classroom app (``spsim app``) without a web server, for notebooks and tests (matplotlib only).

One import for everything the page uses, split by subject:

- :mod:`.presets`: which scenario files are offered and how a preset sets the sliders;
- :mod:`.model`: :class:`ClassroomModel`, the town built from keyword parameters, with its weekly series;
- :mod:`.town`: the network view (:func:`draw_town`);
- :mod:`.trends`: the live plots (:func:`draw_trends`), with the previous run drawn faintly;
- :mod:`.loop`: the referral loop as stocks and flows (:func:`draw_loop`);
- :mod:`.planner`: the planner page's comparison (scenarios, run, report).
"""

from __future__ import annotations

from .loop import LoopSVG, draw_loop, loop_numbers, loop_svg
from .model import DEFAULTS, REPORTERS, ClassroomModel
from .presets import (
    CLASSROOM,
    CLASSROOM_WEEKS,
    CONFIGS_ENV,
    NO_SERVICE,
    SLIDERS,
    classroom_config,
    configs_dir,
    discover_presets,
    preset_levers,
)
from .town import (
    CASELOAD,
    GROUP_KIND_COLOURS,
    IN_GROUP,
    LONELY,
    MAX_DRAWN,
    NOT_LONELY,
    WAITING,
    TownPicture,
    TownView,
    draw_town,
    sample_residents,
    spring_layout,
)
from .trends import MORE, TRENDS, Panel, TrendsPicture, draw_trends

__all__ = [
    "CASELOAD", "CLASSROOM", "CLASSROOM_WEEKS", "CONFIGS_ENV", "DEFAULTS", "GROUP_KIND_COLOURS", "IN_GROUP",
    "LONELY", "MAX_DRAWN", "MORE", "NOT_LONELY", "NO_SERVICE", "REPORTERS", "SLIDERS", "TRENDS", "WAITING",
    "ClassroomModel", "LoopSVG", "Panel", "TownPicture", "TownView", "TrendsPicture", "classroom_config",
    "configs_dir", "discover_presets", "draw_loop", "draw_town", "draw_trends", "loop_numbers", "loop_svg",
    "preset_levers", "sample_residents", "spring_layout",
]
