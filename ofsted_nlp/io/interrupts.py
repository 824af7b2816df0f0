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
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Interrupted", "Interruption", "STATE", "install", "check", "received", "exit_code", "register", "unregister", "describe", "held"]

_NAMES = {"SIGINT": "interrupted", "SIGTERM": "terminated", "SIGHUP": "hung up"}
SIGNALS = {getattr(signal, name): what for name, what in _NAMES.items() if hasattr(signal, name)}


class Interrupted(KeyboardInterrupt):
    """The command was interrupted by a signal (``signum``)."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(SIGNALS.get(signum, "interrupted"))
        self.signum = signum


class Interruption:
    """What this process knows of the signals it handles: the ones received, whether the one line was
    shown, and the temporary files to remove should it have to end at once. The module's functions are
    those of the one instance, :data:`STATE` (signals are the process's)."""

    def __init__(self) -> None:
        self.signals: list[int] = []  # received, in order
        self.said = False  # the one line has been shown
        self._temporary: set[str] = set()
        self._lock = threading.Lock()

    def handle(self, signum: int, frame: object = None) -> None:
        """The signal handler: remember ``signum`` and raise :class:`Interrupted`; a second one ends at once."""
        if self.signals:  # a second signal while the first unwinds: finish now, without a traceback
            self.finish_now()
        self.signals.append(signum)
        raise Interrupted(signum)

    def received(self) -> int | None:
        return self.signals[0] if self.signals else None

    def exit_code(self, default: int) -> int:
        return 128 + self.signals[0] if self.signals else default

    def describe(self) -> str:
        return SIGNALS.get(self.signals[0], "interrupted") if self.signals else "interrupted"

    def register(self, path: str) -> None:
        with self._lock:
            self._temporary.add(path)

    def unregister(self, path: str) -> None:
        with self._lock:
            self._temporary.discard(path)

    def finish_now(self) -> None:
        """Remove the temporary files registered, show the one line unless it was, and end the process."""
        # Not under the lock: this runs in a signal handler, which may have interrupted the thread holding it.
        for path in list(self._temporary):
            try:
                os.unlink(path)
            except OSError:
                pass
        if not self.said:
            try:
                os.write(2, f"ofsted-nlp: {self.describe()}; nothing written\n".encode())
            except OSError:
                pass
        os._exit(self.exit_code(130))


STATE = Interruption()


def install() -> None:
    """Handle SIGINT, SIGTERM and SIGHUP as above (main thread only; elsewhere this does nothing)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in SIGNALS:
        try:
            if signum == signal.SIGHUP and signal.getsignal(signum) == signal.SIG_IGN:
                continue  # started with nohup: keep ignoring hang-ups
            signal.signal(signum, STATE.handle)
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
    return STATE.received()


def check() -> None:
    """Raise :class:`Interrupted` if a signal was received (even if its exception was swallowed)."""
    signum = STATE.received()
    if signum is not None:
        raise Interrupted(signum)


def exit_code(default: int) -> int:
    """128 + the signal's number if one was received, else ``default``."""
    return STATE.exit_code(default)


def describe() -> str:
    """"interrupted", "terminated" or "hung up": what happened, for the one line the user sees."""
    return STATE.describe()


def said() -> bool:
    """Has the one line been shown (by :func:`mark_said`)?"""
    return STATE.said


def mark_said() -> None:
    STATE.said = True


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
    STATE.register(os.fspath(path))


def unregister(path: str | os.PathLike) -> None:
    STATE.unregister(os.fspath(path))
