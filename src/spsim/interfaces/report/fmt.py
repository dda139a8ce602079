"""Numbers written for people: thousands separators, sensible decimals, £, real minus signs, and
the scenario styles (Okabe-Ito colours with line styles, markers and hatches that survive grey)."""

from __future__ import annotations

import html
import math

MINUS = "\u2212"
DASH = "\u2013"  # shown where a number does not exist (e.g. a wait with nobody taken on)

#: (colour, line style, marker, hatch) per scenario, baseline first; distinct without colour
STYLES = [
    ("#000000", "-", "o", ""),
    ("#0072B2", "--", "s", "//"),
    ("#D55E00", ":", "^", ".."),
    ("#009E73", "-.", "D", "xx"),
    ("#CC79A7", (0, (5, 1, 1, 1, 1, 1)), "v", "\\\\"),
    ("#E69F00", (0, (1, 3)), "P", "++"),
    ("#56B4E9", (0, (8, 3)), "X", "oo"),
]


def style(i: int) -> tuple:
    return STYLES[i % len(STYLES)]


# ============================================================================ formatting
def _decimals(x: float) -> int:
    a = abs(x)
    if a >= 100 or a == 0:
        return 0
    if a >= 1:
        return 1
    if a >= 0.1:
        return 2
    return 3


def _num(x: float, d: int, signed: bool = False, prefix: str = "", suffix: str = "") -> str:
    if x is None or not math.isfinite(x):
        return DASH
    text = f"{abs(x):,.{d}f}"
    zero = float(text.replace(",", "")) == 0
    sign = "" if zero else (MINUS if x < 0 else ("+" if signed else ""))
    return f"{sign}{prefix}{text}{suffix}"


def _scale(kind: str) -> float:
    return 100.0 if kind == "share" else 1.0


def _shared_decimals(kind: str, mean: float, lo: float, hi: float) -> int:
    if kind == "ratio":
        return 2
    if kind == "gbp":
        return 0 if not math.isfinite(mean) or mean == 0 or abs(mean) >= 10 else 2
    s = _scale(kind)
    if not math.isfinite(mean):
        return 0
    d = _decimals(mean * s)
    if kind == "weeks":
        d = max(d, 1)
    if math.isfinite(lo) and math.isfinite(hi) and hi > lo:
        # enough decimals to show the interval's half-width to one significant figure, at most one more
        half = (hi - lo) * s / 2
        d = min(max(d, -math.floor(math.log10(half))), d + 1)
    return max(0, min(d, 3))


def fmt(kind: str, x: float, d: int, diff: bool = False) -> str:
    """One number of an outcome of this kind: 6.3%, +0.21 pp, 5,023, £97,280, £0.12."""
    if kind == "share":
        return _num(100 * x, d, signed=diff, suffix=" pp" if diff else "%")
    if kind in ("gbp", "ratio"):
        return _num(x, d, signed=diff, prefix="£")
    return _num(x, d, signed=diff)


def fmt_ci(kind: str, mean: float, lo: float, hi: float, diff: bool = False) -> tuple[str, str]:
    """(value, "low to high") formatted alike; the interval is '' when it does not exist."""
    d = _shared_decimals(kind, mean, lo, hi)
    value = fmt(kind, mean, d, diff)
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo == hi:
        return value, ""  # no interval: one replicate, or the same in every replicate
    return value, f"{fmt(kind, lo, d, diff)} to {fmt(kind, hi, d, diff)}"


def fmt_gbp(x: float) -> str:
    return _num(x, 0 if x == 0 or abs(x) >= 10 else 2, prefix="£")


def fmt_int(x: float) -> str:
    return _num(x, 0)


def esc(x) -> str:
    return html.escape(str(x), quote=True)


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


