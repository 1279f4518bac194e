"""The contract-driven loader, fed hand-made (and hand-broken) extracts.

Each test writes the smallest inbox that shows one behaviour, loads it into a scratch DuckDB
file and reads the warehouse back. Expected values are worked out in the test.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import re
import zipfile

import duckdb
import openpyxl
import pytest

from ingestion.load import MonthRejected, load_month
from ingestion.nhs_number import MissingKeyError
from pcnmo.contracts import (
    CLINICAL_EVENTS,
    EPCN_MEMBERS,
    EPCN_PCNS,
    EPD,
    MEDICATION_ISSUES,
    PATIENTS,
    SIGNIFICANT_EVENTS,
)
from tests.ingestion.conftest import (
    KEY,
    MONTH,
    assert_log_adds_up,
    emis_patient,
    epcn_member,
    epd_row,
    headers,
    log_rows,
    month_date,
    quarantine_rows,
    query,
    raw_rows,
    systmone_patient,
    valid_nhs_numbers,
    write_extract,
    write_two_sub_icb_membership,
)

EMIS_PATIENTS = "EMIS_A12345_patients_202609.csv"
S1_PATIENTS = "S1_B23456_patients_202609.csv"
INVALID_NHS = "9434765918"  # 9434765919 is valid, so this fails the check digit
NUMBERS = valid_nhs_numbers(20)


def _load(conn, table, inbox, month=MONTH, **kwargs):
    return load_month(conn, table, month, inbox, key=KEY, **kwargs)


def _three_good_patients() -> list[dict[str, str]]:
    return [emis_patient(n) for n in NUMBERS[:3]]


# --------------------------------------------------------------------------------------------
# A clean extract
# --------------------------------------------------------------------------------------------


def test_clean_emis_extract_loads_every_row_with_pseudonyms_and_file_row_numbers(
    conn, inbox, month_dir
):
    write_extract(month_dir / EMIS_PATIENTS, PATIENTS, "emis", _three_good_patients())

    result = _load(conn, PATIENTS, inbox)

    rows = raw_rows(conn, PATIENTS)
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (3, 3, 0)
    assert [r["_source_row"] for r in rows] == [2, 3, 4]  # the header is row 1
    assert {r["practice_code"] for r in rows} == {"A12345"}  # from the file name
    assert {r["_dialect"] for r in rows} == {"emis"}
    assert {r["_month"] for r in rows} == {month_date()}
    assert rows[0]["date_of_birth"] == dt.date(1948, 3, 14)
    assert rows[0]["efi_score"] == pytest.approx(0.19)
    ids = [r["patient_id"] for r in rows]
    assert len(set(ids)) == 3
    assert all(re.fullmatch(r"P[A-Z]{26}", i) for i in ids)
    assert "nhs_number" not in rows[0]
    assert log_rows(conn, PATIENTS)[0]["status"] == "loaded"
    assert_log_adds_up(conn)


def test_a_header_only_extract_loads_no_rows_and_is_logged(conn, inbox, month_dir):
    write_extract(month_dir / EMIS_PATIENTS, PATIENTS, "emis", [])

    _load(conn, PATIENTS, inbox)

    [entry] = log_rows(conn, PATIENTS)
    assert (entry["status"], entry["rows_in"], entry["rows_loaded"]) == ("loaded", 0, 0)


def test_a_month_with_no_file_is_logged_as_missing_once(conn, inbox):
    first = _load(conn, PATIENTS, inbox)
    _load(conn, PATIENTS, inbox)

    assert "EMIS_A12345_patients_202609.csv" in first.missing_message
    assert [e["status"] for e in log_rows(conn, PATIENTS)] == ["missing"]


# --------------------------------------------------------------------------------------------
# Corrupted extracts
# --------------------------------------------------------------------------------------------


def test_missing_required_column_rejects_the_month_and_keeps_rows_loaded_earlier(
    conn, inbox, month_dir
):
    path = month_dir / EMIS_PATIENTS
    write_extract(path, PATIENTS, "emis", _three_good_patients())
    _load(conn, PATIENTS, inbox)
    before = raw_rows(conn, PATIENTS)

    write_extract(path, PATIENTS, "emis", [emis_patient(NUMBERS[5])], omit=["date_of_birth"])
    with pytest.raises(MonthRejected) as caught:
        _load(conn, PATIENTS, inbox)

    message = str(caught.value)
    assert EMIS_PATIENTS in message
    assert "'Date of Birth'" in message
    assert "raw_clinical.patients for 2026-09 was not loaded" in message
    assert raw_rows(conn, PATIENTS) == before  # nothing new, nothing lost
    statuses = [(e["file_name"], e["status"]) for e in log_rows(conn, PATIENTS)]
    assert statuses == [(EMIS_PATIENTS, "loaded"), (EMIS_PATIENTS, "rejected")]
    rejected = log_rows(conn, PATIENTS)[1]
    assert "'Date of Birth'" in rejected["message"]
    assert_log_adds_up(conn)


def test_one_rejected_file_keeps_the_other_files_of_the_month_out_too(conn, inbox, month_dir):
    write_extract(month_dir / EMIS_PATIENTS, PATIENTS, "emis", _three_good_patients())
    write_extract(
        month_dir / S1_PATIENTS,
        PATIENTS,
        "systmone",
        [systmone_patient(NUMBERS[9])],
        omit=["sex"],
    )

    with pytest.raises(MonthRejected) as caught:
        _load(conn, PATIENTS, inbox)

    assert S1_PATIENTS in str(caught.value) and "'Gender'" in str(caught.value)
    assert raw_rows(conn, PATIENTS) == []
    assert [e["status"] for e in log_rows(conn, PATIENTS)] == ["rejected"]


def test_running_a_rejected_month_again_does_not_pile_up_log_rows(conn, inbox, month_dir):
    write_extract(month_dir / EMIS_PATIENTS, PATIENTS, "emis", [], omit=["sex"])
    for _ in range(2):
        with pytest.raises(MonthRejected):
            _load(conn, PATIENTS, inbox)

    assert [e["status"] for e in log_rows(conn, PATIENTS)] == ["rejected"]


def test_bad_date_is_quarantined_naming_the_header_the_value_and_the_row(conn, inbox, month_dir):
    rows = _three_good_patients()
    rows[1]["date_of_birth"] = "31/02/1948"  # row 3 of the file
    write_extract(month_dir / EMIS_PATIENTS, PATIENTS, "emis", rows)

    result = _load(conn, PATIENTS, inbox)

    [bad] = quarantine_rows(conn, PATIENTS)
    assert bad["file_name"] == EMIS_PATIENTS
    assert bad["row_number"] == 3
    assert bad["column_names"] == "Date of Birth"
    assert "Date of Birth" in bad["reason"] and "'31/02/1948'" in bad["reason"]
    assert "not a date" in bad["reason"]
    assert [r["_source_row"] for r in raw_rows(conn, PATIENTS)] == [2, 4]
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert_log_adds_up(conn)


def test_every_failing_column_of_a_row_is_named(conn, inbox, month_dir):
    rows = _three_good_patients()
    rows[2].update(sex="Robot", efi_score="1.7", registration_date="")
    write_extract(month_dir / EMIS_PATIENTS, PATIENTS, "emis", rows)

    _load(conn, PATIENTS, inbox)

    [bad] = quarantine_rows(conn, PATIENTS)
    assert bad["row_number"] == 4
    assert set(bad["column_names"].split(", ")) == {"Sex", "eFI Score", "Registration Date"}
    assert "Registration Date is empty" in bad["reason"]
    assert "Sex 'Robot' is not one of" in bad["reason"]
    assert "eFI Score '1.7' is above 1" in bad["reason"]


def test_a_date_after_the_reporting_month_is_quarantined(conn, inbox, month_dir):
    rows = _three_good_patients()
    rows[0]["registration_date"] = "01/10/2026"
    write_extract(month_dir / EMIS_PATIENTS, PATIENTS, "emis", rows)

    _load(conn, PATIENTS, inbox)

    [bad] = quarantine_rows(conn, PATIENTS)
    assert bad["row_number"] == 2
    assert "after the end of the reporting month (2026-09-30)" in bad["reason"]


def _issue(nhs_number: str, issue_date: str, end: str = "", **changes: str) -> dict[str, str]:
    row = {
        "nhs_number": nhs_number,
        "dmd_code": "318353009",
        "bnf_code": "0204000R0AAAJAJ",
        "drug_name": "Propranolol 40mg tablets",
        "issue_date": issue_date,
        "issue_type": "Repeat",
        "quantity": "56",
        "template_start_date": "03/05/2020",
        "template_end_date": end,
        "stop_reason": "Stopped at medication review" if end else "",
    }
    row.update(changes)
    return row


def test_an_earlier_issue_loads_only_as_the_redelivery_of_a_template_ended_in_the_month(
    conn, inbox, month_dir
):
    # Reporting month September 2026. Rows 2-3 are in the month; rows 4-6 re-deliver an
    # August issue of a template ended in September (on its first and last day); rows 7-9
    # are earlier issues whose template did not end in September (still active, ended in
    # August, a planned end in October).
    emis = "EMIS_A12345_medication_issues_202609.csv"
    write_extract(
        month_dir / emis,
        MEDICATION_ISSUES,
        "emis",
        [
            _issue(NUMBERS[0], "01/09/2026"),
            _issue(NUMBERS[0], "30/09/2026", "30/09/2026", issue_type="Acute"),
            _issue(NUMBERS[1], "31/08/2026", "01/09/2026"),
            _issue(NUMBERS[2], "14/07/2026", "30/09/2026"),
            _issue(NUMBERS[3], "02/01/2025", "15/09/2026"),
            _issue(NUMBERS[4], "31/08/2026"),
            _issue(NUMBERS[5], "14/08/2026", "31/08/2026"),
            _issue(NUMBERS[6], "14/08/2026", "01/10/2026"),
        ],
    )
    # SystmOne spells the same rule in its own dates and headers.
    s1 = "S1_B23456_medication_issues_202609.csv"
    write_extract(
        month_dir / s1,
        MEDICATION_ISSUES,
        "systmone",
        [
            _issue(
                NUMBERS[7],
                "14-Aug-2026",
                "12-Sep-2026",
                issue_type="R",
                template_start_date="03-May-2020",
            ),
            _issue(NUMBERS[8], "14-Aug-2026", issue_type="R", template_start_date="03-May-2020"),
        ],
    )

    result = _load(conn, MEDICATION_ISSUES, inbox)

    loaded = [(r["_source_file"], r["_source_row"]) for r in raw_rows(conn, MEDICATION_ISSUES)]
    assert loaded == [(emis, 2), (emis, 3), (emis, 4), (emis, 5), (emis, 6), (s1, 2)]
    redelivered = raw_rows(conn, MEDICATION_ISSUES)[3]
    assert redelivered["issue_date"] == dt.date(2026, 7, 14)
    assert redelivered["template_end_date"] == dt.date(2026, 9, 30)
    assert redelivered["stop_reason"] == "Stopped at medication review"
    bad = quarantine_rows(conn, MEDICATION_ISSUES)
    assert [(b["file_name"], b["row_number"]) for b in bad] == [
        (emis, 7),
        (emis, 8),
        (emis, 9),
        (s1, 3),
    ]
    assert bad[0]["column_names"] == "Issue Date"
    assert bad[0]["reason"] == (
        "Issue Date '31/08/2026' is before the reporting month 2026-09 and Course End Date "
        "is not in that month"
    )
    assert bad[3]["reason"] == (
        "Date issued '14-Aug-2026' is before the reporting month 2026-09 and Repeat template "
        "end is not in that month"
    )
    assert (result.rows_loaded, result.rows_quarantined) == (6, 4)
    assert_log_adds_up(conn)


def test_an_earlier_issue_is_quarantined_when_the_file_has_no_template_end_column(
    conn, inbox, month_dir
):
    emis = "EMIS_A12345_medication_issues_202609.csv"
    write_extract(
        month_dir / emis,
        MEDICATION_ISSUES,
        "emis",
        [_issue(NUMBERS[0], "10/09/2026"), _issue(NUMBERS[1], "14/08/2026")],
        omit=("template_end_date", "stop_reason"),
    )

    _load(conn, MEDICATION_ISSUES, inbox)

    assert [r["_source_row"] for r in raw_rows(conn, MEDICATION_ISSUES)] == [2]
    assert [b["row_number"] for b in quarantine_rows(conn, MEDICATION_ISSUES)] == [3]


def _every_text_value(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Every text value in every table the connection can see, temporary ones included."""
    values: list[str] = []
    tables = conn.execute(
        "select database_name, schema_name, table_name from duckdb_tables()"
    ).fetchall()
    for database, schema, table in tables:
        columns = conn.execute(
            "select column_name from duckdb_columns() where database_name = ? "
            "and schema_name = ? and table_name = ? and data_type = 'VARCHAR'",
            [database, schema, table],
        ).fetchall()
        for (column,) in columns:
            values += [
                r[0]
                for r in conn.execute(
                    f'select "{column}" from "{database}"."{schema}"."{table}" '
                    f'where "{column}" is not null'
                ).fetchall()
            ]
    return values


