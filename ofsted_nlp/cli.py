"""The ``ofsted-nlp`` command line: one Typer app, one module per command in ``commands/``.

Command modules import only typer and the standard library at module level,
so ``ofsted-nlp --help`` answers without loading pandas, scikit-learn, spaCy
or pypdfium2.
"""

from __future__ import annotations

import os
import signal
import sys

import typer

from .commands.change import change
from .commands.evaluate import evaluate
from .commands.evidence import evidence
from .commands.explain import explain
from .commands.matrix import matrix
from .commands.report import report
from .commands.tag import tag
from .commands.train import train

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


def _terminated(signum, frame):  # SIGTERM: unwind like Ctrl-C so temporary outputs are removed
    raise KeyboardInterrupt


def main() -> None:
    """Entry point of the ``ofsted-nlp`` script: no traceback reaches the user."""
    try:
        signal.signal(signal.SIGTERM, _terminated)
    except (ValueError, OSError):  # not the main thread
        pass
    try:
        app(prog_name="ofsted-nlp")
    except KeyboardInterrupt:
        print("ofsted-nlp: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        sys.exit(1)
    except Exception as exc:  # a bug: one line, unless debugging
        if os.environ.get("OFSTED_NLP_DEBUG"):
            raise
        message = " ".join(str(exc).split())
        print(f"ofsted-nlp: unexpected error ({type(exc).__name__}: {message}); "
              "set OFSTED_NLP_DEBUG=1 to see the traceback", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
