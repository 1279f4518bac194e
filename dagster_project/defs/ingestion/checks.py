"""Quality checks on the raw tables, shown beside each raw asset in the Dagster UI.

- `great_expectations_suite` (per table, per month, blocking): the GX suite of
  `ingestion.expectations` on the rows loaded for the month. Blocking failures stop the
  models downstream; warnings are reported without stopping them.
- `delivered_and_clean` (per table, per month, warning): the month's file arrived and no row
  was quarantined, read from the ingestion log.
- `dbt_source_freshness` (per table): `dbt source freshness`, thresholds in the sources YAML.
"""

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from dagster_project.partitions import monthly_partitions
from ingestion.contracts import CONTRACTS, TableContract
from ingestion.duckdb_io import PIPELINE_SCHEMA, ensure_schema
from ingestion.expectations import validate
from ingestion.loader import parse_month


def _outcome_table(rows: list[tuple[str, str, str, int, str]]) -> dg.MetadataValue:
    lines = ["| expectation | column | severity | unexpected | examples |", "|---|---|---|---|---|"]
    lines += [f"| {e} | {c} | {s} | {n} | {x} |" for e, c, s, n, x in rows]
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
        month = parse_month(context.partition_key)
        columns = ", ".join(c.raw_name for c in table.columns)
        with duckdb.get_connection() as conn:
            ensure_schema(conn)
            frame = conn.execute(
                f"select {columns} from {table.qualified_name} where _month = ?", [month]
            ).df()
        outcome = validate(table, frame)
        failed = [*outcome.blocking_failures, *outcome.warnings]
        return dg.AssetCheckResult(
            passed=not failed,
            severity=dg.AssetCheckSeverity.ERROR
            if outcome.blocking_failures
            else dg.AssetCheckSeverity.WARN,
            metadata={
                "rows_validated": outcome.rows,
                "expectations": len(outcome.outcomes),
                "failed_blocking": len(outcome.blocking_failures),
                "failed_warning": len(outcome.warnings),
                "failures": _outcome_table(
                    [
                        (
                            o.expectation,
                            o.column,
                            "blocking" if o.blocking else "warning",
                            o.unexpected_count,
                            ", ".join(o.examples),
                        )
                        for o in failed
                    ]
                ),
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
        month = parse_month(context.partition_key)
        with duckdb.get_connection() as conn:
            ensure_schema(conn)
            rows = conn.execute(
                f"select status, file_name, rows_quarantined, message "
                f"from {PIPELINE_SCHEMA}.ingestion_log "
                "where source = ? and table_name = ? and month = ? order by file_name",
                [table.source, table.name, month],
            ).fetchall()
        missing = [r for r in rows if r[0] == "missing"]
        rejected = [r for r in rows if r[0] == "rejected"]
        quarantined = sum(r[2] for r in rows)
        problems = [m for *_, m in missing + rejected]
        if quarantined:
            problems.append(f"{quarantined} row(s) quarantined: see pipeline.quarantine")
        return dg.AssetCheckResult(
            passed=bool(rows) and not problems,
            severity=dg.AssetCheckSeverity.WARN,
            description="; ".join(problems) if problems else "delivered, nothing quarantined",
            metadata={
                "files_loaded": sum(1 for r in rows if r[0] == "loaded"),
                "files_rejected": len(rejected),
                "rows_quarantined": quarantined,
            },
        )

    return _check


expectations_checks = [build_expectations_check(table) for table in CONTRACTS]
delivery_checks = [build_delivery_check(table) for table in CONTRACTS]


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
