"""The Cost outcome sheet: the cost KPIs, then the quarter's prescribing cost of the PCN and its
practices against the ICB peer median, with the saving if each were at the median (pounds and
weighted patients are not about individual patients: not suppressed)."""

from __future__ import annotations

import datetime as dt

import duckdb

from reports import warehouse as wh
from reports.icb_return.rows import ReturnRow
from reports.icb_return.sections import in_section, write_kpi_section
from reports.icb_return.tables import LAST_COL, write_labelled_table
from reports.xlsx import Sheet


def prescribing_costs(
    conn: duckdb.DuckDBPyConnection, codes: list[str], period_type: str, period_end: dt.date
) -> list[dict[str, object]]:
    return wh.records(
        conn,
        """
        select cost.org_type, cost.org_code, cost.actual_cost, cost.astro_pu_cost,
            cost.cost_per_astro_pu, cost.peer_median_cost_per_astro_pu, cost.peer_percentile,
            cost.saving_at_peer_median_pounds
        from marts.fct_prescribing_cost as cost
        inner join marts.dim_periods as periods on cost.period_id = periods.period_id
        where periods.period_type = ? and periods.period_end = ?
            and cost.org_code in (select unnest(?::varchar[]))
        order by cost.org_type desc, cost.org_code
        """,
        [period_type, period_end, codes],
    )


def write_cost(
    sheet: Sheet,
    conn: duckdb.DuckDBPyConnection,
    org: wh.Organisation,
    quarter_end: dt.date,
    rows: list[ReturnRow],
) -> None:
    formats = sheet.formats
    cost = [r for r in rows if in_section(r.definition, "cost_outcome")]
    row = write_kpi_section(sheet, "Prescribing cost outcome", cost) + 1
    sheet.merge(
        row,
        0,
        row,
        LAST_COL,
        "Prescribing cost in the quarter against the ICB peer median",
        formats.section,
    )
    costs = prescribing_costs(
        conn, [org.pcn_code, *(c for c, _ in org.practices)], "quarter", quarter_end
    )
    write_labelled_table(
        sheet,
        row + 1,
        "Organisation",
        [
            "Actual cost",
            "ASTRO-PU",
            "Cost per ASTRO-PU",
            "ICB peer median",
            "Peer percentile",
            "Saving at median",
        ],
        [
            (
                f"{org.name_of(c['org_code'])} ({c['org_code']})",
                [
                    round(c["actual_cost"]) if c["actual_cost"] is not None else None,
                    round(c["astro_pu_cost"]) if c["astro_pu_cost"] is not None else None,
                    _pence(c["cost_per_astro_pu"]),
                    _pence(c["peer_median_cost_per_astro_pu"]),
                    round(c["peer_percentile"]) if c["peer_percentile"] is not None else None,
                    round(c["saving_at_peer_median_pounds"])
                    if c["saving_at_peer_median_pounds"] is not None
                    else None,
                ],
            )
            for c in costs
        ],
        [
            formats.money,
            formats.integer,
            formats.money_pence,
            formats.money_pence,
            formats.integer,
            formats.money,
        ],
    )


def _pence(value: object) -> float | None:
    return round(float(value), 2) + 0.0 if value is not None else None
