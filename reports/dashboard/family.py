"""A sheet per KPI family: for each KPI, the PCN's last 12 months (numerator, denominator,
value, target and RAG) and a native line chart of value against target, on a zero-based axis."""

from __future__ import annotations

import datetime as dt
from typing import Any

from reports import kpis
from reports import warehouse as wh
from reports.dashboard.views import KpiView, family_definitions, month_ends
from reports.xlsx import Sheet, add_rag_rules, print_on_a4_landscape, rag_label

HEADERS = ["Month", "Numerator", "Denominator", "Value", "Target", "Target basis", "RAG"]
CHART_COLUMN = 8
ROWS_PER_CHART = 16
KPIS_PER_PAGE = 2
# Two KPIs (table and chart side by side) per A4 landscape page. The width needs 85% (table and
# a 520-pixel chart are about 1,100 pixels, the page about 1,000 at 100%), but the height of the
# sheet's first page (title and note above two KPIs, 35 rows) needs 78%: rendered at 85%,
# LibreOffice broke each family sheet's first page early and printed a third KPI's chart alone
# on a page of its own.
PRINT_SCALE = 78


def write_family_sheet(
    sheet: Sheet,
    org: wh.Organisation,
    month: dt.date,
    family: str,
    definitions: list[dict[str, Any]],
    views: dict[tuple[str, str], KpiView],
    history: dict[tuple[str, str, str, dt.date], dict[str, Any]],
) -> None:
    formats = sheet.formats
    family_name = kpis.FAMILIES[family]
    sheet.merge(
        0,
        0,
        0,
        6,
        f"{family_name}: {wh.display_name(org.pcn_name)} ({org.pcn_code})",
        formats.title,
    )
    sheet.merge(
        1,
        0,
        1,
        6,
        "The PCN's last 12 months (year-to-date KPIs: the year to date at each month end). "
        "Empty months say whether nothing fell due or the data are missing.",
        formats.subtitle,
    )
    ends = month_ends(month)
    row = 3
    breaks = []
    empty = formats.get(italic=True, font_color="#595959", align="right", valign="top")
    for definition in family_definitions(definitions, family):
        kpi_id = definition["kpi_id"]
        view = views[(org.pcn_code, kpi_id)]
        if row > 3 and len(breaks) < (row - 3) // (KPIS_PER_PAGE * ROWS_PER_CHART):
            breaks.append(row)
        sheet.merge(row, 0, row, 6, kpis.label(definition), formats.section)
        sheet.merge(
            row + 1,
            0,
            row + 1,
            6,
            f"Unit: {kpis.unit_words(definition)}; "
            f"{kpis.DIRECTION_WORDS.get(definition['direction'], definition['direction'])}.",
            formats.subtitle,
        )
        table_row = row + 2
        sheet.write_row(table_row, 0, HEADERS, [formats.header] * len(HEADERS))
        value_format = kpis.value_format(formats, definition)
        for offset, end in enumerate(ends, start=1):
            r = history.get((org.pcn_code, kpi_id, view.period_type, end))
            status = kpis.status(r)
            cells: list[tuple[Any, Any]] = [(end.replace(day=1), formats.month)]
            if status == kpis.OK:
                cells += [
                    (r["numerator"], kpis.count_format(formats, r["numerator"])),
                    (r["denominator"], kpis.count_format(formats, r["denominator"])),
                    (kpis.shown(r["value"], definition), value_format),
                ]
            else:
                cells += [(None, None), (None, None), (kpis.STATUS_WORDS[status], empty)]
            cells += [
                (kpis.shown((r or {}).get("target"), definition), value_format),
                (kpis.target_basis(r), formats.text),
                (rag_label(kpis.shown_rag(r, definition)), formats.text),
            ]
            for col, (value, cell_format) in enumerate(cells):
                sheet.write(table_row + offset, col, value, cell_format)
        first, last = table_row + 1, table_row + len(ends)
        add_rag_rules(sheet.worksheet, f"G{first + 1}:G{last + 1}", formats)
        chart = sheet.workbook.add_chart({"type": "line"})
        chart.add_series(
            {
                "name": "PCN value",
                "categories": [sheet.name, first, 0, last, 0],
                "values": [sheet.name, first, 3, last, 3],
                "line": {"color": "#1F3864", "width": 2.25},
                "marker": {"type": "circle", "size": 4},
            }
        )
        chart.add_series(
            {
                "name": "Target",
                "categories": [sheet.name, first, 0, last, 0],
                "values": [sheet.name, first, 4, last, 4],
                "line": {"color": "#C00000", "dash_type": "dash", "width": 1.5},
            }
        )
        chart.set_title({"name": kpis.label(definition), "name_font": {"size": 9}})
        chart.set_legend({"position": "bottom", "font": {"size": 8}})
        chart.set_x_axis({"num_format": "mmm yy", "num_font": {"size": 8}})
        chart.set_y_axis(
            {
                "min": 0,
                "num_font": {"size": 8},
                "num_format": value_format.num_format,
                "major_gridlines": {"visible": True},
            }
        )
        chart.show_blanks_as("gap")
        chart.set_size({"width": 520, "height": 280})
        sheet.worksheet.insert_chart(row, CHART_COLUMN, chart)
        row = max(last + 3, row + ROWS_PER_CHART)
    print_on_a4_landscape(sheet.worksheet, scale=PRINT_SCALE)
    sheet.worksheet.set_h_pagebreaks(breaks)
