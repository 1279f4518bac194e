"""`pcnmo run`: ingest month(s), rebuild the warehouse, publish it and write the last month's
reports, through Dagster.

`run` executes the same jobs the schedule and its sensors run, in process, recording every run
in the Dagster instance under the data directory, so `make ui` afterwards shows their history.
It stops where they stop: a rejected month or a failed blocking check fails its run, and then
nothing after it is built, published or written; the command says what failed (check, table,
month, file, first rows) and exits 1. Before anything, it takes the data directory's run lock
(a second `pcnmo run` on the same data waits for the first, then gives up with a message) and
recovers from a crashed run (`dagster_project.recovery`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb

from ingestion.inbox import discover
from pcnmo import settings
from pcnmo.contracts import CONTRACTS
from pcnmo.redaction import redact
from pcnmo.settings import inbox_months
from reports import paths as report_paths
from reports import warehouse as report_warehouse
from tools.cli.environment import prepare_dbt_manifest
from tools.cli.progress import Progress
from tools.cli.status import print_status

# Exit codes: 0 every run succeeded; 1 a run failed (what and why is printed); 75 another
# `pcnmo run` held the data directory for the whole wait (try again later: EX_TEMPFAIL).
FAILED, BUSY = 1, 75
LOCK_FILE = ".pcnmo-run.lock"


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "run",
        help="ingest month(s) and build the warehouse",
        description="Ingest the month(s) from the inbox, rebuild the warehouse, publish the "
        "analysts' copy and write the last month's reports: the schedule's own jobs, in process. "
        "Stops at the first failed run (a rejected file, a failed blocking check) and exits 1.",
    )
    parser.add_argument(
        "--month", action="append", help="YYYY-MM (repeatable); default: every inbox month"
    )
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="compute the patient-month models over every month again, not only from the "
        "first month ingested (after changing a seed or a model)",
    )
    parser.set_defaults(handler=handle)
    return parser


class DataDirectoryBusy(RuntimeError):
    pass


@contextmanager
def run_lock(paths: settings.Paths, wait_seconds: float) -> Iterator[None]:
    """One `pcnmo run` per data directory at a time. The lock is the kernel's (flock), so a
    killed run's lock goes with its process."""
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    path = paths.data_dir / LOCK_FILE
    with path.open("a+") as handle:
        deadline = time.monotonic() + wait_seconds
        said = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                if time.monotonic() >= deadline:
                    raise DataDirectoryBusy(
                        f"Another `pcnmo run` ({holder}) is still running on {paths.data_dir} "
                        f"after waiting {wait_seconds:.0f} s; nothing was done. Run again when "
                        "it has finished (`pcnmo status` shows what it loaded)."
                    ) from None
                if not said:
                    print(
                        f"Another `pcnmo run` ({holder}) is running on {paths.data_dir}: "
                        f"waiting up to {wait_seconds:.0f} s for it to finish.",
                        file=sys.stderr,
                    )
                    said = True
                time.sleep(1)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {dt.datetime.now():%Y-%m-%d %H:%M:%S}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def handle(args: argparse.Namespace, paths: settings.Paths) -> int:
    months = sorted(args.month or inbox_months(paths.inbox))
    if not months:
        print(f"Nothing to run: no YYYY-MM folders in {paths.inbox}.", file=sys.stderr)
        return 1
    first = settings.first_month(paths)
    early = [m for m in months if f"{m}-01" < first.isoformat()]
    if early:
        print(
            f"{', '.join(early)} is before the first month the pipeline knows ({first:%Y-%m}, "
            f"from {settings.FIRST_MONTH_ENV} or the oldest inbox folder): set "
            f"{settings.FIRST_MONTH_ENV}={early[0]} to include it.",
            file=sys.stderr,
        )
        return 1
    try:
        with run_lock(paths, settings.lock_wait_seconds()):
            progress = Progress(paths.data_dir / "logs")
            try:
                with progress.stage("load the pipeline", "") as stage:
                    prepare_dbt_manifest()
                    stage.status = "ok"
                ok = run_pipeline(months, paths, progress, full_refresh=args.full_refresh)
            finally:
                progress.close()
            print(f"Full log (Dagster and dbt): {progress.log_path}")
    except DataDirectoryBusy as busy:
        print(str(busy), file=sys.stderr)
        return BUSY
    print_status(paths)
    if not ok:
        return FAILED
    print_outputs(paths, max(months))
    return 0


@dataclass
class JobOutcome:
    label: str
    success: bool
    seconds: float
    failed_checks: list[str] = field(default_factory=list)  # blocking: each in full
    warnings: dict[str, list[str]] = field(default_factory=dict)  # check -> months
    problems: list[str] = field(default_factory=list)


def inbox_file_count(paths: settings.Paths, months: list[str]) -> int:
    """The files the ingestion of `months` will read."""
    return sum(len(discover(t, paths.month_inbox(m))) for t in CONTRACTS for m in months)


