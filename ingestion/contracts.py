"""The extract contracts: what every inbox file must look like, in one place.

Every reader, the synthetic generator, `docs/extracts.md` and the dbt source definitions are
driven by (or tested against) these declarations, so the published specification and the
code that enforces it cannot drift apart.

A table may arrive in several *dialects*: EMIS Web and SystmOne write the same clinical
content with their own file names, headers, date formats and code spellings; NHSBSA has
published the EPD in more than one layout. Each dialect maps its own header to the one raw
column, and the loader works out the dialect from the file name and the header row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a value is validated, and the DuckDB type it lands as in the raw table."""

    TEXT = "text"
    FREE_TEXT = "free_text"  # narrative typed by staff: NHS-number-like digit runs are redacted
    CODE = "code"  # one of `accepted`, compared case-insensitively, stored as delivered
    FLAG = "flag"  # yes/no in any of the usual spellings, stored as delivered
    INTEGER = "integer"
    DECIMAL = "decimal"
    MONEY = "money"  # pounds; DECIMAL so sums are exact
    DATE = "date"
    MONTH = "month"  # a reporting month, must equal the inbox month
    NHS_NUMBER = "nhs_number"  # modulus-11 checked, then replaced by a keyed hash
    SNOMED = "snomed"  # SNOMED CT or dm+d concept id
    PRACTICE_CODE = "practice_code"  # ODS GP practice / prescribing cost centre code
    PCN_CODE = "pcn_code"
    ODS_CODE = "ods_code"  # any other ODS organisation code
    BNF_CODE = "bnf_code"


DUCKDB_TYPES: Mapping[Kind, str] = {
    Kind.INTEGER: "BIGINT",
    Kind.DECIMAL: "DOUBLE",
    Kind.MONEY: "DECIMAL(18, 5)",
    Kind.DATE: "DATE",
    Kind.MONTH: "DATE",
}

FLAG_VALUES = ("Y", "N", "Yes", "No", "True", "False", "1", "0")

# Patterns are anchored by the loader. Practice codes are letter + 5 digits (A81001, Y00327);
# PCN codes are U + 5 digits; other ODS codes (trusts, sub-ICBs, ICBs) are 3-6 alphanumerics.
PATTERNS: Mapping[Kind, str] = {
    Kind.SNOMED: r"[1-9][0-9]{5,17}",
    Kind.PRACTICE_CODE: r"[A-Z][0-9]{5}",
    Kind.PCN_CODE: r"U[0-9]{5}",
    Kind.ODS_CODE: r"[A-Z0-9]{3,6}",
    Kind.BNF_CODE: r"[0-9]{2}[0-9A-Z]{7,13}",
}

PATTERN_HELP: Mapping[Kind, str] = {
    Kind.SNOMED: "a SNOMED CT / dm+d concept id (6-18 digits)",
    Kind.PRACTICE_CODE: "an ODS practice code (a letter and 5 digits, e.g. A81001)",
    Kind.PCN_CODE: "an ODS PCN code (U and 5 digits, e.g. U12345)",
    Kind.ODS_CODE: "an ODS organisation code (3-6 letters or digits)",
    Kind.BNF_CODE: "a BNF code (e.g. 0212000B0AAABAB)",
}


def human_date_format(strptime_format: str) -> str:
    """`%d/%m/%Y` as a person writes it: `dd/mm/yyyy`."""
    for code, shown in (
        ("%d", "dd"),
        ("%m", "mm"),
        ("%Y", "yyyy"),
        ("%y", "yy"),
        ("%b", "Mon"),
        ("%H:%M:%S", "hh:mm:ss"),
    ):
        strptime_format = strptime_format.replace(code, shown)
    return strptime_format