def test_invalid_nhs_number_is_quarantined_and_masked(conn, db_path, inbox, month_dir):
    rows = _three_good_patients()
    rows[1]["nhs_number"] = "943 476 5918"  # as typed, with spaces
    write_extract(month_dir / EMIS_PATIENTS, PATIENTS, "emis", rows)

    _load(conn, PATIENTS, inbox)

    [bad] = quarantine_rows(conn, PATIENTS)
    assert bad["row_number"] == 3
    assert bad["column_names"] == "NHS Number"
    assert "NHS Number is not a valid NHS number" in bad["reason"]
    assert json.loads(bad["record_json"])["NHS Number"] == "*******918"
    assert len(raw_rows(conn, PATIENTS)) == 2
    assert_log_adds_up(conn)

    # Not in raw, quarantine or log; not left behind in a temporary table either.
    text = _every_text_value(conn)
    assert any("*******918" in v for v in text)  # the search does look at the quarantine
    assert not [v for v in text if INVALID_NHS in re.sub(r"[\s-]", "", v)]
    assert not [v for v in text for n in NUMBERS[:3] if n in v]
    conn.close()
    on_disk = b"".join(p.read_bytes() for p in db_path.parent.iterdir() if p.is_file())
    assert b"*******918" in on_disk  # the file stores these strings readably...
    assert INVALID_NHS.encode() not in on_disk  # ...and the number is not among them
    assert b"943 476 5918" not in on_disk


