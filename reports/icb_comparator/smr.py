"""The SMR delivery sheet: every PCN's structured medication reviews year to date against its
trajectory and year-end target (fct_smr_trajectory), as a table and a bar chart of per cent of
trajectory against the 100% line. PCNs without clinical extracts have no SMR figures."""

from __future__ import annotations

import duckdb

from reports import warehouse as wh
from reports.icb_comparator.figures import Icb, Period
from reports.names import long_date
from reports.suppression import suppress_count
from reports.xlsx import Sheet, print_on_a4_landscape

HEADERS = [
    "PCN",
    "Name",
    "SMRs year to date",
    "Trajectory to date",
    "% of trajectory",
    "Year-end target",
    "Year-end forecast",
]
LAST_COL = len(HEADERS) - 1


def write_smr_sheet(
    sheet: Sheet, conn: duckdb.DuckDBPyConnection, the_icb: Icb, period: Period
) -> None:
    formats = sheet.formats
    month = period.end.replace(day=1)
    sheet.merge(
        0, 0, 0, LAST_COL, f"SMR delivery against target, to {long_date(period.end)}", formats.title
    )
    sheet.merge(
        1,
        0,
        1,
        LAST_COL,
        "SMRs since 1 April against the straight-line trajectory to the year-end target; "
        "counts of 1 to 7 suppressed (*), others rounded to 5, the percentage worked out from "
        "the rounded figures.",
        formats.subtitle,
    )
    rows = {
        r["org_code"]: r
        for r in wh.records(
            conn,
            """
            select org_code, smrs_year_to_date, trajectory_to_date, year_end_target,
                forecast_year_end_smrs
            from marts.fct_smr_trajectory
            where org_type = 'pcn' and reporting_month = ?
                and org_code in (select unnest(?::varchar[]))
            """,
            [month, [p.code for p in the_icb.pcns]],
        )
    }
    header = 3
    sheet.write_row(header, 0, HEADERS, [formats.header] * len(HEADERS))
    table = []
    for pcn in the_icb.pcns:
        r = rows.get(pcn.code)
        if r is None:
            table.append([pcn.code, the_icb.name_of(pcn.code), "no data", None, None, None, None])
            continue
        done = suppress_count(r["smrs_year_to_date"])
        due = suppress_count(r["trajectory_to_date"])
        percent = (
            round(100.0 * done / due, 1) + 0.0
            if isinstance(done, int) and isinstance(due, int) and due
            else None
        )
        table.append(
            [
                pcn.code,
                the_icb.name_of(pcn.code),
                done,
                due,
                percent,
                suppress_count(r["year_end_target"]),
                suppress_count(r["forecast_year_end_smrs"]),
            ]
        )
    table.sort(key=lambda values: (values[4] is None, -(values[4] or 0), values[0]))
    for i, values in enumerate(table, start=header + 1):
        sheet.write_row(
            i,
            0,
            values,
            [
                formats.text,
                formats.wrap,
                formats.integer if isinstance(values[2], int) else formats.suppressed,
                formats.integer if isinstance(values[3], int) else formats.suppressed,
                formats.number(1, suffix="%"),
                formats.integer,
                formats.integer,
            ],
        )
    last = header + len(table)
    sheet.cap_width(1, 28)
    chart = sheet.workbook.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": "% of trajectory",
            "categories": [sheet.name, header + 1, 0, last, 0],
            "values": [sheet.name, header + 1, 4, last, 4],
            "fill": {"color": "#8EA9DB"},
            "data_labels": {"value": True, "num_format": '0"%"', "font": {"size": 8}},
        }
    )
    chart.set_title(
        {
            "name": "SMRs year to date, % of trajectory (100% = on trajectory)",
            "name_font": {"size": 10},
        }
    )
    chart.set_x_axis({"min": 0, "num_format": '0"%"', "major_gridlines": {"visible": True}})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"none": True})
    chart.set_size({"width": 720, "height": max(240, 28 * len(table) + 80)})
    sheet.worksheet.insert_chart(last + 2, 0, chart)
    print_on_a4_landscape(sheet.worksheet)
