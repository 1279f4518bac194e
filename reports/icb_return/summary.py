"""The Summary sheet: who, which quarter, whether final or a draft, the small-number rule in one
line, and every PCN-level KPI."""

from __future__ import annotations

import datetime as dt

from reports import warehouse as wh
from reports.icb_return.rows import ReturnRow
from reports.icb_return.tables import LAST_COL, write_kpi_table
from reports.names import long_date
from reports.xlsx import Sheet


def write_summary(
    sheet: Sheet,
    org: wh.Organisation,
    quarter_label: str,
    quarter_end: dt.date,
    is_complete: bool,
    rows: list[ReturnRow],
) -> None:
    formats = sheet.formats
    sheet.merge(
        0,
        0,
        0,
        LAST_COL,
        f"ICB quarterly return: {wh.display_name(org.pcn_name)} ({org.pcn_code})",
        formats.title,
    )
    status = "Final" if is_complete else "DRAFT: the quarter's data are not complete yet"
    details = [
        ("ICB", wh.display_name(org.icb_name)),
        ("Quarter", f"{quarter_label}, to {long_date(quarter_end)}"),
        ("Status", status),
        (
            "Small numbers",
            "Patient counts from 1 to 7 are shown as *, others rounded to the nearest 5; "
            "percentages, rates and means are worked out again from the rounded figures "
            "(see Notes).",
        ),
        (
            "RAG",
            "Decided on the figure as shown, after rounding; withheld where the figure is "
            "suppressed.",
        ),
    ]
    for row, (label, value) in enumerate(details, start=2):
        sheet.merge(row, 0, row, 1, label, formats.bold)
        sheet.merge(row, 2, row, LAST_COL, value, formats.wrap)
    first = 2 + len(details) + 1
    sheet.merge(first, 0, first, LAST_COL, "PCN KPIs", formats.section)
    write_kpi_table(sheet, first + 1, [r for r in rows if r.org_type == "pcn"])
