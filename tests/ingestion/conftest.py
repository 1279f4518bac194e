"""Shared fixtures for the ingestion tests: a scratch warehouse, a key, an inbox, and helpers
that write extracts by hand from the contracts' own headers.

Everything that checks the loader's answers (the modulus-11 check, row counts, sums) is
computed here or in the tests, never by calling the code under test.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import duckdb
import pytest

from ingestion.duckdb_io import connect, ensure_schema
from pcnmo.contracts import EPCN_MEMBERS, TableContract

MONTH = "2026-09"
KEY = b"test-key-0123456789abcdef0123456789abcdef"
OTHER_KEY = b"another-key-0123456789abcdef0123456789ab"


# --------------------------------------------------------------------------------------------
# NHS numbers, worked out independently of ingestion.nhs_number
# --------------------------------------------------------------------------------------------


def mod11_check_digit(first_nine: str) -> int | None:
    """NHS Data Dictionary: weights 10..2, 11 minus the remainder; 11 -> 0, 10 -> no number."""
    total = 0
    for position, digit in enumerate(first_nine):
        total += int(digit) * (10 - position)
    check = 11 - (total % 11)
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def valid_nhs_numbers(count: int, start: int = 400_000_001) -> list[str]:
    """`count` distinct valid NHS numbers (9-digit prefixes counting up from `start`)."""
    numbers: list[str] = []
    prefix = start
    while len(numbers) < count:
        nine = f"{prefix:09d}"
        check = mod11_check_digit(nine)
        if check is not None:
            numbers.append(nine + str(check))
        prefix += 1
    return numbers


# --------------------------------------------------------------------------------------------
# Writing extracts by hand
# --------------------------------------------------------------------------------------------


def headers(table: TableContract, dialect: str, omit: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(column name, header) for every column the dialect carries in the file itself."""
    skip = set(omit)
    return [
        (c.name, header)
        for c in table.columns
        if (header := c.header(dialect)) and not c.from_file_name and c.name not in skip
    ]


def write_extract(
    path: Path,
    table: TableContract,
    dialect: str,
    rows: Iterable[Mapping[str, object]],
    *,
    omit: Iterable[str] = (),
    encoding: str = "utf-8",
    header_override: Mapping[str, str] | None = None,
) -> Path:
    """A CSV with the contract's headers for `dialect`; each row maps column name -> cell."""
    columns = headers(table, dialect, omit)
    override = header_override or {}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([override.get(name, header) for name, header in columns])
        for row in rows:
            writer.writerow(["" if row.get(n) is None else row.get(n) for n, _ in columns])
    return path


def emis_patient(nhs_number: str, **changes: str) -> dict[str, str]:
    row = {
        "nhs_number": nhs_number,
        "date_of_birth": "14/03/1948",
        "sex": "Female",
        "registration_date": "01/04/2001",
        "is_care_home_resident": "N",
        "efi_score": "0.19",
        "has_learning_disability": "N",
        "is_end_of_life": "N",
    }
    row.update(changes)
    return row


def systmone_patient(nhs_number: str, **changes: str) -> dict[str, str]:
    row = {
        "nhs_number": nhs_number,
        "date_of_birth": "14-Mar-1948",
        "sex": "F",
        "registration_date": "01-Apr-2001",
        "is_care_home_resident": "No",
        "has_learning_disability": "No",
        "is_end_of_life": "No",
    }
    row.update(changes)
    return row


def epd_row(practice: str, bnf_code: str, items: int, actual_cost: str, **changes: str) -> dict:
    row = {
        "year_month": "202609",
        "practice_code": practice,
        "practice_name": f"PRACTICE {practice}",
        "sub_icb_location_code": "11M00",
        "bnf_code": bnf_code,
        "bnf_description": "Paracetamol_Tab 500mg",
        "quantity": "100",
        "items": str(items),
        "total_quantity": str(100 * items),
        "nic": actual_cost,
        "actual_cost": actual_cost,
        "unidentified": "N",
    }
    row.update(changes)
    return row


