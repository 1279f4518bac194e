"""What the warehouse build is told to compute again: the months an ingestion run loaded, or
everything on a full refresh."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import dagster as dg
import pytest

from dagster_project.run_tags import FULL_REFRESH_TAG, REBUILD_FROM_TAG


@pytest.fixture(scope="module")
def definitions(dbt_manifest) -> dg.Definitions:
    from dagster_project.definitions import defs

    return defs()


@pytest.fixture(scope="module")
def dbt_build_args(
    dbt_manifest,
) -> Callable[[Mapping[str, str]], tuple[list[str], dict[str, str]]]:
    """Importing the dbt step loads the dbt manifest (dagster-dbt reads it at import)."""
    from dagster_project.defs.transform.dbt_models import dbt_build_args

    return dbt_build_args


def test_the_build_computes_from_the_first_month_ingested(dbt_build_args):
    args, environment = dbt_build_args({REBUILD_FROM_TAG: "2026-08-01"})
    assert args == ["build", "--exclude-resource-type", "unit_test"]
    # In the environment, not as a var: a changed var makes dbt parse the whole project.
    assert environment == {"PCNMO_REBUILD_FROM": "2026-08-01"}


def test_a_full_refresh_computes_everything_whatever_was_ingested(dbt_build_args):
    args, environment = dbt_build_args({FULL_REFRESH_TAG: "true", REBUILD_FROM_TAG: "2026-08-01"})
    assert args == ["build", "--exclude-resource-type", "unit_test", "--full-refresh"]
    assert environment == {"PCNMO_REBUILD_FROM": ""}
    # A build launched by hand, with no tag, computes every month too (whatever the shell has).
    assert dbt_build_args({}) == (
        ["build", "--exclude-resource-type", "unit_test"],
        {"PCNMO_REBUILD_FROM": ""},
    )


@pytest.mark.parametrize(
    ("ingest_tags", "rebuild_from", "reporting_month"),
    [
        (
            {
                "dagster/asset_partition_range_start": "2026-08-01",
                "dagster/asset_partition_range_end": "2026-10-01",
            },
            "2026-08-01",
            "2026-10-01",
        ),
        ({"dagster/partition": "2026-09-01"}, "2026-09-01", "2026-09-01"),
    ],
)
def test_the_build_after_an_ingestion_starts_from_its_first_month(
    definitions, ingest_tags, rebuild_from, reporting_month
):
    from dagster_project.defs.automation import REPORTING_MONTH_TAG

    sensor = definitions.resolve_sensor_def("build_after_ingest")
    instance = dg.DagsterInstance.ephemeral()
    run = instance.create_run_for_job(definitions.resolve_job_def("ingest_month"), tags=ingest_tags)
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=dg.DagsterEvent(
            event_type_value=dg.DagsterEventType.RUN_SUCCESS.value, job_name="ingest_month"
        ),
    )
    request = sensor(context)
    assert request.tags[REBUILD_FROM_TAG] == rebuild_from
    assert request.tags[REPORTING_MONTH_TAG] == reporting_month
