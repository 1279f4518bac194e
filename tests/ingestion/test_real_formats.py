"""Files as they are really published and exported, written here by hand in each layout: EMIS
Web reports with title lines, SystmOne result cells with their units, both systems' date
spellings, zipped and renamed public files, header-less ODS reports (and the same exported with
headers), EPD SNOMED codes spoilt by Excel, unidentified prescribers, the alert titles MHRA
publishes, ARRS roles and eFI versions.

Every expected value is written out here by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from ingestion.load import MonthRejected, load_month
from pcnmo.contracts import (
    CLINICAL_EVENTS,
    EPCN_PCNS,
    EPD,
    EPRACCUR,
    LIST_SIZES,
    PATIENTS,
    SAFETY_ALERTS,
    WORKFORCE,
    TableContract,
)
from tests.ingestion.conftest import (
    KEY,
    MONTH,
    assert_log_adds_up,
    emis_patient,
    epd_row,
    headers,
    log_rows,
    quarantine_rows,
    raw_rows,
    valid_nhs_numbers,
    write_extract,
)

NUMBERS = valid_nhs_numbers(8)
EMIS_PATIENTS = "EMIS_A12345_patients_202609.csv"
S1_EVENTS = "S1_B23456_events_202609.csv"
EGFR = "1011481000000105"


def _load(conn, table: TableContract, inbox: Path, **kwargs):
    return load_month(conn, table, MONTH, inbox, key=KEY, **kwargs)


def _csv_text(rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _header_and_rows(table: TableContract, dialect: str, rows: list[dict]) -> list[list[object]]:
    columns = headers(table, dialect)
    return [[h for _, h in columns], *([row.get(n, "") for n, _ in columns] for row in rows)]


def _zip(path: Path, members: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


# --------------------------------------------------------------------------------------------
# EMIS Web reports: title lines above the column titles
# --------------------------------------------------------------------------------------------


def test_an_emis_report_with_title_and_last_run_lines_loads_and_says_what_it_skipped(
    conn, inbox, month_dir
):
    body = _header_and_rows(PATIENTS, "emis", [emis_patient(n) for n in NUMBERS[:2]])
    titles = [
        ["Search: SMR cohort - registered patients"],
        ["Last Run", "", "", "01/10/2026 09:15", f"by user {NUMBERS[5]}"],
        [],
        ["Patient Details"],
    ]
    (month_dir / EMIS_PATIENTS).write_text(_csv_text([*titles, *body]), encoding="utf-8")

    result = _load(conn, PATIENTS, inbox)

    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (2, 2, 0)
    # Row numbers are a spreadsheet's: the column titles are row 5.
    assert [r["_source_row"] for r in raw_rows(conn, PATIENTS)] == [6, 7]
    [entry] = log_rows(conn, PATIENTS)
    assert "rows 1-4 above the column titles skipped" in entry["message"]
    assert "Search: SMR cohort" in entry["message"] and "Last Run" in entry["message"]
    assert NUMBERS[5] not in entry["message"]  # an NHS number in a title line is not quoted
    assert_log_adds_up(conn)


def test_column_titles_not_found_in_the_first_rows_reject_the_file(conn, inbox, month_dir):
    body = _header_and_rows(PATIENTS, "emis", [emis_patient(NUMBERS[0])])
    (month_dir / EMIS_PATIENTS).write_text(
        _csv_text([[f"title line {n}"] for n in range(20)] + body), encoding="utf-8"
    )

    with pytest.raises(MonthRejected) as rejected:
        _load(conn, PATIENTS, inbox)

    assert "is missing required column(s)" in str(rejected.value)
    assert "row 1 has: 'title line 0'" in str(rejected.value)


# --------------------------------------------------------------------------------------------
# SystmOne result cells holding their unit (and comparator)
# --------------------------------------------------------------------------------------------


def _s1_event(number: str, value: str, **changes: str) -> dict[str, str]:
    row = {
        "nhs_number": number,
        "snomed_code": EGFR,
        "term": "eGFR",
        "event_date": "15-Sep-2026",
        "value": value,
    }
    row.update(changes)
    return row


def test_a_systmone_value_with_its_unit_in_the_cell_is_split(conn, inbox, month_dir):
    rows = [
        _s1_event(NUMBERS[0], "58 mL/min/1.73m2"),
        _s1_event(NUMBERS[1], "<1"),
        _s1_event(NUMBERS[2], ">90 mL/min/1.73m2"),
        _s1_event(NUMBERS[3], "0.8"),
    ]
    write_extract(month_dir / S1_EVENTS, CLINICAL_EVENTS, "systmone", rows, omit=["value_unit"])

    result = _load(conn, CLINICAL_EVENTS, inbox)

    assert (result.rows_loaded, result.rows_quarantined) == (4, 0)
    got = [
        (r["value"], r["value_comparator"], r["value_unit"])
        for r in raw_rows(conn, CLINICAL_EVENTS)
    ]
    assert got == [
        (58.0, None, "mL/min/1.73m2"),
        (1.0, "<", None),
        (90.0, ">", "mL/min/1.73m2"),
        (0.8, None, None),
    ]


def test_a_unit_in_the_cell_that_disagrees_with_the_units_column_quarantines_the_row(
    conn, inbox, month_dir
):
    rows = [
        _s1_event(NUMBERS[0], "58 mL/min/1.73m2", value_unit="mL/min/1.73m2"),  # agrees
        _s1_event(NUMBERS[1], "58 mL/min/1.73m2", value_unit=""),  # the cell's unit is used
        _s1_event(NUMBERS[2], "0.6 mmol/L", value_unit="mL/min/1.73m2"),
        _s1_event(NUMBERS[3], "<5", value_comparator=">"),
    ]
    write_extract(month_dir / S1_EVENTS, CLINICAL_EVENTS, "systmone", rows)

    result = _load(conn, CLINICAL_EVENTS, inbox)

    assert (result.rows_loaded, result.rows_quarantined) == (2, 2)
    loaded = raw_rows(conn, CLINICAL_EVENTS)
    assert [(r["value"], r["value_unit"]) for r in loaded] == [
        (58.0, "mL/min/1.73m2"),
        (58.0, "mL/min/1.73m2"),
    ]
    unit, comparator = quarantine_rows(conn, CLINICAL_EVENTS)
    assert unit["row_number"] == 4 and comparator["row_number"] == 5
    assert (
        "Numeric value '0.6 mmol/L' carries the unit 'mmol/L', but Units says 'mL/min/1.73m2'"
        in unit["reason"]
    )
    assert "carries the comparator '<', but Comparator says '>'" in comparator["reason"]
    assert_log_adds_up(conn)


# --------------------------------------------------------------------------------------------
# Date spellings
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("14/03/1948", dt.date(1948, 3, 14)),
        ("14-Mar-1948", dt.date(1948, 3, 14)),
        ("14-MAR-1948", dt.date(1948, 3, 14)),
        ("14 Mar 1948", dt.date(1948, 3, 14)),
        ("1948-03-14", dt.date(1948, 3, 14)),
        # Two-digit years: the century before the end of the reporting month (30 Sep 2026).
        ("14-Mar-48", dt.date(1948, 3, 14)),
        ("01-Jan-90", dt.date(1990, 1, 1)),  # 1890 would be 136 years back
        ("14-Mar-05", dt.date(2005, 3, 14)),  # 1905 would be more than 120 years back
    ],
)
def test_every_date_spelling_either_system_writes_is_read(conn, inbox, month_dir, written, read):
    write_extract(
        month_dir / EMIS_PATIENTS,
        PATIENTS,
        "emis",
        # Registered after every birth date below (a registration before birth is quarantined).
        [emis_patient(NUMBERS[0], date_of_birth=written, registration_date="01/04/2010")],
    )

    result = _load(conn, PATIENTS, inbox)

    assert result.rows_quarantined == 0, quarantine_rows(conn, PATIENTS)
    assert raw_rows(conn, PATIENTS)[0]["date_of_birth"] == read


def test_a_two_digit_year_is_quarantined_only_when_it_is_genuinely_ambiguous(
    conn, inbox, month_dir
):
    rows = [
        # 2010 or 1910: a child or a 116-year-old; only the full year can tell.
        emis_patient(NUMBERS[0], date_of_birth="01-Jan-10"),
        # 1945, since 2045 is after the reporting month.
        emis_patient(NUMBERS[1], date_of_birth="01-Jan-45"),
        # A registration date is not a lifetime: 2001, the century before September 2026.
        emis_patient(NUMBERS[2], registration_date="01-Apr-01"),
        # dd/mm/yy is no spelling either system writes.
        emis_patient(NUMBERS[3], date_of_birth="01/01/45"),
    ]
    write_extract(month_dir / EMIS_PATIENTS, PATIENTS, "emis", rows)

    result = _load(conn, PATIENTS, inbox)

    assert (result.rows_loaded, result.rows_quarantined) == (2, 2)
    loaded = raw_rows(conn, PATIENTS)
    assert [r["date_of_birth"] for r in loaded] == [dt.date(1945, 1, 1), dt.date(1948, 3, 14)]
    assert loaded[1]["registration_date"] == dt.date(2001, 4, 1)
    ambiguous, not_a_date = quarantine_rows(conn, PATIENTS)
    assert (
        "Date of Birth '01-Jan-10' has a two-digit year that could be either century"
        in (ambiguous["reason"])
    )
    assert "Date of Birth '01/01/45' is not a date" in not_a_date["reason"]


# --------------------------------------------------------------------------------------------
# Local logs: published alert titles, ARRS roles; the eFI version
# --------------------------------------------------------------------------------------------

ALERT_LOG = "safety_alerts_U12345_202609.csv"


def _alert(reference: str, alert_type: str) -> dict[str, str]:
    return {
        "alert_reference": reference,
        "alert_title": "A title",
        "alert_type": alert_type,
        "practice_code": "A12345",
        "received_date": "2026-09-01",
        "triage_outcome": "Applicable",
    }


def test_alert_types_typed_from_the_published_titles_load_as_their_class(conn, inbox, month_dir):
    published = {
        "Class 2 Medicines Recall": "MHRA Class 2",
        "Medicines Recall: Class 3": "MHRA Class 3",
        "Medicines Notification: Caution in use, Class 4": "MHRA Class 4",
        "Class 4 Medicines Defect Information": "MHRA Class 4",
        "National Patient Safety Alert (NatPSA)(equivalent to Class 1 Medicines Recall)": "NatPSA",
        "Drug Alert: Class 1": "MHRA Class 1",
        "company-led  medicines recall": "Company-led",
        "MHRA Class 2": "MHRA Class 2",
    }
    rows = [_alert(f"EL(26)A/{n:02d}", title) for n, title in enumerate(published)]
    rows.append(_alert("EL(26)A/99", "Class 5 Medicines Recall"))
    write_extract(month_dir / ALERT_LOG, SAFETY_ALERTS, "local", rows)

    result = _load(conn, SAFETY_ALERTS, inbox)

    assert (result.rows_loaded, result.rows_quarantined) == (len(published), 1)
    assert [r["alert_type"] for r in raw_rows(conn, SAFETY_ALERTS)] == list(published.values())
    [bad] = quarantine_rows(conn, SAFETY_ALERTS)
    assert "Alert Type 'Class 5 Medicines Recall' is not one of" in bad["reason"]


def test_every_arrs_role_of_2025_26_and_2026_27_loads(conn, inbox, month_dir):
    roles = {
        "General Practitioner": "General Practitioner",
        "GP": "General Practitioner",
        "New to General Practice Nurse": "New to General Practice Nurse",
        "Experienced General Practice Nurse": "Experienced General Practice Nurse",
        "Consultant Nurse": "Consultant Nurse",
        "Healthcare Support Worker": "Healthcare Support Worker",
        "Advanced Practitioner": "Advanced Practitioner",
        "Other": "Other",
    }
    rows = [
        {
            "staff_id": f"S{n}",
            "role": role,
            "is_arrs_funded": "Y",
            "wte": "1",
            "start_date": "2026-04-01",
        }
        for n, role in enumerate(roles)
    ]
    write_extract(month_dir / "workforce_U12345_202609.csv", WORKFORCE, "local", rows)

    result = _load(conn, WORKFORCE, inbox)

    assert (result.rows_loaded, result.rows_quarantined) == (len(roles), 0)
    assert [r["role"] for r in raw_rows(conn, WORKFORCE)] == list(roles.values())


def test_the_efi_version_is_read_beside_the_score(conn, inbox, month_dir):
    rows = [
        emis_patient(NUMBERS[0], efi_score="0.41", efi_version="eFI"),
        emis_patient(NUMBERS[1], efi_score="0.41", efi_version="eFI 2"),
        emis_patient(NUMBERS[2], efi_score="0.41", efi_version=""),
        emis_patient(NUMBERS[3], efi_score="0.41", efi_version="eFI3"),
    ]
    write_extract(month_dir / EMIS_PATIENTS, PATIENTS, "emis", rows)

    result = _load(conn, PATIENTS, inbox)

    assert (result.rows_loaded, result.rows_quarantined) == (3, 1)
    assert [r["efi_version"] for r in raw_rows(conn, PATIENTS)] == ["eFI", "eFI2", None]
    [bad] = quarantine_rows(conn, PATIENTS)
    assert "eFI Version 'eFI3' is not one of: eFI, eFI2" in bad["reason"]


# --------------------------------------------------------------------------------------------
# The EPD: SNOMED codes as numbers, unidentified prescribers, zipped files
# --------------------------------------------------------------------------------------------


def test_a_bad_snomed_code_is_blanked_and_counted_and_never_costs_a_row(conn, inbox, month_dir):
    rows = [
        epd_row("L84018", "0408010AEAAAAAA", 3, "20.88", snomed_code="415164004.0"),
        epd_row("L84018", "0408010AEBCAAAD", 1, "12.50", snomed_code="2.87362E+16"),
        epd_row("L84073", "0408010G0AAAAAA", 2, "3.10", snomed_code="323013002"),
        epd_row("L84073", "0408010G0AAABAB", 1, "1.90", snomed_code="not a code"),
        epd_row("L84073", "0408010G0AAACAC", 1, "2.00", snomed_code=""),
    ]
    write_extract(month_dir / "EPD_SNOMED_202609.csv", EPD, "epd", rows)

    result = _load(conn, EPD, inbox)

    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (5, 5, 0)
    assert result.values_blanked == 2
    loaded = raw_rows(conn, EPD)
    assert [r["snomed_code"] for r in loaded] == ["415164004", None, "323013002", None, None]
    assert sum(r["actual_cost"] for r in loaded) == Decimal("40.38")
    [entry] = log_rows(conn, EPD)
    assert "SNOMED_CODE: 2 value(s) blanked" in entry["message"]
    assert "E notation was rounded by Excel" in entry["message"]
    assert entry["dialect"] == "epd"  # the legacy names with SNOMED_CODE as the 27th column


def test_unidentified_prescribers_are_out_of_scope_even_with_no_scope_configured(
    conn, inbox, month_dir
):
    rows = [
        epd_row("L84018", "0408010AEAAAAAA", 3, "20.88"),
        epd_row("-", "0408010AEAAAAAA", 7, "41.00", practice_name="UNIDENTIFIED DOCTORS"),
        # A region's code for prescribing it could not attribute to a practice.
        epd_row("Y99998", "0408010G0AAAAAA", 2, "3.10", practice_name="UNIDENTIFIED"),
    ]
    write_extract(month_dir / "EPD_202609.csv", EPD, "epd", rows)

    result = _load(conn, EPD, inbox)

    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (3, 1, 0)
    assert result.rows_out_of_scope == 2
    assert [r["practice_code"] for r in raw_rows(conn, EPD)] == ["L84018"]
    [entry] = log_rows(conn, EPD)
    assert "2 row(s) of unidentified prescribers" in entry["message"]
    assert_log_adds_up(conn)


def test_an_epd_zip_holding_one_csv_is_read_directly(conn, inbox, month_dir):
    rows = _header_and_rows(EPD, "epd_snomed", [epd_row("L84018", "0408010AEAAAAAA", 3, "20.88")])
    rows[1][rows[0].index("YEAR_MONTH")] = "2026-09"
    zipped = _zip(month_dir / "EPD_SNOMED_202609.zip", {"EPD_SNOMED_202609.csv": _csv_text(rows)})

    result = _load(conn, EPD, inbox)

    assert (result.rows_loaded, result.files[0].dialect) == (1, "epd_snomed")
    [entry] = log_rows(conn, EPD)
    assert entry["file_name"] == zipped.name
    assert "read from EPD_SNOMED_202609.csv in the zip" in entry["message"]


@pytest.mark.parametrize(
    ("members", "says"),
    [
        ({"a.csv": "x\r\n", "b.csv": "y\r\n"}, "is a zip holding a.csv, b.csv"),
        ({"readme.txt": "x"}, "is a zip holding readme.txt"),
        ({}, "is a zip holding nothing"),
    ],
)
def test_a_zip_that_does_not_hold_exactly_one_csv_is_rejected(
    conn, inbox, month_dir, members, says
):
    _zip(month_dir / "EPD_SNOMED_202609.zip", members)

    with pytest.raises(MonthRejected) as rejected:
        _load(conn, EPD, inbox)

    assert says in str(rejected.value)


def test_a_damaged_zip_is_rejected(conn, inbox, month_dir):
    (month_dir / "gp-reg-pat-prac-quin-age_V2.zip").write_bytes(b"PK\x03\x04 truncated")

    with pytest.raises(MonthRejected) as rejected:
        _load(conn, LIST_SIZES, inbox)

    assert "is not a readable zip archive" in str(rejected.value)


@pytest.mark.parametrize(
    "name",
    [
        "gp-reg-pat-prac-quin-age.csv",
        "gp-reg-pat-prac-quin-age_V2.csv",
        "gp-reg-patients-prac-quin-age.csv",
        "gp-reg-pat-prac-quin-age_202609.csv",
    ],
)
def test_list_sizes_load_under_every_name_nhs_digital_has_used(conn, inbox, month_dir, name):
    columns = [c for c in LIST_SIZES.columns]
    header = [c.header("quinary") for c in columns]
    values = {"extract_date": "01SEP2026", "org_type": "GP", "org_code": "L84018"}
    rows = [
        [
            {**values, "sex": "ALL", "age_group": "ALL", "number_of_patients": "10"}.get(c.name, "")
            for c in columns
        ]
    ]
    (month_dir / name).write_text(_csv_text([header, *rows]), encoding="utf-8")

    result = _load(conn, LIST_SIZES, inbox)

    assert result.rows_loaded == 1


# --------------------------------------------------------------------------------------------
# ODS files published without a header row
# --------------------------------------------------------------------------------------------

PCN_ROW = ["U12345", "A PCN", "11M", "NHS GLOUCESTERSHIRE ICB - 11M", "20191001", ""]
PCN_ADDRESS = ["1 HIGH ST", "", "", "GLOUCESTER", "", "GL1 1AA"]


def test_a_headerless_dse_epcn_report_loads_by_column_position(conn, inbox, month_dir):
    (month_dir / "epcn.csv").write_text(_csv_text([PCN_ROW + PCN_ADDRESS]), encoding="utf-8")

    result = _load(conn, EPCN_PCNS, inbox)

    assert (result.rows_loaded, result.files[0].dialect) == (1, "dse")
    [row] = raw_rows(conn, EPCN_PCNS)
    assert (row["pcn_code"], row["sub_icb_location_code"], row["postcode"]) == (
        "U12345",
        "11M",
        "GL1 1AA",
    )
    assert row["open_date"] == dt.date(2019, 10, 1) and row["_source_row"] == 1


def test_a_dse_report_exported_with_headers_has_its_header_row_skipped(conn, inbox, month_dir):
    header = ["PCN Code", "PCN Name", "Current Sub ICB Loc Code", "Sub ICB Location"]
    header += ["Open Date", "Close Date", "Address Line 1", "Address Line 2"]
    header += ["Address Line 3", "Address Line 4", "Address Line 5", "Postcode"]
    text = _csv_text([header, PCN_ROW + PCN_ADDRESS])
    _zip(month_dir / "epcn.zip", {"epcn.csv": text})

    result = _load(conn, EPCN_PCNS, inbox)

    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (1, 1, 0)
    assert raw_rows(conn, EPCN_PCNS)[0]["_source_row"] == 2
    [entry] = log_rows(conn, EPCN_PCNS)
    assert "row 1 is a header row ('PCN Code | PCN Name" in entry["message"]


def test_epraccur_with_a_header_row_loads_every_practice_and_skips_only_the_header(
    conn, inbox, month_dir
):
    practice = ["L84018", "CIRENCESTER HEALTH GROUP", "Y58", "QR1", "", "", "", "", ""]
    practice += ["GL7 1EH", "19740401", "", "A", "B", "11M"] + [""] * 10 + ["4", ""]
    header = ["Organisation Code", "Name", "National Grouping", "High Level Health Geography"]
    header += [f"Column {n}" for n in range(5, 28)]
    (month_dir / "epraccur.csv").write_text(_csv_text([header, practice]), encoding="utf-8")

    result = _load(conn, EPRACCUR, inbox)

    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (1, 1, 0)
    [row] = raw_rows(conn, EPRACCUR)
    assert (row["organisation_code"], row["commissioner_code"], row["_source_row"]) == (
        "L84018",
        "11M",
        2,
    )


def test_the_epcn_download_a_zip_holding_the_workbook_loads_from_its_sheet(conn, inbox, month_dir):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "PCNDetails"
    sheet.append(["PCN Code", "PCN Name", "Current Sub ICB Loc Code", "Sub ICB Location",
                  "Open Date", "Close Date", "Postcode"])  # fmt: skip
    sheet.append([*PCN_ROW, "GL1 1AA"])
    saved = io.BytesIO()
    workbook.save(saved)
    with zipfile.ZipFile(month_dir / "epcn.zip", "w") as archive:
        archive.writestr("ePCN.xlsx", saved.getvalue())

    result = _load(conn, EPCN_PCNS, inbox)

    assert (result.rows_loaded, result.files[0].dialect) == (1, "xlsx")
    assert raw_rows(conn, EPCN_PCNS)[0]["postcode"] == "GL1 1AA"
    [entry] = log_rows(conn, EPCN_PCNS)
    assert (entry["file_name"], "read from ePCN.xlsx in the zip" in entry["message"]) == (
        "epcn.zip",
        True,
    )


def test_a_zip_holding_a_workbook_of_no_layout_is_rejected_by_name(conn, inbox, month_dir):
    saved = io.BytesIO()
    openpyxl.Workbook().save(saved)
    with zipfile.ZipFile(month_dir / "epcn.zip", "w") as archive:
        archive.writestr("practice_list.xlsx", saved.getvalue())

    with pytest.raises(MonthRejected) as rejected:
        _load(conn, EPCN_PCNS, inbox)

    assert "holds practice_list.xlsx, named for none of the layouts of raw_ods.epcn_pcns" in str(
        rejected.value
    )
