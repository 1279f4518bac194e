"""The Cost per ASTRO-PU sheet: each PCN's prescribing cost per weighted patient against the ICB
median, with the funnel plot's control limits (method in reports.icb_comparator.funnel, and in
words on the sheet) and the pound saving if each PCN above the median prescribed at it."""

from __future__ import annotations

import duckdb

from reports.icb_comparator.figures import Icb, Period
from reports.icb_comparator.funnel import FunnelPoint, curve, outside, spread
from reports.icb_return.cost import prescribing_costs
from reports.xlsx import Sheet, print_on_a4_landscape

HEADERS = [
    "PCN",
    "Name",
    "ASTRO-PU",
    "Actual cost",
    "Cost per ASTRO-PU",
    "ICB median",
    "Outside the 99.8% limits",
    "Saving at the median",
]
LAST_COL = len(HEADERS) - 1
METHOD = (
    "How to read the funnel: each dot is a PCN, placed by its size (ASTRO-PU, weighted patients) "
    "and its cost per ASTRO-PU. The line is the ICB median of the PCNs' cost per ASTRO-PU. The "
    "inner and outer funnels are the 95% and 99.8% control limits: median +/- z x s / "
    "sqrt(ASTRO-PU), z = 1.96 and 3.09, where s, the spread of cost per weighted patient, is "
    "estimated from the ICB's PCNs as the square root of sum(ASTRO-PU x (cost per ASTRO-PU - "
    "median)^2) / (PCNs - 1). A PCN outside the outer funnel differs from the ICB by more than "
    "its size explains. Saving at the median: (cost per ASTRO-PU - median) x ASTRO-PU for PCNs "
    "above the median (the warehouse's peer-median saving)."
)


def write_cost_sheet(
    sheet: Sheet, conn: duckdb.DuckDBPyConnection, the_icb: Icb, period: Period
) -> None:
    formats = sheet.formats
    sheet.merge(0, 0, 0, LAST_COL, f"Prescribing cost per ASTRO-PU, {period.label}", formats.title)
    sheet.merge(1, 0, 1, LAST_COL, METHOD, formats.subtitle)
    costs = {
        c["org_code"]: c
        for c in prescribing_costs(
            conn, [p.code for p in the_icb.pcns], period.period_type, period.end
        )
        if c["org_type"] == "pcn" and c["cost_per_astro_pu"] is not None and c["astro_pu_cost"]
    }
    points = [
        FunnelPoint(code, float(c["astro_pu_cost"]), float(c["cost_per_astro_pu"]))  # type: ignore[arg-type]
        for code, c in sorted(costs.items(), key=lambda item: item[1]["cost_per_astro_pu"])  # type: ignore[arg-type,return-value]
    ]
    centre_values = [
        c["peer_median_cost_per_astro_pu"]
        for c in costs.values()
        if c["peer_median_cost_per_astro_pu"]
    ]
    centre = float(centre_values[0]) if centre_values else None  # type: ignore[arg-type]
    s = spread(points, centre) if centre is not None else None
    header = 3
    sheet.write_row(header, 0, HEADERS, [formats.header] * len(HEADERS))
    for r, point in enumerate(points, start=header + 1):
        cost = costs[point.code]
        saving = cost["saving_at_peer_median_pounds"]
        sheet.write_row(
            r,
            0,
            [
                point.code,
                the_icb.name_of(point.code),
                round(point.astro_pu),
                round(float(cost["actual_cost"])),  # type: ignore[arg-type]
                round(point.cost_per_astro_pu, 2) + 0.0,
                round(centre, 2) + 0.0 if centre is not None else None,
                {"above": "above", "below": "below", "": "no"}[outside(point, centre, s)]
                if centre is not None
                else "",
                round(float(saving)) if saving else 0,  # type: ignore[arg-type]
            ],
            [
                formats.text,
                formats.wrap,
                formats.integer,
                formats.money,
                formats.money_pence,
                formats.money_pence,
                formats.text,
                formats.money,
            ],
        )
    if not points:
        sheet.merge(
            header + 1,
            0,
            header + 1,
            LAST_COL,
            "No prescribing cost for this period yet.",
            formats.note,
        )
        print_on_a4_landscape(sheet.worksheet)
        return
    last = header + len(points)
    sheet.cap_width(1, 28)

    chart = sheet.workbook.add_chart({"type": "scatter"})
    chart.add_series(
        {
            "name": "PCNs",
            "categories": [sheet.name, header + 1, 2, last, 2],
            "values": [sheet.name, header + 1, 4, last, 4],
            "marker": {"type": "circle", "size": 7, "fill": {"color": "#1F3864"}},
            "data_labels": {
                "series_name": False,
                "custom": [{"value": p.code} for p in points],
                "position": "right",
                "font": {"size": 7},
            },
        }
    )
    if s is not None and centre is not None:
        # The limit curves, on the sheet below the table (charts read cells).
        curve_row = last + 24
        sheet.merge(
            curve_row, 0, curve_row, LAST_COL, "Control limits drawn on the chart", formats.section
        )
        labels = ["ASTRO-PU", "Lower 99.8%", "Lower 95%", "Upper 95%", "Upper 99.8%", "ICB median"]
        sheet.write_row(curve_row + 1, 2, labels, [formats.header] * len(labels))
        rows = curve(points, centre, s)
        for i, values in enumerate(rows, start=curve_row + 2):
            sheet.write_row(
                i,
                2,
                [
                    round(values[0]),
                    *(round(v, 3) + 0.0 for v in values[1:]),
                    round(centre, 3) + 0.0,
                ],
                [formats.integer] + [formats.number(3, prefix="£")] * 5,
            )
        first_curve, last_curve = curve_row + 2, curve_row + 1 + len(rows)
        for col, name, colour, dash in (
            (7, "ICB median", "#595959", "solid"),
            (4, "95% limits", "#C00000", "dash"),
            (5, "95% limits", "#C00000", "dash"),
            (3, "99.8% limits", "#C00000", "solid"),
            (6, "99.8% limits", "#C00000", "solid"),
        ):
            chart.add_series(
                {
                    "name": name,
                    "categories": [sheet.name, first_curve, 2, last_curve, 2],
                    "values": [sheet.name, first_curve, col, last_curve, col],
                    "line": {"color": colour, "width": 1.25, "dash_type": dash},
                    "marker": {"type": "none"},
                }
            )
    chart.set_title(
        {"name": "Cost per ASTRO-PU against size, with control limits", "name_font": {"size": 10}}
    )
    chart.set_x_axis({"name": "ASTRO-PU (weighted patients)", "num_format": "#,##0", "min": 0})
    chart.set_y_axis(
        {"name": "Cost per ASTRO-PU", "num_format": '"£"0.00', "major_gridlines": {"visible": True}}
    )
    chart.set_legend({"position": "bottom", "delete_series": [3, 5]})
    chart.set_size({"width": 820, "height": 360})
    sheet.worksheet.insert_chart(last + 2, 0, chart)
    print_on_a4_landscape(sheet.worksheet)
