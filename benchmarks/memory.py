"""Peak resident memory of a process and of that process plus its workers, sampled from /proc.

getrusage's children high-water mark counts each worker's moment between fork and exec,
when it still maps the parent's pages, and never sums the workers, so memory is sampled here
instead (Linux only).
"""

import os
import threading
from pathlib import Path


def _rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:  # the process ended between listing and reading
        return 0.0
    kilobytes = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return kilobytes / 1024


def _descendants(pid: int) -> list[int]:
    found = []
    try:
        # Listed first: a child that ends meanwhile takes its /proc folder with it, and
        # pathlib's glob raises for a folder gone mid-listing (it stopped the sampling thread).
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            children = (task / "children").read_text(encoding="ascii").split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *_descendants(child)]
    return found


class MemorySampler:
    """Sample a process's resident memory (``own``) and with its descendants (``total``), in MB."""

    def __init__(self, pid: int | None = None, every: float = 0.05) -> None:
        """Start sampling ``pid`` (this process by default) every ``every`` seconds."""
        self.own = self.total = 0.0
        self._pid = pid or os.getpid()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._thread.start()

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            own = _rss_mb(self._pid)
            self.own = max(self.own, own)
            self.total = max(self.total, own + sum(_rss_mb(child) for child in _descendants(self._pid)))

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join()
