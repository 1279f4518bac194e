"""The warehouse side of ingestion: raw table DDL, the ingestion log and quarantine.

`raw_<source>` schemas are written only from here. The `pipeline` schema holds the
bookkeeping every load writes: one ingestion-log row per file and one quarantine row per
rejected input row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pcnmo.contracts import CONTRACTS, RAW_METADATA_COLUMNS, TableContract

PIPELINE_SCHEMA = "pipeline"

INGESTION_LOG_DDL = f"""
create table if not exists {PIPELINE_SCHEMA}.ingestion_log (
    source varchar not null,
    table_name varchar not null,
    month date not null,
    file_name varchar not null,
    dialect varchar,
    checksum_sha256 varchar,
    status varchar not null,           -- loaded | rejected | missing
    rows_in bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    rows_out_of_scope bigint not null, -- national files: rows for organisations not configured
    message varchar,
    loaded_at timestamp not null
)
"""

QUARANTINE_DDL = f"""
create table if not exists {PIPELINE_SCHEMA}.quarantine (
    source varchar not null,
    table_name varchar not null,
    month date not null,
    file_name varchar not null,
    row_number bigint not null,        -- header is row 1, as a spreadsheet numbers it
    column_names varchar not null,     -- every column that failed, comma separated
    reason varchar not null,
    record_json varchar not null,      -- the row as delivered, NHS numbers masked
    quarantined_at timestamp not null
)
"""


def sql_text(value: str) -> str:
    """A SQL string literal holding `value`."""
    return "'" + value.replace("'", "''") + "'"


# A national EPD month is ~4 GB of CSV: cap DuckDB's memory so it spills to disk instead of
# growing with the input (the machine this runs on may be small and shared).
CONNECTION_CONFIG = {"memory_limit": "3GB", "preserve_insertion_order": "false"}


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only, config=CONNECTION_CONFIG)


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    conn.execute("begin transaction")
    try:
        yield conn
    except BaseException:
        conn.execute("rollback")
        raise
    conn.execute("commit")


def raw_table_ddl(table: TableContract) -> str:
    columns = [f"{col.raw_name} {col.duckdb_type}" for col in table.columns]
    columns += [f"{name} {dtype}" for name, dtype, _ in RAW_METADATA_COLUMNS]
    body = ",\n    ".join(columns)
    return f"create table if not exists {table.qualified_name} (\n    {body}\n)"


def ensure_schema(
    conn: duckdb.DuckDBPyConnection, tables: tuple[TableContract, ...] = CONTRACTS
) -> None:
    """Create the pipeline tables and the raw tables (idempotent)."""
    conn.execute(f"create schema if not exists {PIPELINE_SCHEMA}")
    conn.execute(INGESTION_LOG_DDL)
    conn.execute(QUARANTINE_DDL)
    for table in tables:
        conn.execute(f"create schema if not exists {table.raw_schema}")
        conn.execute(raw_table_ddl(table))
