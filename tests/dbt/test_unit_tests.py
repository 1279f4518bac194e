"""Every dbt unit test of the project, without any data: the SQL inner loop of `make test-fast`.

dbt unit tests feed a model hand-written input rows and compare its output with hand-written
expected rows; they need only the model's parents to exist. So: create the raw tables empty,
then one `dbt build --empty` (no rows read) of seeds and models, each model's unit tests run
once its parents exist, in a DuckDB file and target path of this test's own (safe beside any
other dbt run or test worker).
"""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from ingestion.duckdb_io import ensure_schema
from tests.dbt.dbt_runner import failed_nodes, run_dbt

# dbt-duckdb runs independent models on several threads of one DuckDB process: the empty build
# takes about half as long as on one.
THREADS = "4"
DATABASE = "unit.duckdb"
# What dbt keeps from one parse for the next (partial parsing).
PARTIAL_PARSE = "partial_parse.msgpack"

pytestmark = pytest.mark.starts_first


@pytest.fixture
def dbt_folder(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """Where dbt builds: a folder kept in pytest's cache, so that the next run parses only the
    files that changed since this one (dbt's partial parsing, which parses everything again
    when the profile changed: the DuckDB file keeps its path from run to run for that reason).
    The file and the previous run's artifacts are removed first. Without pytest's cache
    (`-p no:cacheprovider`), or while another test session is using the folder, this run uses
    a temporary folder of its own and parses in full."""
    cache = getattr(request.config, "cache", None)
    if cache is None:
        yield tmp_path
        return
    kept = cache.mkdir("dbt-unit-tests")
    with (kept / "lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield tmp_path
            return
        for leftover in (kept / f"{DATABASE}.wal", kept / DATABASE):
            leftover.unlink(missing_ok=True)
        for leftover in (kept / "target").glob("*"):
            if leftover.is_dir():
                shutil.rmtree(leftover)
            elif leftover.name != PARTIAL_PARSE:
                leftover.unlink()
        yield kept


def test_every_dbt_unit_test_passes(dbt_folder: Path, tmp_path: Path) -> None:
    database = dbt_folder / DATABASE
    with duckdb.connect(str(database)) as conn:
        ensure_schema(conn)
    # One `dbt build`: seeds and models built empty, each model's unit tests run after its
    # parents exist (data tests and exposures left out: there are no rows, and nothing to
    # report), so the project is parsed once.
    unit = run_dbt(
        "build",
        "--empty",
        "--exclude-resource-type",
        "test",
        "exposure",
        "--threads",
        THREADS,
        duckdb_path=database,
        work_dir=tmp_path,
        target_path=dbt_folder / "target",
    )
    declared = unit.artifact("manifest.json")["unit_tests"]
    results = [
        r for r in unit.artifact("run_results.json")["results"] if r["unique_id"] in declared
    ]
    assert declared and len(results) == len(declared), "not every unit test ran"
    assert unit.returncode == 0 and not failed_nodes(unit), (
        f"failing unit tests: {failed_nodes(unit)}\n{unit.output[-5000:]}"
    )
