"""Quality checks on the raw tables, shown beside each raw asset in the Dagster UI.

- `great_expectations_suite` (per table, per month, blocking): the GX suite of
  `quality.raw_suites` on the rows loaded for the month. Blocking failures stop the
  models downstream; warnings are reported without stopping them.
- `delivered_and_clean` (per table, per month, warning): the month's file arrived and no row
  was quarantined, read from the ingestion log.
- `dbt_source_freshness` (per table): `dbt source freshness`, thresholds in the sources YAML.
"""

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from dagster_project.partitions import monthly_partitions
from ingestion.duckdb_io import PIPELINE_SCHEMA, ensure_schema
from pcnmo.calendar import parse_month
from pcnmo.contracts import CONTRACTS, TableContract
from quality.raw_suites import expectations_for, validate


def _outcome_table(rows: list[tuple[str, str, str, str, int, str]]) -> dg.MetadataValue:
    lines = [
        "| month | expectation | column | severity | unexpected | examples |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {m} | {e} | {c} | {s} | {n} | {x} |" for m, e, c, s, n, x in rows]
    return dg.MetadataValue.md("\n".join(lines))


def build_expectations_check(table: TableContract) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=list(table.asset_key),
        name="great_expectations_suite",
        description=f"Great Expectations suite on the month's rows of {table.qualified_name}.",
        blocking=True,
        pool="duckdb",
        partitions_def=monthly_partitions,
    )
    def _check(
        context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource
    ) -> dg.AssetCheckResult:
        columns = ", ".join([*(c.raw_name for c in table.columns), "_month"])
        months = sorted(parse_month(key) for key in context.partition_keys)
        with duckdb.get_connection() as conn:
            ensure_schema(conn)
            frame = conn.execute(
                f"select {columns} from {table.qualified_name} where _month between ? and ?",
                [months[0], months[-1]],
            ).df()
        outcome = validate(table, frame)
        period = f"{months[0]:%Y-%m}" + (f"..{months[-1]:%Y-%m}" if len(months) > 1 else "")
        blocking = len(outcome.blocking_failures)
        failures = [
            (
                period,
                o.expectation,
                o.column,
                "blocking" if o.blocking else "warning",
                o.unexpected_count,
                ", ".join(o.examples),
            )
            for o in (*outcome.blocking_failures, *outcome.warnings)
        ]
        rows = outcome.rows
        return dg.AssetCheckResult(
            passed=not failures,
            severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
            metadata={
                "rows_validated": rows,
                "expectations": len(expectations_for(table)),
                "failed_blocking": blocking,
                "failed_warning": len(failures) - blocking,
                "failures": _outcome_table(failures),
            },
        )

    return _check


def build_delivery_check(table: TableContract) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=list(table.asset_key),
        name="delivered_and_clean",
        description="The month's file arrived and every row loaded (none quarantined).",
        pool="duckdb",
        partitions_def=monthly_partitions,
    )
    def _check(
        context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource
    ) -> dg.AssetCheckResult:
        months = [parse_month(key) for key in context.partition_keys]
        with duckdb.get_connection() as conn:
            ensure_schema(conn)
            rows = conn.execute(
                f"select month, status, rows_quarantined, message "
                f"from {PIPELINE_SCHEMA}.ingestion_log "
                "where source = ? and table_name = ? and month between ? and ? "
                "order by month, file_name",
                [table.source, table.name, min(months), max(months)],
            ).fetchall()
        problems = [f"{m:%Y-%m}: {msg}" for m, status, _, msg in rows if status != "loaded"]
        quarantined = sum(r[2] for r in rows)
        if quarantined:
            problems.append(f"{quarantined} row(s) quarantined: see pipeline.quarantine")
        logged_months = {r[0] for r in rows}
        problems += [f"{m:%Y-%m}: not loaded" for m in months if m not in logged_months]
        return dg.AssetCheckResult(
            passed=not problems,
            severity=dg.AssetCheckSeverity.WARN,
            description="; ".join(problems) if problems else "delivered, nothing quarantined",
            metadata={
                "months_loaded": len({r[0] for r in rows if r[1] == "loaded"}),
                "months_missing": len({r[0] for r in rows if r[1] == "missing"}),
                "files_rejected": sum(1 for r in rows if r[1] == "rejected"),
                "rows_quarantined": quarantined,
            },
        )

    return _check


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec("dbt_source_freshness", asset=list(table.asset_key))
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
            metadata={
                "status": status,
                "max_loaded_at": str(result.get("max_loaded_at")) if result else "",
            },
        )


# Every check on the raw tables, for Definitions and for the report of check results.
CHECKS: list[dg.AssetChecksDefinition] = [
    *(build_expectations_check(table) for table in CONTRACTS),
    *(build_delivery_check(table) for table in CONTRACTS),
    dbt_source_freshness,
]
