"""The store's tables, written once from the package's column lists, and the schema's version.

Tables (see README, "The findings store"):

``meta``       key/value: the schema version, the model the store's tags come from, the reader's version.
``files``      one row per file name ever tagged into the store: its path, document name (the file name
               without extension) and the sha256 of its bytes. Several names may share one sha256.
``documents``  one row per distinct content (sha256): the metadata read from it (authority, codes, region,
               date, kind, framework, visit end, grades), its number of findings, and the model and reader
               that made its rows.
``findings``   one row per finding: the document's sha256, where it stands (section, judgement, area,
               area grade, recommendation, index), its text, themes (a list), polarity and one
               ``score_<name>`` column per theme and polarity class.
``runs``       one row per ``tag --store`` run: when, the model, what it did.

The finding and document columns come from :data:`ofsted_nlp.batch.rows.FINDING_COLUMNS` and
:data:`~ofsted_nlp.batch.rows.DOCUMENT_FIELDS`, so the store cannot drift from the tag table.
"""

from __future__ import annotations

from typing import Final

from ofsted_nlp.batch.rows import DOCUMENT_FIELDS, FINDING_COLUMNS
from ofsted_nlp.schema import SCORE_KEYS

SCHEMA_VERSION: Final = 1

# Columns of a finding that belong to the finding itself (not to its document), in row order.
FINDING_FIELDS: Final = tuple(FINDING_COLUMNS[len(DOCUMENT_FIELDS):])
FINDING_COLUMNS_INDEX: Final = FINDING_COLUMNS.index("index")  # FindingRow.index is tuple.index: read by place
# The document's own fields, stored once per content: every document field but its name.
CONTENT_FIELDS: Final = DOCUMENT_FIELDS[1:]
SCORE_COLUMNS: Final = tuple(f"score_{k}" for k in SCORE_KEYS)
# The findings table's stored columns (scores spread over SCORE_COLUMNS).
FINDING_STORED: Final = ("sha256",) + tuple(c for c in FINDING_FIELDS if c != "scores") + SCORE_COLUMNS

_TYPES: Final = {"recommendation": "BOOLEAN", "index": "INTEGER", "themes": "VARCHAR[]"}


def _type(column: str) -> str:
    if column.startswith("score_"):
        return "DOUBLE"
    return _TYPES.get(column, "VARCHAR")


def quoted(column: str) -> str:
    return f'"{column}"'


def _columns(names) -> str:
    return ",\n  ".join(f"{quoted(c)} {_type(c)}" for c in names)


DDL: Final = [
    "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "CREATE TABLE files (path VARCHAR PRIMARY KEY, document VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, "
    "size BIGINT, run INTEGER)",
    f"CREATE TABLE documents (\n  sha256 VARCHAR PRIMARY KEY,\n  {_columns(CONTENT_FIELDS)},\n"
    "  findings INTEGER, model_sha256 VARCHAR, reader VARCHAR, run INTEGER)",
    f"CREATE TABLE findings (\n  {_columns(FINDING_STORED)})",
    "CREATE TABLE runs (run INTEGER PRIMARY KEY, started TIMESTAMP, finished TIMESTAMP, model_name VARCHAR, "
    "model_sha256 VARCHAR, model_format VARCHAR, package_version VARCHAR, reader VARCHAR, "
    "new INTEGER, changed INTEGER, unchanged INTEGER, renamed INTEGER, retagged INTEGER, failed INTEGER)",
]
# No index on findings.sha256: keeping one cost ~0.4 s of CPU over the corpus's 117,000 findings, and
# DuckDB's zone maps already skip the row groups of other documents (findings are written by document).
TABLES: Final = ("meta", "files", "documents", "findings", "runs")


def create(con) -> None:
    """Make the tables of an empty store and record its schema version (one transaction)."""
    con.execute("BEGIN TRANSACTION")
    for statement in DDL:
        con.execute(statement)
    con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    con.execute("COMMIT")


def tables(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                      "WHERE table_schema = 'main'").fetchall()}


def version_of(con) -> int | None:
    """The schema version a store records; None where it has no ``meta`` table or no version."""
    if "meta" not in tables(con):
        return None
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    try:
        return int(row[0]) if row else None
    except ValueError:
        return None


# Migrations: version -> the statements that take a store of that version to the next. None yet: a store of
# another version than these and SCHEMA_VERSION is refused.
MIGRATIONS: Final[dict[int, list[str]]] = {}


def migrate(con, found: int) -> bool:
    """Take a store of version ``found`` to :data:`SCHEMA_VERSION`; False where no migration leads there."""
    steps = []
    version = found
    while version != SCHEMA_VERSION:
        if version not in MIGRATIONS:
            return False
        steps.extend(MIGRATIONS[version])
        version += 1
    con.execute("BEGIN TRANSACTION")
    for statement in steps:
        con.execute(statement)
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)])
    con.execute("COMMIT")
    return True
