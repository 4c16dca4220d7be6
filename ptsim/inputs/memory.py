"""Memory a run may take: what the system can still give, and a refusal before allocating too much.

Every allocation proportional to patients, days, ensemble members or schedule length is estimated
and checked here before it is made (the estimates themselves live beside the code that allocates:
``ptsim.engine.setup.run_memory_bytes`` for simulations, :meth:`ptsim.inputs.plans.Plan.day_schedule`
for schedules), so a run that cannot fit ends with a message naming the argument, the estimate and
the memory available instead of numpy's ``MemoryError`` or the system killing the process.
"""

from __future__ import annotations

import os


def available_memory_bytes() -> int | None:
    """Memory the system can still give this process (bytes), or None where it cannot be told."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def format_bytes(n_bytes: float) -> str:
    """A size for people: ``4.9 GB`` (decimal units)."""
    for unit in ("bytes", "kB", "MB", "GB", "TB", "PB"):
        if abs(n_bytes) < 1000 or unit == "PB":
            return f"{n_bytes:.0f} {unit}" if unit == "bytes" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1000
    raise AssertionError


def check_memory(
    n_bytes: float, argument: str, what: str, advice: str = "use fewer patients or days, or record_days="
) -> None:
    """Refuse a run whose arrays would not fit in the available memory.

    Parameters
    ----------
    n_bytes : float
        Estimated peak size of the run's arrays (bytes).
    argument : str
        The argument that sets the size, e.g. ``"n_patients=1000000000000"``.
    what : str
        How the estimate was made, e.g. ``"7 columns x 8 bytes per patient"``.
    advice : str
        What to change, the end of the message.

    Raises
    ------
    ValueError
        With the estimate and the memory available, instead of numpy's ``MemoryError``.
    """
    available = available_memory_bytes()
    if available is not None and n_bytes > available:
        raise ValueError(
            f"{argument}: the run needs about {format_bytes(n_bytes)} of memory ({what}), more than the "
            f"{format_bytes(available)} available; {advice}"
        )
