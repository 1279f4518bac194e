"""Load many months of one raw table, months side by side.

A month's load is mostly DuckDB work that runs on one thread (a practice's extract is a row
group or two) and some Python, so loading one month after another kept one core of two busy.
Here each worker loads whole months on its own connection to the same database (a cursor): a
month's load reads and writes only that month's rows of the table, the ingestion log and the
quarantine, in its own transaction, and DuckDB never conflicts on appends or on deletes of
different rows. Nothing a month checks depends on another month of the same table; the months
of the tables it is checked against (the ODS tables) were loaded by an earlier step.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path

import duckdb

from ingestion.duckdb_io import QUIET
from ingestion.load import LoadResult, MonthRejected, load_month
from pcnmo.contracts import TableContract

MonthOutcome = LoadResult | MonthRejected


def load_months(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    months: list[str],
    inbox: Path,
    workers: int,
    sub_icb_scope: Iterable[str] = (),
    quarantine_dir: Path | None = None,
    on_loaded: Callable[[LoadResult], None] | None = None,
) -> list[MonthOutcome]:
    """`load_month` for each of `months` (up to `workers` at once): each month's result, or
    its rejection, in the order of `months`. `on_loaded` is called (on this thread) as each
    month loads. Any other error stops the months not yet started and is raised."""
    scope = tuple(sub_icb_scope)
    local = threading.local()
    cursors: list[duckdb.DuckDBPyConnection] = []

    def load(month: str, on: duckdb.DuckDBPyConnection | None = None) -> MonthOutcome:
        if on is None:
            # One connection per worker thread, kept for its months (each connection installs
            # the loader's macros once).
            if not hasattr(local, "cursor"):
                local.cursor = conn.cursor()
                local.cursor.execute(QUIET)
                cursors.append(local.cursor)
            on = local.cursor
        try:
            return load_month(on, table, month, inbox, None, scope, quarantine_dir)
        except MonthRejected as rejection:
            return rejection

    def loaded(outcome: MonthOutcome) -> MonthOutcome:
        if on_loaded is not None and isinstance(outcome, LoadResult):
            on_loaded(outcome)
        return outcome

    if workers <= 1 or len(months) <= 1:
        return [loaded(load(month, conn)) for month in months]
    try:
        with ThreadPoolExecutor(min(workers, len(months)), "pcnmo-month") as pool:
            futures = [pool.submit(load, month) for month in months]
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for future in done:
                    if (error := future.exception()) is not None:
                        for waiting in pending:
                            waiting.cancel()
                        raise error
                    loaded(future.result())
            return [future.result() for future in futures]
    finally:
        for cursor in cursors:
            cursor.close()
