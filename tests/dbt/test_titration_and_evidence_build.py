"""`dbt build` of the titration clinic KPIs (CA06 to CA09) and the DES evidence checklist on a
small hand-written raw warehouse.

Reuses the cohort and SMR scenario of test_smr_cohort_build and test_kpi_values_build (P1 and
P2 over March and April 2026, P2 moving from PCN U11111 to U22222 on 1 April) and adds U11111's
titration clinic log (delivered twice: only the newest counts), workforce record and
supervision log. U22222 delivers no local logs. Expected figures are computed here from the
scenario and the seeds' own values (the default clinic target per 1,000 registered patients,
the QA sampling window), not read back from the SQL. The analyst query printing a PCN's DES
checklist is run as written for the README.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.dbt.dbt_runner import SEEDS_DIR, DbtInvocation, failed_nodes, run_dbt
from tests.dbt.test_kpi_values_build import smr_event_rows
from tests.dbt.test_smr_cohort_build import (
    APRIL,
    MARCH,
    MONTH_ENDS,
    ODS_ROWS,
    PATIENTS,
    event_rows,
    expected_flags,
    medication_rows,
    patient_rows,
    query,
)
from tests.dbt.test_staging_build import delivered, write_raw_warehouse

CONDITION_KPIS = {"HTN": "CA06", "T2DM": "CA07", "Lipids": "CA08", "Respiratory": "CA09"}
PCN_OF = {("P1", MARCH): "U11111", ("P1", APRIL): "U11111"}
PCN_OF |= {("P2", MARCH): "U11111", ("P2", APRIL): "U22222"}

# (practice, clinic date, condition, booked, seen, dose changes) in U11111's April log.
CLINICS = [
    ("P1", date(2026, 3, 10), "HTN", 10, 8, 3),
    ("P1", date(2026, 4, 2), "HTN", 6, 6, 2),
    ("P1", date(2026, 4, 20), "T2DM", 5, 7, 4),  # two patients added on the day
    ("P2", date(2026, 3, 15), "Lipids", 4, 3, 1),
    # P2 belongs to U22222 in April, which sent no log: not counted.
    ("P2", date(2026, 4, 15), "Lipids", 5, 5, 2),
]

# The upstream models are built, but their data and unit tests are left to the build tests of
# their own families (test_staging_build, test_smr_cohort_build, test_kpi_values_build): this
# module runs only the tests of the titration and DES evidence models and seeds, which keeps
# it within its time budget. The clinical-activity marts' yml also holds the titration fact's
# tests, so it stays in.
OTHER_FAMILIES_TESTS = [
    f"resource_type:{kind},path:{path}"
    for path in (
        "models/staging",
        "models/intermediate/core",
        "models/intermediate/clinical_activity",
        "models/intermediate/kpis/_int_kpis__models.yml",
        "models/marts/core",
        "models/marts/kpis",
        "../seeds/_seeds.yml",
    )
    for kind in ("test", "unit_test")
]

# The README's analyst query: a PCN's DES evidence checklist for its latest month.
DES_CHECKLIST_SQL = """
select
    evidence.item_number,
    evidence.item_name,
    evidence.status,
    evidence.evidence,
    evidence.source_kpi_ids
from marts.fct_des_evidence_items as evidence
where
    evidence.pcn_code = 'U11111'
    and evidence.period_id = (
        select max(latest.period_id)
        from marts.fct_des_evidence_items as latest
        where latest.pcn_code = 'U11111'
    )