@pytest.mark.parametrize("typed", ["NOT KNOWN", "943476591X", "94347659", "94347659190"])
def test_nhs_number_that_is_not_ten_digits_is_quarantined_not_an_error(
    conn, inbox, month_dir, typed
):
    rows = [*_three_good_patients(), emis_patient(typed)]
    write_extract(month_dir / EMIS_PATIENTS, PATIENTS, "emis", rows)

    result = _load(conn, PATIENTS, inbox)

    [bad] = quarantine_rows(conn, PATIENTS)
    assert (bad["row_number"], bad["column_names"]) == (5, "NHS Number")
    assert (result.rows_loaded, result.rows_quarantined) == (3, 1)


def test_an_nhs_number_in_the_wrong_column_is_not_repeated_in_the_quarantine(
    conn, inbox, month_dir
):
    rows = _three_good_patients()
    # NHS Number and Date of Birth swapped on row 3
    rows[1].update(nhs_number="14/03/1948", date_of_birth=f"{NUMBERS[1][:3]} {NUMBERS[1][3:]}")
    write_extract(month_dir / EMIS_PATIENTS, PATIENTS, "emis", rows)

    _load(conn, PATIENTS, inbox)

    [bad] = quarantine_rows(conn, PATIENTS)
    assert bad["row_number"] == 3
    assert set(bad["column_names"].split(", ")) == {"NHS Number", "Date of Birth"}
    assert "Date of Birth '[number removed]' is not a date" in bad["reason"]
    assert json.loads(bad["record_json"])["Date of Birth"] == "[number removed]"
    for value in _every_text_value(conn):
        assert NUMBERS[1][3:] not in re.sub(r"[\s-]", "", value), value


def test_duplicate_patient_is_quarantined_as_a_duplicate_of_the_first_row(conn, inbox, month_dir):
    rows = _three_good_patients()
    spaced = f"{NUMBERS[0][:3]} {NUMBERS[0][3:6]} {NUMBERS[0][6:]}"
    rows.append(emis_patient(spaced, sex="Male"))  # row 5: same patient, typed differently
    write_extract(month_dir / EMIS_PATIENTS, PATIENTS, "emis", rows)

    _load(conn, PATIENTS, inbox)

    [dup] = quarantine_rows(conn, PATIENTS)
    assert dup["row_number"] == 5
    assert dup["reason"] == "duplicate of row 2 (same NHS Number)"
    assert dup["column_names"] == "NHS Number"
    assert [r["_source_row"] for r in raw_rows(conn, PATIENTS)] == [2, 3, 4]
    assert_log_adds_up(conn)


