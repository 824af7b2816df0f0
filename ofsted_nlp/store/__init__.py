"""The findings store: documents read and tagged once, kept in one DuckDB file, queried by every view.

>>> from ofsted_nlp import open_store
>>> store = open_store("findings.duckdb")                 # made if it does not exist    # doctest: +SKIP
>>> summary = store.add(["data/letters"])                 # reads and tags only what is new or changed
>>> print(summary.describe())                             # '6 documents: 6 new, 0 changed, 0 unchanged'
>>> findings = store.findings(Selection(region="London"))  # the tag table, from the store
>>> store.sql("SELECT kind, count(*) FROM documents GROUP BY kind")

Modules: :mod:`~ofsted_nlp.store.schema` (the tables, their version, migrations),
:mod:`~ofsted_nlp.store.connection` (opening, and why a file cannot be used),
:mod:`~ofsted_nlp.store.writing` (adding documents), :mod:`~ofsted_nlp.store.reading` (queries, results
as the pipeline gives them), :mod:`~ofsted_nlp.store.export` (Parquet), :mod:`~ofsted_nlp.store.api` (the
:class:`Store` of the notebook API).
"""
