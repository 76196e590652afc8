"""CPU seconds spent by other processes (Linux ``/proc``): the cloud and its database.

A bench that compares a service's throughput with a rate measured in its own CPU time
(``bench.es256.rate``) times the service in CPU seconds too, so that waiting for a core on a
busy machine counts against neither side.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError, ProcessLookupError:
        return None
    # The command name in parentheses may hold spaces: the fields start after the last ")".
    return text.rsplit(")", 1)[1].split()


def _children(parent: int) -> list[int]:
    found: list[int] = []
    for entry in os.listdir("/proc"):
        fields = _fields(int(entry)) if entry.isdigit() else None
        if fields is not None and int(fields[1]) == parent:
            found.append(int(entry))
    return found


def cpu_seconds(pids: Iterable[int], *, tree_of: Iterable[int] = ()) -> float:
    """User plus system CPU seconds of ``pids`` so far, and of each process in ``tree_of``
    with its live children and the children it has reaped (so a difference of two calls
    counts a child that ended between them in full, and none twice)."""
    ticks = 0
    for pid in pids:
        if (fields := _fields(pid)) is not None:
            ticks += int(fields[11]) + int(fields[12])
    for parent in tree_of:
        if (fields := _fields(parent)) is not None:
            ticks += sum(int(value) for value in fields[11:15])
        for child in _children(parent):
            if (fields := _fields(child)) is not None:
                ticks += int(fields[11]) + int(fields[12])
    return ticks / _TICKS
