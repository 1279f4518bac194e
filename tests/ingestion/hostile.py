"""The machinery of the hostile-input suite: valid rows for any table written from its contract,
files in every form a data team produces (CSV, xlsx, headerless), and the checks every case
shares (nothing else in the warehouse changed; no planted NHS number anywhere).

Rows are written from the contract's own headers and accepted values, so each case changes
only what it is about; what each case must lead to is written by hand in the suite.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb
import openpyxl

from pcnmo.contracts import CONTRACTS, Column, Kind, TableContract
from tests.ingestion.conftest import month_date, valid_nhs_numbers

# Practices of the PCN the local logs are kept by, and one practice of another PCN.
PCN = "U12345"
EMIS_PRACTICE = "A12345"
S1_PRACTICE = "B23456"
OTHER_PCN = "U99999"
OTHER_PCN_PRACTICE = "C34567"
SNOMED_IDS = ("319740004", "1239511000000100", "318353009")  # Verhoeff-valid concept ids


def plant(case_number: int, count: int = 3) -> list[str]:
    """Valid NHS numbers that only this case plants (so a leak is traced to its case)."""
    return valid_nhs_numbers(count, start=600_000_001 + case_number * 1_000)


def _sample(column: Column, date_format: str, row: int, numbers: list[str]) -> str:
    """A valid value for the column in row `row` (0-based) of a file for MONTH."""
    month = month_date()
    day = month.replace(day=1 + row % 27)
    kind = column.kind
    if kind is Kind.NHS_NUMBER:
        return numbers[row]
    if kind is Kind.DATE:
        born = dt.date(1948, 3, 14)
        return (born if column.name == "date_of_birth" else day).strftime(date_format)
    if kind is Kind.MONTH:
        return month.strftime(date_format)
    if kind in (Kind.CODE, Kind.FLAG):
        return column.accepted[row % len(column.accepted)]
    if kind is Kind.INTEGER:
        return str(int(column.minimum or 0) + 1 + row)
    if kind is Kind.DECIMAL:
        return "0.5"
    if kind is Kind.MONEY:
        return "12.50"
    if kind is Kind.SNOMED:
        return SNOMED_IDS[row % len(SNOMED_IDS)]
    if kind is Kind.PRACTICE_CODE:
        return EMIS_PRACTICE
    if kind is Kind.PCN_CODE:
        return f"U{12345 + row:05d}"
    if kind is Kind.ODS_CODE:
        return f"A{12345 + row:05d}" if column.name == "organisation_code" else EMIS_PRACTICE
    if kind is Kind.BNF_CODE:
        return "0407010H0AAAMAM"
    return f"{column.name.replace('_', ' ')} {row + 1}"


def valid_rows(
    table: TableContract, dialect: str, count: int, numbers: list[str] | None = None
) -> list[dict[str, str]]:
    """`count` rows that load cleanly, by column name (file-name columns left out)."""
    numbers = numbers or valid_nhs_numbers(count, start=700_000_001)
    formats = table.dialect(dialect).date_formats
    rows = []
    for row in range(count):
        rows.append(
            {
                c.name: _sample(c, (c.date_formats or formats)[0], row, numbers)
                for c in table.columns
                if not c.from_file_name
            }
        )
    return rows


def header_cells(table: TableContract, dialect: str) -> list[tuple[str, str]]:
    """(column name, header) of the columns a dialect's file carries."""
    return [
        (c.name, header)
        for c in table.columns
        if (header := c.header(dialect)) and not c.from_file_name
    ]


