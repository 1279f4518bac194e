"""A failing dbt test in the UI carries its failing rows (values with NHS numbers removed),
and every dbt test has a description.

The dbt asset module reads dbt's manifest when it is imported, so it is imported inside the
tests, after the `dbt_manifest` fixture has prepared the manifest (a module-level import would
read a stale one, or none in a fresh clone)."""

from __future__ import annotations

import dagster as dg
import duckdb


def test_a_failed_test_carries_its_first_failing_rows(tmp_path, dbt_manifest):
    from dagster_project.defs.transform.dbt_models import with_failing_rows

    warehouse = tmp_path / "pcnmo.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(
            "create table marts_kpi as select * from (values ('CA01', null), ('CA02', 1), "
            "('note 943 476 5919', null)) as t(kpi_id, value)"
        )
    run_results = {
        "results": [
            {
                "unique_id": "test.pcnmo.not_null_kpi_value",
                "status": "fail",
                "compiled_code": "select * from marts_kpi where value is null\n",
            }
        ]
    }
    failed = dg.AssetCheckResult(
        passed=False,
        asset_key=dg.AssetKey(["marts", "fct_kpi_values"]),
        check_name="not_null_kpi_value",
        metadata={"unique_id": "test.pcnmo.not_null_kpi_value", "dagster_dbt/failed_row_count": 2},
    )

    result = with_failing_rows(failed, run_results, warehouse)

    assert result.description == (
        "2 failing row(s); first: kpi_id=CA01, value=None; kpi_id=note [number removed], value=None"
    )
    table = result.metadata["failing_rows"].value
    assert "| CA01 | None |" in table and "5919" not in table
    assert not result.passed and result.check_name == "not_null_kpi_value"


def test_a_test_without_a_description_gets_one_from_what_it_tests(dbt_manifest):
    from dagster_project.defs.transform.dbt_models import describe_test

    test = {
        "name": "not_null_fct_kpi_values_kpi_id",
        "description": "",
        "test_metadata": {"name": "not_null", "kwargs": {"column_name": "kpi_id"}},
        "config": {"severity": "ERROR"},
    }
    assert describe_test(test) == (
        "dbt test not_null on kpi_id (a failure stops the build): not_null_fct_kpi_values_kpi_id"
    )
    assert describe_test({**test, "description": "KPI ids are never empty."}) == (
        "KPI ids are never empty."
    )
