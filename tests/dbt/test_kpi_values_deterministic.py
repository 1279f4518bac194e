"""The same raw data gives the same KPI bytes on one dbt thread and on four.

Two warehouses are written with identical raw tables: the SMR scenario of
test_kpi_values_build (two practices with clinical extracts) and, for the cost KPIs, the public
data of an ICB of nine PCNs (27 practices): four months of EPD rows with costs to the penny's
thousandth and quinary list sizes, from a seeded random generator. dbt builds the KPI mart
into one warehouse with --threads 1 and into the other with --threads 4; fct_kpi_values and
fct_prescribing_cost must then agree on every column of every row, exactly (Python compares
floats bit for bit). With nine PCNs the middle one is the ICB median, so its CO02 is exactly
1.00 and green in every month, which a floating-point sum taken in a different order
(1.0000000000000002) would make amber.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.dbt.dbt_runner import run_dbt
from tests.dbt.test_kpi_values_build import smr_event_rows
from tests.dbt.test_smr_cohort_build import ODS_ROWS, event_rows, medication_rows, patient_rows
from tests.dbt.test_staging_build import Row, delivered, write_raw_warehouse

# Two scenario builds: marked as the tests/conftest.py fixtures mark theirs, so make test-fast
# leaves them to the full run.
pytestmark = pytest.mark.dbt

MONTHS = [date(2026, month, 1) for month in range(4, 8)]
PCNS = [f"U9000{n}" for n in range(1, 10)]
PRACTICES_PER_PCN = 3
QUINARY_BANDS = [f"{low}_{low + 4}" for low in range(0, 95, 5)] + ["95+"]
EPD_ROWS_PER_PRACTICE_MONTH = 20


def practices() -> list[tuple[str, str]]:
    return [(f"Z{pcn[-1]}{n:04d}", pcn) for pcn in PCNS for n in range(1, PRACTICES_PER_PCN + 1)]


def public_rows() -> dict[tuple[str, str], list[Row]]:
    """The ICB's ODS registers, EPD and list sizes, the same on every call (seeded)."""
    rng = random.Random(16)
    first = MONTHS[0]
    epd: list[Row] = []
    list_sizes: list[Row] = []
    for month in MONTHS:
        epd_month: list[Row] = []
        sizes_month: list[Row] = []
        for practice, _ in practices():
            # Each practice prescribes at its own rate, so the PCNs' costs per ASTRO-PU differ.
            rate = rng.uniform(0.5, 2.0)
            for _ in range(EPD_ROWS_PER_PRACTICE_MONTH):
                cost = Decimal(rng.randint(1, 9_000_000)) / Decimal(1000) * Decimal(str(rate))
                epd_month.append(
                    {
                        "year_month": month,
                        "practice_code": practice,
                        "practice_name": f"{practice} SURGERY",
                        "bnf_code": "0212000B0AAABAB",
                        "bnf_description": "Atorvastatin 20mg tablets",
                        "quantity": 28.0,
                        "items": 1,
                        "nic": cost.quantize(Decimal("0.00001")),
                        "actual_cost": cost.quantize(Decimal("0.00001")),
                    }
                )
            for sex in ("MALE", "FEMALE"):
                for band in QUINARY_BANDS:
                    sizes_month.append(
                        {
                            "extract_date": month,
                            "org_type": "GP",
                            "org_code": practice,
                            "sex": sex,
                            "age_group": band,
                            "number_of_patients": rng.randint(20, 400),
                        }
                    )
        epd += delivered(f"EPD_{month:%Y%m}.csv", month, "epd", *epd_month)
        list_sizes += delivered("gp-reg-pat-prac-quin-age.csv", month, "quinary", *sizes_month)
    return {
        ("nhsbsa", "epd"): epd,
        ("nhsd", "gp_list_sizes"): list_sizes,
        ("ods", "epraccur"): ODS_ROWS[("ods", "epraccur")]
        + delivered(
            "epraccur.csv",
            first,
            "epraccur",
            *(
                {
                    "organisation_code": practice,
                    "name": f"{practice} SURGERY",
                    "national_grouping": "Y99",
                    "high_level_health_geography": "Q99",
                    "commissioner_code": "99X",
                    "status_code": "A",
                    "prescribing_setting": 4,
                    "open_date": date(1974, 4, 1),
                }
                for practice, _ in practices()
            ),
            first_row=100,
        ),
        ("ods", "epcn_pcns"): ODS_ROWS[("ods", "epcn_pcns")]
        + delivered(
            "ePCN.xlsx",
            first,
            "xlsx",
            *(
                {
                    "pcn_code": pcn,
                    "pcn_name": f"{pcn} PCN",
                    "sub_icb_location_code": "99X",
                    "sub_icb_location_name": "NHS Testshire ICB - 99X",
                    "open_date": date(2019, 7, 1),
                }
                for pcn in PCNS
            ),
            first_row=100,
        ),
        ("ods", "epcn_members"): ODS_ROWS[("ods", "epcn_members")]
        + delivered(
            "ePCN.xlsx",
            first,
            "xlsx",
            *(
                {
                    "practice_code": practice,
                    "pcn_code": pcn,
                    "practice_sub_icb_location_code": "99X",
                    "practice_sub_icb_location_name": "NHS Testshire ICB - 99X",
                    "relationship_start_date": date(2019, 7, 1),
                    "relationship_end_date": None,
                }
                for practice, pcn in practices()
            ),
            first_row=100,
        ),
    }


