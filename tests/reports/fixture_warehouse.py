"""A small warehouse written by hand for the report tests: the mart tables of schemas.md with
one PCN (U11111), two practices, 13 months (September 2025 to September 2026) and counts
chosen to hit every branch of the small-number rule (0, 1-7, 8 and more).

Values, RAG and the expected suppressed figures are written here from first principles, never
by calling `reports`. A raw table and the quarantine hold an NHS-number-like string and a
pseudonymised patient key, so the tests can check that neither reaches any output.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from tests.conftest import REPO_ROOT

PCN = "U11111"
PCN_NAME = "TEST VALLEY PCN"
P1 = "A11111"
P2 = "B22222"
P1_NAME = "ALPHA SURGERY"
# Text from an input that looks like a formula: must land in every spreadsheet as text.
P2_NAME = '=HYPERLINK("http://example.invalid","BETA")'
FORMULA_TEXT = '=HYPERLINK("http://evil.invalid","click me")'
NHS_NUMBER_LIKE = "9434765919"
PATIENT_KEY = "P" + "ABCDEFGHIJKLMNOPABCDEFGHIJ"  # 'P' + 26 letters A-P
KPIS = ("CA01", "CA02", "CO01", "DA01", "DA03", "PS01")
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
}
# The monthly activity extract: (practice, month, activity, code, term, events, patients).
ACTIVITY = [
    (P1, "2026-09-01", "structured_medication_review", "1239511000000100", "SMR", 13, 12),
    (P1, "2026-09-01", "high_risk_drug_monitoring_review", "381231000000106", "HRD", 3, 3),
    (P1, "2026-09-01", "medicines_reconciliation", "430193006", "Med rec", 0, 0),
    (P1, "2026-09-01", "deprescribing", "1230001000000105", FORMULA_TEXT, 8, 7),
    (P2, "2026-09-01", "structured_medication_review", "1239511000000100", "SMR", 1234, 1100),
    (P2, "2026-08-01", "structured_medication_review", "1239511000000100", "SMR", 5, 5),
]


def month_end(month: dt.date) -> dt.date:
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def kpi_definitions() -> list[dict[str, str]]:
    with (REPO_ROOT / "seeds" / "kpi_definitions.csv").open(encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if row["kpi_id"] in KPIS]


def periods() -> list[tuple]:
    rows = []
    for month in MONTHS:
        fy_start = dt.date(month.year if month.month >= 4 else month.year - 1, 4, 1)
        fy = f"{fy_start.year}/{str(fy_start.year + 1)[2:]}"
        month_number = (month.month - 4) % 12 + 1
        quarter_number = (month_number - 1) // 3 + 1
        end = month_end(month)
        rows.append(
            (
                f"month_{end}",
                "month",
                month,
                end,
                fy,
                fy_start,
                quarter_number,
                month_number,
                1,
                1,
                True,
            )
        )
        rows.append(
            (
                f"financial_year_to_date_{end}",
                "financial_year_to_date",
                fy_start,
                end,
                fy,
                fy_start,
                quarter_number,
                month_number,
                month_number,
                min(month_number, 13),
                True,
            )
        )
        if month_number % 3 == 0:
            start = dt.date(end.year, end.month - 2, 1)
            with_data = sum(1 for m in MONTHS if start <= m <= month)
            rows.append(
                (
                    f"quarter_{end}",
                    "quarter",
                    start,
                    end,
                    fy,
                    fy_start,
                    quarter_number,
                    month_number,
                    3,
                    with_data,
                    with_data == 3,
                )
            )
    return rows


def rag(value: float | None, green: str, amber: str, direction: str) -> str:
    if value is None:
        return "no_data"
    if not green:
        return "no_rag"
    g, a = float(green), float(amber)
    if direction == "higher_is_better":
        return "green" if value >= g else "amber" if value >= a else "red"
    return "green" if value <= g else "amber" if value <= a else "red"


SCALE = {"percent": 100.0, "pounds_per_astro_pu": 1.0}


def kpi_rows() -> list[tuple]:
    """Every fct_kpi_values row: generic numbers for most periods, OVERRIDES for the report
    quarter, and one 'no data' row (P2, DA03, September 2026)."""
    definitions = {d["kpi_id"]: d for d in kpi_definitions()}
    grains = {
        "financial_year_to_date": "fytd",
        "month": "month",
        "quarter": "quarter",
    }
    rows = []
    for index, (period_id, period_type, *_rest) in enumerate(periods()):
        for kpi_id, d in definitions.items():
            grain = d["period_grain"]
            if grains[period_type] == "fytd" and not (
                grain.endswith("fytd") or grain == "financial_year_to_date"
            ):
                continue
            if period_type == "month" and "month" not in grain:
                continue
            if period_type == "quarter" and "quarter" not in grain:
                continue
            orgs = (
                [("pcn", PCN)]
                if d["reported_for"] == "pcn"
                else [("practice", P1), ("practice", P2), ("pcn", PCN)]
            )
            for org_type, org in orgs:
                if kpi_id == "CO01":
                    numerator, denominator = 1000.0 + 10 * index, 400.0
                else:
                    numerator, denominator = 9.0 + index % 5, 12.0 + index % 3
                numerator, denominator = OVERRIDES.get(
                    (org, kpi_id, period_id), (numerator, denominator)
                )
                status = "ok"
                if (org, kpi_id, period_id) == (P2, "DA03", "month_2026-09-30"):
                    numerator = denominator = None
                    status = "no data"
                value = (
                    SCALE[d["unit"]] * numerator / denominator if numerator is not None else None
                )
                target = float(d["rag_green_threshold"]) if d["rag_green_threshold"] else None
                peer = 3.1 if d["has_peer_comparator"] == "true" else None
                rows.append(
                    (
                        org_type,
                        org,
                        period_id,
                        kpi_id,
                        numerator,
                        denominator,
                        value,
                        d["unit"],
                        target,
                        rag(
                            value,
                            d["rag_green_threshold"],
                            d["rag_amber_threshold"],
                            d["direction"],
                        ),
                        d["direction"],
                        peer,
                        status,
                    )
                )
    return rows


SCHEMA_SQL = """
create schema marts; create schema seeds; create schema pipeline; create schema raw_clinical;
create table marts.dim_periods (period_id varchar primary key, period_type varchar,
    period_start date, period_end date, financial_year varchar, financial_year_start_date date,
    quarter_number_in_financial_year integer, month_number_in_financial_year integer,
    months_in_period integer, months_with_data integer, is_complete boolean);
