"""Quality checks on the dbt marts, shown beside the model in the Dagster UI.

- `great_expectations_suite` on each mart with a suite in `quality.mart_suites`
  (the KPI values, prescribing cost, safety alerts). A failed blocking expectation is an
  ERROR, anything else a WARN. They run after the dbt build (every model is one dbt op, so
  they cannot hold back models built in the same op); `build_warehouse` selects them with the
  marts group.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from quality.mart_suites import MART_SUITES, MartSuite


def _outcome_table(rows: list[tuple[str, str, str, int, str]]) -> dg.MetadataValue:
    lines = [
        "| expectation | column | severity | unexpected | examples |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {e} | {c} | {s} | {n} | {x} |" for e, c, s, n, x in rows]
    return dg.MetadataValue.md("\n".join(lines))


def _mart_suite_check(suite: MartSuite) -> dg.AssetChecksDefinition:
    schema, name = suite.table.split(".")

    @dg.asset_check(
        asset=[schema, name],
        name="great_expectations_suite",
        description=suite.description,
        pool="duckdb",
    )
    def _check(duckdb: DuckDBResource) -> dg.AssetCheckResult:
        with duckdb.get_connection() as conn:
            frame = conn.execute(suite.query).df()
        outcome = suite.validate(frame)
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

    return _check


# Every check on the marts outside dbt, for Definitions and for the report of check results.
CHECKS: list[dg.AssetChecksDefinition] = [_mart_suite_check(suite) for suite in MART_SUITES]
