"""The KPI table every section of the return uses, and a labelled table for the section
extras (alerts, SEA themes, PINCER hazards, costs): a long label spans the organisation and KPI
columns, so it never widens them."""

from __future__ import annotations

from typing import Any

from xlsxwriter.format import Format

from reports import kpis
from reports.icb_return.rows import WITHHELD, ReturnRow
from reports.names import PERIOD_TYPES, words
from reports.suppression import SUPPRESSED
from reports.xlsx import Sheet, add_rag_rules, rag_label

KPI_HEADERS = [
    "Organisation",
    "Name",
    "KPI",
    "KPI name",
    "Period",
    "Numerator",
    "Denominator",
    "Value",
    "Target",
    "Target basis",
    "RAG",
    "Last quarter",
    "Suppressed",
]
RAG_COLUMN = KPI_HEADERS.index("RAG")
LAST_COL = len(KPI_HEADERS) - 1
LABEL_LAST_COL = 3  # a labelled table's label spans Organisation to KPI name
FIRST_FIGURE_COL = 5  # and its figures sit under Numerator, Denominator, Value...


def size_kpi_columns(sheet: Sheet) -> None:
    sheet.cap_width(1, 30)
    sheet.cap_width(3, 44)
    for col in range(FIRST_FIGURE_COL, LAST_COL + 1):
        sheet.cap_width(col, 12)


def _figure(sheet: Sheet, value: Any, cell_format: Format | None) -> tuple[Any, Format | None]:
    return (value, sheet.formats.suppressed) if value == SUPPRESSED else (value, cell_format)


def rag_text(row: ReturnRow) -> str:
    return WITHHELD if row.rag == WITHHELD else rag_label(row.rag)


def write_kpi_table(sheet: Sheet, first_row: int, rows: list[ReturnRow]) -> int:
    """One row per organisation x KPI; returns the row after the table."""
    formats = sheet.formats
    sheet.write_row(first_row, 0, KPI_HEADERS, [formats.header] * len(KPI_HEADERS))
    r = first_row
    for r, row in enumerate(rows, start=first_row + 1):
        definition = row.definition
        value_format = kpis.value_format(formats, definition)
        value: Any = row.value
        if value is None:
            value, value_cell = kpis.STATUS_WORDS.get(row.status, ""), formats.suppressed
        else:
            value, value_cell = _figure(sheet, value, value_format)
        cells = [
            (row.org_code, formats.text),
            (row.org_name, formats.wrap),
            (row.kpi_id, formats.text),
            (definition["name"], formats.wrap),
            (words(PERIOD_TYPES, row.period_type), formats.text),
            _figure(sheet, row.numerator, kpis.count_format(formats, _number(row.numerator))),
            _figure(sheet, row.denominator, kpis.count_format(formats, _number(row.denominator))),
            (value, value_cell),
            (row.target, value_format),
            (row.target_basis, formats.text),
            (rag_text(row), formats.text),
            _figure(sheet, row.previous_value, value_format),
            ("yes" if row.suppressed else "no", formats.text),
        ]
        for col, (cell, cell_format) in enumerate(cells):
            sheet.write(r, col, cell, cell_format)
    column = chr(ord("A") + RAG_COLUMN)
    add_rag_rules(
        sheet.worksheet, f"{column}{first_row + 2}:{column}{max(r, first_row + 1) + 1}", formats
    )
    size_kpi_columns(sheet)
    return r + 1


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def write_labelled_table(
    sheet: Sheet,
    first_row: int,
    label_header: str,
    headers: list[str],
    rows: list[tuple[str, list[Any]]],
    formats: list[Format | None] | None = None,
) -> int:
    """A table whose first column is a long label (spanning Organisation to KPI name) and
    whose figures sit from the Numerator column on; returns the row after it."""
    header = sheet.formats.header
    sheet.merge(first_row, 0, first_row, LABEL_LAST_COL, label_header, header)
    for offset, text in enumerate(headers):
        sheet.write(first_row, FIRST_FIGURE_COL + offset, text, header)
    sheet.write(first_row, LABEL_LAST_COL + 1, None, header)
    for r, (label, values) in enumerate(rows, start=first_row + 1):
        sheet.merge(r, 0, r, LABEL_LAST_COL, label, sheet.formats.wrap)
        for offset, value in enumerate(values):
            cell_format = formats[offset] if formats else None
            if value == SUPPRESSED:
                cell_format = sheet.formats.suppressed
            elif cell_format is None and isinstance(value, int | float):
                cell_format = sheet.formats.integer
            sheet.write(r, FIRST_FIGURE_COL + offset, value, cell_format)
    if not rows:
        sheet.merge(
            first_row + 1, 0, first_row + 1, LABEL_LAST_COL, "Nothing recorded.", sheet.formats.note
        )
        return first_row + 2
    return first_row + len(rows) + 1
