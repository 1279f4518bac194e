"""A small warehouse for the report tests, whose tables are built from the marts' contracts in
the dbt manifest (column names and types exactly as dbt builds them) and the seed's declared
column types, filled with rows written by hand.

Two PCNs of one ICB: U11111 (two practices, clinical extracts, 13 months from September 2025 to
September 2026, counts chosen to hit every branch of the small-number rule) and U22222 (one
practice, public data only, so its clinical KPIs are 'no data'). Values, RAG and the expected
suppressed figures are written here from first principles, never by calling `reports`. A raw
table and the quarantine hold an NHS-number-like string and a pseudonymised patient key, so the
tests can check that neither reaches any output.

Rows are inserted by column name: a fixture column the contract no longer has fails the build,
so a renamed mart column cannot leave the report tests on a stale copy.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from ingestion.duckdb_io import INGESTION_LOG_DDL, QUARANTINE_DDL
from tests.conftest import REPO_ROOT

PCN = "U11111"
PCN_NAME = "TEST VALLEY PCN"
PCN2 = "U22222"
PCN2_NAME = "HILLSIDE PCN"
ICB = "Q99"
ICB_NAME = "NHS TEST ICB"
P1 = "A11111"
P2 = "B22222"
P3 = "C33333"
P1_NAME = "ALPHA SURGERY"
# Text from an input that looks like a formula: must land in every spreadsheet as text.
P2_NAME = '=HYPERLINK("http://example.invalid","BETA")'
P3_NAME = "GAMMA MEDICAL CENTRE"
# Local or ICB assurance: a DES evidence item the PCN or its ICB asks for on top of the DES.
LOCAL = "local_or_icb_assurance"
FORMULA_TEXT = '=HYPERLINK("http://evil.invalid","click me")'
NHS_NUMBER_LIKE = "9434765919"
PATIENT_KEY = "P" + "ABCDEFGHIJKLMNOPABCDEFGHIJ"  # 'P' + 26 letters A-P
ABSOLUTE_INBOX = "/srv/pcnmo/data/inbox/2026-09"
KPIS = ("CA01", "CA02", "CO01", "DA01", "DA03", "PS01")
PUBLIC_KPIS = ("CO01",)  # computed from public data, so held for every PCN
MONTHS = [dt.date(2025, 9, 1)]
while MONTHS[-1] < dt.date(2026, 9, 1):
    last = MONTHS[-1]
    MONTHS.append(dt.date(last.year + last.month // 12, last.month % 12 + 1, 1))
REPORT_MONTH = dt.date(2026, 9, 1)
QUARTER_END = dt.date(2026, 9, 30)
PREVIOUS_QUARTER_END = dt.date(2026, 6, 30)

# (org, kpi, period_id) -> (numerator, denominator): the report quarter's rows, hand-picked.
OVERRIDES = {
    (P1, "CA02", "quarter_2026-09-30"): (3.0, 20.0),  # numerator 1-7 -> '*', value '*'
    (P2, "CA02", "quarter_2026-09-30"): (0.0, 12.0),  # 0 stays 0, 12 -> 10, value 0
    (PCN, "CA02", "quarter_2026-09-30"): (3.0, 32.0),
    (P1, "DA03", "quarter_2026-09-30"): (13.0, 22.0),  # 15 / 20 -> 75%
    (P2, "DA03", "quarter_2026-09-30"): (8.0, 7.0),  # denominator 1-7 -> value '*'
    (PCN, "DA03", "quarter_2026-09-30"): (21.0, 29.0),  # 20 / 30 -> 66.67%
    (PCN, "DA01", "quarter_2026-09-30"): (5.0, 6.0),  # staff: not suppressed
    (P1, "CA01", "financial_year_to_date_2026-09-30"): (4.0, 9.5),
    (P2, "CA01", "financial_year_to_date_2026-09-30"): (50.0, 48.2),
    (PCN, "CA01", "financial_year_to_date_2026-09-30"): (54.0, 57.7),
    (P1, "DA03", "quarter_2026-06-30"): (30.0, 40.0),
    # 20 of 20 SMRs: exactly on target, green (never amber because of rounding).
    (PCN, "CA02", "month_2026-09-30"): (20.0, 20.0),
    # 89.96%: shown as 90.0%, which is amber at an amber line of 90 (the exact figure is red).
    (PCN, "DA03", "month_2026-09-30"): (2249.0, 2500.0),
    # PS01: every alert due in the month closed in time last month, one overdue this month.
    (PCN, "PS01", "month_2026-09-30"): (1.0, 2.0),
    (PCN, "PS01", "month_2026-08-31"): (2.0, 2.0),
}
# (org, kpi, period_id) rows that arrived but had nothing due (a zero denominator).
NOTHING_DUE = {(P1, "PS01", "month_2026-09-30")}
# (org, kpi, period_id) rows whose source is missing.
NO_DATA = {(P2, "DA03", "month_2026-09-30")}
# The monthly activity extract: (practice, month, activity, code, term, events, patients).
ACTIVITY = [
    (P1, "2026-09-01", "structured_medication_review", "1239511000000100", "SMR", 13, 12),
    (P1, "2026-09-01", "high_risk_drug_monitoring_review", "381231000000106", "HRD", 3, 3),
    (P1, "2026-09-01", "medicines_reconciliation", "430193006", "Med rec", 0, 0),
    (P1, "2026-09-01", "deprescribing", "1230001000000105", FORMULA_TEXT, 8, 7),
    (P2, "2026-09-01", "structured_medication_review", "1239511000000100", "SMR", 1234, 1100),
    (P2, "2026-08-01", "structured_medication_review", "1239511000000100", "SMR", 5, 5),
]
# SMR trajectory at the report month, practices: P1 far behind (40%), P2 ahead.
TRAJECTORY = {P1: (24, 60.0), P2: (66, 60.0)}
# CO01 cost per ASTRO-PU at the report month, PCN level: PCN2 is the costlier one.
COST_PER_ASTRO_PU = {PCN: 3.0, PCN2: 3.5}


def month_end(month: dt.date) -> dt.date:
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def manifest() -> dict[str, Any]:
    return json.loads((REPO_ROOT / "dbt_pcnmo" / "target" / "manifest.json").read_text())


def contract_ddl(nodes: dict[str, Any]) -> list[str]:
    """`create table` for every mart with an enforced contract, from its declared columns and
    primary key."""
    statements = []
    for node in nodes.values():
        if node["resource_type"] != "model" or not node["config"].get("contract", {}).get(
            "enforced"
        ):
            continue
        columns = [f'"{c["name"]}" {c["data_type"]}' for c in node["columns"].values()]
        for constraint in node.get("constraints", []):
            if constraint["type"] == "primary_key":
                columns.append(f"primary key ({', '.join(constraint['columns'])})")
        statements.append(f"create table {node['schema']}.{node['name']} ({', '.join(columns)})")
    return statements


def seed_column_types(nodes: dict[str, Any], seed: str) -> dict[str, str]:
    return nodes[f"seed.pcnmo.{seed}"]["config"]["column_types"]


def kpi_definitions() -> list[dict[str, Any]]:
    """The seed rows of KPIS, typed as dbt loads them."""
    types = seed_column_types(manifest()["nodes"], "kpi_definitions")
    frame = pd.read_csv(
        REPO_ROOT / "seeds" / "kpi_definitions.csv", dtype=str, keep_default_na=False
    )
    rows = []
    for record in frame.to_dict("records"):
        if record["kpi_id"] not in KPIS:
            continue
        typed = {}
        for key, text in record.items():
            kind = types.get(key, "varchar")
            if text == "":
                typed[key] = None
            elif kind == "double":
                typed[key] = float(text)
            elif kind == "boolean":
                typed[key] = text.lower() == "true"
            elif kind in {"integer", "bigint"}:
                typed[key] = int(text)
            else:
                typed[key] = text
        rows.append(typed)
    return rows


def periods() -> list[dict[str, Any]]:
    rows = []
    for month in MONTHS:
        fy_start = dt.date(month.year if month.month >= 4 else month.year - 1, 4, 1)
        common = {
            "financial_year": f"{fy_start.year}/{str(fy_start.year + 1)[2:]}",
            "financial_year_start_date": fy_start,
            "quarter_number_in_financial_year": ((month.month - 4) % 12) // 3 + 1,
            "month_number_in_financial_year": (month.month - 4) % 12 + 1,
        }
        end = month_end(month)
        number = common["month_number_in_financial_year"]
        rows.append(
            {
                "period_id": f"month_{end}",
                "period_type": "month",
                "period_start": month,
                "period_end": end,
                "months_in_period": 1,
                "months_with_data": 1,
                "is_complete": True,
                **common,
            }
        )
        rows.append(
            {
                "period_id": f"financial_year_to_date_{end}",
                "period_type": "financial_year_to_date",
                "period_start": fy_start,
                "period_end": end,
                "months_in_period": number,
                "months_with_data": number,
                "is_complete": True,
                **common,
            }
        )
        if number % 3 == 0:
            start = dt.date(end.year, end.month - 2, 1)
            with_data = sum(1 for m in MONTHS if start <= m <= month)
            rows.append(
                {
                    "period_id": f"quarter_{end}",
                    "period_type": "quarter",
                    "period_start": start,
                    "period_end": end,
                    "months_in_period": 3,
                    "months_with_data": with_data,
                    "is_complete": with_data == 3,
                    **common,
                }
            )
    return rows


def rag(value: float | None, green: float | None, amber: float | None, direction: str) -> str:
    if value is None:
        return "no_data"
    if green is None:
        return "no_rag"
    if direction == "higher_is_better":
        return "green" if value >= green else "amber" if value >= amber else "red"
    return "green" if value <= green else "amber" if value <= amber else "red"


SCALE = {"percent": 100.0, "pounds_per_astro_pu": 1.0}
GRAINS = {"financial_year_to_date": "fytd", "month": "month", "quarter": "quarter"}


def _organisations(definition: dict[str, Any]) -> list[tuple[str, str]]:
    if definition["reported_for"] == "pcn":
        orgs = [("pcn", PCN), ("pcn", PCN2)]
    else:
        orgs = [("practice", P1), ("practice", P2), ("pcn", PCN), ("practice", P3), ("pcn", PCN2)]
    return orgs


def _grain_has(grain: str, period_type: str) -> bool:
    if period_type == "financial_year_to_date":
        return grain.endswith("fytd") or grain == "financial_year_to_date"
    return period_type in grain


def kpi_rows() -> list[dict[str, Any]]:
    """Every fct_kpi_values row: generic numbers for most periods, OVERRIDES for the report
    quarter, 'no data' for PCN2's clinical KPIs and the NO_DATA rows, a zero denominator for
    the NOTHING_DUE rows."""
    rows = []
    for index, period in enumerate(periods()):
        period_id, period_type = period["period_id"], period["period_type"]
        for d in kpi_definitions():
            kpi_id = d["kpi_id"]
            if not _grain_has(d["period_grain"], period_type):
                continue
            for org_type, org in _organisations(d):
                key = (org, kpi_id, period_id)
                if kpi_id == "CO01":
                    per_pu = (
                        COST_PER_ASTRO_PU.get(org, 3.2) if period_id == "month_2026-09-30" else None
                    )
                    numerator, denominator = (
                        (400.0 * per_pu if per_pu else 1000.0 + 10 * index),
                        400.0,
                    )
                else:
                    numerator, denominator = 9.0 + index % 5, 12.0 + index % 3
                numerator, denominator = OVERRIDES.get(key, (numerator, denominator))
                status = "ok"
                if key in NO_DATA or (org in {PCN2, P3} and kpi_id not in PUBLIC_KPIS):
                    numerator = denominator = None
                    status = "no data"
                if key in NOTHING_DUE:
                    numerator, denominator = 0.0, 0.0
                value = (
                    SCALE[d["unit"]] * numerator / denominator
                    if numerator is not None and denominator
                    else None
                )
                green, amber = d["rag_green_threshold"], d["rag_amber_threshold"]
                rows.append(
                    {
                        "org_type": org_type,
                        "org_code": org,
                        "period_id": period_id,
                        "kpi_id": kpi_id,
                        "numerator": numerator,
                        "denominator": denominator,
                        "value": value,
                        "unit": d["unit"],
                        "target": green,
                        "rag": rag(value, green, amber, d["direction"]),
                        "direction": d["direction"],
                        "peer_comparator": 3.2 if d.get("peer_comparator") else None,
                        "data_status": status,
                    }
                )
    return rows


def insert_rows(conn: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert dicts by column name (columns the rows leave out stay null); a key the table
    does not have is an error."""
    if not rows:
        return
    columns = [r[0] for r in conn.execute(f"describe {table}").fetchall()]
    unknown = {key for row in rows for key in row} - set(columns)
    if unknown:
        raise KeyError(f"{table} has no column(s) {sorted(unknown)}: update the fixture")
    frame = pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=columns)
    conn.register("fixture_rows", frame.astype(object))
    conn.execute(f"insert into {table} select * from fixture_rows")
    conn.unregister("fixture_rows")


