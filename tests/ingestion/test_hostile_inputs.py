"""The hostile-input suite: files a real PCN data team produces by mistake, one class each.

Every class runs the same way: ePCN membership and a good delivery of the table are loaded
first (the last good state), then the month folder is replaced by the hostile files, each
with valid NHS numbers planted where they do not belong, and the month is loaded again. Each
class asserts its outcome as a user meets it:

- rejected: the load stops with a message naming the file(s) and the fix, and the table-month
  keeps its last good rows;
- quarantined: the named rows land in the quarantine with their columns and reason;
- accepted: the rows load, correctly (an NHS number typed into text is removed).

and, for every class: rows in = loaded + quarantined (+ out of scope) for every file; nothing
else in the warehouse changed; and no planted NHS number appears anywhere - the warehouse
(every value of every table), the quarantine CSVs, the error, the console or the log.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingestion.load import MonthRejected, load_month
from pcnmo.contracts import (
    CLINICAL_EVENTS,
    DISCHARGES,
    EPCN_MEMBERS,
    EPCN_PCNS,
    EPD,
    EPRACCUR,
    LIST_SIZES,
    MEDICATION_ISSUES,
    PATIENTS,
    PINCER_ACTIONS,
    SAFETY_ALERTS,
    SAFETY_CULTURE_AUDITS,
    SAFETY_INCIDENTS,
    SIGNIFICANT_EVENTS,
    SUPERVISION_LOG,
    SWITCH_PROGRAMMES,
    TITRATION_CLINICS,
    WORKFORCE,
    TableContract,
)
from tests.ingestion.conftest import KEY, MONTH, assert_log_adds_up, query
from tests.ingestion.hostile import (
    EMIS_PRACTICE,
    OTHER_PCN,
    OTHER_PCN_PRACTICE,
    PCN,
    S1_PRACTICE,
    folder_texts,
    header_cells,
    leaked,
    plant,
    snapshot,
    valid_rows,
    warehouse_texts,
    write_csv,
    write_xlsx,
)

YYYYMM = MONTH.replace("-", "")


def emis(entity: str, practice: str = EMIS_PRACTICE, yyyymm: str = YYYYMM) -> str:
    return f"EMIS_{practice}_{entity}_{yyyymm}.csv"


def s1(entity: str, practice: str = S1_PRACTICE) -> str:
    return f"S1_{practice}_{entity}_{YYYYMM}.csv"


def log_name(table: TableContract, suffix: str = "csv", pcn: str = PCN) -> str:
    return f"{table.name}_{pcn}_{YYYYMM}.{suffix}"


# Where each table's good (baseline) delivery goes, and in which dialect.
BASELINE: dict[str, tuple[str, str]] = {
    "patients": (emis("patients"), "emis"),
    "events": (emis("events"), "emis"),
    "medication_issues": (emis("medication_issues"), "emis"),
    "discharges": (emis("discharges"), "emis"),
    "epd": (f"EPD_{YYYYMM}.csv", "epd"),
    "gp_list_sizes": ("gp-reg-pat-prac-quin-age.csv", "quinary"),
    "epcn_pcns": ("epcn_pcn_details.csv", "csv"),
    "epcn_members": ("epcn_core_partner_details.csv", "csv"),
    "epraccur": ("epraccur.csv", "epraccur"),
}


# ---------------------------------------------------------------------------------------------
# Outcomes
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rejected:
    files: tuple[str, ...]  # every file the message must name
    says: tuple[str, ...]  # what the message must say (what is wrong, how to fix it)


@dataclass(frozen=True)
class Quarantined:
    file: str
    rows: dict[int, tuple[str, str]]  # row number -> (failing columns, part of the reason)
    loaded: int


@dataclass(frozen=True)
class Accepted:
    file: str
    loaded: int
    # (column, value) the first loaded row must hold
    holds: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Case:
    id: str
    table: TableContract
    write: Callable[[Path, list[str]], object]  # (month folder, planted numbers)
    outcome: Rejected | Quarantined | Accepted
    planted: list[str] = field(default_factory=list)


CASES: list[Case] = []


def case(table: TableContract, outcome: Rejected | Quarantined | Accepted):
    """Register the decorated writer as a hostile class, with its own planted numbers."""

    def register(write: Callable[[Path, list[str]], object]) -> Callable:
        number = len(CASES) + 1
        CASES.append(Case(write.__name__, table, write, outcome, plant(number)))
        return write

    return register


def _rows(table, dialect, planted, count=3):
    """Valid rows whose NHS numbers (where the table has them) are the planted ones."""
    return valid_rows(table, dialect, count, planted)


# ---------------------------------------------------------------------------------------------
# Whole files wrong: rejected with the file named and the fix
# ---------------------------------------------------------------------------------------------


@case(
    PATIENTS,
    Rejected(
        (emis("patients"),),
        ("looks like a data row: is the header row missing?", "docs/extracts.md"),
    ),
)
def patients_without_their_header_row(folder, planted):
    write_csv(
        folder / emis("patients"),
        PATIENTS,
        "emis",
        _rows(PATIENTS, "emis", planted),
        with_header=False,
    )


@case(PATIENTS, Rejected((s1("patients"),), ("is missing required column(s) 'Gender'",)))
def systmone_patients_missing_a_column(folder, planted):
    header = [h if h != "Gender" else "Sex at birth" for _, h in header_cells(PATIENTS, "systmone")]
    rows = _rows(PATIENTS, "systmone", planted)
    write_csv(folder / s1("patients"), PATIENTS, "systmone", rows, header=header)


@case(
    CLINICAL_EVENTS,
    Rejected(
        (f"EMIS_{EMIS_PRACTICE}_events_{YYYYMM} (1).csv",),
        (f"rename it to '{emis('events')}'",),
    ),
)
def events_saved_as_a_browser_copy(folder, planted):
    path = folder / f"EMIS_{EMIS_PRACTICE}_events_{YYYYMM} (1).csv"
    write_csv(path, CLINICAL_EVENTS, "emis", _rows(CLINICAL_EVENTS, "emis", planted))


@case(
    MEDICATION_ISSUES,
    Rejected(
        (f"EMIS {EMIS_PRACTICE} medication_issues {YYYYMM}.csv",),
        (f"rename it to '{emis('medication_issues')}'",),
    ),
)
def medication_issues_named_with_spaces(folder, planted):
    path = folder / f"EMIS {EMIS_PRACTICE} medication_issues {YYYYMM}.csv"
    write_csv(path, MEDICATION_ISSUES, "emis", _rows(MEDICATION_ISSUES, "emis", planted))


@case(
    DISCHARGES,
    Rejected((emis("discharges", "A12354"),), ("practice A12354", "neither the ePCN")),
)
def discharges_with_a_typo_in_the_practice_code(folder, planted):
    path = folder / emis("discharges", "A12354")
    write_csv(path, DISCHARGES, "emis", _rows(DISCHARGES, "emis", planted))


@case(
    SAFETY_ALERTS,
    Rejected(
        (log_name(SAFETY_ALERTS),),
        (f"not in PCN {PCN}", f"row 3: {OTHER_PCN_PRACTICE}", "right PCN's log"),
    ),
)
def alert_log_naming_another_pcns_practice(folder, planted):
    rows = _rows(SAFETY_ALERTS, "local", planted)
    rows[1]["practice_code"] = OTHER_PCN_PRACTICE
    rows[2]["action_taken"] = f"Searched, {planted[0]} reviewed"
    write_csv(folder / log_name(SAFETY_ALERTS), SAFETY_ALERTS, "local", rows)


@case(PINCER_ACTIONS, Rejected((log_name(PINCER_ACTIONS, pcn="U54321"),), ("PCN U54321",)))
def pincer_log_for_a_pcn_nobody_knows(folder, planted):
    path = folder / log_name(PINCER_ACTIONS, pcn="U54321")
    write_csv(path, PINCER_ACTIONS, "local", _rows(PINCER_ACTIONS, "local", planted))


@case(
    PATIENTS,
    Rejected(
        (emis("patients"), f"S1_{EMIS_PRACTICE}_patients_{YYYYMM}.csv"),
        (f"practice {EMIS_PRACTICE}", "would count the month twice"),
    ),
)
def one_practice_delivered_by_both_systems(folder, planted):
    write_csv(folder / emis("patients"), PATIENTS, "emis", _rows(PATIENTS, "emis", planted[:2], 2))
    rows = _rows(PATIENTS, "systmone", planted[1:], 2)
    write_csv(folder / f"S1_{EMIS_PRACTICE}_patients_{YYYYMM}.csv", PATIENTS, "systmone", rows)


@case(
    CLINICAL_EVENTS,
    Rejected(
        (emis("events"), f"emis_{EMIS_PRACTICE.lower()}_events_{YYYYMM}.CSV"),
        ("would count the month twice",),
    ),
)
def one_practice_delivered_twice_in_two_spellings(folder, planted):
    rows = _rows(CLINICAL_EVENTS, "emis", planted)
    write_csv(folder / emis("events"), CLINICAL_EVENTS, "emis", rows)
    lower = f"emis_{EMIS_PRACTICE.lower()}_events_{YYYYMM}.CSV"
    write_csv(folder / lower, CLINICAL_EVENTS, "emis", rows)


@case(
    WORKFORCE,
    Rejected(
        (log_name(WORKFORCE), log_name(WORKFORCE, "xlsx")), (f"pcn {PCN}", "remove the others")
    ),
)
def workforce_log_as_csv_and_workbook(folder, planted):
    rows = _rows(WORKFORCE, "local", planted)
    rows[0]["staff_id"] = planted[0]
    write_csv(folder / log_name(WORKFORCE), WORKFORCE, "local", rows)
    write_xlsx(folder / log_name(WORKFORCE, "xlsx"), WORKFORCE, "local", rows)


@case(
    EPD,
    Rejected((f"EPD_{YYYYMM}.csv", f"EPD_SNOMED_{YYYYMM}.csv"), ("would count the month twice",)),
)
def two_epd_files_for_one_month(folder, planted):
    rows = _rows(EPD, "epd", planted)
    write_csv(folder / f"EPD_{YYYYMM}.csv", EPD, "epd", rows)
    write_csv(folder / f"EPD_SNOMED_{YYYYMM}.csv", EPD, "epd_snomed", rows)


def _in_month(rows, column, date_format, month):
    for day, row in enumerate(rows, start=1):
        row[column] = month.replace(day=day).strftime(date_format)
    return rows


@case(CLINICAL_EVENTS, Rejected((emis("events"),), ("this looks like 2026-08's file",)))
def last_months_events_sent_under_this_months_name(folder, planted):
    rows = _rows(CLINICAL_EVENTS, "emis", planted * 2, 6)
    rows = _in_month(rows, "event_date", "%d/%m/%Y", dt.date(2026, 8, 1))
    write_csv(folder / emis("events"), CLINICAL_EVENTS, "emis", rows)


@case(EPD, Rejected((f"EPD_{YYYYMM}.csv",), ("this looks like 2026-08's file",)))
def last_months_epd_under_this_months_name(folder, planted):
    rows = _rows(EPD, "epd", planted, 6)
    for row in rows:
        row["year_month"] = "202608"
    rows[0]["practice_name"] = f"SURGERY {planted[0]}"
    write_csv(folder / f"EPD_{YYYYMM}.csv", EPD, "epd", rows)


@case(LIST_SIZES, Rejected(("gp-reg-pat-prac-quin-age.csv",), ("this looks like 2026-08's",)))
def last_months_list_sizes(folder, planted):
    rows = _rows(LIST_SIZES, "quinary", planted, 6)
    for row in rows:
        row["extract_date"] = "01AUG2026"
    write_csv(folder / "gp-reg-pat-prac-quin-age.csv", LIST_SIZES, "quinary", rows)


@case(CLINICAL_EVENTS, Rejected((emis("events"),), ("month first (US order)", "rows 2, 3")))
def events_with_dates_month_first(folder, planted):
    rows = _rows(CLINICAL_EVENTS, "emis", planted)
    for row, day in zip(rows, (14, 21, 3), strict=True):
        row["event_date"] = f"09/{day:02d}/2026"
    write_csv(folder / emis("events"), CLINICAL_EVENTS, "emis", rows)


@case(SUPERVISION_LOG, Rejected((log_name(SUPERVISION_LOG),), ("month first (US order)",)))
def supervision_log_with_dates_month_first(folder, planted):
    rows = _rows(SUPERVISION_LOG, "local", planted)
    for row, day in zip(rows, (13, 5, 28), strict=True):
        row["supervision_date"] = f"09/{day:02d}/2026"
    write_csv(folder / log_name(SUPERVISION_LOG), SUPERVISION_LOG, "local", rows)


@case(
    CLINICAL_EVENTS,
    Rejected((emis("events"),), ("'Effective Date' in columns 4, 9", "ambiguous")),
)
def events_with_a_second_date_column(folder, planted):
    header = [h for _, h in header_cells(CLINICAL_EVENTS, "emis")] + ["Effective Date"]
    path = folder / emis("events")
    write_csv(path, CLINICAL_EVENTS, "emis", _rows(CLINICAL_EVENTS, "emis", planted), header=header)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0]] + [f"{line},01/01/2020" for line in lines[1:]]) + "\n")


@case(
    MEDICATION_ISSUES,
    Rejected((emis("medication_issues", yyyymm="202608"),), ("is named for 2026-08", "Move it")),
)
def medication_issues_named_for_last_month(folder, planted):
    path = folder / emis("medication_issues", yyyymm="202608")
    write_csv(path, MEDICATION_ISSUES, "emis", _rows(MEDICATION_ISSUES, "emis", planted))


@case(
    SIGNIFICANT_EVENTS,
    Rejected((log_name(SIGNIFICANT_EVENTS, "xlsx"),), ("is the header row missing?",)),
)
def sea_workbook_without_its_header_row(folder, planted):
    rows = _rows(SIGNIFICANT_EVENTS, "local", planted)
    rows[0]["summary"] = f"Patient {planted[0]} given the wrong strength"
    path = folder / log_name(SIGNIFICANT_EVENTS, "xlsx")
    write_xlsx(path, SIGNIFICANT_EVENTS, "local", rows, with_header=False)


@case(
    TITRATION_CLINICS,
    Rejected((log_name(TITRATION_CLINICS, "xlsx"),), ("cannot be opened as an Excel workbook",)),
)
def titration_workbook_that_is_damaged(folder, planted):
    content = b"PK\x03\x04" + random.Random(11).randbytes(2048) + planted[0].encode()
    (folder / log_name(TITRATION_CLINICS, "xlsx")).write_bytes(content)


@case(DISCHARGES, Rejected((emis("discharges"),), ("is not a CSV file", "CSV UTF-8")))
def discharges_workbook_saved_with_a_csv_name(folder, planted):
    path = folder / "book.xlsx"
    write_xlsx(path, DISCHARGES, "emis", _rows(DISCHARGES, "emis", planted))
    path.rename(folder / emis("discharges"))


@case(PATIENTS, Rejected((s1("patients"),), ("is empty",)))
def systmone_patients_file_that_is_empty(folder, planted):
    (folder / s1("patients")).write_bytes(b"")


@case(CLINICAL_EVENTS, Rejected((emis("events"),), ("is not UTF-8", "line 3")))
def events_saved_in_an_old_encoding(folder, planted):
    rows = _rows(CLINICAL_EVENTS, "emis", planted)
    rows[1]["term"] = f"Prescription charge \u00a3 paid {planted[1]}"
    write_csv(folder / emis("events"), CLINICAL_EVENTS, "emis", rows, encoding="latin-1")


@case(
    MEDICATION_ISSUES,
    Rejected((emis("medication_issues"),), ("more fields than the header", "line 3")),
)
def medication_issues_with_a_ragged_row(folder, planted):
    path = folder / emis("medication_issues")
    write_csv(path, MEDICATION_ISSUES, "emis", _rows(MEDICATION_ISSUES, "emis", planted))
    lines = path.read_text().splitlines()
    lines[2] += f",{planted[2]}"
    path.write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------
# Bad rows: quarantined with row, columns and reason
# ---------------------------------------------------------------------------------------------


@case(
    PATIENTS,
    Quarantined(
        emis("patients"),
        {3: ("NHS Number", "is not a valid NHS number (10 digits passing the modulus-11")},
        2,
    ),
)
def patient_with_a_mistyped_nhs_number(folder, planted):
    rows = _rows(PATIENTS, "emis", planted)
    rows[1]["nhs_number"] = planted[1][:9] + str((int(planted[1][9]) + 1) % 10)
    write_csv(folder / emis("patients"), PATIENTS, "emis", rows)


@case(
    EPD,
    Quarantined(
        f"EPD_{YYYYMM}.csv", {2: ("ACTUAL_COST", "holds what looks like an NHS number")}, 2
    ),
)
def an_nhs_number_in_a_cost(folder, planted):
    rows = _rows(EPD, "epd", planted)
    rows[0]["actual_cost"] = planted[0]
    write_csv(folder / f"EPD_{YYYYMM}.csv", EPD, "epd", rows)


@case(
    LIST_SIZES,
    Quarantined(
        "gp-reg-pat-prac-quin-age.csv",
        {3: ("NUMBER_OF_PATIENTS", "holds what looks like an NHS number, not a whole number")},
        2,
    ),
)
def an_nhs_number_in_a_count(folder, planted):
    rows = _rows(LIST_SIZES, "quinary", planted)
    rows[1]["number_of_patients"] = f"{planted[1]}.0"
    write_csv(folder / "gp-reg-pat-prac-quin-age.csv", LIST_SIZES, "quinary", rows)


@case(
    CLINICAL_EVENTS,
    Quarantined(
        emis("events"),
        {2: ("SNOMED Concept ID", "SNOMED Concept ID '[number removed]' is not a SNOMED CT")},
        2,
    ),
)
def an_nhs_number_in_a_snomed_column(folder, planted):
    rows = _rows(CLINICAL_EVENTS, "emis", planted)
    rows[0]["snomed_code"] = planted[2]
    write_csv(folder / emis("events"), CLINICAL_EVENTS, "emis", rows)


@case(
    MEDICATION_ISSUES,
    Quarantined(
        emis("medication_issues"),
        {
            2: ("dm+d Code", "'1239511000000000' is not a SNOMED CT / dm+d concept id"),
            3: ("dm+d Code", "valid check digit (an id Excel rounded"),
        },
        1,
    ),
)
def dmd_codes_excel_rounded(folder, planted):
    rows = _rows(MEDICATION_ISSUES, "emis", planted)
    rows[0]["dmd_code"] = "1239511000000000"
    rows[1]["dmd_code"] = "1.23951E+15"
    write_csv(folder / emis("medication_issues"), MEDICATION_ISSUES, "emis", rows)


@case(
    CLINICAL_EVENTS,
    Quarantined(
        s1("events"),
        {r: ("NHS number, SNOMED ID", "is not a valid NHS number") for r in (2, 3, 4)},
        0,
    ),
)
def events_with_nhs_number_and_snomed_headers_swapped(folder, planted):
    header = [
        {"NHS number": "SNOMED ID", "SNOMED ID": "NHS number"}.get(h, h)
        for _, h in header_cells(CLINICAL_EVENTS, "systmone")
    ]
    rows = _rows(CLINICAL_EVENTS, "systmone", planted)
    write_csv(folder / s1("events"), CLINICAL_EVENTS, "systmone", rows, header=header)


@case(
    PATIENTS,
    Quarantined(
        emis("patients"),
        {2: ("eFI Score", "'0,25' has a comma that is not a thousands separator")},
        2,
    ),
)
def frailty_score_with_a_decimal_comma(folder, planted):
    rows = _rows(PATIENTS, "emis", planted)
    rows[0]["efi_score"] = "0,25"
    write_csv(folder / emis("patients"), PATIENTS, "emis", rows)


@case(
    EPD,
    Quarantined(
        f"EPD_{YYYYMM}.csv", {2: ("QUANTITY", "'2,5' has a comma that is not a thousands")}, 2
    ),
)
def epd_quantity_with_a_decimal_comma(folder, planted):
    rows = _rows(EPD, "epd", planted)
    rows[0]["quantity"] = "2,5"
    rows[1]["nic"] = "1,234.50"  # a thousands separator: read as 1234.50
    write_csv(folder / f"EPD_{YYYYMM}.csv", EPD, "epd", rows)


@case(
    PATIENTS,
    Quarantined(
        s1("patients"),
        {4: ("Registration date, Date of birth", "'01-Jan-1940' is before Date of birth")},
        2,
    ),
)
def patient_registered_before_birth(folder, planted):
    rows = _rows(PATIENTS, "systmone", planted)
    rows[2]["registration_date"] = "01-Jan-1940"
    write_csv(folder / s1("patients"), PATIENTS, "systmone", rows)


@case(
    DISCHARGES,
    Quarantined(emis("discharges"), {3: ("Discharge Date", "'[number removed]' is not a date")}, 2),
)
def an_nhs_number_in_a_date_column(folder, planted):
    rows = _rows(DISCHARGES, "emis", planted)
    rows[1]["discharge_date"] = f"{planted[0][:3]} {planted[0][3:6]} {planted[0][6:]}"
    write_csv(folder / emis("discharges"), DISCHARGES, "emis", rows)


@case(
    PATIENTS,
    Quarantined(s1("patients"), {2: ("Gender", "Gender '[number removed]' is not one of")}, 2),
)
def an_nhs_number_in_a_code_column(folder, planted):
    rows = _rows(PATIENTS, "systmone", planted)
    rows[0]["sex"] = planted[1]
    write_csv(folder / s1("patients"), PATIENTS, "systmone", rows)


@case(
    MEDICATION_ISSUES,
    Quarantined(
        s1("medication_issues"),
        {3: ("BNF code", "BNF code holds what looks like an NHS number")},
        2,
    ),
)
def an_nhs_number_in_a_bnf_code(folder, planted):
    rows = _rows(MEDICATION_ISSUES, "systmone", planted)
    rows[1]["bnf_code"] = planted[0]
    write_csv(folder / s1("medication_issues"), MEDICATION_ISSUES, "systmone", rows)


@case(
    SAFETY_INCIDENTS,
    Quarantined(
        log_name(SAFETY_INCIDENTS, "xlsx"),
        {2: ("Practice Code", "Practice Code '[number removed]' is not an ODS practice code")},
        2,
    ),
)
def an_nhs_number_in_a_practice_code(folder, planted):
    rows = _rows(SAFETY_INCIDENTS, "local", planted)
    rows[0]["practice_code"] = planted[0]
    write_xlsx(folder / log_name(SAFETY_INCIDENTS, "xlsx"), SAFETY_INCIDENTS, "local", rows)


@case(
    PATIENTS,
    Quarantined(emis("patients"), {4: ("NHS Number", "duplicate of row 2 (same NHS Number)")}, 2),
)
def the_same_patient_twice(folder, planted):
    rows = _rows(PATIENTS, "emis", planted)
    rows[2]["nhs_number"] = f"{planted[0][:3]} {planted[0][3:6]} {planted[0][6:]}"
    write_csv(folder / emis("patients"), PATIENTS, "emis", rows)


# ---------------------------------------------------------------------------------------------
# Accepted, correctly: NHS numbers typed into text are removed, the rest loads as meant
# ---------------------------------------------------------------------------------------------


@case(
    MEDICATION_ISSUES,
    Accepted(emis("medication_issues"), 3, (("drug_name", "Amlodipine 5mg [number removed]"),)),
)
def an_nhs_number_in_a_drug_name(folder, planted):
    rows = _rows(MEDICATION_ISSUES, "emis", planted)
    rows[0]["drug_name"] = f"Amlodipine 5mg {planted[1]}"
    write_csv(folder / emis("medication_issues"), MEDICATION_ISSUES, "emis", rows)


@case(
    MEDICATION_ISSUES,
    Accepted(s1("medication_issues"), 3, (("stop_reason", "Stopped, see [number removed] notes"),)),
)
def an_nhs_number_with_non_breaking_spaces_in_a_stop_reason(folder, planted):
    rows = _rows(MEDICATION_ISSUES, "systmone", planted)
    number = "\u00a0".join((planted[2][:3], planted[2][3:6], planted[2][6:]))
    rows[0]["stop_reason"] = f"Stopped, see {number} notes"
    write_csv(folder / s1("medication_issues"), MEDICATION_ISSUES, "systmone", rows)


@case(CLINICAL_EVENTS, Accepted(s1("events"), 3, (("term", "Review for [number removed]"),)))
def an_nhs_number_with_en_dashes_in_a_term(folder, planted):
    rows = _rows(CLINICAL_EVENTS, "systmone", planted)
    rows[0]["term"] = f"Review for {planted[0][:3]}\u2013{planted[0][3:6]}\u2013{planted[0][6:]}"
    write_csv(folder / s1("events"), CLINICAL_EVENTS, "systmone", rows)


@case(
    SIGNIFICANT_EVENTS,
    Accepted(
        log_name(SIGNIFICANT_EVENTS, "xlsx"),
        3,
        (("summary", "Patient [number removed] given a double dose"),),
    ),
)
def an_nhs_number_in_an_sea_summary_workbook(folder, planted):
    rows = _rows(SIGNIFICANT_EVENTS, "local", planted)
    rows[0]["summary"] = f"Patient {planted[1]} given a double dose"
    write_xlsx(folder / log_name(SIGNIFICANT_EVENTS, "xlsx"), SIGNIFICANT_EVENTS, "local", rows)


@case(
    SAFETY_ALERTS,
    Accepted(log_name(SAFETY_ALERTS), 3, (("alert_title", "Valproate ([number removed])"),)),
)
def an_nhs_number_with_dots_in_an_alert_title(folder, planted):
    rows = _rows(SAFETY_ALERTS, "local", planted)
    rows[0]["alert_title"] = f"Valproate ({planted[2][:3]}.{planted[2][3:6]}.{planted[2][6:]})"
    write_csv(folder / log_name(SAFETY_ALERTS), SAFETY_ALERTS, "local", rows)


@case(WORKFORCE, Accepted(log_name(WORKFORCE), 3, (("staff_id", "[number removed]"),)))
def an_nhs_number_as_a_staff_id(folder, planted):
    rows = _rows(WORKFORCE, "local", planted)
    rows[0]["staff_id"] = planted[0]
    write_csv(folder / log_name(WORKFORCE), WORKFORCE, "local", rows)


@case(EPCN_PCNS, Accepted("ePCN.xlsx", 3, (("pcn_name", "NORTH PCN [number removed]"),)))
def an_nhs_number_in_the_epcn_workbook(folder, planted):
    rows = _rows(EPCN_PCNS, "xlsx", planted)
    rows[0]["pcn_name"] = f"NORTH PCN {planted[0]}"
    write_xlsx(folder / "ePCN.xlsx", EPCN_PCNS, "xlsx", rows, sheet="PCNDetails")


@case(EPRACCUR, Accepted("epraccur.csv", 3, (("name", "THE SURGERY [number removed]"),)))
def an_nhs_number_in_headerless_epraccur(folder, planted):
    rows = _rows(EPRACCUR, "epraccur", planted)
    rows[0]["name"] = f"THE SURGERY {planted[1]}"
    write_csv(folder / "epraccur.csv", EPRACCUR, "epraccur", rows)


def _members(planted: list[str]) -> list[dict[str, str]]:
    def member(practice, pcn, name=None):
        return {
            "practice_code": practice,
            "practice_name": name or f"PRACTICE {practice}",
            "practice_sub_icb_location_code": "15N",
            "practice_sub_icb_location_name": "NHS SOMEWHERE ICB - 15N",
            "pcn_code": pcn,
            "pcn_name": f"PCN {pcn}",
            "relationship_start_date": "20191001",
        }

    return [
        member(EMIS_PRACTICE, PCN),
        member(S1_PRACTICE, PCN, f"HIGH STREET {planted[0]}" if planted else None),
        member(OTHER_PCN_PRACTICE, OTHER_PCN),
    ]


@case(
    EPCN_MEMBERS,
    Accepted("epcn_core_partner_details.csv", 3, (("practice_name", f"PRACTICE {EMIS_PRACTICE}"),)),
)
def an_nhs_number_in_a_practice_name(folder, planted):
    path = folder / "epcn_core_partner_details.csv"
    write_csv(path, EPCN_MEMBERS, "csv", _members(planted))


@case(
    SWITCH_PROGRAMMES,
    Accepted(
        log_name(SWITCH_PROGRAMMES),
        3,
        (("practice_code", EMIS_PRACTICE), ("programme_name", "programme name 1")),
    ),
)
def switch_log_with_padding_and_lower_case_codes(folder, planted):
    rows = _rows(SWITCH_PROGRAMMES, "local", planted)
    rows[0]["practice_code"] = f"  {EMIS_PRACTICE.lower()} "
    rows[0]["programme_name"] = " programme name 1 "
    write_csv(folder / log_name(SWITCH_PROGRAMMES), SWITCH_PROGRAMMES, "local", rows)


@case(
    SAFETY_CULTURE_AUDITS,
    Accepted(log_name(SAFETY_CULTURE_AUDITS, "xlsx"), 3, (("respondents", 1),)),
)
def audit_workbook_with_blank_rows_between(folder, planted):
    path = folder / log_name(SAFETY_CULTURE_AUDITS, "xlsx")
    rows = _rows(SAFETY_CULTURE_AUDITS, "local", planted)
    write_xlsx(path, SAFETY_CULTURE_AUDITS, "local", [rows[0], {}, rows[1], {}, {}, rows[2]])


@case(
    MEDICATION_ISSUES,
    Accepted(emis("medication_issues"), 3, (("quantity", 1000.0),)),
)
def a_quantity_with_a_thousands_separator(folder, planted):
    rows = _rows(MEDICATION_ISSUES, "emis", planted)
    rows[0]["quantity"] = "1,000"
    write_csv(folder / emis("medication_issues"), MEDICATION_ISSUES, "emis", rows)


@case(EPD, Accepted(f"EPD_{YYYYMM}.csv", 3, (("nic", Decimal("943476.5919")),)))
def a_cost_whose_digits_read_like_an_nhs_number(folder, planted):
    # 9434765919 passes modulus 11, but a cost is a number, never redacted: only a number
    # whose whole part is an NHS number is one.
    rows = _rows(EPD, "epd", planted)
    rows[0]["nic"] = "943476.5919"
    write_csv(folder / f"EPD_{YYYYMM}.csv", EPD, "epd", rows)


@case(DISCHARGES, Accepted(s1("discharges"), 0))
def a_month_with_no_discharges(folder, planted):
    write_csv(folder / s1("discharges"), DISCHARGES, "systmone", [])


@case(
    PINCER_ACTIONS,
    Accepted(log_name(PINCER_ACTIONS, "xlsx"), 3, (("indicator", "A"),)),
)
def pincer_workbook_with_numbers_typed_as_text(folder, planted):
    rows = _rows(PINCER_ACTIONS, "local", planted)
    rows[0]["nhs_number"] = f"{planted[0][:3]} {planted[0][3:6]} {planted[0][6:]}"
    write_xlsx(folder / log_name(PINCER_ACTIONS, "xlsx"), PINCER_ACTIONS, "local", rows)


@case(
    TITRATION_CLINICS,
    Accepted(log_name(TITRATION_CLINICS), 3, (("practice_code", S1_PRACTICE),)),
)
def titration_log_for_both_practices_of_the_pcn(folder, planted):
    rows = _rows(TITRATION_CLINICS, "local", planted)
    rows[0]["practice_code"] = S1_PRACTICE
    write_csv(folder / log_name(TITRATION_CLINICS), TITRATION_CLINICS, "local", rows)


# ---------------------------------------------------------------------------------------------
# The run of one class
# ---------------------------------------------------------------------------------------------


def _load(conn, table, inbox, quarantine):
    return load_month(conn, table, MONTH, inbox, key=KEY, quarantine_dir=quarantine)


def _baseline(conn: duckdb.DuckDBPyConnection, table: TableContract, inbox: Path, quarantine):
    """ePCN membership, then a good delivery of the table: the last good state."""
    folder = inbox / MONTH
    write_csv(folder / "epcn_core_partner_details.csv", EPCN_MEMBERS, "csv", _members([]))
    _load(conn, EPCN_MEMBERS, inbox, quarantine)
    if table is not EPCN_MEMBERS:
        name, dialect = BASELINE.get(table.name, (log_name(table), table.dialects[0].name))
        write_csv(folder / name, table, dialect, valid_rows(table, dialect, 3))
        _load(conn, table, inbox, quarantine)
    for path in folder.iterdir():
        path.unlink()


@pytest.fixture
def quarantine(tmp_path: Path) -> Path:
    return tmp_path / "quarantine"


def test_the_suite_covers_every_table_both_systems_csv_and_xlsx_in_forty_classes():
    assert len(CASES) >= 40
    tables = {c.table.qualified_name for c in CASES}
    assert tables == {
        t.qualified_name
        for t in (
            PATIENTS, CLINICAL_EVENTS, MEDICATION_ISSUES, DISCHARGES, EPD, LIST_SIZES,
            EPCN_PCNS, EPCN_MEMBERS, EPRACCUR, SAFETY_ALERTS, PINCER_ACTIONS,
            SIGNIFICANT_EVENTS, SAFETY_INCIDENTS, SAFETY_CULTURE_AUDITS, SUPERVISION_LOG,
            WORKFORCE, SWITCH_PROGRAMMES, TITRATION_CLINICS,
        )
    }  # fmt: skip
    named = [
        name
        for c in CASES
        for name in (c.outcome.files if isinstance(c.outcome, Rejected) else (c.outcome.file,))
    ]
    assert any(n.startswith("EMIS_") for n in named) and any(n.startswith("S1_") for n in named)
    assert any(n.endswith(".xlsx") for n in named) and any(n.endswith(".csv") for n in named)
    assert {type(c.outcome) for c in CASES} == {Rejected, Quarantined, Accepted}


@pytest.mark.parametrize("hostile", CASES, ids=[c.id for c in CASES])
def test_hostile_input(hostile: Case, conn, inbox, quarantine, capsys, caplog):
    table = hostile.table
    _baseline(conn, table, inbox, quarantine)
    is_rejection = isinstance(hostile.outcome, Rejected)
    before = snapshot(conn, table, keep_table_month=is_rejection)
    hostile.write(inbox / MONTH, hostile.planted)

    error = ""
    with caplog.at_level(logging.DEBUG):
        if is_rejection:
            with pytest.raises(MonthRejected) as caught:
                _load(conn, table, inbox, quarantine)
            error = str(caught.value)
        else:
            result = _load(conn, table, inbox, quarantine)

    outcome = hostile.outcome
    if isinstance(outcome, Rejected):
        for name in outcome.files:
            assert name in error, error
        for text in outcome.says:
            assert text in error, error
        rejected = query(
            conn,
            "select file_name, message from pipeline.ingestion_log where source = ? and "
            "table_name = ? and status = 'rejected'",
            [table.source, table.name],
        )
        logged = " ".join(f"{r['file_name']}: {r['message']}" for r in rejected)
        assert all(name in logged for name in outcome.files), logged
    elif isinstance(outcome, Quarantined):
        bad = query(
            conn,
            "select row_number, column_names, reason from pipeline.quarantine "
            "where source = ? and table_name = ? and file_name = ? order by row_number",
            [table.source, table.name, outcome.file],
        )
        assert {r["row_number"] for r in bad} == set(outcome.rows), bad
        for row in bad:
            columns, reason = outcome.rows[row["row_number"]]
            assert row["column_names"] == columns, row
            assert reason in row["reason"], row
        assert (result.rows_loaded, result.rows_quarantined) == (outcome.loaded, len(outcome.rows))
    else:
        loaded = query(
            conn,
            f"select * from {table.qualified_name} where _source_file = ? order by _source_row",
            [outcome.file],
        )
        assert len(loaded) == outcome.loaded == result.rows_loaded
        assert result.rows_quarantined == 0
        for column, value in outcome.holds:
            assert loaded[0][column] == value, loaded[0]

    assert_log_adds_up(conn)
    assert snapshot(conn, table, keep_table_month=is_rejection) == before
    captured = capsys.readouterr()
    everywhere = [
        *warehouse_texts(conn),
        *folder_texts(quarantine),
        error,
        captured.out,
        captured.err,
        *(r.getMessage() for r in caplog.records),
    ]
    assert not leaked(hostile.planted, everywhere)
