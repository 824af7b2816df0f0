"""Worker processes forked from this one, on the public API of :mod:`multiprocessing` alone.

:class:`Workers` runs one function on tasks in a few processes forked from
the caller's, so they share what it has loaded (a model, a tokenizer) and
start in milliseconds; the function and what it holds are inherited, never
pickled. Each worker has two pipes of its own, tasks down and results up,
and the caller's thread reads the results itself: there is no thread in the
background, so nothing that an interpreter's exit could wait on.

A worker that dies (killed, out of memory, a crash in C code) closes its
end of its result pipe, even in the middle of a result: the read sees the
end of the file and :meth:`Workers.next_result` answers :class:`WorkerDied`
for the task it was running. The tasks queued behind it, never started, go
to the other workers, and a fresh worker takes its place.

Workers ignore Ctrl-C (the caller's process is told and ends them), end
silently on SIGTERM and SIGHUP, and are killed by the kernel should the
caller's process die. :meth:`Workers.terminate` (also leaving the ``with``
block by an exception) ends them at once and :meth:`Workers.close` lets them
finish; both return when the processes are gone.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

__all__ = ["Workers", "WorkerDied", "WorkFailed"]

SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
# How long a worker is given to end once told to, before it is killed.
END_WAIT_S = 5.0


@dataclass(frozen=True)
class WorkerDied:
    """The answer for a task whose worker died running it (``exitcode``: minus the signal that killed it)."""

    exitcode: int | None


@dataclass(frozen=True)
class WorkFailed:
    """The answer for a task whose function raised, or whose result could not be sent: one line."""

    message: str


@dataclass
class _Worker:
    process: Any  # multiprocessing's Process (its type is the context's)
    tasks: Connection  # this process's end: tasks go down
    results: Connection  # this process's end: results come up
    held: deque  # (key, task) handed to it and not yet answered, in the order it runs them


class Workers:
    """Up to ``processes`` forked processes running ``work(task)``; each worker holds at most ``ahead`` tasks.

    ``submit(key, task)`` hands a task out; ``next_result()`` waits for one
    answer, ``(key, result)``, in the order they finish, where the result is
    :class:`WorkerDied` or :class:`WorkFailed` when the task could not be done.
    Linux (and other systems that fork).
    """

    def __init__(self, processes: int, work: Callable[[Any], Any], ahead: int = 2) -> None:
        if processes < 1 or ahead < 1:
            raise ValueError("processes and ahead must be at least 1")
        self._context = multiprocessing.get_context("fork")
        self._processes = processes
        self._work = work
        self._ahead = ahead
        self._workers: list[_Worker] = []
        self._waiting: deque = deque()  # (key, task) not yet handed to a worker
        self.ended = False  # whether workers were ended rather than let finish

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is None and not len(self):
            self.close()
        else:
            self.terminate()

    def __len__(self) -> int:
        """Tasks submitted and not yet answered."""
        return len(self._waiting) + sum(len(w.held) for w in self._workers)

    def submit(self, key: Hashable, task: Any, first: bool = False) -> None:
        """Queue ``task`` (``first``: before those already waiting); it is answered under ``key``."""
        if first:
            self._waiting.appendleft((key, task))
        else:
            self._waiting.append((key, task))
        self._hand_out()

    def next_result(self) -> tuple[Hashable, Any]:
        """Wait for the next answer: ``(key, result)``, or ``(key, WorkerDied(...))``. Raises LookupError if none is due."""
        while True:
            self._hand_out()
            busy = {w.results: w for w in self._workers if w.held}
            if not busy:
                raise LookupError("no task is waiting for an answer")
            for ready in wait(list(busy)):
                worker = busy[ready]  # type: ignore[index]
                try:
                    key, result = worker.results.recv()
                except (EOFError, OSError):  # its end of the pipe closed: the worker is gone
                    return self._lost(worker)
                worker.held.popleft()
                return key, result

    def close(self) -> None:
        """Tell the workers to end once idle and wait for them to be gone; any still holding tasks are ended now."""
        if len(self):
            self.terminate()
            return
        workers, self._workers = self._workers, []
        for worker in workers:
            try:
                worker.tasks.send(None)
            except OSError:  # already gone
                pass
        for worker in workers:
            self._end(worker)

    def terminate(self) -> None:
        """End every worker now (SIGTERM, then SIGKILL) and wait for them to be gone."""
        workers, self._workers = self._workers, []
        self._waiting.clear()
        if workers:
            self.ended = True
        for worker in workers:
            if worker.process.exitcode is None:
                worker.process.terminate()
        for worker in workers:
            self._end(worker)

    # ------------------------------------------------------------------ inside

    def _hand_out(self) -> None:
        for idle in [w for w in self._workers if not w.held and w.process.exitcode is not None]:
            self._workers.remove(idle)  # died between tasks: nothing of it is lost
            self._end(idle)
        while self._waiting:
            worker = min(self._workers, key=lambda w: len(w.held), default=None)
            if worker is None or (worker.held and len(self._workers) < self._processes):
                worker = self._start()
            elif len(worker.held) >= self._ahead:
                return
            key, task = self._waiting.popleft()
            worker.held.append((key, task))
            try:
                worker.tasks.send((key, task))
            except OSError:  # it died: its result pipe says so, and the task is answered from there
                pass

    def _start(self) -> _Worker:
        tasks_in, tasks_out = self._context.Pipe(duplex=False)
        results_in, results_out = self._context.Pipe(duplex=False)
        # The child closes this process's ends of every pipe, so that each worker's result pipe has one
        # writer (the worker: its death is the end of the file) and each task pipe one reader.
        inherited = [c for w in self._workers for c in (w.tasks, w.results)] + [tasks_out, results_in]
        process = self._context.Process(target=_serve, args=(tasks_in, results_out, self._work, inherited,
                                                             os.getpid()), daemon=True)
        # Signals are held while forking (the child takes its own handlers, then lets them in), so that none
        # is handled in the child by this process's handlers, and until the worker is listed here, so that
        # an interruption's terminate() finds it.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
        try:
            try:
                process.start()
            finally:
                tasks_in.close()
                results_out.close()
            worker = _Worker(process, tasks_out, results_in, deque())
            self._workers.append(worker)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        return worker

    def _lost(self, worker: _Worker) -> tuple[Hashable, WorkerDied]:
        """A worker's result pipe ended: the task it was running is answered WorkerDied; those behind it wait again."""
        self._workers.remove(worker)
        exitcode = self._end(worker)
        self.ended = True
        key, _ = worker.held.popleft()
        self._waiting.extendleft(reversed(worker.held))
        return key, WorkerDied(exitcode)

    def _end(self, worker: _Worker) -> int | None:
        """Wait for a worker told to end (killing it after END_WAIT_S), free its pipes; its exit code."""
        process = worker.process
        process.join(END_WAIT_S)
        if process.exitcode is None:  # pragma: no cover - stuck in C code
            process.kill()
            process.join()
        exitcode = process.exitcode
        worker.tasks.close()
        worker.results.close()
        process.close()
        return exitcode


