"""Read outputs back for the tests: every cell of a workbook, every field of a CSV, and the
patterns that must never appear in them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl

from reports.layout import (
    DEFAULT_FONT_SIZE,
    PADDING_PIXELS,
    column_pixels,
    formatted_text,
    line_height,
    text_pixels,
    wrapped_lines,
)

# Ten digits standing alone (an NHS number, with or without a valid check digit).
NHS_NUMBER_LIKE = re.compile(r"(?<![\d.])\d{10}(?![\d.])|\b\d{3} \d{3} \d{4}\b")
# The loader's pseudonymised patient key: 'P' + 26 capital letters A-P.
PATIENT_KEY = re.compile(r"P[A-P]{26}")
DATA_QUALITY_SHEET = "Data quality"
# The one field of any output that says when something happened rather than what the data
# is: on the dashboard's data-quality sheet, when each listed check was evaluated.
EVALUATED_AT = "Evaluated at"


def workbook_cells(path: Path) -> list[tuple[str, str, Any]]:
    """(sheet, coordinate, value) of every non-empty cell of every sheet, hidden ones too."""
    workbook = openpyxl.load_workbook(path)
    return [
        (sheet.title, cell.coordinate, cell.value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def leaks(texts: list[str]) -> list[str]:
    return [t for t in texts if NHS_NUMBER_LIKE.search(t) or PATIENT_KEY.search(t)]


def all_text(path: Path) -> list[str]:
    """Every string an output holds: cells of a workbook (and its raw XML), or CSV lines."""
    if path.suffix == ".csv":
        return path.read_text(encoding="utf-8").splitlines()
    texts = [str(value) for _, _, value in workbook_cells(path)]
    with zipfile.ZipFile(path) as archive:
        texts += [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]
    return texts


def sheet_xml(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        return {
            name: archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.startswith("xl/worksheets/sheet")
        }


def _column_widths(sheet: Any) -> tuple[dict[int, float], set[int]]:
    widths: dict[int, float] = {}
    hidden: set[int] = set()
    for dimension in sheet.column_dimensions.values():
        if dimension.min is None:
            continue
        for index in range(dimension.min, dimension.max + 1):
            if dimension.customWidth or dimension.width:
                widths[index] = dimension.width
            if dimension.hidden:
                hidden.add(index)
    return widths, hidden


def overflowing_cells(path: Path) -> list[str]:
    """Every cell of every visible sheet whose text, as its number format shows it, is wider
    than its column (or merged range), or, wrapped, needs more lines than its row is tall:
    what a spreadsheet shows as '###' or cuts off."""
    workbook = openpyxl.load_workbook(path)
    problems = []
    for sheet in workbook.worksheets:
        if sheet.sheet_state != "visible":
            continue
        widths, hidden = _column_widths(sheet)
        merged = {}
        for cell_range in sheet.merged_cells.ranges:
            merged[(cell_range.min_row, cell_range.min_col)] = cell_range
            for row in range(cell_range.min_row, cell_range.max_row + 1):
                for col in range(cell_range.min_col, cell_range.max_col + 1):
                    merged.setdefault((row, col), None)
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None or cell.column in hidden:
                    continue
                key = (cell.row, cell.column)
                span = merged.get(key, "single")
                if span is None:
                    continue  # covered by a merged range's first cell
                if isinstance(span, str):
                    cols, rows = [cell.column], [cell.row]
                else:
                    cols = list(range(span.min_col, span.max_col + 1))
                    rows = list(range(span.min_row, span.max_row + 1))
                available = sum(column_pixels(widths.get(c)) + PADDING_PIXELS for c in cols)
                available -= PADDING_PIXELS
                text = formatted_text(cell.value, cell.number_format)
                size = float(cell.font.sz or DEFAULT_FONT_SIZE)
                bold = bool(cell.font.b)
                height = sum(sheet.row_dimensions[r].height or 15 for r in rows)
                where = f"{sheet.title}!{cell.coordinate} {text[:40]!r}"
                if cell.alignment.wrap_text:
                    lines = wrapped_lines(text, available, size, bold)
                    if lines * line_height(size) > height + 1:
                        problems.append(f"{where}: {lines} lines in {height} points")
                elif text_pixels(text, size, bold) > available:
                    problems.append(f"{where}: wider than its column")
    return problems


def _number(text: str) -> float | None:
    cleaned = text.replace("£", "").replace("%", "").replace(",", "").strip()
    try:
        return float(cleaned)
    except ValueError:
        return None


def expected_rag(shown: float, definition: dict[str, Any]) -> str:
    """The seed's rule, written out again here so the test does not trust the code it tests."""
    green, amber = definition["rag_green_threshold"], definition["rag_amber_threshold"]
    if green is None:
        return "No RAG"
    if definition["direction"] == "lower_is_better":
        return "Green" if shown <= green else "Amber" if shown <= amber else "Red"
    return "Green" if shown >= green else "Amber" if shown >= amber else "Red"


