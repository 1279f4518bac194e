"""`pcnmo status`: what the warehouse holds, what was quarantined or missing."""

from __future__ import annotations

import argparse

import duckdb

from pcnmo import settings


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "status",
        help="summarise the warehouse and the ingestion log",
        description="Per raw table: months loaded, rows in, loaded, quarantined, out of scope, "
        "months missing and files rejected.",
    )
    parser.set_defaults(handler=handle)
    return parser


def handle(args: argparse.Namespace, paths: settings.Paths) -> int:
    print_status(paths)
    return 0


def print_status(paths: settings.Paths) -> None:

    if not paths.warehouse.exists():
        print(f"No warehouse yet at {paths.warehouse}: run `pcnmo run` first.")
        return
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        rows = conn.execute(
            """
            select source || '.' || table_name as raw_table,
                count(distinct month) filter (where status = 'loaded') as months,
                sum(rows_in) as rows_in,
                sum(rows_loaded) as loaded,
                sum(rows_quarantined) as quarantined,
                sum(rows_out_of_scope) as out_of_scope,
                count(*) filter (where status = 'missing') as months_missing,
                count(*) filter (where status = 'rejected') as files_rejected,
            from pipeline.ingestion_log
            group by all
            order by 1
            """
        ).fetchall()
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
    print(f"Warehouse: {paths.warehouse}")
    print("  ".join(f"{h:>12}" if i else f"{h:<32}" for i, h in enumerate(header)))
    for row in rows:
        print("  ".join(f"{v:>12}" if i else f"{v:<32}" for i, v in enumerate(row)))
    print(f"Quarantined rows, one CSV per file: {paths.quarantine}")
