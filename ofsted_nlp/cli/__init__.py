"""One module per ``ofsted-nlp`` command; ``ofsted_nlp.cli.app`` gathers them into one app.

Command modules import only typer and the standard library at module level:
pandas, scikit-learn, spaCy and pypdfium2 are imported inside the command
functions so that ``ofsted-nlp --help`` answers at once.
"""
