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

A class states only what is its own: the file (a Delivery), the defect and the outcome. Most
are valid rows with a defect (`@defect`: the function edits the rows, the file is written
for it); the rest write their files themselves (`@files`).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingestion.duckdb_io import connect
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


@dataclass(frozen=True)
class Delivery:
    """A file of one table as a data team names it, with the dialect its rows are written in."""

    table: TableContract
    dialect: str
    name: str

    def write(self, folder: Path, rows: list[dict[str, Any]], **options: Any) -> Path:
        """The rows in the file's layout: a workbook for an .xlsx name, else a CSV."""
        writer = write_xlsx if self.name.endswith(".xlsx") else write_csv
        return writer(folder / self.name, self.table, self.dialect, rows, **options)


def emis(table: TableContract, practice: str = EMIS_PRACTICE, yyyymm: str = YYYYMM) -> Delivery:
    return Delivery(table, "emis", f"EMIS_{practice}_{table.name}_{yyyymm}.csv")


def s1(table: TableContract, practice: str = S1_PRACTICE) -> Delivery:
    return Delivery(table, "systmone", f"S1_{practice}_{table.name}_{YYYYMM}.csv")


def log(table: TableContract, suffix: str = "csv", pcn: str = PCN) -> Delivery:
    return Delivery(table, "local", f"{table.name}_{pcn}_{YYYYMM}.{suffix}")


EPD_FILE = Delivery(EPD, "epd", f"EPD_{YYYYMM}.csv")
LIST_SIZES_FILE = Delivery(LIST_SIZES, "quinary", "gp-reg-pat-prac-quin-age.csv")
MEMBERS_FILE = Delivery(EPCN_MEMBERS, "csv", "epcn_core_partner_details.csv")

# Each table's good (baseline) delivery; a local log's is `log(table)`.
BASELINE: dict[str, Delivery] = {
    delivery.table.name: delivery
    for delivery in (
        emis(PATIENTS),
        emis(CLINICAL_EVENTS),
        emis(MEDICATION_ISSUES),
        emis(DISCHARGES),
        EPD_FILE,
        LIST_SIZES_FILE,
        Delivery(EPCN_PCNS, "csv", "epcn_pcn_details.csv"),
        MEMBERS_FILE,
        Delivery(EPRACCUR, "epraccur", "epraccur.csv"),
    )
}


# ---------------------------------------------------------------------------------------------
# Outcomes (of the class's delivery)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rejected:
    says: tuple[str, ...]  # what the message must say (what is wrong, how to fix it)
    also_names: tuple[str, ...] = ()  # files besides the delivery the message must name


@dataclass(frozen=True)
class Quarantined:
    rows: dict[int, tuple[str, str]]  # row number -> (failing columns, part of the reason)
    loaded: int


@dataclass(frozen=True)
class Accepted:
    loaded: int
    # (column, value) the first loaded row must hold
    holds: tuple[tuple[str, object], ...] = ()


Outcome = Rejected | Quarantined | Accepted
Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Case:
    id: str
    delivery: Delivery
    write: Callable[[Path, list[str]], object]  # (month folder, planted numbers)
    outcome: Outcome
    planted: list[str] = field(default_factory=list)

    @property
    def table(self) -> TableContract:
        return self.delivery.table

    @property
    def named_files(self) -> tuple[str, ...]:
        """The files the class's outcome is about (a rejection's message names them all)."""
        also = self.outcome.also_names if isinstance(self.outcome, Rejected) else ()
        return (self.delivery.name, *also)


CASES: list[Case] = []


def _register(name: str, delivery: Delivery, write: Callable, outcome: Outcome) -> None:
    """A hostile class, with numbers to plant that no other class plants."""
    CASES.append(Case(name, delivery, write, outcome, plant(len(CASES) + 1)))


def defect(
    delivery: Delivery, outcome: Outcome, *, count: int = 3, **write_options: Any
) -> Callable:
    """Register the decorated function as a class whose file is `count` valid rows of the
    delivery, carrying the planted NHS numbers where the table has them, with a defect: the
    function edits the rows in place, or returns the rows to write instead."""

    def register(edit: Callable[[Rows, list[str]], Rows | None]) -> Callable:
        def write(folder: Path, planted: list[str]) -> None:
            numbers = (planted * count)[:count]  # a longer file repeats the planted numbers
            rows = valid_rows(delivery.table, delivery.dialect, count, numbers)
            edited = edit(rows, planted)
            delivery.write(folder, rows if edited is None else edited, **write_options)

        _register(edit.__name__, delivery, write, outcome)
        return edit

    return register


