"""`pcnmo status`: what the warehouse holds, what was quarantined, missing, rejected or not
read at all, and whether another process holds the working warehouse."""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

from pcnmo import settings
from pcnmo.warehouse_lock import holder_of, is_lock_conflict

SUMMARY = """
    select source || '.' || table_name as raw_table,
        count(distinct month) filter (where status = 'loaded') as months,
        sum(rows_in) as rows_in,
        sum(rows_loaded) as loaded,
        sum(rows_quarantined) as quarantined,
        sum(rows_out_of_scope) as out_of_scope,
        count(*) filter (where status = 'missing') as months_missing,
        count(*) filter (where status = 'rejected') as files_rejected,
    from pipeline.ingestion_log
    where status <> 'unclaimed'
    group by all
    order by 1
"""
NOT_LOADED = """
    select strftime(month, '%Y-%m'), status, file_name, message
    from pipeline.ingestion_log
    where status in ('rejected', 'unclaimed')
    order by month, status, file_name
"""


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "status",
        help="summarise the warehouse and the ingestion log",
        description="Per raw table: months loaded, rows in, loaded, quarantined, out of scope, "
        "months missing and files rejected; then every file rejected or not read, and whether "
        "another process holds the working warehouse.",
    )
    parser.set_defaults(handler=handle)
    return parser


def handle(args: argparse.Namespace, paths: settings.Paths) -> int:
    print_status(paths)
    return 0


def _read(path: Path) -> tuple[list[tuple], list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(SUMMARY).fetchall(), conn.execute(NOT_LOADED).fetchall()


def print_status(paths: settings.Paths) -> None:
    if not paths.warehouse.exists():
        print(f"No warehouse yet at {paths.warehouse}: run `pcnmo run` first.")
        return
    holder = holder_of(paths.warehouse)
    if holder:
        print(
            f"The working warehouse {paths.warehouse} is held by another process ({holder}): "
            "a run in progress, or someone who opened it. A run waits for it "
            f"({settings.lock_wait_seconds():.0f} s), then fails. Analysts must query the "
            f"published copy, {paths.published_warehouse}."
        )
    source = paths.warehouse
    try:
        rows, not_loaded = _read(source)
    except duckdb.Error as error:
        if not (is_lock_conflict(error) and paths.published_warehouse.exists()):
            raise
        source = paths.published_warehouse
        print(f"(Figures from the published copy, as of the last successful build: {source}.)")
        rows, not_loaded = _read(source)
    header = (
        "raw table",
        "months",
        "rows in",
        "loaded",
        "quarantined",
        "out of scope",
        "missing",
        "rejected",
    )
    print(f"Warehouse: {source}")
    print("  ".join(f"{h:>12}" if i else f"{h:<32}" for i, h in enumerate(header)))
    for row in rows:
        print("  ".join(f"{v:>12}" if i else f"{v:<32}" for i, v in enumerate(row)))
    if not_loaded:
        print("Files not loaded (latest attempt of each month):")
        for month, status, file_name, message in not_loaded:
            print(f"  {month} {status:<9} {file_name}: {message}")
    print(f"Quarantined rows, one CSV per file: {paths.quarantine}")
