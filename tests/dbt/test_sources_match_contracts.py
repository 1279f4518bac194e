"""The dbt sources are the extract contracts, table for table and column for column.

`ingestion/contracts.py` declares what every raw table holds; `_<source>__sources.yml` declares
the same to dbt (and, through dagster-dbt, links each source to the ingestion asset keyed
[source, table]). These tests read the YAML directly, so drift fails fast without running dbt.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from ingestion.duckdb_io import ensure_schema
from pcnmo.contracts import (
    CONTRACTS,
    RAW_METADATA_COLUMNS,
    SOURCES,
    Kind,
    TableContract,
)
from tests.dbt.dbt_runner import DBT_PROJECT_DIR

STAGING_DIR = DBT_PROJECT_DIR / "models" / "staging"

# Tables whose contract declares no key (key=() checks exact repeats only; key=None switches the
# check off for the EPD): the columns staging identifies a row by must still be not null.
NATURAL_KEYS_WITHOUT_CONTRACT_KEY: dict[tuple[str, str], tuple[str, ...]] = {
    ("clinical", "events"): ("practice_code", "patient_id", "snomed_code", "event_date"),
    ("clinical", "medication_issues"): ("practice_code", "patient_id", "dmd_code", "issue_date"),
    ("nhsbsa", "epd"): ("year_month", "practice_code", "bnf_code"),
}

# Sources whose tables can rightly be empty (a log with no entries yet): an empty file lands
# no rows, so freshness is read from the ingestion log rather than from max(_loaded_at).
FRESHNESS_FROM_INGESTION_LOG = {"local"}


def _sources_files() -> list[Path]:
    return sorted(STAGING_DIR.glob("*/_*__sources.yml"))


def _declared_sources() -> dict[str, tuple[Path, dict[str, Any]]]:
    declared: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path in _sources_files():
        for source in yaml.safe_load(path.read_text())["sources"]:
            assert source["name"] not in declared, f"source {source['name']} declared twice"
            declared[source["name"]] = (path, source)
    return declared


DECLARED = _declared_sources()


def _table(contract: TableContract) -> dict[str, Any]:
    _, source = DECLARED[contract.source]
    tables = {table["name"]: table for table in source["tables"]}
    assert contract.name in tables, f"{contract.qualified_name} missing from the dbt sources"
    return tables[contract.name]


def _not_null_columns(table: dict[str, Any]) -> set[str]:
    return {
        column["name"]
        for column in table["columns"]
        if "not_null" in (column.get("data_tests") or [])
    }


def _natural_key(contract: TableContract) -> tuple[str, ...]:
    if contract.key:
        return tuple(contract.column(name).raw_name for name in contract.key)
    return NATURAL_KEYS_WITHOUT_CONTRACT_KEY[(contract.source, contract.name)]


def test_every_contract_source_is_declared_once_and_nothing_else():
    assert set(DECLARED) == set(SOURCES) == {contract.source for contract in CONTRACTS}


@pytest.mark.parametrize("source_name", sorted(SOURCES))
def test_source_is_declared_as_landed_by_ingestion(source_name: str):
    path, source = DECLARED[source_name]
    assert path == STAGING_DIR / source_name / f"_{source_name}__sources.yml"
    assert source["schema"] == f"raw_{source_name}"
    assert source["loader"] == "dagster"
    assert source["description"] == SOURCES[source_name].description
    config = source["config"]
    if source_name in FRESHNESS_FROM_INGESTION_LOG:
        assert "loaded_at_field" not in config
        assert "from pipeline.ingestion_log" in config["loaded_at_query"]
    else:
        assert config["loaded_at_field"] == "_loaded_at"
    freshness = config["freshness"]
    assert freshness["warn_after"]["count"] < freshness["error_after"]["count"]


@pytest.mark.parametrize("source_name", sorted(SOURCES))
def test_source_tables_are_exactly_the_contract_tables(source_name: str):
    _, source = DECLARED[source_name]
    declared = [table["name"] for table in source["tables"]]
    expected = [contract.name for contract in CONTRACTS if contract.source == source_name]
    assert declared == expected


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda contract: contract.qualified_name)
def test_source_columns_are_the_contract_columns_then_the_metadata(contract: TableContract):
    table = _table(contract)
    expected = [
        (column.raw_name, column.duckdb_type.lower(), column.description)
        for column in contract.columns
    ] + [
        (name, duckdb_type.lower(), description)
        for name, duckdb_type, description in RAW_METADATA_COLUMNS
    ]
    declared = [
        (column["name"], column["data_type"], column["description"]) for column in table["columns"]
    ]
    assert declared == expected


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda contract: contract.qualified_name)
def test_source_table_description_is_the_contract_description(contract: TableContract):
    assert _table(contract)["description"].startswith(contract.description)


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda contract: contract.qualified_name)
def test_natural_key_columns_are_tested_not_null(contract: TableContract):
    table = _table(contract)
    assert set(_natural_key(contract)) <= _not_null_columns(table)


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda contract: contract.qualified_name)
def test_pseudonymised_nhs_numbers_are_tagged_pii(contract: TableContract):
    tags = {
        column["name"]: set((column.get("config") or {}).get("tags") or [])
        for column in _table(contract)["columns"]
    }
    for column in contract.columns:
        if column.kind is Kind.NHS_NUMBER:
            assert "pii" in tags[column.raw_name], f"{contract.qualified_name}.{column.raw_name}"


@pytest.mark.parametrize("source_name", sorted(FRESHNESS_FROM_INGESTION_LOG))
def test_ingestion_log_freshness_query_sees_an_empty_delivered_file(source_name: str):
    _, source = DECLARED[source_name]
    table = next(contract for contract in CONTRACTS if contract.source == source_name)
    query = source["config"]["loaded_at_query"].replace("{{ this.identifier }}", table.name)
    loaded_at = dt.datetime(2026, 10, 2, 9, 30)
    with duckdb.connect() as conn:
        ensure_schema(conn, tables=(table,))
        conn.execute(
            "insert into pipeline.ingestion_log (source, table_name, month, file_name, status,"
            " rows_in, rows_loaded, rows_quarantined, rows_out_of_scope, loaded_at)"
            " values (?, ?, ?, ?, 'loaded', 0, 0, 0, 0, ?)",
            [source_name, table.name, dt.date(2026, 9, 1), "empty.csv", loaded_at],
        )
        assert conn.execute(f"select count(*) from {table.qualified_name}").fetchall() == [(0,)]
        assert conn.execute(query).fetchall() == [(loaded_at,)]
