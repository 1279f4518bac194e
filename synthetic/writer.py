"""The one place files are written, driven by the extract contracts.

Every CSV the generator produces goes through `write_csv`: headers come from the contract's
dialect (or, for public files that carry columns the warehouse does not model, from the
published layout), dates are spelt with the dialect's documented format, and deliberate bad
rows are applied after formatting so they reach the file exactly as a person would type them.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import xlsxwriter

from pcnmo.contracts import Column, Kind, TableContract

# Dates are formatted by lookup rather than strftime: the table is built once per format and
# `%b` is spelt here, so the output never depends on the machine's locale.
_FIRST_DAY = np.datetime64("1880-01-01", "D")
_LAST_DAY = np.datetime64("2100-12-31", "D")
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# A fixed creation date so a workbook is byte-identical from run to run.
WORKBOOK_CREATED = datetime(2025, 1, 1)

Data = Mapping[str, Any]  # column name (or published header) -> sequence of values


def spell_date(day: date, fmt: str) -> str:
    return (
        fmt.replace("%Y", f"{day.year:04d}")
        .replace("%y", f"{day.year % 100:02d}")
        .replace("%m", f"{day.month:02d}")
        .replace("%d", f"{day.day:02d}")
        .replace("%b", _MONTH_ABBR[day.month - 1])
        .replace("%B", day.strftime("%B"))
        .replace("%H:%M:%S", "00:00:00")
    )


@lru_cache(maxsize=16)
def _date_table(fmt: str) -> np.ndarray:
    days = np.arange(_FIRST_DAY, _LAST_DAY + 1).astype("datetime64[D]").astype(object)
    return np.array([spell_date(day, fmt) for day in days], dtype=object)


def format_dates(values: np.ndarray, fmt: str) -> np.ndarray:
    """datetime64[D] values spelt in `fmt`; NaT becomes an empty string."""
    days = np.asarray(values, dtype="datetime64[D]")
    missing = np.isnat(days)
    offsets = np.where(missing, 0, (days - _FIRST_DAY).astype(np.int64))
    return np.where(missing, "", _date_table(fmt)[offsets])


def spell(fmt: str, values: np.ndarray) -> np.ndarray:
    """`fmt % value` for each value, as text (plain Python formatting, exactly reproducible)."""
    return np.array([fmt % v for v in np.asarray(values).tolist()], dtype=object)


def fixed(values: np.ndarray, decimals: int) -> np.ndarray:
    """Numbers with a fixed number of decimals; NaN becomes an empty string."""
    numbers = np.asarray(values, dtype=float)
    return np.where(np.isnan(numbers), "", spell(f"%.{decimals}f", np.nan_to_num(numbers)))


def contract_headers(table: TableContract, dialect: str) -> list[str]:
    """The header row a dialect delivers: every column it names, in contract order."""
    return [header for col in table.columns if (header := col.header(dialect)) is not None]


def _layout(
    table: TableContract, dialect: str, layout: Sequence[str] | int | None
) -> tuple[list[str] | None, list[str], dict[str, Column]]:
    """(header row or None, the data key behind each file column, contract column per key)."""
    if table.headerless:
        width = layout if isinstance(layout, int) else max(c.position or 0 for c in table.columns)
        by_position = {col.position: col.name for col in table.columns}
        keys = [by_position.get(i, f"position_{i}") for i in range(1, width + 1)]
        return None, keys, {col.name: col for col in table.columns}
    if isinstance(layout, int):
        raise TypeError("a file with a header row needs its header names as the layout")
    headers = list(layout) if layout is not None else contract_headers(table, dialect)
    by_header = {h: col for col in table.columns if (h := col.header(dialect)) is not None}
    keys = [by_header[h].name if h in by_header else h for h in headers]
    return headers, keys, {col.name: col for col in by_header.values()}


def _rows(data: Data) -> int:
    return next(len(v) for v in data.values() if not isinstance(v, str))


def _as_text(values: Any, rows: int) -> np.ndarray:
    if isinstance(values, str):
        return np.full(rows, values, dtype=object)
    array = np.asarray(values)
    if array.dtype.kind == "f":
        raise TypeError("format decimals with fixed() so the file says exactly what is meant")
    if array.dtype.kind == "O":
        return np.where(array == None, "", array)  # noqa: E711 - elementwise None test
    return array.astype(str).astype(object)


def write_csv(
    path: Path,
    table: TableContract,
    dialect: str,
    data: Data,
    *,
    layout: Sequence[str] | int | None = None,
    corrupt: Mapping[int, Mapping[str, str]] | None = None,
    duplicate: Sequence[int] = (),
) -> int:
    """Write one delivered file; returns the data rows written.

    `layout` is the full published header order when a file carries columns the contract
    does not model (the 26-column EPD), or the number of columns of a headerless file.
    `corrupt` replaces formatted cells (row -> column name -> raw text) and `duplicate`
    repeats rows verbatim, for the deliberate imperfections.
    """
    header_row, keys, columns_by_key = _layout(table, dialect, layout)
    rows = _rows(data)
    columns = []
    for key in keys:
        values = data.get(key, "")
        col = columns_by_key.get(key)
        if col is not None and col.kind in (Kind.DATE, Kind.MONTH) and not isinstance(values, str):
            fmt = (col.date_formats or table.dialect(dialect).date_formats)[0]
            columns.append(format_dates(values, fmt))
        else:
            columns.append(_as_text(values, rows))
    for row, cells in (corrupt or {}).items():
        for key, text in cells.items():
            columns[keys.index(key)][row] = text
    records = list(zip(*columns, strict=True))
    for row in sorted(duplicate, reverse=True):
        records.insert(row + 1, records[row])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        if header_row is not None:
            writer.writerow(header_row)
        writer.writerows(records)
    return len(records)


def write_xlsx(
    path: Path, sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]]
) -> None:
    """A workbook of plain sheets: header row, then values (dates as real dates).

    Text is always written as a string cell, so nothing typed into a log can turn into a
    formula.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties({"created": WORKBOOK_CREATED, "author": "pcnmo synthetic data"})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    wrap = workbook.add_format({"text_wrap": True, "bold": True})
    for name, headers, rows in sheets:
        sheet = workbook.add_worksheet(name)
        for c, header in enumerate(headers):
            sheet.write_string(0, c, header, wrap)
        for r, record in enumerate(rows, start=1):
            for c, value in enumerate(record):
                if value is None or value == "":
                    continue
                if isinstance(value, date):
                    sheet.write_datetime(
                        r, c, datetime(value.year, value.month, value.day), date_format
                    )
                elif isinstance(value, int | float | np.integer | np.floating):
                    sheet.write_number(r, c, float(value))
                else:
                    sheet.write_string(r, c, str(value))
    workbook.close()


def write_log(path: Path, table: TableContract, data: Data) -> int:
    """A Lead Pharmacist's log as CSV (dates in the first local format) or xlsx (real dates)."""
    if path.suffix == ".csv":
        return write_csv(path, table, "local", data)
    headers, keys, _ = _layout(table, "local", None)
    rows = _rows(data)
    columns = []
    for key in keys:
        values = data.get(key, "")
        if isinstance(values, str):
            columns.append([values] * rows)
        elif np.asarray(values).dtype.kind == "M":
            columns.append([None if np.isnat(v) else v.astype(object) for v in values])
        else:
            columns.append(list(values))
    write_xlsx(path, [(table.name, headers or [], list(zip(*columns, strict=True)))])
    return rows
