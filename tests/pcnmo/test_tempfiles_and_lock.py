"""Temporary files a killed process leaves are cleaned by the next one; a writer waits for
DuckDB's lock and then says who holds it. Other processes are real ones (subprocesses)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pcnmo import tempfiles
from pcnmo.warehouse_lock import WarehouseLocked, connect_waiting, holder_of


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_what_a_dead_process_left_is_removed_and_a_live_ones_is_kept(tmp_path):
    dead = _dead_pid()
    mine = tempfiles.sibling_temp_path(tmp_path / "out" / "report.xlsx")
    mine.parent.mkdir()
    mine.write_text("partial")
    assert mine.suffix == ".xlsx" and mine.name.startswith(".report.pcnmo-tmp-")
    left = [
        tmp_path / "out" / f".report.pcnmo-tmp-{dead}-0123abcd.xlsx",
        tmp_path / "out" / f".pcnmo.pcnmo-tmp-{dead}-0123abcd.duckdb.wal",
        tmp_path / f".ingest.pcnmo-tmp-{dead}-89abcdef",
    ]
    for path in left[:2]:
        path.write_text("rows as delivered")
    left[2].mkdir()
    (left[2] / "EMIS_A12345_patients_202609.xlsx.csv").write_text("9434765919")
    unrelated = tmp_path / "out" / ".report.tmp.xlsx"
    unrelated.write_text("not ours")

    removed = tempfiles.remove_stale([tmp_path, tmp_path / "missing"])

    assert sorted(removed) == sorted(left)
    assert not any(p.exists() for p in left)
    assert mine.exists() and unrelated.exists()


def test_a_folder_for_this_process_is_named_for_it(tmp_path):
    folder = tempfiles.process_temp_dir(tmp_path, "ingest")
    assert folder.is_dir() and tempfiles.owner_pid(folder) == os.getpid()
    assert tempfiles.remove_stale([tmp_path]) == []


def _hold(path: Path, seconds: float) -> subprocess.Popen:
    """Another process holding the file open read-only (an analyst's client), for a while."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print('open', flush=True); time.sleep(float(sys.argv[2]))",
            str(path),
            str(seconds),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "open"
    return holder


@pytest.fixture
def warehouse(tmp_path) -> Path:
    path = tmp_path / "pcnmo.duckdb"
    duckdb.connect(str(path)).close()
    return path


def test_a_writer_waits_for_a_reader_to_let_go(warehouse):
    holder = _hold(warehouse, 1.5)
    try:
        assert holder_of(warehouse) is not None
        started = time.monotonic()
        waits = []
        with connect_waiting(warehouse, wait_seconds=60, on_wait=waits.append) as conn:
            conn.execute("create table t as select 1 as x")
        assert 0.5 < time.monotonic() - started < 30
        assert len(waits) == 1 and f"PID {holder.pid}" in waits[0]
    finally:
        holder.kill()
        holder.wait()
    assert holder_of(warehouse) is None


def test_a_writer_gives_up_after_the_wait_naming_the_file_the_holder_and_the_published_copy(
    warehouse, monkeypatch, tmp_path
):
    monkeypatch.setenv("PCNMO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PCNMO_PUBLISHED_DUCKDB_PATH", raising=False)
    monkeypatch.delenv("PCNMO_PUBLISHED_DIR", raising=False)
    holder = _hold(warehouse, 60)
    try:
        with pytest.raises(WarehouseLocked) as caught:
            connect_waiting(warehouse, wait_seconds=1)
    finally:
        holder.kill()
        holder.wait()
    message = str(caught.value)
    assert str(warehouse) in message
    assert f"PID {holder.pid}" in message
    assert str(tmp_path / "data" / "published" / "pcnmo.duckdb") in message
    assert "Analysts must query the published copy" in message
