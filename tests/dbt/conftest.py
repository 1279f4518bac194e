"""Fixtures for the dbt project's tests: one fresh `dbt parse` per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.dbt.dbt_runner import DbtInvocation, run_dbt


@pytest.fixture(scope="session")
def dbt_parse(tmp_path_factory: pytest.TempPathFactory) -> DbtInvocation:
    """One fresh `dbt parse` per test session (the manifest is built, never committed)."""
    work_dir = tmp_path_factory.mktemp("dbt_parse")
    invocation = run_dbt("parse", duckdb_path=work_dir / "parse.duckdb", work_dir=work_dir)
    assert invocation.returncode == 0, invocation.output
    return invocation


@pytest.fixture(scope="session")
def manifest(dbt_parse: DbtInvocation) -> dict[str, Any]:
    return dbt_parse.artifact("manifest.json")


@pytest.fixture(scope="module")
def warehouse(built: tuple[DbtInvocation, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    """The DuckDB file a test module's own `built` fixture produced, opened read-only."""
    invocation, database = built
    assert invocation.returncode == 0, invocation.output
    with duckdb.connect(str(database), read_only=True) as conn:
        yield conn
