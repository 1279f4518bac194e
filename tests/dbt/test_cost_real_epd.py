"""Cost per ASTRO-PU on real public data: four real practices, from the retired EPD of 2017 to the
zipped EPD with SNOMED code of 2026, with list sizes under each name NHS Digital has used.

The fixture inbox of tests/ingestion/test_real_public_files.py (tests/fixtures/reference) is
loaded by the ingestion library, with one change: in the newest epraccur, Acorn Practice
(L84073, Gloucestershire) has column 4 set to QOX, a neighbouring ICB, as epraccur writes it
since June 2025 for a practice whose postcode lies across the border. dbt then builds
fct_prescribing_cost. Every expected figure is typed in: ACTUAL_COST summed per practice with
awk, and ASTRO-PU(cost) per practice worked out with awk from the quinary files, the 2013 cost
weights (docs/domain.md section 4.1) and the quinary bands mapped to ASTRO-PU bands by hand.

The 2017 list sizes are cuts that leave one practice out each month (B85054 in September,
L84018 in October) although it prescribes that month: its month is kept visible but never
costed, and drops out of its year to date.
"""

from __future__ import annotations

import csv
import io
import statistics
import zipfile
from pathlib import Path

import duckdb
import pytest

from ingestion.duckdb_io import connect, ensure_schema
from tests.dbt.dbt_runner import DbtInvocation, failed_nodes, run_dbt
from tests.ingestion.test_real_public_files import (
    EPD_BY_MONTH,
    MONTHS,
    NO_LIST_SIZE,
    ODS_FILES,
    build_inbox,
    load_everything,
)

# ASTRO-PU(cost) per practice from the upstream September and October 2017 quinary files, as
# the files made by hand for 2024-09, 2026-05 and 2026-04 hold them, and from the 2017 cuts,
# which leave out one practice each (awk over each fixture file: the weight of each sex x band
# times its patients, summed; the ALL rows left out).
SEPTEMBER_ASTRO_PU = {
    "B85010": 24463.8190030898,
    "B85054": 40335.9906360262,
    "L84018": 26152.8298903223,
    "L84073": 15322.1080383162,
}
OCTOBER_ASTRO_PU = {
    "B85010": 24463.2433271680,
    "B85054": 40282.8582480873,
    "L84018": 26217.7897444045,
    "L84073": 15312.7321072523,
}
ASTRO_PU_BY_MONTH = {
    "2017-09": {p: v for p, v in SEPTEMBER_ASTRO_PU.items() if p != NO_LIST_SIZE["2017-09"]},
    "2017-10": {p: v for p, v in OCTOBER_ASTRO_PU.items() if p != NO_LIST_SIZE["2017-10"]},
    "2024-09": SEPTEMBER_ASTRO_PU,
    "2026-04": OCTOBER_ASTRO_PU,
    "2026-05": SEPTEMBER_ASTRO_PU,
}
PERIODS = {
    "2017-09": "month_2017-09-30",
    "2017-10": "month_2017-10-31",
    "2024-09": "month_2024-09-30",
    "2026-04": "month_2026-04-30",
    "2026-05": "month_2026-05-31",
}
PCN_MONTHS = ("2024-09", "2026-04", "2026-05")  # the 2023 ePCN dates every membership 2019
# Each practice's PCN (ePCN 2023) and that PCN's ICB (its sub-ICB location's).
PCNS = {"B85010": "U38221", "B85054": "U69551", "L84018": "U41523", "L84073": "U02669"}
PCN_ICBS = {"B85010": "QWO", "B85054": "QWO", "L84018": "QR1", "L84073": "QR1"}
# Outside any PCN, epraccur's column 4 is all there is: L84073's is the neighbouring QOX.
BORDER_PRACTICE, NEIGHBOURING_ICB = "L84073", "QOX"
# Before PCNs, each practice costed that month (it has a list size), its ICB by epraccur's
# column 4 and the practices compared there: B85054 has no list size in September, L84018
# none in October, so QR1 has no practice costed in October.
PEERS_BEFORE_PCNS = {
    "2017-09": {
        "B85010": ("QWO", ("B85010",)),
        "L84018": ("QR1", ("L84018",)),
        "L84073": ("QOX", ("L84073",)),
    },
    "2017-10": {
        "B85010": ("QWO", ("B85010", "B85054")),
        "B85054": ("QWO", ("B85010", "B85054")),
        "L84073": ("QOX", ("L84073",)),
    },
}


