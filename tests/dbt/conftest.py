"""Fixtures for the dbt project's tests: one fresh `dbt parse` per session."""

from __future__ import annotations

from typing import Any

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