def raw_tables() -> dict[tuple[str, str], list[Row]]:
    events = event_rows()
    return {
        ("clinical", "patients"): patient_rows(),
        ("clinical", "medication_issues"): medication_rows(),
        ("clinical", "events"): events + smr_event_rows(first_row=len(events) + 2),
        **public_rows(),
    }


def build(work_dir: Path, threads: int) -> Path:
    database = work_dir / f"threads_{threads}.duckdb"
    write_raw_warehouse(database, raw_tables())
    invocation = run_dbt(
        "build",
        "--select",
        "+fct_kpi_values",
        "+fct_prescribing_cost",
        "--exclude-resource-type",
        "test",
        "unit_test",
        "--threads",
        str(threads),
        duckdb_path=database,
        work_dir=work_dir / f"dbt_{threads}",
    )
    assert invocation.returncode == 0, invocation.output[-5000:]
    return database


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work_dir = tmp_path_factory.mktemp("dbt_deterministic")
    return build(work_dir, threads=1), build(work_dir, threads=4)


def table(database: Path, name: str, key: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(database), read_only=True) as conn:
        return conn.execute(f"select * from marts.{name} order by {key}").fetchall()


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("fct_kpi_values", "org_type, org_code, period_id, kpi_id"),
        ("fct_prescribing_cost", "org_type, org_code, period_id"),
    ],
)
def test_one_thread_and_four_give_the_same_rows_exactly(builds, name, key):
    single, parallel = (table(database, name, key) for database in builds)
    assert len(single) == len(parallel) > 0
    different = [(a, b) for a, b in zip(single, parallel, strict=True) if a != b]
    assert not different, different[:5]


def test_the_median_pcn_is_exactly_at_the_peer_median_and_green(builds):
    with duckdb.connect(str(builds[1]), read_only=True) as conn:
        rows = conn.execute(
            """
            select period_id, value, rag
            from marts.fct_kpi_values
            where kpi_id = 'CO02' and org_type = 'pcn' and data_status = 'ok'
                and period_id like 'month_%'
            """
        ).fetchall()
    by_month: dict[str, list[tuple[float, str]]] = {}
    for period_id, value, rag in rows:
        by_month.setdefault(period_id, []).append((value, rag))
    assert len(by_month) == len(MONTHS)
    for period_id, values in by_month.items():
        # Nine PCNs with costs: the fifth cheapest is the median, 1.00 exactly.
        assert len(values) == len(PCNS), period_id
        assert sorted(values)[len(PCNS) // 2] == (1.0, "green"), period_id