@dataclass(frozen=True)
class Dialect:
    """One way a table can arrive: its file name, date spelling and (per column) headers."""

    name: str
    label: str
    file_pattern: str  # regex on the file name; named groups practice, pcn, yyyymm fill columns
    date_formats: tuple[str, ...]  # strptime formats; the first is the documented one
    example_file: str

    def match(self, file_name: str) -> re.Match[str] | None:
        return re.fullmatch(self.file_pattern, file_name, flags=re.IGNORECASE)


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    description: str
    headers: Mapping[str, str] | str | None = None  # dialect -> header, or one header for all
    required: bool = True
    accepted: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    from_file_name: str | None = None  # value taken from this named group of the file name
    position: int | None = None  # 1-based column number, for files published without a header
    date_formats: tuple[str, ...] = ()  # overrides the dialect's formats for this column
    future_ok: bool = False  # dates may fall after the reporting month (planned end dates)
    # The date must not fall before the reporting month, unless the named date column of the
    # same row falls within it: a medication issue from an earlier month is accepted only as
    # the re-delivery that shows its repeat template ended this month.
    in_month_unless: str | None = None

    def __post_init__(self) -> None:
        # A yes/no column accepts the usual spellings; only a code column lists its own.
        if self.kind is Kind.FLAG and not self.accepted:
            object.__setattr__(self, "accepted", FLAG_VALUES)

    def header(self, dialect: str) -> str | None:
        if self.headers is None or isinstance(self.headers, str):
            return self.headers
        return self.headers.get(dialect)

    @property
    def raw_name(self) -> str:
        """NHS numbers never land: the raw table holds the pseudonym instead."""
        return "patient_id" if self.kind is Kind.NHS_NUMBER else self.name

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES.get(self.kind, "VARCHAR")


@dataclass(frozen=True)
class TableContract:
    source: str
    name: str
    description: str  # starts with the grain
    delivered_by: str
    dialects: tuple[Dialect, ...]
    columns: tuple[Column, ...]
    # Natural key for duplicate detection; empty means "an exact repeat of an earlier row".
    # None switches the check off (the EPD legitimately repeats practice x presentation).
    key: tuple[str, ...] | None = ()
    formats: tuple[str, ...] = ("csv",)
    encodings: tuple[str, ...] = ("utf-8",)
    sheet: str | None = None  # xlsx sheet to read
    headerless: bool = False
    # National files carry every organisation in England: keep only practices in scope.
    scope_column: str | None = None
    snapshot: bool = False  # each delivery is the whole log to date, not just the month
    single_file: bool = False  # published once a month: a second file would double count

    @property
    def raw_schema(self) -> str:
        return f"raw_{self.source}"

    @property
    def qualified_name(self) -> str:
        return f"{self.raw_schema}.{self.name}"

    @property
    def asset_key(self) -> tuple[str, str]:
        return (self.source, self.name)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.qualified_name} has no column {name!r}")

    def dialect(self, name: str) -> Dialect:
        for dialect in self.dialects:
            if dialect.name == name:
                return dialect
        raise KeyError(f"{self.qualified_name} has no dialect {name!r}")


# Metadata every raw table carries, in this order, after the contract's own columns.
RAW_METADATA_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("_month", "DATE", "Reporting month (first day) of the inbox folder the row was loaded from."),
    ("_source_file", "VARCHAR", "Name of the delivered file."),
    ("_source_row", "BIGINT", "Row number in the delivered file (the header is row 1)."),
    ("_dialect", "VARCHAR", "Which layout the file was read as (e.g. emis, systmone)."),
    ("_loaded_at", "TIMESTAMP", "When the row was loaded (UTC)."),
)


# --------------------------------------------------------------------------------------------
# Clinical system extracts: per practice, per month, EMIS Web or SystmOne.
# --------------------------------------------------------------------------------------------

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

# --------------------------------------------------------------------------------------------
# Public files, read exactly as published.
# --------------------------------------------------------------------------------------------

EPD_LEGACY = Dialect(
    name="epd",
    label="EPD / Detailed Prescribing Information (BNF_CODE layout, 2014 onwards)",
    file_pattern=r"EPD_(?P<yyyymm>[0-9]{6})\.csv",
    date_formats=("%Y%m", "%Y_%m", "%Y-%m", "%Y-%m-%d"),
    example_file="EPD_202609.csv",
)
EPD_SNOMED = Dialect(
    name="epd_snomed",
    label="EPD with SNOMED code (BNF_PRESENTATION_CODE layout)",
    file_pattern=r"EPD(_SNOMED)?_(?P<yyyymm>[0-9]{6})\.csv",
    date_formats=("%Y-%m", "%Y%m", "%Y_%m", "%Y-%m-%d"),
    example_file="EPD_SNOMED_202609.csv",
)

