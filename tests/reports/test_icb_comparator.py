"""The ICB's PCN comparator on the report tests' warehouse: every PCN of the ICB side by side,
ranks, the ICB median, suppression as in the return, the funnel limits worked by hand."""

from __future__ import annotations

import math

import duckdb
import openpyxl
import pytest

from reports.icb_comparator import build_icb_comparator, month_period, quarter_period
from reports.icb_comparator.funnel import FunnelPoint, limits, outside, spread
from tests.reports import fixture_warehouse as fw
from tests.reports.output_scan import all_text, leaks, overflowing_cells


@pytest.fixture(scope="module")
def comparators(warehouse_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("comparator")
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        month = build_icb_comparator(conn, fw.ICB, month_period(fw.REPORT_MONTH), folder / "m.xlsx")
        quarter = build_icb_comparator(
            conn, fw.ICB, quarter_period(fw.QUARTER_END), folder / "q.xlsx"
        )
    return month, quarter


def rows_of(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def test_every_pcn_of_the_icb_is_side_by_side(comparators):
    for path in comparators:
        sheet = openpyxl.load_workbook(path)["Overview"]
        header = next(r for r in rows_of(sheet) if r[0] == "KPI")
        assert [str(h).split()[0] for h in header[2:] if h] == [fw.PCN, fw.PCN2]


def test_public_data_kpis_for_all_clinical_kpis_only_where_loaded(comparators):
    sheet = openpyxl.load_workbook(comparators[0])["Overview"]
    co01 = next(r for r in rows_of(sheet) if str(r[0]).startswith("CO01"))
    # September cost per ASTRO-PU: 3.00 and 3.50; the median of the two is 3.25.
    assert co01[1:4] == (3.25, 3.0, 3.5)
    ca02 = next(r for r in rows_of(sheet) if str(r[0]).startswith("CA02"))
    assert ca02[3] == "no data"  # U22222 sends no clinical extracts


def test_league_tables_rank_best_first_in_the_kpis_direction(comparators):
    sheet = openpyxl.load_workbook(comparators[0])["League tables"]
    rows = rows_of(sheet)
    start = next(i for i, r in enumerate(rows) if str(r[0]).startswith("CO01"))
    table = [r for r in rows[start + 3 : start + 5]]
    # Lower cost is better: U11111 (3.00) ranks 1, 0.25 below the median; U22222 ranks 2.
    assert [(r[0], r[1], r[5], r[7]) for r in table] == [
        (1, fw.PCN, 3.0, -0.25),
        (2, fw.PCN2, 3.5, 0.25),
    ]


def test_the_quarter_is_suppressed_as_in_the_return(comparators):
    sheet = openpyxl.load_workbook(comparators[1])["Practices - DES assurance"]
    p2 = next(r for r in rows_of(sheet) if str(r[0]).strip().startswith(fw.P2))
    # P2's DA03 for the quarter: 8 of 7, the denominator is small -> '*'.
    assert "*" in p2


def test_the_drill_down_lists_each_pcns_practices_folded_under_it(comparators):
    sheet = openpyxl.load_workbook(comparators[0])["Practices - cost"]
    labels = [str(r[0]).strip().split()[0] for r in rows_of(sheet)[4:] if r[0]]
    assert labels == [fw.PCN, fw.P1, fw.P2, fw.PCN2, fw.P3]
    levels = {row: dimension.outlineLevel for row, dimension in sheet.row_dimensions.items()}
    assert [levels.get(r, 0) for r in range(5, 10)] == [0, 1, 1, 0, 1]


def test_funnel_limits_follow_the_documented_formula():
    points = [
        FunnelPoint("A", 100.0, 3.0),
        FunnelPoint("B", 400.0, 3.5),
        FunnelPoint("C", 100.0, 2.0),
    ]
    # Around a centre of 3.0: s^2 = (100 * 0 + 400 * 0.25 + 100 * 1) / (3 - 1) = 100, s = 10.
    s = spread(points, 3.0)
    assert s == pytest.approx(10.0)
    assert limits(3.0, s, 400.0, 1.96) == pytest.approx(
        (3.0 - 1.96 * 10 / 20, 3.0 + 1.96 * 10 / 20)
    )
    # B: 3.5 at n = 400, the 99.8% half-width is 3.09 * 10 / 20 = 1.545: inside.
    assert outside(points[1], 3.0, s) == ""
    assert outside(FunnelPoint("D", 10000.0, 3.5), 3.0, s) == "above"  # half-width 0.309
    assert spread(points[:2], 3.0) is None  # two PCNs: no spread to estimate
    assert math.isclose(limits(3.0, 10.0, 100.0, 3.09)[0], 3.0 - 3.09)


def test_the_cost_sheet_documents_the_method_and_shows_the_saving(comparators):
    sheet = openpyxl.load_workbook(comparators[1])["Cost per ASTRO-PU"]
    values = rows_of(sheet)
    assert "control limits" in values[1][0] and "(PCNs - 1)" in values[1][0]
    pcn2 = next(r for r in values if r[0] == fw.PCN2)
    # The quarter: 3.50 against a median of 3.25 over 40,000 ASTRO-PU -> £10,000.
    assert (pcn2[4], pcn2[5], pcn2[7]) == (3.5, 3.25, 10000)
    assert sheet._charts


def test_smr_delivery_across_pcns(comparators):
    sheet = openpyxl.load_workbook(comparators[0])["SMR delivery"]
    values = {r[0]: r for r in rows_of(sheet) if r[0] in {fw.PCN, fw.PCN2}}
    # U11111 at September: 81 SMRs against a trajectory of 72 -> 80 of 70 after rounding.
    assert values[fw.PCN][2:5] == (80, 70, 114.3)
    assert values[fw.PCN2][2] == "no data"


def test_no_cell_is_wider_than_its_column_and_nothing_leaks(comparators):
    for path in comparators:
        assert overflowing_cells(path) == []
        assert leaks(all_text(path)) == []