def test_exact_repeat_of_an_event_is_quarantined_as_an_identical_row(conn, inbox, month_dir):
    event = {
        "nhs_number": NUMBERS[0],
        "snomed_code": "1239511000000100",
        "term": "Structured medication review",
        "event_date": "02/09/2026",
    }
    other = {**event, "event_date": "03/09/2026"}
    write_extract(
        month_dir / "EMIS_A12345_events_202609.csv",
        CLINICAL_EVENTS,
        "emis",
        [event, other, event],
    )

    _load(conn, CLINICAL_EVENTS, inbox)

    [dup] = quarantine_rows(conn, CLINICAL_EVENTS)
    assert (dup["row_number"], dup["reason"]) == (4, "duplicate of row 2 (identical row)")
    assert len(raw_rows(conn, CLINICAL_EVENTS)) == 2


@pytest.mark.parametrize("bad_line", [1, 3], ids=["in the header", "in a data row"])
def test_non_utf8_clinical_extract_is_rejected_with_how_to_fix_it(conn, inbox, month_dir, bad_line):
    path = month_dir / "EMIS_A12345_events_202609.csv"
    event = {
        "nhs_number": NUMBERS[0],
        "snomed_code": "1239511000000100",
        "term": "Revue médicale" if bad_line == 3 else "Review",
        "event_date": "02/09/2026",
    }
    override = {"term": "Térm"} if bad_line == 1 else None
    write_extract(
        path,
        CLINICAL_EVENTS,
        "emis",
        [{**event, "term": "Review"}, event],
        encoding="latin-1",
        header_override=override,
    )

    with pytest.raises(MonthRejected) as caught:
        _load(conn, CLINICAL_EVENTS, inbox)

    message = str(caught.value)
    assert "EMIS_A12345_events_202609.csv: is not UTF-8 text" in message
    assert f"line {bad_line}" in message
    assert "CSV UTF-8 (Comma delimited)" in message
    assert raw_rows(conn, CLINICAL_EVENTS) == []
    assert [e["status"] for e in log_rows(conn, CLINICAL_EVENTS)] == ["rejected"]


def test_public_file_in_windows_1252_is_decoded_as_such(conn, inbox):
    # Written byte by byte: 0xC9 is É, 0x92 the Windows "smart" apostrophe and 0x96 an en dash,
    # which Latin-1 would read as invisible control characters.
    rows = [
        epd_row("L84018", "0407010H0AAAMAM", 3, "4.50"),
        epd_row("L84073", "0407010H0AAAMAM", 2, "3.00", practice_name="CAF\xc9 ST JOHN\x92S"),
    ]
    path = write_extract(inbox / MONTH / "epd_202609.csv", EPD, "epd", rows, encoding="latin-1")
    path.write_bytes(path.read_bytes().replace(b"ST JOHN", b"ST JOHN \x96 "))

    result = _load(conn, EPD, inbox)

    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)
    names = [r["practice_name"] for r in raw_rows(conn, EPD)]
    assert names[1] == "CAF\u00c9 ST JOHN \u2013 \u2019S"  # É, en dash, right quote
    assert not any(0x80 <= ord(ch) <= 0x9F for ch in names[1])
    assert "read as Windows-1252" in log_rows(conn, EPD)[0]["message"]
    assert_log_adds_up(conn)


def test_a_public_file_that_is_not_windows_1252_either_is_rejected(conn, inbox):
    # 0x81 is undefined in Windows-1252 (and a control character in Latin-1): not text.
    path = write_extract(
        inbox / MONTH / "epd_202609.csv", EPD, "epd", [epd_row("L84018", "0407010H0AAAMAM", 3, "4")]
    )
    path.write_bytes(path.read_bytes().replace(b"PRACTICE L84018", b"PRACTICE \x81"))

    with pytest.raises(MonthRejected) as rejected:
        _load(conn, EPD, inbox)

    assert "is neither UTF-8 nor Windows-1252 text" in str(rejected.value)
    assert raw_rows(conn, EPD) == []


def test_excel_csv_utf8_with_a_byte_order_mark_loads(conn, inbox, month_dir):
    write_extract(
        month_dir / EMIS_PATIENTS,
        PATIENTS,
        "emis",
        _three_good_patients(),
        encoding="utf-8-sig",
    )

    result = _load(conn, PATIENTS, inbox)

    assert (result.rows_loaded, result.rows_quarantined) == (3, 0)


def test_ragged_row_rejects_the_file_naming_the_line_but_not_its_content(conn, inbox, month_dir):
    path = month_dir / EMIS_PATIENTS
    write_extract(path, PATIENTS, "emis", _three_good_patients())
    lines = path.read_text().splitlines()
    lines[2] += f",{INVALID_NHS},stray"  # line 3 gets two extra fields
    path.write_text("\n".join(lines) + "\n")
    width = len(headers(PATIENTS, "emis"))

    with pytest.raises(MonthRejected) as caught:
        _load(conn, PATIENTS, inbox)

    message = str(caught.value)
    assert f"{EMIS_PATIENTS}: has a row with more fields than the header ({width}) on line 3" in (
        message
    )
    assert INVALID_NHS not in message and NUMBERS[1] not in message
    assert raw_rows(conn, PATIENTS) == []
    [entry] = log_rows(conn, PATIENTS)
    assert entry["status"] == "rejected" and "line 3" in entry["message"]
    assert NUMBERS[1] not in entry["message"]


def test_unterminated_quote_rejects_the_file_naming_the_line(conn, inbox, month_dir):
    path = month_dir / EMIS_PATIENTS
    write_extract(path, PATIENTS, "emis", _three_good_patients())
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace(",Female,", ',"Female,', 1)
    path.write_text("\n".join(lines) + "\n")

    with pytest.raises(MonthRejected) as caught:
        _load(conn, PATIENTS, inbox)

    assert "double quote and no closing one on line 4" in str(caught.value)