def run_pipeline(
    months: list[str],
    paths: settings.Paths,
    progress: Progress | None = None,
    full_refresh: bool = False,
) -> bool:
    """Recover from a crash, then ingest every month (one run, as a backfill runs), build,
    publish and report, stopping at the first failed run. True when every run succeeded.
    The build computes the incremental models from the first month ingested on, or over
    every month on a full refresh.
    Each run is one line of `progress` (a run log under the data directory by default)."""
    if progress is None:
        progress = Progress(paths.data_dir / "logs")
        try:
            return run_pipeline(months, paths, progress, full_refresh)
        finally:
            progress.close()
    import dagster as dg

    from dagster_project.definitions import defs
    from dagster_project.defs.automation import quarter_partition_key
    from dagster_project.defs.ingestion.raw_tables import FILES_LOADED
    from dagster_project.recovery import recover
    from dagster_project.run_tags import FULL_REFRESH_TAG, REBUILD_FROM_TAG

    definitions = defs()
    instance = dg.DagsterInstance.get()
    for line in recover(instance, paths.temp_roots()).lines():
        progress.note(f"Recovered from a crashed run: {line}")
    month_key = f"{max(months)}-01"
    # (label, job, execute_in_process options, what the progress line counts)
    steps: list[tuple[str, str, dict, tuple]] = [
        (
            f"ingest {min(months)}..{max(months)}",
            "ingest_month",
            {
                "tags": {
                    "dagster/asset_partition_range_start": f"{min(months)}-01",
                    "dagster/asset_partition_range_end": month_key,
                }
            },
            ("files", inbox_file_count(paths, months), FILES_LOADED),
        ),
        (
            "build warehouse",
            "build_warehouse",
            {
                "tags": {FULL_REFRESH_TAG: "true"}
                if full_refresh
                else {REBUILD_FROM_TAG: f"{min(months)}-01"}
            },
            ("dbt nodes", None, None),
        ),
        ("publish warehouse", "publish_warehouse", {}, ("", None, None)),
        (
            f"monthly_reports {max(months)}",
            "monthly_reports",
            {"partition_key": month_key},
            ("", None, None),
        ),
        (
            f"quarterly_return {quarter_partition_key(month_key)[:7]}",
            "quarterly_return",
            {"partition_key": quarter_partition_key(month_key)},
            ("", None, None),
        ),
    ]
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    for label, job_name, options, (unit, total, counted) in steps:
        started = time.perf_counter()
        with progress.stage(label, unit, total, counted=counted) as stage:
            result = definitions.resolve_job_def(job_name).execute_in_process(
                instance=instance, run_config=quiet, raise_on_error=False, **options
            )
            stage.status = "ok" if result.success else "FAILED"
        outcome = job_outcome(label, result, time.perf_counter() - started)
        print_outcome(outcome, progress)
        if not outcome.success:
            print_stopped(job_name, paths)
            return False
    return True


def _innermost(error) -> str:
    """The user's own message of a step error (Dagster wraps it in its own)."""
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


def job_outcome(label: str, result, seconds: float) -> JobOutcome:
    """What a run did, from its events: failed checks and every step failure's message."""
    import dagster as dg

    outcome = JobOutcome(label, result.success, seconds)
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if evaluation.passed:
                continue
            check = f"{'/'.join(evaluation.asset_key.path)}:{evaluation.check_name}"
            if evaluation.severity == dg.AssetCheckSeverity.WARN:
                month = (evaluation.partition or "")[:7]
                outcome.warnings.setdefault(check, []).append(month)
            else:
                outcome.failed_checks.append(f"{check}: {evaluation.description or ''}")
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            data = event.event_specific_data
            failure = getattr(data, "user_failure_data", None)
            message = failure.description if failure and failure.description else None
            if message is None and data.error:
                message = _innermost(data.error)
            outcome.problems.append(f"step {event.step_key} failed: {message}")
    return outcome


def print_outcome(outcome: JobOutcome, progress: Progress) -> None:
    """Under the run's progress line: its failing checks, and every failure in full."""
    for check, months in outcome.warnings.items():
        when = f" ({', '.join(m for m in months if m)})" if any(months) else ""
        progress.note(f"    warning {check}{when}")
    for line in (*outcome.failed_checks, *outcome.problems):
        progress.note(redact(f"    {line}"))


def print_stopped(job_name: str, paths: settings.Paths) -> None:
    published = paths.published_warehouse
    kept = (
        f"the published copy {published} is the one of "
        f"{dt.datetime.fromtimestamp(published.stat().st_mtime):%Y-%m-%d %H:%M}"
        if published.exists()
        else "there is no published copy yet"
    )
    after = {
        "ingest_month": "Nothing was built, published or written from this run",
        "build_warehouse": "The published copy was not replaced and no report was written",
        "publish_warehouse": "The published copy was not replaced and no report was written",
    }.get(job_name, "The reports after it were not written")
    print(
        f"Stopped: {job_name} failed. {after}: {kept}, and the outputs are those of the last "
        "good run. Fix what is named above and run again (a rerun replaces the months it "
        "loads, never duplicates them).",
        file=sys.stderr,
    )


def print_outputs(paths: settings.Paths, month: str) -> None:
    """Where the month's reports and the published copy are, for the first PCN reported."""
    if not paths.published_warehouse.exists():
        return
    with duckdb.connect(str(paths.published_warehouse), read_only=True) as conn:
        pcns = report_warehouse.report_pcns(conn)
        icbs = report_warehouse.report_icbs(conn)
    day = dt.date.fromisoformat(f"{month}-01")
    print(f"Published warehouse (analysts, read-only): {paths.published_warehouse}")
    for pcn_code in pcns[:1]:
        xlsx, csv = report_paths.icb_return_paths(paths.outputs, pcn_code, day)
        print(f"Dashboard workbook  {report_paths.dashboard_path(paths.outputs, pcn_code, day)}")
        print(f"ICB return          {xlsx}")
        print(f"                    {csv}")
        extract = report_paths.activity_extract_path(paths.outputs, pcn_code, day)
        print(f"Activity extract    {extract}")
    if len(pcns) > 1:
        print(f"(and {len(pcns) - 1} more PCNs under {paths.outputs})")
    for icb_code in icbs:
        for label, slug in (("month", f"{day:%Y-%m}"), ("quarter", report_paths.quarter_slug(day))):
            comparator = report_paths.comparator_path(paths.outputs, icb_code, slug)
            print(f"PCN comparator, {label:<8}{comparator}")
