"""Bounds checked before work starts: how much memory a town needs.

The memory a run needs grows with the number of residents (their columns of state, the network,
the weekly tables). Measured on this code (peak resident set size of ``run_replicate``, Python
3.12, Linux): 50,000 residents +25 MB, 500,000 residents +194 MB, so about 385 bytes a resident
beyond a fixed ~160 MB for the interpreter and libraries; :data:`BYTES_PER_RESIDENT` rounds that
up. A run whose estimate, times the runs held at once, is above the memory the machine has
available is refused before it starts, rather than ending in the kernel's OOM killer.
"""

from __future__ import annotations

from ..errors import UsageError

BYTES_PER_RESIDENT = 450
FIXED_BYTES = 200_000_000


def memory_estimate(residents: int) -> int:
    """Bytes one run of a town of ``residents`` is expected to need at its peak."""
    return FIXED_BYTES + BYTES_PER_RESIDENT * int(residents)


def available_memory() -> int | None:
    """``MemAvailable`` from /proc/meminfo (Linux), or None where that cannot be read."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_memory(residents: int, at_once: int = 1, available: int | None = None) -> int:
    """Refuse (one line) a town too large for this machine's free memory; return the estimate."""
    need = memory_estimate(residents) * max(1, at_once)
    have = available_memory() if available is None else available
    if have is not None and need > have:
        per = memory_estimate(residents) / 1e9
        runs = f" x {at_once} runs at once" if at_once > 1 else ""
        raise UsageError(f"a town of {residents:,} residents needs about {per:.1f} GB a run{runs}, "
                         f"{need / 1e9:.1f} GB in all, but {have / 1e9:.1f} GB is available: use fewer "
                         "--workers or a smaller population.size")
    return need
