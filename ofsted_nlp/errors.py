"""The one exception type the project raises for documents it cannot read,
and how a path or a piece of text is made safe to print."""

from __future__ import annotations

import os
import re
from pathlib import Path

# Characters that must not reach a terminal or a one-line message: C0 and C1
# controls (ESC starts the sequences that set titles or clear screens), DEL,
# line and paragraph separators, bidirectional overrides and isolates, and the
# lone surrogates Python uses for file-name bytes that are not valid UTF-8.
_UNPRINTABLE_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(m: re.Match) -> str:
    c = m.group()
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a file name that is not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def printable(text: str | os.PathLike) -> str:
    """``text`` (or a path) with every character unsafe to print written as an escape.

    A file name whose bytes are not UTF-8 (``caf\\xe9.txt`` from Windows-1252)
    prints as ``caf\\xe9.txt``; a tab, newline or escape character as ``\\x09``,
    ``\\x0a``, ``\\x1b``. A backslash is kept as it is, so an ordinary path
    prints unchanged. The result encodes as UTF-8 and fits on one line.
    """
    s = os.fspath(text) if isinstance(text, os.PathLike) else str(text)
    if isinstance(s, bytes):
        s = os.fsdecode(s)
    return _UNPRINTABLE_RE.sub(_escape, s)


class OfstedReadError(Exception):
    """A document could not be read as an Ofsted letter or report.

    The message is one line naming the file and the cause, fit to show a user
    as it is: ``letter.pdf: not a PDF (it is an HTML page)``. The file's name
    is written with :func:`printable`, so the message is safe to print whatever
    the name holds; ``path`` keeps the name as given.
    """

    def __init__(self, path: str | Path, cause: str) -> None:
        self.path = str(path)
        self.cause = cause
        super().__init__(f"{printable(self.path)}: {printable(' '.join(cause.split()))}")

    def __reduce__(self):  # picklable, to cross from a worker process
        return (type(self), (self.path, self.cause))


class ModelError(Exception):
    """The model file cannot be used (missing, damaged, unsafe, or not a model). The message is one line."""
