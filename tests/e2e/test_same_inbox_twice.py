"""The same inbox through `pcnmo run`'s pipeline twice, into two fresh data directories with
the same key: the KPI table must agree row for row, bit for bit, and every output byte for
byte (only the time each check was evaluated may differ). In the second, an earlier month
ingested again on its own must leave the last month's data-quality sheet as it was, and a
build that fails must leave the published copy and every output as they were, and say so.

A module of its own, so that under `make test`'s two workers these two builds run beside the
other end-to-end module's instead of after it.
"""

import hashlib
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pcnmo import settings
from synthetic import generate
from tests.conftest import REPO_ROOT
from tests.e2e.pipeline import (
    MONTHS,
    TINY,
    console,
    data_directory,
    failed_checks,
    output_files,
    run_job,
    table_rows,
)
from tests.reports.output_scan import (
    DATA_QUALITY_SHEET,
    all_text,
    evaluated_at_cells,
    sheet_values,
    workbook_differences,
)

pytestmark = pytest.mark.e2e


def _fingerprint(paths: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


@pytest.fixture(scope="module")
def inbox(tmp_path_factory, dbt_manifest) -> Path:
    """One generated inbox, copied into each run's data directory (so both read the same
    bytes)."""
    folder = tmp_path_factory.mktemp("e2e-inbox") / "inbox"
    generate(folder, TINY)
    return folder


@dataclass
class FirstRun:
    data_dir: Path
    succeeded: bool
    outputs: dict[str, bytes]  # every output, by relative path
    kpi_values: tuple[list, list]  # marts.fct_kpi_values: columns and rows, as stored
    console: str


@pytest.fixture(scope="module")
def first_run(inbox, tmp_path_factory) -> FirstRun:
    """The inbox through `pcnmo run`'s pipeline, then the summary of where the outputs are
    that the command prints after it."""
    from tools.cli.run import print_outputs, run_pipeline

    root = tmp_path_factory.mktemp("e2e-first") / "data"
    shutil.copytree(inbox, root / "inbox")
    with data_directory(root), console() as printed:
        paths = settings.paths()
        succeeded = run_pipeline(MONTHS, paths)
        print_outputs(paths, MONTHS[-1])
    return FirstRun(
        root,
        succeeded,
        output_files(paths.outputs),
        table_rows(paths.warehouse, "marts.fct_kpi_values"),
        printed[0],
    )


def test_the_run_says_where_the_dashboard_and_both_comparators_are(first_run):
    named = [
        name
        for name in first_run.outputs
        if name.endswith(("_pcn_comparator.xlsx", f"{MONTHS[-1]}_dashboard.xlsx"))
    ]
    assert len([n for n in named if n.endswith("_pcn_comparator.xlsx")]) == 2  # month, quarter
    assert [n for n in named if n not in first_run.console] == []


@dataclass
class SecondRun:
    data_dir: Path
    succeeded: bool
    outputs: dict[str, bytes]
    kpi_values: tuple[list, list]
    # The data-quality sheet of the last month's dashboard after the full run, then after one
    # earlier month was ingested again on its own and the dashboard written again.
    quality_after_full_run: list[tuple]
    rerun_failed_checks: dict[str, str]
    quality_after_rerun: list[tuple]


@pytest.fixture(scope="module")
def second_run(inbox, first_run, tmp_path_factory) -> SecondRun:
    """The same inbox through `pcnmo run`'s pipeline into a fresh data directory with the same
    key, after the first run; then, there, the first month ingested again on its own (the
    schedule's or a `--month` re-run's ingestion) and the last month's dashboard written
    again."""
    from tools.cli.run import run_pipeline

    root = tmp_path_factory.mktemp("e2e-second") / "data"
    shutil.copytree(inbox, root / "inbox")
    with data_directory(root), console():
        paths = settings.paths()
        succeeded = run_pipeline(MONTHS, paths)
        outputs = output_files(paths.outputs)
        kpi_values = table_rows(paths.warehouse, "marts.fct_kpi_values")
        dashboard = next(paths.outputs.rglob(f"*_{MONTHS[-1]}_dashboard.xlsx"))
        quality_before = sheet_values(dashboard.read_bytes(), DATA_QUALITY_SHEET)
        instance = dg.DagsterInstance.get()
        rerun = run_job("ingest_month", MONTHS[:1], instance)
        assert rerun.success
        rewritten = run_job("monthly_reports", instance=instance, partition_key=f"{MONTHS[-1]}-01")
        assert rewritten.success
        quality_after = sheet_values(dashboard.read_bytes(), DATA_QUALITY_SHEET)
    return SecondRun(
        root,
        succeeded,
        outputs,
        kpi_values,
        quality_before,
        failed_checks(rerun),
        quality_after,
    )


def test_two_runs_of_the_same_inbox_give_the_same_kpi_table_exactly(first_run, second_run):
    assert first_run.succeeded and second_run.succeeded
    (columns, rows), (second_columns, second_rows) = first_run.kpi_values, second_run.kpi_values
    assert columns == second_columns
    assert {"kpi_id", "value", "rag"} <= {name for name, _ in columns}
    assert len(rows) > 100
    differing = [(a, b) for a, b in zip(rows, second_rows, strict=False) if a != b]
    assert (len(rows), differing[:3]) == (len(second_rows), [])


def test_two_runs_of_the_same_inbox_write_every_output_byte_for_byte(first_run, second_run):
    first, second = first_run.outputs, second_run.outputs
    assert sorted(first) == sorted(second)
    kinds = {name.rsplit("_", 1)[-1] for name in first}
    assert {"dashboard.xlsx", "activity.csv", "return.xlsx", "return.csv", "comparator.xlsx"} <= (
        kinds
    )
    differing = {}
    for name, content in first.items():
        if content == second[name]:
            continue
        differing[name] = (
            workbook_differences(content, second[name]) if name.endswith(".xlsx") else ["bytes"]
        )
    # Only the dashboards differ as files, and only in when each check was evaluated.
    assert {name: parts for name, parts in differing.items() if parts} == {}
    assert all(name.endswith("_dashboard.xlsx") for name in differing)
    for name in differing:
        assert evaluated_at_cells(first[name]), name


def test_no_output_holds_an_absolute_path(first_run, second_run):
    roots = (first_run.data_dir, second_run.data_dir)
    places = {*map(str, roots), str(REPO_ROOT), tempfile.gettempdir(), str(Path.home())}
    found = []
    for root in roots:
        for name in first_run.outputs:
            texts = all_text(root / "outputs" / name)
            found += [(name, p) for p in places for text in texts if p in text]
    assert not found


def test_the_data_quality_sheet_describes_its_month_whatever_was_ingested_last(second_run):
    quality = second_run.quality_after_full_run
    failing = {(row[0], row[1]) for row in quality if len(row) > 2 and row[2] == "Failed"}
    assert failing  # the late supervision log and the quarantined patient of June
    # The re-run's own month fails other checks than June (none): a sheet read from the last
    # run would show those instead.
    rerun = {tuple(check.rsplit(":", 1)) for check in second_run.rerun_failed_checks}
    assert rerun != failing
    assert second_run.quality_after_rerun == quality


# --- a failed build publishes nothing --------------------------------------------------------


@dataclass
class FailedBuild:
    succeeded: bool
    before: dict[str, str]  # fingerprints of the published copy and every output
    after: dict[str, str]
    runs: list[dg.DagsterRun]  # the Dagster runs it started, newest first
    console: str


@pytest.fixture(scope="module")
def failed_build(second_run) -> FailedBuild:
    """In the second run's data directory, a raw table broken under dbt (the column of load
    times the staging model reads dropped from the supervision log, whose June file never came,
    so June's ingestion leaves the table alone), then `pcnmo run --month` for June: the
    ingestion succeeds and the build fails."""
    from tools.cli.run import run_pipeline

    with (
        data_directory(second_run.data_dir),
        pytest.MonkeyPatch.context() as env,
        console() as printed,
    ):
        env.setenv("DBT_FAIL_FAST", "true")  # the failure is the point: dbt may stop at it
        paths = settings.paths()
        instance = dg.DagsterInstance.get()
        earlier_runs = {run.run_id for run in instance.get_runs()}
        before = _fingerprint([paths.published_warehouse, *paths.outputs.rglob("*")])
        with duckdb.connect(str(paths.warehouse)) as conn:
            conn.execute("alter table raw_local.supervision_log drop column _loaded_at")
        succeeded = run_pipeline(MONTHS[-1:], paths)
        after = _fingerprint([paths.published_warehouse, *paths.outputs.rglob("*")])
        runs = [run for run in instance.get_runs() if run.run_id not in earlier_runs]
    return FailedBuild(succeeded, before, after, runs, printed[0])


def test_a_failed_build_leaves_the_published_copy_and_the_outputs_and_says_so(failed_build):
    assert failed_build.succeeded is False
    assert [(run.job_name, run.status) for run in failed_build.runs] == [
        ("build_warehouse", dg.DagsterRunStatus.FAILURE),
        ("ingest_month", dg.DagsterRunStatus.SUCCESS),
    ]
    assert failed_build.after == failed_build.before
    assert any(path.endswith("published/pcnmo.duckdb") for path in failed_build.before)
    assert (
        "Stopped: build_warehouse failed. The published copy was not replaced and no report "
        "was written" in failed_build.console
    )
    assert re.search(r"build warehouse +FAILED", failed_build.console)
