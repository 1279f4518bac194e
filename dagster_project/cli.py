"""`pcnmo`: the commands the data team runs (and `make demo` runs for a new user).

    pcnmo init-key                 create the local pseudonymisation key (once)
    pcnmo generate [flags]         write a synthetic ICB's extracts into the inbox
    pcnmo run [--month YYYY-MM]    ingest month(s), rebuild the warehouse, publish it and write
                                   the last month's reports, through Dagster
    pcnmo status                   what the warehouse holds, what was quarantined or missing
    pcnmo docs                     regenerate docs/extracts.md from the extract contracts
    pcnmo bench [--tiers ...]      time the PCN, ICB and national-EPD tiers against a bare scan

`run` executes the same jobs the schedule runs, in process, recording every run in the
Dagster instance under the data directory, so `make ui` afterwards shows their history.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from ingestion.nhs_number import create_key_file
from pcnmo import settings

REPO_ROOT = Path(__file__).resolve().parents[1]


def prepare_environment() -> settings.Paths:
    """Point Dagster, dbt and GX at the data directory, quietly and offline."""
    paths = settings.paths()
    os.environ.setdefault(settings.DUCKDB_PATH_ENV, str(paths.warehouse))
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    dagster_home = Path(os.environ.setdefault("DAGSTER_HOME", str(paths.data_dir / "dagster")))
    dagster_home.mkdir(parents=True, exist_ok=True)
    instance_yaml = dagster_home / "dagster.yaml"
    if not instance_yaml.exists():
        shutil.copyfile(REPO_ROOT / "dagster.yaml", instance_yaml)
    return paths


def prepare_dbt_manifest() -> None:
    """dagster-dbt reads target/manifest.json at import time: parse the project first."""
    from dagster_project.defs.transform.project import dbt_project

    dbt_project.preparer.prepare(dbt_project)


def inbox_months(inbox: Path) -> list[str]:
    return (
        sorted(
            p.name for p in inbox.iterdir() if p.is_dir() and len(p.name) == 7 and p.name[4] == "-"
        )
        if inbox.is_dir()
        else []
    )


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
    import datetime as dt

    import duckdb

    from reports import paths as report_paths

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


def print_status(paths: settings.Paths) -> None:
    import duckdb

    if not paths.warehouse.exists():
        print(f"No warehouse yet at {paths.warehouse}: run `pcnmo run` first.")
        return
    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        rows = conn.execute(
            """
            select source || '.' || table_name as raw_table,
                count(distinct month) filter (where status = 'loaded') as months,
                sum(rows_in) as rows_in,
                sum(rows_loaded) as loaded,
                sum(rows_quarantined) as quarantined,
                sum(rows_out_of_scope) as out_of_scope,
                count(*) filter (where status = 'missing') as months_missing,
                count(*) filter (where status = 'rejected') as files_rejected,
            from pipeline.ingestion_log
            group by all
            order by 1
            """
        ).fetchall()
    header = (
        "raw table",
        "months",
        "rows in",
        "loaded",
        "quarantined",
        "out of scope",
        "missing",
        "rejected",
    )
    print(f"Warehouse: {paths.warehouse}")
    print("  ".join(f"{h:>12}" if i else f"{h:<32}" for i, h in enumerate(header)))
    for row in rows:
        print("  ".join(f"{v:>12}" if i else f"{v:<32}" for i, v in enumerate(row)))
    print(f"Quarantined rows, one CSV per file: {paths.quarantine}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pcnmo", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init-key", help="create the local pseudonymisation key file")
    generate = commands.add_parser("generate", help="write a synthetic ICB into the inbox")
    run = commands.add_parser("run", help="ingest month(s) and build the warehouse")
    run.add_argument(
        "--month", action="append", help="YYYY-MM (repeatable); default: every inbox month"
    )
    commands.add_parser("status", help="summarise the warehouse and the ingestion log")
    commands.add_parser("docs", help="regenerate docs/extracts.md from the contracts")
    commands.add_parser("bench", help="benchmark the PCN, ICB and national-EPD tiers")
    args, extra = parser.parse_known_args(argv)

    paths = prepare_environment()
    if args.command == "init-key":
        print(f"Pseudonymisation key: {create_key_file()}")
        return 0
    if args.command == "generate":
        from ingestion.synthetic.__main__ import main as synthetic_main

        return synthetic_main(["generate", "--inbox", str(paths.inbox), *extra])
    if args.command == "bench":
        from dagster_project.bench import main as bench_main

        return bench_main(extra)
    if extra:
        generate.error(f"unrecognised arguments: {' '.join(extra)}")
    if args.command == "docs":
        from ingestion.extract_docs import render_markdown

        target = REPO_ROOT / "docs" / "extracts.md"
        target.write_text(render_markdown(), encoding="utf-8")
        print(f"Wrote {target}")
        return 0
    if args.command == "status":
        print_status(paths)
        return 0
    months = args.month or inbox_months(paths.inbox)
    if not months:
        print(f"Nothing to run: no YYYY-MM folders in {paths.inbox}.", file=sys.stderr)
        return 1
    prepare_dbt_manifest()
    ok = run_pipeline(months)
    print_status(paths)
    print_outputs(paths, max(months))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
