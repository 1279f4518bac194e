"""Reading the marts for the reports: plain queries returning plain Python records.

Every report reads only the marts, the seeds the marts need (kpi_definitions) and the pipeline
log (ingestion_log, quarantine counts); nothing here reads a patient-level table. Callers pass
a DuckDB connection; `connect_read_only` opens one that cannot write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

# Where a KPI is reported monthly and cumulatively, the dashboard shows the month; a KPI
# reported only cumulatively (CA01 year to date, PS08 annual audit) shows its year to date.
HEADLINE_PERIOD_TYPES = ("month", "financial_year_to_date")
QUARTER_PERIOD_TYPES = ("quarter", "financial_year_to_date")


def connect_read_only(database: Path | str) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(database), read_only=True)


def records(
    conn: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None
) -> list[dict[str, Any]]:
    """Rows as dicts. (`fetchall`, never `fetchone`: see stack notes on DuckDB 2.0.)"""
    cursor = conn.execute(sql, list(params or []))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dataclass(frozen=True)
class Organisation:
    pcn_code: str
    pcn_name: str
    icb_name: str
    practices: list[tuple[str, str]]  # (code, name), current members in dim_practices

    def name_of(self, code: str) -> str:
        """The practice's or PCN's name, title case as people write it."""
        if code == self.pcn_code:
            return display_name(self.pcn_name)
        return display_name(dict(self.practices).get(code, code))


def display_name(name: str | None) -> str:
    """ODS names are upper case ("THE VALLEY SURGERY"); reports print them in title case, with
    the short words people write in lower case, and 'PCN' and initialisms kept."""
    if not name:
        return ""
    small = {"and", "of", "the", "on", "in", "at", "by", "for", "upon"}
    words = []
    for index, word in enumerate(name.split()):
        lower = word.lower()
        if index and lower in small:
            words.append(lower)
        elif any(char.isdigit() for char in word):
            words.append(word)
        elif lower in {"pcn", "icb", "nhs", "gp"}:
            words.append(word.upper())
        else:
            words.append(word[:1].upper() + word[1:].lower())
    return " ".join(words)


def organisation(conn: duckdb.DuckDBPyConnection, pcn_code: str) -> Organisation:
    pcn = records(conn, "select * from marts.dim_pcns where pcn_code = ?", [pcn_code])
    practices = records(
        conn,
        """
        select practice_code, practice_name from marts.dim_practices
        where pcn_code = ? and is_gp_practice
        order by practice_code
        """,
        [pcn_code],
    )
    return Organisation(
        pcn_code=pcn_code,
        pcn_name=pcn[0]["pcn_name"] if pcn else pcn_code,
        icb_name=(pcn[0].get("icb_name") or "") if pcn else "",
        practices=[(p["practice_code"], p["practice_name"] or "") for p in practices],
    )


def pcn_icb(conn: duckdb.DuckDBPyConnection, pcn_code: str) -> tuple[str, str] | None:
    """(ICB code, ICB name) of a PCN: the ICB most of its current practices sit in."""
    rows = conn.execute(
        """
        select icb_code, any_value(icb_name) as icb_name
        from marts.dim_practices
        where pcn_code = ? and is_gp_practice and icb_code is not null
        group by icb_code
        order by count(*) desc, icb_code
        limit 1
        """,
        [pcn_code],
    ).fetchall()
    return (rows[0][0], rows[0][1] or rows[0][0]) if rows else None


def report_icbs(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """ICBs the comparator is produced for: those holding a PCN the reports are produced for."""
    icbs = {pcn_icb(conn, pcn_code) for pcn_code in report_pcns(conn)}
    return sorted(icb[0] for icb in icbs if icb)


def report_pcns(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """PCNs the reports are produced for: those whose practices deliver clinical extracts."""
    rows = conn.execute(
        "select pcn_code from marts.dim_pcns where has_clinical_extracts order by pcn_code"
    ).fetchall()
    return [r[0] for r in rows]


def latest_month(conn: duckdb.DuckDBPyConnection) -> dt.date | None:
    rows = conn.execute(
        "select max(period_start) from marts.dim_periods where period_type = 'month'"
    ).fetchall()
    return rows[0][0]


def kpi_definitions(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return records(conn, "select * from seeds.kpi_definitions order by kpi_id")


def kpi_values(
    conn: duckdb.DuckDBPyConnection,
    org_codes: Sequence[str],
    period_types: Sequence[str],
    first_end: dt.date,
    last_end: dt.date,
) -> list[dict[str, Any]]:
    """KPI rows of the organisations for periods of the given types ending in the range."""
    return records(
        conn,
        """
        select
            kpi_values.*,
            periods.period_type,
            periods.period_start,
            periods.period_end
        from marts.fct_kpi_values as kpi_values
        inner join marts.dim_periods as periods
            on kpi_values.period_id = periods.period_id
        where
            kpi_values.org_code in (select unnest(?::varchar[]))
            and periods.period_type in (select unnest(?::varchar[]))
            and periods.period_end between ? and ?
        """,
        [list(org_codes), list(period_types), first_end, last_end],
    )


def index_kpi_values(
    rows: list[dict[str, Any]],
) -> dict[tuple[str, str, str, dt.date], dict[str, Any]]:
    """(org_code, kpi_id, period_type, period_end) -> row."""
    return {(r["org_code"], r["kpi_id"], r["period_type"], r["period_end"]): r for r in rows}


def headline_period_type(
    index: dict[tuple[str, str, str, dt.date], dict[str, Any]],
    org_code: str,
    kpi_id: str,
    period_end: dt.date,
    preference: Sequence[str] = HEADLINE_PERIOD_TYPES,
) -> str:
    """The first period type of `preference` the KPI has a row for at `period_end`."""
    for period_type in preference:
        if (org_code, kpi_id, period_type, period_end) in index:
            return period_type
    return preference[0]
