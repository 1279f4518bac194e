"""The quarterly ICB return (xlsx and long CSV) and the monthly SNOMED activity extract on the
hand-written warehouse: suppressed figures worked out by hand in fixture_warehouse's terms."""

from __future__ import annotations

import duckdb
import openpyxl
import pytest

from reports.activity_extract import build_activity_extract
from reports.icb_return import build_icb_return
from tests.reports import fixture_warehouse as fw
from tests.reports.output_scan import all_text, csv_rows, leaks, workbook_cells

SUPPRESSED_KPIS = {
    d["kpi_id"] for d in fw.kpi_definitions() if d["small_number_suppression"] == "true"
}


@pytest.fixture(scope="module")
def icb_return(warehouse_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("return")
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        return build_icb_return(
            conn, fw.PCN, fw.QUARTER_END, folder / "return.xlsx", folder / "return.csv"
        )


@pytest.fixture(scope="module")
def extract(warehouse_path, tmp_path_factory):
    output = tmp_path_factory.mktemp("extract") / "activity.csv"
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        return build_activity_extract(conn, fw.PCN, fw.REPORT_MONTH, output)


def by_key(rows):
    return {(r["organisation_code"], r["kpi_id"]): r for r in rows}


def shown(row):
    return row["numerator"], row["denominator"], row["value"], row["suppressed"]


def test_the_csv_is_long_with_one_row_per_organisation_and_kpi(icb_return):
    rows = csv_rows(icb_return[1])
    assert list(rows[0]) == [
        "organisation_type",
        "organisation_code",
        "quarter",
        "period_id",
        "kpi_id",
        "numerator",
        "denominator",
        "value",
        "unit",
        "rag",
        "suppressed",
    ]
    assert {r["quarter"] for r in rows} == {"2026/27 Q2"}
    # DA01 is reported for the PCN only; every other KPI for both practices and the PCN.
    assert len(rows) == 3 * (len(fw.KPIS) - 1) + 1


def test_the_csv_applies_the_small_number_rule(icb_return):
    rows = by_key(csv_rows(icb_return[1]))
    # numerator 3 of 20: suppressed, and so is the percentage and its RAG
    assert shown(rows[(fw.P1, "CA02")]) == ("*", "20", "*", "true")
    assert rows[(fw.P1, "CA02")]["rag"] == ""
    # 0 of 12: zero stays zero, 12 -> 10, 0 / 10 = 0%
    assert shown(rows[(fw.P2, "CA02")]) == ("0", "10", "0", "false")
    # 13 of 22 -> 15 of 20 -> 75% (recomputed from the rounded figures, not 59.1%)
    assert shown(rows[(fw.P1, "DA03")]) == ("15", "20", "75", "false")
    # 8 of 7: the denominator is small, so the value is hidden
    assert shown(rows[(fw.P2, "DA03")]) == ("10", "*", "*", "true")
    # the PCN is rounded on its own: 21 of 29 -> 20 of 30 -> 66.6667%
    assert shown(rows[(fw.PCN, "DA03")]) == ("20", "30", "66.6667", "false")
    # CA01 year to date: 54 of a phased target of 57.7 -> 55 of 60 -> 91.6667%
    assert shown(rows[(fw.PCN, "CA01")]) == ("55", "60", "91.6667", "false")
    assert shown(rows[(fw.P1, "CA01")]) == ("*", "10", "*", "true")
    # Staff (DA01) and pounds (CO01) are not about patients: shown as computed.
    assert shown(rows[(fw.PCN, "DA01")]) == ("5", "6", "83.3333", "false")
    assert shown(rows[(fw.PCN, "CO01")]) == ("1300", "400", "3.25", "false")


def test_no_patient_count_from_1_to_7_is_shown_anywhere_in_the_return(icb_return):
    xlsx_path, csv_path = icb_return
    for row in csv_rows(csv_path):
        if row["kpi_id"] in SUPPRESSED_KPIS:
            for field in ("numerator", "denominator"):
                if row[field] not in {"", "*"}:
                    count = float(row[field])
                    assert count == 0 or count >= 8, row
                    assert count % 5 == 0, row
    workbook = openpyxl.load_workbook(xlsx_path)
    for name in ("Summary", "Cohort delivery", "Prescribing safety", "Cost outcome"):
        sheet = workbook[name]
        header = None
        for row in sheet.iter_rows(values_only=True):
            if "Numerator" in row:
                header = row
                continue
            if header and len(row) >= len(header) and row[header.index("KPI")] in SUPPRESSED_KPIS:
                for column in ("Numerator", "Denominator"):
                    value = row[header.index(column)]
                    assert not (isinstance(value, int | float) and 0 < value < 8), (name, row)


def test_safety_counts_about_patients_are_suppressed(icb_return):
    sheet = openpyxl.load_workbook(icb_return[0])["Prescribing safety"]
    rows = {r[0]: r[1:4] for r in sheet.iter_rows(values_only=True) if r[0]}
    # SEA themes follow PS04 (suppressed): 3/2/1 -> all '*'; 9/8/1 -> 10/10/'*'
    assert rows["dosing error"] == ("*", "*", "*")
    assert rows["wrong patient"] == (10, 10, "*")
    # PINCER patients: 40 at risk, 5 with the hazard, 2 actioned
    assert rows["GI_P"] == (40, "*", "*")


def test_the_xlsx_has_every_section(icb_return):
    workbook = openpyxl.load_workbook(icb_return[0])
    assert workbook.sheetnames == [
        "Summary",
        "Cohort delivery",
        "Exception narrative",
        "Prescribing safety",
        "Cost outcome",
        "Supervision evidence",
        "Notes",
    ]


def test_the_narrative_names_red_kpis_and_practices_how_far_off_and_the_trend(icb_return):
    workbook = openpyxl.load_workbook(icb_return[0])
    sentences = [
        c.value for (c,) in workbook["Exception narrative"].iter_rows(min_row=4) if c.value
    ]
    # PCN DA03: 21 / 29 -> 20 / 30 = 66.7% against 100%, red. Last quarter 12 / 14 (the
    # fixture's generic figures) -> 10 / 15 = 66.7%: unchanged on the rounded figures.
    assert (
        "PCN red: DA03 SMR cohort delivery: care home residents was 66.7% against a target "
        "of 100.0%, 33.3 percentage points below it; unchanged from the previous quarter."
    ) in sentences
    # P1 DA03: 75% red, 30 / 40 last quarter = 75% -> unchanged.
    assert any(
        s.startswith(f"{fw.P1_NAME} ({fw.P1}) is red on DA03") and "unchanged" in s
        for s in sentences
    )
    # P1's CA02 and CA01 are suppressed, so they are listed without a RAG.
    assert any("suppressed" in s and f"{fw.P1} (CA01, CA02)" in s for s in sentences)
    # The sentences sit in a named, editable range.
    assert "exception_narrative" in workbook.defined_names


def test_formula_looking_practice_names_stay_text(icb_return):
    workbook = openpyxl.load_workbook(icb_return[0])
    cells = [
        (sheet, coordinate)
        for sheet, coordinate, value in workbook_cells(icb_return[0])
        if value == fw.P2_NAME
    ]
    assert cells
    assert all(workbook[sheet][coordinate].data_type == "s" for sheet, coordinate in cells)


def test_no_patient_identifier_reaches_the_return(icb_return):
    for path in icb_return:
        assert leaks(all_text(path)) == []


def test_the_activity_extract_is_per_practice_and_suppressed(extract):
    rows = [
        (r["practice_code"], r["month"], r["activity"], r["event_count"], r["patient_count"])
        for r in csv_rows(extract)
    ]
    assert rows == [
        (fw.P1, "2026-09", "deprescribing", "10", "*"),
        (fw.P1, "2026-09", "high_risk_drug_monitoring_review", "*", "*"),
        (fw.P1, "2026-09", "medicines_reconciliation", "0", "0"),
        (fw.P1, "2026-09", "structured_medication_review", "15", "10"),
        (fw.P2, "2026-09", "structured_medication_review", "1235", "1100"),
    ]
    assert {r["snomed_code"] for r in csv_rows(extract)} >= {"1239511000000100"}
    assert leaks(all_text(extract)) == []
