"""The blocking rules of `pcnmo.raw_rules`, checked on a month's rows before the load commits.

The raw tables are the staging views' only input, so a month that breaks a blocking rule must
never be committed at all: "not building on it" would still leave its rows in staging. The
loader runs these queries inside the load's transaction, after the month's rows are written;
a failure rolls the month back to its last good state and names the rule, the files and the
first failing rows. The Great Expectations suites check the same rules again afterwards.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from ingestion.duckdb_io import sql_text
from ingestion.inbox import FileRejected
from pcnmo.contracts import TableContract
from pcnmo.raw_rules import RawRule, RuleKind, raw_rules

SHOWN_ROWS = 5


def _failing_rows_sql(table: TableContract, rule: RawRule) -> str:
    """SQL for the month's rows breaking `rule`: file and row of each, first ones first."""
    month_rows = f"select * from {table.qualified_name} where _month = $month"
    if rule.kind is RuleKind.UNIQUE:
        key = ", ".join(c for c in rule.columns if c != "_month")
        return (
            f"select _source_file, _source_row from ({month_rows}) "
            f"qualify count(*) over (partition by {key}) > 1"
        )
    column = rule.columns[0]
    if rule.kind is RuleKind.NOT_NULL:
        failing = f"{column} is null"
    elif rule.kind is RuleKind.MATCHES:
        failing = f"not regexp_full_match(coalesce({column}, ''), {sql_text(rule.regex or '')})"
    elif rule.kind is RuleKind.BETWEEN:
        bounds = []
        if rule.minimum is not None:
            bounds.append(f"{column} < {rule.minimum}")
        if rule.maximum is not None:
            bounds.append(f"{column} > {rule.maximum}")
        failing = " or ".join(bounds) or "false"
    else:
        later, earlier = rule.columns
        failing = f"{later} < {earlier}"
    return f"select _source_file, _source_row from ({month_rows}) where {failing}"


def check_blocking_rules(
    conn: duckdb.DuckDBPyConnection, table: TableContract, month: dt.date
) -> None:
    """Raise `FileRejected` (naming the files) for the first blocking rule the month breaks."""
    for rule in raw_rules(table):
        if not rule.blocking:
            continue
        rows = conn.execute(
            f"select _source_file, _source_row, count(*) over () from "
            f"({_failing_rows_sql(table, rule)}) order by _source_file, _source_row "
            f"limit {SHOWN_ROWS}",
            {"month": month},
        ).fetchall()
        if not rows:
            continue
        files = sorted({file for file, _, _ in rows})
        shown = "; ".join(f"{file} row {row}" for file, row, _ in rows)
        raise FileRejected(
            ", ".join(files),
            f"break the blocking rule '{rule.name}' of {table.qualified_name} in {rows[0][2]} "
            f"row(s) ({shown}). Correct the rows (or remove the file that repeats them) and "
            "run the month again.",
        )
