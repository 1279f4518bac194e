"""`dbt build` of CA04, CA05 and the coded activity mart on a small hand-written raw warehouse.

Two practices over March and April 2026 (a financial-year boundary), with the ODS memberships
of test_smr_cohort_build: P1 in PCN U11111 throughout, P2 moving from U11111 to U22222 on
1 April. Each discharge and each SMR below is one edge of a rule; the expected numerators and
denominators were worked out by hand from the rules (written next to each case) and are typed
in as numbers, not derived from the SQL.

CA04, discharge medicines reconciled within 7 days of receipt (data ends 30 April):
    P1 a  received 2 Mar, reconciled 9 Mar (day 7)                    -> March, reconciled
    P1 a  received again 5 Mar (second letter), same 9 Mar code        -> March, reconciled
    P1 b  received 10 Mar, reconciled 18 Mar (day 8)                  -> March, not reconciled
    P1 c  received 20 Mar, no repeat medicines                         -> left out
    P1 d  received 25 Mar, died 27 Mar unreconciled                    -> left out
    P1 f  received 5 Apr, reconciled the same day                      -> April, reconciled
    P1 e  received 25 Apr, reconciled 26 Apr, window ends 2 May > data -> left out (provisional)
    P2 g  received 10 Apr, reconciled 20 Apr (day 10)                  -> April (U22222), not
  P1: March 2/3, April 1/1; P2: March 0/0, April 0/1. U11111 March 2/3, April 1/1;
  U22222 April 0/1.

CA05, deprescribing actions per SMR (28-day window):
    P1 h  SMR 31 Mar: templates ended 31 Mar (day 0) and 28 Apr (day 28) count, 29 Apr (day 29)
          and 30 Mar (day before) do not; a discontinued code on 31 Mar is the same stop
          -> 2 actions, in March (2025/26) although one stop is in April
    P1 i  SMR 10 Apr: apixaban 5mg -> 2.5mg (dose reduced, 1); ramipril 5mg -> 10mg (0) -> 1
    P1 j  SMRs 1 and 15 Apr: a code on 3 Apr -> 1 for the first; a template ended 20 Apr is
          in both windows -> 1, for the second only
    P2 k  SMR 20 Apr, nothing stopped -> 0
  P1: March 2/1, April 3/3; P2: April 0/1 (U22222). U11111 March 2/1 = 2.0, April 3/3 = 1.0.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.dbt.dbt_runner import DbtInvocation, build_selection, failed_nodes
from tests.dbt.published import published
from tests.dbt.test_smr_cohort_build import APRIL, MARCH, ODS_ROWS, query
from tests.dbt.test_staging_build import Row, delivered, write_raw_warehouse

SMR = "1239511000000100"
RECONCILED = "730021000000104"
DISCONTINUED = "274512008"

PATIENTS = {
    "P1": ("a", "b", "c", "d", "e", "f", "h", "i", "j"),
    "P2": ("g", "k"),
}
DIED = {"d": date(2026, 3, 27)}

# (practice, patient, discharge date, received date)
DISCHARGES = [
    ("P1", "a", date(2026, 3, 1), date(2026, 3, 2)),
    ("P1", "a", date(2026, 3, 4), date(2026, 3, 5)),
    ("P1", "b", date(2026, 3, 8), date(2026, 3, 10)),
    ("P1", "c", date(2026, 3, 19), date(2026, 3, 20)),
    ("P1", "d", date(2026, 3, 24), date(2026, 3, 25)),
    ("P1", "f", date(2026, 4, 4), date(2026, 4, 5)),
    ("P1", "e", date(2026, 4, 24), date(2026, 4, 25)),
    ("P2", "g", date(2026, 4, 9), date(2026, 4, 10)),
]

# (practice, patient, SNOMED code, date)
EVENTS = [
    ("P1", "a", RECONCILED, date(2026, 3, 9)),
    ("P1", "b", RECONCILED, date(2026, 3, 18)),
    ("P1", "f", RECONCILED, date(2026, 4, 5)),
    ("P1", "e", RECONCILED, date(2026, 4, 26)),
    ("P2", "g", RECONCILED, date(2026, 4, 20)),
    ("P1", "h", SMR, date(2026, 3, 31)),
    ("P1", "h", DISCONTINUED, date(2026, 3, 31)),
    ("P1", "i", SMR, date(2026, 4, 10)),
    ("P1", "j", SMR, date(2026, 4, 1)),
    ("P1", "j", DISCONTINUED, date(2026, 4, 3)),
    ("P1", "j", SMR, date(2026, 4, 15)),
    ("P2", "k", SMR, date(2026, 4, 20)),
]

# Repeat templates: (practice, patient, dm+d, BNF, name, start, end); each gets one issue,
# dated on its end (else its start), which shows the end date as the extract does.
TEMPLATES = [
    (
        "P1",
        "h",
        "101",
        "0101010A0AAAAAA",
        "Drug A 10mg tablets",
        date(2024, 1, 1),
        date(2026, 3, 31),
    ),
    (
        "P1",
        "h",
        "102",
        "0101010B0AAAAAA",
        "Drug B 10mg tablets",
        date(2024, 1, 1),
        date(2026, 4, 28),
    ),
    (
        "P1",
        "h",
        "103",
        "0101010C0AAAAAA",
        "Drug C 10mg tablets",
        date(2024, 1, 1),
        date(2026, 4, 29),
    ),
    (
        "P1",
        "h",
        "104",
        "0101010D0AAAAAA",
        "Drug D 10mg tablets",
        date(2024, 1, 1),
        date(2026, 3, 30),
    ),
    (
        "P1",
        "i",
        "201",
        "0208020Z0AAABAB",
        "Apixaban 5mg tablets",
        date(2024, 1, 1),
        date(2026, 4, 10),
    ),
    ("P1", "i", "202", "0208020Z0AAAAAA", "Apixaban 2.5mg tablets", date(2026, 4, 10), None),
    (
        "P1",
        "i",
        "203",
        "0205051R0AAAAAA",
        "Ramipril 5mg capsules",
        date(2024, 1, 1),
        date(2026, 4, 12),
    ),
    ("P1", "i", "204", "0205051R0AAABAB", "Ramipril 10mg capsules", date(2026, 4, 12), None),
    (
        "P1",
        "j",
        "301",
        "0101010E0AAAAAA",
        "Drug E 10mg tablets",
        date(2024, 1, 1),
        date(2026, 4, 20),
    ),
]
ON_REPEATS = ("a", "b", "d", "e", "f", "g")  # discharged patients on repeat medicines

# Hand-worked expectations: (org_type, org_code, period_id) -> (numerator, denominator).
CA04 = {
    ("practice", "P1", "month_2026-03-31"): (2, 3),
    ("practice", "P1", "month_2026-04-30"): (1, 1),
    ("practice", "P2", "month_2026-03-31"): (0, 0),
    ("practice", "P2", "month_2026-04-30"): (0, 1),
    ("pcn", "U11111", "month_2026-03-31"): (2, 3),
    ("pcn", "U11111", "month_2026-04-30"): (1, 1),
    ("pcn", "U22222", "month_2026-04-30"): (0, 1),
    ("pcn", "U11111", "financial_year_to_date_2026-03-31"): (2, 3),
    ("pcn", "U11111", "financial_year_to_date_2026-04-30"): (1, 1),
}
CA05 = {
    ("practice", "P1", "month_2026-03-31"): (2, 1),
    ("practice", "P1", "month_2026-04-30"): (3, 3),
    ("practice", "P2", "month_2026-04-30"): (0, 1),
    ("pcn", "U11111", "month_2026-03-31"): (2, 1),
    ("pcn", "U11111", "month_2026-04-30"): (3, 3),
    ("pcn", "U22222", "month_2026-04-30"): (0, 1),
    ("pcn", "U11111", "financial_year_to_date_2026-03-31"): (2, 1),
    ("pcn", "U11111", "financial_year_to_date_2026-04-30"): (3, 3),
    ("pcn", "U11111", "quarter_2026-06-30"): (3, 3),
}


def patient_rows() -> list[Row]:
    return [
        row
        for month in (MARCH, APRIL)
        for row in delivered(
            f"EMIS_patients_{month:%Y%m}.csv",
            month,
            "emis",
            *(
                {
                    "practice_code": practice,
                    "patient_id": patient,
                    "date_of_birth": date(1950, 1, 1),
                    "sex": "Female",
                    "registration_date": date(2000, 1, 1),
                    "date_of_death": DIED.get(patient),
                    "is_care_home_resident": "N",
                    "has_learning_disability": "N",
                    "is_end_of_life": "N",
                }
                for practice, patients in PATIENTS.items()
                for patient in patients
            ),
        )
    ]


def discharge_rows() -> list[Row]:
    return delivered(
        "EMIS_discharges_202604.csv",
        APRIL,
        "emis",
        *(
            {
                "practice_code": practice,
                "patient_id": patient,
                "discharge_date": discharged,
                "document_received_date": received,
                "provider_code": "R9Y",
            }
            for practice, patient, discharged, received in DISCHARGES
        ),
    )


def event_rows() -> list[Row]:
    return delivered(
        "EMIS_events_202604.csv",
        APRIL,
        "emis",
        *(
            {
                "practice_code": practice,
                "patient_id": patient,
                "snomed_code": code,
                "term": code,
                "event_date": day,
            }
            for practice, patient, code, day in EVENTS
        ),
    )


def medication_rows() -> list[Row]:
    issues = [
        {
            "practice_code": practice,
            "patient_id": patient,
            "dmd_code": dmd,
            "bnf_code": bnf,
            "drug_name": name,
            "issue_date": end or start,  # an issue on the last day shows the template's end
            "issue_type": "Repeat",
            "template_start_date": start,
            "template_end_date": end,
            "stop_reason": "Stopped at medication review" if end else None,
        }
        for practice, patient, dmd, bnf, name, start, end in TEMPLATES
    ]
    issues += [
        {
            "practice_code": practice,
            "patient_id": patient,
            "dmd_code": "999",
            "bnf_code": "0212000B0AAABAB",
            "drug_name": "Atorvastatin 20mg tablets",
            "issue_date": date(2026, 3, 1),
            "issue_type": "Repeat",
            "template_start_date": date(2024, 1, 1),
        }
        for practice, patients in PATIENTS.items()
        for patient in patients
        if patient in ON_REPEATS
    ]
    return delivered("EMIS_medication_issues_202604.csv", APRIL, "emis", *issues)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[DbtInvocation, Path]:
    work_dir = tmp_path_factory.mktemp("dbt_clinical_activity_build")
    database = work_dir / "warehouse.duckdb"
    raw = {
        ("clinical", "patients"): patient_rows(),
        ("clinical", "discharges"): discharge_rows(),
        ("clinical", "events"): event_rows(),
        ("clinical", "medication_issues"): medication_rows(),
        **ODS_ROWS,
    }
    write_raw_warehouse(database, raw)
    invocation = build_selection(
        "+fct_kpi_values",
        "+fct_coded_activity_monthly",
        "+dim_practices",
        "+dim_pcns",
        duckdb_path=database,
        work_dir=work_dir,
    )
    return invocation, database


def kpi_rows(conn: duckdb.DuckDBPyConnection, kpi_id: str) -> dict[tuple[str, str, str], tuple]:
    return {
        (org_type, org_code, period_id): (numerator, denominator, value, data_status)
        for org_type, org_code, period_id, numerator, denominator, value, data_status in query(
            conn,
            f"""
            select org_type, org_code, period_id, numerator, denominator, value, data_status
            from marts.fct_kpi_values
            where kpi_id = '{kpi_id}'
            """,
        )
    }


def test_build_of_clinical_activity_models_and_their_tests_is_green(built):
    invocation, _ = built
    assert invocation.returncode == 0, invocation.output
    assert not failed_nodes(invocation), invocation.output
    # The build ran the dbt unit tests of the new models (every rule's edge cases) too.
    unit_tests = {
        r["unique_id"].split(".")[-1]
        for r in invocation.artifact("run_results.json")["results"]
        if r["unique_id"].startswith("unit_test.")
    }
    for model in (
        "int_discharges_joined_to_medicines_reconciliations",
        "int_repeat_template_ends_attributed_to_smrs",
        "int_smrs_joined_to_deprescribing_actions",
        "int_clinical_activity_kpis_aggregated_to_practice_periods",
        "fct_coded_activity_monthly",
    ):
        assert any(name.startswith(f"test_{model}_") for name in unit_tests), model


@pytest.mark.parametrize(("kpi_id", "expected"), [("CA04", CA04), ("CA05", CA05)])
def test_kpi_rows_match_the_hand_worked_figures(warehouse, kpi_id, expected):
    built_rows = kpi_rows(warehouse, kpi_id)
    for key, (numerator, denominator) in expected.items():
        built_numerator, built_denominator, value, data_status = built_rows[key]
        assert (built_numerator, built_denominator) == (numerator, denominator), key
        if denominator == 0:
            # Extracts delivered, nothing to reconcile or review: empty, but not missing.
            assert data_status == "nothing due", key
            assert value is None, key
        else:
            assert data_status == "ok", key
            # CA04 a percent to 1 decimal, CA05 a mean per SMR to 2 (seed display_decimals).
            scale, decimals = (100, 1) if kpi_id == "CA04" else (1, 2)
            assert value == published(scale * numerator / denominator, decimals), key


def test_a_practice_counts_only_in_the_pcn_it_belonged_to_each_month(warehouse):
    # P2 moved from U11111 to U22222 on 1 April: its April discharge and SMR are U22222's, so
    # U11111's April figures are P1's alone, and U22222 (no member in March) has no March row.
    for kpi_id in ("CA04", "CA05"):
        built_rows = kpi_rows(warehouse, kpi_id)
        assert (
            built_rows[("pcn", "U11111", "month_2026-04-30")][:2]
            == built_rows[("practice", "P1", "month_2026-04-30")][:2]
        )
        assert ("pcn", "U22222", "month_2026-03-31") not in built_rows


def test_coded_activity_counts_patient_days_per_practice_month_and_concept(warehouse):
    rows = {
        (practice, pcn, month, activity, code): (events, patients)
        for practice, pcn, month, activity, code, events, patients in query(
            warehouse,
            """
            select practice_code, pcn_code, month_start_date, activity, snomed_code,
                event_count, patient_count
            from marts.fct_coded_activity_monthly
            """,
        )
    }
    assert rows == {
        ("P1", "U11111", MARCH, "medicines_reconciliation", RECONCILED): (2, 2),  # a, b
        ("P1", "U11111", APRIL, "medicines_reconciliation", RECONCILED): (2, 2),  # f, e
        ("P2", "U22222", APRIL, "medicines_reconciliation", RECONCILED): (1, 1),  # g
        ("P1", "U11111", MARCH, "structured_medication_review", SMR): (1, 1),  # h
        ("P1", "U11111", APRIL, "structured_medication_review", SMR): (3, 2),  # i, j twice
        ("P2", "U22222", APRIL, "structured_medication_review", SMR): (1, 1),  # k
        ("P1", "U11111", MARCH, "deprescribing", DISCONTINUED): (1, 1),  # h
        ("P1", "U11111", APRIL, "deprescribing", DISCONTINUED): (1, 1),  # j
    }
