"""Quality checks on the dbt marts, shown beside the model in the Dagster UI.

- `great_expectations_suite` on marts/fct_kpi_values: the GX suite of
  `ingestion.mart_expectations`. A failed blocking expectation is an ERROR, anything else a
  WARN. It runs after the dbt build (every model is one dbt op, so it cannot hold back the
  reports built in the same op); `build_warehouse` selects it with the marts group.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from ingestion.mart_expectations import TABLE, validate_kpi_values

KPI_VALUES_QUERY = f"""
select kpi_values.*, periods.period_type
from {TABLE} as kpi_values
left join marts.dim_periods as periods
    on kpi_values.period_id = periods.period_id
"""


def _outcome_table(rows: list[tuple[str, str, str, int, str]]) -> dg.MetadataValue:
    lines = [
        "| expectation | column | severity | unexpected | examples |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {e} | {c} | {s} | {n} | {x} |" for e, c, s, n, x in rows]
    return dg.MetadataValue.md("\n".join(lines))


@dg.asset_check(
    asset=["marts", "fct_kpi_values"],
    name="great_expectations_suite",
    description="Great Expectations suite on the KPI values: ranges, RAG, no-data and gaps.",
    pool="duckdb",
)
def kpi_values_expectations(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as conn:
        frame = conn.execute(KPI_VALUES_QUERY).df()
    outcome = validate_kpi_values(frame)
    blocking = len(outcome.blocking_failures)
    failures = [
        (
            o.expectation,
            o.column,
            "blocking" if o.blocking else "warning",
            o.unexpected_count,
            ", ".join(o.examples),
        )
        for o in (*outcome.blocking_failures, *outcome.warnings)
    ]
    return dg.AssetCheckResult(
        passed=not failures,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
        metadata={
            "rows_validated": outcome.rows,
            "expectations": len(outcome.outcomes),
            "failed_blocking": blocking,
            "failed_warning": len(failures) - blocking,
            "failures": _outcome_table(failures),
        },
    )
