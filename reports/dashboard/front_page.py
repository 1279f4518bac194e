"""The Dashboard sheet: one A4 landscape page. A provisional banner when the month may still
change, this month's priorities, then the four KPI families in a 2 x 2 grid, each KPI with
value, target (and whether it is agreed or the default), RAG, change since last month, a
12-month sparkline and the ICB peer median where the KPI has one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from pcnmo.calendar import month_end
from reports import kpis
from reports import warehouse as wh
from reports.dashboard.priorities import Priority
from reports.dashboard.views import TREND_MONTHS, KpiView, family_definitions, month_ends
from reports.names import long_date
from reports.xlsx import Sheet, add_rag_rules, print_on_a4_landscape, rag_label

# Dashboard grid: (family on the left, family on the right) per band.
BANDS = (("clinical_activity", "prescribing_safety"), ("cost", "des_assurance"))
COLUMNS = ("KPI", "Value", "Target", "Target basis", "RAG", "Change", "12 months", "ICB peer")
BLOCK_WIDTH = len(COLUMNS) + 1  # one narrow spacer column between blocks
LAST_COL = BLOCK_WIDTH + len(COLUMNS) - 1
NAME_WIDTH = 30
SPARKLINE_WIDTH = 12
TREND_SHEET = "Trend data"


def write_dashboard_sheet(
    sheet: Sheet,
    org: wh.Organisation,
    month: dt.date,
    definitions: list[dict[str, Any]],
    views: dict[tuple[str, str], KpiView],
    priorities: list[Priority],
    provisional: list[str],
    trend_rows: list[list[Any]],
) -> None:
    """Lay out the page; appends the sparklines' data rows to `trend_rows` (the caller writes
    them to the hidden sheet, added last so it is never the first tab)."""
    formats = sheet.formats
    small = formats.get(
        font_size=8, italic=True, font_color="#595959", text_wrap=True, valign="top"
    )
    name_format = formats.get(text_wrap=True, valign="vcenter", font_size=9)
    family_format = formats.get(
        bold=True, font_size=11, font_color="#FFFFFF", bg_color="#1F3864", valign="vcenter"
    )
    column_header = formats.get(
        bold=True, font_size=8, bg_color="#D9E1F2", align="center", valign="vcenter", text_wrap=True
    )
    rag_cell = formats.get(align="center", valign="vcenter", font_size=9, border=1)
    empty_cell = formats.get(
        align="right", valign="vcenter", font_size=9, italic=True, font_color="#595959"
    )
    basis_cell = formats.get(valign="vcenter", font_size=8, font_color="#595959")

    sheet.merge(
        0,
        0,
        0,
        LAST_COL,
        f"{wh.display_name(org.pcn_name)} ({org.pcn_code}): medicines optimisation dashboard, "
        f"{month:%B %Y}",
        formats.title,
    )
    sheet.merge(
        1,
        0,
        1,
        LAST_COL,
        "PCN figures for the month (YTD: financial year to date). Change: since last month. "
        "ICB peer: the median of the ICB's PCNs where the KPI has one. Practice detail, trends "
        "and definitions are on the other sheets.",
        formats.subtitle,
    )
    row = 2
    if provisional:
        banner = formats.get(
            bold=True,
            bg_color="#FFC7CE",
            font_color="#9C0006",
            text_wrap=True,
            valign="vcenter",
            border=1,
        )
        sheet.merge(
            row,
            0,
            row,
            LAST_COL,
            "PROVISIONAL: these figures may change. " + "; ".join(provisional) + ".",
            banner,
        )
        row += 1

    row += 1
    sheet.merge(row, 0, row, LAST_COL, f"Priorities for {month:%B %Y}", formats.section)
    item_format = formats.get(text_wrap=True, valign="top", border=1, border_color="#BFBFBF")
    if not priorities:
        sheet.merge(
            row + 1,
            0,
            row + 1,
            LAST_COL,
            "Nothing is red, overdue or behind its trajectory.",
            item_format,
        )
        row += 2
    for number, item in enumerate(priorities, start=1):
        kind = "Safety" if item.tier == 0 else "Delivery"
        sheet.merge(
            row + number, 0, row + number, LAST_COL, f"{number}. {kind}: {item.text}", item_format
        )
    row += len(priorities) + 2

    trend_rows.append(["KPI", *month_ends(month, TREND_MONTHS)])
    for band in BANDS:
        band_rows = max(len(family_definitions(definitions, f)) for f in band)
        for block, family in enumerate(band):
            col0 = block * BLOCK_WIDTH
            sheet.merge(
                row, col0, row, col0 + len(COLUMNS) - 1, kpis.FAMILIES[family], family_format
            )
            sheet.write_row(row + 1, col0, list(COLUMNS), [column_header] * len(COLUMNS))
            for index, definition in enumerate(family_definitions(definitions, family)):
                r = row + 2 + index
                view = views[(org.pcn_code, definition["kpi_id"])]
                period_note = " (YTD)" if view.is_year_to_date else ""
                sheet.write(r, col0, f"{kpis.label(definition)}{period_note}", name_format)
                if view.value is None:
                    sheet.write(r, col0 + 1, kpis.STATUS_WORDS[view.status], empty_cell)
                else:
                    sheet.write(
                        r,
                        col0 + 1,
                        view.value,
                        kpis.value_format(
                            formats, definition, bold=True, valign="vcenter", font_size=9
                        ),
                    )
                cell_format = kpis.value_format(formats, definition, valign="vcenter", font_size=9)
                sheet.write(r, col0 + 2, view.target, cell_format)
                sheet.write(r, col0 + 3, kpis.target_basis(view.row), basis_cell)
                sheet.write(r, col0 + 4, rag_label(view.rag), rag_cell)
                sheet.write(
                    r,
                    col0 + 5,
                    view.change,
                    kpis.change_format(formats, definition, valign="vcenter", font_size=9),
                )
                sheet.write(
                    r,
                    col0 + 7,
                    view.peer if kpis.has_peer_comparator(definition) else None,
                    cell_format,
                )
                trend_row = len(trend_rows)
                trend_rows.append([definition["kpi_id"], *view.trend])
                sheet.worksheet.add_sparkline(
                    r,
                    col0 + 6,
                    {
                        "range": f"'{TREND_SHEET}'!B{trend_row + 1}:"
                        f"{xl_col_to_name(TREND_MONTHS)}{trend_row + 1}",
                        # Columns, not a line: LibreOffice prints line sparklines as loose
                        # dots, columns print as Excel shows them. Zero-based, so a bar's
                        # height is its value.
                        "type": "column",
                        "last_point": True,
                        "series_color": "#8EA9DB",
                        "last_color": "#1F3864",
                        "min": 0,
                        "empty_cells": "gaps",
                        "show_hidden": True,
                    },
                )
                sheet.set_min_height(r, 24)
            add_rag_rules(
                sheet.worksheet,
                f"{xl_rowcol_to_cell(row + 2, col0 + 4)}:"
                f"{xl_rowcol_to_cell(row + 1 + band_rows, col0 + 4)}",
                formats,
            )
            sheet.cap_width(col0, NAME_WIDTH)
            sheet.set_width(col0 + 6, SPARKLINE_WIDTH)
        sheet.set_min_height(row, 18)
        row += band_rows + 3
    sheet.set_width(len(COLUMNS), 2)

    sheet.merge(
        row,
        0,
        row,
        LAST_COL,
        "RAG is decided on the figure as shown. Target basis: 'agreed' with the ICB (seed "
        "pcn_targets) or the warehouse 'default'. No data: the source for the month is missing. "
        "Nothing due: the source arrived and nothing fell due. Thresholds, numerators and "
        "denominators: Definitions and the family sheets.",
        small,
    )
    worksheet = sheet.worksheet
    print_on_a4_landscape(worksheet, pages_tall=1)
    worksheet.center_horizontally()
    worksheet.print_area(0, 0, row, LAST_COL)
    worksheet.hide_gridlines(2)
    worksheet.set_zoom(90)
    worksheet.activate()


def footer(org: wh.Organisation, month: dt.date) -> str:
    """The same footer on every sheet: the PCN, the month the data describe and the page
    (a date the data give, never the printing clock, which a reader prints in its own locale)."""
    return f"&L{org.pcn_code} {month:%B %Y}&CPage &P of &N&RData to {long_date(month_end(month))}"