EPD = TableContract(
    source="nhsbsa",
    name="epd",
    description="One row per practice x BNF presentation x pack quantity as published in the "
    "NHSBSA English Prescribing Dataset for the month (not unique: always aggregate).",
    delivered_by="NHSBSA Open Data Portal, monthly, about two months in arrears",
    dialects=(EPD_LEGACY, EPD_SNOMED),
    key=None,
    encodings=("utf-8", "latin-1"),
    scope_column="practice_code",
    single_file=True,
    columns=(
        Column("year_month", Kind.MONTH, "Dispensing month.", headers="YEAR_MONTH"),
        Column("practice_code", Kind.ODS_CODE, "Prescribing cost centre.", headers="PRACTICE_CODE"),
        Column("practice_name", Kind.TEXT, "Practice name.", headers="PRACTICE_NAME"),
        Column(
            "sub_icb_location_code",
            Kind.ODS_CODE,
            "PCO / sub-ICB location (formerly CCG) code.",
            headers="PCO_CODE",
            required=False,
        ),
        Column(
            "icb_code",
            Kind.ODS_CODE,
            "ICB code (layouts from 2022).",
            headers="ICB_CODE",
            required=False,
        ),
        Column(
            "chemical_substance_code",
            Kind.TEXT,
            "BNF chemical substance code (blank in some extracts).",
            headers={"epd": "BNF_CHEMICAL_SUBSTANCE", "epd_snomed": "BNF_CHEMICAL_SUBSTANCE_CODE"},
            required=False,
        ),
        Column(
            "bnf_code",
            Kind.BNF_CODE,
            "BNF presentation code.",
            headers={"epd": "BNF_CODE", "epd_snomed": "BNF_PRESENTATION_CODE"},
        ),
        Column(
            "bnf_description",
            Kind.TEXT,
            "BNF presentation name.",
            headers={"epd": "BNF_DESCRIPTION", "epd_snomed": "BNF_PRESENTATION_NAME"},
        ),
        Column(
            "snomed_code",
            Kind.SNOMED,
            "dm+d / SNOMED code of the product (EPD with SNOMED only).",
            headers={"epd_snomed": "SNOMED_CODE"},
            required=False,
        ),
        Column("quantity", Kind.DECIMAL, "Quantity per item.", headers="QUANTITY", minimum=0),
        Column("items", Kind.INTEGER, "Number of items dispensed.", headers="ITEMS"),
        Column(
            "total_quantity",
            Kind.DECIMAL,
            "QUANTITY x ITEMS.",
            headers="TOTAL_QUANTITY",
            required=False,
        ),
        Column(
            "adq_usage",
            Kind.DECIMAL,
            "Average daily quantities.",
            headers={"epd": "ADQUSAGE", "epd_snomed": "ADQ_USAGE"},
            required=False,
        ),
        Column("nic", Kind.MONEY, "Net ingredient cost (pounds).", headers="NIC"),
        Column(
            "actual_cost",
            Kind.MONEY,
            "Actual cost (pounds): NIC less discount plus allowances.",
            headers="ACTUAL_COST",
        ),
        Column(
            "unidentified",
            Kind.FLAG,
            "Prescriber not identified.",
            headers="UNIDENTIFIED",
            required=False,
        ),
    ),
)

LIST_SIZES = TableContract(
    source="nhsd",
    name="gp_list_sizes",
    description="One row per organisation x sex x 5-year age band (plus ALL totals) in NHS "
    "Digital's 'Patients Registered at a GP Practice' quinary-age file for the month.",
    delivered_by="NHS Digital, monthly",
    dialects=(
        Dialect(
            name="quinary",
            label="gp-reg-pat-prac-quin-age.csv",
            file_pattern=r"gp-reg-pat-prac-quin-age(_(?P<yyyymm>[0-9]{6}))?\.csv",
            date_formats=("%d%b%Y", "%d-%b-%y", "%d-%b-%Y", "%Y-%m-%d"),
            example_file="gp-reg-pat-prac-quin-age.csv",
        ),
    ),
    key=("org_type", "org_code", "sex", "age_group"),
    encodings=("utf-8", "latin-1"),
    single_file=True,
    columns=(
        Column("extract_date", Kind.DATE, "Date the list was extracted.", headers="EXTRACT_DATE"),
        Column(
            "org_type",
            Kind.TEXT,
            "Organisation type (GP rows are practices).",
            headers="ORG_TYPE",
        ),
        Column("org_code", Kind.ODS_CODE, "ODS code of the organisation.", headers="ORG_CODE"),
        Column("postcode", Kind.TEXT, "Postcode.", headers="POSTCODE", required=False),
        Column(
            "sex",
            Kind.CODE,
            "Sex.",
            headers="SEX",
            accepted=("MALE", "FEMALE", "ALL"),
        ),
        Column(
            "age_group",
            Kind.CODE,
            "Five-year age band (0_4 ... 90_94, 95+) or ALL.",
            headers="AGE_GROUP_5",
            accepted=(
                *(f"{lo}_{lo + 4}" for lo in range(0, 95, 5)),
                "95+",
                "ALL",
            ),
        ),
        Column(
            "number_of_patients",
            Kind.INTEGER,
            "Registered patients.",
            headers="NUMBER_OF_PATIENTS",
            minimum=0,
        ),
    ),
)

