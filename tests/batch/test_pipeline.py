"""The batch pipeline's worker pool: ended early, it leaves no thread that the interpreter's exit waits on."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import struct
import subprocess
import sys
import termios
import textwrap
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from ofsted_nlp.batch import pipeline

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forked workers: Linux")


def _pool() -> ProcessPoolExecutor:
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"), initializer=pipeline._worker_init)
    assert pool.submit(int, "7").result(timeout=30) == 7  # the worker and the manager thread are running
    return pool


def _half_a_result(pool: ProcessPoolExecutor) -> None:
    """What a worker ended while sending its result leaves: a message's header and the start of its body.

    Returns once the manager thread has read all 14 bytes (none left in the pipe: it waits for the rest),
    however long a loaded machine takes to run it."""
    queue = pool._result_queue  # type: ignore[attr-defined]
    os.write(queue._writer.fileno(), struct.pack("!i", 1000) + b"\x80" * 10)
    deadline = time.monotonic() + 60
    while _unread(queue._reader.fileno()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _unread(queue._reader.fileno()), "the manager thread did not read the half result within 60 s"


def _unread(fd: int) -> int:
    """Bytes waiting in the pipe ``fd`` (FIONREAD)."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def test_ending_a_pool_frees_its_thread_stuck_on_half_a_result():
    pool = _pool()
    thread = pool._executor_manager_thread  # type: ignore[attr-defined]
    _half_a_result(pool)
    assert thread.is_alive()
    pipeline._shutdown(pool, graceful=False)
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert pipeline.ended_workers()


def test_a_program_using_the_library_exits_after_its_workers_were_ended(tmp_path):
    """The interpreter's exit joins every pool's manager thread: after an early end it must not wait for ever."""
    script = tmp_path / "uses_the_library.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {os.getcwd()!r})
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from test_pipeline import _half_a_result, _pool
        from ofsted_nlp.batch import pipeline
        pool = _pool()
        _half_a_result(pool)
        pipeline._shutdown(pool, graceful=False)
        print("ended")
    """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ended"
