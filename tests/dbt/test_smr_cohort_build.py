"""`dbt build` of the DES SMR cohort and the core dimensions on a small hand-written raw warehouse.

Two practices over March and April 2026 (a financial-year boundary): one patient per cohort
rule and per edge (death mid-month, eFI 0.36 vs 0.37, 10 vs 9 repeat medicines, two addictive
issues, an NSAID at 70 without gastroprotection, end of life, an SMR decline in March), and a
practice that moves PCN on 1 April. The expected counts are computed here, in Python, from the
same patient specifications, not read back from the SQL. Raw rows are written with the helpers
of test_staging_build (the loader's own `ensure_schema` and the contract-checked `insert`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.dbt.dbt_runner import DbtInvocation, build_selection, failed_nodes
from tests.dbt.test_staging_build import Row, delivered, write_raw_warehouse

MARCH = date(2026, 3, 1)
APRIL = date(2026, 4, 1)
MONTH_ENDS = {MARCH: date(2026, 3, 31), APRIL: date(2026, 4, 30)}

ZOPICLONE = "0401010Z0AAAAAA"
NAPROXEN = "1001010P0AAAEAE"
SEVERE_EFI, ADDICTIVE_MIN_DAYS, POLYPHARMACY_MIN = 0.36, 2, 10


@dataclass(frozen=True)
class Patient:
    practice_code: str
    patient_id: str
    birth_date: date = date(1950, 1, 1)
    death_date: date | None = None
    efi: float | None = None
    care_home: bool = False
    learning_disability: bool = False
    end_of_life: bool = False
    repeat_medicines: int = 0  # distinct repeats issued 5 March on open templates
    zopiclone_issue_dates: tuple[date, ...] = ()
    naproxen_issue_dates: tuple[date, ...] = ()
    declined_on: date | None = None
    expected_cohorts: set[str] = field(default_factory=set)


PATIENTS = [
    Patient("P1", "care_home", care_home=True),
    Patient(
        "P1",
        "learning_disability_declined",
        learning_disability=True,
        declined_on=date(2026, 3, 15),
    ),
    Patient("P1", "ten_medicines", repeat_medicines=10),
    Patient("P1", "nine_medicines", repeat_medicines=9),
    Patient("P1", "efi_037", efi=0.37),
    Patient("P1", "efi_036", efi=0.36),
    Patient("P1", "dies_in_april", care_home=True, death_date=date(2026, 4, 10)),
    Patient("P1", "zopiclone_twice", zopiclone_issue_dates=(date(2026, 2, 1), date(2026, 3, 20))),
    Patient("P1", "zopiclone_once", zopiclone_issue_dates=(date(2026, 3, 20),)),
    Patient(
        "P1", "nsaid_at_70", birth_date=date(1956, 1, 1), naproxen_issue_dates=(date(2026, 3, 10),)
    ),
    Patient(
        "P1", "nsaid_at_40", birth_date=date(1986, 1, 1), naproxen_issue_dates=(date(2026, 3, 10),)
    ),
    Patient("P1", "end_of_life", care_home=True, end_of_life=True),
    Patient("P1", "no_cohort"),
    Patient("P2", "care_home_moved_pcn", care_home=True),
    Patient("P2", "no_cohort"),
]


def months_before(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def expected_flags(patient: Patient, month: date) -> dict[str, bool] | None:
    """The cohort rules written out independently of the SQL; None when not registered."""
    month_end = MONTH_ENDS[month]
    if patient.death_date is not None and patient.death_date <= month_end:
        return None
    six_months_from = months_before(month, 5)
    three_months_from = months_before(month, 2)
    age = (
        month_end.year
        - patient.birth_date.year
        - ((month_end.month, month_end.day) < (patient.birth_date.month, patient.birth_date.day))
    )
    financial_year_start = date(
        month_end.year if month_end.month >= 4 else month_end.year - 1, 4, 1
    )
    cohorts = {
        "care_home": patient.care_home,
        "learning_disability": patient.learning_disability,
        "polypharmacy": patient.repeat_medicines >= POLYPHARMACY_MIN,
        "severe_frailty": patient.efi is not None and patient.efi > SEVERE_EFI,
        "addictive": sum(six_months_from <= d <= month_end for d in patient.zopiclone_issue_dates)
        >= ADDICTIVE_MIN_DAYS,
        "medication_harm": age >= 65
        and any(three_months_from <= d <= month_end for d in patient.naproxen_issue_dates),
    }
    in_any = any(cohorts.values())
    declined = (
        patient.declined_on is not None and financial_year_start <= patient.declined_on <= month_end
    )
    return {**cohorts, "any": in_any, "des": in_any and not patient.end_of_life and not declined}


def patient_rows() -> list[Row]:
    return [
        row
        for month in MONTH_ENDS
        for row in delivered(
            f"EMIS_patients_{month:%Y%m}.csv",
            month,
            "emis",
            *(
                {
                    "practice_code": p.practice_code,
                    "patient_id": p.patient_id,
                    "date_of_birth": p.birth_date,
                    "sex": "Female",
                    "registration_date": date(2000, 1, 1),
                    "date_of_death": p.death_date,
                    "efi_score": p.efi,
                    "is_care_home_resident": "Y" if p.care_home else "N",
                    "has_learning_disability": "Y" if p.learning_disability else "N",
                    "is_end_of_life": "Y" if p.end_of_life else "N",
                }
                for p in PATIENTS
            ),
        )
    ]


def medication_rows() -> list[Row]:
    rows: list[Row] = []
    for p in PATIENTS:
        for i in range(p.repeat_medicines):
            rows.append(
                {
                    "practice_code": p.practice_code,
                    "patient_id": p.patient_id,
                    "dmd_code": str(900000 + i),
                    "bnf_code": f"0212000B0AAA{i:03d}",
                    "drug_name": f"Repeat medicine {i}",
                    "issue_date": date(2026, 3, 5),
                    "issue_type": "Repeat",
                    "template_start_date": date(2024, 1, 1),
                }
            )
        for bnf_code, dates in (
            (ZOPICLONE, p.zopiclone_issue_dates),
            (NAPROXEN, p.naproxen_issue_dates),
        ):
            for issue_date in dates:
                rows.append(
                    {
                        "practice_code": p.practice_code,
                        "patient_id": p.patient_id,
                        "dmd_code": bnf_code,
                        "bnf_code": bnf_code,
                        "drug_name": bnf_code,
                        "issue_date": issue_date,
                        "issue_type": "Acute",
                    }
                )
    return delivered("EMIS_medication_issues_202604.csv", APRIL, "emis", *rows)


def event_rows() -> list[Row]:
    declines = [
        {
            "practice_code": p.practice_code,
            "patient_id": p.patient_id,
            "snomed_code": "183944003",
            "term": "Procedure refused",
            "event_date": p.declined_on,
        }
        for p in PATIENTS
        if p.declined_on is not None
    ]
    return delivered("EMIS_events_202604.csv", APRIL, "emis", *declines)


ODS_ROWS: dict[tuple[str, str], list[Row]] = {
    ("ods", "epraccur"): delivered(
        "epraccur.csv",
        APRIL,
        "epraccur",
        *(
            {
                "organisation_code": code,
                "name": f"{code} SURGERY",
                "national_grouping": "Y99",
                "high_level_health_geography": "Q99",
                "commissioner_code": "99X",
                "status_code": "A",
                "prescribing_setting": 4,
                "open_date": date(1974, 4, 1),
            }
            for code in ("P1", "P2")
        ),
    ),
    ("ods", "epcn_pcns"): delivered(
        "ePCN.xlsx",
        APRIL,
        "xlsx",
        *(
            {
                "pcn_code": code,
                "pcn_name": f"{code} PCN",
                "sub_icb_location_code": "99X",
                "sub_icb_location_name": "NHS Testshire ICB - 99X",
                "open_date": date(2019, 7, 1),
            }
            for code in ("U11111", "U22222")
        ),
    ),
    ("ods", "epcn_members"): delivered(
        "ePCN.xlsx",
        APRIL,
        "xlsx",
        *(
            {
                "practice_code": practice,
                "pcn_code": pcn,
                "practice_sub_icb_location_code": "99X",
                "practice_sub_icb_location_name": "NHS Testshire ICB - 99X",
                "relationship_start_date": start,
                "relationship_end_date": end,
            }
            for practice, pcn, start, end in (
                ("P1", "U11111", date(2019, 7, 1), None),
                ("P2", "U11111", date(2019, 7, 1), date(2026, 3, 31)),
                ("P2", "U22222", date(2026, 4, 1), None),
            )
        ),
    ),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[DbtInvocation, Path]:
    work_dir = tmp_path_factory.mktemp("dbt_cohort_build")
    database = work_dir / "warehouse.duckdb"
    raw = {
        ("clinical", "patients"): patient_rows(),
        ("clinical", "medication_issues"): medication_rows(),
        ("clinical", "events"): event_rows(),
        **ODS_ROWS,
    }
    write_raw_warehouse(database, raw)
    invocation = build_selection(
        "+fct_smr_cohort_monthly",
        "+dim_practices",
        "+dim_pcns",
        "+dim_periods",
        duckdb_path=database,
        work_dir=work_dir,
    )
    return invocation, database


def query(conn: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return conn.execute(sql).fetchall()


def test_build_of_cohort_models_and_their_tests_is_green(built):
    invocation, _ = built
    assert invocation.returncode == 0, invocation.output
    assert not failed_nodes(invocation), invocation.output


def test_cohort_counts_match_rules_computed_in_python(warehouse):
    columns = {
        "care_home": "care_home_patients",
        "learning_disability": "learning_disability_patients",
        "polypharmacy": "complex_polypharmacy_patients",
        "severe_frailty": "severe_frailty_patients",
        "addictive": "potentially_addictive_medicines_patients",
        "medication_harm": "medication_harm_risk_patients",
        "any": "any_cohort_patients",
        "des": "des_cohort_patients",
    }
    expected: dict[tuple[str, date], dict[str, int]] = {}
    for month in MONTH_ENDS:
        for p in PATIENTS:
            flags = expected_flags(p, month)
            counts = expected.setdefault(
                (p.practice_code, month), {"registered": 0, **dict.fromkeys(columns, 0)}
            )
            if flags is None:
                continue
            counts["registered"] += 1
            for name, flag in flags.items():
                counts[name] += flag
    built_counts = {
        (practice, month): dict(zip(["registered", *columns], values, strict=True))
        for practice, month, *values in query(
            warehouse,
            f"""
            select practice_code, reporting_month, registered_patients,
                {", ".join(columns.values())}
            from marts.fct_smr_cohort_monthly
            """,
        )
    }
    assert built_counts == expected
    # The scenario exercises every rule in both directions.
    assert expected[("P1", MARCH)]["des"] == 6 and expected[("P1", APRIL)]["des"] == 6


def test_practice_that_moves_pcn_counts_in_each_pcn_for_its_months(warehouse):
    assert query(
        warehouse,
        """
        select reporting_month, pcn_code from marts.fct_smr_cohort_monthly
        where practice_code = 'P2' order by reporting_month
        """,
    ) == [(MARCH, "U11111"), (APRIL, "U22222")]
    assert query(
        warehouse,
        "select pcn_code, icb_name, has_clinical_extracts from marts.dim_practices "
        "where practice_code = 'P2'",
    ) == [("U22222", "NHS Testshire ICB", True)]


def test_periods_cover_the_loaded_months_across_the_financial_year_boundary(warehouse):
    assert query(
        warehouse,
        """
        select period_id, financial_year, month_number_in_financial_year, is_complete
        from marts.dim_periods order by period_type, period_end
        """,
    ) == [
        ("financial_year_to_date_2026-03-31", "2025/26", 12, False),
        ("financial_year_to_date_2026-04-30", "2026/27", 1, True),
        ("month_2026-03-31", "2025/26", 12, True),
        ("month_2026-04-30", "2026/27", 1, True),
        ("quarter_2026-03-31", "2025/26", 12, False),
        ("quarter_2026-06-30", "2026/27", 3, False),
    ]
