"""The data-quality sheet's check records come from the Dagster instance as plain dicts, and
describe the sheet's month: a monthly check's result for that month, whatever ran later."""

import dagster as dg

from dagster_project.defs.reports.check_records import latest_check_results

MONTHS = dg.MonthlyPartitionsDefinition(start_date="2026-07-01")
# The months whose data fail the partitioned check below.
BAD_MONTHS = {"2026-08-01"}


@dg.asset(key=["demo", "table"])
def demo_table() -> None:
    return None


@dg.asset_check(asset=demo_table, name="rows_add_up")
def rows_add_up() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=False, severity=dg.AssetCheckSeverity.WARN, description="2 rows quarantined"
    )


@dg.asset_check(asset=demo_table, name="never_run")
def never_run() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@dg.asset(key=["demo", "monthly"], partitions_def=MONTHS)
def demo_monthly() -> None:
    return None


@dg.asset_check(asset=demo_monthly, name="no_bad_rows", partitions_def=MONTHS)
def no_bad_rows(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    bad = context.partition_key in BAD_MONTHS
    # No description: the detail must come from the metadata.
    return dg.AssetCheckResult(passed=not bad, metadata={"bad_rows": 3 if bad else 0})


KEYS = [
    dg.AssetCheckKey(dg.AssetKey(["demo", "table"]), "rows_add_up"),
    dg.AssetCheckKey(dg.AssetKey(["demo", "table"]), "never_run"),
    dg.AssetCheckKey(dg.AssetKey(["demo", "monthly"]), "no_bad_rows"),
]


def test_latest_check_results_are_plain_records_of_the_checks_that_ran():
    instance = dg.DagsterInstance.ephemeral()
    dg.materialize([demo_table, rows_add_up], instance=instance)
    records = latest_check_results(instance, KEYS, "2026-08-01")
    assert len(records) == 1
    record = records[0]
    assert {k: record[k] for k in ("asset", "check", "passed", "severity", "description")} == {
        "asset": "demo/table",
        "check": "rows_add_up",
        "passed": False,
        "severity": "WARN",
        "description": "2 rows quarantined",
    }
    assert all(
        isinstance(v, str | bool | type(None)) for k, v in record.items() if k != "evaluated_at"
    )


def test_a_monthly_check_reports_the_sheets_month_whatever_ran_last():
    instance = dg.DagsterInstance.ephemeral()
    for month in ("2026-08-01", "2026-09-01"):  # August fails, then September passes
        dg.materialize([demo_monthly, no_bad_rows], instance=instance, partition_key=month)
    august = {r["check"]: r for r in latest_check_results(instance, KEYS, "2026-08-01")}
    september = {r["check"]: r for r in latest_check_results(instance, KEYS, "2026-09-01")}
    assert (august["no_bad_rows"]["passed"], august["no_bad_rows"]["partition"]) == (
        False,
        "2026-08-01",
    )
    assert august["no_bad_rows"]["description"] == "bad_rows: 3"  # never an empty detail
    assert september["no_bad_rows"]["passed"] is True
    # July never ran: listed as having no result for the month, not as August's failure.
    july = {r["check"]: r for r in latest_check_results(instance, KEYS, "2026-07-01")}
    assert july["no_bad_rows"]["passed"] is None
