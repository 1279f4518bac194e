"""The Prescribing safety sheet: the safety KPIs, then the quarter's safety alerts by class and
status, significant events by theme and PINCER hazards at the quarter end, every count about
patients suppressed (alerts are not about patients: PS01 and PS02 are not suppressed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from pcnmo.calendar import financial_quarter
from reports import kpis
from reports import warehouse as wh
from reports.icb_return.rows import ReturnRow
from reports.icb_return.sections import in_section, write_kpi_section
from reports.icb_return.tables import LAST_COL, write_labelled_table
from reports.names import ALERT_STATUSES, SEA_THEMES, long_date, pincer_indicator, words
from reports.suppression import Shown, suppress_count
from reports.xlsx import Sheet


def _count(value: Any, apply: bool) -> Shown:
    return suppress_count(value) if apply else value


def write_safety(
    sheet: Sheet,
    conn: duckdb.DuckDBPyConnection,
    org: wh.Organisation,
    quarter_end: dt.date,
    rows: list[ReturnRow],
    definitions: dict[str, dict[str, Any]],
) -> None:
    formats = sheet.formats
    safety = [r for r in rows if in_section(r.definition, "prescribing_safety")]
    row = write_kpi_section(sheet, "Prescribing safety summary", safety) + 1
    quarter_start = financial_quarter(quarter_end)[0]

    sheet.merge(
        row,
        0,
        row,
        LAST_COL,
        "Safety alerts received in the quarter, by class and status",
        formats.section,
    )
    alerts = wh.records(
        conn,
        """
        select alert_class, status, count(*) as alert_practices
        from marts.fct_safety_alerts
        where pcn_code = ? and received_date between ? and ?
        group by all order by 1, 2
        """,
        [org.pcn_code, quarter_start, quarter_end],
    )
    row = (
        write_labelled_table(
            sheet,
            row + 1,
            "Alert class and status",
            ["Alert x practice rows"],
            [
                (
                    f"{a['alert_class']}: {words(ALERT_STATUSES, a['status']).lower()}",
                    [a["alert_practices"]],
                )
                for a in alerts
            ],
        )
        + 1
    )

    sheet.merge(
        row,
        0,
        row,
        LAST_COL,
        "Significant events by theme in the quarter (counts suppressed)",
        formats.section,
    )
    apply = kpis.is_suppressed_kpi(definitions.get("PS04", {"small_number_suppression": True}))
    themes = wh.records(
        conn,
        """
        select themes.theme, themes.events_raised, themes.events_completed, themes.events_open
        from marts.fct_significant_event_themes as themes
        inner join marts.dim_periods as periods on themes.period_id = periods.period_id
        where themes.pcn_code = ? and periods.period_type = 'quarter' and periods.period_end = ?
        order by themes.events_raised desc, themes.theme
        """,
        [org.pcn_code, quarter_end],
    )
    row = (
        write_labelled_table(
            sheet,
            row + 1,
            "Theme",
            ["Raised", "Completed", "Open"],
            [
                (
                    words(SEA_THEMES, t["theme"]),
                    [
                        _count(t[k], apply)
                        for k in ("events_raised", "events_completed", "events_open")
                    ],
                )
                for t in themes
            ],
        )
        + 1
    )

    sheet.merge(
        row,
        0,
        row,
        LAST_COL,
        f"PINCER hazards at {long_date(quarter_end)}, PCN (patients, suppressed)",
        formats.section,
    )
    hazards = wh.records(
        conn,
        """
        select indicator, sum(denominator_patients) as denominator_patients,
            sum(hazard_patients) as hazard_patients, sum(actioned_patients) as actioned_patients
        from marts.fct_pincer_hazards_monthly
        where pcn_code = ? and month_start_date = ?
        group by all order by 1
        """,
        [org.pcn_code, quarter_end.replace(day=1)],
    )
    write_labelled_table(
        sheet,
        row + 1,
        "Indicator",
        ["Patients at risk", "With the hazard", "Hazard actioned"],
        [
            (
                pincer_indicator(h["indicator"]),
                [
                    _count(h[k], True)
                    for k in ("denominator_patients", "hazard_patients", "actioned_patients")
                ],
            )
            for h in hazards
        ],
    )
