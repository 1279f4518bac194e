"""The monthly dashboard workbook of one PCN: the Clinical Director's one-page view and the
sheets behind it.

Sheets: Dashboard (one A4 landscape page: the four KPI families in a 2 x 2 grid, each KPI with
value, target, RAG, change since last month, 12-month sparkline and peer comparator), one sheet
per family (a trend table and a native line chart per KPI), Practices (practice x KPI,
RAG-coloured by conditional formatting), SMR trajectory (fct_smr_trajectory with a chart),
DES evidence (fct_des_evidence_items), Data quality (checks, rows loaded and quarantined,
freshness, missing files) and Definitions (seed kpi_definitions). A hidden sheet holds the
sparkline and RAG data. This workbook stays inside the PCN, so figures are not suppressed;
it holds no patient-level row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from reports import warehouse as wh
from reports.atomic import atomic_path
from reports.xlsx import (
    Formats,
    add_rag_rules,
    add_status_rules,
    new_workbook,
    print_on_a4_landscape,
    put,
    rag_label,
    write_table,
)

TREND_MONTHS = 12
# Dashboard grid: (family on the left, family on the right) per band.
DASHBOARD_BANDS = (("clinical_activity", "prescribing_safety"), ("cost", "des_assurance"))
DASHBOARD_COLUMNS = ("KPI", "Value", "Target", "RAG", "Change", "12 months", "Peer")
DASHBOARD_WIDTHS = (31, 8, 7.5, 7, 8, 12, 7)
BLOCK_WIDTH = len(DASHBOARD_COLUMNS) + 1  # one narrow spacer column between blocks
HIDDEN_SHEET = "Trend data"
DETAIL_CHARS_PER_LINE = 60  # data-quality detail column: wrapped, rows sized to fit


@dataclass
class KpiView:
    """One KPI of one organisation at the reporting month, as the dashboard shows it."""

    definition: dict[str, Any]
    period_type: str
    row: dict[str, Any] | None
    previous: dict[str, Any] | None
    trend: list[float | None] = field(default_factory=list)

    @property
    def kpi_id(self) -> str:
        return self.definition["kpi_id"]

    @property
    def unit(self) -> str | None:
        return self.definition["unit"]

    @property
    def value(self) -> float | None:
        return self.row["value"] if self.row else None

    @property
    def rag(self) -> str:
        if not self.row or self.row["data_status"] != "ok":
            return "no_data"
        return self.row["rag"] or "no_rag"

    @property
    def change(self) -> float | None:
        if self.value is None or not self.previous or self.previous["value"] is None:
            return None
        return self.value - self.previous["value"]


def month_ends(month: dt.date, count: int) -> list[dt.date]:
    return [wh.month_end(wh.add_months(month, -offset)) for offset in range(count - 1, -1, -1)]


def kpi_views(
    conn: duckdb.DuckDBPyConnection,
    org_codes: list[str],
    month: dt.date,
    definitions: list[dict[str, Any]],
) -> dict[tuple[str, str], KpiView]:
    """(org_code, kpi_id) -> the KPI at `month`, with last month and a 12-month trend."""
    ends = month_ends(month, TREND_MONTHS)
    index = wh.index_kpi_values(
        wh.kpi_values(conn, org_codes, wh.HEADLINE_PERIOD_TYPES, ends[0], ends[-1])
    )
    views = {}
    for org_code in org_codes:
        for definition in definitions:
            kpi_id = definition["kpi_id"]
            period_type = wh.headline_period_type(index, org_code, kpi_id, ends[-1])
            series = [index.get((org_code, kpi_id, period_type, end)) for end in ends]
            views[(org_code, kpi_id)] = KpiView(
                definition=definition,
                period_type=period_type,
                row=series[-1],
                previous=series[-2] if len(series) > 1 else None,
                trend=[r["value"] if r else None for r in series],
            )
    return views


def _family_definitions(definitions: list[dict[str, Any]], family: str) -> list[dict[str, Any]]:
    return [d for d in definitions if d["family"] == family]


def _period_note(view: KpiView) -> str:
    return " (YTD)" if view.period_type == "financial_year_to_date" else ""


def write_dashboard_sheet(
    workbook: Any,
    formats: Formats,
    org: wh.Organisation,
    month: dt.date,
    definitions: list[dict[str, Any]],
    views: dict[tuple[str, str], KpiView],
    trend_rows: list[list[Any]],
) -> Any:
    """The one-page view; appends the sparklines' data rows to `trend_rows` (the caller
    writes them to the hidden sheet, added last so it is never the first tab)."""
    sheet = workbook.add_worksheet("Dashboard")
    small = formats.get(font_size=8, italic=True, font_color="#595959")
    name_format = formats.get(text_wrap=True, valign="vcenter", font_size=9)
    family_format = formats.get(
        bold=True, font_size=11, font_color="#FFFFFF", bg_color="#1F3864", valign="vcenter"
    )
    column_header = formats.get(
        bold=True, font_size=8, bg_color="#D9E1F2", align="center", valign="vcenter"
    )
    rag_cell = formats.get(align="center", valign="vcenter", font_size=9, border=1)
    for block in range(2):
        for offset, width in enumerate(DASHBOARD_WIDTHS):
            sheet.set_column(block * BLOCK_WIDTH + offset, block * BLOCK_WIDTH + offset, width)
    sheet.set_column(len(DASHBOARD_WIDTHS), len(DASHBOARD_WIDTHS), 2)
    last_col = BLOCK_WIDTH + len(DASHBOARD_COLUMNS) - 1

    put(
        sheet,
        0,
        0,
        f"{org.pcn_name} ({org.pcn_code}): medicines optimisation dashboard, {month:%B %Y}",
        formats.title,
    )
    put(
        sheet,
        1,
        0,
        "PCN figures for the month (YTD: financial year to date). Change: since last month. "
        "Peer: ICB peer median where the KPI has one. Practice detail, trends and definitions "
        "are on the other sheets.",
        formats.subtitle,
    )
    sheet.set_row(0, 24)

    row = 3
    trend_rows.append(["KPI", *month_ends(month, TREND_MONTHS)])
    for band in DASHBOARD_BANDS:
        band_rows = max(len(_family_definitions(definitions, f)) for f in band)
        for block, family in enumerate(band):
            col0 = block * BLOCK_WIDTH
            sheet.merge_range(
                row,
                col0,
                row,
                col0 + len(DASHBOARD_COLUMNS) - 1,
                wh.FAMILIES[family],
                family_format,
            )
            for offset, header in enumerate(DASHBOARD_COLUMNS):
                put(sheet, row + 1, col0 + offset, header, column_header)
            for index, definition in enumerate(_family_definitions(definitions, family)):
                r = row + 2 + index
                view = views[(org.pcn_code, definition["kpi_id"])]
                put(
                    sheet,
                    r,
                    col0,
                    f"{definition['kpi_id']} {definition['name']}{_period_note(view)}",
                    name_format,
                )
                put(sheet, r, col0 + 1, view.value, formats.unit(view.unit, bold=True))
                target = view.row["target"] if view.row else None
                put(sheet, r, col0 + 2, target, formats.unit(view.unit))
                put(sheet, r, col0 + 3, rag_label(view.rag), rag_cell)
                put(sheet, r, col0 + 4, view.change, formats.change(view.unit))
                peer = view.row["peer_comparator"] if view.row else None
                put(sheet, r, col0 + 6, peer, formats.unit(view.unit))
                # The sparkline reads a row of the hidden sheet.
                trend_row = len(trend_rows)
                trend_rows.append([definition["kpi_id"], *view.trend])
                sheet.add_sparkline(
                    r,
                    col0 + 5,
                    {
                        "range": f"'{HIDDEN_SHEET}'!B{trend_row + 1}:"
                        f"{xl_col_to_name(TREND_MONTHS)}{trend_row + 1}",
                        # Columns, not a line: LibreOffice prints line sparklines
                        # as loose dots, columns print as Excel shows them.
                        "type": "column",
                        "last_point": True,
                        "series_color": "#8EA9DB",
                        "last_color": "#1F3864",
                        "min": 0,
                        "empty_cells": "gaps",
                        "show_hidden": True,
                    },
                )
            add_rag_rules(
                sheet,
                f"{xl_rowcol_to_cell(row + 2, col0 + 3)}:"
                f"{xl_rowcol_to_cell(row + 1 + band_rows, col0 + 3)}",
                formats,
            )
        for r in range(row + 2, row + 2 + band_rows):
            sheet.set_row(r, 30)
        sheet.set_row(row, 18)
        row += band_rows + 3

    put(
        sheet,
        row,
        0,
        "RAG thresholds, numerators and denominators: Definitions and family sheets. "
        "No data: the month's sources hold nothing for this KPI yet.",
        small,
    )
    # Print: one A4 landscape page, narrow margins, the grid as print area.
    print_on_a4_landscape(sheet, pages_tall=1)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    sheet.center_horizontally()
    sheet.print_area(0, 0, row, last_col)
    sheet.set_footer(f"&L{org.pcn_code} {month:%Y-%m}&RPrinted &D")
    sheet.hide_gridlines(2)
    sheet.set_zoom(90)
    sheet.activate()
    return sheet


def write_family_sheet(
    workbook: Any,
    formats: Formats,
    org: wh.Organisation,
    month: dt.date,
    family: str,
    definitions: list[dict[str, Any]],
    views: dict[tuple[str, str], KpiView],
    history: dict[tuple[str, str, str, dt.date], dict[str, Any]],
) -> Any:
    """A trend table (month, numerator, denominator, value, target, RAG) and a native line
    chart per KPI, for the PCN over the last 12 months."""
    sheet = workbook.add_worksheet(wh.FAMILIES[family])
    sheet.set_column(0, 0, 11)
    sheet.set_column(1, 4, 12)
    sheet.set_column(5, 5, 9)
    put(sheet, 0, 0, f"{wh.FAMILIES[family]}: {org.pcn_name} ({org.pcn_code})", formats.title)
    put(
        sheet, 1, 0, "PCN monthly trend, last 12 months (YTD KPIs: year to date at each month end)."
    )
    ends = month_ends(month, TREND_MONTHS)
    row = 3
    headers = ["Month", "Numerator", "Denominator", "Value", "Target", "RAG"]
    for definition in _family_definitions(definitions, family):
        view = views[(org.pcn_code, definition["kpi_id"])]
        put(sheet, row, 0, f"{definition['kpi_id']} {definition['name']}", formats.section)
        put(
            sheet,
            row + 1,
            0,
            f"Unit: {definition['unit']}; {definition['direction'].replace('_', ' ')}",
            formats.subtitle,
        )
        table_row = row + 2
        rows = []
        for end in ends:
            r = history.get((org.pcn_code, definition["kpi_id"], view.period_type, end))
            ok = r is not None and r["data_status"] == "ok"
            rows.append(
                [
                    end.replace(day=1),
                    r["numerator"] if ok else None,
                    r["denominator"] if ok else None,
                    r["value"] if ok else None,
                    r["target"] if r else None,
                    rag_label((r["rag"] or "no_rag") if ok else "no_data"),
                ]
            )
        unit_format = formats.unit(definition["unit"])
        write_table(
            sheet,
            table_row,
            headers,
            rows,
            formats,
            [formats.month, formats.decimal, formats.decimal, unit_format, unit_format, None],
        )
        first, last = table_row + 1, table_row + len(rows)
        add_rag_rules(sheet, f"F{first + 1}:F{last + 1}", formats)
        chart = workbook.add_chart({"type": "line"})
        name = sheet.get_name()
        chart.add_series(
            {
                "name": "PCN value",
                "categories": [name, first, 0, last, 0],
                "values": [name, first, 3, last, 3],
                "line": {"color": "#1F3864", "width": 2.25},
                "marker": {"type": "circle", "size": 4},
            }
        )
        chart.add_series(
            {
                "name": "Target",
                "categories": [name, first, 0, last, 0],
                "values": [name, first, 4, last, 4],
                "line": {"color": "#C00000", "dash_type": "dash", "width": 1.5},
            }
        )
        chart.set_title(
            {"name": f"{definition['kpi_id']} {definition['name']}", "name_font": {"size": 9}}
        )
        chart.set_legend({"position": "bottom", "font": {"size": 8}})
        chart.set_x_axis({"num_format": "mmm yy", "num_font": {"size": 8}})
        chart.set_y_axis({"num_font": {"size": 8}, "major_gridlines": {"visible": True}})
        chart.show_blanks_as("gap")
        chart.set_size({"width": 520, "height": 250})
        sheet.insert_chart(row, 7, chart)
        row = max(last + 3, row + 14)
    print_on_a4_landscape(sheet)
    return sheet


def write_practice_sheet(
    workbook: Any,
    formats: Formats,
    org: wh.Organisation,
    month: dt.date,
    definitions: list[dict[str, Any]],
    views: dict[tuple[str, str], KpiView],
) -> Any:
    """KPIs (rows, by family) x practices and the PCN (columns) at the month; each value cell
    is coloured by the mart's RAG through a conditional format that reads a hidden grid of RAG
    words of the same shape to the right. KPIs down the side keep the page readable when
    printed (29 KPIs across would not fit)."""
    sheet = workbook.add_worksheet("Practices")
    put(sheet, 0, 0, f"Practice breakdown, {month:%B %Y}: {org.pcn_name}", formats.title)
    put(
        sheet,
        1,
        0,
        "Values for the month (YTD KPIs: year to date). Colours: RAG of each practice value.",
        formats.subtitle,
    )
    header_row = 3
    organisations = [*org.practices, (org.pcn_code, f"{org.pcn_name} (PCN)")]
    first_value_col = 1
    rag_col0 = first_value_col + len(organisations) + 1  # hidden RAG grid, same shape
    put(sheet, header_row, 0, "KPI", formats.header)
    for j, (code, name) in enumerate(organisations):
        label = "PCN total" if code == org.pcn_code else name.title()
        put(sheet, header_row, first_value_col + j, f"{code} {label}", formats.header)
        put(sheet, header_row, rag_col0 + j, code, formats.header)
    sheet.set_row(header_row, 45)
    sheet.set_column(0, 0, 46)
    sheet.set_column(first_value_col, first_value_col + len(organisations) - 1, 13)
    label_format = formats.get(valign="vcenter", font_size=9)
    family_format = formats.get(bold=True, bg_color="#D9E1F2")
    r = header_row
    value_rows: list[int] = []
    for family, family_name in wh.FAMILIES.items():
        r += 1
        sheet.merge_range(
            r, 0, r, first_value_col + len(organisations) - 1, family_name, family_format
        )
        for definition in _family_definitions(definitions, family):
            r += 1
            value_rows.append(r)
            put(sheet, r, 0, f"{definition['kpi_id']} {definition['name']}", label_format)
            for j, (code, _) in enumerate(organisations):
                view = views.get((code, definition["kpi_id"]))
                value = view.value if view and view.rag != "no_data" else None
                bold = code == org.pcn_code
                put(
                    sheet,
                    r,
                    first_value_col + j,
                    value,
                    formats.unit(definition["unit"], bold=bold),
                )
                put(sheet, r, rag_col0 + j, view.rag if view else "no_data")
    value_range = (
        f"{xl_rowcol_to_cell(header_row + 1, first_value_col)}:"
        f"{xl_rowcol_to_cell(r, first_value_col + len(organisations) - 1)}"
    )
    anchor = xl_rowcol_to_cell(header_row + 1, rag_col0, row_abs=False, col_abs=False)
    for rag in ("green", "amber", "red", "no_data"):
        sheet.conditional_format(
            value_range,
            {"type": "formula", "criteria": f'={anchor}="{rag}"', "format": formats.rag[rag]},
        )
    sheet.set_column(rag_col0, rag_col0 + len(organisations) - 1, None, None, {"hidden": True})
    sheet.freeze_panes(header_row + 1, 1)
    print_on_a4_landscape(sheet, pages_tall=1)
    sheet.print_area(0, 0, r, first_value_col + len(organisations) - 1)
    return sheet


def write_trajectory_sheet(
    workbook: Any,
    formats: Formats,
    conn: duckdb.DuckDBPyConnection,
    org: wh.Organisation,
    month: dt.date,
) -> Any:
    """The PCN's SMR year to date against the straight-line trajectory and the run-rate
    forecast, for every month of the financial year (fct_smr_trajectory), with a chart."""
    sheet = workbook.add_worksheet("SMR trajectory")
    put(sheet, 0, 0, f"SMR cohort trajectory and forecast: {org.pcn_name}", formats.title)
    rows = wh.records(
        conn,
        """
        select * from marts.fct_smr_trajectory
        where org_type = 'pcn' and org_code = ?
            and financial_year = (
                select financial_year from marts.dim_periods
                where period_type = 'month' and period_start = ?
            )
            and reporting_month <= ?
        order by reporting_month
        """,
        [org.pcn_code, month, month],
    )
    if not rows:
        put(sheet, 2, 0, "No SMR trajectory for this PCN and financial year yet.", formats.note)
        return sheet
    latest = rows[-1]
    put(
        sheet,
        1,
        0,
        f"Financial year {latest['financial_year']}: {latest['smrs_year_to_date']} SMRs to "
        f"{month:%B %Y} against a trajectory of {latest['trajectory_to_date']:.0f}; "
        f"forecast at the run rate {latest['forecast_year_end_smrs']:.0f} "
        f"against a year-end target of {latest['year_end_target']:.0f}.",
        formats.subtitle,
    )
    headers = [
        "Month",
        "SMRs in month",
        "Month target",
        "SMRs YTD",
        "Trajectory to date",
        "Forecast at run rate",
        "Gap to trajectory",
        "% of trajectory",
        "Year-end target",
        "Year-end forecast",
        "SMRs still needed",
        "Pharmacist WTE needed",
    ]
    # Whole financial year on the x axis: actuals to the reporting month, then the straight
    # trajectory (even twelfths of the year-end target, as the mart phases it) and the
    # run-rate forecast continued to year end.
    first_month = wh.add_months(month, -(latest["month_number_in_financial_year"] - 1))
    by_month = {r["reporting_month"]: r for r in rows}
    target = latest["year_end_target"] or 0.0
    forecast = latest["forecast_year_end_smrs"] or 0.0
    elapsed = latest["month_number_in_financial_year"]
    table = []
    for n in range(1, 13):
        m = wh.add_months(first_month, n - 1)
        r = by_month.get(m)
        if r:
            table.append(
                [
                    m,
                    r["smrs_in_month"],
                    r["month_target"],
                    r["smrs_year_to_date"],
                    r["trajectory_to_date"],
                    r["smrs_year_to_date"] if n == elapsed else None,
                    r["gap_to_trajectory"],
                    r["percent_of_trajectory"],
                    r["year_end_target"],
                    r["forecast_year_end_smrs"],
                    r["remaining_smrs_needed"],
                    r["pharmacist_wte_needed"],
                ]
            )
        elif n > elapsed:
            run_rate = latest["smrs_year_to_date"] + (forecast - latest["smrs_year_to_date"]) * (
                n - elapsed
            ) / (12 - elapsed)
            table.append(
                [m, None, None, None, target * n / 12, run_rate, None, None, None, None, None, None]
            )
        else:
            table.append([m, *([None] * 11)])
    column_formats = [formats.month, formats.integer, formats.decimal, formats.integer]
    column_formats += [formats.decimal] * 3 + [formats.unit("percent")]
    column_formats += [formats.decimal] * 3 + [formats.get(num_format="0.00")]
    header_row = 3
    write_table(sheet, header_row, headers, table, formats, column_formats)
    sheet.set_column(0, 0, 10)
    sheet.set_column(1, 11, 12)
    sheet.set_row(header_row, 30)
    first, last = header_row + 1, header_row + 12
    chart = workbook.add_chart({"type": "line"})
    name = sheet.get_name()
    for col, label, line in (
        (3, "SMRs year to date", {"color": "#1F3864", "width": 2.5}),
        (4, "Trajectory", {"color": "#7F7F7F", "dash_type": "dash"}),
        (5, "Forecast at run rate", {"color": "#C00000", "dash_type": "round_dot", "width": 2}),
    ):
        chart.add_series(
            {
                "name": label,
                "categories": [name, first, 0, last, 0],
                "values": [name, first, col, last, col],
                "line": line,
            }
        )
    chart.set_title({"name": f"SMRs year to date, {latest['financial_year']}"})
    chart.set_x_axis({"num_format": "mmm yy"})
    chart.set_y_axis({"name": "SMRs", "major_gridlines": {"visible": True}})
    chart.set_legend({"position": "bottom"})
    chart.show_blanks_as("gap")
    chart.set_size({"width": 760, "height": 320})
    sheet.insert_chart(last + 2, 0, chart)

    practices = wh.records(
        conn,
        """
        select trajectory.org_code, trajectory.smrs_year_to_date,
            trajectory.trajectory_to_date, trajectory.gap_to_trajectory,
            trajectory.percent_of_trajectory, trajectory.forecast_year_end_smrs,
            trajectory.year_end_target, practices.practice_name
        from marts.fct_smr_trajectory as trajectory
        inner join marts.dim_practices as practices
            on trajectory.org_code = practices.practice_code
        where trajectory.org_type = 'practice' and practices.pcn_code = ?
            and trajectory.reporting_month = ?
        order by trajectory.percent_of_trajectory
        """,
        [org.pcn_code, month],
    )
    row = last + 20
    put(sheet, row, 0, f"Practices, {month:%B %Y}", formats.section)
    write_table(
        sheet,
        row + 1,
        [
            "Practice",
            "SMRs YTD",
            "Trajectory",
            "Gap",
            "% of trajectory",
            "Year-end forecast",
            "Year-end target",
            "Name",
        ],
        [list(p.values()) for p in practices],
        formats,
        [None, formats.integer, formats.decimal, formats.decimal, formats.unit("percent")]
        + [formats.decimal] * 2
        + [None],
    )
    print_on_a4_landscape(sheet)
    return sheet


def write_des_sheet(
    workbook: Any,
    formats: Formats,
    conn: duckdb.DuckDBPyConnection,
    org: wh.Organisation,
    month: dt.date,
) -> Any:
    sheet = workbook.add_worksheet("DES evidence")
    put(sheet, 0, 0, f"Network Contract DES evidence checklist, {month:%B %Y}", formats.title)
    rows = []
    if wh.table_exists(conn, "marts", "fct_des_evidence_items"):
        rows = wh.records(
            conn,
            """
            select items.item_number, items.item_name, items.status, items.evidence,
                items.source_kpi_ids
            from marts.fct_des_evidence_items as items
            inner join marts.dim_periods as periods on items.period_id = periods.period_id
            where items.pcn_code = ? and periods.period_type = 'month'
                and periods.period_start = ?
            order by items.item_number
            """,
            [org.pcn_code, month],
        )
    end = write_table(
        sheet,
        2,
        ["#", "Evidence item", "Status", "Evidence", "KPIs"],
        [list(r.values()) for r in rows],
        formats,
        [formats.text, formats.wrap, formats.text, formats.wrap, formats.wrap],
    )
    for r in range(3, end):
        sheet.set_row(r, 28)  # two wrapped lines of item name or evidence
    if not rows:
        put(sheet, end, 0, "No DES evidence items in the warehouse for this month.", formats.note)
    add_status_rules(sheet, f"C4:C{max(end, 4)}", formats)
    sheet.set_column(0, 0, 4)
    sheet.set_column(1, 1, 40)
    sheet.set_column(2, 2, 11)
    sheet.set_column(3, 3, 80)
    sheet.set_column(4, 4, 12)
    print_on_a4_landscape(sheet)
    return sheet


def write_data_quality_sheet(
    workbook: Any,
    formats: Formats,
    conn: duckdb.DuckDBPyConnection,
    month: dt.date,
    checks: list[dict[str, Any]],
) -> Any:
    """Checks (records from the caller: asset, check, passed, severity, partition,
    evaluated_at, description), rows loaded and quarantined per source for the month, the
    freshness of every source and the files missing."""
    sheet = workbook.add_worksheet("Data quality")
    put(sheet, 0, 0, f"Data quality, {month:%B %Y}", formats.title)
    failed = [c for c in checks if not c.get("passed")]
    put(
        sheet,
        1,
        0,
        f"{len(checks)} checks run, {len(failed)} failing (latest result of each check).",
        formats.subtitle,
    )
    row = 3
    put(sheet, row, 0, "Checks by layer", formats.section)
    layers: dict[str, list[int]] = {}
    for c in checks:
        counts = layers.setdefault(str(c.get("asset", "")).split("/")[0], [0, 0])
        counts[0 if c.get("passed") else 1] += 1
    row = write_table(
        sheet,
        row + 1,
        ["Layer or source", "Passed", "Failed"],
        [[layer, passed, failing] for layer, (passed, failing) in sorted(layers.items())],
        formats,
        [None, formats.integer, formats.integer],
    )
    row += 1
    put(sheet, row, 0, "Failing checks", formats.section)
    row = _write_checks(sheet, formats, row + 1, failed)
    if not failed:
        put(sheet, row, 0, "Every check passed." if checks else "No check results.", formats.note)
        row += 1

    row += 1
    put(sheet, row, 0, "Rows loaded and quarantined per source table, this month", formats.section)
    loads = wh.records(
        conn,
        """
        select source || '.' || table_name as source_table,
            count(*) filter (where status = 'loaded') as files_loaded,
            count(*) filter (where status = 'missing') as files_missing,
            count(*) filter (where status = 'rejected') as files_rejected,
            sum(rows_in) as rows_in, sum(rows_loaded) as rows_loaded,
            sum(rows_quarantined) as rows_quarantined, sum(rows_out_of_scope) as rows_out_of_scope
        from pipeline.ingestion_log
        where month = ?
        group by all order by 1
        """,
        [month],
    )
    row = write_table(
        sheet,
        row + 1,
        [
            "Source table",
            "Files loaded",
            "Files missing",
            "Files rejected",
            "Rows in",
            "Rows loaded",
            "Rows quarantined",
            "Out of scope",
        ],
        [list(r.values()) for r in loads],
        formats,
        [None, *([formats.integer] * 7)],
    )
    reasons = wh.records(
        conn,
        """
        select source || '.' || table_name as source_table,
            regexp_replace(reason, '''[^'']*''', '''...''', 'g') as reason,
            count(*) as rows_quarantined
        from pipeline.quarantine
        where month = ?
        group by all order by 1, 3 desc
        """,
        [month],
    )
    row += 1
    put(sheet, row, 0, "Quarantine reasons, this month (values masked)", formats.section)
    row = write_table(
        sheet,
        row + 1,
        ["Source table", "Reason", "Rows"],
        [list(r.values()) for r in reasons],
        formats,
        [None, None, formats.integer],
    )

    row += 1
    put(sheet, row, 0, "Freshness of every source", formats.section)
    freshness = wh.records(
        conn,
        """
        select source || '.' || table_name as source_table,
            max(month) filter (where status = 'loaded') as latest_month_loaded,
            max(loaded_at) filter (where status = 'loaded') as last_loaded_at,
            date_diff('month', max(month) filter (where status = 'loaded'), ?::date)
                as months_behind
        from pipeline.ingestion_log
        group by all order by 1
        """,
        [month],
    )
    row = write_table(
        sheet,
        row + 1,
        ["Source table", "Latest month loaded", "Last loaded at", "Months behind this report"],
        [list(r.values()) for r in freshness],
        formats,
        [None, formats.month, formats.datetime, formats.integer],
    )

    row += 1
    put(sheet, row, 0, "Files missing or rejected, this month", formats.section)
    missing = wh.records(
        conn,
        """
        select source || '.' || table_name as source_table, file_name, status, message
        from pipeline.ingestion_log
        where month = ? and status <> 'loaded'
        order by 1, 2
        """,
        [month],
    )
    end = write_table(
        sheet,
        row + 1,
        ["Source table", "File", "Status", "Message"],
        [list(r.values()) for r in missing],
        formats,
        [None, None, None, formats.wrap],
    )
    add_status_rules(sheet, f"C{row + 3}:C{max(end, row + 3)}", formats)
    if not missing:
        put(sheet, end, 0, "Every expected file arrived.", formats.note)
        end += 1
    end += 1
    put(sheet, end, 0, "All checks (latest result of each)", formats.section)
    _write_checks(sheet, formats, end + 1, checks)
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 1, 38)
    sheet.set_column(2, 5, 14)
    sheet.set_column(6, 6, 50)
    sheet.set_column(7, 7, 14)
    print_on_a4_landscape(sheet)
    sheet.repeat_rows(0)
    return sheet


def _write_checks(
    sheet: Any, formats: Formats, first_row: int, checks: list[dict[str, Any]]
) -> int:
    """Failing checks first; the detail wraps so a long message cannot widen the page."""
    ordered = sorted(
        checks, key=lambda c: (bool(c.get("passed")), c.get("asset", ""), c.get("check", ""))
    )
    end = write_table(
        sheet,
        first_row,
        ["Asset", "Check", "Result", "Severity", "Partition", "Evaluated at", "Detail"],
        [
            [
                c.get("asset"),
                c.get("check"),
                "passed" if c.get("passed") else "failed",
                c.get("severity"),
                c.get("partition"),
                c.get("evaluated_at"),
                c.get("description"),
            ]
            for c in ordered
        ],
        formats,
        [None, None, None, None, None, formats.datetime, formats.get(text_wrap=True)],
    )
    add_status_rules(sheet, f"C{first_row + 2}:C{max(end, first_row + 2)}", formats)
    for offset, check in enumerate(ordered, start=1):
        detail = str(check.get("description") or "")
        if len(detail) > DETAIL_CHARS_PER_LINE:
            sheet.set_row(first_row + offset, 12 * (-(-len(detail) // DETAIL_CHARS_PER_LINE)))
    return end


def write_definitions_sheet(
    workbook: Any, formats: Formats, definitions: list[dict[str, Any]]
) -> Any:
    sheet = workbook.add_worksheet("Definitions")
    columns = [
        ("kpi_id", "KPI", 6),
        ("family", "Family", 14),
        ("name", "Name", 28),
        ("definition", "Definition", 50),
        ("numerator", "Numerator", 40),
        ("denominator", "Denominator", 40),
        ("unit", "Unit", 12),
        ("direction", "Direction", 14),
        ("period_grain", "Periods", 14),
        ("rag_green_threshold", "Green at", 8),
        ("rag_amber_threshold", "Amber at", 8),
        ("threshold_rationale", "Threshold rationale", 40),
        ("source_data", "Source data", 30),
        ("des_qof_iif_link", "DES / QOF / IIF link", 40),
        ("small_number_suppression", "Suppressed in ICB outputs", 10),
        ("why_it_matters", "Why it matters", 50),
    ]
    put(sheet, 0, 0, "KPI definitions (seed kpi_definitions)", formats.title)
    write_table(
        sheet,
        2,
        [label for _, label, _ in columns],
        [[d.get(key) for key, _, _ in columns] for d in definitions],
        formats,
        [formats.wrap] * len(columns),
    )
    for col, (_, _, width) in enumerate(columns):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(3, 1)
    return sheet


def build_dashboard(
    conn: duckdb.DuckDBPyConnection,
    pcn_code: str,
    month: dt.date,
    output: Path,
    checks: list[dict[str, Any]] | None = None,
) -> Path:
    """Write the PCN's dashboard workbook for `month` (first day) to `output`, atomically."""
    month = month.replace(day=1)
    definitions = wh.kpi_definitions(conn)
    org = wh.organisation(conn, pcn_code)
    org_codes = [org.pcn_code, *(code for code, _ in org.practices)]
    views = kpi_views(conn, org_codes, month, definitions)
    ends = month_ends(month, TREND_MONTHS)
    history = wh.index_kpi_values(
        wh.kpi_values(conn, [org.pcn_code], wh.HEADLINE_PERIOD_TYPES, ends[0], ends[-1])
    )
    with atomic_path(output) as temporary:
        workbook = new_workbook(temporary)
        workbook.set_properties(
            {
                "title": f"{org.pcn_code} medicines optimisation dashboard {month:%Y-%m}",
                "subject": "PCN medicines optimisation KPIs",
                "author": "pcnmo",
                "comments": "Aggregates only; generated from the pcnmo warehouse.",
            }
        )
        formats = Formats(workbook)
        trend_rows: list[list[Any]] = []
        write_dashboard_sheet(workbook, formats, org, month, definitions, views, trend_rows)
        for family in wh.FAMILIES:
            write_family_sheet(workbook, formats, org, month, family, definitions, views, history)
        write_practice_sheet(workbook, formats, org, month, definitions, views)
        write_trajectory_sheet(workbook, formats, conn, org, month)
        write_des_sheet(workbook, formats, conn, org, month)
        write_data_quality_sheet(workbook, formats, conn, month, checks or [])
        write_definitions_sheet(workbook, formats, definitions)
        trend_sheet = workbook.add_worksheet(HIDDEN_SHEET)
        for r, values in enumerate(trend_rows):
            for c, value in enumerate(values):
                put(trend_sheet, r, c, value, formats.month if r == 0 and c else None)
        trend_sheet.hide()
        workbook.close()
    return output