def epcn_member(practice: str, sub_icb: str, pcn: str, start: str = "20191001") -> dict:
    return {
        "practice_code": practice,
        "practice_name": f"PRACTICE {practice}",
        "practice_sub_icb_location_code": sub_icb,
        "practice_sub_icb_location_name": f"NHS SOMEWHERE ICB - {sub_icb}",
        "pcn_code": pcn,
        "pcn_name": f"PCN {pcn}",
        "relationship_start_date": start,
    }


def write_two_sub_icb_membership(month_dir: Path) -> None:
    """The ePCN membership of the scope tests: L84018 and L84073 in sub-ICB 11M, B85010 in
    X2C4Y."""
    write_extract(
        month_dir / "epcn_core_partner_details.csv",
        EPCN_MEMBERS,
        "csv",
        [
            epcn_member("L84018", "11M", "U41523"),
            epcn_member("L84073", "11M", "U02669"),
            epcn_member("B85010", "X2C4Y", "U38221"),
        ],
    )


# --------------------------------------------------------------------------------------------
# Reading the warehouse back
# --------------------------------------------------------------------------------------------


def query(conn: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = conn.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def log_rows(conn: duckdb.DuckDBPyConnection, table: TableContract) -> list[dict]:
    return query(
        conn,
        "select * exclude (loaded_at) from pipeline.ingestion_log "
        "where source = ? and table_name = ? order by month, file_name, status",
        [table.source, table.name],
    )


def quarantine_rows(conn: duckdb.DuckDBPyConnection, table: TableContract) -> list[dict]:
    return query(
        conn,
        "select * exclude (quarantined_at) from pipeline.quarantine "
        "where source = ? and table_name = ? order by month, file_name, row_number",
        [table.source, table.name],
    )


def raw_rows(conn: duckdb.DuckDBPyConnection, table: TableContract) -> list[dict]:
    return query(
        conn,
        f"select * exclude (_loaded_at) from {table.qualified_name} "
        "order by _month, _source_file, _source_row",
    )


def assert_log_adds_up(conn: duckdb.DuckDBPyConnection) -> None:
    """For every logged file: rows_in = loaded + quarantined + out of scope, and the loaded and
    quarantined counts are what the raw table and the quarantine really hold."""
    for entry in query(conn, "select * from pipeline.ingestion_log"):
        assert entry["rows_in"] == (
            entry["rows_loaded"] + entry["rows_quarantined"] + entry["rows_out_of_scope"]
        ), entry
        if entry["status"] != "loaded":
            continue
        raw_table = f"raw_{entry['source']}.{entry['table_name']}"
        loaded = conn.execute(
            f"select count(*) from {raw_table} where _month = ? and _source_file = ?",
            [entry["month"], entry["file_name"]],
        ).fetchall()[0][0]
        quarantined = conn.execute(
            "select count(*) from pipeline.quarantine where source = ? and table_name = ? "
            "and month = ? and file_name = ?",
            [entry["source"], entry["table_name"], entry["month"], entry["file_name"]],
        ).fetchall()[0][0]
        assert (loaded, quarantined) == (entry["rows_loaded"], entry["rows_quarantined"]), entry


def month_date(month: str = MONTH) -> dt.date:
    return dt.date.fromisoformat(month + "-01")


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's key, data directory or scope by accident."""
    for name in (
        "PCNMO_PSEUDONYMISATION_KEY",
        "PCNMO_KEY_FILE",
        "PCNMO_SUB_ICB_CODES",
        "PCNMO_DUCKDB_PATH",
        "PCNMO_INBOX_DIR",
        "PCNMO_QUARANTINE_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PCNMO_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "pcnmo.duckdb"


@pytest.fixture(scope="session")
def schema_only_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse holding the loader's tables (`ensure_schema`) and no rows, made once: each
    test starts from a copy, as creating the tables cost more than most tests."""
    path = tmp_path_factory.mktemp("schema_only") / "pcnmo.duckdb"
    with connect(path) as connection:
        ensure_schema(connection)
    return path


@pytest.fixture
def conn(db_path: Path, schema_only_warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(schema_only_warehouse, db_path)
    connection = connect(db_path)  # the pipeline's own connection settings
    yield connection
    connection.close()


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    path = tmp_path / "inbox"
    path.mkdir()
    return path


@pytest.fixture
def month_dir(inbox: Path) -> Path:
    path = inbox / MONTH
    path.mkdir()
    return path