def files(delivery: Delivery, outcome: Outcome) -> Callable:
    """Register the decorated function as a class that writes its own file(s) into the month
    folder: (delivery, folder, planted numbers)."""

    def register(write: Callable[[Delivery, Path, list[str]], object]) -> Callable:
        _register(
            write.__name__,
            delivery,
            lambda folder, planted: write(delivery, folder, planted),
            outcome,
        )
        return write

    return register


# ---------------------------------------------------------------------------------------------
# Whole files wrong: rejected with the file named and the fix
# ---------------------------------------------------------------------------------------------


@defect(
    emis(PATIENTS),
    Rejected(("looks like a data row: is the header row missing?", "docs/extracts.md")),
    with_header=False,
)
def patients_without_their_header_row(rows, planted):
    """Valid rows; the header row is left out."""


@defect(
    s1(PATIENTS),
    Rejected(("is missing required column(s) 'Gender'",)),
    header=[h if h != "Gender" else "Sex at birth" for _, h in header_cells(PATIENTS, "systmone")],
)
def systmone_patients_missing_a_column(rows, planted):
    """Valid rows under a header that renamed Gender."""


@defect(
    Delivery(CLINICAL_EVENTS, "emis", f"EMIS_{EMIS_PRACTICE}_events_{YYYYMM} (1).csv"),
    Rejected((f"rename it to '{emis(CLINICAL_EVENTS).name}'",)),
)
def events_saved_as_a_browser_copy(rows, planted):
    """Valid rows; the name is the defect."""


@defect(
    Delivery(MEDICATION_ISSUES, "emis", f"EMIS {EMIS_PRACTICE} medication_issues {YYYYMM}.csv"),
    Rejected((f"rename it to '{emis(MEDICATION_ISSUES).name}'",)),
)
def medication_issues_named_with_spaces(rows, planted):
    """Valid rows; the name is the defect."""


@defect(emis(DISCHARGES, "A12354"), Rejected(("practice A12354", "neither the ePCN")))
def discharges_with_a_typo_in_the_practice_code(rows, planted):
    """Valid rows; the practice code in the name is the defect."""


@defect(
    log(SAFETY_ALERTS),
    Rejected((f"not in PCN {PCN}", f"row 3: {OTHER_PCN_PRACTICE}", "right PCN's log")),
)
def alert_log_naming_another_pcns_practice(rows, planted):
    rows[1]["practice_code"] = OTHER_PCN_PRACTICE
    rows[2]["action_taken"] = f"Searched, {planted[0]} reviewed"


@defect(log(PINCER_ACTIONS, pcn="U54321"), Rejected(("PCN U54321",)))
def pincer_log_for_a_pcn_nobody_knows(rows, planted):
    """Valid rows; the PCN in the name is the defect."""


@files(
    emis(PATIENTS),
    Rejected(
        (f"practice {EMIS_PRACTICE}", "would count the month twice"),
        also_names=(f"S1_{EMIS_PRACTICE}_patients_{YYYYMM}.csv",),
    ),
)
def one_practice_delivered_by_both_systems(delivery, folder, planted):
    delivery.write(folder, valid_rows(PATIENTS, "emis", 2, planted[:2]))
    s1(PATIENTS, EMIS_PRACTICE).write(folder, valid_rows(PATIENTS, "systmone", 2, planted[1:]))


@files(
    emis(CLINICAL_EVENTS),
    Rejected(
        ("would count the month twice",),
        also_names=(f"emis_{EMIS_PRACTICE.lower()}_events_{YYYYMM}.CSV",),
    ),
)
def one_practice_delivered_twice_in_two_spellings(delivery, folder, planted):
    rows = valid_rows(CLINICAL_EVENTS, "emis", 3, planted)
    delivery.write(folder, rows)
    lower = f"emis_{EMIS_PRACTICE.lower()}_events_{YYYYMM}.CSV"
    Delivery(CLINICAL_EVENTS, "emis", lower).write(folder, rows)


@files(
    log(WORKFORCE),
    Rejected((f"pcn {PCN}", "remove the others"), also_names=(log(WORKFORCE, "xlsx").name,)),
)
def workforce_log_as_csv_and_workbook(delivery, folder, planted):
    rows = valid_rows(WORKFORCE, "local", 3, planted)
    rows[0]["staff_id"] = planted[0]
    delivery.write(folder, rows)
    log(WORKFORCE, "xlsx").write(folder, rows)


