"""Cost per ASTRO-PU on real public data: four real practices, September and October 2017.

The NHSBSA prescribing rows, NHS Digital quinary list sizes and ODS epraccur of the shared
reference folder (read in place, placed in a temporary inbox by the same mapping
tests/ingestion/test_real_public_files.py uses) are loaded by the ingestion library, then dbt
builds fct_prescribing_cost. Every expected figure is worked out here with the csv module:
ACTUAL_COST summed per practice, the 2013 ASTRO-PU cost weights typed in from domain.md
section 4.1 and the quinary bands mapped to ASTRO-PU bands by hand.
"""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingestion.duckdb_io import connect, ensure_schema
from ingestion.load import load_month
from pcnmo.contracts import EPCN_MEMBERS, EPCN_PCNS, EPD, EPRACCUR, LIST_SIZES
from tests.dbt.dbt_runner import DbtInvocation, failed_nodes, run_dbt
from tests.ingestion.test_real_public_files import EPD_SAMPLE, INBOX, MONTHS, REFERENCE

pytestmark = pytest.mark.skipif(
    not (EPD_SAMPLE / "epd_201709.csv").is_file(),
    reason=f"the shared reference data is not at {REFERENCE} (it sits beside the repository "
    "on the project's machines; this test reads it in place)",
)

# ASTRO-PU 2013 cost weights (domain.md 4.1, from OpenPrescribing's model_prescribing_units.py).
COST_WEIGHTS = {
    "0-4": (1.0, 0.874764602225095),
    "5-14": (0.871655388261018, 0.736837170135133),
    "15-24": (1.22586428186498, 1.44903466533634),
    "25-34": (1.25432789273113, 1.84193852699796),
    "35-44": (1.81674766893969, 2.57229387381937),
    "45-54": (3.08974457158975, 3.72488353721683),
    "55-64": (5.28280419664147, 5.44244517326563),
    "65-74": (8.74186911115141, 7.64083013196212),
    "75+": (11.3430752706509, 9.88935302232237),
}
# NHS Digital's quinary bands -> ASTRO-PU bands, by hand (domain.md 4.1).
QUINARY_TO_ASTRO = {
    "0_4": "0-4",
    "5_9": "5-14",
    "10_14": "5-14",
    "15_19": "15-24",
    "20_24": "15-24",
    "25_29": "25-34",
    "30_34": "25-34",
    "35_39": "35-44",
    "40_44": "35-44",
    "45_49": "45-54",
    "50_54": "45-54",
    "55_59": "55-64",
    "60_64": "55-64",
    "65_69": "65-74",
    "70_74": "65-74",
    "75_79": "75+",
    "80_84": "75+",
    "85_89": "75+",
    "90_94": "75+",
    "95+": "75+",
}
# epraccur 2017: the high level health geography (then the NHS England area team) of each.
PEER_GROUPS = {"Q72": ("B85010", "B85054"), "Q82": ("L84018", "L84073")}
MONTH_PERIODS = {"2017-09": "month_2017-09-30", "2017-10": "month_2017-10-31"}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def expected_costs(month: str) -> dict[str, Decimal]:
    epd = next(path for name, path in INBOX[month].items() if name.startswith("epd_"))
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in _rows(epd):
        totals[row["PRACTICE_CODE"]] += Decimal(row["ACTUAL_COST"])
    return dict(totals)


def expected_astro_pu(month: str) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for row in _rows(INBOX[month]["gp-reg-pat-prac-quin-age.csv"]):
        if row["ORG_TYPE"] != "GP" or row["SEX"] not in ("MALE", "FEMALE"):
            continue
        if row["AGE_GROUP_5"] == "ALL":
            continue  # the published total would count every patient twice
        male, female = COST_WEIGHTS[QUINARY_TO_ASTRO[row["AGE_GROUP_5"]]]
        weight = male if row["SEX"] == "MALE" else female
        totals[row["ORG_CODE"]] += weight * int(row["NUMBER_OF_PATIENTS"])
    return dict(totals)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[DbtInvocation, Path]:
    root = tmp_path_factory.mktemp("cost_real")
    inbox = root / "inbox"
    for month, files in INBOX.items():
        (inbox / month).mkdir(parents=True)
        for name, source in files.items():
            shutil.copyfile(source, inbox / month / name)
    database = root / "warehouse.duckdb"
    conn = connect(database)
    try:
        ensure_schema(conn)
        for table in (EPCN_MEMBERS, EPCN_PCNS, EPRACCUR):
            load_month(conn, table, MONTHS[0], inbox)
        for month in MONTHS:
            for table in (LIST_SIZES, EPD):
                load_month(conn, table, month, inbox)
    finally:
        conn.close()
    # Models, seeds and data tests on the real rows; the unit tests of these models do not
    # depend on the data and run with the rest of the dbt suite.
    invocation = run_dbt(
        "build",
        "--select",
        "+fct_prescribing_cost",
        "--exclude-resource-type",
        "unit_test",
        "--indirect-selection",
        "cautious",
        duckdb_path=database,
        work_dir=root,
    )
    return invocation, database


