"""The batch pipeline: find documents, read them, tag their findings, in one process or several.

``tag_paths(paths, model, jobs)`` yields one :class:`DocumentResult` per file,
in the order given, whatever the number of processes: the document's record
and its tagged findings (:class:`~ofsted_nlp.batch.rows.FindingRow`), the warnings
its reading raised, or the one-line reason it could not be read. It never
raises for a bad document: a file that cannot be read, or that breaks a model
call, or that kills a worker process, costs that file alone.

Documents are read and tagged a few at a time (one call to the model for a
few thousand findings costs much less than one per document). With
``jobs > 1`` worker processes are forked from this one after the model is
loaded (:mod:`ofsted_nlp.batch.workers`), so they start in milliseconds and
share its memory: the model and the reading limits reach them with the
fork. They ignore Ctrl-C (the caller's process handles it and ends them) and
never outlive the call: leaving the loop early, or an exception in it, ends
them. Where workers cannot win (few documents, fewer than two CPUs free) the
work stays in this process. A call changes no setting of the caller's
process.
"""

from __future__ import annotations

import functools
import gc
import os
import warnings
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ofsted_nlp.batch.duplicates import Duplicates, findings_key
from ofsted_nlp.batch.rows import DOCUMENT_FIELDS
from ofsted_nlp.errors import ModelError, printable
from ofsted_nlp.reading.extraction import Limits, get_limits
from ofsted_nlp.reading.inputs import SUFFIXES, Inputs, find_inputs
from ofsted_nlp.tagging.tags import Tagger

if TYPE_CHECKING:  # pragma: no cover
    from ofsted_nlp.batch.rows import FindingRow
    from ofsted_nlp.reading.letter import Letter

__all__ = ["DocumentResult", "DOCUMENT_COLUMNS", "SUFFIXES", "find_documents", "tag_paths", "read_paths",
           "effective_jobs"]

# One record per document read: its metadata (the finding rows' document fields), where it was read
# from and how many findings it has.
DOCUMENT_COLUMNS = ["document", "path", *DOCUMENT_FIELDS[1:], "findings"]

# Files read and tagged together: large enough that the model's per-call costs
# are spread over a few thousand findings, small enough to keep memory low and
# the progress moving (and, with workers, the work evenly spread).
CHUNK = 16
CHUNK_PARALLEL = 4
# Below this many documents per worker, starting workers costs more than it saves.
MIN_DOCUMENTS_PER_WORKER = 8


@dataclass
class DocumentResult:
    """One file's outcome: its document record and tagged findings, or why it could not be read."""

    path: str
    document: dict | None = None  # DOCUMENT_COLUMNS
    rows: list[FindingRow] = field(default_factory=list)  # or (themes, polarity) pairs when compact
    messages: list[str] = field(default_factory=list)  # warnings raised while reading it, one line each
    error: str | None = None  # one line: "path: cause"
    # the document's findings, digested (batch.duplicates.findings_key), to recognise a second copy by
    findings_key: frozenset[str] = field(default_factory=frozenset, repr=False)
    duplicate_of: str | None = None  # an earlier file of the batch holding the same document: this one left out

    @property
    def ok(self) -> bool:
        return self.error is None


def one_line(text: str) -> str:
    return " ".join(str(text).split())


# --------------------------------------------------------------------------- finding documents


def find_documents(paths: Iterable[str | Path], exclude: Iterable[str | Path] = ()) -> Inputs:
    """Files to read, in the order given; folders are searched recursively (sorted) for .txt and .pdf.

    See :func:`ofsted_nlp.reading.inputs.find_inputs`: a path that cannot be read
    (missing, a special file, a symlink loop, an unreadable or too deeply
    nested folder, a file named explicitly with another extension) is returned
    as a problem and the rest go on; ofsted-nlp's own tables and empty folders
    are notes in ``skipped``. The same file given twice is read once; files in
    ``exclude`` (a command's own outputs) are not read.
    """
    return find_inputs(list(paths), exclude=exclude)


