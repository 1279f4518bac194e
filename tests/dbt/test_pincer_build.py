"""`dbt build` of the PINCER hazards, KPIs PS03 and CA03 and the DES harm cohort, tiny warehouse.

One practice (P1, PCN U11111) over August and September 2026, one patient per rule: an NSAID
at 70 with no gastroprotection (A, worked in the action log), an anticoagulant with an NSAID
at 40 (D), asthma with propranolol (G), methotrexate with an FBC but no LFT (ME_LFT, and not
monitored for CA03), lithium with a level (LI denominator, monitored), and a 76-year-old who
dies on 20 September with an NSAID. The expected figures are worked out by hand below from
those specifications (windows per docs/domain.md 3.1), not read back from the SQL.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from synthetic import codes
from tests.dbt.dbt_runner import REPO_ROOT, SEEDS_DIR, DbtInvocation, build_selection, failed_nodes
from tests.dbt.test_smr_cohort_build import query
from tests.dbt.test_staging_build import Row, delivered, write_raw_warehouse

AUGUST, SEPTEMBER = date(2026, 8, 1), date(2026, 9, 1)
MONTHS = (AUGUST, SEPTEMBER)

NAPROXEN, APIXABAN = "1001010P0AAAEAE", "0208020Z0AAABAB"
PROPRANOLOL, METHOTREXATE, LITHIUM = "0204000R0AAAJAJ", "1001030U0AAABAB", "0402030K0AAAFAF"
ASTHMA, FULL_BLOOD_COUNT, LITHIUM_LEVEL = "195967001", "1022441000000101", "1006681000000100"

# patient -> (birth date, death date)
PATIENTS: dict[str, tuple[date, date | None]] = {
    "nsaid_at_70": (date(1956, 1, 1), None),
    "anticoagulant_and_nsaid": (date(1986, 1, 1), None),
    "asthma_on_propranolol": (date(1980, 1, 1), None),
    "methotrexate_no_lft": (date(1980, 1, 1), None),
    "lithium_monitored": (date(1980, 1, 1), None),
    "dies_in_september": (date(1950, 1, 1), date(2026, 9, 20)),
}
ISSUES = [
    ("nsaid_at_70", NAPROXEN, date(2026, 8, 10)),
    ("anticoagulant_and_nsaid", APIXABAN, date(2026, 9, 5)),
    ("anticoagulant_and_nsaid", NAPROXEN, date(2026, 9, 5)),
    ("asthma_on_propranolol", PROPRANOLOL, date(2026, 9, 1)),
    ("methotrexate_no_lft", METHOTREXATE, date(2026, 4, 1)),
    ("methotrexate_no_lft", METHOTREXATE, date(2026, 7, 1)),
    ("methotrexate_no_lft", METHOTREXATE, date(2026, 9, 1)),
    ("lithium_monitored", LITHIUM, date(2026, 6, 1)),
    ("lithium_monitored", LITHIUM, date(2026, 8, 15)),
    ("dies_in_september", NAPROXEN, date(2026, 9, 1)),
]
EVENTS = [
    ("asthma_on_propranolol", ASTHMA, "Asthma", date(2020, 5, 1)),
    ("methotrexate_no_lft", FULL_BLOOD_COUNT, "Full blood count", date(2026, 8, 1)),
    ("lithium_monitored", LITHIUM_LEVEL, "Serum lithium level", date(2026, 9, 10)),
]

# Worked by hand. August (index 31 August, 3-month window from 31 May): A's denominator is
# everyone 65+ without a PPI (nsaid_at_70 and dies_in_september, still alive), the NSAID
# hazard is nsaid_at_70's (issued 10 August), worked on 20 August; G's denominator is the
# asthma patient (propranolol not issued until September); methotrexate was issued in
# (28 February, 31 May] and (31 May, 31 August] with an FBC and no LFT; lithium's earlier
# issue (1 June) is after 31 May, so no LI denominator yet.
# September (index 30 September, window from 30 June): dies_in_september is gone; D and E
# get the anticoagulated patient (D hazard with the NSAID, no antiplatelet for E); the
# asthma patient now has propranolol; lithium was issued in [30 March, 30 June] and since,
# with a level on 10 September.
EXPECTED_MONTHLY: dict[tuple[date, str], tuple[int, int, int]] = {
    (AUGUST, "A"): (2, 1, 1),
    (AUGUST, "G"): (1, 0, 0),
    (AUGUST, "ME_FBC"): (1, 0, 0),
    (AUGUST, "ME_LFT"): (1, 1, 0),
    (SEPTEMBER, "A"): (1, 1, 1),
    (SEPTEMBER, "D"): (1, 1, 0),
    (SEPTEMBER, "E"): (1, 0, 0),
    (SEPTEMBER, "G"): (1, 1, 0),
    (SEPTEMBER, "ME_FBC"): (1, 0, 0),
    (SEPTEMBER, "ME_LFT"): (1, 1, 0),
    (SEPTEMBER, "LI"): (1, 0, 0),
}
INDICATORS = ("A", "B", "C", "D", "E", "F", "G", "I", "K", "AC", "ME_FBC", "ME_LFT", "LI", "AM")


def patient_rows() -> list[Row]:
    return [
        row
        for month in MONTHS
        for row in delivered(
            f"EMIS_patients_{month:%Y%m}.csv",
            month,
            "emis",
            *(
                {
                    "practice_code": "P1",
                    "patient_id": patient,
                    "date_of_birth": born,
                    "sex": "Female",
                    "registration_date": date(2000, 1, 1),
                    "date_of_death": died,
                    "is_care_home_resident": "N",
                    "has_learning_disability": "N",
                    "is_end_of_life": "N",
                }
                for patient, (born, died) in PATIENTS.items()
            ),
        )
    ]


def medication_rows() -> list[Row]:
    return delivered(
        "EMIS_medication_issues_202609.csv",
        SEPTEMBER,
        "emis",
        *(
            {
                "practice_code": "P1",
                "patient_id": patient,
                "dmd_code": bnf_code,
                "bnf_code": bnf_code,
                "drug_name": bnf_code,
                "issue_date": issued,
                "issue_type": "Acute",
            }
            for patient, bnf_code, issued in ISSUES
        ),
    )


def event_rows() -> list[Row]:
    return delivered(
        "EMIS_events_202609.csv",
        SEPTEMBER,
        "emis",
        *(
            {
                "practice_code": "P1",
                "patient_id": patient,
                "snomed_code": code,
                "term": term,
                "event_date": on,
            }
            for patient, code, term, on in EVENTS
        ),
    )


def action_rows() -> list[Row]:
    return delivered(
        "pincer_actions_U11111_202609.csv",
        SEPTEMBER,
        "local",
        {
            "pcn_code": "U11111",
            "practice_code": "P1",
            "patient_id": "nsaid_at_70",
            "indicator": "A",
            "identified_date": date(2026, 8, 12),
            "action": "Medicine stopped",
            "action_date": date(2026, 8, 20),
        },
    )


ODS_ROWS: dict[tuple[str, str], list[Row]] = {
    ("ods", "epraccur"): delivered(
        "epraccur.csv",
        SEPTEMBER,
        "epraccur",
        {
            "organisation_code": "P1",
            "name": "P1 SURGERY",
            "national_grouping": "Y99",
            "high_level_health_geography": "Q99",
            "commissioner_code": "99X",
            "status_code": "A",
            "prescribing_setting": 4,
            "open_date": date(1974, 4, 1),
        },
    ),
    ("ods", "epcn_pcns"): delivered(
        "ePCN.xlsx",
        SEPTEMBER,
        "xlsx",
        {
            "pcn_code": "U11111",
            "pcn_name": "U11111 PCN",
            "sub_icb_location_code": "99X",
            "sub_icb_location_name": "NHS Testshire ICB - 99X",
            "open_date": date(2019, 7, 1),
        },
    ),
    ("ods", "epcn_members"): delivered(
        "ePCN.xlsx",
        SEPTEMBER,
        "xlsx",
        {
            "practice_code": "P1",
            "pcn_code": "U11111",
            "practice_sub_icb_location_code": "99X",
            "practice_sub_icb_location_name": "NHS Testshire ICB - 99X",
            "relationship_start_date": date(2019, 7, 1),
            "relationship_end_date": None,
        },
    ),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[DbtInvocation, Path]:
    work_dir = tmp_path_factory.mktemp("dbt_pincer_build")
    database = work_dir / "warehouse.duckdb"
    raw = {
        ("clinical", "patients"): patient_rows(),
        ("clinical", "medication_issues"): medication_rows(),
        ("clinical", "events"): event_rows(),
        ("local", "pincer_actions"): action_rows(),
        **ODS_ROWS,
    }
    write_raw_warehouse(database, raw)
    invocation = build_selection(
        "+fct_pincer_hazards_monthly",
        "+fct_kpi_values",
        "--exclude",
        "test_type:unit",
        duckdb_path=database,
        work_dir=work_dir,
    )
    return invocation, database


def test_build_of_pincer_models_and_their_tests_is_green(built):
    invocation, _ = built
    assert invocation.returncode == 0, invocation.output
    assert not failed_nodes(invocation), invocation.output


def test_monthly_hazards_match_the_hand_worked_figures(warehouse):
    built_rows = {
        (month, indicator): (denominator, hazards, actioned)
        for month, indicator, denominator, hazards, actioned in query(
            warehouse,
            """
            select month_start_date, indicator, denominator_patients, hazard_patients,
                actioned_patients
            from marts.fct_pincer_hazards_monthly
            where practice_code = 'P1' and pcn_code = 'U11111'
            """,
        )
    }
    expected = {
        (month, indicator): EXPECTED_MONTHLY.get((month, indicator), (0, 0, 0))
        for month in MONTHS
        for indicator in INDICATORS
    }
    assert built_rows == expected


def kpi(conn: duckdb.DuckDBPyConnection, kpi_id: str, org: str, period: str) -> tuple[Any, ...]:
    rows = query(
        conn,
        f"""
        select numerator, denominator, value, data_status from marts.fct_kpi_values
        where kpi_id = '{kpi_id}' and org_code = '{org}' and period_id = '{period}'
        """,
    )
    assert len(rows) == 1, rows
    return rows[0]


def test_ps03_counts_each_hazard_once_a_quarter_with_its_action(warehouse):
    # Quarter to 30 September: A (nsaid_at_70, worked 20 August), ME_LFT, G and D, once each.
    for org in ("P1", "U11111"):
        assert kpi(warehouse, "PS03", org, "quarter_2026-09-30") == (1, 4, 25.0, "ok")
    # August alone: A (worked) and ME_LFT (open).
    assert kpi(warehouse, "PS03", "U11111", "month_2026-08-31") == (1, 2, 50.0, "ok")


def test_ca03_is_the_register_at_the_period_end(warehouse):
    # September: methotrexate (FBC but no LFT: not monitored) and lithium (level: monitored).
    assert kpi(warehouse, "CA03", "U11111", "month_2026-09-30") == (1, 2, 50.0, "ok")
    # The quarter shows its last month.
    assert kpi(warehouse, "CA03", "U11111", "quarter_2026-09-30") == (1, 2, 50.0, "ok")
    # August: both on the register (lithium issued 1 June and 15 August), neither monitored
    # by 31 August (no LFT; the lithium level is dated 10 September).
    assert kpi(warehouse, "CA03", "P1", "month_2026-08-31") == (0, 2, 0.0, "ok")


def test_des_harm_cohort_is_the_pincer_prescribing_hazards(warehouse):
    # A, D and G hazards make the harm cohort (SMR-01A); the ME_LFT monitoring hazard does not.
    assert query(
        warehouse,
        """
        select reporting_month, medication_harm_risk_patients
        from marts.fct_smr_cohort_monthly where practice_code = 'P1' order by reporting_month
        """,
    ) == [(AUGUST, 1), (SEPTEMBER, 3)]


# The codes of the published PINCER clinical-event lists (opensafely/pincer-measures), one
# `file,code` row each: tests/fixtures/reference/codelists_pincer/PROVENANCE.md.
PUBLISHED = REPO_ROOT / "tests" / "fixtures" / "reference" / "codelists_pincer" / "pincer_codes.csv"
# Codes per published file, as its PROVENANCE counts them (rows below the header, by wc -l).
PUBLISHED_SIZES = {
    "pincer-ast.csv": 124,
    "pincer-ast_res.csv": 1,
    "pincer-egfr.csv": 8,
    "pincer-electro.csv": 29,
    "pincer-fbc.csv": 227,
    "pincer-gi_bleed.csv": 126,
    "pincer-hf.csv": 99,
    "pincer-lft.csv": 60,
    "pincer-lith_lev.csv": 13,
    "pincer-pep.csv": 289,
    "pincer-renal.csv": 44,
    "pincer-tft.csv": 115,
}
# seed codelist -> the opensafely/pincer-measures file it was taken from
REFERENCE_FILES = {
    "pincer_fbc": "pincer-fbc.csv",
    "pincer_lft": "pincer-lft.csv",
    "pincer_lithium_level": "pincer-lith_lev.csv",
    "pincer_tft": "pincer-tft.csv",
    "pincer_renal": "pincer-renal.csv",
    "pincer_electrolytes": "pincer-electro.csv",
    "pincer_egfr": "pincer-egfr.csv",
    "pincer_asthma": "pincer-ast.csv",
    "pincer_asthma_resolved": "pincer-ast_res.csv",
    "pincer_heart_failure": "pincer-hf.csv",
    "pincer_peptic_ulcer": "pincer-pep.csv",
    "pincer_gi_bleed": "pincer-gi_bleed.csv",
}


def seed_codelists() -> dict[str, set[str]]:
    lists: dict[str, set[str]] = {}
    with (SEEDS_DIR / "snomed_codelists.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            lists.setdefault(row["codelist_id"], set()).add(row["snomed_code"])
    return lists


def test_synthetic_lab_and_diagnosis_codes_are_in_their_pincer_codelists():
    lists = seed_codelists()
    expected = {
        codes.HAEMOGLOBIN: "pincer_fbc",
        codes.FULL_BLOOD_COUNT: "pincer_fbc",
        codes.ALT: "pincer_lft",
        codes.LITHIUM_LEVEL: "pincer_lithium_level",
        codes.TSH: "pincer_tft",
        codes.U_AND_E: "pincer_electrolytes",
        codes.POTASSIUM: "pincer_electrolytes",
        codes.CREATININE: "pincer_renal",
        codes.EGFR: "pincer_egfr",
        codes.HEART_FAILURE: "pincer_heart_failure",
        codes.ASTHMA: "pincer_asthma",
        codes.ASTHMA_RESOLVED: "pincer_asthma_resolved",
        codes.PEPTIC_ULCER: "pincer_peptic_ulcer",
    }
    missing = [f"{c.term} -> {lst}" for c, lst in expected.items() if c.snomed not in lists[lst]]
    assert not missing
    # The LFT list is its own (the ehrQL version reused the FBC list for LFTs).
    assert not lists["pincer_lft"] & lists["pincer_fbc"]


def test_seed_pincer_codelists_hold_only_members_of_the_published_lists():
    published: dict[str, set[str]] = {}
    with PUBLISHED.open(newline="") as f:
        for row in csv.DictReader(f):
            published.setdefault(row["file"], set()).add(row["code"])
    seeds = seed_codelists()

    # Every published list whole, so a seed code missing from it is really not a member.
    assert {name: len(codes) for name, codes in published.items()} == PUBLISHED_SIZES
    for codelist, file_name in REFERENCE_FILES.items():
        extra = seeds[codelist] - published[file_name]
        assert not extra, f"{codelist}: {sorted(extra)} not in {file_name}"
