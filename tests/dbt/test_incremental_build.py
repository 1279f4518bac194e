"""An incremental build gives the same warehouse as a full one.

A small synthetic ICB (three months, then a fourth) goes through the real loader. Warehouse A
is built over the first three months, the third delivered with half its patients and
medication issues; then the third month is delivered again (as the monthly schedule re-loads
its trailing months) with every patient and issue but half its events, and the fourth month
with it. A is built incrementally from the third month on (`rebuild_from`, passed in the
environment as the pipeline passes it): the staging models recompute only the keys those
months deliver or held (so rows appear and vanish), the patient-month models only those two
months. B, a copy of the same raw tables, is built with
--full-refresh. Every table of the marts and of the incremental models must then hold the
same rows in A and B.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from ingestion.duckdb_io import connect, ensure_schema
from ingestion.load import load_month
from pcnmo.contracts import CONTRACTS
from synthetic import SyntheticConfig, generate
from tests.dbt.dbt_runner import run_dbt

pytestmark = pytest.mark.dbt

CONFIG = SyntheticConfig(seed=11, patients=1500, practices=2, months=4, pcns=3)
MONTHS = ["2025-04", "2025-05", "2025-06", "2025-07"]
INCREMENTAL = (
    "stg_clinical__events",
    "stg_clinical__medication_issues",
    "stg_clinical__patients",
    "int_medication_issues_summarised_to_patient_months",
    "int_patients_assigned_to_smr_cohorts",
    "int_pincer_hazards_flagged_to_patient_months",
)
KEY = b"incremental-test-key-0123456789abcdef"


def _load(database: Path, inbox: Path, months: list[str]) -> None:
    # The ePCN membership first: national files are cut to its practices.
    tables = sorted(CONTRACTS, key=lambda t: t.scope_column is not None)
    with connect(database) as conn:
        ensure_schema(conn)
        for month in months:
            for table in tables:
                load_month(conn, table, month, inbox, key=KEY)


def _deliver_short(inbox: Path, month: str, extracts: tuple[str, ...]) -> Path:
    """A copy of the inbox whose `extracts` of `month` hold their first half only."""
    short = inbox.with_name(f"{inbox.name}-{'-'.join(extracts)}")
    shutil.copytree(inbox, short)
    for path in (short / month).glob("*.csv"):
        if not path.name.startswith(("EMIS_", "S1_")) or not any(
            f"_{extract}_" in path.name for extract in extracts
        ):
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            header, *rows = list(csv.reader(handle))
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows([header, *rows[: len(rows) // 2]])
    return short


def _build(database: Path, work_dir: Path, *args: str, rebuild_from: str = "") -> None:
    invocation = run_dbt(
        "build",
        "--exclude-resource-type",
        "test",
        "unit_test",
        "--threads",
        "2",
        *args,
        duckdb_path=database,
        work_dir=work_dir,
        rebuild_from=rebuild_from,
    )
    assert invocation.returncode == 0, invocation.output[-5000:]


def _tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    rows = conn.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_catalog = current_database() and table_type = 'BASE TABLE' "
        "and (table_schema = 'marts' or table_name in ?) order by 1",
        [list(INCREMENTAL)],
    ).fetchall()
    return [name for (name,) in rows]


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("incremental")
    generate(root / "inbox", CONFIG)
    incremental, full = root / "incremental.duckdb", root / "full.duckdb"
    inbox = root / "inbox"
    _load(
        incremental, _deliver_short(inbox, MONTHS[2], ("patients", "medication_issues")), MONTHS[:3]
    )
    _build(incremental, root / "first")
    _load(incremental, _deliver_short(inbox, MONTHS[2], ("events",)), MONTHS[2:])
    shutil.copyfile(incremental, full)
    _build(incremental, root / "incremental", rebuild_from="2025-06-01")
    _build(full, root / "full", "--full-refresh")
    return incremental, full


def test_an_incremental_build_gives_the_marts_of_a_full_build(warehouses):
    incremental, full = warehouses
    with duckdb.connect(str(incremental), read_only=True) as conn:
        conn.execute(f"attach '{full}' as full_build (read_only)")
        tables = _tables(conn)
        assert len(tables) > len(INCREMENTAL) + 10, tables
        differing = {}
        for table in tables:
            columns = ", ".join(
                f'"{name}"'
                for (name,) in conn.execute(
                    "select column_name from information_schema.columns "
                    "where table_catalog = current_database() "
                    "and table_schema || '.' || table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
            )
            only_here, only_there = conn.execute(
                f"select (select count(*) from (select {columns} from {table} except all "
                f"select {columns} from full_build.{table})), "
                f"(select count(*) from (select {columns} from full_build.{table} except all "
                f"select {columns} from {table}))"
            ).fetchall()[0]
            if only_here or only_there:
                differing[table] = (only_here, only_there)
    assert not differing, differing


def test_the_incremental_models_hold_every_month(warehouses):
    incremental, _ = warehouses
    with duckdb.connect(str(incremental), read_only=True) as conn:
        for model in INCREMENTAL[3:]:
            months = conn.execute(
                f"select distinct strftime(month_start_date, '%Y-%m') "
                f"from intermediate.{model} order by 1"
            ).fetchall()
            assert [m for (m,) in months] == MONTHS, model
        # No scratch table of keys is left behind.
        assert not conn.execute(
            "select table_name from information_schema.tables where table_name like '%keys%'"
        ).fetchall()