def _trajectory() -> list[dict[str, Any]]:
    rows = []
    for n, month in enumerate(MONTHS[7:], start=1):  # April to September 2026
        year_to_date = sum(10 + k for k in range(1, n + 1))
        rows.append(
            {
                "org_type": "pcn",
                "org_code": PCN,
                "period_id": f"month_{month_end(month)}",
                "reporting_month": month,
                "financial_year": "2026/27",
                "month_number_in_financial_year": n,
                "smrs_in_month": 10 + n,
                "month_target": 12.0,
                "smrs_year_to_date": year_to_date,
                "trajectory_to_date": 12.0 * n,
                "gap_to_trajectory": year_to_date - 12.0 * n,
                "percent_of_trajectory": 100.0 * year_to_date / (12.0 * n),
                "year_end_target": 144.0,
                "forecast_year_end_smrs": 150.0,
                "remaining_smrs_needed": 60.0,
                "months_remaining": 12 - n,
                "pharmacist_wte_needed": 0.5,
                "smrs_per_wte_per_month": 85.0,
            }
        )
    for practice, (year_to_date, trajectory) in TRAJECTORY.items():
        rows.append(
            {
                "org_type": "practice",
                "org_code": practice,
                "period_id": "month_2026-09-30",
                "reporting_month": REPORT_MONTH,
                "financial_year": "2026/27",
                "month_number_in_financial_year": 6,
                "smrs_year_to_date": year_to_date,
                "trajectory_to_date": trajectory,
                "gap_to_trajectory": year_to_date - trajectory,
                "percent_of_trajectory": 100.0 * year_to_date / trajectory,
                "year_end_target": 2 * trajectory,
                "forecast_year_end_smrs": 2.0 * year_to_date,
                "remaining_smrs_needed": 2 * trajectory - year_to_date,
                "months_remaining": 6,
            }
        )
    return rows


