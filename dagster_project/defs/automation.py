"""Jobs, schedules and sensors: the only place the pipeline's timing is decided.

`ingest_month` loads reporting months of every raw table (with their checks);
`build_warehouse` then rebuilds the dbt layers over all months loaded so far. The schedule
runs on the 10th and re-ingests the last three months: public files arrive late (the EPD about
two months after the dispensing month), and re-loading a month replaces it, so each run picks
up whatever has arrived since without duplicating anything. The sensor builds the warehouse
after every successful ingestion run, including backfills launched from the UI.
"""

import datetime as dt

import dagster as dg

from dagster_project.partitions import FIRST_MONTH, monthly_partitions
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

TRAILING_MONTHS = 3


def trailing_months(today: dt.date, count: int = TRAILING_MONTHS) -> tuple[str, str]:
    """First and last partition keys of the `count` complete months before `today`."""
    last = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    first = last
    for _ in range(count - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    first = max(first, dt.date.fromisoformat(FIRST_MONTH))
    return first.isoformat(), last.isoformat()


@dg.schedule(
    job=ingest_month,
    cron_schedule="0 6 10 * *",
    execution_timezone="Europe/London",
    description="On the 10th at 06:00, re-ingest the last three complete months.",
)
def monthly_ingest(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    first, last = trailing_months(context.scheduled_execution_time.date())
    return dg.RunRequest(
        run_key=f"monthly-{last}",
        tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
        },
    )


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[ingest_month],
    request_job=build_warehouse,
    description="Rebuild the warehouse after every successful ingestion run.",
)
def build_after_ingest(context: dg.RunStatusSensorContext) -> dg.RunRequest:
    return dg.RunRequest(run_key=f"build-after-{context.dagster_run.run_id}")
