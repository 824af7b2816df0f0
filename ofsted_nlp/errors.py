"""The one exception type the project raises for documents it cannot read."""

from __future__ import annotations

from pathlib import Path


class OfstedReadError(Exception):
    """A document could not be read as an Ofsted letter or report.

    The message is one line naming the file and the cause, fit to show a user
    as it is: ``letter.pdf: not a PDF (it is an HTML page)``.
    """

    def __init__(self, path: str | Path, cause: str) -> None:
        self.path = str(path)
        self.cause = cause
        super().__init__(f"{self.path}: {cause}")

    def __reduce__(self):  # picklable, to cross from a worker process
        return (type(self), (self.path, self.cause))


class ModelError(Exception):
    """The model file cannot be used (missing, damaged, unsafe, or not a model). The message is one line."""
