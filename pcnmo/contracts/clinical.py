"""Clinical system extracts: per practice, per month, EMIS Web or SystmOne.

EMIS Web and SystmOne write the same clinical content with their own file names, headers, date
formats and code spellings: each is a dialect of the one table.
"""

from __future__ import annotations

from pcnmo.contracts.base import Column, Dialect, Freshness, Kind, Search, Source, TableContract

SOURCE = Source(
    name="clinical",
    description="Clinical system extracts (EMIS Web and SystmOne searches), per practice.",
    freshness=Freshness(
        warn_after_days=35,
        error_after_days=70,
        why="Practices run their searches after each month end: a load is due monthly. Warn "
        "once a month's extracts are a few days overdue, error when two months are missing.",
    ),
)

# Each system's own spelling first, then the others either system (or Excel, re-saving an
# export) produces. Day before month always: only a two-digit year can be ambiguous.
_OTHER_DATES = ("%d %b %Y", "%d-%b-%y", "%Y-%m-%d")
EMIS_DATES = ("%d/%m/%Y", "%d-%b-%Y", *_OTHER_DATES)
SYSTMONE_DATES = ("%d-%b-%Y", "%d/%m/%Y", *_OTHER_DATES)
# Title lines above the column titles (an EMIS Web report's name, its "Last Run" line, a group
# heading) are skipped, as long as the titles are within this many rows of the top.
HEADER_SEARCH_ROWS = 20


def _clinical_dialects(entity: str) -> tuple[Dialect, ...]:
    return (
        Dialect(
            name="emis",
            label="EMIS Web",
            file_pattern=rf"EMIS_(?P<practice>[A-Z][0-9]{{5}})_{entity}_(?P<yyyymm>[0-9]{{6}})\.csv",
            date_formats=EMIS_DATES,
            example_file=f"EMIS_A12345_{entity}_202609.csv",
            header_search_rows=HEADER_SEARCH_ROWS,
            covers="a report of an EMIS Web search exported as CSV, as produced: the report's "
            "title and 'Last Run' lines above the column titles are skipped and noted in the "
            "ingestion log.",
        ),
        Dialect(
            name="systmone",
            label="SystmOne",
            file_pattern=rf"S1_(?P<practice>[A-Z][0-9]{{5}})_{entity}_(?P<yyyymm>[0-9]{{6}})\.csv",
            date_formats=SYSTMONE_DATES,
            example_file=f"S1_A12345_{entity}_202609.csv",
            header_search_rows=HEADER_SEARCH_ROWS,
            covers="a SystmOne Clinical Reporting search exported as CSV, column titles in "
            "row 1 (or below title lines, as for EMIS Web); a result cell may hold its unit "
            "(and comparator) as well as the number.",
        ),
    )


_REGISTERED = (
    "Patients on the practice list (regular registrations) on the last day of the reporting month"
)


def _practice_from_file_name() -> Column:
    return Column(
        "practice_code",
        Kind.PRACTICE_CODE,
        "ODS code of the practice that ran the search (from the file name).",
        from_file_name="practice",
    )


def _nhs_number(emis: str = "NHS Number", systmone: str = "NHS number") -> Column:
    return Column(
        "nhs_number",
        Kind.NHS_NUMBER,
        "Patient's NHS number (10 digits, spaces allowed). Validated with the modulus-11 "
        "check and replaced by a keyed pseudonym (`patient_id`) before anything is written.",
        headers={"emis": emis, "systmone": systmone},
    )


