"""`dbt build` of the KPI mart and the SMR trajectory on a small hand-written raw warehouse.

Reuses the cohort scenario of test_smr_cohort_build (two practices over March and April 2026,
P2 moving from PCN U11111 to U22222 on 1 April) and adds SMR events on both sides of the
financial-year boundary, a duplicate SMR row and an SMR outside every cohort. CA01, CA02 and
the PCN values are then computed here, in Python, from the same specifications (cohort sizes
from the cohort test's own rules, the default target from the seed's coverage share) and
compared with the mart. The analyst query "which practice is furthest behind its SMR
trajectory this month" is run as written for the README.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.dbt.dbt_runner import SEEDS_DIR, DbtInvocation, build_selection, failed_nodes
from tests.dbt.published import published
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

SMR_CODE = "1239511000000100"
PCN_OF = {("P1", MARCH): "U11111", ("P1", APRIL): "U11111"}
PCN_OF |= {("P2", MARCH): "U11111", ("P2", APRIL): "U22222"}

# (practice, patient, date); the duplicate 1 April row must count once.
SMRS = [
    ("P1", "care_home", date(2026, 3, 31)),
    ("P1", "ten_medicines", date(2026, 3, 15)),
    ("P1", "care_home", date(2026, 4, 1)),
    ("P1", "care_home", date(2026, 4, 1)),
    ("P1", "efi_037", date(2026, 4, 10)),
    ("P1", "no_cohort", date(2026, 4, 11)),
    ("P2", "care_home_moved_pcn", date(2026, 3, 20)),
    ("P2", "care_home_moved_pcn", date(2026, 4, 15)),
]

# The README's analyst query: one statement against the marts.
FURTHEST_BEHIND_TRAJECTORY_SQL = """
select
    trajectory.org_code as practice_code,
    practices.practice_name,
    trajectory.reporting_month,
    trajectory.smrs_year_to_date,
    round(trajectory.trajectory_to_date, 1) as trajectory_to_date,
    round(trajectory.gap_to_trajectory, 1) as gap_to_trajectory,
    round(trajectory.percent_of_trajectory, 1) as percent_of_trajectory
from marts.fct_smr_trajectory as trajectory
inner join marts.dim_practices as practices
    on trajectory.org_code = practices.practice_code
where
    trajectory.org_type = 'practice'
    and trajectory.reporting_month = (select max(reporting_month) from marts.fct_smr_trajectory)
