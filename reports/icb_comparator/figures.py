"""The comparator's figures: every PCN of one ICB (and their practices) on every KPI the
warehouse holds for them, suppressed as for the ICB return, with rank, ICB median and a RAG
decided on the figure as shown.

Rank: 1 is best in the KPI's direction; PCNs with equal shown figures share a rank; a PCN with
no figure (no data, nothing due, suppressed) has no rank. ICB median: the median of the PCNs'
shown figures (the middle one, or the mean of the middle two).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import Any

import duckdb

from reports import kpis
from reports import warehouse as wh
from reports.icb_return.rows import shared_figure
from reports.suppression import Shown


@dataclass(frozen=True)
class Period:
    period_type: str  # 'month' or 'quarter'
    end: dt.date
    label: str  # 'September 2026' or '2026/27 Q2'
    slug: str  # '2026-09' or '2026-27-Q2'

    @property
    def preference(self) -> tuple[str, ...]:
        return wh.HEADLINE_PERIOD_TYPES if self.period_type == "month" else wh.QUARTER_PERIOD_TYPES


@dataclass(frozen=True)
class Pcn:
    code: str
    name: str
    practices: list[tuple[str, str]]
    has_clinical_extracts: bool


@dataclass(frozen=True)
class Figure:
    """One organisation's KPI as the comparator shows it."""

    org_code: str
    definition: dict[str, Any]
    status: str
    numerator: Shown
    denominator: Shown
    value: Shown
    rag: str
    rank: int | None = None

    @property
    def is_number(self) -> bool:
        return isinstance(self.value, int | float)


@dataclass(frozen=True)
class Icb:
    code: str
    name: str
    pcns: list[Pcn]

    def name_of(self, code: str) -> str:
        for pcn in self.pcns:
            if pcn.code == code:
                return wh.display_name(pcn.name)
            for practice, name in pcn.practices:
                if practice == code:
                    return wh.display_name(name)
        return code


def icb(conn: duckdb.DuckDBPyConnection, icb_code: str) -> Icb:
    """The ICB's open PCNs (a PCN belongs to the ICB most of its practices sit in) and their
    current practices."""
    rows = wh.records(
        conn,
        """
        with membership as (
            select pcn_code, icb_code, any_value(icb_name) as icb_name, count(*) as practices,
                row_number() over (partition by pcn_code order by count(*) desc, icb_code) as pick
            from marts.dim_practices
            where is_gp_practice and pcn_code is not null and icb_code is not null
            group by pcn_code, icb_code
        )
        select pcns.pcn_code, pcns.pcn_name, pcns.has_clinical_extracts, membership.icb_name
        from membership
        inner join marts.dim_pcns as pcns on membership.pcn_code = pcns.pcn_code
        where membership.pick = 1 and membership.icb_code = ? and pcns.is_open
        order by pcns.pcn_code
        """,
        [icb_code],
    )
    pcns = [
        Pcn(
            code=r["pcn_code"],
            name=r["pcn_name"] or r["pcn_code"],
            practices=wh.organisation(conn, r["pcn_code"]).practices,
            has_clinical_extracts=bool(r["has_clinical_extracts"]),
        )
        for r in rows
    ]
    name = rows[0]["icb_name"] if rows else icb_code
    return Icb(code=icb_code, name=name or icb_code, pcns=pcns)


def figure(row: dict[str, Any] | None, definition: dict[str, Any], org_code: str) -> Figure:
    """The row as the return would show it (suppressed, rounded, RAG on the shown value)."""
    shared = shared_figure(row, definition)
    return Figure(
        org_code,
        definition,
        shared.status,
        shared.numerator,
        shared.denominator,
        shared.value,
        shared.rag,
    )


def ranked(figures: list[Figure]) -> list[Figure]:
    """The figures with their ranks (1 best in the KPI's direction; ties share a rank)."""
    numbers = [f for f in figures if f.is_number]
    if not numbers:
        return figures
    lower = numbers[0].definition.get("direction") == "lower_is_better"
    ordered = sorted({float(f.value) for f in numbers}, reverse=not lower)  # type: ignore[arg-type]
    position = {}
    seen = 0
    for value in ordered:
        position[value] = seen + 1
        seen += sum(1 for f in numbers if float(f.value) == value)  # type: ignore[arg-type]
    return [
        Figure(**{**f.__dict__, "rank": position[float(f.value)]}) if f.is_number else f  # type: ignore[arg-type]
        for f in figures
    ]


def median(figures: list[Figure]) -> float | None:
    numbers = [float(f.value) for f in figures if f.is_number]  # type: ignore[arg-type]
    if not numbers:
        return None
    return kpis.shown(statistics.median(numbers), figures[0].definition)


def kpi_figures(
    conn: duckdb.DuckDBPyConnection,
    org_codes: list[str],
    period: Period,
    definitions: list[dict[str, Any]],
) -> dict[tuple[str, str], Figure]:
    """(org_code, kpi_id) -> figure, for every organisation and KPI."""
    index = wh.index_kpi_values(
        wh.kpi_values(conn, org_codes, period.preference, period.end, period.end)
    )
    figures = {}
    for definition in definitions:
        kpi_id = definition["kpi_id"]
        for code in org_codes:
            period_type = wh.headline_period_type(
                index, code, kpi_id, period.end, period.preference
            )
            figures[(code, kpi_id)] = figure(
                index.get((code, kpi_id, period_type, period.end)), definition, code
            )
    return figures


def pcn_league(
    figures: dict[tuple[str, str], Figure], the_icb: Icb, definition: dict[str, Any]
) -> list[Figure]:
    """The ICB's PCNs on one KPI, ranked, best first; PCNs without a figure last."""
    rows = ranked([figures[(p.code, definition["kpi_id"])] for p in the_icb.pcns])
    return sorted(rows, key=lambda f: (f.rank is None, f.rank or 0, f.org_code))
