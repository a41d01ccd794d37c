"""What a run costs the server: CPU seconds and resident memory of a process and all its
descendants (the gunicorn master and workers, node's cluster), read from /proc; the load
average; the machine."""

from __future__ import annotations

import os
import platform
import threading
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo.extend(int(c) for c in (task / "children").read_text().split())
            except OSError:
                continue
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except OSError:
            continue
    return total


def load_average() -> float:
    return os.getloadavg()[0]


def machine() -> str:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // (1024 * 1024)
    return (
        f"{os.cpu_count()} CPUs ({model}), {memory} GiB, {platform.system()} {platform.release()}"
    )


@dataclass(slots=True)
class Usage:
    cpu_seconds: float = 0.0
    peak_rss: int = 0
    load_start: float = 0.0
    load_end: float = 0.0


class Watch:
    """CPU and peak memory of ``pid``'s tree over a ``with`` block, sampled twice a second."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.usage = Usage()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            self.usage.peak_rss = max(self.usage.peak_rss, rss_bytes(tree(self.pid)))

    def __enter__(self) -> Usage:
        self._pids = tree(self.pid)
        self._cpu = cpu_seconds(self._pids)
        self.usage.load_start = load_average()
        self.usage.peak_rss = rss_bytes(self._pids)
        self._thread.start()
        return self.usage

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.usage.cpu_seconds = cpu_seconds(tree(self.pid)) - self._cpu
        self.usage.load_end = load_average()