@files(
    EPD_FILE,
    Rejected(("would count the month twice",), also_names=(f"EPD_SNOMED_{YYYYMM}.csv",)),
)
def two_epd_files_for_one_month(delivery, folder, planted):
    rows = valid_rows(EPD, "epd", 3, planted)
    delivery.write(folder, rows)
    Delivery(EPD, "epd_snomed", f"EPD_SNOMED_{YYYYMM}.csv").write(folder, rows)


@defect(emis(CLINICAL_EVENTS), Rejected(("this looks like 2026-08's file",)), count=6)
def last_months_events_sent_under_this_months_name(rows, planted):
    for day, row in enumerate(rows, start=1):
        row["event_date"] = dt.date(2026, 8, day).strftime("%d/%m/%Y")


@defect(EPD_FILE, Rejected(("this looks like 2026-08's file",)), count=6)
def last_months_epd_under_this_months_name(rows, planted):
    for row in rows:
        row["year_month"] = "202608"
    rows[0]["practice_name"] = f"SURGERY {planted[0]}"


@defect(LIST_SIZES_FILE, Rejected(("this looks like 2026-08's",)), count=6)
def last_months_list_sizes(rows, planted):
    for row in rows:
        row["extract_date"] = "01AUG2026"


@defect(emis(CLINICAL_EVENTS), Rejected(("month first (US order)", "rows 2, 3")))
def events_with_dates_month_first(rows, planted):
    for row, day in zip(rows, (14, 21, 3), strict=True):
        row["event_date"] = f"09/{day:02d}/2026"


@defect(
    emis(CLINICAL_EVENTS),
    Quarantined({2: ("Effective Date", "Effective Date '09/14/2026' is not a date")}, 2),
)
def events_with_one_date_month_first_among_dates_day_first(rows, planted):
    # 21/09/2026 is a date only day first: the file is day first, and 09/14/2026 a typo.
    for row, date in zip(rows, ("09/14/2026", "21/09/2026", "03/09/2026"), strict=True):
        row["event_date"] = date


@defect(log(SUPERVISION_LOG), Rejected(("month first (US order)",)))
def supervision_log_with_dates_month_first(rows, planted):
    for row, day in zip(rows, (13, 5, 28), strict=True):
        row["supervision_date"] = f"09/{day:02d}/2026"


@files(emis(CLINICAL_EVENTS), Rejected(("'Effective Date' in columns 4, 9", "ambiguous")))
def events_with_a_second_date_column(delivery, folder, planted):
    header = [h for _, h in header_cells(CLINICAL_EVENTS, "emis")] + ["Effective Date"]
    rows = valid_rows(CLINICAL_EVENTS, "emis", 3, planted)
    path = delivery.write(folder, rows, header=header)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0]] + [f"{line},01/01/2020" for line in lines[1:]]) + "\n")


@defect(emis(MEDICATION_ISSUES, yyyymm="202608"), Rejected(("is named for 2026-08", "Move it")))
def medication_issues_named_for_last_month(rows, planted):
    """Valid rows; the month in the name is the defect."""


@defect(
    log(SIGNIFICANT_EVENTS, "xlsx"), Rejected(("is the header row missing?",)), with_header=False
)
def sea_workbook_without_its_header_row(rows, planted):
    rows[0]["summary"] = f"Patient {planted[0]} given the wrong strength"


@files(log(TITRATION_CLINICS, "xlsx"), Rejected(("cannot be opened as an Excel workbook",)))
def titration_workbook_that_is_damaged(delivery, folder, planted):
    content = b"PK\x03\x04" + random.Random(11).randbytes(2048) + planted[0].encode()
    (folder / delivery.name).write_bytes(content)


@files(emis(DISCHARGES), Rejected(("is not a CSV file", "CSV UTF-8")))
def discharges_workbook_saved_with_a_csv_name(delivery, folder, planted):
    book = Delivery(DISCHARGES, "emis", "book.xlsx")
    book.write(folder, valid_rows(DISCHARGES, "emis", 3, planted))
    (folder / book.name).rename(folder / delivery.name)


@files(s1(PATIENTS), Rejected(("is empty",)))
def systmone_patients_file_that_is_empty(delivery, folder, planted):
    (folder / delivery.name).write_bytes(b"")


@defect(emis(CLINICAL_EVENTS), Rejected(("is not UTF-8", "line 3")), encoding="latin-1")
def events_saved_in_an_old_encoding(rows, planted):
    rows[1]["term"] = f"Prescription charge \u00a3 paid {planted[1]}"


