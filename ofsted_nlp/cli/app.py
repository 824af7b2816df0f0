"""The ``ofsted-nlp`` command line: one Typer app, one module per command in ``commands/``.

Command modules import only typer and the standard library at module level,
so ``ofsted-nlp --help`` answers without loading pandas, scikit-learn, spaCy
or pypdfium2.
"""

from __future__ import annotations

import os
import sys

import typer

from ofsted_nlp.cli.change import change
from ofsted_nlp.cli.evaluate import evaluate
from ofsted_nlp.cli.evidence import evidence
from ofsted_nlp.cli.explain import explain
from ofsted_nlp.cli.export import export
from ofsted_nlp.cli.matrix import matrix
from ofsted_nlp.cli.report import report
from ofsted_nlp.cli.tag import tag
from ofsted_nlp.cli.train import train

app = typer.Typer(
    name="ofsted-nlp",
    help="Structured, comparable findings from Ofsted letters and reports on English local authorities' "
         "children's services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help and errors: fast, and readable in logs and pipes
    context_settings={"help_option_names": ["-h", "--help"]},
)

app.command("tag")(tag)
app.command("matrix")(matrix)
app.command("change")(change)
app.command("evidence")(evidence)
app.command("report")(report)
app.command("train")(train)
app.command("evaluate")(evaluate)
app.command("explain")(explain)
app.command("export")(export)


def _say(message: str) -> None:
    from ofsted_nlp.errors import printable

    try:
        print(f"ofsted-nlp: {printable(' '.join(str(message).split()))}", file=sys.stderr)
    except (OSError, ValueError, AttributeError):  # stderr closed
        pass


# glibc's malloc: blocks up to this size come from the heap and are reused once freed, and freed memory is
# kept up to the second size. By default large blocks (numpy's per-batch arrays of several MB) are mapped
# and unmapped at every allocation, and each of their pages faults in again: on the whole corpus that was
# 14,000 more page faults and ~0.2 s more system CPU. The command's process is short-lived, so keeping up
# to 512 MB of freed memory for reuse costs nothing; a notebook's process (the library) is left as it is.
_MMAP_THRESHOLD = 256 << 20
_TRIM_THRESHOLD = 512 << 20


def _tune_malloc() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        m_trim_threshold, m_mmap_threshold = -1, -3  # malloc.h
        libc.mallopt(m_mmap_threshold, _MMAP_THRESHOLD)
        libc.mallopt(m_trim_threshold, _TRIM_THRESHOLD)
    except (OSError, AttributeError):  # not glibc
        pass


def main() -> None:
    """Entry point of the ``ofsted-nlp`` script: no traceback reaches the user, every problem is one line.

    Ctrl-C, SIGTERM and SIGHUP unwind the command (:mod:`ofsted_nlp.io.interrupts`)
    and exit with 128 + the signal's number; usage errors are one line and exit 2.
    """
    _tune_malloc()
    from ofsted_nlp.cli.common import ClickException, UsageError
    from ofsted_nlp.io import interrupts

    interrupts.install()
    try:
        code = app(prog_name="ofsted-nlp", standalone_mode=False)
    except UsageError as exc:
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:  # bare command: its help, as asked
            print(ctx.get_help(), file=sys.stderr)
            code = 2
        else:
            where = ctx.command_path if ctx is not None else "ofsted-nlp"
            _say(f"{exc.format_message()} (see '{where} --help')")  # type: ignore[attr-defined]
            code = getattr(exc, "exit_code", 2)
    except ClickException as exc:
        _say(exc.format_message())  # type: ignore[attr-defined]
        code = getattr(exc, "exit_code", 1)
    except (KeyboardInterrupt, typer.Abort):
        code = 130
    except BrokenPipeError:
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        code = 1
    except Exception as exc:  # a bug: one line, unless debugging
        if os.environ.get("OFSTED_NLP_DEBUG"):
            raise
        _say(f"unexpected error ({type(exc).__name__}: {exc}); set OFSTED_NLP_DEBUG=1 to see the traceback")
        code = 2
    if interrupts.received() is not None:  # also when the exception was swallowed on the way
        if not interrupts.said():
            interrupts.mark_said()
            _say(f"{interrupts.describe()}; nothing written")
        code = interrupts.exit_code(130)
        interrupts.ignore()  # all is cleaned up: a further signal must not kill the exit with a traceback
    code = code if isinstance(code, int) else 0
    sys.exit(code)


if __name__ == "__main__":
    main()
