"""Clinical system extracts: per practice, per month, EMIS Web or SystmOne.

EMIS Web and SystmOne write the same clinical content with their own file names, headers, date
formats and code spellings: each is a dialect of the one table.
"""

from __future__ import annotations

from pcnmo.contracts.base import Column, Dialect, Freshness, Kind, Source, TableContract

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

EMIS_DATES = ("%d/%m/%Y",)
SYSTMONE_DATES = ("%d-%b-%Y",)


def _clinical_dialects(entity: str) -> tuple[Dialect, ...]:
    return (
        Dialect(
            name="emis",
            label="EMIS Web",
            file_pattern=rf"EMIS_(?P<practice>[A-Z][0-9]{{5}})_{entity}_(?P<yyyymm>[0-9]{{6}})\.csv",
            date_formats=EMIS_DATES,
            example_file=f"EMIS_A12345_{entity}_202609.csv",
        ),
        Dialect(
            name="systmone",
            label="SystmOne",
            file_pattern=rf"S1_(?P<practice>[A-Z][0-9]{{5}})_{entity}_(?P<yyyymm>[0-9]{{6}})\.csv",
            date_formats=SYSTMONE_DATES,
            example_file=f"S1_A12345_{entity}_202609.csv",
        ),
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
    columns=(
        _practice_from_file_name(),
        _nhs_number(),
        Column(
            "date_of_birth",
            Kind.DATE,
            "Date of birth.",
            headers={"emis": "Date of Birth", "systmone": "Date of birth"},
            pii=True,
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
            "Latest electronic Frailty Index score, 0-1; blank if never calculated.",
            headers={"emis": "eFI Score", "systmone": "eFI"},
            required=False,
            minimum=0,
            maximum=1,
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
            "Numeric value for results (eFI, eGFR, lithium level); blank otherwise.",
            headers={"emis": "Value", "systmone": "Numeric value"},
            required=False,
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
