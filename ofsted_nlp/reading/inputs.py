"""Finding the documents to read: the paths given, and folders searched recursively.

Nothing found in a folder stops the search: a symlink loop, a broken link, a
FIFO or device named ``.txt``, a subfolder that cannot be read or one nested
too deep is reported as one line naming the path and the cause, and the rest
are still found. A ``.txt`` file that ofsted-nlp itself wrote (a findings
table or a theme matrix) is not an Ofsted document: it is skipped with one
line. File names that are not valid UTF-8 are kept as the operating system
gives them; messages print them escaped (:func:`~ofsted_nlp.errors.printable`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ofsted_nlp.errors import printable
from ofsted_nlp.reading.extraction import own_output, special_kind, stat_problem

SUFFIXES = (".txt", ".pdf")

# Folders deeper than this below a path given are not searched (each one cut is reported).
MAX_DEPTH = 64


@dataclass
class Inputs:
    """What to read, and one line for each path that will not be read."""

    files: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # could not be read: the run reports a failure
    skipped: list[str] = field(default_factory=list)  # not documents (ofsted-nlp's own tables): noted only
    clashes: list[Path] = field(default_factory=list)  # files in ``exclude`` that are documents to read


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _line(path: Path | str, cause: str) -> str:
    return f"{printable(path)}: {cause}"


def _own_output(path: Path) -> str | None:
    """The kind of ofsted-nlp table ``path`` holds, if it is one (only .txt files are looked at)."""
    if path.suffix.lower() != ".txt":
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return None  # the reader will say why
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return own_output(os.read(fd, 4096))
    except OSError:
        return None
    finally:
        os.close(fd)


def _walk(root: Path, found: Inputs, max_depth: int) -> list[Path]:
    """Files under ``root`` with a suffix in SUFFIXES, sorted by their parts below ``root``.

    Symlinked folders are not followed; symlinked files are, if they lead to a
    regular file. Iterative, so depth costs no recursion.
    """
    files: list[Path] = []
    stack: list[tuple[Path, int]] = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            found.problems.append(_line(folder, f"folder cannot be read ({exc.strerror or exc}); skipped"))
            continue
        subfolders: list[tuple[Path, int]] = []
        for entry in entries:
            if _is_hidden(entry.name):
                continue
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                if depth + 1 > max_depth:
                    found.problems.append(_line(path, f"folder nested more than {max_depth} deep; not searched"))
                else:
                    subfolders.append((path, depth + 1))
                continue
            if path.suffix.lower() not in SUFFIXES:
                continue
            try:
                st = os.stat(path)  # follows a symlink to its file
            except OSError as exc:
                found.problems.append(_line(path, stat_problem(path, exc)))
                continue
            if stat.S_ISDIR(st.st_mode):
                continue  # a symlink to a folder named like a document: not followed, as other folder links
            kind = special_kind(st.st_mode)
            if kind:
                found.problems.append(_line(path, f"is {kind}, not a regular file; not read"))
                continue
            files.append(path)
        stack.extend(reversed(subfolders))  # searched in name order, depth first
    return sorted(files, key=lambda p: p.relative_to(root).parts)


def find_inputs(paths: Sequence[Path | str], exclude: Iterable[Path | str] = (),
                max_depth: int = MAX_DEPTH) -> Inputs:
    """Files to read, in the order given; folders are searched recursively, sorted.

    Every path that cannot be read (missing, a special file, a symlink loop, an
    unreadable or too deeply nested folder, a file named explicitly with
    another extension than ``.txt``/``.pdf``) is a line in ``problems`` (the
    run goes on with the others); ofsted-nlp's own
    tables are lines in ``skipped``. A file in ``exclude`` (the command's
    outputs) is left out silently if it is one of ofsted-nlp's tables, else it
    is in ``clashes``: the caller should refuse to replace a document it was
    asked to read. The same file given twice is read once.
    """
    found = Inputs()
    seen: set[tuple[int, int] | str] = set()
    excluded: set[tuple[int, int] | str] = set()
    for e in exclude:
        ident = _identity(Path(e))
        if ident is not None:
            excluded.add(ident)
    notes: list[str] = []
    for given in paths:
        p = Path(given)
        try:
            st = os.stat(p)
        except OSError as exc:
            cause = stat_problem(p, exc)
            found.problems.append(_line(p, "no such file or folder" if cause == "no such file" else cause))
            continue
        if stat.S_ISDIR(st.st_mode):
            before = len(found.problems)
            candidates = _walk(p, found, max_depth)
            if not candidates and len(found.problems) == before:
                notes.append(_line(p, "no .txt or .pdf files in this folder"))
        else:
            if p.suffix.lower() not in SUFFIXES:
                found.problems.append(_line(p, f"unsupported file type {printable(p.suffix) or '(no extension)'!r}; "
                                               "expected .txt or .pdf files or folders"))
                continue
            kind = special_kind(st.st_mode)
            if kind:
                found.problems.append(_line(p, f"is {kind}, not a regular file; not read"))
                continue
            candidates = [p]
        for c in candidates:
            key = _identity(c) or str(c)
            if key in seen:
                continue
            seen.add(key)
            own = _own_output(c)
            if key in excluded:
                if not own:  # an output that would replace a document given to read
                    found.clashes.append(c)
                continue
            if own:
                found.skipped.append(_line(c, f"a {own} written by ofsted-nlp, not an Ofsted document; skipped"))
                continue
            found.files.append(c)
    found.skipped = notes + found.skipped
    return found


def _identity(p: Path) -> tuple[int, int] | None:
    """(device, inode) of the file ``p`` leads to: the same file by any name or link."""
    try:
        st = os.stat(p)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)