PATIENTS = TableContract(
    source="clinical",
    name="patients",
    description="One row per patient registered (or registered during the year) at a practice, "
    "as at the end of the reporting month.",
    delivered_by="Practice (EMIS Web or SystmOne search), monthly",
    dialects=_clinical_dialects("patients"),
    key=("practice_code", "nhs_number"),
    search=Search(
        population=f"{_REGISTERED}, and every patient whose registration ended (who left the "
        "practice or died) between 1 April of the financial year and that day: one row each.",
        date_range="Registration as at the last day of the reporting month; each flag, and the "
        "latest eFI score with its version, as recorded on or before that day.",
        codes="Care home: the latest residence code is in CAREHOME_COD (or the address is a "
        "care home). Learning disability: on the LD_COD register. End of life: on the "
        "palliative care register. eFI: the latest electronic Frailty Index the system "
        "calculated, and whether it is the original eFI or eFI2.",
    ),
    columns=(
        _practice_from_file_name(),
        _nhs_number(),
        Column(
            "date_of_birth",
            Kind.DATE,
            "Date of birth.",
            headers={"emis": "Date of Birth", "systmone": "Date of birth"},
            pii=True,
            max_years_back=120,
        ),
        Column(
            "sex",
            Kind.CODE,
            "Administrative sex as the system spells it.",
            headers={"emis": "Sex", "systmone": "Gender"},
            accepted=("Male", "Female", "Indeterminate", "Unknown", "M", "F", "I", "U"),
        ),
        Column(
            "registration_date",
            Kind.DATE,
            "Date the current registration started.",
            headers={"emis": "Registration Date", "systmone": "Registration date"},
        ),
        Column(
            "deregistration_date",
            Kind.DATE,
            "Date the registration ended; blank while registered.",
            headers={"emis": "Deregistration Date", "systmone": "Deregistration date"},
            required=False,
        ),
        Column(
            "date_of_death",
            Kind.DATE,
            "Date of death; blank if alive.",
            headers={"emis": "Date of Death", "systmone": "Date of death"},
            required=False,
            pii=True,
        ),
        Column(
            "is_care_home_resident",
            Kind.FLAG,
            "Lives in a care home (latest CAREHOME_COD residence code or address match).",
            headers={"emis": "Care Home Resident", "systmone": "Care home"},
        ),
        Column(
            "efi_score",
            Kind.DECIMAL,
            "Latest electronic Frailty Index score, 0-1, of the version in efi_version; blank "
            "if never calculated.",
            headers={"emis": "eFI Score", "systmone": "eFI"},
            required=False,
            minimum=0,
            maximum=1,
        ),
        Column(
            "efi_version",
            Kind.CODE,
            "Which frailty index the score is: eFI, the original (Clegg et al. 2016: 36 equally "
            "weighted deficits, severe frailty above 0.36), or eFI2 (Best et al. 2025: a "
            "weighted model of one-year risk, with no published severe-frailty cut-off, so its "
            "score is not assessed against one). Blank means the original eFI, the only one "
            "in GP systems before 2025.",
            headers={"emis": "eFI Version", "systmone": "eFI version"},
            required=False,
            accepted=("eFI", "eFI2"),
            aliases={
                "eFI1": "eFI",
                "eFI 1": "eFI",
                "eFI v1": "eFI",
                "Electronic Frailty Index": "eFI",
                "eFI 2": "eFI2",
                "eFI v2": "eFI2",
                "Electronic Frailty Index 2": "eFI2",
            },
        ),
        Column(
            "has_learning_disability",
            Kind.FLAG,
            "On the learning disability register (LD_COD).",
            headers={"emis": "Learning Disability", "systmone": "LD register"},
        ),
        Column(
            "is_end_of_life",
            Kind.FLAG,
            "On the palliative / end-of-life care register.",
            headers={"emis": "End of Life", "systmone": "Palliative care"},
        ),
    ),
)

CLINICAL_EVENTS = TableContract(
    source="clinical",
    name="events",
    description="One row per coded clinical event (SNOMED CT) recorded for a registered "
    "patient in the reporting month: reviews, lab results, registers, declines.",
    delivered_by="Practice (EMIS Web or SystmOne search), monthly",
    dialects=_clinical_dialects("events"),
    key=(),
    search=Search(
        population=f"{_REGISTERED}.",
        date_range="Effective date from the first to the last day of the reporting month.",
        codes="Every coded entry whose SNOMED CT concept is in one of pcnmo's codelists "
        "(seeds/snomed_codelists.csv, listed below): one row per entry, with its value, "
        "comparator and unit when it is a result.",
    ),
    row_identity=("practice_code", "nhs_number", "snomed_code", "event_date"),
    columns=(
        _practice_from_file_name(),
        _nhs_number(),
        Column(
            "snomed_code",
            Kind.SNOMED,
            "SNOMED CT concept id of the coded entry.",
            headers={"emis": "SNOMED Concept ID", "systmone": "SNOMED ID"},
        ),
        Column(
            "term",
            Kind.TEXT,
            "Term text shown in the record (for reading; codes drive every rule).",
            headers={"emis": "Term", "systmone": "Description"},
            required=False,
        ),
        Column(
            "event_date",
            Kind.DATE,
            "Effective date of the entry.",
            headers={"emis": "Effective Date", "systmone": "Date"},
        ),
        Column(
            "value",
            Kind.DECIMAL,
            "Numeric value for results (eFI, eGFR, lithium level); blank otherwise. A cell "
            "that also holds the unit or comparator ('58 mL/min/1.73m2', '<1', as SystmOne can "
            "write it) is split: they go to value_unit and value_comparator when those are "
            "blank or absent; one that disagrees with them quarantines the row.",
            headers={"emis": "Value", "systmone": "Numeric value"},
            required=False,
            unit_column="value_unit",
            comparator_column="value_comparator",
        ),
        Column(
            "value_comparator",
            Kind.CODE,
            "Comparator in front of a result value, if any.",
            headers={"emis": "Operator", "systmone": "Comparator"},
            required=False,
            accepted=("<", "<=", "=", ">=", ">", "~"),
        ),
        Column(
            "value_unit",
            Kind.TEXT,
            "Unit of the value.",
            headers={"emis": "Unit", "systmone": "Units"},
            required=False,
        ),
        Column(
            "recorded_by_role",
            Kind.TEXT,
            "Role of the clinician who recorded the entry (e.g. Clinical Pharmacist).",
            headers={"emis": "User Role", "systmone": "Staff role"},
            required=False,
        ),
    ),
)

