"""Jobs, schedules and sensors: the only place the pipeline's timing is decided.

`ingest_month` loads reporting months of every raw table (with their checks);
`build_warehouse` then rebuilds the dbt layers over all months loaded so far. The schedule
runs on the 10th and re-ingests the last three months: public files arrive late (the EPD about
two months after the dispensing month), and re-loading a month replaces it, so each run picks
up whatever has arrived since without duplicating anything. The sensor builds the warehouse
after every successful ingestion run, including backfills launched from the UI. A second
sensor, after every successful build, swaps in the analysts' published copy of the marts
(`publish_warehouse`) and writes the reports of the run's last month: `monthly_reports`
(dashboard workbook and SNOMED activity extract) for the month and `quarterly_return` for the
financial quarter holding it (a draft until the quarter's last month is in).

Blocking means blocking: a rejected month or a failed blocking check fails its run (see
`dagster_project.step_errors`), and both sensors act on successful runs only, so nothing
downstream of a failure is built, published or written, whether the schedule, a backfill or
`pcnmo run` started it.
"""

import datetime as dt

import dagster as dg
import duckdb

from dagster_project.partitions import (
    FIRST_MONTH,
    financial_quarter_partitions,
    monthly_partitions,
)
from dagster_project.recovery import recover
from dagster_project.run_tags import REBUILD_FROM_TAG
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
PUBLISHED_COPY = dg.AssetSelection.assets(["reports", "published_warehouse"])
# The dbt layers; the published copy and the partitioned report outputs run in their own jobs,
# after the build has succeeded as a whole (every step and every blocking check).
DBT_LAYERS = (
    dg.AssetSelection.groups("seeds", "staging", "intermediate", "marts", "reports")
    - MONTHLY_REPORTS
    - QUARTERLY_REPORTS
    - PUBLISHED_COPY
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
    "with their tests and the mart suites.",
)

publish_warehouse = dg.define_asset_job(
    "publish_warehouse",
    selection=PUBLISHED_COPY,
    description="Swap in the analysts' published copy of the marts (after a successful build "
    "only: a failed build leaves the previous copy).",
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
    partition = tags.get("dagster/partition")
    first_month = tags.get("dagster/asset_partition_range_start") or partition
    last_month = tags.get("dagster/asset_partition_range_end") or partition
    build_tags = {}
    if last_month:
        build_tags[REPORTING_MONTH_TAG] = last_month
    if first_month:
        # Patient-month models are computed again from the first month ingested on.
        build_tags[REBUILD_FROM_TAG] = first_month
    return dg.RunRequest(run_key=f"build-after-{context.dagster_run.run_id}", tags=build_tags)


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


def publish_request(run_id: str) -> dg.RunRequest:
    return dg.RunRequest(run_key=f"publish-{run_id}", job_name=publish_warehouse.name)


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
    request_jobs=[publish_warehouse, monthly_reports, quarterly_return],
    description="After every successful build (every step and blocking check passed), swap in "
    "the published copy and write the reports of its reporting month.",
)
def publish_and_report_after_build(context: dg.RunStatusSensorContext):
    run_id = context.dagster_run.run_id
    month_key = context.dagster_run.tags.get(REPORTING_MONTH_TAG) or published_latest_month()
    if not month_key:
        return [publish_request(run_id)]
    return [publish_request(run_id), *report_requests(month_key, run_id)]


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every minute while the daemon runs: mark runs whose process is gone (killed, "
    "crashed) as failed, free the pool slots of finished runs and remove temporary files of "
    "dead processes, so no run waits forever after a crash (dagster_project.recovery).",
)
def recover_crashed_runs(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    recovery = recover(context.instance, settings.paths().temp_roots())
    for line in recovery.lines():
        context.log.warning(line)
    return dg.SkipReason(" ".join(recovery.lines()) or "Nothing to recover.")
