"""One KPI of one organisation at the reporting month, as the dashboard shows it: the figure
rounded to its shown precision, the RAG decided on that figure, last month's figure and a
12-month trend."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb

from pcnmo.calendar import add_months, month_end
from reports import kpis
from reports import warehouse as wh

TREND_MONTHS = 12


@dataclass
class KpiView:
    definition: dict[str, Any]
    period_type: str
    row: dict[str, Any] | None
    previous: dict[str, Any] | None
    trend: list[float | None] = field(default_factory=list)

    @property
    def kpi_id(self) -> str:
        return self.definition["kpi_id"]

    @property
    def status(self) -> str:
        return kpis.status(self.row)

    @property
    def value(self) -> float | None:
        """The value as shown (rounded), None unless the status is ok."""
        if self.status != kpis.OK:
            return None
        return kpis.shown(self.row["value"], self.definition)

    @property
    def target(self) -> float | None:
        return kpis.shown((self.row or {}).get("target"), self.definition)

    @property
    def peer(self) -> float | None:
        return kpis.shown((self.row or {}).get("peer_comparator"), self.definition)

    @property
    def rag(self) -> str:
        return kpis.shown_rag(self.row, self.definition)

    @property
    def previous_value(self) -> float | None:
        if kpis.status(self.previous) != kpis.OK:
            return None
        return kpis.shown(self.previous["value"], self.definition)

    @property
    def change(self) -> float | None:
        """This month's shown figure less last month's shown figure."""
        if self.value is None or self.previous_value is None:
            return None
        return kpis.shown(self.value - self.previous_value, self.definition)

    @property
    def is_worsening(self) -> bool:
        return (
            self.change is not None
            and self.change != 0
            and not kpis.is_better(self.change, self.definition)
        )

    @property
    def is_year_to_date(self) -> bool:
        return self.period_type == "financial_year_to_date"


def month_ends(month: dt.date, count: int = TREND_MONTHS) -> list[dt.date]:
    return [month_end(add_months(month, -offset)) for offset in range(count - 1, -1, -1)]


def kpi_views(
    conn: duckdb.DuckDBPyConnection,
    org_codes: list[str],
    month: dt.date,
    definitions: list[dict[str, Any]],
) -> dict[tuple[str, str], KpiView]:
    """(org_code, kpi_id) -> the KPI at `month`, with last month and a 12-month trend."""
    ends = month_ends(month)
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
                previous=series[-2],
                trend=[
                    kpis.shown(r["value"], definition) if kpis.status(r) == kpis.OK else None
                    for r in series
                ],
            )
    return views


def family_definitions(definitions: list[dict[str, Any]], family: str) -> list[dict[str, Any]]:
    return [d for d in definitions if d["family"] == family]
