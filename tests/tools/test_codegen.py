"""The files generated from the contracts are current, and say what the contracts say."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest
import yaml

from ingestion.duckdb_io import ensure_schema
from pcnmo.contracts import CONTRACTS, SAFETY_ALERTS, contract
from tools.codegen import REPO_ROOT, generated_files, write_generated_files
from tools.codegen.extract_docs import render_markdown

GENERATED = generated_files()
STAGING = REPO_ROOT / "dbt_pcnmo" / "models" / "staging"


@pytest.mark.parametrize("path", sorted(GENERATED), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_committed_generated_file_is_current(path):
    assert path.read_text(encoding="utf-8") == GENERATED[path], (
        f"{path.relative_to(REPO_ROOT)} is stale: run `pcnmo docs` and commit the result"
    )


def test_every_sources_yaml_in_the_dbt_project_is_generated():
    assert set(STAGING.glob("*/_*__sources.yml")) == {p for p in GENERATED if p.suffix == ".yml"}


def test_specification_documents_every_table_and_header():
    text = render_markdown()
    for table in CONTRACTS:
        assert f"### `{table.qualified_name}`" in text
        for column in table.columns:
            for dialect in table.dialects:
                header = column.header(dialect.name)
                if header:
                    assert f"`{header}`" in text, (table.name, header)


def _source(name: str) -> dict:
    (source,) = yaml.safe_load((STAGING / name / f"_{name}__sources.yml").read_text())["sources"]
    return source


def _table(source: str, name: str) -> dict:
    return next(t for t in _source(source)["tables"] if t["name"] == name)


def _columns_with(table: dict, key: str, value: str) -> set[str]:
    found = set()
    for column in table["columns"]:
        if key == "tags" and value in ((column.get("config") or {}).get("tags") or []):
            found.add(column["name"])
        if key == "data_tests" and value in (column.get("data_tests") or []):
            found.add(column["name"])
    return found


def test_sources_yaml_carries_each_table_as_landed():
    table = _table("clinical", "patients")
    names = [c["name"] for c in table["columns"]]
    assert names[:3] == ["practice_code", "patient_id", "date_of_birth"]  # pseudonym, not NHS no.
    assert names[-5:] == ["_month", "_source_file", "_source_row", "_dialect", "_loaded_at"]
    assert {c["name"]: c["data_type"] for c in table["columns"]}["efi_score"] == "double"
    assert table["description"].startswith("One row per patient registered")
    assert _source("clinical")["schema"] == "raw_clinical"
    assert _source("clinical")["loader"] == "dagster"


def test_identifying_columns_are_not_null_and_people_are_tagged_pii():
    patients = _table("clinical", "patients")
    assert _columns_with(patients, "data_tests", "not_null") == {"practice_code", "patient_id"}
    assert _columns_with(patients, "tags", "pii") == {
        "patient_id",
        "date_of_birth",
        "date_of_death",
    }
    events = _table("clinical", "events")  # no key: the columns staging identifies a row by
    assert _columns_with(events, "data_tests", "not_null") == {
        "practice_code",
        "patient_id",
        "snomed_code",
        "event_date",
    }
    epd = _table("nhsbsa", "epd")
    assert _columns_with(epd, "data_tests", "not_null") == {
        "year_month",
        "practice_code",
        "bnf_code",
    }
    assert _columns_with(_table("local", "significant_events"), "tags", "pii") == {"summary"}


def test_freshness_follows_each_delivery_rhythm():
    ods = _source("ods")
    assert ods["config"]["freshness"]["warn_after"] == {"count": 35, "period": "day"}
    assert ods["config"]["loaded_at_field"] == "_loaded_at"
    epraccur = _table("ods", "epraccur")["config"]["freshness"]  # quarterly at worst
    assert epraccur == {
        "warn_after": {"count": 100, "period": "day"},
        "error_after": {"count": 190, "period": "day"},
    }
    assert _source("nhsbsa")["config"]["freshness"]["error_after"]["count"] == 75


def test_ingestion_log_freshness_query_sees_an_empty_delivered_file():
    """A local log can rightly be empty: freshness must see the file arrive all the same."""
    config = _source("local")["config"]
    assert "loaded_at_field" not in config
    table = contract("local", SAFETY_ALERTS.name)
    query = config["loaded_at_query"].replace("{{ this.identifier }}", table.name)
    loaded_at = dt.datetime(2026, 10, 2, 9, 30)
    with duckdb.connect() as conn:
        ensure_schema(conn, tables=(table,))
        conn.execute(
            "insert into pipeline.ingestion_log (source, table_name, month, file_name, status,"
            " rows_in, rows_loaded, rows_quarantined, rows_out_of_scope, loaded_at)"
            " values (?, ?, ?, ?, 'loaded', 0, 0, 0, 0, ?)",
            ["local", table.name, dt.date(2026, 9, 1), "empty.csv", loaded_at],
        )
        assert conn.execute(f"select count(*) from {table.qualified_name}").fetchall() == [(0,)]
        assert conn.execute(query).fetchall() == [(loaded_at,)]


def test_writing_creates_the_folders_a_new_source_needs(tmp_path):
    """`pcnmo docs` in a tree with no staging folders (a new source has none yet) writes every
    file, each with what the committed copy holds."""
    (tmp_path / "seeds").mkdir()
    for name in ("kpi_definitions.csv", "_seeds.yml", "snomed_codelists.csv"):
        shutil.copyfile(REPO_ROOT / "seeds" / name, tmp_path / "seeds" / name)
    written = write_generated_files(tmp_path)
    assert sorted(p.relative_to(tmp_path) for p in written) == sorted(
        p.relative_to(REPO_ROOT) for p in GENERATED
    )
    for path in written:
        committed = REPO_ROOT / path.relative_to(tmp_path)
        assert path.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8"), path
