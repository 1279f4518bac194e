"""The SMR trajectory sheet: the PCN's SMRs year to date against the straight-line trajectory
and the run-rate forecast for every month of the financial year (fct_smr_trajectory), with a
chart, and every practice's position at the month, furthest behind first."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from pcnmo.calendar import add_months, month_end
from reports import warehouse as wh
from reports.names import long_date
from reports.xlsx import Sheet, print_on_a4_landscape

HEADERS = [
    "Month",
    "SMRs in month",
    "Month target",
    "SMRs year to date",
    "Trajectory to date",
    "Forecast at run rate",
    "Gap to trajectory",
    "% of trajectory",
    "Year-end target",
    "Year-end forecast",
    "SMRs still needed",
    "Pharmacist WTE needed",
]
LAST_COL = len(HEADERS) - 1
CHART_ROWS = 20


def _year_rows(
    latest: dict[str, Any], by_month: dict[dt.date, dict[str, Any]], month: dt.date
) -> list[list[Any]]:
    """Every month of the financial year: actuals to the reporting month, then the straight
    trajectory (even twelfths of the year-end target, as the mart phases it) and the run-rate
    forecast continued to year end."""
    elapsed = latest["month_number_in_financial_year"]
    first_month = add_months(month, -(elapsed - 1))
    target = latest["year_end_target"] or 0.0
    forecast = latest["forecast_year_end_smrs"] or 0.0
    year_to_date = latest["smrs_year_to_date"]
    table = []
    for n in range(1, 13):
        m = add_months(first_month, n - 1)
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
            run_rate = year_to_date + (forecast - year_to_date) * (n - elapsed) / (12 - elapsed)
            table.append([m, None, None, None, target * n / 12, run_rate, *([None] * 6)])
        else:
            table.append([m, *([None] * 11)])
    return table


def write_trajectory_sheet(
    sheet: Sheet, conn: duckdb.DuckDBPyConnection, org: wh.Organisation, month: dt.date
) -> None:
    formats = sheet.formats
    sheet.merge(
        0,
        0,
        0,
        LAST_COL,
        f"SMR cohort trajectory and forecast: {wh.display_name(org.pcn_name)}",
        formats.title,
    )
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
    print_on_a4_landscape(sheet.worksheet)
    if not rows:
        sheet.merge(
            2,
            0,
            2,
            LAST_COL,
            "No SMR trajectory for this PCN and financial year yet.",
            formats.note,
        )
        return
    latest = rows[-1]
    sheet.merge(
        1,
        0,
        1,
        LAST_COL,
        f"Financial year {latest['financial_year']}: {latest['smrs_year_to_date']:,} SMRs to "
        f"{long_date(month_end(month))} against a trajectory of "
        f"{latest['trajectory_to_date']:,.0f}; forecast at the run rate "
        f"{latest['forecast_year_end_smrs']:,.0f} against a year-end target of "
        f"{latest['year_end_target']:,.0f}.",
        formats.subtitle,
    )
    table = _year_rows(latest, {r["reporting_month"]: r for r in rows}, month)
    whole, tenth = formats.integer, formats.decimal
    column_formats = [formats.month, whole, tenth, whole, whole, whole, whole]
    column_formats += [formats.number(1, suffix="%"), whole, whole, whole, formats.number(2)]
    header_row = 3
    end = sheet.table(header_row, HEADERS, _rounded(table), column_formats)
    for col in range(1, LAST_COL + 1):
        sheet.cap_width(col, 11)
    first, last = header_row + 1, header_row + 12
    chart = sheet.workbook.add_chart({"type": "line"})
    for col, label, line in (
        (3, "SMRs year to date", {"color": "#1F3864", "width": 2.5}),
        (4, "Trajectory", {"color": "#7F7F7F", "dash_type": "dash"}),
        (5, "Forecast at run rate", {"color": "#C00000", "dash_type": "round_dot", "width": 2}),
    ):
        chart.add_series(
            {
                "name": label,
                "categories": [sheet.name, first, 0, last, 0],
                "values": [sheet.name, first, col, last, col],
                "line": line,
            }
        )
    chart.set_title(
        {"name": f"SMRs year to date, {latest['financial_year']}", "name_font": {"size": 10}}
    )
    chart.set_x_axis({"num_format": "mmm yy"})
    chart.set_y_axis(
        {"name": "SMRs", "min": 0, "num_format": "#,##0", "major_gridlines": {"visible": True}}
    )
    chart.set_legend({"position": "bottom"})
    chart.show_blanks_as("gap")
    chart.set_size({"width": 760, "height": 320})
    sheet.worksheet.insert_chart(end + 1, 0, chart)

    practices = wh.records(
        conn,
        """
        select trajectory.org_code, trajectory.smrs_year_to_date, trajectory.trajectory_to_date,
            trajectory.gap_to_trajectory, trajectory.percent_of_trajectory,
            trajectory.forecast_year_end_smrs, trajectory.year_end_target
        from marts.fct_smr_trajectory as trajectory
        inner join marts.dim_practices as practices
            on trajectory.org_code = practices.practice_code
        where trajectory.org_type = 'practice' and practices.pcn_code = ?
            and trajectory.reporting_month = ?
        order by trajectory.percent_of_trajectory, trajectory.org_code
        """,
        [org.pcn_code, month],
    )
    row = end + 1 + CHART_ROWS
    sheet.merge(
        row,
        0,
        row,
        LAST_COL,
        f"Practices at {long_date(month_end(month))}, furthest behind first",
        formats.section,
    )
    sheet.table(
        row + 1,
        [
            "Practice",
            "Name",
            "SMRs year to date",
            "Trajectory to date",
            "Gap to trajectory",
            "% of trajectory",
            "Year-end forecast",
            "Year-end target",
        ],
        _rounded(
            [[p["org_code"], org.name_of(p["org_code"]), *list(p.values())[1:]] for p in practices]
        ),
        [
            formats.text,
            formats.text,
            whole,
            whole,
            whole,
            formats.number(1, suffix="%"),
            whole,
            whole,
        ],
    )
    sheet.cap_width(1, 24)


def _rounded(table: list[list[Any]]) -> list[list[Any]]:
    """Numbers to two places at most, so no floating-point noise is stored behind a figure."""
    rounded = []
    for values in table:
        row = []
        for value in values:
            if isinstance(value, float):
                row.append(round(value, 2) + 0.0)
            else:
                row.append(value)
        rounded.append(row)
    return rounded
