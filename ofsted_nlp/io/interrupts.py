"""Ctrl-C, SIGTERM and SIGHUP: the command stops, leaves nothing behind, and says so in one line.

:func:`install` (called by the CLI's entry point) makes each of these
signals raise :class:`Interrupted` (a ``KeyboardInterrupt``), so that the
command unwinds as for Ctrl-C: worker processes are ended and temporary
outputs removed. The signal is also remembered, so that a library that
swallows the exception (numpy's import once did) cannot make it be ignored:
:func:`check` raises it again at the next safe point (each document, and
before any output is put in place), and the exit code is 128 + the signal's
number (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP).

A second signal while the first is being handled does not interrupt the
clean-up with a traceback: it removes the temporary outputs still registered
and ends the process at once, with the same exit code.
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from typing import Iterator

__all__ = ["Interrupted", "install", "check", "received", "exit_code", "register", "unregister", "describe", "held"]

_NAMES = {"SIGINT": "interrupted", "SIGTERM": "terminated", "SIGHUP": "hung up"}
SIGNALS = {getattr(signal, name): what for name, what in _NAMES.items() if hasattr(signal, name)}

_received: list[int] = []
_temporary: set[str] = set()
_lock = threading.Lock()
_said: list[bool] = [False]


class Interrupted(KeyboardInterrupt):
    """The command was interrupted by a signal (``signum``)."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(SIGNALS.get(signum, "interrupted"))
        self.signum = signum


def _handler(signum: int, frame: object) -> None:
    if _received:  # a second signal while the first unwinds: finish now, without a traceback
        _finish_now()
    _received.append(signum)
    raise Interrupted(signum)


def install() -> None:
    """Handle SIGINT, SIGTERM and SIGHUP as above (main thread only; elsewhere this does nothing)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in SIGNALS:
        try:
            if signum == signal.SIGHUP and signal.getsignal(signum) == signal.SIG_IGN:
                continue  # started with nohup: keep ignoring hang-ups
            signal.signal(signum, _handler)
        except (ValueError, OSError):  # pragma: no cover
            pass


def ignore() -> None:
    """Ignore these signals from now on (the process is exiting, its clean-up done)."""
    for signum in SIGNALS:
        try:
            signal.signal(signum, signal.SIG_IGN)
        except (ValueError, OSError):  # pragma: no cover
            pass


def received() -> int | None:
    """The first signal received, if any."""
    return _received[0] if _received else None


def check() -> None:
    """Raise :class:`Interrupted` if a signal was received (even if its exception was swallowed)."""
    if _received:
        raise Interrupted(_received[0])


def exit_code(default: int) -> int:
    """128 + the signal's number if one was received, else ``default``."""
    return 128 + _received[0] if _received else default


def describe() -> str:
    """"interrupted", "terminated" or "hung up": what happened, for the one line the user sees."""
    return SIGNALS.get(_received[0], "interrupted") if _received else "interrupted"


def said() -> bool:
    """Has the one line been shown (by :func:`mark_said`)?"""
    return _said[0]


def mark_said() -> None:
    _said[0] = True


@contextmanager
def held() -> Iterator[None]:
    """Hold these signals back for the block (they are delivered when it ends): for steps that must not be
    cut in two, as making a temporary file and registering it for removal."""
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    except (AttributeError, ValueError, OSError):  # pragma: no cover - no pthread_sigmask
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def register(path: str | os.PathLike) -> None:
    """A temporary file to remove should the process have to end at once."""
    with _lock:
        _temporary.add(os.fspath(path))


def unregister(path: str | os.PathLike) -> None:
    with _lock:
        _temporary.discard(os.fspath(path))


def _finish_now() -> None:
    for path in list(_temporary):
        try:
            os.unlink(path)
        except OSError:
            pass
    if not _said[0]:
        try:
            os.write(2, f"ofsted-nlp: {describe()}; nothing written\n".encode())
        except OSError:
            pass
    os._exit(exit_code(130))
