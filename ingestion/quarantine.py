"""The quarantine: rows that failed validation, kept with every failing column and the reason,
in `pipeline.quarantine` and as one CSV per file for the Lead Pharmacist to open and fix.

A quarantined row is kept as delivered except that nothing in it may show an NHS number (the
checked table's `_record`: see `ingestion.validation_sql.record_json_sql`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import duckdb

from ingestion.duckdb_io import PIPELINE_SCHEMA, sql_text
from ingestion.validation_sql import CHECKED_TABLE
from pcnmo.contracts import TableContract


def quarantine_failed_rows(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    month: dt.date,
    file_name: str,
    quarantined_at: dt.datetime,
) -> int:
    """Insert the checked table's failing rows of one file; returns how many there were."""
    return conn.execute(
        f"insert into {PIPELINE_SCHEMA}.quarantine "
        f"select {sql_text(table.source)}, {sql_text(table.name)}, date '{month.isoformat()}', "
        f"{sql_text(file_name)}, c._row, c._failed, c._reason, c._record, "
        f"timestamp '{quarantined_at.isoformat(sep=' ')}' "
        f"from {CHECKED_TABLE} as c where c._reason is not null"
    ).fetchall()[0][0]


def write_quarantine_files(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    month: dt.date,
    files: Iterable[tuple[str, int]],
    quarantine_dir: Path,
) -> None:
    """One CSV per file with quarantined rows, for the Lead Pharmacist to open and fix.

    `files` are the month's loaded files as (file name, rows quarantined)."""
    folder = quarantine_dir / f"{month:%Y-%m}"
    for file_name, rows_quarantined in files:
        target = folder / f"{file_name}.quarantine.csv"
        target.unlink(missing_ok=True)  # from an earlier run of the month
        if not rows_quarantined:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        conn.execute(
            f"copy (select row_number, column_names, reason, record_json "
            f"from {PIPELINE_SCHEMA}.quarantine where source = {sql_text(table.source)} "
            f"and table_name = {sql_text(table.name)} and month = date '{month.isoformat()}' "
            f"and file_name = {sql_text(file_name)} order by row_number) "
            f"to {sql_text(str(target))} (header, delimiter ',')"
        )
