"""CPU seconds per process group, read from /proc: where a phase of bench/throughput.py spends.

The machine is shared, so wall-clock rates drift with others' load; the CPU each of our own
processes used does not, and divided by the work done it says what one archive or request costs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int | str) -> tuple[str, list[str]] | None:
    """A process's command name and the fields of /proc/<pid>/stat after it; None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name, _, rest = text.partition("(")[2].rpartition(")")
    return name, rest.split()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU of one process so far (0 once it has gone)."""
    stat = _stat(pid)
    return (int(stat[1][11]) + int(stat[1][12])) / TICK if stat else 0.0


def _processes() -> dict[int, tuple[str, int]]:
    """Every process's command name and parent."""
    found = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (stat := _stat(entry.name)) is not None:
            found[int(entry.name)] = (stat[0], int(stat[1][1]))
    return found


def family(root: int) -> list[int]:
    """The process `root` and all its descendants."""
    table = _processes()
    members, frontier = [root], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, (_, ppid) in table.items() if ppid == parent]
        members += children
        frontier += children
    return members


def named(name: str) -> list[int]:
    """Every process whose command name is `name` (e.g. redis-server, shared by every user)."""
    return [pid for pid, (comm, _) in _processes().items() if comm == name]


def backends(database: str) -> list[int]:
    """PostgreSQL's backends serving `database`, found by the title each process sets."""
    found = []
    for pid in named("postgres"):
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if f" {database} ".encode() in title:
            found.append(pid)
    return found


def machine_busy() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine so far, every core summed."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    return (total - idle) / TICK, total / TICK


class Meter:
    """Snapshots the CPU of named groups of processes; `since` gives what each used meanwhile."""

    def __init__(self, groups: dict[str, Callable[[], list[int]]]) -> None:
        """`groups` maps a name to a function listing that group's current processes."""
        self.groups = groups

    def snapshot(self) -> dict[str, dict[int, float]]:
        """Every group's processes and their CPU so far, plus this process and the machine."""
        taken = {
            name: {pid: cpu_seconds(pid) for pid in pids()} for name, pids in self.groups.items()
        }
        taken["load generator"] = {0: sum(os.times()[:2])}
        busy, total = machine_busy()
        taken["machine busy"], taken["machine total"] = {0: busy}, {0: total}
        return taken

    def since(self, before: dict[str, dict[int, float]]) -> dict[str, float]:
        """CPU seconds each group used since `before`; a process that appeared counts from 0."""
        now = self.snapshot()
        return {
            name: sum(seconds - before[name].get(pid, 0.0) for pid, seconds in pids.items())
            for name, pids in now.items()
        }
