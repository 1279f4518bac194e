"""Every dbt unit test of the project, without any data: the SQL inner loop of `make test-fast`.

dbt unit tests feed a model hand-written input rows and compare its output with hand-written
expected rows; they need only the model's parents to exist. So: create the raw tables empty,
then one `dbt build --empty` (no rows read) of seeds and models, each model's unit tests run
once its parents exist, in a throwaway DuckDB file and target path (safe beside any other dbt
run or test worker).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ingestion.duckdb_io import ensure_schema
from tests.dbt.dbt_runner import failed_nodes, run_dbt

# dbt-duckdb runs independent models on several threads of one DuckDB process: the empty build
# takes about half as long as on one.
THREADS = "4"


def test_every_dbt_unit_test_passes(tmp_path: Path) -> None:
    database = tmp_path / "unit.duckdb"
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
    )
    declared = unit.artifact("manifest.json")["unit_tests"]
    results = [
        r for r in unit.artifact("run_results.json")["results"] if r["unique_id"] in declared
    ]
    assert declared and len(results) == len(declared), "not every unit test ran"
    assert unit.returncode == 0 and not failed_nodes(unit), (
        f"failing unit tests: {failed_nodes(unit)}\n{unit.output[-5000:]}"
    )
