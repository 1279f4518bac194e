"""The published warehouse: a read-only, always-complete copy of the marts for analysts.

DuckDB allows one writer per file, and a reader holding the working warehouse open would block
the pipeline. So analysts read a separate file, data_dir/published/pcnmo.duckdb, which this
module rebuilds from scratch in a temporary file beside it and then swaps into place with
os.replace (an atomic rename). A reader that opened the old copy keeps reading it until it
reconnects (its open file handle still points at the old file); a new reader sees the new copy
whole. Nobody ever sees a half-built month, and no reader can block a run.

What is copied: every table of the `marts` and `seeds` schemas (the seeds carry the KPI
dictionary, targets and codelists the marts refer to) and pipeline.ingestion_log (which file
was loaded when: aggregate counts, no patient rows). Raw, staging and intermediate layers and
the quarantine (rows as delivered) stay behind. Table and column descriptions (written by dbt
persist_docs as DuckDB comments) are carried over.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pcnmo.tempfiles import sibling_temp_path
from pcnmo.warehouse_lock import with_lock_wait

PUBLISHED_SCHEMAS = ("marts", "seeds")
PUBLISHED_TABLES = (("pipeline", "ingestion_log"),)
SOURCE_ALIAS = "working_warehouse"
# Analysts' tools often lag the pipeline's DuckDB: a file written by DuckDB 2.0 in its own
# storage format cannot be opened by DuckDB 1.x, so the published copy is written in the
# 1.5 storage format, which DuckDB 1.5 and later all read.
READER_COMPATIBILITY = {"storage_compatibility_version": "v1.5.0"}


@dataclass(frozen=True)
class PublishedTable:
    schema: str
    table: str
    rows: int


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def publish_warehouse(source: Path, target: Path) -> list[PublishedTable]:
    """Copy the marts, seeds and ingestion log of `source` into a new DuckDB file and move it
    onto `target` atomically. `source` is opened read-only, so no other connection may hold it
    open for writing at the same time (the pipeline's duckdb pool sees to that)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = sibling_temp_path(target)
    published: list[PublishedTable] = []
    try:
        with duckdb.connect(str(temporary), config=READER_COMPATIBILITY) as conn:
            # A writer holding the working file (an analyst who opened it read-write) delays
            # the copy; it never fails it at once.
            with_lock_wait(
                Path(source),
                lambda: conn.execute(
                    f"attach {_quote_literal(str(source))} as {SOURCE_ALIAS} (read_only)"
                ),
            )
            tables = conn.execute(
                """
                select schema_name, table_name, comment
                from duckdb_tables()
                where database_name = ?
                    and (schema_name in (select unnest(?::varchar[]))
                        or schema_name || '.' || table_name in (select unnest(?::varchar[])))
                order by schema_name, table_name
                """,
                [
                    SOURCE_ALIAS,
                    list(PUBLISHED_SCHEMAS),
                    [f"{s}.{t}" for s, t in PUBLISHED_TABLES],
                ],
            ).fetchall()
            columns = conn.execute(
                """
                select schema_name, table_name, column_name, comment
                from duckdb_columns()
                where database_name = ? and comment is not null and comment <> ''
                """,
                [SOURCE_ALIAS],
            ).fetchall()
            column_comments: dict[tuple[str, str], list[tuple[str, str]]] = {}
            for schema, table, column, comment in columns:
                column_comments.setdefault((schema, table), []).append((column, comment))
            for schema in sorted({t[0] for t in tables}):
                conn.execute(f"create schema if not exists {_quote_identifier(schema)}")
            for schema, table, comment in tables:
                name = f"{_quote_identifier(schema)}.{_quote_identifier(table)}"
                conn.execute(f"create table {name} as select * from {SOURCE_ALIAS}.{name}")
                if comment:
                    conn.execute(f"comment on table {name} is {_quote_literal(comment)}")
                for column, column_comment in column_comments.get((schema, table), []):
                    conn.execute(
                        f"comment on column {name}.{_quote_identifier(column)} "
                        f"is {_quote_literal(column_comment)}"
                    )
                rows = conn.execute(f"select count(*) from {name}").fetchall()[0][0]
                published.append(PublishedTable(schema, table, rows))
            conn.execute(f"detach {SOURCE_ALIAS}")
            # Everything into the file itself (no write-ahead log left beside it) before the
            # rename, so the published file is complete on its own.
            conn.execute("checkpoint")
        os.replace(temporary, target)
    finally:
        for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return published
