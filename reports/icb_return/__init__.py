"""The quarterly ICB return of one PCN: an xlsx for people and a long CSV for machines, one
module per section.

The return leaves the PCN, so every figure in it goes through `reports.suppression` (one rule
for every output). A KPI whose `small_number_suppression` flag is false in seed kpi_definitions
(pounds, audit scores, staff and alert counts: not about patients) is shown as computed. RAG is
decided on the figure as shown.

Sheets: Summary, Cohort delivery, Exceptions (ranked, with an editable cause and action),
Prescribing safety, Cost outcome, Supervision evidence, Notes. No patient-level row.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from pcnmo.calendar import financial_quarter
from reports import warehouse as wh
from reports.atomic import atomic_path, write_text_atomically
from reports.icb_return.cost import write_cost
from reports.icb_return.csv_file import return_csv
from reports.icb_return.exceptions import write_exceptions
from reports.icb_return.notes import write_notes
from reports.icb_return.rows import quarter_rows
from reports.icb_return.safety import write_safety
from reports.icb_return.sections import in_section, write_kpi_section
from reports.icb_return.summary import write_summary
from reports.icb_return.supervision import write_supervision
from reports.names import long_date
from reports.xlsx import Formats, Sheet, new_workbook, print_on_a4_landscape


def quarter_is_complete(conn: duckdb.DuckDBPyConnection, quarter_end: dt.date) -> bool:
    rows = conn.execute(
        "select bool_and(is_complete) from marts.dim_periods "
        "where period_type = 'quarter' and period_end = ?",
        [quarter_end],
    ).fetchall()
    return bool(rows[0][0])


def build_icb_return(
    conn: duckdb.DuckDBPyConnection,
    pcn_code: str,
    quarter_end: dt.date,
    xlsx_path: Path,
    csv_path: Path,
) -> tuple[Path, Path]:
    """Write the PCN's return for the financial quarter ending `quarter_end` (its last day, or
    any day of its last month), xlsx and CSV, each atomically."""
    _, quarter_end, quarter_label = financial_quarter(quarter_end)
    org = wh.organisation(conn, pcn_code)
    rows = quarter_rows(conn, org, quarter_end)
    definitions = {d["kpi_id"]: d for d in wh.kpi_definitions(conn)}
    complete = quarter_is_complete(conn, quarter_end)
    footer = (
        f"&L{pcn_code} ICB return {quarter_label}&CPage &P of &N"
        f"&R{'Final' if complete else 'Draft'}, data to {long_date(quarter_end)}"
    )
    with atomic_path(xlsx_path) as temporary:
        workbook = new_workbook(
            temporary, created=quarter_end, title=f"{pcn_code} ICB return {quarter_label}"
        )
        formats = Formats(workbook)
        sheets = []

        def add(name: str) -> Sheet:
            sheet = Sheet(workbook, formats, name)
            sheets.append(sheet)
            return sheet

        write_summary(add("Summary"), org, quarter_label, quarter_end, complete, rows)
        write_kpi_section(
            add("Cohort delivery"),
            "SMR delivery, overall and by DES priority cohort",
            [r for r in rows if in_section(r.definition, "cohort_delivery")],
        )
        write_exceptions(add("Exceptions"), quarter_label, rows)
        write_safety(add("Prescribing safety"), conn, org, quarter_end, rows, definitions)
        write_cost(add("Cost outcome"), conn, org, quarter_end, rows)
        write_supervision(add("Supervision evidence"), conn, org, quarter_end, definitions)
        write_notes(add("Notes"))
        for sheet in sheets:
            print_on_a4_landscape(sheet.worksheet)
            sheet.worksheet.repeat_rows(0)
            sheet.worksheet.set_footer(footer)
            sheet.finish()
        workbook.close()
    write_text_atomically(csv_path, return_csv(rows, quarter_label))
    return xlsx_path, csv_path
