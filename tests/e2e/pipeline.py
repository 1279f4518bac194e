"""Running the monthly pipeline in a throwaway data directory, and reading what it left.

The end-to-end tests run the schedule's own jobs in process (`ingest_month` over a range of
months, `build_warehouse`, then `publish_warehouse` and the report jobs of the last month and
its quarter), each data directory with its own warehouse and Dagster instance.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from synthetic import SyntheticConfig
from tests.conftest import REPO_ROOT

MONTHS = ["2025-04", "2025-05", "2025-06"]
QUARTER = "2025-04"  # the financial quarter (its first month) holding the last month
TINY = SyntheticConfig(
    start_month=MONTHS[0], months=len(MONTHS), pcns=3, patients=2000, practices=2
)


@contextmanager
def data_directory(path: Path) -> Iterator[Path]:
    """The environment pointed at `path` as the data directory (its own warehouse and Dagster
    instance) while the block runs; the previous environment afterwards."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PCNMO_DATA_DIR", str(path))
        env.setenv("PCNMO_DUCKDB_PATH", str(path / "warehouse" / "pcnmo.duckdb"))
        env.setenv("DAGSTER_HOME", str(path / "dagster"))
        (path / "dagster").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO_ROOT / "dagster.yaml", path / "dagster" / "dagster.yaml")
        yield path


def run_job(
    job_name: str,
    months: list[str] | None = None,
    instance: dg.DagsterInstance | None = None,
    partition_key: str | None = None,
) -> dg.ExecuteInProcessResult:
    from dagster_project.definitions import defs

    tags = {}
    if months:
        tags = {
            "dagster/asset_partition_range_start": f"{min(months)}-01",
            "dagster/asset_partition_range_end": f"{max(months)}-01",
        }
    return (
        defs()
        .resolve_job_def(job_name)
        .execute_in_process(
            instance=instance or dg.DagsterInstance.ephemeral(),
            tags=tags,
            partition_key=partition_key,
            raise_on_error=False,
        )
    )


@dataclass
class MonthlyRun:
    ingest: dg.ExecuteInProcessResult
    build: dg.ExecuteInProcessResult
    published_and_reported: list[dg.ExecuteInProcessResult]


def run_monthly_pipeline(instance: dg.DagsterInstance) -> MonthlyRun:
    """Every month of MONTHS ingested in one run, the warehouse built, then (as the sensor
    after a build does) the copy published and the reports of the last month and its quarter
    written, all recorded in `instance`."""
    ingest = run_job("ingest_month", MONTHS, instance)
    build = run_job("build_warehouse", instance=instance)
    after = [
        run_job("publish_warehouse", instance=instance),
        run_job("monthly_reports", instance=instance, partition_key=f"{MONTHS[-1]}-01"),
        run_job("quarterly_return", instance=instance, partition_key=f"{QUARTER}-01"),
    ]
    return MonthlyRun(ingest, build, after)


def failed_checks(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    evaluations = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    return {
        f"{'/'.join(c.asset_key.path)}:{c.check_name}": c.severity.value
        for c in evaluations
        if not c.passed
    }


@contextmanager
def console() -> Iterator[list[str]]:
    """Everything written to the console meanwhile: Python's stdout and stderr (pytest has
    its own in their place) and file descriptors 1 and 2 (subprocesses such as dbt)."""
    captured: list[str] = []
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = [os.dup(1), os.dup(2)]
        streams = sys.stdout, sys.stderr
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        text = io.TextIOWrapper(os.fdopen(os.dup(sink.fileno()), "wb"), write_through=True)
        sys.stdout = sys.stderr = text
        try:
            yield captured
        finally:
            sys.stdout, sys.stderr = streams
            text.close()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            sink.seek(0)
            captured.append(sink.read().decode("utf-8", "replace"))


# --- what a run left ---------------------------------------------------------------------------


def output_files(outputs: Path) -> dict[str, bytes]:
    """Every file under `outputs`, by its path relative to it."""
    return {
        p.relative_to(outputs).as_posix(): p.read_bytes()
        for p in sorted(outputs.rglob("*"))
        if p.is_file()
    }


def _exact(value: Any) -> Any:
    # A float by its bits: 1.0 and 1.0000000000000002 differ, and NaN equals NaN.
    return value.hex() if isinstance(value, float) else value


def table_rows(warehouse: Path, table: str) -> tuple[list[tuple[str, str]], list[tuple]]:
    """`table`'s columns (name, type) and every row as stored, in one fixed order."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        columns = [(name, kind) for name, kind, *_ in conn.execute(f"describe {table}").fetchall()]
        rows = conn.execute(f"select * from {table} order by all").fetchall()
    return columns, [tuple(_exact(v) for v in row) for row in rows]