_EPCN_DATES = ("%Y%m%d", "%Y-%m-%d", "%d/%m/%Y")

EPCN_PCNS = TableContract(
    source="ods",
    name="epcn_pcns",
    description="One row per Primary Care Network in the ODS ePCN release (sheet PCNDetails).",
    delivered_by="NHS England ODS, monthly (ePCN.xlsx, or the sheet saved as CSV)",
    dialects=(
        Dialect(
            name="xlsx",
            label="ePCN.xlsx, sheet PCNDetails",
            file_pattern=r"ePCN.*\.xlsx",
            date_formats=_EPCN_DATES,
            example_file="ePCN.xlsx",
        ),
        Dialect(
            name="csv",
            label="PCNDetails sheet as CSV",
            file_pattern=r"epcn.*pcn_details.*\.csv",
            date_formats=_EPCN_DATES,
            example_file="epcn_pcn_details.csv",
        ),
    ),
    key=("pcn_code",),
    formats=("csv", "xlsx"),
    encodings=("utf-8", "latin-1"),
    sheet="PCNDetails",
    single_file=True,
    columns=(
        Column("pcn_code", Kind.PCN_CODE, "PCN ODS code.", headers="PCN Code"),
        Column("pcn_name", Kind.TEXT, "PCN name.", headers="PCN Name"),
        Column(
            "sub_icb_location_code",
            Kind.ODS_CODE,
            "Current parent sub-ICB location code.",
            headers="Current Sub ICB Loc Code",
        ),
        Column(
            "sub_icb_location_name",
            Kind.TEXT,
            "Sub-ICB location name ('NHS <ICB name> ICB - <code>').",
            headers="Sub ICB Location",
        ),
        Column("open_date", Kind.DATE, "Date the PCN opened.", headers="Open Date"),
        Column(
            "close_date",
            Kind.DATE,
            "Date the PCN closed.",
            headers="Close Date",
            required=False,
            future_ok=True,
        ),
        Column("postcode", Kind.TEXT, "Postcode.", headers="Postcode", required=False),
    ),
)

EPCN_MEMBERS = TableContract(
    source="ods",
    name="epcn_members",
    description="One row per practice-to-PCN relationship (with start and end dates) in the ODS "
    "ePCN release (sheet PCN Core Partner Details).",
    delivered_by="NHS England ODS, monthly (ePCN.xlsx, or the sheet saved as CSV)",
    dialects=(
        Dialect(
            name="xlsx",
            label="ePCN.xlsx, sheet PCN Core Partner Details",
            file_pattern=r"ePCN.*\.xlsx",
            date_formats=_EPCN_DATES,
            example_file="ePCN.xlsx",
        ),
        Dialect(
            name="csv",
            label="PCN Core Partner Details sheet as CSV",
            file_pattern=r"epcn.*core_partner_details.*\.csv",
            date_formats=_EPCN_DATES,
            example_file="epcn_core_partner_details.csv",
        ),
    ),
    key=("practice_code", "pcn_code", "relationship_start_date"),
    formats=("csv", "xlsx"),
    encodings=("utf-8", "latin-1"),
    sheet="PCN Core Partner Details",
    single_file=True,
    columns=(
        Column(
            "practice_code",
            Kind.ODS_CODE,
            "Practice ODS code.",
            headers="Partner Organisation Code",
        ),
        Column("practice_name", Kind.TEXT, "Practice name.", headers="Partner Name"),
        Column(
            "practice_sub_icb_location_code",
            Kind.ODS_CODE,
            "Practice's parent sub-ICB location code.",
            headers="Practice Parent Sub ICB Loc Code",
        ),
        Column(
            "practice_sub_icb_location_name",
            Kind.TEXT,
            "Practice's parent sub-ICB location name.",
            headers="Practice Parent Sub ICB Loc Name",
        ),
        Column("pcn_code", Kind.PCN_CODE, "PCN ODS code.", headers="PCN Code"),
        Column("pcn_name", Kind.TEXT, "PCN name.", headers="PCN Name"),
        Column(
            "relationship_start_date",
            Kind.DATE,
            "First day of membership.",
            headers="Practice to PCN Relationship Start Date",
        ),
        Column(
            "relationship_end_date",
            Kind.DATE,
            "Last day of membership; blank while current.",
            headers="Practice to PCN Relationship End Date",
            required=False,
            future_ok=True,
        ),
    ),
)