def _cost(month: str, practice: str) -> float:
    return float(EPD_BY_MONTH[month][practice][3])


def _ratio(month: str, practice: str) -> float:
    return _cost(month, practice) / ASTRO_PU_BY_MONTH[month][practice]


def _border_epraccur(target: Path) -> Path:
    """The DSE epraccur zip, with the border practice's column 4 moved across the border."""
    with zipfile.ZipFile(ODS_FILES / "dse" / "epraccur.zip") as archive:
        rows = list(csv.reader(io.StringIO(archive.read("epraccur.csv").decode("utf-8"))))
    for row in rows:
        if row[0] == BORDER_PRACTICE:
            row[3] = NEIGHBOURING_ICB
    text = io.StringIO()
    csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("epraccur.csv", text.getvalue())
    return target


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[DbtInvocation, Path]:
    root = tmp_path_factory.mktemp("cost_real")
    border = _border_epraccur(root / "epraccur.zip")
    inbox = build_inbox(root, replace={"epraccur.zip": border})
    database = root / "warehouse.duckdb"
    conn = connect(database)
    try:
        ensure_schema(conn)
        load_everything(conn, inbox)
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


def _fact(
    warehouse: duckdb.DuckDBPyConnection, org_type: str = "practice"
) -> dict[tuple[str, str], dict[str, object]]:
    cursor = warehouse.execute(
        "select * from marts.fct_prescribing_cost where org_type = ?", [org_type]
    )
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return {(row["org_code"], row["period_id"]): row for row in rows}


def test_the_cost_models_build_and_their_tests_pass(built):
    invocation, _ = built
    assert invocation.returncode == 0, invocation.output
    assert failed_nodes(invocation) == []


@pytest.mark.parametrize("month", MONTHS)
def test_cost_per_astro_pu_of_each_real_practice_matches_an_independent_sum(warehouse, month):
    fact = _fact(warehouse)

    for practice, astro_pu in ASTRO_PU_BY_MONTH[month].items():
        row = fact[(practice, PERIODS[month])]
        assert row["actual_cost"] == pytest.approx(_cost(month, practice), abs=1e-6)
        assert row["astro_pu_cost"] == pytest.approx(astro_pu, rel=1e-12)
        assert row["cost_per_astro_pu"] == pytest.approx(_ratio(month, practice), rel=1e-12)


@pytest.mark.parametrize("month", PCN_MONTHS)
def test_each_practice_is_compared_within_its_pcns_icb_whatever_its_postcode(warehouse, month):
    fact = _fact(warehouse)

    for icb in ("QWO", "QR1"):
        first, second = (p for p, i in PCN_ICBS.items() if i == icb)
        cheaper, dearer = sorted((first, second), key=lambda p: _ratio(month, p))
        median = (_ratio(month, first) + _ratio(month, second)) / 2  # PERCENTILE_CONT 0.5
        for practice, percentile in ((cheaper, 0.0), (dearer, 100.0)):
            row = fact[(practice, PERIODS[month])]
            assert row["icb_code"] == icb
            assert row["peer_median_cost_per_astro_pu"] == pytest.approx(median, rel=1e-12)
            assert row["peer_percentile"] == percentile
        saving = _cost(month, dearer) - median * ASTRO_PU_BY_MONTH[month][dearer]
        assert fact[(dearer, PERIODS[month])]["saving_at_peer_median_pounds"] == (
            pytest.approx(saving, rel=1e-9)
        )
        assert fact[(cheaper, PERIODS[month])]["saving_at_peer_median_pounds"] == 0


@pytest.mark.parametrize("month", ["2017-09", "2017-10"])
def test_before_pcns_existed_a_practice_falls_back_on_epraccur_column_4(warehouse, month):
    fact = _fact(warehouse)

    costed = {code for (code, period) in fact if period == PERIODS[month]}
    assert costed == set(PEERS_BEFORE_PCNS[month])
    for practice, (icb, peers) in PEERS_BEFORE_PCNS[month].items():
        row = fact[(practice, PERIODS[month])]
        median = statistics.median(_ratio(month, p) for p in peers)  # PERCENTILE_CONT 0.5
        cheaper_peers = sum(_ratio(month, p) < _ratio(month, practice) for p in peers)
        saving = max(_cost(month, practice) - median * ASTRO_PU_BY_MONTH[month][practice], 0)
        assert row["icb_code"] == icb
        assert row["peer_median_cost_per_astro_pu"] == pytest.approx(median, rel=1e-12)
        # PERCENT_RANK: 0 for the cheapest or a practice alone in its ICB.
        assert row["peer_percentile"] == 100 * cheaper_peers / max(len(peers) - 1, 1)
        # Alone, a practice is its own median: a saving of 0, to floating-point rounding.
        assert row["saving_at_peer_median_pounds"] == pytest.approx(saving, rel=1e-9, abs=1e-6)
    # The border practice stays in the neighbouring ICB its column 4 names.
    assert fact[(BORDER_PRACTICE, PERIODS[month])]["icb_code"] == NEIGHBOURING_ICB