def _serve(tasks: Connection, results: Connection, work: Callable[[Any], Any], inherited: list[Connection],
           parent: int) -> None:
    """A worker's life: take tasks until told to end (None, or the end of the task pipe)."""
    for conn in inherited:
        conn.close()
    _become_worker(parent)
    while True:
        try:
            item = tasks.recv()
        except (EOFError, OSError):
            return
        if item is None:
            return
        key, task = item
        try:
            answer = work(task)
        except Exception as exc:
            answer = WorkFailed(_failure(exc))
        try:
            results.send((key, answer))
        except OSError:  # the caller's end is closed: it is ending the workers
            return
        except Exception as exc:  # not picklable (raised before anything is written)
            try:
                results.send((key, WorkFailed(_failure(exc))))
            except OSError:
                return


def _failure(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def _become_worker(parent: int) -> None:
    # Ctrl-C goes to the whole process group: the parent handles it and ends the workers. A worker ends
    # silently on SIGTERM or SIGHUP (not with the handler it inherited, which would print a traceback), and
    # dies with its parent, should that be killed outright.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in SIGNALS[1:]:
        signal.signal(signum, signal.SIG_DFL)
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the kernel was asked to tell
        os._exit(1)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)


def _die_with_parent() -> None:
    """Linux: have the kernel send this process SIGKILL when its parent dies."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