def _practice(code: str, name: str, pcn: str, pcn_name: str) -> dict[str, Any]:
    return {
        "practice_code": code,
        "practice_name": name,
        "postcode": "ZZ1 1AB",
        "status_code": "A",
        "is_active": True,
        "open_date": dt.date(1974, 4, 1),
        "prescribing_setting": 4,
        "is_gp_practice": True,
        "pcn_code": pcn,
        "pcn_name": pcn_name,
        "pcn_membership_start_date": dt.date(2019, 7, 1),
        "sub_icb_location_code": "99X",
        "sub_icb_location_name": "SUB ICB",
        "icb_code": ICB,
        "icb_name": ICB_NAME,
        "has_clinical_extracts": pcn == PCN,
        "ods_release_month": REPORT_MONTH,
    }


def _pcn(code: str, name: str, practices: int) -> dict[str, Any]:
    return {
        "pcn_code": code,
        "pcn_name": name,
        "postcode": "ZZ1 1AA",
        "sub_icb_location_code": "99X",
        "sub_icb_location_name": "SUB ICB",
        "icb_name": ICB_NAME,
        "open_date": dt.date(2019, 7, 1),
        "is_open": True,
        "current_practice_count": practices,
        "practices_with_clinical_extracts": practices if code == PCN else 0,
        "has_clinical_extracts": code == PCN,
        "ods_release_month": REPORT_MONTH,
    }


