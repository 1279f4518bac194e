"""The monthly dashboard workbook of one PCN: the Clinical Director's one-page view and the
sheets behind it, one module per sheet.

Sheets: Dashboard (front_page: provisional banner, this month's priorities, the four KPI
families), one sheet per family (family), Practices, SMR trajectory, DES evidence, Data quality
and Definitions; a hidden sheet holds the sparkline data. This workbook stays inside the PCN,
so figures are not suppressed; it holds no patient-level row.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb

from pcnmo.calendar import month_end
from reports import kpis
from reports import warehouse as wh
from reports.atomic import atomic_path
from reports.dashboard.data_quality import write_data_quality_sheet
from reports.dashboard.definitions import write_definitions_sheet
from reports.dashboard.des_evidence import write_des_sheet
from reports.dashboard.family import write_family_sheet
from reports.dashboard.front_page import TREND_SHEET, footer, write_dashboard_sheet
from reports.dashboard.practices import write_practice_sheet
from reports.dashboard.priorities import priorities, provisional_reasons
from reports.dashboard.trajectory import write_trajectory_sheet
from reports.dashboard.views import kpi_views, month_ends
from reports.xlsx import Formats, Sheet, new_workbook, put


def build_dashboard(
    conn: duckdb.DuckDBPyConnection,
    pcn_code: str,
    month: dt.date,
    output: Path,
    checks: list[dict[str, Any]] | None = None,
) -> Path:
    """Write the PCN's dashboard workbook for `month` (first day) to `output`, atomically.
    `checks`: per check, its latest result for the month (see data_quality)."""
    month = month.replace(day=1)
    checks = checks or []
    definitions = wh.kpi_definitions(conn)
    org = wh.organisation(conn, pcn_code)
    org_codes = [org.pcn_code, *(code for code, _ in org.practices)]
    views = kpi_views(conn, org_codes, month, definitions)
    ends = month_ends(month)
    history = wh.index_kpi_values(
        wh.kpi_values(conn, [org.pcn_code], wh.HEADLINE_PERIOD_TYPES, ends[0], ends[-1])
    )
    ranked = priorities(conn, org, month, definitions, views)
    provisional = provisional_reasons(conn, month, checks)
    with atomic_path(output) as temporary:
        workbook = new_workbook(
            temporary,
            created=month_end(month),
            title=f"{org.pcn_code} medicines optimisation dashboard {month:%Y-%m}",
            subject="PCN medicines optimisation KPIs",
            comments="Aggregates only; generated from the pcnmo warehouse.",
        )
        formats = Formats(workbook)
        sheets = []
        trend_rows: list[list[Any]] = []
        sheet = Sheet(workbook, formats, "Dashboard")
        write_dashboard_sheet(
            sheet, org, month, definitions, views, ranked, provisional, trend_rows
        )
        sheets.append(sheet)
        for family in kpis.FAMILIES:
            sheet = Sheet(workbook, formats, kpis.FAMILIES[family])
            write_family_sheet(sheet, org, month, family, definitions, views, history)
            sheets.append(sheet)
        sheet = Sheet(workbook, formats, "Practices")
        write_practice_sheet(sheet, org, month, definitions, views)
        sheets.append(sheet)
        sheet = Sheet(workbook, formats, "SMR trajectory")
        write_trajectory_sheet(sheet, conn, org, month)
        sheets.append(sheet)
        sheet = Sheet(workbook, formats, "DES evidence")
        write_des_sheet(sheet, conn, org, month)
        sheets.append(sheet)
        sheet = Sheet(workbook, formats, "Data quality")
        write_data_quality_sheet(sheet, conn, month, checks)
        sheets.append(sheet)
        sheet = Sheet(workbook, formats, "Definitions")
        write_definitions_sheet(sheet, definitions)
        sheets.append(sheet)
        for sheet in sheets:
            sheet.worksheet.set_footer(footer(org, month))
            sheet.finish()
        trend_sheet = workbook.add_worksheet(TREND_SHEET)
        for r, values in enumerate(trend_rows):
            for c, value in enumerate(values):
                put(trend_sheet, r, c, value, formats.month if r == 0 and c else None)
        trend_sheet.hide()
        workbook.close()
    return output
