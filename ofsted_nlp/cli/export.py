"""``ofsted-nlp export``: a store's tables as Parquet files, for tools that read files rather than databases."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ofsted_nlp.cli import common


def export(
    store: Annotated[Path, typer.Argument(metavar="FILE.duckdb", show_default=False,
                                          help="The store (made by 'ofsted-nlp tag PATH... --store FILE.duckdb').")],
    parquet: Annotated[Path, typer.Option(
        "--parquet", file_okay=False, show_default=False,
        help="Write each table (files, documents, findings, runs, meta) to DIR/<table>.parquet; DIR is made "
             "if needed.")],
) -> None:
    """Export the store's tables to Parquet (one file per table, each replaced only when complete)."""
    if not common.store_path_ok(store):
        raise common.BadParameter(f"{store.name!r}: a store is a .duckdb file", param_hint="'FILE.duckdb'")
    if parquet.exists() and not parquet.is_dir():
        raise common.BadParameter(f"{parquet} is a file, not a folder", param_hint="'--parquet'")
    with common.command_errors():
        from ofsted_nlp.store import connection
        from ofsted_nlp.store.export import export_parquet

        with common.store_errors():
            con = connection.open_for_reading(store)
            try:
                written = export_parquet(con, parquet)
            finally:
                con.close()
        common.say(f"{len(written)} tables written to {parquet}")
