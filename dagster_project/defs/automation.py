"""Jobs, schedules and sensors: the only place the pipeline's timing is decided.

`ingest_month` loads reporting months of every raw table (with their checks);
`build_warehouse` then rebuilds the dbt layers over all months loaded so far. The schedule
runs on the 10th and re-ingests the last three months: public files arrive late (the EPD about
two months after the dispensing month), and re-loading a month replaces it, so each run picks
up whatever has arrived since without duplicating anything. The sensor builds the warehouse
after every successful ingestion run, including backfills launched from the UI, and the
build ends by swapping in the analysts' published copy of the marts. A second sensor then
writes the reports of the run's last month: `monthly_reports` (dashboard workbook and SNOMED
activity extract) for the month and `quarterly_return` for the financial quarter holding it
(a draft until the quarter's last month is in).
"""

import datetime as dt

import dagster as dg
import duckdb

from dagster_project.partitions import (
    FIRST_MONTH,
    financial_quarter_partitions,
    monthly_partitions,
)
from pcnmo import settings
from pcnmo.calendar import financial_quarter, parse_month
from pcnmo.contracts import CONTRACTS

RAW_TABLES = dg.AssetSelection.groups("ingestion")
SOURCE_FRESHNESS = dg.AssetSelection.checks(
    *(dg.AssetCheckKey(dg.AssetKey(list(t.asset_key)), "dbt_source_freshness") for t in CONTRACTS)
)
MONTHLY_REPORTS = dg.AssetSelection.assets(
    ["reports", "dashboard_workbook"],
    ["reports", "snomed_activity_extract"],
    ["reports", "icb_pcn_comparator_monthly"],
)
QUARTERLY_REPORTS = dg.AssetSelection.assets(
    ["reports", "icb_quarterly_return"], ["reports", "icb_pcn_comparator_quarterly"]
)
# The dbt layers and the published copy (group reports, unpartitioned); the partitioned report
# outputs run in their own jobs.
DBT_LAYERS = (
    dg.AssetSelection.groups("seeds", "staging", "intermediate", "marts", "reports")
    - MONTHLY_REPORTS
    - QUARTERLY_REPORTS
)
# Set on a build run: the reporting month its reports are for (the ingestion run's last month).
REPORTING_MONTH_TAG = "pcnmo/reporting_month"

ingest_month = dg.define_asset_job(
    "ingest_month",
    selection=RAW_TABLES - SOURCE_FRESHNESS,
    partitions_def=monthly_partitions,
    description="Load one month of every inbox extract into the raw tables, with checks.",
)

build_warehouse = dg.define_asset_job(
    "build_warehouse",
    selection=DBT_LAYERS | SOURCE_FRESHNESS,
    description="Build seeds, staging, intermediate and mart models over every loaded month, "
    "then publish the analysts' copy.",
)

monthly_reports = dg.define_asset_job(
    "monthly_reports",
    selection=MONTHLY_REPORTS,
    partitions_def=monthly_partitions,
    description="Write each PCN's dashboard workbook and SNOMED activity extract, and each "
    "ICB's PCN comparator, for a month.",
)

quarterly_return = dg.define_asset_job(
    "quarterly_return",
    selection=QUARTERLY_REPORTS,
    partitions_def=financial_quarter_partitions,
    description="Write each PCN's ICB return (xlsx and CSV) and each ICB's PCN comparator for a "
    "financial quarter.",
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
    tags = context.dagster_run.tags
    last_month = tags.get("dagster/asset_partition_range_end") or tags.get("dagster/partition")
    return dg.RunRequest(
        run_key=f"build-after-{context.dagster_run.run_id}",
        tags={REPORTING_MONTH_TAG: last_month} if last_month else {},
    )


def quarter_partition_key(month_key: str) -> str:
    """The financial-quarter partition (its first day) holding a monthly partition key."""
    return financial_quarter(parse_month(month_key))[0].isoformat()


def published_latest_month() -> str | None:
    """The newest month of the published copy: for a build launched by hand (no tag)."""
    path = settings.paths().published_warehouse
    if not path.exists():
        return None
    with duckdb.connect(str(path), read_only=True) as conn:
        rows = conn.execute(
            "select max(period_start) from marts.dim_periods where period_type = 'month'"
        ).fetchall()
    return rows[0][0].isoformat() if rows and rows[0][0] else None


def report_requests(month_key: str, run_id: str) -> list[dg.RunRequest]:
    return [
        dg.RunRequest(
            run_key=f"monthly-reports-{run_id}",
            job_name=monthly_reports.name,
            partition_key=month_key,
        ),
        dg.RunRequest(
            run_key=f"quarterly-return-{run_id}",
            job_name=quarterly_return.name,
            partition_key=quarter_partition_key(month_key),
        ),
    ]


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[build_warehouse],
    request_jobs=[monthly_reports, quarterly_return],
    description="After every successful build, write the reports of its reporting month.",
)
def reports_after_build(context: dg.RunStatusSensorContext):
    month_key = context.dagster_run.tags.get(REPORTING_MONTH_TAG) or published_latest_month()
    if not month_key:
        return dg.SkipReason("No reporting month: the build had no tag and nothing is published.")
    return report_requests(month_key, context.dagster_run.run_id)
