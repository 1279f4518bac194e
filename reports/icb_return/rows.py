"""The return's figures: every KPI of the PCN and its practices for the quarter, suppressed, with
the RAG decided on the figure as shown (after suppression and rounding), so no shown figure
contradicts its colour. A suppressed figure's RAG is withheld, since a RAG on a tiny
denominator discloses almost as much as the value."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb

from pcnmo.calendar import add_months, month_end
from reports import kpis
from reports import warehouse as wh
from reports.suppression import SUPPRESSED, Shown, suppress_kpi

WITHHELD = "withheld"


@dataclass(frozen=True)
class ReturnRow:
    """One KPI of one organisation for the quarter, as the return shows it."""

    org_type: str
    org_code: str
    org_name: str
    definition: dict[str, Any]
    period_type: str
    period_id: str
    status: str  # kpis.OK, kpis.NOTHING_DUE or kpis.NO_DATA
    numerator: Shown
    denominator: Shown
    value: Shown  # rounded to the KPI's shown precision, or '*'
    target: float | None
    target_basis: str
    rag: str  # from the shown value; WITHHELD when the value is suppressed
    suppressed: bool
    previous_value: Shown

    @property
    def kpi_id(self) -> str:
        return self.definition["kpi_id"]

    @property
    def change(self) -> float | None:
        if not isinstance(self.value, int | float) or not isinstance(
            self.previous_value, int | float
        ):
            return None
        return kpis.shown(self.value - self.previous_value, self.definition)

    @property
    def distance(self) -> float:
        """How far the shown value is from its target, relative to the target's size."""
        if not isinstance(self.value, int | float):
            return 0.0
        reference = self.target
        if reference is None:
            green = self.definition.get("rag_green_threshold")
            reference = None if green in (None, "") else float(green)
        if reference is None:
            return 0.0
        scale = abs(reference) or 1.0
        return abs(self.value - reference) / scale


@dataclass(frozen=True)
class SharedFigure:
    """A KPI row as an output that leaves the PCN shows it."""

    status: str
    numerator: Shown
    denominator: Shown
    value: Shown  # rounded to the KPI's shown precision, '*', or None
    rag: str  # from the shown value; WITHHELD when suppressed; the status when empty
    suppressed: bool


def _rounded(value: Shown, definition: dict[str, Any]) -> Shown:
    return kpis.shown(value, definition) if isinstance(value, int | float) else value


def shared_figure(row: dict[str, Any] | None, definition: dict[str, Any]) -> SharedFigure:
    """Suppress the row's figures, round the value to its shown precision and decide the RAG
    on that."""
    status = kpis.status(row)
    ok = status == kpis.OK
    shown = suppress_kpi(
        row["numerator"] if ok else None,
        row["denominator"] if ok else None,
        row["value"] if ok else None,
        definition["unit"],
        apply=kpis.is_suppressed_kpi(definition),
    )
    value = _rounded(shown.value, definition)
    if value == SUPPRESSED:
        rag = WITHHELD
    elif not isinstance(value, int | float):
        status = status if status != kpis.OK else kpis.NOTHING_DUE
        rag = status
    else:
        rag = kpis.rag(value, definition)
    return SharedFigure(status, shown.numerator, shown.denominator, value, rag, shown.suppressed)


def quarter_rows(
    conn: duckdb.DuckDBPyConnection, org: wh.Organisation, quarter_end: dt.date
) -> list[ReturnRow]:
    """Every KPI of the PCN and its practices for the quarter (a KPI reported only year to date
    gives its year to date at the quarter end), suppressed, with the previous quarter."""
    definitions = wh.kpi_definitions(conn)
    codes = [org.pcn_code, *(code for code, _ in org.practices)]
    previous_end = month_end(add_months(quarter_end.replace(day=1), -3))
    index = wh.index_kpi_values(
        wh.kpi_values(conn, codes, wh.QUARTER_PERIOD_TYPES, previous_end, quarter_end)
    )
    rows = []
    for code in codes:
        for definition in definitions:
            kpi_id = definition["kpi_id"]
            period_type = wh.headline_period_type(
                index, code, kpi_id, quarter_end, wh.QUARTER_PERIOD_TYPES
            )
            row = index.get((code, kpi_id, period_type, quarter_end))
            if row is None:
                continue
            figure = shared_figure(row, definition)
            previous = shared_figure(
                index.get((code, kpi_id, period_type, previous_end)), definition
            )
            rows.append(
                ReturnRow(
                    org_type="pcn" if code == org.pcn_code else "practice",
                    org_code=code,
                    org_name=org.name_of(code),
                    definition=definition,
                    period_type=period_type,
                    period_id=row["period_id"],
                    status=figure.status,
                    numerator=figure.numerator,
                    denominator=figure.denominator,
                    value=figure.value,
                    target=kpis.shown(row["target"], definition),
                    target_basis=kpis.target_basis(row),
                    rag=figure.rag,
                    suppressed=figure.suppressed,
                    previous_value=previous.value if previous.status == kpis.OK else None,
                )
            )
    return rows
