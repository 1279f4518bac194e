"""Real public files in every layout they have been published in (NHSBSA prescribing, NHS Digital
list sizes, ODS epraccur and ePCN), from the small cuts shipped in tests/fixtures/reference (see
its README and PROVENANCE files), copied into a temporary inbox month by month.

Every expected number was worked out from the fixture files with other tools (awk, Python's
csv module) and is typed in here; none comes from the loader.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from ingestion.duckdb_io import connect, ensure_schema
from ingestion.load import load_month
from pcnmo.contracts import EPCN_MEMBERS, EPCN_PCNS, EPD, EPRACCUR, LIST_SIZES
from tests.ingestion.conftest import assert_log_adds_up, query

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reference"
EPD_FILES = FIXTURES / "nhsbsa_epd"
LIST_SIZE_FILES = FIXTURES / "nhsd_list_sizes"
ODS_FILES = FIXTURES / "ods"

# Each inbox month holds the files of one era, as published then.
INBOX: dict[str, tuple[Path, ...]] = {
    "2017-09": (
        EPD_FILES / "EPD_201709.csv",  # Detailed Prescribing Information / retired EPD
        LIST_SIZE_FILES / "2017-09" / "gp-reg-pat-prac-quin-age.csv",
        ODS_FILES / "2017-08" / "epraccur.csv",
        ODS_FILES / "2023" / "epcn_core_partner_details.csv",  # ePCN.xlsx sheets as CSV
        ODS_FILES / "2023" / "epcn_pcn_details.csv",
    ),
    "2017-10": (
        EPD_FILES / "EPD_201710.csv",
        LIST_SIZE_FILES / "2017-10" / "gp-reg-pat-prac-quin-age.csv",
    ),
    "2024-09": (
        EPD_FILES / "EPD_SNOMED_202409.csv",  # legacy names, SNOMED_CODE as a number
        LIST_SIZE_FILES / "2024-09" / "gp-reg-pat-prac-quin-age.csv",
        ODS_FILES / "2023" / "epraccur.csv",  # no header row
    ),
    "2026-04": (
        EPD_FILES / "EPD_SNOMED_202604.csv",  # the March 2025 names
        LIST_SIZE_FILES / "2026-04" / "gp-reg-pat-prac-quin-age_V2.csv",
        ODS_FILES / "dse" / "epcn.csv",  # Data Search and Export, no header row
        ODS_FILES / "dse" / "epcncorepartnerdetails.zip",
    ),
    "2026-05": (
        EPD_FILES / "EPD_SNOMED_202605.zip",
        LIST_SIZE_FILES / "2026-05" / "gp-reg-pat-prac-quin-age_V2.zip",
        ODS_FILES / "dse" / "epraccur.zip",  # exported with a header row
    ),
}
MONTHS = tuple(INBOX)
PRACTICES = ("B85010", "B85054", "L84018", "L84073")
GLOUCESTERSHIRE = "11M"  # sub-ICB location of L84018 and L84073 in the 2023 ePCN release

# The gabapentinoid rows of the four practices (awk over the fixture files): rows, items, NIC
# and ACTUAL_COST per practice. The September 2017 rows are also those of the 2024-09 and
# 2026-05 files, the October 2017 rows those of the 2026-04 file.
SEPTEMBER_ROWS = {
    "B85010": (42, 134, Decimal("1139.57"), Decimal("1064.56992")),
    "B85054": (91, 341, Decimal("1793.35"), Decimal("1687.94723")),
    "L84018": (54, 107, Decimal("1378.95"), Decimal("1284.47802")),
    "L84073": (42, 98, Decimal("1442.13"), Decimal("1341.89138")),
}
OCTOBER_ROWS = {
    "B85010": (44, 139, Decimal("1369.58"), Decimal("1276.81837")),
    "B85054": (101, 352, Decimal("2726.72"), Decimal("2552.83878")),
    "L84018": (51, 109, Decimal("1251.65"), Decimal("1166.68070")),
    "L84073": (44, 96, Decimal("1088.01"), Decimal("1012.44104")),
}
EPD_BY_MONTH = {
    "2017-09": SEPTEMBER_ROWS,
    "2017-10": OCTOBER_ROWS,
    "2024-09": SEPTEMBER_ROWS,
    "2026-04": OCTOBER_ROWS,
    "2026-05": SEPTEMBER_ROWS,
}
# The 2017 list sizes and epraccur are cuts of the upstream files (see the fixtures' README):
# each 2017 month's list sizes leave out one practice that prescribes that month, and the
# August 2017 epraccur (loaded as 2017-09) leaves out B85054.
NO_LIST_SIZE = {"2017-09": "B85054", "2017-10": "L84018"}
# Registered patients (SEX ALL, AGE_GROUP_5 ALL), by awk over each fixture file:
# awk -F, '$7 == "ALL" && $8 == "ALL" {print $4, $9}'. The files made by hand for 2024-09,
# 2026-04 and 2026-05 hold every practice of the upstream September or October file.
SEPTEMBER_LISTS = {"B85010": 6939, "B85054": 10529, "L84018": 6632, "L84073": 4181}
OCTOBER_LISTS = {"B85010": 6951, "B85054": 10510, "L84018": 6639, "L84073": 4176}
LISTS_BY_MONTH = {
    "2017-09": ({"B85010": 6939, "L84018": 6632, "L84073": 4181}, dt.date(2017, 9, 1)),
    "2017-10": ({"B85010": 6951, "B85054": 10510, "L84073": 4176}, dt.date(2017, 10, 1)),
    "2024-09": (SEPTEMBER_LISTS, dt.date(2024, 9, 1)),  # 01SEP2024
    "2026-04": (OCTOBER_LISTS, dt.date(2026, 4, 1)),
    "2026-05": (SEPTEMBER_LISTS, dt.date(2026, 5, 1)),
}


def build_inbox(root: Path, replace: dict[str, Path] | None = None) -> Path:
    """The fixture files in an inbox under `root`, each under its published name (a file named
    in `replace` is taken from the path given instead)."""
    inbox = root / "inbox"
    for month, files in INBOX.items():
        (inbox / month).mkdir(parents=True)
        for source in files:
            shutil.copyfile((replace or {}).get(source.name, source), inbox / month / source.name)
    return inbox


def load_everything(conn, inbox: Path) -> dict:
    """Every table of every month, the way the pipeline orders it: ODS first, then the rest."""
    results = {}
    for month in MONTHS:
        for table in (EPCN_MEMBERS, EPCN_PCNS, EPRACCUR, LIST_SIZES, EPD):
            result = load_month(conn, table, month, inbox)
            if result.files:
                results[(table.name, month)] = result
    return results


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    return build_inbox(tmp_path_factory.mktemp("real"))


@pytest.fixture(scope="module")
def warehouse(inbox):
    conn = connect(inbox.parent / "warehouse.duckdb")
    ensure_schema(conn)
    results = load_everything(conn, inbox)
    yield conn, results
    conn.close()


def _month(month: str) -> dt.date:
    return dt.date.fromisoformat(month + "-01")


def test_every_file_in_every_layout_loads_every_row_with_nothing_quarantined(warehouse):
    conn, results = warehouse

    log = query(
        conn,
        "select * from pipeline.ingestion_log where status <> 'missing' order by month, table_name",
    )
    assert len(log) == len(results) == 17
    for entry in log:
        assert entry["status"] == "loaded", entry
        assert (entry["rows_quarantined"], entry["rows_out_of_scope"]) == (0, 0), entry
    assert query(conn, "select * from pipeline.quarantine") == []
    assert_log_adds_up(conn)


@pytest.mark.parametrize(
    ("table", "month", "file_name", "dialect", "rows", "first_row"),
    [
        (EPD, "2017-09", "EPD_201709.csv", "epd", 229, 2),
        (EPD, "2017-10", "EPD_201710.csv", "epd", 240, 2),
        (EPD, "2024-09", "EPD_SNOMED_202409.csv", "epd", 229, 2),
        (EPD, "2026-04", "EPD_SNOMED_202604.csv", "epd_snomed", 240, 2),
        (EPD, "2026-05", "EPD_SNOMED_202605.zip", "epd_snomed", 229, 2),
        (LIST_SIZES, "2017-09", "gp-reg-pat-prac-quin-age.csv", "quinary", 129, 2),
        (LIST_SIZES, "2017-10", "gp-reg-pat-prac-quin-age.csv", "quinary", 129, 2),
        (LIST_SIZES, "2024-09", "gp-reg-pat-prac-quin-age.csv", "quinary", 172, 2),
        (LIST_SIZES, "2026-04", "gp-reg-pat-prac-quin-age_V2.csv", "quinary", 172, 2),
        (LIST_SIZES, "2026-05", "gp-reg-pat-prac-quin-age_V2.zip", "quinary", 172, 2),
        (EPRACCUR, "2017-09", "epraccur.csv", "epraccur", 3, 1),
        (EPRACCUR, "2024-09", "epraccur.csv", "epraccur", 313, 1),
        (EPRACCUR, "2026-05", "epraccur.zip", "epraccur", 313, 2),  # below its header row
        (EPCN_MEMBERS, "2017-09", "epcn_core_partner_details.csv", "csv", 144, 2),
        (EPCN_MEMBERS, "2026-04", "epcncorepartnerdetails.zip", "dse", 144, 1),
        (EPCN_PCNS, "2017-09", "epcn_pcn_details.csv", "csv", 24, 2),
        (EPCN_PCNS, "2026-04", "epcn.csv", "dse", 24, 1),
    ],
)
def test_each_file_is_read_in_its_layout_with_every_row_numbered_as_published(
    warehouse, table, month, file_name, dialect, rows, first_row
):
    conn, _ = warehouse

    loaded = conn.execute(
        f"select count(*), min(_source_row), max(_source_row), min(_dialect), max(_dialect) "
        f"from {table.qualified_name} where _month = ? and _source_file = ?",
        [_month(month), file_name],
    ).fetchall()[0]

    assert loaded == (rows, first_row, first_row + rows - 1, dialect, dialect)


@pytest.mark.parametrize("month", MONTHS)
def test_epd_totals_per_practice_match_an_independent_sum(warehouse, month):
    conn, _ = warehouse

    got = conn.execute(
        "select practice_code, count(*), sum(items), sum(nic), sum(actual_cost) "
        "from raw_nhsbsa.epd where _month = ? group by 1 order by 1",
        [_month(month)],
    ).fetchall()

    assert {p: (n, i, nic, cost) for p, n, i, nic, cost in got} == EPD_BY_MONTH[month]


@pytest.mark.parametrize("month", MONTHS)
def test_epd_year_month_is_read_in_each_layouts_spelling(warehouse, month):
    # 2017_09, 202409, 2026-04: each the dispensing month itself.
    conn, _ = warehouse

    got = conn.execute(
        "select distinct year_month from raw_nhsbsa.epd where _month = ?", [_month(month)]
    ).fetchall()

    assert got == [(_month(month),)]


def test_snomed_codes_are_read_as_published_and_a_spoilt_one_is_blanked_not_its_row(warehouse):
    conn, results = warehouse

    got = dict(
        conn.execute(
            "select strftime(_month, '%Y-%m'), count(snomed_code) from raw_nhsbsa.epd group by 1"
        ).fetchall()
    )
    codes = conn.execute(
        "select snomed_code, count(*) from raw_nhsbsa.epd where _month = '2024-09-01' "
        "and bnf_code = '0408010AEAAAAAA' group by 1"
    ).fetchall()

    # 2017: no SNOMED column. 2024-09: 155 codes written '415164004.0' are kept without the
    # '.0'; the 74 branded pregabalin codes Excel wrote as '2.87362E+16' are blanked.
    assert got == {"2017-09": 0, "2017-10": 0, "2024-09": 155, "2026-04": 240, "2026-05": 229}
    assert codes == [("415164004", 8)]
    assert results[("epd", "2024-09")].values_blanked == 74
    message = results[("epd", "2024-09")].files[0].message
    assert "SNOMED_CODE: 74 value(s) blanked" in message
    # ... and not one pound of cost lost: all 229 rows are in the totals above.
    assert results[("epd", "2024-09")].rows_loaded == 229


@pytest.mark.parametrize("month", MONTHS)
def test_list_size_totals_and_extract_dates_match_the_published_files(warehouse, month):
    conn, _ = warehouse
    totals, extract_date = LISTS_BY_MONTH[month]

    got = conn.execute(
        "select org_code, number_of_patients, extract_date from raw_nhsd.gp_list_sizes "
        "where _month = ? and sex = 'ALL' and age_group = 'ALL'",
        [_month(month)],
    ).fetchall()

    assert {code: n for code, n, _ in got} == totals
    assert {d for _, _, d in got} == {extract_date}


def test_list_size_bands_add_up_to_each_practice_total(warehouse):
    conn, _ = warehouse

    rows = conn.execute(
        "select _month, org_code, sex, sum(number_of_patients) filter (where age_group <> 'ALL'), "
        "sum(number_of_patients) filter (where age_group = 'ALL') "
        "from raw_nhsd.gp_list_sizes where sex <> 'ALL' group by 1, 2, 3"
    ).fetchall()

    # 2017-09 and 2017-10 list three practices each, the later months four; two sexes each.
    assert len(rows) == (3 + 3 + 4 + 4 + 4) * 2
    assert all(bands == total for *_, bands, total in rows)


def test_the_2017_epraccur_is_cut_to_three_of_the_four_practices(warehouse):
    # B85054 prescribes that month (test_epd_totals_per_practice_match_an_independent_sum).
    conn, _ = warehouse

    listed = conn.execute(
        "select organisation_code from raw_ods.epraccur where _month = '2017-09-01' order by 1"
    ).fetchall()

    assert [code for (code,) in listed] == ["B85010", "L84018", "L84073"]


@pytest.mark.parametrize(
    ("month", "file_name"), [("2024-09", "epraccur.csv"), ("2026-05", "epraccur.zip")]
)
def test_epraccur_with_or_without_a_header_row_loads_the_same_practices(
    warehouse, month, file_name
):
    conn, _ = warehouse

    [row] = query(
        conn,
        "select count(*) as cost_centres, count(*) filter (where prescribing_setting = 4) "
        "as gp_practices, count(*) filter (where status_code = 'A') as active, "
        "count(*) filter (where status_code = 'C') as closed, "
        "count(*) filter (where status_code = 'D') as dormant from raw_ods.epraccur "
        "where _month = ?",
        [_month(month)],
    )
    [acorn] = query(
        conn,
        "select name, high_level_health_geography, commissioner_code, open_date "
        "from raw_ods.epraccur where _month = ? and organisation_code = 'L84073'",
        [_month(month)],
    )

    assert row == {"cost_centres": 313, "gp_practices": 154, "active": 252, "closed": 50,
                   "dormant": 11}  # fmt: skip
    assert acorn == {
        "name": "ACORN PRACTICE",
        "high_level_health_geography": "QR1",
        "commissioner_code": "11M",
        "open_date": dt.date(1974, 4, 1),
    }


def test_a_header_row_on_epraccur_is_skipped_and_said_so(warehouse):
    _, results = warehouse

    assert "row 1 is a header row ('Organisation Code | Name" in (
        results[("epraccur", "2026-05")].files[0].message
    )
    assert "header" not in results[("epraccur", "2024-09")].files[0].message


@pytest.mark.parametrize("month", ["2017-09", "2026-04"])
def test_epcn_membership_is_the_same_from_the_workbook_sheets_and_from_dse(warehouse, month):
    conn, _ = warehouse

    [row] = query(
        conn,
        "select count(*) as relationships, count(distinct practice_code) as practices, "
        "count(distinct pcn_code) as pcns, count(*) filter (where relationship_end_date is null) "
        "as open, count(*) filter (where practice_sub_icb_location_code = '11M') as in_11m "
        "from raw_ods.epcn_members where _month = ?",
        [_month(month)],
    )
    pcns = conn.execute(
        "select count(*), count(distinct sub_icb_location_code) from raw_ods.epcn_pcns "
        "where _month = ?",
        [_month(month)],
    ).fetchall()

    assert row == {"relationships": 144, "practices": 141, "pcns": 24, "open": 135, "in_11m": 77}
    assert pcns == [(24, 2)]


def test_scoping_the_real_epd_to_one_sub_icb_counts_the_rest_out_of_scope(warehouse, inbox):
    conn, _ = warehouse

    try:
        result = load_month(conn, EPD, "2026-05", inbox, sub_icb_scope=[GLOUCESTERSHIRE])

        # L84018 (54 rows) and L84073 (42 rows) are Gloucestershire's; 229 rows in all.
        assert (result.rows_in, result.rows_loaded, result.rows_out_of_scope) == (229, 96, 133)
        assert result.rows_quarantined == 0
        practices = conn.execute(
            "select distinct practice_code from raw_nhsbsa.epd where _month = '2026-05-01'"
        ).fetchall()
        assert {p for (p,) in practices} == {"L84018", "L84073"}
        assert_log_adds_up(conn)
    finally:  # leave the module's warehouse as the other tests expect it
        load_month(conn, EPD, "2026-05", inbox)
