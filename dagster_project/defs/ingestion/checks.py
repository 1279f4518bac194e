"""Quality checks on the raw tables, shown beside each raw asset in the Dagster UI.

- `great_expectations_suite` (per table, per month, blocking): the GX suite of
  `quality.raw_suites` on the rows loaded for each month (the loader already enforced its
  blocking rules before committing the month; this is the second line). A blocking failure
  fails the step, so nothing downstream is built; its message and metadata name the check,
  the table, the month, the files and the first failing rows (values with NHS numbers
  removed).
- `delivered_and_clean` (per table, per month, warning): the month's file arrived and no row
  was quarantined, read from the ingestion log; rejected files are named with their reason.
- `every_file_read` (per month, warning, on the inbox asset): no file in the month folder is
  one no table reads.
- `dbt_source_freshness` (per table): `dbt source freshness`, thresholds in the sources YAML.

Over a range of months each month's result is recorded against its own partition, so the UI
shows every month's own result.
"""

import datetime as dt
import logging
from collections.abc import Iterable

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from dagster_project.defs.ingestion.raw_tables import INBOX_FILES
from dagster_project.partitions import monthly_partitions
from dagster_project.step_errors import step_errors
from ingestion.duckdb_io import PIPELINE_SCHEMA, ensure_schema
from ingestion.load import UNCLAIMED_SOURCE, UNCLAIMED_TABLE
from pcnmo.calendar import parse_month
from pcnmo.contracts import CONTRACTS, TableContract
from pcnmo.redaction import redact
from quality.raw_suites import (
    ROW_ORIGIN,
    ExpectationOutcome,
    SuiteOutcome,
    month_chunks,
    split_by_month,
    suite_columns,
)
from quality.raw_suites import validate as validate_suite

ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


def _evaluation(
    key: dg.AssetKey,
    check: str,
    month: dt.date,
    passed: bool,
    severity: dg.AssetCheckSeverity,
    description: str,
    metadata: dict,
    blocking: bool = False,
) -> dg.AssetCheckEvaluation:
    return dg.AssetCheckEvaluation(
        asset_key=key,
        check_name=check,
        passed=passed,
        partition=month.isoformat(),
        severity=severity,
        description=redact(description),
        metadata=metadata,
        blocking=blocking,
    )


def _outcome_table(outcomes: Iterable[ExpectationOutcome]) -> dg.MetadataValue:
    lines = [
        "| rule | column | severity | failing rows | first failing rows | values |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {o.expectation} | {o.column} | {'blocking' if o.blocking else 'warning'} "
        f"| {o.unexpected_count} | {'; '.join(o.failing_rows)} | {', '.join(o.examples)} |"
        for o in outcomes
    ]
    return dg.MetadataValue.md(redact("\n".join(lines)))


def _suite_description(table: TableContract, month: dt.date, outcome: SuiteOutcome) -> str:
    failures = (*outcome.blocking_failures, *outcome.warnings)
    if not failures:
        return f"{month:%Y-%m}: all rules pass on {outcome.rows} rows of {table.qualified_name}."
    parts = [
        f"{'BLOCKING' if o.blocking else 'warning'} {o.expectation} on {o.column}: "
        f"{o.unexpected_count} row(s) ({'; '.join(o.failing_rows)}"
        f"{'; values ' + ', '.join(o.examples) if o.examples else ''})"
        for o in failures
    ]
    return f"{month:%Y-%m} {table.qualified_name}: " + " | ".join(parts)