def _fact(warehouse: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict[str, object]]:
    cursor = warehouse.execute(
        "select * from marts.fct_prescribing_cost where org_type = 'practice'"
    )
    columns = [d[0] for d in cursor.description]
    return {(row[1], row[2]): dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}


def test_the_cost_models_build_and_their_tests_pass(built):
    invocation, _ = built
    assert invocation.returncode == 0, invocation.output
    assert failed_nodes(invocation) == []


@pytest.mark.parametrize("month", MONTHS)
def test_cost_per_astro_pu_of_each_real_practice_matches_an_independent_sum(warehouse, month):
    costs, astro_pu = expected_costs(month), expected_astro_pu(month)
    assert set(costs) == set(astro_pu) == {"B85010", "B85054", "L84018", "L84073"}
    fact = _fact(warehouse)

    for practice, cost in costs.items():
        row = fact[(practice, MONTH_PERIODS[month])]
        assert row["actual_cost"] == pytest.approx(float(cost), abs=1e-6)
        assert row["astro_pu_cost"] == pytest.approx(astro_pu[practice], rel=1e-12)
        assert row["cost_per_astro_pu"] == pytest.approx(
            float(cost) / astro_pu[practice], rel=1e-12
        )


@pytest.mark.parametrize("month", MONTHS)
def test_each_practice_is_compared_with_the_practices_of_its_own_icb(warehouse, month):
    costs, astro_pu = expected_costs(month), expected_astro_pu(month)
    ratio = {p: float(costs[p]) / astro_pu[p] for p in costs}
    fact = _fact(warehouse)

    for icb, (first, second) in PEER_GROUPS.items():
        cheaper, dearer = sorted((first, second), key=ratio.get)
        median = (ratio[first] + ratio[second]) / 2  # PERCENTILE_CONT 0.5 of two values
        for practice, percentile in ((cheaper, 0.0), (dearer, 100.0)):
            row = fact[(practice, MONTH_PERIODS[month])]
            assert row["icb_code"] == icb
            assert row["peer_median_cost_per_astro_pu"] == pytest.approx(median, rel=1e-12)
            assert row["peer_percentile"] == percentile
        saving = float(costs[dearer]) - median * astro_pu[dearer]
        assert fact[(dearer, MONTH_PERIODS[month])]["saving_at_peer_median_pounds"] == (
            pytest.approx(saving, rel=1e-9)
        )
        assert fact[(cheaper, MONTH_PERIODS[month])]["saving_at_peer_median_pounds"] == 0


def test_the_year_to_date_is_cost_over_the_sum_of_monthly_astro_pu(warehouse):
    by_month = [(expected_costs(m), expected_astro_pu(m)) for m in MONTHS]
    fact = _fact(warehouse)

    for practice in PEER_GROUPS["Q72"] + PEER_GROUPS["Q82"]:
        cost = sum(float(costs[practice]) for costs, _ in by_month)
        astro_pu = sum(weights[practice] for _, weights in by_month)
        row = fact[(practice, "financial_year_to_date_2017-10-31")]
        assert row["cost_per_astro_pu"] == pytest.approx(cost / astro_pu, rel=1e-12)


def test_no_pcn_rows_before_the_practices_joined_pcns(warehouse):
    # The 2023 ePCN release dates every membership from 2019: no PCN existed in 2017.
    pcn_rows = warehouse.execute(
        "select count(*) from marts.fct_prescribing_cost where org_type = 'pcn'"
    ).fetchall()
    assert pcn_rows == [(0,)]