EPRACCUR = TableContract(
    source="ods",
    name="epraccur",
    description="One row per prescribing cost centre in the ODS epraccur file (GP practices "
    "and other settings), published without a header row.",
    delivered_by="NHS England ODS, monthly or quarterly",
    dialects=(
        Dialect(
            name="epraccur",
            label="epraccur.csv (27 columns, no header)",
            file_pattern=r"epraccur.*\.csv",
            date_formats=("%Y%m%d",),
            example_file="epraccur.csv",
        ),
    ),
    key=("organisation_code",),
    encodings=("utf-8", "latin-1"),
    headerless=True,
    single_file=True,
    columns=(
        Column("organisation_code", Kind.ODS_CODE, "Organisation code.", position=1),
        Column("name", Kind.TEXT, "Name.", position=2),
        Column("national_grouping", Kind.TEXT, "NHS England region code.", position=3),
        Column(
            "high_level_health_geography",
            Kind.TEXT,
            "ICB code (earlier releases: area team).",
            position=4,
        ),
        Column("postcode", Kind.TEXT, "Postcode.", position=10, required=False),
        Column("open_date", Kind.DATE, "Open date.", position=11, required=False),
        Column("close_date", Kind.DATE, "Close date.", position=12, required=False),
        Column(
            "status_code",
            Kind.CODE,
            "A active, C closed, D dormant, P proposed.",
            position=13,
            accepted=("A", "C", "D", "P"),
        ),
        Column(
            "commissioner_code",
            Kind.TEXT,
            "Commissioner (sub-ICB location) code.",
            position=15,
            required=False,
        ),
        Column(
            "prescribing_setting",
            Kind.INTEGER,
            "Prescribing setting (4 = GP practice).",
            position=26,
            required=False,
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# Local logs kept by the Lead Pharmacist: CSV or xlsx, the whole log to date each month.
# --------------------------------------------------------------------------------------------

LOCAL_DATES = ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S")


def _local_dialect(log: str) -> tuple[Dialect, ...]:
    return (
        Dialect(
            name="local",
            label="Lead Pharmacist's log (CSV UTF-8 or xlsx, first sheet)",
            file_pattern=rf"{log}_(?P<pcn>U[0-9]{{5}})_(?P<yyyymm>[0-9]{{6}})\.(csv|xlsx)",
            date_formats=LOCAL_DATES,
            example_file=f"{log}_U12345_202609.xlsx",
        ),
    )


def _pcn_from_file_name() -> Column:
    return Column(
        "pcn_code",
        Kind.PCN_CODE,
        "PCN whose log this is (from the file name).",
        from_file_name="pcn",
    )


def _practice(required: bool = True) -> Column:
    return Column(
        "practice_code",
        Kind.PRACTICE_CODE,
        "ODS code of the practice the row concerns.",
        headers="Practice Code",
        required=required,
    )


def _local(name: str, description: str, key: tuple[str, ...], *columns: Column) -> TableContract:
    return TableContract(
        source="local",
        name=name,
        description=description,
        delivered_by="Lead Pharmacist, monthly (the whole log to date)",
        dialects=_local_dialect(name),
        key=("pcn_code", *key),
        formats=("csv", "xlsx"),
        snapshot=True,
        columns=(_pcn_from_file_name(), *columns),
    )


ALERT_TYPES = (
    "NatPSA",
    "MHRA Class 1",
    "MHRA Class 2",
    "MHRA Class 3",
    "MHRA Class 4",
    "Company-led",
    "Drug Safety Update",
)

SAFETY_ALERTS = _local(
    "safety_alerts",
    "One row per MHRA / National Patient Safety alert x practice in the PCN's alert log: "
    "received, triaged, actioned and closed.",
    ("alert_reference", "practice_code"),
    Column(
        "alert_reference",
        Kind.TEXT,
        "Alert reference (e.g. NatPSA/2026/001/MHRA).",
        headers="Alert Reference",
    ),
    Column("alert_title", Kind.TEXT, "Alert title.", headers="Title"),
    Column("alert_type", Kind.CODE, "Alert class.", headers="Alert Type", accepted=ALERT_TYPES),
    _practice(),
    Column("received_date", Kind.DATE, "Date the alert reached the PCN.", headers="Date Received"),
    Column(
        "deadline_date",
        Kind.DATE,
        "Alert-specific action deadline (NatPSAs).",
        headers="Deadline",
        required=False,
        future_ok=True,
    ),
    Column(
        "triage_outcome",
        Kind.CODE,
        "Whether the alert applies to the practice's patients.",
        headers="Triage Outcome",
        accepted=("Applicable", "Not applicable", "Pending"),
    ),
    Column(
        "patients_affected",
        Kind.INTEGER,
        "Patients identified by the search for the alert.",
        headers="Patients Affected",
        required=False,
        minimum=0,
    ),
    Column(
        "action_taken", Kind.FREE_TEXT, "What was done.", headers="Action Taken", required=False
    ),
    Column(
        "closed_date",
        Kind.DATE,
        "Date signed off as complete.",
        headers="Date Closed",
        required=False,
    ),
)

PINCER_INDICATORS = (
    "A",
    "B",
    "C",
    "D",
    "E",
    "F",
    "G",
    "I",
    "K",
    "AC",
    "ME_FBC",
    "ME_LFT",
    "LI",
    "AM",
)

PINCER_ACTIONS = _local(
    "pincer_actions",
    "One row per PINCER hazard the pharmacy team identified and worked, with the action taken.",
    ("nhs_number", "indicator", "identified_date"),
    _practice(),
    Column(
        "nhs_number",
        Kind.NHS_NUMBER,
        "Patient's NHS number (replaced by the keyed pseudonym on load).",
        headers="NHS Number",
    ),
    Column(
        "indicator",
        Kind.CODE,
        "PINCER indicator letter.",
        headers="Indicator",
        accepted=PINCER_INDICATORS,
    ),
    Column(
        "identified_date", Kind.DATE, "Date the hazard was identified.", headers="Date Identified"
    ),
    Column(
        "action",
        Kind.CODE,
        "Action taken.",
        headers="Action",
        required=False,
        accepted=(
            "Medicine stopped",
            "Gastroprotection added",
            "Monitoring arranged",
            "Dose changed",
            "Clinically justified",
            "Patient declined",
            "Other",
        ),
    ),
    Column(
        "action_date",
        Kind.DATE,
        "Date the action was completed.",
        headers="Date Actioned",
        required=False,
    ),
)

SEA_THEMES = (
    "Prescribing error",
    "Dispensing error",
    "Monitoring",
    "Transfer of care",
    "Communication",
    "Allergy",
    "Controlled drugs",
    "Other",
)

SIGNIFICANT_EVENTS = _local(
    "significant_events",
    "One row per significant event analysis (SEA) in the PCN's register.",
    ("sea_reference",),
    Column("sea_reference", Kind.TEXT, "SEA reference.", headers="SEA Reference"),
    _practice(),
    Column("event_date", Kind.DATE, "Date of the event.", headers="Event Date"),
    Column("raised_date", Kind.DATE, "Date the SEA was raised.", headers="Date Raised"),
    Column("theme", Kind.CODE, "Theme.", headers="Theme", accepted=SEA_THEMES),
    Column(
        "summary",
        Kind.FREE_TEXT,
        "What happened (no patient identifiers).",
        headers="Summary",
        required=False,
    ),
    Column(
        "completed_date",
        Kind.DATE,
        "Date the analysis was completed.",
        headers="Date Completed",
        required=False,
    ),
    Column(
        "learning_shared",
        Kind.FLAG,
        "Learning shared with the PCN.",
        headers="Learning Shared",
        required=False,
    ),
)

HARM_LEVELS = ("No harm", "Low harm", "Moderate harm", "Severe harm", "Fatal")

SAFETY_INCIDENTS = _local(
    "safety_incidents",
    "One row per prescribing safety incident reported (LFPSE or local).",
    ("incident_reference",),
    Column(
        "incident_reference", Kind.TEXT, "Local or LFPSE reference.", headers="Incident Reference"
    ),
    _practice(),
    Column("incident_date", Kind.DATE, "Date of the incident.", headers="Incident Date"),
    Column("reported_date", Kind.DATE, "Date reported.", headers="Date Reported"),
    Column(
        "category",
        Kind.CODE,
        "Stage of the medicines process.",
        headers="Category",
        accepted=("Prescribing", "Dispensing", "Administration", "Monitoring", "Other"),
    ),
    Column(
        "harm_level", Kind.CODE, "LFPSE harm level.", headers="Harm Level", accepted=HARM_LEVELS
    ),
    Column(
        "summary",
        Kind.FREE_TEXT,
        "What happened (no patient identifiers).",
        headers="Summary",
        required=False,
    ),
)

SAFETY_CULTURE_AUDITS = _local(
    "safety_culture_audits",
    "One row per safety culture audit run in a practice (annual).",
    ("practice_code", "audit_date", "tool"),
    _practice(),
    Column("audit_date", Kind.DATE, "Date the audit closed.", headers="Audit Date"),
    Column(
        "tool",
        Kind.CODE,
        "Audit tool.",
        headers="Tool",
        accepted=("PC-SafeQuest", "MaPSaF", "Other"),
    ),
    Column("respondents", Kind.INTEGER, "Staff who responded.", headers="Respondents", minimum=0),
    Column("score", Kind.DECIMAL, "Overall score.", headers="Score", minimum=0),
    Column("max_score", Kind.DECIMAL, "Highest possible score.", headers="Max Score", minimum=0),
)

SUPERVISION_TYPES = ("Clinical", "Clinic/practice", "Educational", "QA sampling")

SUPERVISION_LOG = _local(
    "supervision_log",
    "One row per supervision session (or SMR quality-assurance sample) for a member of the "
    "pharmacy workforce.",
    ("staff_id", "supervision_date", "supervision_type"),
    Column(
        "staff_id", Kind.TEXT, "Staff identifier used in the workforce record.", headers="Staff ID"
    ),
    Column("supervision_date", Kind.DATE, "Date of the session.", headers="Date"),
    Column(
        "supervision_type",
        Kind.CODE,
        "Type of supervision.",
        headers="Type",
        accepted=SUPERVISION_TYPES,
    ),
    Column(
        "supervisor_staff_id",
        Kind.TEXT,
        "Staff ID of the supervisor.",
        headers="Supervisor Staff ID",
    ),
    Column(
        "records_sampled",
        Kind.INTEGER,
        "SMR records sampled (QA sampling).",
        headers="Records Sampled",
        required=False,
        minimum=0,
    ),
)

ARRS_ROLES = (
    "Lead Pharmacist",
    "Senior Clinical Pharmacist",
    "Clinical Pharmacist",
    "Pharmacy Technician",
    "First Contact Physiotherapist",
    "Social Prescribing Link Worker",
    "Health and Wellbeing Coach",
    "Care Coordinator",
    "Other",
)

WORKFORCE = _local(
    "workforce",
    "One row per member of the PCN's workforce record (ARRS and other roles).",
    ("staff_id",),
    Column("staff_id", Kind.TEXT, "Staff identifier.", headers="Staff ID"),
    Column("role", Kind.CODE, "Role.", headers="Role", accepted=ARRS_ROLES),
    Column(
        "is_arrs_funded",
        Kind.FLAG,
        "Funded through ARRS.",
        headers="ARRS Funded",
    ),
    Column("wte", Kind.DECIMAL, "Whole-time equivalent.", headers="WTE", minimum=0, maximum=1.5),
    # A new starter is often on the record before their first day.
    Column("start_date", Kind.DATE, "Start in post.", headers="Start Date", future_ok=True),
    Column("end_date", Kind.DATE, "Left post.", headers="End Date", required=False, future_ok=True),
    Column(
        "base_practice_code",
        Kind.PRACTICE_CODE,
        "Main practice.",
        headers="Base Practice",
        required=False,
    ),
    Column(
        "registration_body",
        Kind.CODE,
        "Professional regulator.",
        headers="Registration Body",
        required=False,
        accepted=("GPhC", "HCPC", "NMC", "GMC", "None"),
    ),
    Column(
        "is_prescriber",
        Kind.FLAG,
        "Independent prescriber.",
        headers="Prescriber",
        required=False,
    ),
    Column(
        "cppe_pathway_status",
        Kind.CODE,
        "CPPE Primary Care Pharmacy Education Pathway.",
        headers="CPPE Pathway",
        required=False,
        accepted=("Enrolled", "Completed", "Exempt", "Not enrolled", "Not applicable"),
    ),
    Column(
        "supervisor_staff_id",
        Kind.TEXT,
        "Named clinical supervisor.",
        headers="Clinical Supervisor",
        required=False,
    ),
    Column(
        "supervision_interval_days",
        Kind.INTEGER,
        "Agreed maximum days between clinical supervision sessions.",
        headers="Supervision Interval Days",
        required=False,
        minimum=1,
    ),
    Column(
        "scope_of_practice_signed_date",
        Kind.DATE,
        "Scope of practice last signed off.",
        headers="Scope Signed Date",
        required=False,
    ),
    Column(
        "scope_of_practice_review_date",
        Kind.DATE,
        "Scope of practice review due.",
        headers="Scope Review Due",
        required=False,
        future_ok=True,
    ),
)

SWITCH_PROGRAMMES = _local(
    "switch_programmes",
    "One row per switch programme x practice: patients planned, switched to date, schedule.",
    ("programme_id", "practice_code"),
    Column("programme_id", Kind.TEXT, "Programme identifier.", headers="Programme ID"),
    Column("programme_name", Kind.TEXT, "Programme name.", headers="Programme"),
    _practice(),
    Column("start_date", Kind.DATE, "Planned start.", headers="Start Date", future_ok=True),
    Column(
        "planned_end_date",
        Kind.DATE,
        "Planned completion.",
        headers="Planned End Date",
        future_ok=True,
    ),
    Column(
        "patients_planned",
        Kind.INTEGER,
        "Patients to switch.",
        headers="Patients Planned",
        minimum=0,
    ),
    Column(
        "patients_switched",
        Kind.INTEGER,
        "Patients switched to date.",
        headers="Patients Switched",
        minimum=0,
    ),
    Column("as_at_date", Kind.DATE, "Date the counts were taken.", headers="As At"),
)

TITRATION_CLINICS = _local(
    "titration_clinics",
    "One row per long-term-condition titration clinic session run by the pharmacy team.",
    ("clinic_date", "practice_code", "condition", "staff_id"),
    Column("clinic_date", Kind.DATE, "Date of the clinic.", headers="Clinic Date"),
    _practice(),
    Column(
        "condition",
        Kind.CODE,
        "Condition.",
        headers="Condition",
        accepted=("HTN", "T2DM", "Lipids", "Respiratory"),
    ),
    Column("staff_id", Kind.TEXT, "Clinician running the clinic.", headers="Staff ID"),
    Column("patients_booked", Kind.INTEGER, "Appointments booked.", headers="Booked", minimum=0),
    Column("patients_seen", Kind.INTEGER, "Patients seen.", headers="Seen", minimum=0),
    Column(
        "dose_changes",
        Kind.INTEGER,
        "Patients with a dose titrated.",
        headers="Dose Changes",
        minimum=0,
    ),
)


CONTRACTS: tuple[TableContract, ...] = (
    PATIENTS,
    CLINICAL_EVENTS,
    MEDICATION_ISSUES,
    DISCHARGES,
    EPD,
    LIST_SIZES,
    EPCN_PCNS,
    EPCN_MEMBERS,
    EPRACCUR,
    SAFETY_ALERTS,
    PINCER_ACTIONS,
    SIGNIFICANT_EVENTS,
    SAFETY_INCIDENTS,
    SAFETY_CULTURE_AUDITS,
    SUPERVISION_LOG,
    WORKFORCE,
    SWITCH_PROGRAMMES,
    TITRATION_CLINICS,
)

SOURCES: Mapping[str, str] = {
    "clinical": "Clinical system extracts (EMIS Web and SystmOne searches), per practice.",
    "nhsbsa": "NHSBSA open data: the English Prescribing Dataset.",
    "nhsd": "NHS Digital open data: patients registered at a GP practice.",
    "ods": "NHS England Organisation Data Service: ePCN membership and practice details.",
    "local": "Logs kept by the PCN's Lead Pharmacist (CSV or xlsx).",
}


def contract(source: str, name: str) -> TableContract:
    for table in CONTRACTS:
        if table.source == source and table.name == name:
            return table
    raise KeyError(f"no contract for {source}.{name}")
