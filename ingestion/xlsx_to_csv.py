"""Excel workbooks in, plain CSV out, so one CSV path validates every file.

Lead Pharmacists keep their logs in Excel and ODS publishes ePCN as a workbook. The copy keeps
each row's sheet row number as its first field, so quarantine points at the row a person
sees in Excel, even where blank rows were skipped.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl

ROW_NUMBER_HEADER = "_row"


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def sheet_to_csv(workbook_path: Path, csv_path: Path, sheet: str | None) -> None:
    """Write one sheet as UTF-8 CSV; the first sheet when `sheet` is None."""
    workbook = openpyxl.load_workbook(workbook_path, read_only=True, data_only=True)
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        else:
            names = {name.strip().casefold(): name for name in workbook.sheetnames}
            if sheet.casefold() not in names:
                raise ValueError(
                    f"it has no sheet named {sheet!r} (sheets: {', '.join(workbook.sheetnames)})"
                )
            worksheet = workbook[names[sheet.casefold()]]
        # Some producers declare a wrong used range (e.g. A1:A1); read-only mode would trust it
        # and silently drop cells. Reading every row keeps what is really there.
        worksheet.reset_dimensions()
        with csv_path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            width = None
            for row_number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
                cells = [_cell_text(v) for v in row]
                if width is None:
                    # The header decides the width: trailing empty header cells are formatting.
                    while cells and not cells[-1].strip():
                        cells.pop()
                    width = len(cells)
                    writer.writerow([ROW_NUMBER_HEADER, *cells])
                    continue
                cells = (cells + [""] * width)[:width]
                if any(c.strip() for c in cells):
                    writer.writerow([row_number, *cells])
    finally:
        workbook.close()