order by trajectory.percent_of_trajectory, trajectory.gap_to_trajectory
limit 1
"""


def coverage_share() -> float:
    with (SEEDS_DIR / "smr_planning_assumptions.csv").open() as f:
        return next(
            float(row["value"])
            for row in csv.DictReader(f)
            if row["parameter"] == "des_cohort_coverage_share"
        )


def des_cohort(practice: str, month: date) -> int:
    return sum(
        bool(flags and flags["des"])
        for p in PATIENTS
        if p.practice_code == practice
        for flags in [expected_flags(p, month)]
    )


def practice_month_target(practice: str, month: date) -> float:
    """Default target: the PCN's DES cohort at the end of the year's first loaded month (each
    year has one loaded month here) x the coverage share, a twelfth a month, shared by the
    practice's share of the PCN's DES cohort that month."""
    pcn = PCN_OF[(practice, month)]
    pcn_cohort = sum(
        des_cohort(other, month)
        for (other, m), code in PCN_OF.items()
        if m == month and code == pcn
    )
    return pcn_cohort * coverage_share() / 12 * des_cohort(practice, month) / pcn_cohort


def smrs_in(practice: str, month: date) -> int:
    return len(
        {(patient, day) for p, patient, day in SMRS if p == practice and day.month == month.month}
    )


def smr_event_rows(first_row: int) -> list[dict]:
    return delivered(
        "EMIS_events_202604.csv",
        APRIL,
        "emis",
        *(
            {
                "practice_code": practice,
                "patient_id": patient,
                "snomed_code": SMR_CODE,
                "term": "Structured medication review",
                "event_date": day,
            }
            for practice, patient, day in SMRS
        ),
        first_row=first_row,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[DbtInvocation, Path]:
    work_dir = tmp_path_factory.mktemp("dbt_kpi_build")
    database = work_dir / "warehouse.duckdb"
    events = event_rows()
    raw = {
        ("clinical", "patients"): patient_rows(),
        ("clinical", "medication_issues"): medication_rows(),
        ("clinical", "events"): events + smr_event_rows(first_row=len(events) + 2),
        **ODS_ROWS,
    }
    write_raw_warehouse(database, raw)
    invocation = build_selection(
        "+fct_kpi_values",
        "+fct_smr_trajectory",
        "+dim_practices",
        "+dim_pcns",
        duckdb_path=database,
        work_dir=work_dir,
    )
    return invocation, database


def kpi_rows(conn: duckdb.DuckDBPyConnection, kpi_id: str) -> dict[tuple[str, str, str], tuple]:
    return {
        (org_type, org_code, period_id): (numerator, denominator, value)
        for org_type, org_code, period_id, numerator, denominator, value in query(
            conn,
            f"""
            select org_type, org_code, period_id, numerator, denominator, value
            from marts.fct_kpi_values
            where kpi_id = '{kpi_id}' and data_status = 'ok'
            """,
        )
    }


def test_build_of_kpi_models_and_their_tests_is_green(built):
    invocation, _ = built
    assert invocation.returncode == 0, invocation.output
    assert not failed_nodes(invocation), invocation.output


def test_ca02_practice_months_match_an_independent_calculation(warehouse):
    built_rows = kpi_rows(warehouse, "CA02")
    for practice, month in PCN_OF:
        numerator, denominator, value = built_rows[
            ("practice", practice, f"month_{MONTH_ENDS[month]}")
        ]
        target = practice_month_target(practice, month)
        assert numerator == smrs_in(practice, month)
        assert denominator == pytest.approx(target)
        assert value == published(100 * smrs_in(practice, month) / target, 1)


def test_ca01_year_to_date_restarts_on_1_april(warehouse):
    built_rows = kpi_rows(warehouse, "CA01")
    # 31 March is in 2025/26's year to date; 1 April starts 2026/27's.
    assert built_rows[("practice", "P1", "financial_year_to_date_2026-03-31")][0] == 2
    assert built_rows[("practice", "P1", "financial_year_to_date_2026-04-30")][0] == 3
    # CA01 is reported on year-to-date periods only (kpi_definitions period_grain).
    assert all(period.startswith("financial_year_to_date_") for _, _, period in built_rows)


def test_pcn_value_is_sum_of_numerators_over_sum_of_denominators(warehouse):
    built_rows = kpi_rows(warehouse, "CA02")
    march = f"month_{MONTH_ENDS[MARCH]}"
    numerator = smrs_in("P1", MARCH) + smrs_in("P2", MARCH)
    denominator = practice_month_target("P1", MARCH) + practice_month_target("P2", MARCH)
    pcn = built_rows[("pcn", "U11111", march)]
    assert pcn[0] == numerator
    assert pcn[1] == pytest.approx(denominator)
    assert pcn[2] == published(100 * numerator / denominator, 1)
    # The practices differ in size, so a mean of their ratios would give another answer.
    practice_values = [built_rows[("practice", p, march)][2] for p in ("P1", "P2")]
    assert pcn[2] != pytest.approx(sum(practice_values) / 2)


def test_practice_that_moves_pcn_counts_in_each_pcn_for_its_months(warehouse):
    built_rows = kpi_rows(warehouse, "CA02")
    april = f"month_{MONTH_ENDS[APRIL]}"
    assert built_rows[("pcn", "U22222", april)][0] == smrs_in("P2", APRIL)
    assert built_rows[("pcn", "U11111", april)][0] == smrs_in("P1", APRIL)
    assert ("pcn", "U22222", f"month_{MONTH_ENDS[MARCH]}") not in built_rows


def test_analyst_query_finds_the_practice_furthest_behind_its_trajectory(warehouse):
    percent = {
        practice: 100 * smrs_in(practice, APRIL) / practice_month_target(practice, APRIL)
        for practice in ("P1", "P2")
    }
    furthest_behind = min(percent, key=percent.__getitem__)
    (row,) = query(warehouse, FURTHEST_BEHIND_TRAJECTORY_SQL)
    assert row[0] == furthest_behind
    assert row[2] == APRIL
    assert row[6] == pytest.approx(round(percent[furthest_behind], 1))
