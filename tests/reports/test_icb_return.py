"""The quarterly ICB return (xlsx and long CSV) and the monthly SNOMED activity extract on the
report tests' warehouse: suppressed figures worked out by hand in fixture_warehouse's terms."""

from __future__ import annotations

import duckdb
import openpyxl
import pytest

from reports.activity_extract import build_activity_extract
from reports.icb_return import build_icb_return
from tests.reports import fixture_warehouse as fw
from tests.reports.output_scan import (
    all_text,
    csv_rows,
    leaks,
    overflowing_cells,
    rag_mismatches,
    workbook_cells,
)

NUMERIC = ("numerator", "denominator", "value", "target")


@pytest.fixture(scope="module")
def suppressed_kpis(dbt_manifest) -> set[str]:
    """KPIs whose patient counts are suppressed, read after the manifest their seed types come
    from exists (a clean clone has none until a test prepares it)."""
    return {d["kpi_id"] for d in fw.kpi_definitions() if d["small_number_suppression"]}


@pytest.fixture(scope="module")
def icb_return(warehouse_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("return")
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        return build_icb_return(
            conn, fw.PCN, fw.QUARTER_END, folder / "return.xlsx", folder / "return.csv"
        )


@pytest.fixture(scope="module")
def workbook(icb_return):
    return openpyxl.load_workbook(icb_return[0])


@pytest.fixture(scope="module")
def extract(warehouse_path, tmp_path_factory):
    output = tmp_path_factory.mktemp("extract") / "activity.csv"
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        return build_activity_extract(conn, fw.PCN, fw.REPORT_MONTH, output)


def by_key(rows):
    return {(r["organisation_code"], r["kpi_id"]): r for r in rows}


def shown(row):
    return row["numerator"], row["denominator"], row["value"], row["suppressed"]


def test_the_csv_is_long_with_names_units_targets_and_a_suppression_flag(icb_return):
    rows = csv_rows(icb_return[1])
    assert list(rows[0]) == [
        "organisation_type",
        "organisation_code",
        "organisation_name",
        "quarter",
        "period_id",
        "period_type",
        "kpi_id",
        "kpi_name",
        "unit",
        "numerator",
        "denominator",
        "value",
        "target",
        "target_basis",
        "rag",
        "status",
        "suppressed",
    ]
    assert {r["quarter"] for r in rows} == {"2026/27 Q2"}
    # DA01 is reported for the PCN only; every other KPI for both practices and the PCN.
    assert len(rows) == 3 * (len(fw.KPIS) - 1) + 1
    ca01 = by_key(rows)[(fw.PCN, "CA01")]
    assert (ca01["kpi_name"], ca01["unit"], ca01["target"], ca01["period_type"]) == (
        "SMRs completed year to date vs target to date",
        "per cent",
        "100",
        "year to date",
    )
    assert by_key(rows)[(fw.PCN, "CO01")]["unit"] == "pounds per ASTRO-PU"


def test_numeric_columns_hold_only_numbers(icb_return):
    for row in csv_rows(icb_return[1]):
        for field in NUMERIC:
            if row[field] != "":
                float(row[field])  # raises for '*' or any text


def test_the_csv_applies_the_small_number_rule(icb_return):
    rows = by_key(csv_rows(icb_return[1]))
    # numerator 3 of 20: suppressed, and so is the percentage and its RAG
    assert shown(rows[(fw.P1, "CA02")]) == ("", "20", "", "true")
    assert rows[(fw.P1, "CA02")]["rag"] == ""
    # 0 of 12: zero stays zero, 12 -> 10, 0 / 10 = 0%, red
    assert shown(rows[(fw.P2, "CA02")]) == ("0", "10", "0", "false")
    assert rows[(fw.P2, "CA02")]["rag"] == "red"
    # 13 of 22 -> 15 of 20 -> 75% (recomputed from the rounded figures, not 59.1%)
    assert shown(rows[(fw.P1, "DA03")]) == ("15", "20", "75", "false")
    # 8 of 7: the denominator is small, so the value is hidden
    assert shown(rows[(fw.P2, "DA03")]) == ("10", "", "", "true")
    # the PCN is rounded on its own: 21 of 29 -> 20 of 30 -> 66.7% as shown
    assert shown(rows[(fw.PCN, "DA03")]) == ("20", "30", "66.7", "false")
    # CA01 year to date: 54 of a phased target of 57.7 -> 55 of 60 -> 91.7%, amber
    assert shown(rows[(fw.PCN, "CA01")]) == ("55", "60", "91.7", "false")
    assert rows[(fw.PCN, "CA01")]["rag"] == "amber"
    assert shown(rows[(fw.P1, "CA01")]) == ("", "10", "", "true")
    # Staff (DA01) and pounds (CO01) are not about patients: shown as computed.
    assert shown(rows[(fw.PCN, "DA01")]) == ("5", "6", "83.3", "false")
    assert shown(rows[(fw.PCN, "CO01")]) == ("1300", "400", "3.25", "false")


def test_no_patient_count_from_1_to_7_is_shown_anywhere_in_the_return(
    icb_return, workbook, suppressed_kpis
):
    for row in csv_rows(icb_return[1]):
        if row["kpi_id"] in suppressed_kpis:
            for field in ("numerator", "denominator"):
                if row[field]:
                    count = float(row[field])
                    assert count == 0 or count >= 8, row
                    assert count % 5 == 0, row
    for name in ("Summary", "Cohort delivery", "Prescribing safety", "Cost outcome"):
        header = None
        for values in workbook[name].iter_rows(values_only=True):
            if "Numerator" in values and "KPI" in values:
                header = values
                continue
            if header and values[header.index("KPI")] in suppressed_kpis:
                for column in ("Numerator", "Denominator"):
                    value = values[header.index(column)]
                    assert not (isinstance(value, int | float) and 0 < value < 8), (name, values)


def test_no_cell_is_wider_than_its_column_on_any_sheet(icb_return):
    assert overflowing_cells(icb_return[0]) == []


def test_rag_agrees_with_every_figure_as_shown(icb_return):
    definitions = {d["kpi_id"]: d for d in fw.kpi_definitions()}
    checked, wrong = rag_mismatches(icb_return[0], definitions)
    assert checked >= 25 and wrong == []


def test_the_xlsx_has_every_section_printing_landscape(workbook):
    assert workbook.sheetnames == [
        "Summary",
        "Cohort delivery",
        "Exceptions",
        "Prescribing safety",
        "Cost outcome",
        "Supervision evidence",
        "Notes",
    ]
    for sheet in workbook.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert "30 September 2026" in sheet.oddFooter.right.text


def labelled_rows(sheet) -> dict[str, tuple]:
    """Label (column A) -> the figures under Numerator, Denominator, Value (columns F-H)."""
    return {
        values[0]: values[5:8]
        for values in sheet.iter_rows(values_only=True)
        if isinstance(values[0], str)
    }


def test_safety_counts_about_patients_are_suppressed_and_named_in_full(workbook):
    rows = labelled_rows(workbook["Prescribing safety"])
    # SEA themes follow PS04 (suppressed): 3/2/1 -> all '*'; 9/8/1 -> 10/10/'*'
    assert rows["Prescribing error"] == ("*", "*", "*")
    assert rows["Communication"] == (10, 10, "*")
    # PINCER patients: 40 at risk, 5 with the hazard, 2 actioned; the indicator in words
    indicator = (
        "AC: Age 75 or over on an ACE inhibitor or loop diuretic, no renal or electrolyte test"
    )
    assert rows[indicator] == (40, "*", "*")
    # Alerts (not about patients): class and status in words, counted as they are.
    assert rows["MHRA Class 2: closed in time"][0] == 1
    assert rows["MHRA Class 2: open past deadline"][0] == 1


def test_exceptions_are_ranked_by_materiality_with_room_for_cause_and_action(workbook):
    sheet = workbook["Exceptions"]
    ranked = []
    for values in sheet.iter_rows(min_row=5, values_only=True):
        if not isinstance(values[0], int):
            break
        ranked.append((values[1].split("(")[-1].rstrip(")"), values[2].split()[0], values[5]))
    # Reds before ambers, furthest from target first, the PCN before a practice on a tie, at
    # most two rows of one KPI: P2's CA02 0% (all of it short), the PCN's DA03 66.7% (a third
    # short), PS01 75% at the PCN, DA03 75% at P1 (a quarter short; 20 due before 12), PS01 at
    # a practice, DA01 83.3% at the PCN; then the amber CA01.
    assert [r[:2] for r in ranked[:4]] == [
        (fw.P2, "CA02"),
        (fw.PCN, "DA03"),
        (fw.PCN, "PS01"),
        (fw.P1, "DA03"),
    ]
    assert ranked[4][1] == "PS01" and ranked[5][:2] == (fw.PCN, "DA01")
    assert ranked[6] == (fw.PCN, "CA01", "Amber")
    assert "cause_and_action" in workbook.defined_names
    # The third PS01 exception is in the table that follows, not dropped.
    later = [v for v in sheet.iter_rows(min_row=5 + len(ranked), values_only=True) if v[2]]
    assert any(str(v[2]).startswith("PS01") for v in later)


def test_no_raw_codes_or_unshipped_documents_in_the_return(workbook):
    everything = " ".join(
        str(c.value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for c in row
        if c.value
    )
    for code in ("domain.md", "closed_in_window", "prescribing_error", "pounds_per_astro_pu"):
        assert code not in everything


def test_formula_looking_practice_names_stay_text(icb_return, workbook):
    cells = [
        (sheet, coordinate)
        for sheet, coordinate, value in workbook_cells(icb_return[0])
        if isinstance(value, str) and "HYPERLINK" in value.upper()
    ]
    assert cells
    assert all(workbook[sheet][coordinate].data_type == "s" for sheet, coordinate in cells)


def test_no_patient_identifier_reaches_the_return(icb_return):
    for path in icb_return:
        assert leaks(all_text(path)) == []


def test_the_activity_extract_is_per_practice_and_suppressed(extract):
    counts = ("event_count", "event_count_suppressed", "patient_count", "patient_count_suppressed")
    rows = [
        (r["practice_code"], r["month"], r["activity"], *(r[c] for c in counts))
        for r in csv_rows(extract)
    ]
    assert rows == [
        (fw.P1, "2026-09", "deprescribing", "10", "false", "", "true"),
        (fw.P1, "2026-09", "high_risk_drug_monitoring_review", "", "true", "", "true"),
        (fw.P1, "2026-09", "medicines_reconciliation", "0", "false", "0", "false"),
        (fw.P1, "2026-09", "structured_medication_review", "15", "false", "10", "false"),
        (fw.P2, "2026-09", "structured_medication_review", "1235", "false", "1100", "false"),
    ]
    assert "*" not in extract.read_text()
    assert {r["snomed_code"] for r in csv_rows(extract)} >= {"1239511000000100"}
    assert leaks(all_text(extract)) == []


def test_the_return_names_each_des_evidence_item_with_who_asks_for_it(workbook):
    names = {
        value
        for row in workbook["Supervision evidence"].iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    }
    assert "Scope of practice (Local or ICB assurance)" in names
    assert "SNOMED-coded activity extract (DES requirement)" in names
