"""A reader of the working warehouse must not break the run (issue 15).

Another process (an analyst's DuckDB client, pointed at the wrong file) holds the working
warehouse open read-only while a raw-table step runs through Dagster: the step waits and
completes once the reader lets go within the wait, or, if the reader never lets go, fails
after its retries with a message naming the file, the process holding it and the published
copy analysts should open."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.ingestion.raw_tables import build_raw_table_asset
from dagster_project.defs.resources import WarehouseResource
from ingestion.duckdb_io import connect, ensure_schema
from pcnmo.contracts import PATIENTS
from tests.conftest import REPO_ROOT
from tests.ingestion.conftest import emis_patient, valid_nhs_numbers, write_extract

PARTITION = "2026-09-01"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("PCNMO_DATA_DIR", str(data))
    for name in ("PCNMO_INBOX_DIR", "PCNMO_QUARANTINE_DIR", "PCNMO_PUBLISHED_DUCKDB_PATH"):
        monkeypatch.delenv(name, raising=False)
    rows = [emis_patient(n) for n in valid_nhs_numbers(3)]
    write_extract(
        data / "inbox" / "2026-09" / "EMIS_A12345_patients_202609.csv", PATIENTS, "emis", rows
    )
    with connect(data / "warehouse" / "pcnmo.duckdb") as conn:
        ensure_schema(conn)
    return data


def _hold(path: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print('open', flush=True); time.sleep(float(sys.argv[2]))",
            str(path),
            str(seconds),
        ],
        cwd=REPO_ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "open"
    return holder


def _materialise(data_dir: Path) -> tuple[dg.ExecuteInProcessResult, str]:
    """The run's result and everything its event log says (log lines and errors)."""
    instance = dg.DagsterInstance.ephemeral()
    warehouse = str(data_dir / "warehouse" / "pcnmo.duckdb")
    result = dg.materialize(
        [build_raw_table_asset(PATIENTS)],
        resources={"duckdb": WarehouseResource(database=warehouse)},
        partition_key=PARTITION,
        instance=instance,
        raise_on_error=False,
    )
    texts = [entry.user_message for entry in instance.all_logs(result.run_id)]
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            texts.append(event.event_specific_data.error.to_string())
    return result, "\n".join(texts)


def test_the_run_waits_for_a_reader_that_lets_go_within_the_wait(data_dir, monkeypatch):
    monkeypatch.setenv("PCNMO_LOCK_WAIT_SECONDS", "120")
    warehouse = data_dir / "warehouse" / "pcnmo.duckdb"
    holder = _hold(warehouse, 10)
    try:
        result, messages = _materialise(data_dir)
    finally:
        holder.kill()
        holder.wait()
    assert result.success, messages
    assert f"locked by another process (PID {holder.pid}" in messages  # it said whom it awaited
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        assert conn.execute("select count(*) from raw_clinical.patients").fetchall() == [(3,)]


def test_a_reader_that_never_lets_go_fails_the_step_saying_who_and_what_to_open(
    data_dir, monkeypatch
):
    monkeypatch.setenv("PCNMO_LOCK_WAIT_SECONDS", "1")
    warehouse = data_dir / "warehouse" / "pcnmo.duckdb"
    holder = _hold(warehouse, 600)
    try:
        result, messages = _materialise(data_dir)
    finally:
        holder.kill()
        holder.wait()
    assert not result.success
    retries = [
        e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY
    ]
    assert len(retries) == 2  # the step was retried, not the month given up at once
    assert f"The working warehouse {warehouse} is locked by another process" in messages
    assert f"PID {holder.pid}" in messages
    assert f"Analysts must query the published copy, {data_dir / 'published' / 'pcnmo.duckdb'}" in (
        messages
    )
