"""Real public files (NHSBSA prescribing, NHS Digital list sizes, ODS epraccur and ePCN), read in
place from the shared reference folder and copied only into a temporary inbox.

Every expected number is worked out here with the csv module (or taken from PROVENANCE.md),
never by the loader.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from ingestion.duckdb_io import connect, ensure_schema
from ingestion.load import load_month
from pcnmo.contracts import EPCN_MEMBERS, EPCN_PCNS, EPD, EPRACCUR, LIST_SIZES
from tests.ingestion.conftest import assert_log_adds_up, query

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
EPD_SAMPLE = REFERENCE / "epd_sample"
ORG_MAPPINGS = REFERENCE / "org_mappings"

pytestmark = pytest.mark.skipif(
    not (EPD_SAMPLE / "epd_201709.csv").is_file(),
    reason=f"the shared reference data is not at {REFERENCE} (it sits beside the repository "
    "on the project's machines; these tests read it in place)",
)

MONTHS = ("2017-09", "2017-10")
# inbox name -> file in the reference folder, per month
INBOX = {
    "2017-09": {
        "epd_201709.csv": EPD_SAMPLE / "epd_201709.csv",
        "gp-reg-pat-prac-quin-age.csv": EPD_SAMPLE / "gp-reg-pat-prac-quin-age_201709.csv",
        "epraccur.csv": EPD_SAMPLE / "epraccur_201708.csv",
        "epcn_core_partner_details.csv": ORG_MAPPINGS / "epcn_2023_core_partner_details.csv",
        "epcn_pcn_details.csv": ORG_MAPPINGS / "epcn_2023_pcn_details.csv",
    },
    "2017-10": {
        "epd_201710.csv": EPD_SAMPLE / "epd_201710.csv",
        "gp-reg-pat-prac-quin-age.csv": EPD_SAMPLE / "gp-reg-pat-prac-quin-age_201710.csv",
    },
}
GLOUCESTERSHIRE = "11M"  # sub-ICB of L84018 and L84073 in the 2023 ePCN release


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("real") / "inbox"
    for month, files in INBOX.items():
        (root / month).mkdir(parents=True)
        for name, source in files.items():
            shutil.copyfile(source, root / month / name)
    return root


@pytest.fixture(scope="module")
def warehouse(inbox):
    """Everything loaded the way the pipeline orders it: ODS first, then the EPD, unscoped."""
    conn = connect(inbox.parent / "warehouse.duckdb")
    ensure_schema(conn)
    results = {}
    for table in (EPCN_MEMBERS, EPCN_PCNS, EPRACCUR):
        results[(table.name, "2017-09")] = load_month(conn, table, "2017-09", inbox)
    for month in MONTHS:
        for table in (LIST_SIZES, EPD):
            results[(table.name, month)] = load_month(conn, table, month, inbox)
    yield conn, results
    conn.close()


def test_every_real_file_loads_every_row_with_nothing_quarantined(warehouse):
    conn, results = warehouse

    log = query(conn, "select * from pipeline.ingestion_log order by table_name, month")
    assert len(log) == len(results) == 7
    for entry in log:
        assert entry["status"] == "loaded", entry
        assert entry["rows_quarantined"] == 0, entry
        assert entry["rows_out_of_scope"] == 0, entry
    assert query(conn, "select * from pipeline.quarantine") == []
    assert_log_adds_up(conn)


@pytest.mark.parametrize(
    ("table", "month", "inbox_name"),
    [
        (EPD, "2017-09", "epd_201709.csv"),
        (EPD, "2017-10", "epd_201710.csv"),
        (LIST_SIZES, "2017-09", "gp-reg-pat-prac-quin-age.csv"),
        (EPCN_MEMBERS, "2017-09", "epcn_core_partner_details.csv"),
        (EPCN_PCNS, "2017-09", "epcn_pcn_details.csv"),
    ],
)
def test_rows_loaded_equal_the_data_rows_in_each_file(warehouse, table, month, inbox_name):
    conn, _ = warehouse
    expected = len(_read(INBOX[month][inbox_name]))

    loaded = conn.execute(
        f"select count(*), min(_source_row), max(_source_row) from {table.qualified_name} "
        "where _month = ?",
        [dt.date.fromisoformat(month + "-01")],
    ).fetchall()[0]

    assert loaded == (expected, 2, expected + 1)


@pytest.mark.parametrize(
    ("month", "file_name", "items", "nic", "actual_cost"),
    [
        ("2017-09", "epd_201709.csv", 46_895, Decimal("352697.84"), Decimal("328908.73")),
        ("2017-10", "epd_201710.csv", 49_214, Decimal("372543.43"), None),
    ],
)
def test_epd_totals_per_practice_match_an_independent_sum(
    warehouse, month, file_name, items, nic, actual_cost
):
    conn, _ = warehouse
    expected: dict[str, list] = defaultdict(lambda: [0, Decimal(0), Decimal(0)])
    for row in _read(INBOX[month][file_name]):
        totals = expected[row["PRACTICE_CODE"]]
        totals[0] += int(row["ITEMS"])
        totals[1] += Decimal(row["NIC"])
        totals[2] += Decimal(row["ACTUAL_COST"])
    # PROVENANCE.md's published totals, to 2 decimal places
    assert sum(t[0] for t in expected.values()) == items
    assert round(sum(t[1] for t in expected.values()), 2) == nic
    if actual_cost is not None:
        assert round(sum(t[2] for t in expected.values()), 2) == actual_cost

    got = conn.execute(
        "select practice_code, sum(items), sum(nic), sum(actual_cost) from raw_nhsbsa.epd "
        "where _month = ? group by 1",
        [dt.date.fromisoformat(month + "-01")],
    ).fetchall()

    assert {p: [i, n, a] for p, i, n, a in got} == dict(expected)  # exact decimals
    assert set(expected) == {"B85054", "L84018", "B85010", "L84073"}


def test_epd_dates_and_codes_are_read_as_published(warehouse):
    conn, _ = warehouse

    [row] = query(
        conn,
        "select min(year_month) as first, max(year_month) as last, "
        "count(distinct bnf_code) as bnf_codes, count(*) filter (where bnf_code is null) "
        "as no_code, min(_dialect) as dialect from raw_nhsbsa.epd where _month = '2017-09-01'",
    )

    expected_codes = {r["BNF_CODE"] for r in _read(INBOX["2017-09"]["epd_201709.csv"])}
    assert row == {
        "first": dt.date(2017, 9, 1),
        "last": dt.date(2017, 9, 1),
        "bnf_codes": len(expected_codes),
        "no_code": 0,
        "dialect": "epd",
    }


def test_list_size_totals_match_the_published_file(warehouse):
    conn, _ = warehouse
    published = {
        r["ORG_CODE"]: int(r["NUMBER_OF_PATIENTS"])
        for r in _read(INBOX["2017-09"]["gp-reg-pat-prac-quin-age.csv"])
        if r["SEX"] == "ALL" and r["AGE_GROUP_5"] == "ALL"
    }
    assert published == {"B85010": 6939, "B85054": 10529, "L84018": 6632, "L84073": 4181}

    got = conn.execute(
        "select org_code, number_of_patients, extract_date from raw_nhsd.gp_list_sizes "
        "where _month = '2017-09-01' and sex = 'ALL' and age_group = 'ALL'"
    ).fetchall()

    assert {code: n for code, n, _ in got} == published
    assert {d for _, _, d in got} == {dt.date(2017, 9, 1)}  # 01SEP2017


def test_list_size_bands_add_up_to_each_practice_total(warehouse):
    conn, _ = warehouse

    rows = conn.execute(
        "select org_code, sex, sum(number_of_patients) filter (where age_group <> 'ALL'), "
        "sum(number_of_patients) filter (where age_group = 'ALL') "
        "from raw_nhsd.gp_list_sizes where _month = '2017-10-01' and sex <> 'ALL' group by 1, 2"
    ).fetchall()

    assert len(rows) == 8
    assert all(bands == total for _, _, bands, total in rows)


def test_headerless_epraccur_loads_by_column_position(warehouse):
    conn, _ = warehouse
    with INBOX["2017-09"]["epraccur.csv"].open(newline="") as handle:
        expected = {r[0]: (r[1], r[14], int(r[25])) for r in csv.reader(handle)}

    got = conn.execute(
        "select organisation_code, name, commissioner_code, prescribing_setting, _source_row, "
        "status_code, open_date from raw_ods.epraccur"
    ).fetchall()

    assert {r[0]: (r[1], r[2], r[3]) for r in got} == expected
    assert sorted(r[4] for r in got) == [1, 2, 3, 4]  # no header: the first row is row 1
    assert {r[5] for r in got} == {"A"}
    assert {r[6] for r in got} == {dt.date(1974, 4, 1)}


def test_epcn_membership_matches_the_published_counts(warehouse):
    conn, _ = warehouse
    source = _read(INBOX["2017-09"]["epcn_core_partner_details.csv"])

    [row] = query(
        conn,
        "select count(*) as relationships, count(distinct practice_code) as practices, "
        "count(distinct pcn_code) as pcns, count(*) filter (where relationship_end_date is null) "
        "as open from raw_ods.epcn_members",
    )

    assert row == {
        "relationships": len(source),
        "practices": len({r["Partner Organisation Code"] for r in source}),
        "pcns": len({r["PCN Code"] for r in source}),
        "open": sum(1 for r in source if not r["Practice to PCN Relationship End Date"]),
    }
    assert row == {"relationships": 7455, "practices": 6807, "pcns": 1329, "open": 6391}


def test_scoping_the_real_epd_to_one_sub_icb_counts_the_rest_out_of_scope(warehouse, inbox):
    conn, _ = warehouse
    source = _read(INBOX["2017-09"]["epd_201709.csv"])
    members = _read(INBOX["2017-09"]["epcn_core_partner_details.csv"])
    in_scope = {
        r["Partner Organisation Code"]
        for r in members
        if r["Practice Parent Sub ICB Loc Code"] == GLOUCESTERSHIRE
    }
    per_practice = Counter(r["PRACTICE_CODE"] for r in source)
    kept = sum(n for p, n in per_practice.items() if p in in_scope)
    assert 0 < kept < len(source)

    try:
        result = load_month(conn, EPD, "2017-09", inbox, sub_icb_scope=[GLOUCESTERSHIRE])

        assert (result.rows_in, result.rows_loaded) == (len(source), kept)
        assert result.rows_out_of_scope == len(source) - kept
        assert result.rows_quarantined == 0
        practices = conn.execute(
            "select distinct practice_code from raw_nhsbsa.epd where _month = '2017-09-01'"
        ).fetchall()
        assert {p for (p,) in practices} == {"L84018", "L84073"}
        assert_log_adds_up(conn)
    finally:  # leave the module's warehouse as the other tests expect it
        load_month(conn, EPD, "2017-09", inbox)
