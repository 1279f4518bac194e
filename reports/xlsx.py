"""Shared xlsxwriter plumbing for every workbook: a safe workbook, formats, a sheet that sizes its
columns and rows from what it holds, RAG colours and the A4 print set-up.

Safety: text that came from inputs (practice names, SEA themes, evidence sentences, check
messages) must never become a formula or a link in a spreadsheet. The workbook is opened with
strings_to_formulas/strings_to_urls/strings_to_numbers all False, and `put` writes every str
with write_string, so "=HYPERLINK(...)" lands as the literal text.

Layout: a `Sheet` collects its cells and writes them when it is finished, once it knows how wide
each column must be (reports.layout measures the text each value shows in its number format).
A column may have a cap; text wider than its cap wraps, and every row with wrapped text is made
tall enough for its lines. So no number shows as "###" and no text is cut at a cell edge.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from reports.layout import (
    DEFAULT_FONT_SIZE,
    formatted_text,
    line_height,
    text_pixels,
    width_for_pixels,
    wrapped_lines,
)

UK_DATE = "d mmm yyyy"
UK_DATETIME = "d mmm yyyy hh:mm"
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": True,
    "default_date_format": UK_DATE,
}
FONT_SIZE = 10
ROW_PADDING = 3  # points above and below the lines of a wrapped or large-font row

RAG_FILLS = {
    "green": ("#C6EFCE", "#006100"),
    "amber": ("#FFEB9C", "#9C5700"),
    "red": ("#FFC7CE", "#9C0006"),
    "no_rag": ("#F2F2F2", "#595959"),
    "nothing_due": ("#F2F2F2", "#595959"),
    "no_data": ("#D9D9D9", "#595959"),
}
STATUS_FILLS = {
    "Met": "green",
    "Partly met": "amber",
    "Not met": "red",
    "No data": "no_data",
    "Passed": "green",
    "Failed": "red",
    "Warning": "amber",
    "Loaded": "green",
    "Missing": "red",
    "Rejected": "red",
    "Closed in time": "green",
    "Closed late": "amber",
    "Open, in time": "no_rag",
    "Open past deadline": "red",
}


def new_workbook(path: Path, created: dt.date, **properties: str) -> Workbook:
    """A workbook whose document date is `created` (the data's date, never the clock), so the
    same warehouse writes the same bytes; `properties` are its title, subject and so on."""
    workbook = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    stamp = created if isinstance(created, dt.datetime) else dt.datetime.combine(created, dt.time())
    workbook.set_properties({"author": "pcnmo", **properties, "created": stamp})
    return workbook


class Formats:
    """The workbook's formats, created once (xlsxwriter formats belong to one workbook)."""

    def __init__(self, workbook: Workbook, font_size: int = FONT_SIZE) -> None:
        self.workbook = workbook
        self.font_size = font_size
        self._cache: dict[tuple[tuple[str, Any], ...], Format] = {}
        self._properties: dict[int, dict[str, Any]] = {}
        self.title = self.get(bold=True, font_size=16, font_color="#1F3864", valign="vcenter")
        self.subtitle = self.get(italic=True, font_color="#595959", valign="top")
        self.header = self.get(
            bold=True, bg_color="#1F3864", font_color="#FFFFFF", text_wrap=True, valign="vcenter"
        )
        self.section = self.get(bold=True, font_size=12, font_color="#1F3864", valign="bottom")
        self.bold = self.get(bold=True, valign="top")
        self.text = self.get(valign="top")
        self.wrap = self.get(text_wrap=True, valign="top")
        self.note = self.get(italic=True, font_color="#595959", text_wrap=True, valign="top")
        self.date = self.get(num_format=UK_DATE, valign="top", align="left")
        self.month = self.get(num_format="mmm yyyy", valign="top", align="left")
        self.datetime = self.get(num_format=UK_DATETIME, valign="top", align="left")
        self.integer = self.get(num_format="#,##0", valign="top")
        self.decimal = self.get(num_format="#,##0.0", valign="top")
        self.money = self.get(num_format='"£"#,##0', valign="top")
        self.money_pence = self.get(num_format='"£"#,##0.00', valign="top")
        self.suppressed = self.get(align="right", valign="top")
        self.rag = {
            name: self.get(bg_color=fill, font_color=font, bold=name in {"green", "amber", "red"})
            for name, (fill, font) in RAG_FILLS.items()
        }

    def get(self, **properties: Any) -> Format:
        properties.setdefault("font_size", self.font_size)
        key = tuple(sorted(properties.items()))
        if key not in self._cache:
            cell_format = self.workbook.add_format(properties)
            self._cache[key] = cell_format
            self._properties[id(cell_format)] = dict(properties)
        return self._cache[key]

    def variant(self, cell_format: Format | None, **changes: Any) -> Format:
        """`cell_format` with some properties changed (a wrapping copy, a bold copy...)."""
        properties = dict(self._properties.get(id(cell_format), {})) if cell_format else {}
        properties.update(changes)
        return self.get(**properties)

    def number(self, decimals: int, *, prefix: str = "", suffix: str = "", **extra: Any) -> Format:
        """A number with `decimals` places, thousands separated, with literal text around it."""
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        quoted_prefix = f'"{prefix}"' if prefix else ""
        quoted_suffix = f'"{suffix}"' if suffix else ""
        extra.setdefault("valign", "top")
        return self.get(num_format=f"{quoted_prefix}{pattern}{quoted_suffix}", **extra)

    def signed(self, decimals: int, *, prefix: str = "", suffix: str = "", **extra: Any) -> Format:
        """A change: '+1.5 pp', '-£0.02', '0.0 pp' (the caller rounds the value first, so a
        tiny negative never shows as '-0.0')."""
        pattern = "0" + ("." + "0" * decimals if decimals else "")
        body = (f'"{prefix}"' if prefix else "") + pattern + (f'"{suffix}"' if suffix else "")
        extra.setdefault("valign", "top")
        return self.get(num_format=f"+{body};-{body};{body}", **extra)


def print_on_a4_landscape(
    worksheet: Worksheet, pages_tall: int = 0, scale: int | None = None
) -> None:
    """A4 landscape, one page wide; `pages_tall` 0 lets the sheet run onto as many pages as it
    needs (1 for the one-page Dashboard). A sheet with its own page breaks prints at a fixed
    `scale` instead (readers ignore manual page breaks on a sheet fitted to pages)."""
    worksheet.set_landscape()
    worksheet.set_paper(9)
    if scale:
        worksheet.set_print_scale(scale)
    else:
        worksheet.fit_to_pages(1, pages_tall)
    worksheet.set_margins(left=0.4, right=0.4, top=0.55, bottom=0.55)


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


@dataclass
class _Cell:
    value: Any
    cell_format: Format | None


@dataclass
class _Merge:
    first_row: int
    first_col: int
    last_row: int
    last_col: int
    value: Any
    cell_format: Format | None


class Sheet:
    """A worksheet that writes its cells at `finish`, once their column widths are known."""

    def __init__(self, workbook: Workbook, formats: Formats, name: str) -> None:
        self.workbook = workbook
        self.formats = formats
        self.worksheet = workbook.add_worksheet(name)
        self.name = name
        self.cells: dict[tuple[int, int], _Cell] = {}
        self.merges: list[_Merge] = []
        self.fixed_widths: dict[int, float] = {}
        self.max_widths: dict[int, float] = {}
        self.min_heights: dict[int, float] = {}
        self.hidden_columns: set[int] = set()
        self.row_levels: dict[int, int] = {}
        self.last_row = 0
        self.last_col = 0

    # --- writing -------------------------------------------------------------------------------
    def write(self, row: int, col: int, value: Any, cell_format: Format | None = None) -> None:
        self.cells[(row, col)] = _Cell(value, cell_format)
        self.last_row = max(self.last_row, row)
        self.last_col = max(self.last_col, col)

    def write_row(
        self,
        row: int,
        first_col: int,
        values: list[Any],
        formats: list[Format | None] | None = None,
    ) -> None:
        for offset, value in enumerate(values):
            cell_format = formats[offset] if formats else None
            self.write(row, first_col + offset, value, cell_format)

    def merge(
        self,
        first_row: int,
        first_col: int,
        last_row: int,
        last_col: int,
        value: Any,
        cell_format: Format | None = None,
    ) -> None:
        """A merged range; its text wraps within the merged width."""
        if (first_row, first_col) == (last_row, last_col):
            self.write(first_row, first_col, value, cell_format)
            return
        self.merges.append(_Merge(first_row, first_col, last_row, last_col, value, cell_format))
        self.last_row = max(self.last_row, last_row)
        self.last_col = max(self.last_col, last_col)

    def table(
        self,
        first_row: int,
        headers: list[str],
        rows: list[list[Any]],
        formats: list[Format | None] | None = None,
        first_col: int = 0,
    ) -> int:
        """A header row and data rows; returns the row after the table. A column of numbers
        has its header right-aligned, over the figures."""
        numeric = [
            any(
                isinstance(values[i], int | float) and not isinstance(values[i], bool)
                for values in rows
            )
            for i in range(len(headers))
        ]
        header_formats = [
            self.formats.variant(self.formats.header, align="right")
            if is_number
            else self.formats.header
            for is_number in numeric
        ]
        self.write_row(first_row, first_col, headers, header_formats)
        for offset, values in enumerate(rows, start=1):
            self.write_row(first_row + offset, first_col, values, formats)
        return first_row + len(rows) + 1

    # --- sizing --------------------------------------------------------------------------------
    def set_width(self, col: int, width: float) -> None:
        """A fixed width (text wider than it wraps)."""
        self.fixed_widths[col] = width

    def cap_width(self, col: int, width: float) -> None:
        """At most `width`; narrower if the contents are (text wider than it wraps)."""
        self.max_widths[col] = width

    def set_min_height(self, row: int, height: float) -> None:
        self.min_heights[row] = max(height, self.min_heights.get(row, 0))

    def set_level(self, row: int, level: int) -> None:
        """An outline level for the row (a reader can fold level-1 rows under the row above)."""
        self.row_levels[row] = level

    def hide_columns(self, first_col: int, last_col: int) -> None:
        self.hidden_columns |= set(range(first_col, last_col + 1))

    @staticmethod
    def _font(cell_format: Format | None) -> tuple[float, bool]:
        if cell_format is None:
            return FONT_SIZE, False
        return float(cell_format.font_size or DEFAULT_FONT_SIZE), bool(cell_format.bold)

    def _text(self, cell: _Cell) -> str:
        num_format = cell.cell_format.num_format if cell.cell_format else None
        return formatted_text(cell.value, num_format or None)

    def _widths(self) -> dict[int, float]:
        needed: dict[int, float] = {}
        for (_, col), cell in self.cells.items():
            size, bold = self._font(cell.cell_format)
            text = self._text(cell)
            # Wrapped text asks for its whole line too: the column's cap decides where it
            # wraps, and a column with no cap is as wide as its longest line.
            pixels = max(text_pixels(line, size, bold) for line in text.split("\n"))
            needed[col] = max(needed.get(col, 0.0), width_for_pixels(pixels))
        widths = {}
        for col in range(self.last_col + 1):
            if col in self.fixed_widths:
                widths[col] = self.fixed_widths[col]
                continue
            width = max(needed.get(col, 0.0), 2.0)
            if col in self.max_widths:
                width = min(width, self.max_widths[col])
            widths[col] = width
        return widths

    def finish(self) -> Worksheet:
        """Write every cell and merged range, with the columns and rows sized to hold them."""
        widths = self._widths()
        heights = dict(self.min_heights)

        def pixels_of(first_col: int, last_col: int) -> float:
            # Each column shows width x 7 pixels of text plus 5 of padding; a merged range
            # pads once.
            return sum(widths[c] * 7 + 5 for c in range(first_col, last_col + 1)) - 5

        for (row, col), cell in self.cells.items():
            size, bold = self._font(cell.cell_format)
            text = self._text(cell)
            available = widths[col] * 7
            wraps = bool(cell.cell_format is not None and cell.cell_format.text_wrap)
            if (
                not wraps
                and isinstance(cell.value, str)
                and text_pixels(text, size, bold) > available
            ):
                cell.cell_format = self.formats.variant(cell.cell_format, text_wrap=True)
                wraps = True
            lines = wrapped_lines(text, available, size, bold) if wraps and text else 1
            needed = lines * line_height(size) + (ROW_PADDING if wraps or size > 11 else 0)
            if lines > 1 or size > 11:
                heights[row] = max(heights.get(row, 0.0), needed)
        for merge in self.merges:
            size, bold = self._font(merge.cell_format)
            text = formatted_text(merge.value, None)
            if merge.cell_format is None or not merge.cell_format.text_wrap:
                merge.cell_format = self.formats.variant(merge.cell_format, text_wrap=True)
            available = pixels_of(merge.first_col, merge.last_col)
            lines = wrapped_lines(text, available, size, bold) if text else 1
            rows = merge.last_row - merge.first_row + 1
            needed = (lines * line_height(size) + ROW_PADDING) / rows
            for row in range(merge.first_row, merge.last_row + 1):
                heights[row] = max(heights.get(row, 0.0), needed)

        for col, width in widths.items():
            options = {"hidden": True} if col in self.hidden_columns else None
            self.worksheet.set_column(col, col, width, None, options)
        for row in sorted(set(heights) | set(self.row_levels)):
            height = math.ceil(heights[row]) if row in heights else None
            level = self.row_levels.get(row)
            self.worksheet.set_row(row, height, None, {"level": level} if level else None)
        for (row, col), cell in sorted(self.cells.items()):
            put(self.worksheet, row, col, cell.value, cell.cell_format)
        for merge in self.merges:
            self.worksheet.merge_range(
                merge.first_row,
                merge.first_col,
                merge.last_row,
                merge.last_col,
                "",
                merge.cell_format,
            )
            put(self.worksheet, merge.first_row, merge.first_col, merge.value, merge.cell_format)
        return self.worksheet


def add_rag_rules(worksheet: Worksheet, cell_range: str, formats: Formats) -> None:
    """Colour cells holding a RAG word (as `rag_label` writes it) by conditional format, so an
    edited word recolours itself."""
    for name, label in RAG_LABELS.items():
        if name == "no_rag":
            continue
        worksheet.conditional_format(
            cell_range,
            {"type": "cell", "criteria": "==", "value": f'"{label}"', "format": formats.rag[name]},
        )


def add_status_rules(worksheet: Worksheet, cell_range: str, formats: Formats) -> None:
    """Colour status words (Met / Not met / Passed / Failed / Missing ...) by conditional format."""
    for status, rag in STATUS_FILLS.items():
        worksheet.conditional_format(
            cell_range,
            {"type": "cell", "criteria": "==", "value": f'"{status}"', "format": formats.rag[rag]},
        )


RAG_LABELS = {
    "green": "Green",
    "amber": "Amber",
    "red": "Red",
    "no_rag": "No RAG",
    "nothing_due": "Nothing due",
    "no_data": "No data",
}


def rag_label(rag: str | None) -> str:
    return RAG_LABELS.get(rag or "no_data", rag or "")
