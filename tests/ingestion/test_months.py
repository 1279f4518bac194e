"""Months loaded side by side (`ingestion.months`): each on its own connection, all at once.

Loading months in parallel must change nothing but the time: every row keeps its number in
its file even while another month's scan runs beside it (the record numbering needs its scan
to keep file order, a setting that must not leak to, or from, the other connection), every
count adds up, and a rejected month is reported as such while the others load. Expected row
numbers are worked out while writing the files, not by the loader.
"""

from __future__ import annotations

import pytest

from ingestion.load import LoadResult, MonthRejected, load_month
from ingestion.months import load_months
from pcnmo.contracts import EPCN_MEMBERS, EPD
from tests.ingestion.conftest import (
    assert_log_adds_up,
    epd_row,
    quarantine_rows,
    query,
    write_extract,
    write_two_sub_icb_membership,
)
from tests.ingestion.test_numbering import FEW_IN_SCOPE, MANY_IN_SCOPE, write_numbered_epd

MONTHS = ["2026-07", "2026-08", "2026-09"]


@pytest.fixture
def three_months(monkeypatch, inbox):
    """Three EPD months of 120,000 rows each, in scope to different degrees; returns, for each
    month, the row number of every row loaded and the rows quarantined."""
    monkeypatch.setenv("PCNMO_THREADS", "2")
    expected = {}
    for month, (practices, oddity) in zip(
        MONTHS,
        [
            (MANY_IN_SCOPE, "empty line"),
            (FEW_IN_SCOPE, "quoted line break"),
            (FEW_IN_SCOPE, "none"),
        ],
        strict=True,
    ):
        month_dir = inbox / month
        write_two_sub_icb_membership(month_dir)
        name = f"epd_{month.replace('-', '')}.csv"
        loaded, quarantined, _ = write_numbered_epd(
            month_dir / name, practices, oddity, year_month=month.replace("-", "")
        )
        expected[month] = (loaded, quarantined)
    return expected


def _load_membership(conn, inbox):
    for month in MONTHS:
        load_month(conn, EPCN_MEMBERS, month, inbox)


def test_months_loaded_side_by_side_keep_every_row_number(conn, inbox, three_months):
    _load_membership(conn, inbox)
    # The connection's own default (any order) must hold on it before and after.
    conn.execute("set preserve_insertion_order = false")

    outcomes = load_months(conn, EPD, MONTHS, inbox, workers=2, sub_icb_scope=["11M"])

    assert [type(o) for o in outcomes] == [LoadResult] * 3
    assert [f"{o.month:%Y-%m}" for o in outcomes] == MONTHS
    for month, (loaded, quarantined) in three_months.items():
        rows = query(
            conn,
            "select _source_row, practice_code from raw_nhsbsa.epd where _month = ?",
            [f"{month}-01"],
        )
        assert {r["_source_row"]: r["practice_code"] for r in rows} == loaded, month
        assert {
            q["row_number"] for q in quarantine_rows(conn, EPD) if f"{q['month']:%Y-%m}" == month
        } == quarantined, month
    assert_log_adds_up(conn)
    assert conn.execute("select current_setting('preserve_insertion_order')").fetchall() == [
        (False,)
    ]


def test_loading_months_again_side_by_side_replaces_them(conn, inbox, three_months):
    _load_membership(conn, inbox)
    load_months(conn, EPD, MONTHS, inbox, workers=2, sub_icb_scope=["11M"])
    first = query(conn, "select * exclude (_loaded_at) from raw_nhsbsa.epd order by all")

    load_months(conn, EPD, MONTHS, inbox, workers=2, sub_icb_scope=["11M"])

    assert query(conn, "select * exclude (_loaded_at) from raw_nhsbsa.epd order by all") == first
    assert_log_adds_up(conn)


def test_a_rejected_month_is_reported_in_its_place_and_the_others_load(conn, inbox):
    for month in MONTHS:
        write_two_sub_icb_membership(inbox / month)
        row = epd_row("L84018", "0407010H0AAAMAM", 3, "4.50", year_month=month.replace("-", ""))
        write_extract(inbox / month / f"epd_{month.replace('-', '')}.csv", EPD, "epd", [row])
    # Two deliveries of the middle month: the month is rejected as a whole.
    middle = inbox / MONTHS[1]
    (middle / "EPD_202608.csv").write_bytes((middle / "epd_202608.csv").read_bytes())
    _load_membership(conn, inbox)
    announced = []

    outcomes = load_months(
        conn,
        EPD,
        MONTHS,
        inbox,
        workers=2,
        sub_icb_scope=["11M"],
        on_loaded=lambda r: announced.append(f"{r.month:%Y-%m}"),
    )

    assert [type(o) for o in outcomes] == [LoadResult, MonthRejected, LoadResult]
    assert "2 files for one month" in str(outcomes[1])
    assert sorted(announced) == [MONTHS[0], MONTHS[2]]
    loaded = query(conn, "select _month, items from raw_nhsbsa.epd order by _month")
    assert [(f"{r['_month']:%Y-%m}", r["items"]) for r in loaded] == [
        (MONTHS[0], 3),
        (MONTHS[2], 3),
    ]
