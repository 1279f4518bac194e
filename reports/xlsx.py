"""Shared xlsxwriter plumbing: a safe workbook, typed cell writes, number formats, RAG colours.

Safety: text that came from inputs (practice names, SEA themes, evidence sentences, check
messages) must never become a formula or a link in a spreadsheet. The workbook is opened with
strings_to_formulas/strings_to_urls/strings_to_numbers all False, and `put` writes every str
with write_string, so "=HYPERLINK(...)" lands as the literal text.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": True,
    "default_date_format": "yyyy-mm-dd",
}

RAG_FILLS = {
    "green": ("#C6EFCE", "#006100"),
    "amber": ("#FFEB9C", "#9C5700"),
    "red": ("#FFC7CE", "#9C0006"),
    "no_rag": ("#F2F2F2", "#595959"),
    "no_data": ("#D9D9D9", "#595959"),
}
RAG_LABELS = {
    "green": "Green",
    "amber": "Amber",
    "red": "Red",
    "no_rag": "-",
    "no_data": "no data",
}
STATUS_FILLS = {
    "met": "green",
    "partly_met": "amber",
    "not_met": "red",
    "no_data": "no_data",
    "passed": "green",
    "failed": "red",
    "warning": "amber",
    "loaded": "green",
    "missing": "red",
    "rejected": "red",
}

# Display formats by KPI unit (seed kpi_definitions): values stay numbers, the format shows
# the unit. Percent values are 0-100 in the mart, not fractions, hence the literal "%".
UNIT_FORMATS = {
    "percent": '0.0"%"',
    "mean_per_smr": "0.00",
    "rate_per_10000": "0.0",
    "count": "#,##0",
    "pounds_per_astro_pu": '"£"#,##0.00',
    "ratio": "0.00",
}
# Change since the previous period: percentage points for percentages.
CHANGE_FORMATS = {
    "percent": '+0.0" pp";-0.0" pp";0.0" pp"',
    "count": "+#,##0;-#,##0;0",
    "pounds_per_astro_pu": '+"£"0.00;-"£"0.00;"£"0.00',
}
DEFAULT_CHANGE_FORMAT = "+0.00;-0.00;0.00"
DEFAULT_NUMBER_FORMAT = "#,##0.00"


def new_workbook(path: Path) -> Workbook:
    return xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)


class Formats:
    """The workbook's formats, created once (xlsxwriter formats belong to one workbook)."""

    def __init__(self, workbook: Workbook, font_size: int = 10) -> None:
        self.workbook = workbook
        self.font_size = font_size
        self._cache: dict[tuple[tuple[str, Any], ...], Any] = {}
        self.title = self.get(bold=True, font_size=16, font_color="#1F3864")
        self.subtitle = self.get(italic=True, font_color="#595959")
        self.header = self.get(
            bold=True, bg_color="#1F3864", font_color="#FFFFFF", text_wrap=True, valign="vcenter"
        )
        self.section = self.get(bold=True, font_size=12, font_color="#1F3864", bottom=1)
        self.text = self.get(valign="vcenter")
        self.wrap = self.get(text_wrap=True, valign="top")
        self.note = self.get(italic=True, font_color="#595959", text_wrap=True, valign="top")
        self.date = self.get(num_format="yyyy-mm-dd", valign="vcenter")
        self.month = self.get(num_format="mmm yyyy", valign="vcenter", align="left")
        self.datetime = self.get(num_format="yyyy-mm-dd hh:mm", valign="vcenter")
        self.integer = self.get(num_format="#,##0", valign="vcenter")
        self.decimal = self.get(num_format="#,##0.0", valign="vcenter")
        self.money = self.get(num_format='"£"#,##0', valign="vcenter")
        self.money_pence = self.get(num_format='"£"#,##0.00', valign="vcenter")
        self.rag = {
            name: workbook.add_format(
                {
                    "bg_color": fill,
                    "font_color": font,
                    "bold": name in {"green", "amber", "red"},
                    "font_size": font_size,
                }
            )
            for name, (fill, font) in RAG_FILLS.items()
        }

    def get(self, **properties: Any) -> Any:
        properties.setdefault("font_size", self.font_size)
        key = tuple(sorted(properties.items()))
        if key not in self._cache:
            self._cache[key] = self.workbook.add_format(properties)
        return self._cache[key]

    def unit(self, unit: str | None, **extra: Any) -> Any:
        return self.get(
            num_format=UNIT_FORMATS.get(unit or "", DEFAULT_NUMBER_FORMAT),
            valign="vcenter",
            **extra,
        )

    def change(self, unit: str | None, **extra: Any) -> Any:
        return self.get(
            num_format=CHANGE_FORMATS.get(unit or "", DEFAULT_CHANGE_FORMAT),
            valign="vcenter",
            **extra,
        )


def print_on_a4_landscape(worksheet: Worksheet, pages_tall: int = 0) -> None:
    """A4 landscape, one page wide; `pages_tall` 0 lets the sheet run onto as many pages as it
    needs (1 for the one-page Dashboard)."""
    worksheet.set_landscape()
    worksheet.set_paper(9)
    worksheet.fit_to_pages(1, pages_tall)


def put(worksheet: Worksheet, row: int, col: int, value: Any, cell_format: Any = None) -> None:
    """Write one cell by the Python type of `value`; text is always literal text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        worksheet.write_blank(row, col, None, cell_format)
    elif isinstance(value, bool):
        worksheet.write_boolean(row, col, value, cell_format)
    elif isinstance(value, int | float):
        worksheet.write_number(row, col, value, cell_format)
    elif isinstance(value, dt.datetime | dt.date):
        worksheet.write_datetime(row, col, value, cell_format)
    else:
        worksheet.write_string(row, col, str(value), cell_format)


def write_table(
    worksheet: Worksheet,
    first_row: int,
    headers: list[str],
    rows: list[list[Any]],
    formats: Formats,
    column_formats: list[Any] | None = None,
) -> int:
    """A header row and data rows from `first_row`; returns the row after the table."""
    for col, header in enumerate(headers):
        put(worksheet, first_row, col, header, formats.header)
    for offset, values in enumerate(rows, start=1):
        for col, value in enumerate(values):
            cell_format = column_formats[col] if column_formats else None
            put(worksheet, first_row + offset, col, value, cell_format)
    return first_row + len(rows) + 1


def add_rag_rules(worksheet: Worksheet, cell_range: str, formats: Formats) -> None:
    """Colour cells holding a RAG label (as written by `rag_label`) by conditional format, so
    an edited label recolours itself."""
    for name, label in RAG_LABELS.items():
        if name == "no_rag":
            continue
        worksheet.conditional_format(
            cell_range,
            {"type": "cell", "criteria": "==", "value": f'"{label}"', "format": formats.rag[name]},
        )


def add_status_rules(worksheet: Worksheet, cell_range: str, formats: Formats) -> None:
    """Colour status words (met / not_met / passed / failed / missing ...) by conditional format."""
    for status, rag in STATUS_FILLS.items():
        worksheet.conditional_format(
            cell_range,
            {
                "type": "cell",
                "criteria": "==",
                "value": f'"{status}"',
                "format": formats.rag[rag],
            },
        )


def rag_label(rag: str | None) -> str:
    return RAG_LABELS.get(rag or "no_data", rag or "")
