"""Outputs are replaced atomically, and the published warehouse can be read while the pipeline
writes the working warehouse and republishes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from pcnmo.publish import publish_warehouse
from reports import dashboard, icb_return
from reports.atomic import write_text_atomically
from tests.reports import fixture_warehouse as fw


def test_a_failed_workbook_write_leaves_the_previous_file_intact(warehouse, tmp_path, monkeypatch):
    output = tmp_path / "dashboard.xlsx"
    dashboard.build_dashboard(warehouse, fw.PCN, fw.REPORT_MONTH, output)
    before = output.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full half way through")

    monkeypatch.setattr(dashboard, "write_definitions_sheet", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        dashboard.build_dashboard(warehouse, fw.PCN, fw.REPORT_MONTH, output)
    assert output.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["dashboard.xlsx"]  # no partial file left


def test_a_failed_return_leaves_both_previous_files_intact(warehouse, tmp_path, monkeypatch):
    xlsx, csv = tmp_path / "return.xlsx", tmp_path / "return.csv"
    icb_return.build_icb_return(warehouse, fw.PCN, fw.QUARTER_END, xlsx, csv)
    before = xlsx.read_bytes(), csv.read_bytes()
    monkeypatch.setattr(icb_return, "write_cost", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        icb_return.build_icb_return(warehouse, fw.PCN, fw.QUARTER_END, xlsx, csv)
    assert (xlsx.read_bytes(), csv.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["return.csv", "return.xlsx"]


def test_text_is_replaced_whole(tmp_path):
    target = write_text_atomically(tmp_path / "a.csv", "old\n")
    write_text_atomically(target, "new\n")
    assert target.read_text() == "new\n"


def test_the_published_copy_has_the_marts_seeds_and_their_descriptions(warehouse_path, tmp_path):
    published = tmp_path / "published" / "pcnmo.duckdb"
    tables = publish_warehouse(warehouse_path, published)
    names = {f"{t.schema}.{t.table}" for t in tables}
    assert {"marts.fct_kpi_values", "seeds.kpi_definitions", "pipeline.ingestion_log"} <= names
    # Patient-level and raw tables stay behind.
    assert not names & {"pipeline.quarantine", "raw_clinical.patients"}
    with duckdb.connect(str(published), read_only=True) as conn:
        assert conn.execute(
            "select comment from duckdb_tables() where table_name = 'fct_kpi_values'"
        ).fetchall() == [("One row per organisation x period x KPI.",)]
        assert conn.execute(
            "select comment from duckdb_columns() "
            "where table_name = 'fct_kpi_values' and column_name = 'value'"
        ).fetchall() == [("The KPI value in its unit.",)]
        rows = conn.execute("select count(*) from marts.fct_kpi_values").fetchall()[0][0]
        # Written in the 1.5 storage format, so analysts on DuckDB 1.5+ can open it.
        tags = conn.execute(
            "select tags from duckdb_databases() where database_name = current_database()"
        ).fetchall()[0][0]
    assert rows == len(fw.kpi_rows())
    assert tags["storage_version"].startswith("v1.5.0")
    assert [p.name for p in published.parent.iterdir()] == ["pcnmo.duckdb"]


READER = textwrap.dedent(
    """
    import sys, time, duckdb
    published, stop = sys.argv[1], sys.argv[2]
    reads, seen = 0, set()
    import os
    while not os.path.exists(stop) or reads < 3:
        with duckdb.connect(published, read_only=True) as conn:
            a, b = conn.execute(
                "select (select count(*) from marts.batch_a), (select count(*) from marts.batch_b)"
            ).fetchall()[0]
        # Both tables grow together in one writer transaction: a half-built copy would differ.
        assert a == b, (a, b)
        seen.add(a)
        reads += 1
    print(reads, len(seen))
    """
)


def test_readers_of_the_published_copy_never_block_the_pipeline(warehouse_path, tmp_path):
    working = tmp_path / "working.duckdb"
    shutil.copyfile(warehouse_path, working)
    published = tmp_path / "published" / "pcnmo.duckdb"
    with duckdb.connect(str(working)) as conn:
        conn.execute("create table marts.batch_a (n integer)")
        conn.execute("create table marts.batch_b (n integer)")
    publish_warehouse(working, published)
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(0.5)  # let the reader open the copy before the pipeline writes
        for batch in range(5):
            # The pipeline: write the working warehouse (one writer), then republish.
            with duckdb.connect(str(working)) as conn:
                conn.execute("begin")
                conn.execute("insert into marts.batch_a select range from range(1000)")
                conn.execute("insert into marts.batch_b select range from range(1000)")
                conn.execute("commit")
            publish_warehouse(working, published)
            with duckdb.connect(str(published), read_only=True) as conn:
                rows = conn.execute("select count(*) from marts.batch_a").fetchall()[0][0]
            assert rows == 1000 * (batch + 1)
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    reads, versions = (int(v) for v in out.split())
    print(f"reader: {reads} reads, {versions} published versions seen")
    assert reads >= 3


def test_the_same_warehouse_writes_byte_identical_outputs(warehouse, tmp_path):
    """No clock in any output: the workbooks' document date comes from the data."""
    from reports.icb_comparator import build_icb_comparator, month_period

    def build(folder):
        folder.mkdir()
        dashboard.build_dashboard(warehouse, fw.PCN, fw.REPORT_MONTH, folder / "d.xlsx")
        icb_return.build_icb_return(
            warehouse, fw.PCN, fw.QUARTER_END, folder / "r.xlsx", folder / "r.csv"
        )
        build_icb_comparator(warehouse, fw.ICB, month_period(fw.REPORT_MONTH), folder / "c.xlsx")
        return {p.name: p.read_bytes() for p in folder.iterdir()}

    first = build(tmp_path / "first")
    time.sleep(1.1)  # a clock-stamped file would differ by now
    assert build(tmp_path / "second") == first