@files(emis(MEDICATION_ISSUES), Rejected(("more fields than the header", "line 3")))
def medication_issues_with_a_ragged_row(delivery, folder, planted):
    path = delivery.write(folder, valid_rows(MEDICATION_ISSUES, "emis", 3, planted))
    lines = path.read_text().splitlines()
    lines[2] += f",{planted[2]}"
    path.write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------
# Bad rows: quarantined with row, columns and reason
# ---------------------------------------------------------------------------------------------


@defect(
    emis(PATIENTS),
    Quarantined(
        {3: ("NHS Number", "is not a valid NHS number (10 digits passing the modulus-11")}, 2
    ),
)
def patient_with_a_mistyped_nhs_number(rows, planted):
    rows[1]["nhs_number"] = planted[1][:9] + str((int(planted[1][9]) + 1) % 10)


@defect(EPD_FILE, Quarantined({2: ("ACTUAL_COST", "holds what looks like an NHS number")}, 2))
def an_nhs_number_in_a_cost(rows, planted):
    rows[0]["actual_cost"] = planted[0]


@defect(
    LIST_SIZES_FILE,
    Quarantined(
        {3: ("NUMBER_OF_PATIENTS", "holds what looks like an NHS number, not a whole number")}, 2
    ),
)
def an_nhs_number_in_a_count(rows, planted):
    rows[1]["number_of_patients"] = f"{planted[1]}.0"


@defect(
    emis(CLINICAL_EVENTS),
    Quarantined(
        {2: ("SNOMED Concept ID", "SNOMED Concept ID '[number removed]' is not a SNOMED CT")}, 2
    ),
)
def an_nhs_number_in_a_snomed_column(rows, planted):
    rows[0]["snomed_code"] = planted[2]


@defect(
    emis(MEDICATION_ISSUES),
    Quarantined(
        {
            2: ("dm+d Code", "'1239511000000000' is not a SNOMED CT / dm+d concept id"),
            3: ("dm+d Code", "valid check digit (an id Excel rounded"),
        },
        1,
    ),
)
def dmd_codes_excel_rounded(rows, planted):
    rows[0]["dmd_code"] = "1239511000000000"
    rows[1]["dmd_code"] = "1.23951E+15"


@defect(
    s1(CLINICAL_EVENTS),
    Quarantined({r: ("NHS number, SNOMED ID", "is not a valid NHS number") for r in (2, 3, 4)}, 0),
    header=[
        {"NHS number": "SNOMED ID", "SNOMED ID": "NHS number"}.get(h, h)
        for _, h in header_cells(CLINICAL_EVENTS, "systmone")
    ],
)
def events_with_nhs_number_and_snomed_headers_swapped(rows, planted):
    """Valid rows under a header with the two columns' names swapped."""


@defect(
    emis(PATIENTS),
    Quarantined({2: ("eFI Score", "'0,25' has a comma that is not a thousands separator")}, 2),
)
def frailty_score_with_a_decimal_comma(rows, planted):
    rows[0]["efi_score"] = "0,25"


@defect(EPD_FILE, Quarantined({2: ("QUANTITY", "'2,5' has a comma that is not a thousands")}, 2))
def epd_quantity_with_a_decimal_comma(rows, planted):
    rows[0]["quantity"] = "2,5"
    rows[1]["nic"] = "1,234.50"  # a thousands separator: read as 1234.50


@defect(
    s1(PATIENTS),
    Quarantined(
        {4: ("Registration date, Date of birth", "'01-Jan-1940' is before Date of birth")}, 2
    ),
)
def patient_registered_before_birth(rows, planted):
    rows[2]["registration_date"] = "01-Jan-1940"


@defect(
    emis(DISCHARGES), Quarantined({3: ("Discharge Date", "'[number removed]' is not a date")}, 2)
)
def an_nhs_number_in_a_date_column(rows, planted):
    rows[1]["discharge_date"] = f"{planted[0][:3]} {planted[0][3:6]} {planted[0][6:]}"


@defect(s1(PATIENTS), Quarantined({2: ("Gender", "Gender '[number removed]' is not one of")}, 2))
def an_nhs_number_in_a_code_column(rows, planted):
    rows[0]["sex"] = planted[1]


@defect(
    s1(MEDICATION_ISSUES),
    Quarantined({3: ("BNF code", "BNF code holds what looks like an NHS number")}, 2),
)
def an_nhs_number_in_a_bnf_code(rows, planted):
    rows[1]["bnf_code"] = planted[0]


