"""Quality checks on the dbt marts, shown beside the model in the Dagster UI.

- `great_expectations_suite` on each mart with a suite in `quality.mart_suites`
  (the KPI values, prescribing cost, safety alerts). A failed blocking expectation is an
  ERROR and fails the step, so the build run fails and nothing is published or written from
  it; anything else is a WARN. They run after the dbt build (every model is one dbt op, so
  they cannot hold back models built in the same op); `build_warehouse` selects them with the
  marts group.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.step_errors import step_errors
from pcnmo.redaction import redact
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
        blocking=True,
    )
    def _check(
        context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource
    ) -> dg.AssetCheckResult:
        with step_errors(), duckdb.get_connection() as conn:
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
        summary = redact(
            "; ".join(
                f"{'BLOCKING' if o.blocking else 'warning'} {o.expectation} on {o.column}: "
                f"{o.unexpected_count} row(s), e.g. {', '.join(o.examples)}"
                for o in (*outcome.blocking_failures, *outcome.warnings)
            )
        )
        metadata = {
            "rows_validated": outcome.rows,
            "expectations": len(outcome.outcomes),
            "failed_blocking": blocking,
            "failed_warning": len(failures) - blocking,
            "failures": _outcome_table(failures),
        }
        description = summary or f"every expectation passed on {outcome.rows} rows"
        if blocking:
            # Recorded as the check's result, then the step fails: the build run fails, and
            # nothing is published or written from it.
            context.op_execution_context.log_event(
                dg.AssetCheckEvaluation(
                    asset_key=dg.AssetKey([schema, name]),
                    check_name="great_expectations_suite",
                    passed=False,
                    severity=dg.AssetCheckSeverity.ERROR,
                    description=description,
                    metadata=metadata,
                    blocking=True,
                )
            )
            raise dg.Failure(
                description=f"Blocking check great_expectations_suite failed on {suite.table}: "
                f"{summary}. Nothing is published or written from this build.",
                allow_retries=False,
            )
        return dg.AssetCheckResult(
            passed=not failures,
            description=description,
            severity=dg.AssetCheckSeverity.WARN,
            metadata=metadata,
        )

    return _check


# Every check on the marts outside dbt, for Definitions and for the report of check results.
CHECKS: list[dg.AssetChecksDefinition] = [_mart_suite_check(suite) for suite in MART_SUITES]