create table marts.dim_pcns (pcn_code varchar primary key, pcn_name varchar, postcode varchar,
    sub_icb_location_code varchar, sub_icb_location_name varchar, icb_name varchar,
    open_date date, close_date date, is_open boolean, current_practice_count integer,
    practices_with_clinical_extracts integer, has_clinical_extracts boolean,
    ods_release_month date);
create table marts.dim_practices (practice_code varchar primary key, practice_name varchar,
    postcode varchar, status_code varchar, is_active boolean, open_date date, close_date date,
    prescribing_setting bigint, is_gp_practice boolean, pcn_code varchar, pcn_name varchar,
    pcn_membership_start_date date, sub_icb_location_code varchar,
    sub_icb_location_name varchar, icb_code varchar, icb_name varchar,
    has_clinical_extracts boolean, ods_release_month date);
create table marts.fct_kpi_values (org_type varchar, org_code varchar, period_id varchar,
    kpi_id varchar, numerator double, denominator double, value double, unit varchar,
    target double, rag varchar, direction varchar, peer_comparator double,
    data_status varchar, primary key (org_type, org_code, period_id, kpi_id));
create table marts.fct_smr_trajectory (org_type varchar, org_code varchar, period_id varchar,
    reporting_month date, financial_year varchar, month_number_in_financial_year integer,
    smrs_in_month integer, month_target double, smrs_year_to_date integer,
    trajectory_to_date double, gap_to_trajectory double, percent_of_trajectory double,
    year_end_target double, forecast_year_end_smrs double, remaining_smrs_needed double,
    months_remaining integer, pharmacist_wte_needed double, smrs_per_wte_per_month double);
