"""`pcnmo run`: ingest month(s), rebuild the warehouse, publish it and write the last month's
reports, through Dagster.

`run` executes the same jobs the schedule runs, in process, recording every run in the
Dagster instance under the data directory, so `make ui` afterwards shows their history.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

import duckdb

from pcnmo import settings
from pcnmo.settings import inbox_months
from reports import paths as report_paths
from tools.cli.environment import prepare_dbt_manifest
from tools.cli.status import print_status


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "run",
        help="ingest month(s) and build the warehouse",
        description="Ingest the month(s) from the inbox, rebuild the warehouse, publish the "
        "analysts' copy and write the last month's reports: the schedule's own jobs, in process.",
    )
    parser.add_argument(
        "--month", action="append", help="YYYY-MM (repeatable); default: every inbox month"
    )
    parser.set_defaults(handler=handle)
    return parser


def handle(args: argparse.Namespace, paths: settings.Paths) -> int:
    months = args.month or inbox_months(paths.inbox)
    if not months:
        print(f"Nothing to run: no YYYY-MM folders in {paths.inbox}.", file=sys.stderr)
        return 1
    prepare_dbt_manifest()
    ok = run_pipeline(months)
    print_status(paths)
    print_outputs(paths, max(months))
    return 0 if ok else 1


def run_pipeline(months: list[str]) -> bool:
    """Ingest each month, then build the warehouse once. True when every run succeeded."""
    import dagster as dg

    from dagster_project.definitions import defs

    definitions = defs()
    instance = dg.DagsterInstance.get()
    ingest = definitions.resolve_job_def("ingest_month")
    build = definitions.resolve_job_def("build_warehouse")
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    started = time.perf_counter()
    # One run over the whole range, as a backfill launched from the UI runs it.
    result = ingest.execute_in_process(
        instance=instance,
        run_config=quiet,
        raise_on_error=False,
        tags={
            "dagster/asset_partition_range_start": f"{min(months)}-01",
            "dagster/asset_partition_range_end": f"{max(months)}-01",
        },
    )
    ok = _report(f"ingest {min(months)}..{max(months)}", result, started)
    started = time.perf_counter()
    build_result = build.execute_in_process(
        instance=instance, run_config=quiet, raise_on_error=False
    )
    ok &= _report("build warehouse", build_result, started)
    if not build_result.success:
        return ok
    # The reports of the last month, as the reports_after_build sensor requests them.
    from dagster_project.defs.automation import quarter_partition_key

    month_key = f"{max(months)}-01"
    for job_name, partition_key in (
        ("monthly_reports", month_key),
        ("quarterly_return", quarter_partition_key(month_key)),
    ):
        started = time.perf_counter()
        result = definitions.resolve_job_def(job_name).execute_in_process(
            instance=instance, run_config=quiet, raise_on_error=False, partition_key=partition_key
        )
        ok &= _report(f"{job_name} {partition_key[:7]}", result, started)
    return ok


def print_outputs(paths: settings.Paths, month: str) -> None:
    """Where the month's reports and the published copy are, for the first PCN reported."""
    if not paths.published_warehouse.exists():
        return
    with duckdb.connect(str(paths.published_warehouse), read_only=True) as conn:
        pcns = conn.execute(
            "select pcn_code from marts.dim_pcns where has_clinical_extracts order by 1"
        ).fetchall()
    day = dt.date.fromisoformat(f"{month}-01")
    print(f"Published warehouse (analysts, read-only): {paths.published_warehouse}")
    for (pcn_code,) in pcns[:1]:
        xlsx, csv = report_paths.icb_return_paths(paths.outputs, pcn_code, day)
        print(f"Dashboard workbook  {report_paths.dashboard_path(paths.outputs, pcn_code, day)}")
        print(f"ICB return          {xlsx}")
        print(f"                    {csv}")
        extract = report_paths.activity_extract_path(paths.outputs, pcn_code, day)
        print(f"Activity extract    {extract}")
    if len(pcns) > 1:
        print(f"(and {len(pcns) - 1} more PCNs under {paths.outputs})")


def _report(label: str, result, started: float) -> bool:
    import dagster as dg

    seconds = time.perf_counter() - started
    failed_checks = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        and not e.event_specific_data.passed
    ]
    status = "ok" if result.success else "FAILED"
    print(f"{label:<24} {status:<7} {seconds:6.1f}s  checks failing: {len(failed_checks)}")
    for evaluation in failed_checks:
        key = "/".join(evaluation.asset_key.path)
        print(f"    check {key}:{evaluation.check_name} ({evaluation.severity.value})")
    if not result.success:
        for event in result.all_events:
            if event.event_type == dg.DagsterEventType.STEP_FAILURE:
                error = event.event_specific_data.error
                message = error.message.strip() if error else ""
                print(f"    step {event.step_key} failed: {message}")
    return result.success