def test_empty_file_is_rejected_as_empty(conn, inbox, month_dir):
    (month_dir / EMIS_PATIENTS).write_bytes(b"")

    with pytest.raises(MonthRejected) as caught:
        _load(conn, PATIENTS, inbox)

    assert f"{EMIS_PATIENTS}: is empty" in str(caught.value)
    assert [e["status"] for e in log_rows(conn, PATIENTS)] == ["rejected"]


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("patients.csv", "NHS Number\n9434765919\n")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("table", "file_name", "content", "expected"),
    [
        (PATIENTS, EMIS_PATIENTS, _zip_bytes(), "is not a CSV file: it is a zip archive"),
        (
            PATIENTS,
            EMIS_PATIENTS,
            random.Random(7).randbytes(4096),
            "is not a CSV text file",
        ),
        (EPD, "epd_202609.csv", random.Random(8).randbytes(4096), "is not a CSV text file"),
    ],
    ids=["zip renamed .csv", "random bytes", "random bytes, latin-1 allowed"],
)
def test_a_file_that_is_not_csv_at_all_is_rejected(
    conn, inbox, month_dir, table, file_name, content, expected
):
    (month_dir / file_name).write_bytes(content)

    with pytest.raises(MonthRejected) as caught:
        _load(conn, table, inbox)

    assert f"{file_name}: {expected}" in str(caught.value)
    assert raw_rows(conn, table) == []
    assert [e["status"] for e in log_rows(conn, table)] == ["rejected"]


def test_file_named_for_another_month_is_rejected(conn, inbox, month_dir):
    write_extract(
        month_dir / "EMIS_A12345_patients_202608.csv", PATIENTS, "emis", _three_good_patients()
    )

    with pytest.raises(MonthRejected) as caught:
        _load(conn, PATIENTS, inbox)

    assert "is named for 2026-08 but is in the 2026-09 inbox folder" in str(caught.value)
    assert raw_rows(conn, PATIENTS) == []


def test_blank_lines_do_not_shift_row_numbers(conn, inbox, month_dir):
    path = month_dir / EMIS_PATIENTS
    rows = _three_good_patients()
    rows[2]["sex"] = "Robot"
    write_extract(path, PATIENTS, "emis", rows)
    lines = path.read_text().splitlines()
    # header, row, blank, blank, row, "all commas", row (bad)
    lines[2:2] = ["", ""]
    lines[5:5] = ["," * (len(headers(PATIENTS, "emis")) - 1)]
    path.write_text("\n".join(lines) + "\n")

    result = _load(conn, PATIENTS, inbox)

    assert [r["_source_row"] for r in raw_rows(conn, PATIENTS)] == [2, 5]
    [bad] = quarantine_rows(conn, PATIENTS)
    assert bad["row_number"] == 7
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    assert_log_adds_up(conn)


def test_xlsx_local_log_row_numbers_match_excel(conn, inbox, month_dir):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([h for _, h in headers(SIGNIFICANT_EVENTS, "local")])

    def sea(reference, theme="Prescribing error", summary="Wrong strength issued"):
        return [
            reference,
            "A12345",
            dt.date(2026, 8, 3),
            dt.datetime(2026, 8, 4, 9, 30),
            theme,
            summary,
            None,
            "Yes",
        ]

    sheet.append(sea("SEA-1"))  # row 2
    sheet.append(sea("SEA-2"))  # row 3
    sheet.append([])  # row 4: blank
    sheet.append(sea("SEA-3", theme="Gossip"))  # row 5: bad
    sheet.append(sea("SEA-4", summary="Patient 943 476 5919 given double dose"))  # row 6
    sheet.cell(row=6, column=3).value = "2026-08-05"  # a date typed as text also reads
    workbook.save(month_dir / "significant_events_U12345_202609.xlsx")

    result = _load(conn, SIGNIFICANT_EVENTS, inbox)

    rows = raw_rows(conn, SIGNIFICANT_EVENTS)
    assert [r["_source_row"] for r in rows] == [2, 3, 6]
    assert rows[0]["event_date"] == dt.date(2026, 8, 3)
    assert rows[0]["raised_date"] == dt.date(2026, 8, 4)
    assert rows[2]["event_date"] == dt.date(2026, 8, 5)
    assert {r["pcn_code"] for r in rows} == {"U12345"}
    [bad] = quarantine_rows(conn, SIGNIFICANT_EVENTS)
    assert bad["row_number"] == 5
    assert "Theme 'Gossip' is not one of" in bad["reason"]
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (4, 3, 1)
    assert_log_adds_up(conn)


def test_a_damaged_xlsx_is_rejected(conn, inbox, month_dir):
    (month_dir / "significant_events_U12345_202609.xlsx").write_bytes(b"not really a workbook")

    with pytest.raises(MonthRejected) as caught:
        _load(conn, SIGNIFICANT_EVENTS, inbox)

    assert "cannot be opened as an Excel workbook" in str(caught.value)


# --------------------------------------------------------------------------------------------
# Free text
# --------------------------------------------------------------------------------------------


def test_nhs_number_like_digit_runs_are_removed_from_free_text(conn, inbox, month_dir):
    summary = "Pt 943 476 5919 (also 943-476-5919, 9434765919) given 2 x 500mg on 12/08/2026"
    rows = [
        {
            "sea_reference": "SEA-1",
            "practice_code": "A12345",
            "event_date": "2026-08-03",
            "raised_date": "2026-08-04",
            "theme": "Prescribing error",
            "summary": summary,
        },
        {
            "sea_reference": "SEA-2",
            "practice_code": "A12345",
            "event_date": "2026-08-03",
            "raised_date": "2026-08-04",
            "theme": "Gossip",
            "summary": summary,
        },
    ]
    write_extract(
        month_dir / "significant_events_U12345_202609.csv", SIGNIFICANT_EVENTS, "local", rows
    )

    _load(conn, SIGNIFICANT_EVENTS, inbox)

    [loaded] = raw_rows(conn, SIGNIFICANT_EVENTS)
    assert loaded["summary"] == (
        "Pt [number removed] (also [number removed], [number removed]) "
        "given 2 x 500mg on 12/08/2026"
    )
    [bad] = quarantine_rows(conn, SIGNIFICANT_EVENTS)
    assert "[number removed]" in json.loads(bad["record_json"])["Summary"]
    for value in _every_text_value(conn):
        assert not re.search(r"\d{3}[ -]?\d{3}[ -]?\d{4}", value), value


