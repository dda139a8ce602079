"""The planners' reports: ``spsim compare`` (:func:`build_report`) and ``spsim optimise``
(:func:`build_optimise_report`).

Each page is built with plain string templates; plots are matplotlib (Agg) PNGs embedded as base64,
so a report opens offline and can be forwarded as a single file. The same PNGs are written beside
it for slides. Every plot tells scenarios apart by line style, marker and hatch as well as colour
(Okabe-Ito palette), so it survives grey-scale printing; every image has alt text; every table names
its units; numbers are written for people (thousands separators, sensible decimals, £). Wide tables
scroll sideways inside their own box, so the page reads at phone width.

Modules: ``fmt`` (numbers), ``plots`` (charts), ``tables``, ``text`` (words), ``page`` (the compare
page), ``optimise`` (the budget search page).
"""

from .fmt import STYLES, fmt, fmt_ci, fmt_gbp, png_size, style
from .page import Report, build_report

__all__ = ["STYLES", "Report", "build_report", "fmt", "fmt_ci", "fmt_gbp", "png_size", "style"]