create table marts.fct_des_evidence_items (pcn_code varchar, period_id varchar,
    item_number integer, item_name varchar, status varchar, evidence varchar,
    source_kpi_ids varchar);
create table marts.fct_coded_activity_monthly (practice_code varchar, pcn_code varchar,
    month_start_date date, activity varchar, snomed_code varchar, snomed_term varchar,
    event_count bigint, patient_count bigint);
create table marts.fct_safety_alerts (pcn_code varchar, practice_code varchar,
    alert_reference varchar, alert_title varchar, alert_class varchar, received_date date,
    deadline_date date, closed_date date, triage_outcome varchar, status varchar,
    days_to_close integer, days_past_window integer);
create table marts.fct_significant_event_themes (pcn_code varchar, period_id varchar,
    theme varchar, events_raised bigint, events_completed bigint, events_open bigint);
create table marts.fct_pincer_hazards_monthly (practice_code varchar, pcn_code varchar,
    month_start_date date, indicator varchar, denominator_patients bigint,
    hazard_patients bigint, actioned_patients bigint);
create table marts.fct_prescribing_cost (org_type varchar, org_code varchar, period_id varchar,
    actual_cost double, astro_pu_cost double, cost_per_astro_pu double, icb_code varchar,
    peer_median_cost_per_astro_pu double, peer_percentile double,
    saving_at_peer_median_pounds double);
create table pipeline.ingestion_log (source varchar, table_name varchar, month date,
    file_name varchar, dialect varchar, checksum_sha256 varchar, status varchar,
    rows_in bigint, rows_loaded bigint, rows_quarantined bigint, rows_out_of_scope bigint,
    message varchar, loaded_at timestamp);
create table pipeline.quarantine (source varchar, table_name varchar, month date,
    file_name varchar, row_number bigint, column_names varchar, reason varchar,
    record_json varchar, quarantined_at timestamp);