# --------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------


def test_loading_nhs_numbers_without_a_key_raises_missing_key_error(conn, inbox, month_dir):
    write_extract(month_dir / EMIS_PATIENTS, PATIENTS, "emis", _three_good_patients())

    with pytest.raises(MissingKeyError) as caught:
        load_month(conn, PATIENTS, MONTH, inbox)  # no key given, none in the environment

    assert "PCNMO_PSEUDONYMISATION_KEY" in str(caught.value)
    assert "pcnmo init-key" in str(caught.value)
    assert raw_rows(conn, PATIENTS) == []


def test_the_key_from_the_environment_is_used_when_none_is_passed(
    conn, inbox, month_dir, monkeypatch
):
    write_extract(month_dir / EMIS_PATIENTS, PATIENTS, "emis", _three_good_patients())
    _load(conn, PATIENTS, inbox)
    with_argument = [r["patient_id"] for r in raw_rows(conn, PATIENTS)]

    monkeypatch.setenv("PCNMO_PSEUDONYMISATION_KEY", KEY.decode())
    load_month(conn, PATIENTS, MONTH, inbox)

    assert [r["patient_id"] for r in raw_rows(conn, PATIENTS)] == with_argument


# --------------------------------------------------------------------------------------------
# Idempotency
# --------------------------------------------------------------------------------------------


def _state(conn) -> tuple[list, list, list]:
    return raw_rows(conn, PATIENTS), log_rows(conn, PATIENTS), quarantine_rows(conn, PATIENTS)


def test_loading_the_same_month_twice_changes_nothing(conn, inbox, month_dir):
    rows = _three_good_patients()
    rows.append(emis_patient(INVALID_NHS))
    write_extract(month_dir / EMIS_PATIENTS, PATIENTS, "emis", rows)
    write_extract(month_dir / S1_PATIENTS, PATIENTS, "systmone", [systmone_patient(NUMBERS[7])])

    _load(conn, PATIENTS, inbox)
    first = _state(conn)
    _load(conn, PATIENTS, inbox)

    assert _state(conn) == first
    assert (len(first[0]), len(first[1]), len(first[2])) == (4, 2, 1)


def test_loading_another_month_leaves_the_first_month_alone(conn, inbox, month_dir):
    write_extract(month_dir / EMIS_PATIENTS, PATIENTS, "emis", _three_good_patients())
    _load(conn, PATIENTS, inbox)
    first = _state(conn)

    october = [emis_patient(n) for n in NUMBERS[:2]] + [emis_patient(INVALID_NHS)]
    write_extract(inbox / "2026-10" / "EMIS_A12345_patients_202610.csv", PATIENTS, "emis", october)
    _load(conn, PATIENTS, inbox, month="2026-10")

    raw, log, quarantine = _state(conn)
    september = month_date()
    assert [r for r in raw if r["_month"] == september] == first[0]
    assert [e for e in log if e["month"] == september] == first[1]
    assert [q for q in quarantine if q["month"] == september] == first[2] == []
    assert len([r for r in raw if r["_month"] == dt.date(2026, 10, 1)]) == 2
    # the same patient links across months
    assert raw[0]["patient_id"] in {r["patient_id"] for r in raw if r["_month"] != september}
    assert_log_adds_up(conn)


def test_a_corrected_file_replaces_the_month_and_clears_its_quarantine_file(
    conn, inbox, month_dir, tmp_path
):
    quarantine_dir = tmp_path / "quarantine"
    rows = [*_three_good_patients(), emis_patient(INVALID_NHS)]
    write_extract(month_dir / EMIS_PATIENTS, PATIENTS, "emis", rows)
    _load(conn, PATIENTS, inbox, quarantine_dir=quarantine_dir)
    written = quarantine_dir / MONTH / f"{EMIS_PATIENTS}.quarantine.csv"
    text = written.read_text()
    assert "*******918" in text and INVALID_NHS not in text

    write_extract(month_dir / EMIS_PATIENTS, PATIENTS, "emis", _three_good_patients())
    _load(conn, PATIENTS, inbox, quarantine_dir=quarantine_dir)

    assert not written.exists()
    assert quarantine_rows(conn, PATIENTS) == []
    assert len(raw_rows(conn, PATIENTS)) == 3


# --------------------------------------------------------------------------------------------
# Dialects and headers
# --------------------------------------------------------------------------------------------


def test_emis_and_systmone_files_land_in_one_table_with_their_own_date_formats(
    conn, inbox, month_dir
):
    write_extract(
        month_dir / EMIS_PATIENTS,
        PATIENTS,
        "emis",
        [emis_patient(NUMBERS[0], date_of_birth="05/11/1937", date_of_death="09/09/2026")],
    )
    write_extract(
        month_dir / S1_PATIENTS,
        PATIENTS,
        "systmone",
        [systmone_patient(NUMBERS[1], date_of_birth="05-Nov-1937", sex="M")],
    )

    _load(conn, PATIENTS, inbox)

    rows = {r["_dialect"]: r for r in raw_rows(conn, PATIENTS)}
    assert rows["emis"]["date_of_birth"] == rows["systmone"]["date_of_birth"]
    assert rows["emis"]["date_of_birth"] == dt.date(1937, 11, 5)
    assert rows["emis"]["date_of_death"] == dt.date(2026, 9, 9)
    assert (rows["emis"]["practice_code"], rows["systmone"]["practice_code"]) == (
        "A12345",
        "B23456",
    )
    assert rows["systmone"]["sex"] == "M"  # stored as delivered
    assert [e["dialect"] for e in log_rows(conn, PATIENTS)] == ["emis", "systmone"]