order by evidence.item_number
"""


def seed_rows(name: str) -> list[dict[str, str]]:
    with (SEEDS_DIR / f"{name}.csv").open() as f:
        return list(csv.DictReader(f))


def default_rate(kpi_id: str) -> float:
    """Default annual target per registered patient (seed titration_clinic_assumptions)."""
    (row,) = [r for r in seed_rows("titration_clinic_assumptions") if r["kpi_id"] == kpi_id]
    return float(row["default_patients_seen_per_1000_registered"]) / 1000


def qa_window_days() -> int:
    (row,) = [
        r
        for r in seed_rows("des_evidence_rules")
        if r["item_number"] == "1" and r["parameter"] == "qa_sampling_window_days"
    ]
    return int(float(row["value"]))


def registered(practice: str, month: date) -> int:
    return sum(
        p.practice_code == practice and expected_flags(p, month) is not None for p in PATIENTS
    )


def practice_month_target(practice: str, month: date, kpi_id: str) -> float:
    """Each PCN has one loaded month per financial year here, so its average list is that
    month's, and the practice's share of a twelfth is its own list x rate / 12."""
    return registered(practice, month) * default_rate(kpi_id) / 12


def seen(practice: str, month: date, condition: str) -> int:
    return sum(
        s
        for p, day, c, _, s, _ in CLINICS
        if p == practice and c == condition and day.month == month.month
    )


def titration_rows() -> list[dict]:
    def clinic(practice: str, day: date, condition: str, booked: int, seen: int, dose: int):
        return {
            "pcn_code": "U11111",
            "clinic_date": day,
            "practice_code": practice,
            "condition": condition,
            "staff_id": "CP1",
            "patients_booked": booked,
            "patients_seen": seen,
            "dose_changes": dose,
        }

    superseded = delivered(
        "titration_clinics_U11111_202603.csv",
        MARCH,
        "local",
        clinic("P1", date(2026, 3, 10), "HTN", 99, 99, 99),
    )
    return superseded + delivered(
        "titration_clinics_U11111_202604.csv", APRIL, "local", *(clinic(*c) for c in CLINICS)
    )


def workforce_rows() -> list[dict]:
    def staff(staff_id: str, role: str, start: date, supervisor, interval, signed, review):
        return {
            "pcn_code": "U11111",
            "staff_id": staff_id,
            "role": role,
            "is_arrs_funded": "Y",
            "wte": 1.0,
            "start_date": start,
            "supervisor_staff_id": supervisor,
            "supervision_interval_days": interval,
            "scope_of_practice_signed_date": signed,
            "scope_of_practice_review_date": review,
        }

    return delivered(
        "workforce_U11111_202604.csv",
        APRIL,
        "local",
        staff(
            "LP1",
            "Lead Pharmacist",
            date(2020, 1, 1),
            None,
            None,
            date(2025, 6, 1),
            date(2026, 6, 1),
        ),
        staff(
            "CP1",
            "Clinical Pharmacist",
            date(2021, 1, 1),
            "LP1",
            30,
            date(2025, 5, 1),
            date(2026, 5, 1),
        ),
        # Review due on 31 March: current at the end of March, lapsed by the end of April.
        staff(
            "PT1",
            "Pharmacy Technician",
            date(2022, 1, 1),
            "LP1",
            42,
            date(2024, 4, 1),
            date(2026, 3, 31),
        ),
    )


def supervision_rows() -> list[dict]:
    # CP1's records were sampled on the first day of April's QA window.
    sampled_on = MONTH_ENDS[APRIL] - timedelta(days=qa_window_days() - 1)
    return delivered(
        "supervision_log_U11111_202604.csv",
        APRIL,
        "local",
        {
            "pcn_code": "U11111",
            "staff_id": "CP1",
            "supervision_date": sampled_on,
            "supervision_type": "QA sampling",
            "supervisor_staff_id": "LP1",
            "records_sampled": 5,
        },
        {
            "pcn_code": "U11111",
            "staff_id": "CP1",
            "supervision_date": date(2026, 4, 14),
            "supervision_type": "Clinical",
            "supervisor_staff_id": "LP1",
            "records_sampled": None,
        },
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[DbtInvocation, Path]:
    work_dir = tmp_path_factory.mktemp("dbt_titration_evidence_build")
    database = work_dir / "warehouse.duckdb"
    events = event_rows()
    raw = {
        ("clinical", "patients"): patient_rows(),
        ("clinical", "medication_issues"): medication_rows(),
        ("clinical", "events"): events + smr_event_rows(first_row=len(events) + 2),
        ("local", "titration_clinics"): titration_rows(),
        ("local", "workforce"): workforce_rows(),
        ("local", "supervision_log"): supervision_rows(),
        **ODS_ROWS,
    }
    write_raw_warehouse(database, raw)
    invocation = run_dbt(
        "build",
        "--select",
        "+fct_des_evidence_items",
        "+fct_titration_clinics_monthly",
        "+dim_practices",
        "+dim_pcns",
        "--indirect-selection",
        "cautious",
        "--exclude",
        *OTHER_FAMILIES_TESTS,
        duckdb_path=database,
        work_dir=work_dir,
    )
    return invocation, database


def kpi_row(conn: duckdb.DuckDBPyConnection, org: str, period: str, kpi_id: str) -> tuple:
    (row,) = query(
        conn,
        f"""
        select numerator, denominator, value, data_status
        from marts.fct_kpi_values
        where org_code = '{org}' and period_id = '{period}' and kpi_id = '{kpi_id}'
        """,
    )
    return row


def evidence(conn: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, int], tuple[str, str, str]]:
    return {
        (pcn, period, item): (status, sentence, kpis)
        for pcn, period, item, status, sentence, kpis in query(
            conn,
            """
            select pcn_code, period_id, item_number, status, evidence, source_kpi_ids
            from marts.fct_des_evidence_items
            """,
        )
    }


def test_build_of_titration_and_evidence_models_and_their_tests_is_green(built):
    invocation, _ = built
    assert invocation.returncode == 0, invocation.output
    assert not failed_nodes(invocation), invocation.output
    unit_tests = [
        r["unique_id"]
        for r in invocation.artifact("run_results.json")["results"]
        if r["unique_id"].startswith("unit_test.")
    ]
    assert any(".fct_des_evidence_items." in uid for uid in unit_tests), unit_tests
    assert any(".fct_titration_clinics_monthly." in uid for uid in unit_tests), unit_tests


def test_no_pcn_has_an_agreed_target_so_the_default_applies():
    assert not [r for r in seed_rows("pcn_targets") if r["pcn_code"] in ("U11111", "U22222")]


def test_clinic_fact_has_every_condition_for_covered_practice_months_only(warehouse):
    rows = {
        (practice, month, condition): (sessions, booked, seen_, dose, dna)
        for practice, month, condition, sessions, booked, seen_, dose, dna in query(
            warehouse,
            """
            select practice_code, month_start_date, long_term_condition, clinic_sessions,
                booked_patients, seen_patients, dose_changed_patients, did_not_attend_patients
            from marts.fct_titration_clinics_monthly
            """,
        )
    }
    conditions = {"htn", "t2dm", "lipids", "respiratory"}
    # P2 in April is U22222's, which sent no log; the superseded March log is ignored.
    assert set(rows) == {
        (practice, month, condition)
        for practice, month in (("P1", MARCH), ("P1", APRIL), ("P2", MARCH))
        for condition in conditions
    }
    assert rows[("P1", MARCH, "htn")] == (1, 10, 8, 3, 2)
    assert rows[("P1", APRIL, "t2dm")] == (1, 5, 7, 4, 0)
    assert rows[("P1", MARCH, "respiratory")] == (0, 0, 0, 0, 0)


def test_practice_values_match_the_log_over_the_default_target(warehouse):
    for (practice, month), pcn in PCN_OF.items():
        if pcn != "U11111":
            continue
        for condition, kpi_id in CONDITION_KPIS.items():
            numerator, denominator, value, status = kpi_row(
                warehouse, practice, f"month_{MONTH_ENDS[month]}", kpi_id
            )
            target = practice_month_target(practice, month, kpi_id)
            assert status == "ok"
            assert numerator == seen(practice, month, condition)
            assert denominator == pytest.approx(target)
            assert value == pytest.approx(100 * seen(practice, month, condition) / target)


def test_pcn_value_is_sum_over_its_practices_and_no_log_is_no_data(warehouse):
    march = f"month_{MONTH_ENDS[MARCH]}"
    numerator, denominator, value, _ = kpi_row(warehouse, "U11111", march, "CA06")
    expected_denominator = sum(practice_month_target(p, MARCH, "CA06") for p in ("P1", "P2"))
    assert numerator == seen("P1", MARCH, "HTN") + seen("P2", MARCH, "HTN")
    assert denominator == pytest.approx(expected_denominator)
    assert value == pytest.approx(100 * numerator / expected_denominator)
    april = f"month_{MONTH_ENDS[APRIL]}"
    assert kpi_row(warehouse, "P2", april, "CA08")[3] == "no data"
    assert kpi_row(warehouse, "U22222", april, "CA08")[3] == "no data"
    # The year to date restarts on 1 April: April's HTN clinics only.
    ytd = kpi_row(warehouse, "P1", f"financial_year_to_date_{MONTH_ENDS[APRIL]}", "CA06")
    assert ytd[0] == seen("P1", APRIL, "HTN")


def test_every_pcn_month_has_seven_items(warehouse):
    items = evidence(warehouse)
    pcn_months = {(pcn, f"month_{MONTH_ENDS[month]}") for (_, month), pcn in PCN_OF.items()}
    assert set(items) == {(pcn, period, n) for pcn, period in pcn_months for n in range(1, 8)}


def test_evidence_statuses_follow_the_logs_and_extracts(warehouse):
    items = evidence(warehouse)
    march, april = f"month_{MONTH_ENDS[MARCH]}", f"month_{MONTH_ENDS[APRIL]}"
    status = {key: value[0] for key, value in items.items()}
    # 1: Lead Pharmacist, both pharmacy roles scheduled, CP1 sampled on the window's first day.
    assert status[("U11111", april, 1)] == "met"
    assert items[("U11111", april, 1)][1] == (
        "Lead Pharmacist LP1 in post at 2026-04-30; supervision interval and supervisor "
        "recorded for 2 of 2 pharmacy team staff; 1 of 1 pharmacists had SMR records "
        f"QA-sampled in the {qa_window_days()} days to the month end (supervision log to "
        "2026-04-30)."
    )
    # 2: PT1's scope review falls due on 31 March: all 3 current in March, 2 of 3 in April.
    assert status[("U11111", march, 2)] == "met"
    assert status[("U11111", april, 2)] == "not_met"
    assert items[("U11111", april, 2)][2] == "DA02"
    # 3: every member practice coded SMRs in each month.
    assert status[("U11111", march, 3)] == "met"
    assert items[("U11111", march, 3)][1].startswith("2 of 2 member practices")
    assert status[("U22222", april, 3)] == "met"
    # 5: clinical extracts start in March 2026, too short for a 12-month care home review.
    assert status[("U11111", april, 5)] == "no_data"
    # U22222 sent no workforce record; no alert log, no complete quarter, no SEA register.
    pcn_months = {(pcn, period) for pcn, period, _ in items}
    no_data = [("U22222", april, 1), ("U22222", april, 2)]
    no_data += [(pcn, period, n) for pcn, period in pcn_months for n in (4, 6, 7)]
    for key in no_data:
        assert status[key] == "no_data", key


def test_analyst_query_prints_the_latest_checklist(warehouse):
    rows = query(warehouse, DES_CHECKLIST_SQL)
    assert [row[0] for row in rows] == list(range(1, 8))
    assert rows[1][2:] == (
        "not_met",
        "2 of 3 ARRS staff in post at 2026-04-30 have a signed scope of practice within its "
        "review date (66.7%, DA02).",
        "DA02",
    )
