"""Forked workers (ofsted_nlp.batch.workers): every task answered, a death costs the task it ran, ending leaves no
process and no thread that a program's exit would wait on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from ofsted_nlp.batch.workers import WorkerDied, Workers, WorkFailed

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forked workers: Linux")


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


def _answers(pool: Workers) -> dict:
    got = {}
    while len(pool):
        key, value = pool.next_result()
        got[key] = value
    return got


def test_every_task_is_answered_by_a_function_that_is_inherited_not_pickled():
    lock = threading.Lock()  # cannot be pickled: the work reaches the workers by the fork

    def work(n: int) -> tuple[int, int, bool]:
        return n * n, os.getpid(), lock is not None

    with Workers(2, work) as pool:
        for n in range(30):
            pool.submit(n, n)
        got = _answers(pool)
    assert {k: v[0] for k, v in got.items()} == {n: n * n for n in range(30)}
    pids = {v[1] for v in got.values()}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    assert all(v[2] for v in got.values())
    assert all(_gone(pid) for pid in pids)  # close() waited for them
    assert not pool.ended


def test_a_worker_that_dies_costs_the_task_it_was_running_alone():
    def work(task: str) -> str:
        if task == "die":
            os.kill(os.getpid(), signal.SIGKILL)
        return task.upper()

    tasks = [f"t{i}" for i in range(12)]
    tasks.insert(5, "die")
    with Workers(2, work) as pool:
        for i, task in enumerate(tasks):
            pool.submit(i, task)
        got = _answers(pool)
    assert got.pop(5) == WorkerDied(-signal.SIGKILL)
    assert got == {i: t.upper() for i, t in enumerate(tasks) if t != "die"}
    assert pool.ended


def test_a_function_that_raises_is_one_line_and_the_worker_goes_on():
    def work(n: int) -> int:
        if n == 3:
            raise ValueError("three\nis bad")
        return os.getpid()

    with Workers(1, work) as pool:
        for n in range(6):
            pool.submit(n, n)
        got = _answers(pool)
    assert got.pop(3) == WorkFailed("ValueError: three is bad")
    assert len(set(got.values())) == 1  # the same worker did the rest


def test_a_result_that_cannot_be_pickled_is_one_line():
    with Workers(1, lambda n: (lambda: n) if n == 1 else n) as pool:
        for n in range(3):
            pool.submit(n, n)
        got = _answers(pool)
    assert got[0] == 0 and got[2] == 2
    assert isinstance(got[1], WorkFailed) and "pickle" in got[1].message.lower()


def test_tasks_submitted_first_are_run_first():
    with Workers(1, lambda n: (n, time.monotonic()), ahead=1) as pool:
        pool.submit("a", 1)
        pool.submit("b", 2)
        pool.submit("c", 3, first=True)  # "a" is with the worker already; "c" goes before "b"
        got = _answers(pool)
    assert sorted(got, key=lambda k: got[k][1]) == ["a", "c", "b"]


def test_an_exception_in_the_with_block_ends_the_workers_at_once():
    def work(n: int) -> int:
        if n:
            time.sleep(600)
        return os.getpid()

    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with Workers(2, work) as pool:
            pool.submit(0, 0)
            pid = pool.next_result()[1]
            for n in range(1, 5):
                pool.submit(n, n)
            raise KeyboardInterrupt
    assert time.monotonic() - start < 60  # not the 600 s the tasks would take
    assert pool.ended and _gone(pid) and len(pool) == 0


SCRIPT = """
    import os, signal, sys, time
    sys.path.insert(0, {repo!r})
    from ofsted_nlp.batch.workers import Workers

    def work(task):
        return os.getpid() if task == "pid" else b"x" * (32 << 20)

    pool = Workers(1, work)
    pool.submit(0, "pid")
    _, pid = pool.next_result()
    pool.submit(1, "big")  # 32 MB: the worker writes the first 64 kB into the pipe and waits for it to be read
    time.sleep(1.0)
    os.kill(pid, signal.SIGKILL)  # ... and dies with half its result sent
    print(pool.next_result(), len(pool), flush=True)
    pool.submit(2, "pid")  # a fresh worker takes its place
    print(pool.next_result()[1] != pid, flush=True)
    {end}
"""


@pytest.mark.parametrize("end", ["pool.terminate()", "pool.close()", "pass"])
def test_a_worker_killed_in_the_middle_of_a_result_is_reported_and_the_program_exits(tmp_path, end):
    """The end of its pipe ends the read of the half-sent result; nothing is left for the program's exit to wait
    on, however the pool is left (``pass``: not ended at all)."""
    script = tmp_path / "uses_workers.py"
    script.write_text(textwrap.dedent(SCRIPT.format(repo=os.getcwd(), end=end)))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.splitlines() == ["(1, WorkerDied(exitcode=-9)) 0", "True"]
