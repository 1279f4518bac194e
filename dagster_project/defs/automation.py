"""Jobs, schedules and sensors: the only place the pipeline's timing is decided.

`ingest_month` loads one reporting month of every raw table (with its checks);
`build_warehouse` then rebuilds the dbt layers over all months loaded so far. The schedule
ingests the previous month on the 10th; the sensor builds the warehouse after every
successful ingestion run, including backfills launched from the UI.
"""

import dagster as dg

from dagster_project.partitions import monthly_partitions
from ingestion.contracts import CONTRACTS

RAW_TABLES = dg.AssetSelection.groups("ingestion")
SOURCE_FRESHNESS = dg.AssetSelection.checks(
    *(dg.AssetCheckKey(dg.AssetKey(list(t.asset_key)), "dbt_source_freshness") for t in CONTRACTS)
)
DBT_LAYERS = dg.AssetSelection.groups("seeds", "staging", "intermediate", "marts", "reports")

ingest_month = dg.define_asset_job(
    "ingest_month",
    selection=RAW_TABLES - SOURCE_FRESHNESS,
    partitions_def=monthly_partitions,
    description="Load one month of every inbox extract into the raw tables, with checks.",
)

build_warehouse = dg.define_asset_job(
    "build_warehouse",
    selection=DBT_LAYERS | SOURCE_FRESHNESS,
    description="Build seeds, staging, intermediate and mart models over every loaded month.",
)

monthly_ingest_schedule = dg.build_schedule_from_partitioned_job(
    ingest_month,
    day_of_month=10,
    hour_of_day=6,
    description="On the 10th, ingest the month just ended (public files arrive later; "
    "re-run the month from the UI when they do).",
)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[ingest_month],
    request_job=build_warehouse,
    description="Rebuild the warehouse after every successful ingestion run.",
)
def build_after_ingest(context: dg.RunStatusSensorContext) -> dg.RunRequest:
    return dg.RunRequest(run_key=f"build-after-{context.dagster_run.run_id}")
