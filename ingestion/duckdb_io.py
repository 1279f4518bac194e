"""The warehouse side of ingestion: raw table DDL, the ingestion log and quarantine.

`raw_<source>` schemas are written only from here. The `pipeline` schema holds the
bookkeeping every load writes: one ingestion-log row per file and one quarantine row per
rejected input row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from pcnmo import settings
from pcnmo.contracts import CONTRACTS, RAW_METADATA_COLUMNS, TableContract
from pcnmo.tempfiles import temp_name
from pcnmo.warehouse_lock import connect_waiting

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


# A connection's own setting: DuckDB would otherwise draw a progress bar on the console of a
# long query (a national EPD month).
QUIET = "set enable_progress_bar = false"


@cache
def _spill_folder(temp_root: Path) -> str:
    """This process's folder for DuckDB's spill files (staged rows may hold NHS numbers as
    delivered): named for the process, so a killed run's files are cleaned on the next start.
    DuckDB makes it when it first spills; its parent must exist."""
    temp_root.mkdir(parents=True, exist_ok=True)
    return str(temp_root / temp_name("duckdb-spill"))


def connection_config() -> dict[str, Any]:
    """The limits of `pcnmo.settings` (a national EPD month is ~5 GB of CSV: DuckDB spills
    instead of growing with the input), spilling into this process's folder under the data
    directory's temp folder."""
    return settings.limits().duckdb_config(Path(_spill_folder(settings.paths().temp)))


def connect(
    path: Path, read_only: bool = False, on_wait: Callable[[str], Any] | None = None
) -> duckdb.DuckDBPyConnection:
    """A connection with the pipeline's settings; waits for another process's lock on the file
    (`pcnmo.warehouse_lock`)."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect_waiting(path, read_only=read_only, config=connection_config(), on_wait=on_wait)
    conn.execute(QUIET)
    return conn


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
