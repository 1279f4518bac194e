"""The ICB's PCN comparator: every PCN of one ICB side by side on every KPI the warehouse holds
for it, monthly or quarterly, one module per sheet.

Sheets: Overview (KPIs x PCNs, RAG-coloured, with the ICB median), League tables (per KPI, the
PCNs ranked, against the median), Cost per ASTRO-PU (a funnel plot with control limits and the
saving at the median), SMR delivery (against trajectory across PCNs) and a practice drill-down
per KPI family. It goes to the ICB, so figures are suppressed as in the ICB return.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from pcnmo.calendar import financial_quarter, month_end
from reports import kpis
from reports import warehouse as wh
from reports.atomic import atomic_path
from reports.icb_comparator.cost import write_cost_sheet
from reports.icb_comparator.figures import Period, icb, kpi_figures
from reports.icb_comparator.league import write_league_tables
from reports.icb_comparator.overview import write_overview
from reports.icb_comparator.practices import write_practice_sheet
from reports.icb_comparator.smr import write_smr_sheet
from reports.names import long_date
from reports.paths import quarter_slug
from reports.xlsx import Formats, Sheet, new_workbook

PRACTICE_SHEETS = {
    "clinical_activity": "Practices - clinical activity",
    "prescribing_safety": "Practices - safety",
    "cost": "Practices - cost",
    "des_assurance": "Practices - DES assurance",
}


def month_period(month: dt.date) -> Period:
    month = month.replace(day=1)
    return Period("month", month_end(month), f"{month:%B %Y}", f"{month:%Y-%m}")


def quarter_period(day: dt.date) -> Period:
    _, end, label = financial_quarter(day)
    return Period("quarter", end, label, quarter_slug(day))


def build_icb_comparator(
    conn: duckdb.DuckDBPyConnection, icb_code: str, period: Period, output: Path
) -> Path:
    """Write the ICB's comparator for `period` (month_period or quarter_period) to `output`."""
    the_icb = icb(conn, icb_code)
    definitions = wh.kpi_definitions(conn)
    codes = [p.code for p in the_icb.pcns] + [c for p in the_icb.pcns for c, _ in p.practices]
    figures = kpi_figures(conn, codes, period, definitions)
    footer = (
        f"&L{icb_code} PCN comparator {period.label}&CPage &P of &N"
        f"&RData to {long_date(period.end)}"
    )
    with atomic_path(output) as temporary:
        workbook = new_workbook(
            temporary, created=period.end, title=f"{icb_code} PCN comparator {period.label}"
        )
        formats = Formats(workbook)
        sheets = []

        def add(name: str) -> Sheet:
            sheet = Sheet(workbook, formats, name)
            sheets.append(sheet)
            return sheet

        write_overview(add("Overview"), the_icb, period, definitions, figures)
        write_league_tables(add("League tables"), the_icb, period.label, definitions, figures)
        write_cost_sheet(add("Cost per ASTRO-PU"), conn, the_icb, period)
        write_smr_sheet(add("SMR delivery"), conn, the_icb, period)
        for family in kpis.FAMILIES:
            write_practice_sheet(
                add(PRACTICE_SHEETS[family]), the_icb, period, family, definitions, figures
            )
        for sheet in sheets:
            sheet.worksheet.set_footer(footer)
            sheet.finish()
        workbook.close()
    return output