# --------------------------------------------------------------------------- the model in each process

_MODELS: dict[tuple, Tagger] = {}


def _model_key(path: Path) -> tuple:
    """Identifies a model file and its version on disk (so that a retrained file is reloaded)."""
    try:
        st = path.stat()
        return (str(path.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        return (str(path), 0, 0)


def batch_gc() -> Callable[[], None]:
    """Tune the garbage collector for a batch: hundreds of documents, millions of small objects.

    The model, spaCy's vocabulary and the libraries are kept for the whole run,
    so they are frozen out of the collector's scans, and the youngest
    generation is collected every 50,000 allocations instead of every 700.
    Over the corpus this saves about a tenth of the CPU time for a few MB more.
    Returns the function that puts back what the caller had: its thresholds,
    and nothing frozen (unless the caller had frozen objects itself: those, and
    what was frozen here, stay frozen).
    """
    thresholds = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)

    def restore() -> None:
        if not frozen_before:
            gc.unfreeze()
        gc.set_threshold(*thresholds)

    return restore


def cached_model(path: str | Path | None = None, trust_pickle: bool = False) -> Tagger:
    """The model at ``path`` (default: the shipped one), loaded once per process while the file is unchanged.

    Raises :class:`~ofsted_nlp.errors.ModelError` for a model that cannot be used;
    its warnings are raised as usual.
    """
    from ofsted_nlp.tagging.accurate import ACCURATE_DIR, CARD_NAME, is_accurate, load_accurate
    from ofsted_nlp.tagging.model import DEFAULT_MODEL, load_model

    accurate = is_accurate(path)
    if accurate:
        key = _model_key(ACCURATE_DIR / CARD_NAME if str(path) == "accurate" else Path(path or ""))
    else:
        key = _model_key(Path(path) if path is not None else DEFAULT_MODEL)
    model = _MODELS.get(key)
    if model is None:
        model = load_accurate(path) if accurate else load_model(key[0], trust_pickle=trust_pickle)
        _MODELS.clear()
        _MODELS[key] = model
    return model


# --------------------------------------------------------------------------- reading and tagging


def _caught(result: DocumentResult, caught: list) -> None:
    for w in caught:
        msg = one_line(str(w.message))
        if msg not in result.messages:
            result.messages.append(msg)


def _failure(path: str, exc: BaseException) -> str:
    from ofsted_nlp.errors import OfstedReadError

    if isinstance(exc, OfstedReadError):
        return one_line(str(exc))
    where = printable(path)
    if isinstance(exc, OSError):
        return one_line(f"{where}: {exc.strerror or exc}")
    if isinstance(exc, MemoryError):
        return f"{where}: out of memory while reading"
    if isinstance(exc, RecursionError):
        return f"{where}: too deeply nested to read"
    # a bug costs one file, not the batch
    return one_line(f"{where}: unexpected error ({type(exc).__name__}: {printable(str(exc))})")


def _debug() -> bool:
    return bool(os.environ.get("OFSTED_NLP_DEBUG"))


def _read(path: str, limits: Limits) -> tuple[DocumentResult, Letter | None]:
    """(result, Letter or None) for one file, read within ``limits``. Never raises."""
    from ofsted_nlp.reading.letter import read_letter

    result = DocumentResult(path)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            letter = read_letter(path, limits=limits)
        _caught(result, caught)
        # A name that is not UTF-8, or holds control characters, is written escaped wherever it goes.
        letter.document, letter.path = printable(letter.document), printable(letter.path)
        result.document = document_record(letter)
        result.findings_key = findings_key([f.text for f in letter.findings])
        return result, letter
    except Exception as exc:
        if _debug():
            raise
        result.error = _failure(path, exc)
        return result, None


def document_record(letter: Letter) -> dict:
    """A letter's row of the documents table (:data:`DOCUMENT_COLUMNS`)."""
    return letter.metadata() | {"path": letter.path, "findings": len(letter.findings)}


def _tag(read: list[tuple[DocumentResult, Letter | None]], model: Tagger, compact: bool) -> None:
    """Tag the findings of the letters read, in one call to the model, into their results."""
    from ofsted_nlp.batch.rows import finding_rows

    done = [(result, letter) for result, letter in read if letter is not None]
    if not done:
        return
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rows = finding_rows([letter for _, letter in done], model)
        _caught(done[0][0], caught)
    except ModelError:
        raise  # the model is at fault, not the documents: the run stops with its one line
    except Exception as exc:
        if _debug():
            raise
        if len(done) > 1:  # find the document at fault: tag each on its own
            for pair in done:
                _tag([pair], model, compact)
        else:
            result = done[0][0]
            result.error, result.document = _failure(result.path, exc), None
        return
    start = 0
    for result, letter in done:
        mine = rows[start:start + len(letter.findings)]
        start += len(letter.findings)
        result.rows = [(r.themes, r.polarity) for r in mine] if compact else mine  # type: ignore[misc]


def _tag_chunk(paths: list[str], model: Tagger | None, compact: bool, limits: Limits) -> list[DocumentResult]:
    """Read files and tag all their findings together (``model`` None: read only). Never raises."""
    read = [_read(p, limits) for p in paths]
    if model is not None:
        _tag(read, model, compact)
    return [result for result, _ in read]


# --------------------------------------------------------------------------- worker processes


def effective_jobs(jobs: int, documents: int) -> int:
    """How many processes are worth starting for ``documents`` documents.

    No more than the CPUs this process may use, nor than the documents allow
    (``MIN_DOCUMENTS_PER_WORKER`` each): below that, starting and feeding
    workers costs more than they save.
    """
    return max(1, min(jobs, available_cpus(), documents // MIN_DOCUMENTS_PER_WORKER))


def available_cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


DIED = "the process reading it died (out of memory, or a crash in a PDF library)"


def _forked_results(paths: list[str], work: Callable[[list[str]], list[DocumentResult]], jobs: int
                    ) -> Iterator[DocumentResult]:
    """Results in input order from ``jobs`` forked workers (:class:`~ofsted_nlp.batch.workers.Workers`).

    Files go out a few at a time. When a worker dies, the files it was
    reading are read again one at a time; a file that kills its worker when
    read alone comes back with an error, and costs no other file.
    """
    from ofsted_nlp.batch.workers import WorkerDied, Workers, WorkFailed

    _prepare_fork()
    done: dict[int, DocumentResult] = {}
    alone: set[int] = set()  # files read again on their own after a worker died reading them
    following = 0
    with Workers(jobs, work) as pool:
        for i in range(0, len(paths), CHUNK_PARALLEL):
            chunk = tuple(range(i, min(i + CHUNK_PARALLEL, len(paths))))
            pool.submit(chunk, [paths[k] for k in chunk])
        while len(pool):
            key, answer = pool.next_result()
            indices: tuple[int, ...] = key  # type: ignore[assignment]
            if isinstance(answer, WorkerDied):
                if len(indices) == 1 and indices[0] in alone:
                    done[indices[0]] = DocumentResult(paths[indices[0]], error=f"{paths[indices[0]]}: {DIED}")
                else:
                    alone.update(indices)
                    for k in reversed(indices):  # first in line, so that the output keeps moving
                        pool.submit((k,), [paths[k]], first=True)
            elif isinstance(answer, WorkFailed):  # pragma: no cover - the work never raises
                done.update((k, DocumentResult(paths[k], error=one_line(f"{printable(paths[k])}: unexpected error "
                                                                        f"({answer.message})"))) for k in indices)
            else:
                done.update(zip(indices, answer))
            while following in done:
                yield done.pop(following)
                following += 1


def _prepare_fork() -> None:
    """Import and build in this process what every worker needs (the sentence splitter's tokenizer: spaCy's
    rules, or spaCy's pipeline where they cannot be used; the PDF library), so that forked workers share
    it instead of each building it again (with spaCy, 1-2 s of CPU and ~300 MB a worker)."""
    import pypdfium2  # noqa: F401

    from ofsted_nlp.reading.sentences import piece_starts

    piece_starts()


def _results(paths: list[str], model: Tagger | None, jobs: int, compact: bool, limits: Limits
             ) -> Iterator[DocumentResult]:
    if jobs <= 1:
        for i in range(0, len(paths), CHUNK):
            yield from _tag_chunk(paths[i:i + CHUNK], model, compact, limits)
        return
    # The workers are forked with this function: they inherit the model and the limits, nothing is pickled.
    yield from _forked_results(paths, functools.partial(_tag_chunk, model=model, compact=compact, limits=limits),
                               jobs)


def tag_paths(paths: Sequence[str | Path], model: Tagger | str | Path | None = None, jobs: int = 1,
              compact: bool = False, trust_pickle: bool = False, limits: Limits | None = None
              ) -> Generator[DocumentResult, None, None]:
    """Read and tag documents, yielding one :class:`DocumentResult` per file in the order given.

    ``paths`` are files or folders (searched recursively for .txt and .pdf);
    a path that cannot be used comes back as a result with an ``error``.
    ``model`` is a loaded model, a model file, or None for the shipped model
    (loading it may raise :class:`~ofsted_nlp.errors.ModelError`). ``jobs``
    is an upper bound on processes (see :func:`effective_jobs`); the results
    are the same whatever it is. ``compact`` keeps only ``(themes, polarity)``
    of each finding, all a matrix needs. ``limits`` bound each document's
    size, pages and characters, in this process and in the workers (default:
    the process's default at the call, :func:`~ofsted_nlp.reading.extraction.get_limits`);
    the call changes no setting of the process (the reader's default limits,
    the garbage collector's thresholds).
    """
    inputs = find_documents(paths)
    for problem in inputs.problems:
        yield DocumentResult(problem.split(": ", 1)[0], error=problem)
    loaded = model if isinstance(model, Tagger) else cached_model(model, trust_pickle=trust_pickle)
    yield from tag_files([str(f) for f in inputs.files], loaded, jobs, compact, limits=limits)


def tag_files(files: Sequence[str], model: Tagger | None, jobs: int = 1, compact: bool = False,
              limits: Limits | None = None) -> Generator[DocumentResult, None, None]:
    """:func:`tag_paths` for files already found, with the model already loaded (None: read only).

    A later copy of a document already in the batch (:mod:`~ofsted_nlp.batch.duplicates`: a ``.pdf`` and its
    ``.txt``, one file under two names) comes back with ``duplicate_of`` set, no rows and a message.
    """
    files = [str(f) for f in files]
    limits = limits or get_limits()
    if getattr(model, "threads_itself", False):
        jobs = 1  # the accurate model's runtime already uses every core; forked copies would only compete
    restore_gc = batch_gc()
    copies = Duplicates()
    try:
        for result in _results(files, model, effective_jobs(jobs, len(files)), compact, limits):
            if result.document is not None and result.error is None:
                found = copies.of(result.path, result.document, result.findings_key)
                if found is not None:
                    result.duplicate_of, result.rows = found[0], []
                    result.messages.append(f"{printable(result.path)}: the same document as {printable(found[0])} "
                                           f"(same authority, kind and dates, {found[1]:.0%} of its findings "
                                           "alike): counted once, this copy left out")
            yield result
    finally:
        restore_gc()


def read_paths(paths: Sequence[str | Path], jobs: int = 1, limits: Limits | None = None
               ) -> Generator[DocumentResult, None, None]:
    """Read documents without tagging them: results with the document record and no rows."""
    inputs = find_documents(paths)
    for problem in inputs.problems:
        yield DocumentResult(problem.split(": ", 1)[0], error=problem)
    yield from tag_files([str(f) for f in inputs.files], None, jobs, limits=limits)
