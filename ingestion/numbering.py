"""Number a file's records in one parallel scan, paying for the fields only of the rows kept.

DuckDB's CSV reader cannot say which record of the file a row is, and `WITH ORDINALITY` (or
`row_number() over ()`) numbers rows on one thread: a national EPD month (17M rows, 5 GB)
took twice as long to stage as a bare parallel scan. But with `preserve_insertion_order` on, a
table filled from one scan keeps the file's order, however many threads read it, and a
table's `rowid` is then the record's position (DuckDB, "Order Preservation":
https://duckdb.org/docs/2.0/sql/dialect/order_preservation.html).

So each scan here fills a scratch table with one row per record, holding as little as it can
for the records not wanted (a NULL, or a flag), and takes `rowid + 1` as the record number.

(Reading a national file's few kept lines again by their byte offsets, after a scan of the
practice field alone, was tried: finding the offsets cost what parsing the other fields saved.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

# One row per record of the file, in file order (rowid = record number - 1).
_RECORDS = "_pcnmo_records"


@contextmanager
def _records_in_file_order(
    conn: duckdb.DuckDBPyConnection, select_list: str, read_sql: str
) -> Iterator[str]:
    """A scratch table of `select_list` over every record of `read_sql`, in file order."""
    # For this connection only: the setting is global by default, and months load side by
    # side on their own connections (`ingestion.months`), some of which want any order.
    conn.execute("set session preserve_insertion_order = true")
    try:
        conn.execute(
            f"create or replace temp table {_RECORDS} as select {select_list} from {read_sql}"
        )
    finally:
        conn.execute("reset session preserve_insertion_order")
    try:
        yield _RECORDS
    finally:
        conn.execute(f"drop table if exists temp.{_RECORDS}")


def number_records(
    conn: duckdb.DuckDBPyConnection,
    read_sql: str,
    fields: list[str],
    keep: str,
    select_list: str,
    stage: str,
) -> int:
    """Create `stage` from the records of `read_sql` for which `keep` holds: `select_list`
    over `_k` (the record's number, from 1) and `fields` (all VARCHAR, as read). Returns how
    many records the file holds."""
    payload = "[" + ", ".join(fields) + "]" if fields else "[]"
    unpacked = "".join(f", _fields[{i + 1}] as {name}" for i, name in enumerate(fields))
    with _records_in_file_order(
        conn, f"case when {keep} then {payload} end as _fields", read_sql
    ) as records:
        conn.execute(
            f"create or replace temp table {stage} as select {select_list} from ("
            f"select rowid + 1 as _k{unpacked} from {records} where _fields is not null)"
        )
        return conn.execute(f"select count(*) from {records}").fetchall()[0][0]


def records_where(
    conn: duckdb.DuckDBPyConnection, read_sql: str, condition: str, target: str
) -> None:
    """Create `target`: `_k`, the number (from 1) of each record of `read_sql` for which
    `condition` holds."""
    with _records_in_file_order(conn, f"coalesce({condition}, false) as _match", read_sql) as rs:
        conn.execute(
            f"create or replace temp table {target} as select rowid + 1 as _k from {rs} "
            "where _match"
        )
