"""The DES evidence sheet: the seven Network Contract DES evidence items for the month, each
with who asks for it (the DES itself, or local or ICB assurance on top of it), its status in
words and the evidence sentence behind it (fct_des_evidence_items)."""

from __future__ import annotations

import datetime as dt

import duckdb

from pcnmo.calendar import month_end
from reports import warehouse as wh
from reports.names import DES_STATUSES, EVIDENCE_BASES, readable, words
from reports.xlsx import Sheet, add_status_rules, print_on_a4_landscape

EVIDENCE_WIDTH = 70
ITEM_WIDTH = 36
BASIS_WIDTH = 14


def des_evidence_items(
    conn: duckdb.DuckDBPyConnection, pcn_code: str, period_end: dt.date
) -> list[dict[str, object]]:
    return wh.records(
        conn,
        """
        select items.item_number, items.item_name, items.evidence_basis, items.status,
            items.evidence, items.source_kpi_ids
        from marts.fct_des_evidence_items as items
        inner join marts.dim_periods as periods on items.period_id = periods.period_id
        where items.pcn_code = ? and periods.period_type = 'month'
            and periods.period_end = ?
        order by items.item_number
        """,
        [pcn_code, period_end],
    )


def write_des_sheet(
    sheet: Sheet, conn: duckdb.DuckDBPyConnection, org: wh.Organisation, month: dt.date
) -> None:
    formats = sheet.formats
    sheet.merge(
        0, 0, 0, 5, f"Network Contract DES evidence checklist, {month:%B %Y}", formats.title
    )
    items = des_evidence_items(conn, org.pcn_code, month_end(month))
    end = sheet.table(
        2,
        ["#", "Evidence item", "Asked by", "Status", "Evidence", "KPIs"],
        [
            [
                r["item_number"],
                r["item_name"],
                words(EVIDENCE_BASES, r["evidence_basis"]),
                words(DES_STATUSES, r["status"]),
                readable(r["evidence"]),
                r["source_kpi_ids"],
            ]
            for r in items
        ],
        [formats.integer, formats.wrap, formats.wrap, formats.text, formats.wrap, formats.wrap],
    )
    if not items:
        sheet.merge(
            end, 0, end, 5, "No DES evidence items in the warehouse for this month.", formats.note
        )
    add_status_rules(sheet.worksheet, f"D4:D{max(end, 4)}", formats)
    sheet.set_width(1, ITEM_WIDTH)
    sheet.set_width(2, BASIS_WIDTH)
    sheet.set_width(4, EVIDENCE_WIDTH)
    sheet.cap_width(5, 24)
    print_on_a4_landscape(sheet.worksheet)
