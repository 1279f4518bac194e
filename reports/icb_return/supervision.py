"""The Supervision evidence sheet: supervision and scope-of-practice currency of the ARRS roles
(DA01, DA02) for each month of the quarter, and the DES evidence items at the quarter end."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from pcnmo.calendar import add_months, month_end
from reports import kpis
from reports import warehouse as wh
from reports.dashboard.des_evidence import des_evidence_items
from reports.icb_return.sections import in_section
from reports.names import DES_STATUSES, EVIDENCE_BASES, long_date, readable, words
from reports.xlsx import Sheet, add_rag_rules, add_status_rules, rag_label

HEADERS = ["Month", "KPI", "Name", "Roles meeting it", "ARRS roles", "Value", "Target", "RAG"]
LAST_COL = len(HEADERS) - 1


def write_supervision(
    sheet: Sheet,
    conn: duckdb.DuckDBPyConnection,
    org: wh.Organisation,
    quarter_end: dt.date,
    definitions: dict[str, dict[str, Any]],
) -> None:
    formats = sheet.formats
    sheet.merge(
        0, 0, 0, LAST_COL, "Supervision and scope of practice evidence (ARRS roles)", formats.title
    )
    months = [add_months(quarter_end.replace(day=1), -offset) for offset in (2, 1, 0)]
    index = wh.index_kpi_values(
        wh.kpi_values(conn, [org.pcn_code], ["month"], month_end(months[0]), month_end(months[-1]))
    )
    sheet.write_row(2, 0, HEADERS, [formats.header] * len(HEADERS))
    r = 2
    for definition in (d for d in definitions.values() if in_section(d, "supervision_evidence")):
        kpi_id = definition["kpi_id"]
        value_format = kpis.value_format(formats, definition)
        for month in months:
            row = index.get((org.pcn_code, kpi_id, "month", month_end(month)))
            status = kpis.status(row)
            ok = status == kpis.OK
            r += 1
            cells = [
                (month, formats.month),
                (kpi_id, formats.text),
                (definition["name"], formats.wrap),
                (row["numerator"] if ok else None, formats.integer),
                (row["denominator"] if ok else None, formats.integer),
                (
                    kpis.shown(row["value"], definition) if ok else kpis.STATUS_WORDS[status],
                    value_format if ok else formats.suppressed,
                ),
                (kpis.shown((row or {}).get("target"), definition), value_format),
                (rag_label(kpis.shown_rag(row, definition)), formats.text),
            ]
            for col, (value, cell_format) in enumerate(cells):
                sheet.write(r, col, value, cell_format)
    add_rag_rules(sheet.worksheet, f"H4:H{max(r + 1, 4)}", formats)
    r += 2
    sheet.merge(
        r, 0, r, LAST_COL, f"DES evidence items at {long_date(quarter_end)}", formats.section
    )
    items = des_evidence_items(conn, org.pcn_code, quarter_end)
    sheet.write_row(r + 1, 0, ["Item", "Status", "Name"], [formats.header] * 3)
    sheet.merge(r + 1, 3, r + 1, LAST_COL, "Evidence", formats.header)
    for i, item in enumerate(items, start=r + 2):
        sheet.write(i, 0, item["item_number"], formats.integer)
        sheet.write(i, 1, words(DES_STATUSES, item["status"]), formats.text)
        basis = words(EVIDENCE_BASES, item["evidence_basis"])
        sheet.write(i, 2, f"{item['item_name']} ({basis})", formats.wrap)
        sheet.merge(i, 3, i, LAST_COL, readable(item["evidence"]), formats.wrap)
    if not items:
        sheet.merge(
            r + 2,
            0,
            r + 2,
            LAST_COL,
            "No DES evidence items in the warehouse for this month.",
            formats.note,
        )
    add_status_rules(sheet.worksheet, f"B{r + 3}:B{r + 3 + max(len(items), 1)}", formats)
    sheet.cap_width(2, 36)
    for col in range(3, LAST_COL + 1):
        sheet.cap_width(col, 12)