def test_a_date_in_the_other_systems_spelling_is_read(conn, inbox, month_dir):
    write_extract(
        month_dir / S1_PATIENTS,
        PATIENTS,
        "systmone",
        [systmone_patient(NUMBERS[1], date_of_birth="05/11/1937")],
    )

    _load(conn, PATIENTS, inbox)

    assert quarantine_rows(conn, PATIENTS) == []
    [row] = raw_rows(conn, PATIENTS)
    assert row["date_of_birth"] == dt.date(1937, 11, 5)


def test_headers_match_ignoring_case_and_spacing(conn, inbox, month_dir):
    messy = {
        name: "  " + header.upper().replace(" ", "   ") + " "
        for name, header in headers(PATIENTS, "emis")
    }
    write_extract(
        month_dir / EMIS_PATIENTS,
        PATIENTS,
        "emis",
        _three_good_patients(),
        header_override=messy,
    )

    result = _load(conn, PATIENTS, inbox)

    assert (result.rows_loaded, result.rows_quarantined) == (3, 0)


def test_epcn_headers_with_embedded_newlines_are_matched(conn, inbox, month_dir):
    wrapped = {
        "relationship_start_date": "Practice to PCN\nRelationship Start Date",
        "relationship_end_date": "Practice to PCN\r\nRelationship  End Date",
        "practice_sub_icb_location_code": "Practice Parent\nSub ICB Loc Code",
    }
    members = [
        epcn_member("L84018", "11M", "U41523"),
        epcn_member("L84073", "11M", "U02669", start="2019-10-01"),
        epcn_member("B85010", "X2C4Y", "U38221", start="bad"),
    ]
    write_extract(
        month_dir / "epcn_core_partner_details.csv",
        EPCN_MEMBERS,
        "csv",
        members,
        header_override=wrapped,
    )

    _load(conn, EPCN_MEMBERS, inbox)

    rows = raw_rows(conn, EPCN_MEMBERS)
    assert [r["relationship_start_date"] for r in rows] == [dt.date(2019, 10, 1)] * 2
    [bad] = quarantine_rows(conn, EPCN_MEMBERS)
    # the header record spans two lines, but it is still row 1: the bad row is row 4
    assert bad["row_number"] == 4
    assert "Practice to PCN Relationship Start Date 'bad' is not a date" in bad["reason"]


def test_both_epcn_tables_load_from_one_epcn_workbook(conn, inbox, month_dir):
    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "Notes"
    notes.append(["This workbook lists PCNs"])
    pcns = workbook.create_sheet("PCNDetails")
    pcns.append([h for _, h in headers(EPCN_PCNS, "xlsx")])
    pcns.append(
        [
            "U41523",
            "SOUTH COTSWOLDS PCN",
            "11M",
            "NHS GLOUCESTERSHIRE ICB - 11M",
            "20191001",
            None,
            "GL7 1EH",
        ]
    )
    members = workbook.create_sheet("PCN Core Partner Details")
    member_headers = [h for _, h in headers(EPCN_MEMBERS, "xlsx")]
    member_headers[member_headers.index("Practice to PCN Relationship Start Date")] = (
        "Practice to PCN\nRelationship Start Date"
    )
    members.append(member_headers)
    members.append([*list(epcn_member("L84018", "11M", "U41523").values()), None])
    workbook.save(month_dir / "ePCN.xlsx")

    _load(conn, EPCN_PCNS, inbox)
    _load(conn, EPCN_MEMBERS, inbox)

    assert [r["pcn_code"] for r in raw_rows(conn, EPCN_PCNS)] == ["U41523"]
    [member] = raw_rows(conn, EPCN_MEMBERS)
    assert (member["practice_code"], member["_source_row"]) == ("L84018", 2)
    assert member["relationship_start_date"] == dt.date(2019, 10, 1)


# --------------------------------------------------------------------------------------------
# National files: scope
# --------------------------------------------------------------------------------------------


def test_epd_rows_outside_the_sub_icb_scope_are_counted_out_of_scope(conn, inbox, month_dir):
    write_two_sub_icb_membership(month_dir)
    _load(conn, EPCN_MEMBERS, inbox)
    epd = [
        epd_row("L84018", "0407010H0AAAMAM", 3, "4.50"),
        epd_row("B85010", "0407010H0AAAMAM", 5, "7.50"),  # other sub-ICB
        epd_row("l84073", "0407010H0AAAMAM", 2, "3.00"),  # lower case: still in scope
        epd_row("Y99999", "0407010H0AAAMAM", 1, "1.50"),  # in no PCN
        epd_row("L84018", "0407010H0AAAMAM", 4, "x"),  # in scope, bad cost
        epd_row("B85010", "0407010H0AAAMAM", 4, "x"),  # out of scope: never checked
    ]
    write_extract(month_dir / "epd_202609.csv", EPD, "epd", epd)

    result = _load(conn, EPD, inbox, sub_icb_scope=["11M"])

    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (6, 2, 1)
    assert result.rows_out_of_scope == 3
    assert sorted(r["practice_code"] for r in raw_rows(conn, EPD)) == ["L84018", "L84073"]
    assert [q["row_number"] for q in quarantine_rows(conn, EPD)] == [6]
    [entry] = log_rows(conn, EPD)
    assert entry["rows_out_of_scope"] == 3
    assert_log_adds_up(conn)

    # Without a sub-ICB, every practice in the ePCN membership is in scope.
    result = _load(conn, EPD, inbox)
    assert (result.rows_loaded, result.rows_out_of_scope) == (3, 1)
    assert_log_adds_up(conn)