@defect(
    log(SAFETY_INCIDENTS, "xlsx"),
    Quarantined(
        {2: ("Practice Code", "Practice Code '[number removed]' is not an ODS practice code")}, 2
    ),
)
def an_nhs_number_in_a_practice_code(rows, planted):
    rows[0]["practice_code"] = planted[0]


@defect(emis(PATIENTS), Quarantined({4: ("NHS Number", "duplicate of row 2 (same NHS Number)")}, 2))
def the_same_patient_twice(rows, planted):
    rows[2]["nhs_number"] = f"{planted[0][:3]} {planted[0][3:6]} {planted[0][6:]}"


# ---------------------------------------------------------------------------------------------
# Accepted, correctly: NHS numbers typed into text are removed, the rest loads as meant
# ---------------------------------------------------------------------------------------------


@defect(emis(MEDICATION_ISSUES), Accepted(3, (("drug_name", "Amlodipine 5mg [number removed]"),)))
def an_nhs_number_in_a_drug_name(rows, planted):
    rows[0]["drug_name"] = f"Amlodipine 5mg {planted[1]}"


@defect(
    s1(MEDICATION_ISSUES), Accepted(3, (("stop_reason", "Stopped, see [number removed] notes"),))
)
def an_nhs_number_with_non_breaking_spaces_in_a_stop_reason(rows, planted):
    number = "\u00a0".join((planted[2][:3], planted[2][3:6], planted[2][6:]))
    rows[0]["stop_reason"] = f"Stopped, see {number} notes"


@defect(s1(CLINICAL_EVENTS), Accepted(3, (("term", "Review for [number removed]"),)))
def an_nhs_number_with_en_dashes_in_a_term(rows, planted):
    rows[0]["term"] = f"Review for {planted[0][:3]}\u2013{planted[0][3:6]}\u2013{planted[0][6:]}"


@defect(
    log(SIGNIFICANT_EVENTS, "xlsx"),
    Accepted(3, (("summary", "Patient [number removed] given a double dose"),)),
)
def an_nhs_number_in_an_sea_summary_workbook(rows, planted):
    rows[0]["summary"] = f"Patient {planted[1]} given a double dose"


@defect(log(SAFETY_ALERTS), Accepted(3, (("alert_title", "Valproate ([number removed])"),)))
def an_nhs_number_with_dots_in_an_alert_title(rows, planted):
    rows[0]["alert_title"] = f"Valproate ({planted[2][:3]}.{planted[2][3:6]}.{planted[2][6:]})"


@defect(log(WORKFORCE), Accepted(3, (("staff_id", "[number removed]"),)))
def an_nhs_number_as_a_staff_id(rows, planted):
    rows[0]["staff_id"] = planted[0]


@defect(
    Delivery(EPCN_PCNS, "xlsx", "ePCN.xlsx"),
    Accepted(3, (("pcn_name", "NORTH PCN [number removed]"),)),
    sheet="PCNDetails",
)
def an_nhs_number_in_the_epcn_workbook(rows, planted):
    rows[0]["pcn_name"] = f"NORTH PCN {planted[0]}"


@defect(
    Delivery(EPRACCUR, "epraccur", "epraccur.csv"),
    Accepted(3, (("name", "THE SURGERY [number removed]"),)),
)
def an_nhs_number_in_headerless_epraccur(rows, planted):
    rows[0]["name"] = f"THE SURGERY {planted[1]}"


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


@defect(MEMBERS_FILE, Accepted(3, (("practice_name", f"PRACTICE {EMIS_PRACTICE}"),)))
def an_nhs_number_in_a_practice_name(rows, planted):
    return _members(planted)


@defect(
    log(SWITCH_PROGRAMMES),
    Accepted(3, (("practice_code", EMIS_PRACTICE), ("programme_name", "programme name 1"))),
)
def switch_log_with_padding_and_lower_case_codes(rows, planted):
    rows[0]["practice_code"] = f"  {EMIS_PRACTICE.lower()} "
    rows[0]["programme_name"] = " programme name 1 "


@defect(log(SAFETY_CULTURE_AUDITS, "xlsx"), Accepted(3, (("respondents", 1),)))
def audit_workbook_with_blank_rows_between(rows, planted):
    return [rows[0], {}, rows[1], {}, {}, rows[2]]


@defect(emis(MEDICATION_ISSUES), Accepted(3, (("quantity", 1000.0),)))
def a_quantity_with_a_thousands_separator(rows, planted):
    rows[0]["quantity"] = "1,000"


