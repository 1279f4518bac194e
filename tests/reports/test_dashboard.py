"""The dashboard workbook on the hand-written warehouse, read back with openpyxl."""

from __future__ import annotations

import openpyxl
import pytest

from reports.dashboard import build_dashboard
from tests.reports import fixture_warehouse as fw
from tests.reports.output_scan import all_text, leaks, sheet_xml, workbook_cells

SHEETS = [
    "Dashboard",
    "Clinical activity",
    "Prescribing safety",
    "Cost",
    "DES assurance",
    "Practices",
    "SMR trajectory",
    "DES evidence",
    "Data quality",
    "Definitions",
    "Trend data",
]
CHECKS = [
    {"asset": "marts/fct_kpi_values", "check": "great_expectations_suite", "passed": True},
    {"asset": "clinical/events", "check": fw.FORMULA_TEXT, "passed": False, "severity": "ERROR"},
]


@pytest.fixture(scope="module")
def workbook_path(warehouse_path, tmp_path_factory):
    import duckdb

    output = tmp_path_factory.mktemp("dashboard") / "dashboard.xlsx"
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        build_dashboard(conn, fw.PCN, fw.REPORT_MONTH, output, checks=CHECKS)
    return output


@pytest.fixture(scope="module")
def workbook(workbook_path):
    return openpyxl.load_workbook(workbook_path)


def find(sheet, prefix: str):
    """The cell whose text starts with `prefix` (a KPI label)."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(prefix):
                return cell
    raise AssertionError(f"no cell starting {prefix!r} in {sheet.title}")


def test_the_workbook_has_every_sheet_and_hides_only_the_trend_data(workbook):
    assert workbook.sheetnames == SHEETS
    hidden = [s.title for s in workbook.worksheets if s.sheet_state != "visible"]
    assert hidden == ["Trend data"]


def test_the_dashboard_prints_on_one_a4_landscape_page(workbook):
    sheet = workbook["Dashboard"]
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    # OOXML's default for fitToWidth/fitToHeight is 1, which xlsxwriter leaves out; a
    # "0" (as many pages as needed) would be written.
    fit = (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight)
    assert tuple(1 if v is None else int(v) for v in fit) == (1, 1)
    assert sheet.print_area
    assert sheet.page_margins.left < 0.75  # narrower than Excel's default


def test_dashboard_values_rag_and_change_equal_the_kpi_table(workbook, warehouse):
    sheet = workbook["Dashboard"]
    expected = dict(
        warehouse.execute(
            """
            select kpi_id || '/' || period_id, value from marts.fct_kpi_values
            where org_code = ? and period_id in (
                'month_2026-09-30', 'month_2026-08-31', 'financial_year_to_date_2026-09-30')
            """,
            [fw.PCN],
        ).fetchall()
    )
    ca02 = find(sheet, "CA02 ")
    value = sheet.cell(ca02.row, ca02.column + 1).value
    assert value == pytest.approx(expected["CA02/month_2026-09-30"])
    change = sheet.cell(ca02.row, ca02.column + 4).value
    assert change == pytest.approx(
        expected["CA02/month_2026-09-30"] - expected["CA02/month_2026-08-31"]
    )
    # CA01 is reported only year to date: the dashboard shows its year to date.
    ca01 = find(sheet, "CA01 ")
    assert "(YTD)" in ca01.value
    assert sheet.cell(ca01.row, ca01.column + 1).value == pytest.approx(
        expected["CA01/financial_year_to_date_2026-09-30"]
    )
    # 93.6% against green 100 / amber 90 (seed) -> Amber.
    assert sheet.cell(ca01.row, ca01.column + 3).value == "Amber"
    # CO01 has a peer comparator, the others none.
    co01 = find(sheet, "CO01 ")
    assert sheet.cell(co01.row, co01.column + 6).value == pytest.approx(3.1)
    assert sheet.cell(ca02.row, ca02.column + 6).value is None


def test_values_are_numbers_with_number_formats(workbook):
    sheet = workbook["Dashboard"]
    cell = sheet.cell(find(sheet, "DA03 ").row, find(sheet, "DA03 ").column + 1)
    assert isinstance(cell.value, float)
    assert "%" in cell.number_format


def test_rag_cells_and_practice_grid_are_coloured_by_conditional_formats(workbook):
    dashboard_rules = [
        rule.formula for cf in workbook["Dashboard"].conditional_formatting for rule in cf.rules
    ]
    assert ['"Red"'] in dashboard_rules and ['"Green"'] in dashboard_rules
    practice_rules = [
        rule.formula[0] for cf in workbook["Practices"].conditional_formatting for rule in cf.rules
    ]
    assert any(formula.endswith('="red"') for formula in practice_rules)


def test_practice_grid_holds_each_practice_value(workbook, warehouse):
    sheet = workbook["Practices"]
    header = next(sheet.iter_rows(min_row=4, max_row=4))
    column = next(
        c.column for c in header if isinstance(c.value, str) and c.value.startswith(fw.P1)
    )
    da03 = find(sheet, "DA03 ")
    expected = warehouse.execute(
        "select value from marts.fct_kpi_values where org_code = ? and kpi_id = 'DA03' "
        "and period_id = 'month_2026-09-30'",
        [fw.P1],
    ).fetchall()[0][0]
    assert sheet.cell(da03.row, column).value == pytest.approx(expected)
    # P2 has no DA03 data this month: a blank cell, not a zero.
    p2_column = next(
        c.column for c in header if isinstance(c.value, str) and c.value.startswith(fw.P2)
    )
    assert sheet.cell(da03.row, p2_column).value is None


def test_family_sheets_and_trajectory_have_native_charts(workbook):
    for name in ("Clinical activity", "Prescribing safety", "Cost", "DES assurance"):
        assert workbook[name]._charts, name
    assert len(workbook["SMR trajectory"]._charts) == 1


def test_the_dashboard_has_a_twelve_month_sparkline_per_kpi(workbook_path):
    xml = sheet_xml(workbook_path)["xl/worksheets/sheet1.xml"]
    assert xml.count("<x14:sparkline>") == len(fw.KPIS)
    assert "'Trend data'!B" in xml


def test_formula_looking_input_text_is_written_as_text(workbook, workbook_path):
    cells = [
        (sheet, coordinate)
        for sheet, coordinate, value in workbook_cells(workbook_path)
        if value == fw.FORMULA_TEXT
    ]
    sheets = {sheet for sheet, _ in cells}
    assert {"DES evidence", "Data quality"} <= sheets
    for sheet, coordinate in cells:
        assert workbook[sheet][coordinate].data_type == "s"
    assert not any("HYPERLINK" in xml for xml in sheet_xml(workbook_path).values() if "<f>" in xml)


def test_the_data_quality_sheet_reports_checks_loads_and_missing_files(workbook):
    texts = [c.value for row in workbook["Data quality"].iter_rows() for c in row if c.value]
    assert "2 checks run, 1 failing (latest result of each check)." in texts
    assert "failed" in texts
    assert "local.supervision_log" in texts  # a missing file
    assert "no file for 2026-09 in the inbox" in texts
    # Quarantine reasons are shown with the offending values masked.
    assert "NHS Number '...' fails the modulus-11 check" in texts


def test_no_patient_identifier_reaches_the_workbook(workbook_path):
    assert leaks(all_text(workbook_path)) == []