def test_epd_loads_every_practice_before_any_epcn_membership_is_loaded(conn, inbox, month_dir):
    epd = [epd_row(p, "0407010H0AAAMAM", 1, "1.00") for p in ("L84018", "B85010", "Y99999")]
    write_extract(month_dir / "epd_202609.csv", EPD, "epd", epd)

    result = _load(conn, EPD, inbox, sub_icb_scope=["11M"])

    assert (result.rows_loaded, result.rows_out_of_scope) == (3, 0)


def test_epd_year_month_must_be_the_inbox_month(conn, inbox, month_dir):
    epd = [
        epd_row("L84018", "0407010H0AAAMAM", 1, "1.00"),
        epd_row("L84018", "0407010H0AAAMAM", 1, "1.00", year_month="202608"),
    ]
    write_extract(month_dir / "epd_202609.csv", EPD, "epd", epd)

    _load(conn, EPD, inbox)

    [bad] = quarantine_rows(conn, EPD)
    assert bad["row_number"] == 3
    assert "YEAR_MONTH '202608' is not the inbox month 2026-09" in bad["reason"]
    assert query(conn, "select year_month from raw_nhsbsa.epd") == [
        {"year_month": dt.date(2026, 9, 1)}
    ]


def _epd_scope(month_dir) -> None:
    write_extract(
        month_dir / "epcn_core_partner_details.csv",
        EPCN_MEMBERS,
        "csv",
        [epcn_member("L84018", "11M", "U41523"), epcn_member("B85010", "X2C4Y", "U38221")],
    )


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("last_newline", [True, False])
@pytest.mark.parametrize("empty_line", [True, False])
def test_epd_counts_and_row_numbers_survive_empty_lines_and_comma_rows(
    conn, inbox, month_dir, newline, last_newline, empty_line
):
    """National files are counted from their line breaks when nothing can hide one; empty
    lines and rows of nothing but commas must still be told apart from rows out of scope."""
    _epd_scope(month_dir)
    _load(conn, EPCN_MEMBERS, inbox)
    path = write_extract(
        month_dir / "epd_202609.csv",
        EPD,
        "epd",
        [
            epd_row("L84018", "0407010H0AAAMAM", 3, "4.50"),  # row 2
            epd_row("B85010", "0407010H0AAAMAM", 5, "7.50"),  # row 3: out of scope
            epd_row("L84018", "0407010H0AAAMAM", 4, "x"),  # row 6: bad cost
            epd_row("", "0407010H0AAAMAM", 4, "1.00"),  # row 8: no practice, out of scope
            epd_row("L84018", "0407010H0AAAMAM", 1, "1.50"),  # row 9
        ],
    )
    lines = path.read_text().splitlines()
    commas = "," * (len(headers(EPD, "epd")) - 1)
    # Row 4 empty (or, so that the lines can be counted as they are, nothing but commas too),
    # row 5 nothing but commas.
    lines[3:3] = ["" if empty_line else commas, commas]
    lines[6:6] = [commas]  # row 7
    path.write_bytes((newline.join(lines) + (newline if last_newline else "")).encode())

    result = _load(conn, EPD, inbox, sub_icb_scope=["11M"])

    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (5, 2, 1)
    assert result.rows_out_of_scope == 2
    assert sorted(r["_source_row"] for r in raw_rows(conn, EPD)) == [2, 9]
    assert [q["row_number"] for q in quarantine_rows(conn, EPD)] == [6]
    assert_log_adds_up(conn)


def test_epd_with_a_line_break_inside_a_quoted_value_counts_records_not_lines(
    conn, inbox, month_dir
):
    _epd_scope(month_dir)
    _load(conn, EPCN_MEMBERS, inbox)
    path = write_extract(
        month_dir / "epd_202609.csv",
        EPD,
        "epd",
        [
            epd_row("L84018", "0407010H0AAAMAM", 3, "4.50", practice_name="TWO\nLINES"),
            epd_row("B85010", "0407010H0AAAMAM", 5, "7.50", practice_name="THREE\n\nLINES"),
            epd_row("L84018", "0407010H0AAAMAM", 4, "x"),
            epd_row("L84018", "0407010H0AAAMAM", 1, "1.50"),
        ],
    )
    text = path.read_text()
    path.write_text(text.replace("\r\n", "\n"))

    result = _load(conn, EPD, inbox, sub_icb_scope=["11M"])

    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (4, 2, 1)
    assert result.rows_out_of_scope == 1
    assert sorted(r["_source_row"] for r in raw_rows(conn, EPD)) == [2, 5]
    assert [q["row_number"] for q in quarantine_rows(conn, EPD)] == [4]
    assert_log_adds_up(conn)


def test_files_no_table_reads_are_listed_and_a_misnamed_one_rejects_its_table(
    conn, inbox, month_dir
):
    from ingestion.load import record_unclaimed_files

    (month_dir / "notes for 943 476 5919.docx").write_text("x")
    write_extract(month_dir / "EMIS_A12345_patients_202609 - Copy.csv", PATIENTS, "emis", [])

    assert record_unclaimed_files(conn, MONTH, inbox) == ["notes for [number removed].docx"]
    assert record_unclaimed_files(conn, MONTH, inbox) == ["notes for [number removed].docx"]
    logged = query(conn, "select file_name, status from pipeline.ingestion_log")
    assert logged == [{"file_name": "notes for [number removed].docx", "status": "unclaimed"}]
    with pytest.raises(
        MonthRejected, match=re.escape("rename it to 'EMIS_A12345_patients_202609.csv'")
    ):
        _load(conn, PATIENTS, inbox)
