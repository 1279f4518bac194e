"""The dashboard workbook on the report tests' warehouse, read back with openpyxl."""

from __future__ import annotations

import datetime as dt

import duckdb
import openpyxl
import pytest

from reports.dashboard import build_dashboard
from tests.reports import fixture_warehouse as fw
from tests.reports.output_scan import (
    all_text,
    evaluated_at_cells,
    leaks,
    overflowing_cells,
    rag_mismatches,
    sheet_xml,
    workbook_cells,
    workbook_differences,
)

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
    {
        "asset": "clinical/events",
        "check": fw.FORMULA_TEXT,
        "passed": False,
        "severity": "ERROR",
        "partition": "2026-09-01",
        "description": f"3 rows of {fw.ABSOLUTE_INBOX}/EMIS_A11111_events_202609.csv failed",
    },
    {"asset": "local/staff", "check": "rows_add_up", "passed": False, "description": ""},
    {"asset": "local/workforce", "check": "rows_add_up", "passed": None, "description": ""},
]


@pytest.fixture(scope="module")
def workbook_path(warehouse_path, tmp_path_factory):
    output = tmp_path_factory.mktemp("dashboard") / "dashboard.xlsx"
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        build_dashboard(conn, fw.PCN, fw.REPORT_MONTH, output, checks=CHECKS)
    return output


@pytest.fixture(scope="module")
def workbook(workbook_path):
    return openpyxl.load_workbook(workbook_path)


def texts(sheet) -> list[str]:
    return [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]


