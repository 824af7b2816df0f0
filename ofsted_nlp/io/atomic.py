"""Files written whole or not at all.

Every output of the tool (tables, matrices, plots, models) is written to a
temporary file, which replaces the destination only when complete. On any
error, interruption included, the temporary file is removed and what was there
before is left as it was. A command with several outputs writes them all
(:func:`atomic_paths`): every destination is checked and given its temporary
file before any work, and none is replaced unless all were written. An
OSError that comes out names the destination it was writing (not its
temporary file), so that a full disk's message says which file.

What is at the destination is respected: a symlink is followed (its target is
replaced, the link kept); a FIFO or a character device (``/dev/null``, a
terminal, a pipe from ``>(...)``) is written through, never replaced by a
regular file; a block device, a socket or a folder is refused.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ofsted_nlp.io import interrupts

__all__ = ["atomic_path", "atomic_paths", "named", "OutputRefused"]


class OutputRefused(OSError):
    """The destination is something an output must not replace (a block device, a socket, a folder)."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class _Output:
    """One destination: where its temporary file is, and how it is put in place."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # A symlink (or a chain of them) is followed: its target is what gets written.
        self.target = Path(os.path.realpath(path)) if os.path.islink(path) else path
        self.through = False  # written through (FIFO, character device), not replaced
        self.mode: int | None = None
        try:
            st = os.stat(self.target)
        except FileNotFoundError:
            st = None
        if st is not None:
            if stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode):
                self.through = True
            elif stat.S_ISDIR(st.st_mode):
                raise OutputRefused(errno.EISDIR, "is a folder", str(path))
            elif not stat.S_ISREG(st.st_mode):
                kind = "a block device" if stat.S_ISBLK(st.st_mode) else \
                    "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file"
                raise OutputRefused(errno.EINVAL, f"is {kind}; an output does not replace it", str(path))
            else:
                self.mode = stat.S_IMODE(st.st_mode)
        # The temporary file stands beside the file it replaces (so that replacing it is one rename);
        # one written through goes to the temporary folder (not into /dev).
        folder = None if self.through else (self.target.parent if str(self.target.parent) else Path("."))
        fd, name = tempfile.mkstemp(dir=folder, prefix=f".{self.target.name}.", suffix=".part")
        os.close(fd)
        self.tmp = Path(name)
        interrupts.register(self.tmp)  # removed even if the process has to end at once

    def finish(self) -> None:
        """Make the temporary file durable, with the permissions of the file it replaces (else the umask's)."""
        if self.through:
            return
        os.chmod(self.tmp, self.mode if self.mode is not None else 0o666 & ~_umask())
        with open(self.tmp, "rb+") as fh:
            os.fsync(fh.fileno())

    def commit(self) -> None:
        if self.through:
            with open(self.tmp, "rb") as src, open(self.target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            self.discard()
        else:
            os.replace(self.tmp, self.target)
            interrupts.unregister(self.tmp)

    def discard(self) -> None:
        try:
            self.tmp.unlink()
        except OSError:
            pass
        interrupts.unregister(self.tmp)


@contextmanager
def named(path: str | Path) -> Iterator[None]:
    """An OSError raised inside that names no file (a full disk's ENOSPC on a write) names ``path``."""
    try:
        yield
    except OSError as exc:
        if not getattr(exc, "filename", None):
            exc.filename = str(path)
        raise


@contextmanager
def atomic_paths(paths: Sequence[str | Path]) -> Iterator[list[Path]]:
    """Yield temporary paths for ``paths``; on success each replaces (or is written to) its destination.

    The destinations are all checked and their temporary files made before the
    caller does any work, so one that cannot be written stops the command
    before anything is replaced. On any error (or interruption) every
    temporary file is removed and every destination left as it was.
    """
    outputs: list[_Output] = []
    try:
        for p in paths:
            with interrupts.held():  # a signal between making a temporary file and keeping it here would orphan it
                outputs.append(_Output(Path(p)))
        yield [o.tmp for o in outputs]
        for o in outputs:
            with named(o.path):
                o.finish()
        interrupts.check()  # a signal whose exception was swallowed still stops the outputs
        for o in outputs:
            with named(o.path):
                o.commit()
    except BaseException as exc:
        for o in outputs:
            o.discard()
            if isinstance(exc, OSError) and getattr(exc, "filename", None) == str(o.tmp):
                exc.filename = str(o.path)  # the file the user named, not its temporary stand-in
        raise


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path for ``path``; on success it replaces ``path`` whole (see :func:`atomic_paths`).

    On any error the temporary file is removed and an existing ``path`` is left
    as it was. The new file keeps the old one's permissions (else the umask's).
    """
    with atomic_paths([path]) as (tmp,):
        yield tmp