class _GatedByStepFailure(logging.Filter):
    """Drops Dagster's warning that a raw table's suite "emitted no result" and that downstream
    "will proceed without gating on it". The suite records one evaluation per month as an event
    (a result cannot name its partition) and fails its step on a blocking failure, which stops
    every step downstream; the warning, once per downstream step and month range, would tell
    the person watching a run that blocking is off when it is not."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not ("emitted no result" in message and ":great_expectations_suite'" in message)


def _quieten_the_ungated_warning() -> None:
    plan_logger = logging.getLogger("dagster._core.execution.plan.active")
    if not any(isinstance(f, _GatedByStepFailure) for f in plan_logger.filters):
        plan_logger.addFilter(_GatedByStepFailure())


def build_expectations_check(table: TableContract) -> dg.AssetChecksDefinition:
    key = dg.AssetKey(list(table.asset_key))
    name = "great_expectations_suite"
    _quieten_the_ungated_warning()

    @dg.multi_asset_check(
        specs=[
            dg.AssetCheckSpec(
                name,
                asset=key,
                description=f"Great Expectations suite on each month's rows of "
                f"{table.qualified_name}: required values, pseudonyms never NHS numbers, "
                "unique keys (blocking); ranges and date order (warnings). A blocking failure "
                "names the file and rows and stops everything downstream.",
                blocking=True,
                partitions_def=monthly_partitions,
            )
        ],
        name=f"{table.source}__{table.name}__{name}",
        pool="duckdb",
        can_subset=True,
    )
    def _check(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
        # Only the columns the suite reads, in frames of whole months (`month_chunks`): the
        # memory of a check stays flat however many months or patients the run loads.
        columns = ", ".join(dict.fromkeys([*suite_columns(table), *ROW_ORIGIN]))
        months = sorted(parse_month(k) for k in context.partition_keys)
        by_month: dict[dt.date, SuiteOutcome] = {}
        with step_errors(), duckdb.get_connection() as conn:
            ensure_schema(conn)
            counts = conn.execute(
                f"select _month, count(*) from {table.qualified_name} "
                "where _month between ? and ? group by _month order by _month",
                [months[0], months[-1]],
            ).fetchall()
            for first, last in month_chunks(counts):
                frame = conn.execute(
                    f"select {columns} from {table.qualified_name} where _month between ? and ?",
                    [first, last],
                ).df()
                by_month.update(split_by_month(validate_suite(table, frame), frame))
        blocked = []
        for month in months:
            outcome = by_month.get(month) or SuiteOutcome(table.qualified_name, 0, ())
            blocking = len(outcome.blocking_failures)
            failures = (*outcome.blocking_failures, *outcome.warnings)
            description = _suite_description(table, month, outcome)
            context.op_execution_context.log_event(
                _evaluation(
                    key,
                    name,
                    month,
                    passed=not failures,
                    severity=dg.AssetCheckSeverity.ERROR
                    if blocking
                    else dg.AssetCheckSeverity.WARN,
                    description=description,
                    metadata={
                        "rows_validated": outcome.rows,
                        "failed_blocking": blocking,
                        "failed_warning": len(failures) - blocking,
                        "failures": _outcome_table(failures),
                    },
                    blocking=True,
                )
            )
            if blocking:
                blocked.append(description)
        if blocked:
            raise dg.Failure(
                description=redact(
                    f"Blocking check {name} failed on {table.qualified_name}: nothing "
                    "downstream is built from this run.\n" + "\n".join(blocked)
                ),
                allow_retries=False,
            )
        yield from ()

    return _check


def _delivery_description(month: dt.date, rows: list[tuple]) -> tuple[bool, str]:
    logged = [r for r in rows if r[0] == month]
    if not logged:
        return False, f"{month:%Y-%m}: not loaded"
    # A missing file has no name of its own; its message says which name was expected.
    problems = [
        message if status == "missing" else f"{file}: {message}"
        for _, file, status, _, message in logged
        if status != "loaded"
    ]
    quarantined = sum(r[3] for r in logged)
    if quarantined:
        problems.append(f"{quarantined} row(s) quarantined: see pipeline.quarantine")
    if not problems:
        return True, f"{month:%Y-%m}: delivered, nothing quarantined"
    return False, f"{month:%Y-%m}: " + "; ".join(problems)


def build_delivery_check(table: TableContract) -> dg.AssetChecksDefinition:
    key = dg.AssetKey(list(table.asset_key))
    name = "delivered_and_clean"

    @dg.multi_asset_check(
        specs=[
            dg.AssetCheckSpec(
                name,
                asset=key,
                description="The month's file arrived and every row loaded (none quarantined); "
                "names any file rejected and why.",
                partitions_def=monthly_partitions,
            )
        ],
        name=f"{table.source}__{table.name}__{name}",
        pool="duckdb",
        can_subset=True,
    )
    def _check(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
        months = sorted(parse_month(k) for k in context.partition_keys)
        with step_errors(), duckdb.get_connection() as conn:
            ensure_schema(conn)
            rows = conn.execute(
                f"select month, file_name, status, rows_quarantined, message "
                f"from {PIPELINE_SCHEMA}.ingestion_log "
                "where source = ? and table_name = ? and month between ? and ? "
                "order by month, file_name",
                [table.source, table.name, months[0], months[-1]],
            ).fetchall()
        for month in months:
            passed, description = _delivery_description(month, rows)
            logged = [r for r in rows if r[0] == month]
            context.op_execution_context.log_event(
                _evaluation(
                    key,
                    name,
                    month,
                    passed=passed,
                    severity=dg.AssetCheckSeverity.WARN,
                    description=description,
                    metadata={
                        "files_loaded": sum(1 for r in logged if r[2] == "loaded"),
                        "files_missing": sum(1 for r in logged if r[2] == "missing"),
                        "files_rejected": sum(1 for r in logged if r[2] == "rejected"),
                        "rows_quarantined": sum(r[3] for r in logged),
                    },
                )
            )
        yield from ()

    return _check


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "every_file_read",
            asset=INBOX_FILES,
            description="Every file in the month's inbox folder is one a table reads: names "
            "each file that none does.",
            partitions_def=monthly_partitions,
        )
    ],
    pool="duckdb",
    can_subset=True,
)
def every_file_read(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    months = sorted(parse_month(k) for k in context.partition_keys)
    with step_errors(), duckdb.get_connection() as conn:
        ensure_schema(conn)
        rows = conn.execute(
            f"select month, file_name from {PIPELINE_SCHEMA}.ingestion_log "
            "where source = ? and table_name = ? and month between ? and ? order by 1, 2",
            [UNCLAIMED_SOURCE, UNCLAIMED_TABLE, months[0], months[-1]],
        ).fetchall()
    for month in months:
        names = [file for m, file in rows if m == month]
        description = (
            f"{month:%Y-%m}: no table reads {', '.join(names)}: rename as docs/extracts.md "
            "gives, or remove"
            if names
            else f"{month:%Y-%m}: every file is read by a table"
        )
        context.op_execution_context.log_event(
            _evaluation(
                INBOX_FILES,
                "every_file_read",
                month,
                passed=not names,
                severity=dg.AssetCheckSeverity.WARN,
                description=description,
                metadata={"unclaimed_files": len(names)},
            )
        )
    yield from ()


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "dbt_source_freshness",
            asset=list(table.asset_key),
            description=f"dbt source freshness of {table.qualified_name}: the latest load is "
            "no older than the thresholds in its sources YAML (the delivery rhythm).",
        )
        for table in CONTRACTS
    ],
    pool="duckdb",
)
def dbt_source_freshness(dbt: DbtCliResource):
    """Runs `dbt source freshness` once for every raw table; thresholds live in the YAML."""
    invocation = dbt.cli(["source", "freshness"], raise_on_error=False).wait()
    results = {
        tuple(r["unique_id"].split(".")[-2:]): r
        for r in invocation.get_artifact("sources.json")["results"]
    }
    for table in CONTRACTS:
        result = results.get(table.asset_key)
        status = result["status"] if result else "not run"
        yield dg.AssetCheckResult(
            asset_key=dg.AssetKey(list(table.asset_key)),
            check_name="dbt_source_freshness",
            passed=status == "pass",
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{table.qualified_name}: {status}",
            metadata={
                "status": status,
                "max_loaded_at": str(result.get("max_loaded_at")) if result else "",
            },
        )


# Every check on the raw tables, for Definitions and for the report of check results.
CHECKS: list[dg.AssetChecksDefinition] = [
    *(build_expectations_check(table) for table in CONTRACTS),
    *(build_delivery_check(table) for table in CONTRACTS),
    every_file_read,
    dbt_source_freshness,
]