def build(path: Path) -> Path:
    """Write the warehouse to `path` (a new DuckDB file) and return it."""
    nodes = manifest()["nodes"]
    with duckdb.connect(str(path)) as conn:
        for schema in ("marts", "seeds", "pipeline", "raw_clinical"):
            conn.execute(f"create schema {schema}")
        for statement in contract_ddl(nodes):
            conn.execute(statement)
        conn.execute(INGESTION_LOG_DDL)
        conn.execute(QUARANTINE_DDL)
        conn.execute("create table raw_clinical.patients (patient_id varchar, nhs_number varchar)")
        conn.execute(
            "comment on table marts.fct_kpi_values is 'One row per organisation x period x KPI.'"
        )
        conn.execute("comment on column marts.fct_kpi_values.value is 'The KPI value in its unit.'")
        types = seed_column_types(nodes, "kpi_definitions")
        columns = ", ".join(f'"{name}" {kind}' for name, kind in types.items())
        conn.execute(f"create table seeds.kpi_definitions ({columns})")
        insert_rows(conn, "seeds.kpi_definitions", kpi_definitions())
        insert_rows(conn, "marts.dim_periods", periods())
        insert_rows(conn, "marts.dim_pcns", [_pcn(PCN, PCN_NAME, 2), _pcn(PCN2, PCN2_NAME, 1)])
        insert_rows(
            conn,
            "marts.dim_practices",
            [
                _practice(P1, P1_NAME, PCN, PCN_NAME),
                _practice(P2, P2_NAME, PCN, PCN_NAME),
                _practice(P3, P3_NAME, PCN2, PCN2_NAME),
            ],
        )
        insert_rows(conn, "marts.fct_kpi_values", kpi_rows())
        insert_rows(conn, "marts.fct_smr_trajectory", _trajectory())
        evidence = [
            (1, "Named Lead Pharmacist", LOCAL, "met", "5 of 5 supervised.", "DA01"),
            (2, "Scope of practice", LOCAL, "partly_met", "4 of 6.", "DA02"),
            (3, "SNOMED-coded activity extract", "des_requirement", "not_met", FORMULA_TEXT, ""),
        ]
        insert_rows(
            conn,
            "marts.fct_des_evidence_items",
            [
                {
                    "pcn_code": PCN,
                    "period_id": "month_2026-09-30",
                    "item_number": n,
                    "item_name": name,
                    "evidence_basis": basis,
                    "status": status,
                    "evidence": text,
                    "source_kpi_ids": ids,
                }
                for n, name, basis, status, text, ids in evidence
            ],
        )
        insert_rows(
            conn,
            "marts.fct_coded_activity_monthly",
            [
                {
                    "practice_code": p,
                    "pcn_code": PCN,
                    "month_start_date": dt.date.fromisoformat(m),
                    "activity": a,
                    "snomed_code": c,
                    "snomed_term": t,
                    "event_count": e,
                    "patient_count": n,
                }
                for p, m, a, c, t, e, n in ACTIVITY
            ],
        )
        alert = {
            "pcn_code": PCN,
            "alert_reference": "MHRA-1",
            "alert_title": "Recall",
            "alert_class": "MHRA Class 2",
            "received_date": dt.date(2026, 8, 3),
            "deadline_date": dt.date(2026, 8, 5),
            "triage_outcome": "applicable",
        }
        insert_rows(
            conn,
            "marts.fct_safety_alerts",
            [
                {
                    **alert,
                    "practice_code": P1,
                    "closed_date": dt.date(2026, 8, 4),
                    "status": "closed_in_window",
                    "days_to_close": 1,
                    "days_past_window": 0,
                },
                # Open at P2 past its deadline: 56 days overdue at 30 September.
                {
                    **alert,
                    "practice_code": P2,
                    "status": "open_past_window",
                    "days_past_window": 56,
                },
            ],
        )
        insert_rows(
            conn,
            "marts.fct_significant_event_themes",
            [
                {
                    "pcn_code": PCN,
                    "period_id": "quarter_2026-09-30",
                    "theme": theme,
                    "events_raised": raised,
                    "events_completed": done,
                    "events_open": open_,
                }
                for theme, raised, done, open_ in (
                    ("prescribing_error", 3, 2, 1),
                    ("communication", 9, 8, 1),
                )
            ],
        )
        insert_rows(
            conn,
            "marts.fct_pincer_hazards_monthly",
            [
                {
                    "practice_code": P1,
                    "pcn_code": PCN,
                    "month_start_date": REPORT_MONTH,
                    "indicator": "AC",
                    "denominator_patients": 40,
                    "hazard_patients": 5,
                    "actioned_patients": 2,
                }
            ],
        )
        cost = []
        for code, org_type, per_pu in (
            (PCN, "pcn", 3.0),
            (PCN2, "pcn", 3.5),
            (P1, "practice", 2.9),
            (P2, "practice", 3.1),
            (P3, "practice", 3.5),
        ):
            for period_id in ("month_2026-09-30", "quarter_2026-09-30"):
                pus = 40000.0 if period_id.startswith("quarter") else 13333.0
                cost.append(
                    {
                        "org_type": org_type,
                        "org_code": code,
                        "period_id": period_id,
                        "actual_cost": per_pu * pus,
                        "astro_pu_cost": pus,
                        "cost_per_astro_pu": per_pu,
                        "icb_code": ICB,
                        "peer_median_cost_per_astro_pu": 3.25,
                        "peer_percentile": 40.0 if per_pu < 3.25 else 90.0,
                        "saving_at_peer_median_pounds": max(0.0, (per_pu - 3.25) * pus),
                    }
                )
        cost[0]["actual_cost"] = 123456.78  # wider than a default column: must not show ###
        insert_rows(conn, "marts.fct_prescribing_cost", cost)
        loaded_at = dt.datetime(2026, 10, 5, 9, 0)
        log = {
            "month": REPORT_MONTH,
            "rows_in": 0,
            "rows_loaded": 0,
            "rows_quarantined": 0,
            "rows_out_of_scope": 0,
            "loaded_at": loaded_at,
        }
        insert_rows(
            conn,
            "pipeline.ingestion_log",
            [
                {
                    **log,
                    "source": "clinical",
                    "table_name": "events",
                    "file_name": f"EMIS_{P1}_events_202609.csv",
                    "dialect": "emis",
                    "checksum_sha256": "abc",
                    "status": "loaded",
                    "rows_in": 100,
                    "rows_loaded": 98,
                    "rows_quarantined": 2,
                    "message": "",
                },
                {
                    **log,
                    "source": "local",
                    "table_name": "supervision_log",
                    "file_name": "supervision_log.csv",
                    "status": "missing",
                    "message": f"no file for 2026-09 in {ABSOLUTE_INBOX} "
                    "(expected supervision_log_U11111_202609.xlsx)",
                },
                # Delivered last in July: two months behind the report.
                {
                    **log,
                    "month": dt.date(2026, 7, 1),
                    "source": "nhsbsa",
                    "table_name": "prescriptions",
                    "file_name": "epd_202607.csv",
                    "status": "loaded",
                    "rows_in": 10,
                    "rows_loaded": 10,
                },
            ],
        )
        insert_rows(
            conn,
            "pipeline.quarantine",
            [
                {
                    "source": "clinical",
                    "table_name": "events",
                    "month": REPORT_MONTH,
                    "file_name": f"EMIS_{P1}_events_202609.csv",
                    "row_number": 4,
                    "column_names": "NHS Number",
                    "reason": f"NHS Number '{NHS_NUMBER_LIKE}' fails the modulus-11 check",
                    "record_json": json.dumps(
                        {"NHS Number": NHS_NUMBER_LIKE, "patient": PATIENT_KEY}
                    ),
                    "quarantined_at": loaded_at,
                }
            ],
        )
        conn.execute(
            "insert into raw_clinical.patients values (?, ?)", [PATIENT_KEY, NHS_NUMBER_LIKE]
        )
    return path