def rag_mismatches(path: Path, definitions: dict[str, dict[str, Any]]) -> tuple[int, list[str]]:
    """(RAG cells checked, those whose word disagrees with the figure shown beside it): every
    table with a KPI column, a Value (or Figure) column and a RAG column, on every sheet."""
    workbook = openpyxl.load_workbook(path)
    checked, wrong = 0, []
    for sheet in workbook.worksheets:
        # (KPI column or None, Value or Figure column, RAG column); None: the KPI is named by
        # the section heading above the table (the family sheets).
        groups: list[tuple[int | None, int, int]] = []
        section_kpi = None
        for row in sheet.iter_rows():
            headers = [(c.column, c.value) for c in row if isinstance(c.value, str)]
            first = (headers[0][1].split() or [""])[0] if headers else ""
            if len(headers) == 1 and first in definitions:
                section_kpi = first
            kpi_columns = [col for col, text in headers if text == "KPI"] or [None]
            if any(t == "RAG" for _, t in headers) and any(
                t in {"Value", "Figure"} for _, t in headers
            ):
                groups = []
                for kpi in kpi_columns:
                    after = kpi or 0
                    value = min(c for c, t in headers if t in {"Value", "Figure"} and c > after)
                    rag = min(c for c, t in headers if t == "RAG" and c > after)
                    groups.append((kpi, value, rag))
                continue
            cells = {c.column: c for c in row}
            for kpi, value, rag in groups:
                kpi_cell, value_cell, rag_cell = cells.get(kpi), cells.get(value), cells.get(rag)
                kpi_text = kpi_cell.value if kpi_cell is not None else section_kpi
                if not isinstance(kpi_text, str) or value_cell is None or rag_cell is None:
                    continue
                kpi_id = kpi_text.split()[0]
                if kpi_id not in definitions or not isinstance(value_cell.value, int | float):
                    continue
                shown = _number(formatted_text(value_cell.value, value_cell.number_format))
                expected = expected_rag(shown, definitions[kpi_id])
                checked += 1
                if rag_cell.value != expected:
                    wrong.append(
                        f"{sheet.title}!{rag_cell.coordinate} {kpi_id} {shown}: "
                        f"{rag_cell.value} != {expected}"
                    )
    return checked, wrong


# --- comparing two outputs ------------------------------------------------------------------


def sheet_values(workbook: bytes, sheet: str) -> list[tuple]:
    """Every row of one sheet as the values its cells hold."""
    book = openpyxl.load_workbook(io.BytesIO(workbook), read_only=True)
    try:
        return [tuple(row) for row in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()


def evaluated_at_cells(workbook: bytes) -> list[str]:
    """The cells of the data-quality sheet under an 'Evaluated at' header (each check's
    evaluation time), as A1 references."""
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    if DATA_QUALITY_SHEET not in book.sheetnames:
        return []
    sheet = book[DATA_QUALITY_SHEET]
    cells, column = [], None
    for row in sheet.iter_rows():
        header = next((c for c in row if c.value == EVALUATED_AT), None)
        if header is not None:
            column = header.column_letter
        elif column is not None and row[0].value is None:
            column = None  # a table ends at a blank row
        elif column is not None:
            cell = sheet[f"{column}{row[0].row}"]
            if isinstance(cell.value, dt.datetime):
                cells.append(cell.coordinate)
    return cells


def _sheet_member(workbook: bytes, sheet: str) -> str:
    # xlsxwriter writes the n-th sheet it adds as xl/worksheets/sheet<n>.xml.
    book = openpyxl.load_workbook(io.BytesIO(workbook), read_only=True)
    try:
        return f"xl/worksheets/sheet{book.sheetnames.index(sheet) + 1}.xml"
    finally:
        book.close()


def workbook_differences(first: bytes, second: bytes) -> list[str]:
    """The zip members of two workbooks that differ, byte for byte, except the values of the
    data-quality sheet's 'Evaluated at' cells (masked in both, where both have them)."""
    masked = evaluated_at_cells(first)
    if masked != evaluated_at_cells(second):
        return [f"{DATA_QUALITY_SHEET}: checks evaluated in different cells"]
    members: dict[str, list[bytes]] = {}
    for data in (first, second):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                members.setdefault(name, []).append(archive.read(name))
    sheet_member = _sheet_member(first, DATA_QUALITY_SHEET) if masked else None
    differing = []
    for name, contents in sorted(members.items()):
        if name == sheet_member:
            contents = [_mask_cells(c, masked) for c in contents]
        if len(contents) != 2 or contents[0] != contents[1]:
            differing.append(name)
    return differing


def _mask_cells(sheet_xml: bytes, references: list[str]) -> bytes:
    text = sheet_xml.decode("utf-8")
    for reference in references:
        text, found = re.subn(
            rf'(<c r="{reference}"[^>]*><v>)[^<]*(</v>)', r"\g<1>masked\g<2>", text
        )
        assert found == 1, f"no value in cell {reference}"
    return text.encode("utf-8")