def write_csv(
    path: Path,
    table: TableContract,
    dialect: str,
    rows: Iterable[Mapping[str, object]],
    *,
    header: list[str] | None = None,
    with_header: bool = True,
    encoding: str = "utf-8",
) -> Path:
    """A CSV in the dialect's layout; `header` replaces the header row as written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        if table.headerless:
            width = max(c.position or 0 for c in table.columns)
            for row in rows:
                fields = [""] * width
                for column in table.columns:
                    if column.position:
                        fields[column.position - 1] = str(row.get(column.name) or "")
                writer.writerow(fields)
            return path
        columns = header_cells(table, dialect)
        if with_header:
            writer.writerow(header or [h for _, h in columns])
        for row in rows:
            writer.writerow(["" if row.get(n) is None else row.get(n) for n, _ in columns])
    return path


def write_xlsx(
    path: Path,
    table: TableContract,
    dialect: str,
    rows: Iterable[Mapping[str, object]],
    *,
    with_header: bool = True,
    sheet: str | None = None,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    if sheet:
        worksheet.title = sheet
    columns = header_cells(table, dialect)
    if with_header:
        worksheet.append([h for _, h in columns])
    for row in rows:
        worksheet.append([row.get(n) for n, _ in columns])
    workbook.save(path)
    return path


# ---------------------------------------------------------------------------------------------
# The warehouse before and after
# ---------------------------------------------------------------------------------------------

_TIMESTAMPS = {"_loaded_at", "loaded_at", "quarantined_at"}


def _columns(conn: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Each table's columns in order, but the load timestamps (one catalogue query: one per
    table cost more than reading the rows)."""
    columns: dict[str, list[str]] = {}
    for name, column in conn.execute(
        "select table_schema || '.' || table_name, column_name from information_schema.columns "
        "order by table_schema, table_name, ordinal_position"
    ).fetchall():
        if column not in _TIMESTAMPS:
            columns.setdefault(name, []).append(column)
    return columns


def _rows(
    conn: duckdb.DuckDBPyConnection, name: str, columns: list[str], where: str
) -> list[tuple]:
    select = ", ".join(f'"{c}"' for c in columns)
    return sorted(conn.execute(f"select {select} from {name} where {where}").fetchall(), key=repr)


def snapshot(
    conn: duckdb.DuckDBPyConnection, table: TableContract, *, keep_table_month: bool
) -> dict[str, list[tuple]]:
    """Every row of every raw and pipeline table, but (unless `keep_table_month`) those the
    load of `table` for MONTH may rightly change; rejection log rows are always left out."""
    month = f"date '{month_date()}'"
    this = f"source = '{table.source}' and table_name = '{table.name}' and month = {month}"
    columns = _columns(conn)
    state = {}
    for other in CONTRACTS:
        where = "true"
        if other is table and not keep_table_month:
            where = f"_month <> {month}"
        name = other.qualified_name
        state[name] = _rows(conn, name, columns[name], where)
    quarantine_where = "true" if keep_table_month else f"not ({this})"
    log_where = f"not ({this})" if not keep_table_month else f"not ({this} and status <> 'loaded')"
    for name, where in (
        ("pipeline.quarantine", quarantine_where),
        ("pipeline.ingestion_log", log_where),
    ):
        state[name] = _rows(conn, name, columns[name], where)
    return state


# ---------------------------------------------------------------------------------------------
# Looking for planted NHS numbers
# ---------------------------------------------------------------------------------------------


def _written_any_way(number: str) -> re.Pattern[str]:
    """The number with anything but letters and digits (up to three) between its digits."""
    return re.compile("[^0-9A-Za-z]{0,3}".join(number))


def leaked(numbers: list[str], texts: Iterable[str]) -> list[str]:
    """Texts holding any of `numbers`, however it was written."""
    patterns = [_written_any_way(n) for n in numbers]
    return [t for t in texts if any(p.search(t) for p in patterns)]


def warehouse_texts(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Every value of every table, as text (numbers too: a cost holding one is a leak)."""
    columns: dict[tuple[str, str], list[str]] = {}
    for schema, name, column in conn.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_schema not in ('information_schema', 'pg_catalog')"
    ).fetchall():
        columns.setdefault((schema, name), []).append(column)
    texts = []
    for (schema, name), names in columns.items():
        values = ", ".join(f'"{c}"::varchar' for c in names)
        texts += [
            v
            for (v,) in conn.execute(
                f'select distinct unnest([{values}]) from "{schema}"."{name}"'
            ).fetchall()
            if v is not None
        ]
    return texts


def folder_texts(folder: Path) -> list[str]:
    """Every line of every file under `folder` (quarantine CSVs)."""
    if not folder.exists():
        return []
    return [
        line
        for path in folder.rglob("*")
        if path.is_file()
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
    ]
