from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from tests.reports import fixture_warehouse as fw


@pytest.fixture(scope="session")
def warehouse_path(tmp_path_factory, dbt_manifest) -> Path:
    """The report tests' warehouse (marts from their contracts), built once per session;
    tests only read it."""
    return fw.build(tmp_path_factory.mktemp("reports-warehouse") / "pcnmo.duckdb")


@pytest.fixture()
def warehouse(warehouse_path):
    conn = duckdb.connect(str(warehouse_path), read_only=True)
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def report_month() -> dt.date:
    return fw.REPORT_MONTH