create table raw_clinical.patients (patient_id varchar, nhs_number varchar);
comment on table marts.fct_kpi_values is 'One row per organisation x period x KPI.';
comment on column marts.fct_kpi_values.value is 'The KPI value in its unit.';
"""


def insert_rows(conn: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """One INSERT from a DataFrame (executemany costs milliseconds per row in DuckDB)."""
    columns = [r[0] for r in conn.execute(f"describe {table}").fetchall()]
    frame = pd.DataFrame(rows, columns=columns).astype(object)
    conn.register("fixture_rows", frame)
    conn.execute(f"insert into {table} select * from fixture_rows")
    conn.unregister("fixture_rows")


def build(path: Path) -> Path:
    """Write the warehouse to `path` (a new DuckDB file) and return it."""
    with duckdb.connect(str(path)) as conn:
        conn.execute(SCHEMA_SQL)
        seed = REPO_ROOT / "seeds" / "kpi_definitions.csv"
        conn.execute(
            f"create table seeds.kpi_definitions as select * from read_csv('{seed}', "
            "header = true, all_varchar = false) where kpi_id in (select unnest(?::varchar[]))",
            [list(KPIS)],
        )
        insert_rows(conn, "marts.dim_periods", periods())
        conn.execute(
            f"""insert into marts.dim_pcns values ('{PCN}', '{PCN_NAME}', 'ZZ1 1AA', '99X',
            'SUB ICB', 'TEST ICB', '2019-07-01', null, true, 2, 2, true, '2026-09-01')"""
        )
        for code, name in ((P1, P1_NAME), (P2, P2_NAME)):
            conn.execute(
                """insert into marts.dim_practices values (?, ?, 'ZZ1 1AB', 'A', true,
                '1974-04-01', null, 4, true, ?, ?, '2019-07-01', '99X', 'SUB ICB', 'Q99',
                'TEST ICB', true, '2026-09-01')""",
                [code, name, PCN, PCN_NAME],
            )
        insert_rows(conn, "marts.fct_kpi_values", kpi_rows())
        trajectory = []
        for n, month in enumerate(MONTHS[7:], start=1):  # April to September 2026
            trajectory.append(
                (
                    "pcn",
                    PCN,
                    f"month_{month_end(month)}",
                    month,
                    "2026/27",
                    n,
                    10 + n,
                    12.0,
                    sum(10 + k for k in range(1, n + 1)),
                    12.0 * n,
                    sum(10 + k for k in range(1, n + 1)) - 12.0 * n,
                    100.0 * sum(10 + k for k in range(1, n + 1)) / (12.0 * n),
                    144.0,
                    150.0,
                    60.0,
                    12 - n,
                    0.5,
                    85.0,
                )
            )
        conn.executemany(
            "insert into marts.fct_smr_trajectory values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            trajectory,
        )
        conn.executemany(
            "insert into marts.fct_des_evidence_items values (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    PCN,
                    "month_2026-09-30",
                    1,
                    "Named Lead Pharmacist",
                    "met",
                    "5 of 5 supervised.",
                    "DA01",
                ),
                (PCN, "month_2026-09-30", 2, "Scope of practice", "partly_met", "4 of 6.", "DA02"),
                (
                    PCN,
                    "month_2026-09-30",
                    3,
                    "SNOMED-coded activity extract",
                    "not_met",
                    FORMULA_TEXT,
                    "",
                ),
            ],
        )
        conn.executemany(
            "insert into marts.fct_coded_activity_monthly values (?, ?, ?, ?, ?, ?, ?, ?)",
            [(p, PCN, m, a, c, t, e, n) for p, m, a, c, t, e, n in ACTIVITY],
        )
        conn.execute(
            f"""insert into marts.fct_safety_alerts values
            ('{PCN}', '{P1}', 'MHRA-1', 'Recall', 'class_2', '2026-08-03', '2026-08-05',
             '2026-08-04', 'action', 'closed_in_window', 1, 0),
            ('{PCN}', '{P2}', 'MHRA-1', 'Recall', 'class_2', '2026-08-03', '2026-08-05',
             null, 'action', 'open_past_window', null, 30)"""
        )
        conn.execute(
            f"""insert into marts.fct_significant_event_themes values
            ('{PCN}', 'quarter_2026-09-30', 'dosing error', 3, 2, 1),
            ('{PCN}', 'quarter_2026-09-30', 'wrong patient', 9, 8, 1)"""
        )
        conn.execute(
            f"""insert into marts.fct_pincer_hazards_monthly values
            ('{P1}', '{PCN}', '2026-09-01', 'GI_P', 40, 5, 2)"""
        )
        conn.execute(
            f"""insert into marts.fct_prescribing_cost values
            ('pcn', '{PCN}', 'quarter_2026-09-30', 123456.78, 40000, 3.09, 'Q99', 3.1, 48.0, 0.0)"""
        )
        conn.execute(
            f"""insert into pipeline.ingestion_log values
            ('clinical', 'events', '2026-09-01', 'EMIS_{P1}_events_202609.csv', 'emis', 'abc',
             'loaded', 100, 98, 2, 0, '', '2026-10-05 09:00:00'),
            ('local', 'supervision_log', '2026-09-01', 'supervision_log.csv', null, null,
             'missing', 0, 0, 0, 0, 'no file for 2026-09 in the inbox', '2026-10-05 09:00:00')"""
        )
        conn.execute(
            f"""insert into pipeline.quarantine values
            ('clinical', 'events', '2026-09-01', 'EMIS_{P1}_events_202609.csv', 4, 'NHS Number',
             'NHS Number ''{NHS_NUMBER_LIKE}'' fails the modulus-11 check',
             '{{"NHS Number": "{NHS_NUMBER_LIKE}", "patient": "{PATIENT_KEY}"}}',
             '2026-10-05 09:00:00')"""
        )
        conn.execute(
            "insert into raw_clinical.patients values (?, ?)", [PATIENT_KEY, NHS_NUMBER_LIKE]
        )
    return path