MEDICATION_ISSUES = TableContract(
    source="clinical",
    name="medication_issues",
    description="One row per medication issue (acute or repeat) in the reporting month, with "
    "the state of its repeat template; plus, for every repeat template ended (stopped or "
    "changed) during the reporting month whose latest issue is dated in an earlier month, that "
    "latest issue again, carrying the template's end date and stop reason (otherwise a stop "
    "in a month without an issue of the medicine is never seen). Such a re-delivered row is "
    "the only one whose issue date may fall before the reporting month; the pipeline keeps "
    "one row per issue, the newest delivery.",
    delivered_by="Practice (EMIS Web or SystmOne search), monthly",
    dialects=_clinical_dialects("medication_issues"),
    key=(),
    search=Search(
        population=f"{_REGISTERED}.",
        date_range="Issue date from the first to the last day of the reporting month; and, for "
        "each repeat template ended (stopped or changed) in the month whose latest issue is "
        "dated earlier, that latest issue with the template's end date and stop reason.",
        codes="Every item issued (acute, repeat and repeat dispensing), whatever the medicine: "
        "no codelist. The item's dm+d code, and its BNF code where the system maps one.",
    ),
    row_identity=("practice_code", "nhs_number", "dmd_code", "issue_date"),
    columns=(
        _practice_from_file_name(),
        _nhs_number(),
        Column(
            "dmd_code",
            Kind.SNOMED,
            "dm+d concept id (VMP or AMP) of the item issued.",
            headers={"emis": "dm+d Code", "systmone": "DMD code"},
        ),
        Column(
            "bnf_code",
            Kind.BNF_CODE,
            "BNF presentation code, where the system maps one.",
            headers={"emis": "BNF Code", "systmone": "BNF code"},
            required=False,
        ),
        Column(
            "drug_name",
            Kind.TEXT,
            "Name of the item as issued.",
            headers={"emis": "Drug Name", "systmone": "Drug"},
        ),
        Column(
            "issue_date",
            Kind.DATE,
            "Date the item was issued (in an earlier month on the re-delivered latest issue of "
            "a template ended this month).",
            headers={"emis": "Issue Date", "systmone": "Date issued"},
            in_month_unless="template_end_date",
        ),
        Column(
            "issue_type",
            Kind.CODE,
            "Acute or repeat issue.",
            headers={"emis": "Issue Type", "systmone": "Type"},
            accepted=("Acute", "Repeat", "Repeat Dispensing", "A", "R", "RD"),
        ),
        Column(
            "quantity",
            Kind.DECIMAL,
            "Quantity issued.",
            headers={"emis": "Quantity", "systmone": "Quantity"},
            required=False,
            minimum=0,
        ),
        Column(
            "template_start_date",
            Kind.DATE,
            "Start date of the repeat template the issue came from.",
            headers={"emis": "Course Start Date", "systmone": "Repeat template start"},
            required=False,
        ),
        Column(
            "template_end_date",
            Kind.DATE,
            "Date the repeat template was ended (stopped or changed); blank while active.",
            headers={"emis": "Course End Date", "systmone": "Repeat template end"},
            required=False,
            future_ok=True,
        ),
        Column(
            "stop_reason",
            Kind.TEXT,
            "Why the template was ended (e.g. 'Stopped at medication review', 'Dose reduced').",
            headers={"emis": "Reason For Stopping", "systmone": "End reason"},
            required=False,
        ),
    ),
)

DISCHARGES = TableContract(
    source="clinical",
    name="discharges",
    description="One row per hospital discharge document received by the practice in the "
    "reporting month.",
    delivered_by="Practice (EMIS Web or SystmOne search), monthly",
    dialects=_clinical_dialects("discharges"),
    key=("practice_code", "nhs_number", "discharge_date"),
    search=Search(
        population=f"{_REGISTERED}.",
        date_range="Date the practice received (filed) the discharge document, from the first "
        "to the last day of the reporting month.",
        codes="Every hospital discharge summary filed in the record: one row per document, "
        "with the admission and discharge dates it gives and the discharging trust's ODS code.",
    ),
    columns=(
        _practice_from_file_name(),
        _nhs_number(),
        Column(
            "admission_date",
            Kind.DATE,
            "Date of admission, if known.",
            headers={"emis": "Admission Date", "systmone": "Admission date"},
            required=False,
        ),
        Column(
            "discharge_date",
            Kind.DATE,
            "Date of discharge.",
            headers={"emis": "Discharge Date", "systmone": "Discharge date"},
        ),
        Column(
            "document_received_date",
            Kind.DATE,
            "Date the practice received (filed) the discharge information: the 7-day "
            "reconciliation clock starts here (NICE QS120 statement 5).",
            headers={"emis": "Document Received Date", "systmone": "Letter received"},
        ),
        Column(
            "provider_code",
            Kind.ODS_CODE,
            "ODS code of the discharging trust.",
            headers={"emis": "Provider Code", "systmone": "Provider ODS"},
            required=False,
        ),
    ),
)