@defect(EPD_FILE, Accepted(3, (("nic", Decimal("943476.5919")),)))
def a_cost_whose_digits_read_like_an_nhs_number(rows, planted):
    # 9434765919 passes modulus 11, but a cost is a number, never redacted: only a number
    # whose whole part is an NHS number is one.
    rows[0]["nic"] = "943476.5919"


@defect(s1(DISCHARGES), Accepted(0))
def a_month_with_no_discharges(rows, planted):
    return []


@defect(log(PINCER_ACTIONS, "xlsx"), Accepted(3, (("indicator", "A"),)))
def pincer_workbook_with_numbers_typed_as_text(rows, planted):
    rows[0]["nhs_number"] = f"{planted[0][:3]} {planted[0][3:6]} {planted[0][6:]}"


@defect(log(TITRATION_CLINICS), Accepted(3, (("practice_code", S1_PRACTICE),)))
def titration_log_for_both_practices_of_the_pcn(rows, planted):
    rows[0]["practice_code"] = S1_PRACTICE


# ---------------------------------------------------------------------------------------------
# The run of one class
# ---------------------------------------------------------------------------------------------


def _load(conn, table, inbox, quarantine):
    return load_month(conn, table, MONTH, inbox, key=KEY, quarantine_dir=quarantine)


def _baseline(conn: duckdb.DuckDBPyConnection, table: TableContract, inbox: Path, quarantine):
    """ePCN membership, then a good delivery of the table: the last good state."""
    folder = inbox / MONTH
    MEMBERS_FILE.write(folder, _members([]))
    _load(conn, EPCN_MEMBERS, inbox, quarantine)
    if table is not EPCN_MEMBERS:
        delivery = BASELINE.get(table.name, log(table))
        delivery.write(folder, valid_rows(table, delivery.dialect, 3))
        _load(conn, table, inbox, quarantine)
    for path in folder.iterdir():
        path.unlink()


@pytest.fixture
def quarantine(tmp_path: Path) -> Path:
    return tmp_path / "quarantine"


@pytest.fixture(scope="module")
def last_good_state(
    tmp_path_factory: pytest.TempPathFactory, schema_only_warehouse: Path
) -> Callable[[TableContract], Path]:
    """The warehouse after `_baseline` of a table, loaded once a module for each table and
    copied by every class of that table (loading it was half of each class's time)."""
    loaded: dict[str, Path] = {}

    def warehouse(table: TableContract) -> Path:
        if table.qualified_name not in loaded:
            root = tmp_path_factory.mktemp(f"last_good_{table.name}")
            path = root / "pcnmo.duckdb"
            shutil.copyfile(schema_only_warehouse, path)
            with connect(path) as conn:
                _baseline(conn, table, root / "inbox", root / "quarantine")
            # Nothing was quarantined: a class's own quarantine folder holds all there is.
            assert not (root / "quarantine").exists() or not any((root / "quarantine").iterdir())
            loaded[table.qualified_name] = path
        return loaded[table.qualified_name]

    return warehouse


@pytest.fixture
def conn(
    hostile: Case, last_good_state: Callable[[TableContract], Path], db_path: Path, inbox: Path
) -> Iterator[duckdb.DuckDBPyConnection]:
    """This module's warehouse: the last good state of the class's table, and its inbox month
    folder, emptied, as `_baseline` leaves them."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(last_good_state(hostile.table), db_path)
    (inbox / MONTH).mkdir()
    with connect(db_path) as connection:
        yield connection


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
    named = [name for c in CASES for name in c.named_files]
    assert any(n.startswith("EMIS_") for n in named) and any(n.startswith("S1_") for n in named)
    assert any(n.endswith(".xlsx") for n in named) and any(n.endswith(".csv") for n in named)
    assert {type(c.outcome) for c in CASES} == {Rejected, Quarantined, Accepted}


@pytest.mark.parametrize("hostile", CASES, ids=[c.id for c in CASES])
def test_hostile_input(hostile: Case, conn, inbox, quarantine, capsys, caplog):
    table = hostile.table
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
        for name in hostile.named_files:
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
        assert all(name in logged for name in hostile.named_files), logged
    elif isinstance(outcome, Quarantined):
        bad = query(
            conn,
            "select row_number, column_names, reason from pipeline.quarantine "
            "where source = ? and table_name = ? and file_name = ? order by row_number",
            [table.source, table.name, hostile.delivery.name],
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
            [hostile.delivery.name],
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
