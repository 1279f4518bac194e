"""The data-quality sheet's check records come from the Dagster instance as plain dicts."""

import dagster as dg

from dagster_project.defs.reports.check_records import latest_check_results


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


def test_latest_check_results_are_plain_records_of_the_checks_that_ran():
    instance = dg.DagsterInstance.ephemeral()
    dg.materialize([demo_table, rows_add_up], instance=instance)
    records = latest_check_results(
        instance,
        [
            dg.AssetCheckKey(dg.AssetKey(["demo", "table"]), "rows_add_up"),
            dg.AssetCheckKey(dg.AssetKey(["demo", "table"]), "never_run"),
        ],
    )
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