@pytest.mark.parametrize(
    ("month", "periods_with_its_other_month"),
    [
        # B85054: October only; L84018: September only (its year to date to October too).
        (
            "2017-09",
            ["financial_year_to_date_2017-10-31", "month_2017-10-31", "quarter_2017-12-31"],
        ),
        (
            "2017-10",
            [
                "financial_year_to_date_2017-09-30",
                "financial_year_to_date_2017-10-31",
                "month_2017-09-30",
                "quarter_2017-09-30",
            ],
        ),
    ],
)
def test_a_practice_month_with_prescribing_but_no_list_size_is_never_costed(
    warehouse, month, periods_with_its_other_month
):
    practice = NO_LIST_SIZE[month]

    kept = warehouse.execute(
        "select actual_cost, list_size, astro_pu_cost, has_astro_pu, is_costed "
        "from intermediate.int_prescribing_costs_joined_to_astro_pu_by_month "
        "where practice_code = ? and month_start_date = ?",
        [practice, f"{month}-01"],
    ).fetchall()
    periods = warehouse.execute(
        "select period_id from marts.fct_prescribing_cost where org_type = 'practice' "
        "and org_code = ? and period_id like '%2017%' order by 1",
        [practice],
    ).fetchall()

    # Kept with its cost, so the gap shows, but with no ASTRO-PU to weight it by ...
    assert kept == [(EPD_BY_MONTH[month][practice][3], None, None, False, False)]
    # ... and left out of every period: only those holding its other 2017 month have a row.
    assert [p for (p,) in periods] == periods_with_its_other_month


@pytest.mark.parametrize("month", PCN_MONTHS)
def test_each_pcn_is_its_member_practices_with_data(warehouse, month):
    # Of each PCN, only the one practice in the fixtures has prescribing and list sizes.
    fact = _fact(warehouse, "pcn")

    for practice, pcn in PCNS.items():
        row = fact[(pcn, PERIODS[month])]
        assert row["icb_code"] == PCN_ICBS[practice]
        assert row["cost_per_astro_pu"] == pytest.approx(_ratio(month, practice), rel=1e-12)


def test_no_pcn_rows_before_the_practices_joined_pcns(warehouse):
    months = warehouse.execute(
        "select distinct period_id from marts.fct_prescribing_cost "
        "where org_type = 'pcn' and period_id like 'month_%' order by 1"
    ).fetchall()
    assert [m for (m,) in months] == [PERIODS[m] for m in PCN_MONTHS]


@pytest.mark.parametrize(
    ("period", "months_by_practice"),
    [
        # A month without a list size drops out of cost and ASTRO-PU alike.
        (
            "financial_year_to_date_2017-10-31",
            {
                "B85010": ("2017-09", "2017-10"),
                "B85054": ("2017-10",),  # no list size in September
                "L84018": ("2017-09",),  # no list size in October
                "L84073": ("2017-09", "2017-10"),
            },
        ),
        ("financial_year_to_date_2026-05-31", {p: ("2026-04", "2026-05") for p in PCNS}),
    ],
)
def test_the_year_to_date_is_cost_over_the_sum_of_monthly_astro_pu(
    warehouse, period, months_by_practice
):
    fact = _fact(warehouse)

    for practice, months in months_by_practice.items():
        cost = sum(_cost(m, practice) for m in months)
        astro_pu = sum(ASTRO_PU_BY_MONTH[m][practice] for m in months)
        row = fact[(practice, period)]
        assert row["actual_cost"] == pytest.approx(cost, abs=1e-6)
        assert row["cost_per_astro_pu"] == pytest.approx(cost / astro_pu, rel=1e-12)
