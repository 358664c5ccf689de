"""Termination signals raise :class:`~sfbridge.errors.Terminated`, so a stopped run ends like Ctrl-C.

Schedulers stop a job with SIGTERM (systemd, Kubernetes, a cron wrapper's timeout), a closed
terminal sends SIGHUP, and Ctrl-Break on Windows sends SIGBREAK. Python's default for these
ends the process at once: no message, exit -15, and the run it was recording left
``running``. Raised in the main thread instead, the signal unwinds the command as Ctrl-C
does: the run is recorded ``interrupted``, committed pages stay, and
:func:`~sfbridge.cli.common.exit_codes` prints one line and exits 128 + the signal number.
"""

from __future__ import annotations

import signal
from types import FrameType

from sfbridge.errors import Terminated

__all__ = ["TERMINATING", "install_signal_handlers"]

#: The signals that stop sfbridge cleanly, where the platform has them (SIGHUP: not on
#: Windows; SIGBREAK: only on Windows).
TERMINATING = ("SIGTERM", "SIGHUP", "SIGBREAK")


def _signals() -> list[signal.Signals]:
    return [number for name in TERMINATING if (number := getattr(signal, name, None)) is not None]


def install_signal_handlers() -> None:
    """Make each terminating signal raise :class:`Terminated` in the main thread (call from there).

    A signal the process was started ignoring stays ignored: ``nohup sfbridge pull`` must
    outlive its terminal.
    """
    for number in _signals():
        if signal.getsignal(number) is not signal.SIG_IGN:
            signal.signal(number, _terminate)


def _terminate(signum: int, _frame: FrameType | None) -> None:
    # Once: while the first signal unwinds (recording the run's end), a second one gets the
    # platform's default and ends the process at once; the next run then marks it interrupted.
    for number in _signals():
        if signal.getsignal(number) is _terminate:
            signal.signal(number, signal.SIG_DFL)
    raise Terminated(signum)
