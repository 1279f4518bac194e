"""This month's priorities for the front page, and why the month is provisional.

Priorities: the three to five things to act on, ranked safety first (an alert still open past
its deadline at the month end, then a red prescribing-safety KPI), then by distance from target
(a practice far behind its SMR trajectory, a red KPI), then by how much worse the figure got
since last month. Each names the practice, the figure and the next step. At most two items of
one kind (alerts, trajectory, each KPI family) make the box, so one bad family cannot crowd out
everything else; what is left out is still on the sheets behind.

Provisional: a check failed for the month, a source's file for the month is missing or was
rejected, or a source's latest delivered month is behind the report month.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb

from pcnmo.calendar import month_end
from reports import kpis
from reports import warehouse as wh
from reports.dashboard.views import KpiView
from reports.names import long_date, source_table

MAX_ITEMS = 5
MAX_PER_KIND = 2
SAFETY, DELIVERY = 0, 1
# The next step for a KPI that is off target. Kept beside the ranking rather than in the KPI
# seed because it is advice for this box only.
NEXT_STEPS = {
    "CA01": "add SMR sessions to get back on the trajectory",
    "CA02": "add SMR sessions this month",
    "CA03": "recall the patients whose monitoring bloods are overdue",
    "CA04": "reconcile the discharge letters still waiting",
    "CA05": "review recent SMRs for medicines that could be stopped",
    "CA06": "check the hypertension clinic is running and book sessions",
    "CA07": "check the type 2 diabetes clinic is running and book sessions",
    "CA08": "check the lipids clinic is running and book sessions",
    "CA09": "check the respiratory clinic is running and book sessions",
    "PS01": "close the open alerts and record the action in the alert log",
    "PS02": "close the open alerts and record the action in the alert log",
    "PS03": "work the open PINCER hazards with the practice",
    "PS04": "remind the team to raise SEAs for prescribing incidents",
    "PS05": "complete the SEAs open for more than 90 days",
    "PS06": "remind the team to report prescribing safety incidents",
    "PS07": "review the harm incidents at the next safety meeting",
    "PS08": "plan the safety culture audit",
    "CO01": "review the highest-cost areas against the ICB median",
    "CO02": "review the highest-cost areas against the ICB median",
    "CO03": "remind prescribers of the formulary first-line choices",
    "CO04": "catch up the switch programme against its schedule",
    "DA01": "book the overdue supervision sessions",
    "DA02": "renew the lapsed scopes of practice",
}
COHORT_NEXT_STEP = "invite the cohort's patients for SMRs"


@dataclass(frozen=True)
class Priority:
    tier: int  # SAFETY or DELIVERY
    kind: str  # 'alert', 'trajectory' or the KPI family
    distance: float  # how far from target, relative (0 on target)
    worsening: float  # how much worse than last month, relative (0 not worse)
    org_code: str
    org_name: str
    finding: str
    next_step: str

    @property
    def text(self) -> str:
        return f"{self.org_name} ({self.org_code}): {self.finding}. Next step: {self.next_step}."


def overdue_alert_priorities(
    conn: duckdb.DuckDBPyConnection, org: wh.Organisation, month: dt.date
) -> list[Priority]:
    """One item per practice with an alert still open past its deadline at the month end."""
    last_day = month_end(month)
    rows = wh.records(
        conn,
        """
        select practice_code, alert_reference, alert_class, deadline_date,
            date_diff('day', deadline_date, ?::date) as days_overdue
        from marts.fct_safety_alerts
        where pcn_code = ? and status <> 'not_applicable'
            and received_date <= ? and deadline_date < ?
            and (closed_date is null or closed_date > ?)
        order by practice_code, days_overdue desc, alert_reference
        """,
        [last_day, org.pcn_code, last_day, last_day, last_day],
    )
    by_practice: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_practice.setdefault(row["practice_code"], []).append(row)
    items = []
    for practice, alerts in by_practice.items():
        worst = alerts[0]
        more = f" and {len(alerts) - 1} more" if len(alerts) > 1 else ""
        items.append(
            Priority(
                tier=SAFETY,
                kind="alert",
                # Alerts rank above every KPI: a day overdue is further off than any ratio.
                distance=1000.0 + worst["days_overdue"],
                worsening=0.0,
                org_code=practice,
                org_name=org.name_of(practice),
                finding=(
                    f"{worst['alert_class']} alert {worst['alert_reference']}{more} still open "
                    f"{worst['days_overdue']} days past its deadline of "
                    f"{long_date(worst['deadline_date'])}"
                ),
                next_step="close it today and record the action taken in the alert log",
            )
        )
    return items


def trajectory_priorities(
    conn: duckdb.DuckDBPyConnection,
    org: wh.Organisation,
    month: dt.date,
    definitions: dict[str, dict[str, Any]],
) -> list[Priority]:
    """Practices whose SMRs year to date are below the amber line of CA01 (per cent of the
    straight-line trajectory)."""
    ca01 = definitions.get("CA01")
    if not ca01 or ca01.get("rag_amber_threshold") in (None, ""):
        return []
    amber = float(ca01["rag_amber_threshold"])
    rows = wh.records(
        conn,
        """
        select trajectory.org_code, trajectory.smrs_year_to_date, trajectory.trajectory_to_date,
            trajectory.percent_of_trajectory, trajectory.remaining_smrs_needed,
            trajectory.months_remaining
        from marts.fct_smr_trajectory as trajectory
        inner join marts.dim_practices as practices
            on trajectory.org_code = practices.practice_code
        where trajectory.org_type = 'practice' and practices.pcn_code = ?
            and trajectory.reporting_month = ? and trajectory.percent_of_trajectory < ?
        order by trajectory.percent_of_trajectory, trajectory.org_code
        """,
        [org.pcn_code, month, amber],
    )
    items = []
    for row in rows:
        percent = round(row["percent_of_trajectory"])
        still = row["remaining_smrs_needed"] or 0
        months = row["months_remaining"] or 0
        step = (
            f"agree extra SMR sessions with the practice: {still:,.0f} SMRs still needed "
            f"in the {months} months left"
            if months
            else "agree with the practice why the year's SMR target was missed"
        )
        items.append(
            Priority(
                tier=DELIVERY,
                kind="trajectory",
                distance=1 - row["percent_of_trajectory"] / 100,
                worsening=0.0,
                org_code=row["org_code"],
                org_name=org.name_of(row["org_code"]),
                finding=(
                    f"{row['smrs_year_to_date']:,} SMRs year to date against a trajectory of "
                    f"{row['trajectory_to_date']:,.0f} ({percent}% of it)"
                ),
                next_step=step,
            )
        )
    return items


def _scale(definition: dict[str, Any]) -> float:
    for key in ("rag_green_threshold", "rag_amber_threshold"):
        value = definition.get(key)
        if value not in (None, "") and float(value) != 0:
            return abs(float(value))
    return 1.0


def kpi_priorities(
    org: wh.Organisation, views: dict[tuple[str, str], KpiView], definitions: list[dict[str, Any]]
) -> list[Priority]:
    """PCN KPIs that are red, or amber and getting worse, each naming its furthest-off
    practice (the PCN itself for a KPI reported for the PCN only)."""
    items = []
    for definition in definitions:
        kpi_id = definition["kpi_id"]
        view = views[(org.pcn_code, kpi_id)]
        if view.rag != "red" and not (view.rag == "amber" and view.is_worsening):
            continue
        target = view.target if view.target is not None else _threshold(definition)
        scale = _scale(definition)
        distance = abs(view.value - target) / scale if target is not None else 0.0
        worsening = abs(view.change) / scale if view.is_worsening else 0.0
        practices = [views[(code, kpi_id)] for code, _ in org.practices if (code, kpi_id) in views]
        practices = [p for p in practices if p.value is not None]
        worst_code = org.pcn_code
        practice_note = ""
        if definition.get("reported_for") != "pcn" and practices:
            worst = min(
                practices,
                key=lambda p: p.value if definition["direction"] != "lower_is_better" else -p.value,
            )
            worst_code = next(
                code for code, _ in org.practices if views.get((code, kpi_id)) is worst
            )
            practice_note = f"; PCN {kpis.value_text(view.value, definition)}"
        shown_value = views[(worst_code, kpi_id)].value
        trend = ""
        if view.change is not None and view.change != 0:
            direction = "worse" if view.is_worsening else "better"
            trend = f", {kpis.difference_text(view.change, definition)} {direction} than last month"
        target_text = (
            f" against a target of {kpis.value_text(target, definition)}"
            if target is not None
            else ""
        )
        step = NEXT_STEPS.get(kpi_id, COHORT_NEXT_STEP if kpi_id.startswith("DA") else "")
        items.append(
            Priority(
                tier=SAFETY if definition["family"] == "prescribing_safety" else DELIVERY,
                kind=definition["family"],
                distance=distance,
                worsening=worsening,
                org_code=worst_code,
                org_name=org.name_of(worst_code),
                finding=(
                    f"{kpis.label(definition)} {kpis.value_text(shown_value, definition)}"
                    f"{target_text}{practice_note}{trend}"
                ),
                next_step=step or "agree an action with the practice",
            )
        )
    return items


def _threshold(definition: dict[str, Any]) -> float | None:
    value = definition.get("rag_green_threshold")
    return None if value in (None, "") else float(value)


def rank(items: list[Priority]) -> list[Priority]:
    """Safety first, then the furthest from target, then the most worsened; at most
    MAX_PER_KIND of a kind and MAX_ITEMS in all."""
    chosen: list[Priority] = []
    per_kind: dict[str, int] = {}
    for item in sorted(items, key=lambda p: (p.tier, -p.distance, -p.worsening, p.org_code)):
        if per_kind.get(item.kind, 0) >= MAX_PER_KIND:
            continue
        per_kind[item.kind] = per_kind.get(item.kind, 0) + 1
        chosen.append(item)
        if len(chosen) == MAX_ITEMS:
            break
    return chosen


def priorities(
    conn: duckdb.DuckDBPyConnection,
    org: wh.Organisation,
    month: dt.date,
    definitions: list[dict[str, Any]],
    views: dict[tuple[str, str], KpiView],
) -> list[Priority]:
    by_id = {d["kpi_id"]: d for d in definitions}
    return rank(
        overdue_alert_priorities(conn, org, month)
        + trajectory_priorities(conn, org, month, by_id)
        + kpi_priorities(org, views, definitions)
    )


def provisional_reasons(
    conn: duckdb.DuckDBPyConnection, month: dt.date, checks: list[dict[str, Any]]
) -> list[str]:
    """Why the month's figures may still change; empty when they should not."""
    reasons = []
    failing = [c for c in checks if c.get("passed") is False]
    if failing:
        names = sorted({f"{c['asset']} {c['check']}" for c in failing})
        shown = "; ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        reasons.append(f"{len(failing)} data-quality checks failed ({shown})")
    problems = wh.records(
        conn,
        """
        select source, table_name, status
        from pipeline.ingestion_log
        where month = ? and status in ('missing', 'rejected')
        group by all
        order by status, source, table_name
        """,
        [month],
    )
    for status in ("missing", "rejected"):
        tables = [
            source_table(p["source"], p["table_name"]) for p in problems if p["status"] == status
        ]
        if tables:
            word = "no file delivered" if status == "missing" else "file rejected"
            reasons.append(f"{word} for {', '.join(tables)}")
    late = wh.records(
        conn,
        """
        select source, table_name, max(month) filter (where status = 'loaded') as latest
        from pipeline.ingestion_log
        where month <= ?
        group by all
        having max(month) filter (where status = 'loaded') < ?
            and count(*) filter (where month = ?) = 0
        order by source, table_name
        """,
        [month, month, month],
    )
    if late:
        listed = ", ".join(
            f"{source_table(r['source'], r['table_name'])} (latest {r['latest']:%B %Y})"
            for r in late
        )
        reasons.append(f"late: {listed}")
    return reasons