def find(sheet, prefix: str):
    """The cell whose text starts with `prefix` (a KPI label)."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(prefix):
                return cell
    raise AssertionError(f"no cell starting {prefix!r} in {sheet.title}")


def right_of(sheet, cell, offset: int):
    return sheet.cell(cell.row, cell.column + offset)


def test_the_workbook_has_every_sheet_and_hides_only_the_trend_data(workbook):
    assert workbook.sheetnames == SHEETS
    hidden = [s.title for s in workbook.worksheets if s.sheet_state != "visible"]
    assert hidden == ["Trend data"]


def test_every_sheet_prints_landscape_on_a4_with_a_uk_dated_footer(workbook):
    for sheet in workbook.worksheets[:-1]:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert int(sheet.page_setup.paperSize) == 9, sheet.title  # A4
        assert "Data to 30 September 2026" in sheet.oddFooter.right.text, sheet.title
        assert "&D" not in (sheet.oddFooter.right.text or ""), sheet.title


def test_the_dashboard_prints_on_one_page(workbook):
    sheet = workbook["Dashboard"]
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    # OOXML's default for fitToWidth/fitToHeight is 1, which xlsxwriter leaves out.
    fit = (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight)
    assert tuple(1 if v is None else int(v) for v in fit) == (1, 1)
    assert sheet.print_area


def test_no_cell_is_wider_than_its_column_on_any_sheet(workbook_path):
    assert overflowing_cells(workbook_path) == []


def test_rag_agrees_with_every_figure_as_shown(workbook_path):
    definitions = {d["kpi_id"]: d for d in fw.kpi_definitions()}
    checked, wrong = rag_mismatches(workbook_path, definitions)
    assert checked >= 40 and wrong == []


def test_figures_are_shown_rounded_and_rag_is_decided_on_them(workbook):
    sheet = workbook["Dashboard"]
    # DA03 is 2249 / 2500 = 89.96%: shown as 90.0%, which is amber (the exact figure is red).
    da03 = find(sheet, "DA03 ")
    assert right_of(sheet, da03, 1).value == 90.0
    assert right_of(sheet, da03, 1).number_format == '#,##0.0"%"'
    assert right_of(sheet, da03, 4).value == "Amber"
    # CA02 is 20 of 20: 100.0%, green.
    ca02 = find(sheet, "CA02 ")
    assert (right_of(sheet, ca02, 1).value, right_of(sheet, ca02, 4).value) == (100.0, "Green")
    # CA01 is reported only year to date: the dashboard shows its year to date.
    ca01 = find(sheet, "CA01 ")
    assert "(YTD)" in ca01.value


def test_change_is_the_difference_of_the_shown_figures(workbook):
    sheet = workbook["Dashboard"]
    # PS01 (PCN): 1 of 2 this month = 50.0%, 2 of 2 last month = 100.0%.
    ps01 = find(sheet, "PS01 ")
    assert right_of(sheet, ps01, 5).value == -50.0
    assert right_of(sheet, ps01, 5).number_format == '+0.0" pp";-0.0" pp";0.0" pp"'


def test_the_three_kinds_of_empty_are_shown_differently(workbook):
    sheet = workbook["Practices"]
    header = next(sheet.iter_rows(min_row=4, max_row=4))
    column = {c.value.split()[0]: c.column for c in header if isinstance(c.value, str)}
    # P1 had nothing due on PS01 this month; P2's DA03 source is missing.
    ps01, da03 = find(sheet, "PS01 "), find(sheet, "DA03 ")
    assert sheet.cell(ps01.row, column[fw.P1]).value == "nothing due"
    assert sheet.cell(da03.row, column[fw.P2]).value == "no data"
    assert isinstance(sheet.cell(da03.row, column[fw.P1]).value, float)


def test_units_are_words_and_no_code_is_shown_raw(workbook):
    everything = " ".join(t for sheet in workbook.worksheets for t in texts(sheet))
    for code in ("pounds_per_astro_pu", "higher_is_better", "month_quarter_fytd", "partly_met"):
        assert code not in everything
    assert "Unit: per cent; higher is better." in texts(workbook["Clinical activity"])


def test_the_priorities_name_the_overdue_alert_and_the_practice_behind_trajectory(workbook):
    items = [t for t in texts(workbook["Dashboard"]) if t[:2] in {"1.", "2.", "3.", "4.", "5."}]
    assert 3 <= len(items) <= 5
    # Safety first: the alert open at P2 since its 5 August deadline, 56 days at 30 September.
    assert items[0].startswith("1. Safety:")
    assert f"({fw.P2})" in items[0] and "56 days past its deadline of 5 August 2026" in items[0]
    assert "Next step:" in items[0]
    behind = next(i for i in items if f"({fw.P1})" in i and "trajectory" in i)
    assert "24 SMRs year to date against a trajectory of 60 (40% of it)" in behind


def test_a_provisional_month_says_why(workbook):
    banner = next(t for t in texts(workbook["Dashboard"]) if t.startswith("PROVISIONAL"))
    assert "2 data-quality checks failed" in banner
    assert "no file delivered for local supervision log" in banner
    assert "late: nhsbsa prescriptions (latest July 2026)" in banner


def test_the_data_quality_sheet_reports_the_month_with_details_and_no_paths(workbook):
    sheet_texts = texts(workbook["Data quality"])
    assert sheet_texts[1].startswith("4 checks: 2 failing, 1 without a result for September 2026")
    assert "3 rows of inbox/2026-09/EMIS_A11111_events_202609.csv failed" in sheet_texts
    assert "The check recorded no detail; open it in the Dagster UI." in sheet_texts
    assert "No result for this month" in sheet_texts
    assert "NHS Number '...' fails the modulus-11 check" in sheet_texts
    assert any(t.startswith("no file for 2026-09 in inbox/2026-09 ") for t in sheet_texts)
    assert not any("/srv/" in t for t in sheet_texts)


def test_the_data_quality_sheet_is_laid_out_alike_whenever_its_checks_ran(warehouse_path, tmp_path):
    """When each check was evaluated is all that differs between two runs over the same data:
    checks run at 06:00 on 1 May and at 23:59 on 30 September (wider) lay the sheet out alike."""
    written = []
    for evaluated_at in (dt.datetime(2026, 5, 1, 6, 0), dt.datetime(2026, 9, 30, 23, 59)):
        checks = [
            {**c, "evaluated_at": evaluated_at if c["passed"] is not None else None} for c in CHECKS
        ]
        path = tmp_path / f"{evaluated_at:%m}.xlsx"
        with duckdb.connect(str(warehouse_path), read_only=True) as conn:
            build_dashboard(conn, fw.PCN, fw.REPORT_MONTH, path, checks=checks)
        written.append(path.read_bytes())
    assert written[0] != written[1]
    assert len(evaluated_at_cells(written[0])) == 2  # the two failing checks
    assert workbook_differences(*written) == []


def test_the_definitions_sheet_wraps_each_kpi_and_cites_no_unshipped_document(workbook):
    sheet = workbook["Definitions"]
    assert sheet.page_setup.orientation == "landscape"
    assert "CA01 SMRs completed year to date vs target to date" in texts(sheet)
    assert not any(".md" in t for t in texts(sheet))
    assert any(c.alignment.wrap_text for row in sheet.iter_rows() for c in row if c.value)


def test_family_sheets_and_trajectory_have_zero_based_native_charts(workbook_path):
    workbook = openpyxl.load_workbook(workbook_path)
    for name in ("Clinical activity", "Prescribing safety", "Cost", "DES assurance"):
        assert workbook[name]._charts, name
    assert len(workbook["SMR trajectory"]._charts) == 1
    charts = [xml for name, xml in chart_xml(workbook_path).items() if "<c:lineChart>" in xml]
    assert charts and all('<c:min val="0"/>' in xml for xml in charts)


def chart_xml(path) -> dict[str, str]:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return {
            name: archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.startswith("xl/charts/chart")
        }


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
    assert {"DES evidence", "Data quality"} <= {sheet for sheet, _ in cells}
    for sheet, coordinate in cells:
        assert workbook[sheet][coordinate].data_type == "s"
    assert not any("HYPERLINK" in xml for xml in sheet_xml(workbook_path).values() if "<f>" in xml)


def test_no_patient_identifier_reaches_the_workbook(workbook_path):
    assert leaks(all_text(workbook_path)) == []


def test_each_des_evidence_item_says_who_asks_for_it(workbook):
    sheet = workbook["DES evidence"]
    asked_by = {
        right_of(sheet, find(sheet, name), 1).value: name
        for name in ("Named Lead Pharmacist", "SNOMED-coded activity extract")
    }
    assert asked_by == {
        "Local or ICB assurance": "Named Lead Pharmacist",
        "DES requirement": "SNOMED-coded activity extract",
    }
