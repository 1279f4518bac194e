"""NHS England Organisation Data Service: ePCN membership and practice details, read exactly as
published: the ePCN workbook (or its sheets saved as CSV), and the CSV reports of ODS Data
Search and Export (DSE), which come zipped and without a header row unless an export "with
headers" was asked for."""

from __future__ import annotations

from pcnmo.contracts.base import Column, Dialect, Freshness, Kind, Source, TableContract

SOURCE = Source(
    name="ods",
    description="NHS England Organisation Data Service: ePCN membership and practice details.",
    freshness=Freshness(
        warn_after_days=35,
        error_after_days=70,
        why="ePCN is republished monthly; epraccur only monthly or quarterly (table override "
        "below).",
    ),
)

_EPCN_DATES = ("%Y%m%d", "%Y-%m-%d", "%d/%m/%Y")
_EPCN_WORKBOOK = (
    "the ODS ePCN workbook every month since 2019: ePCN.xlsx, downloaded as epcn.zip, which is "
    "read directly (header cells broken over lines are matched by their words)."
)


def _dse_dialect(report: str, sheet: str) -> Dialect:
    return Dialect(
        name="dse",
        label=f"Data Search and Export report {report} (no header row)",
        file_pattern=rf"{report}\.(csv|zip)",
        date_formats=_EPCN_DATES,
        example_file=f"{report}.zip",
        headerless=True,
        covers=f"the ODS Data Search and Export predefined report `{report}`: the columns of "
        f"the ePCN sheet {sheet} in the same order, no header row (a header row, from an "
        "export pack 'with headers', is recognised and skipped); a zip holding one CSV.",
    )


EPCN_PCNS = TableContract(
    source="ods",
    name="epcn_pcns",
    description="One row per Primary Care Network in the ODS ePCN release (sheet PCNDetails).",
    delivered_by="NHS England ODS, monthly (ePCN.xlsx, zipped as epcn.zip or not, its sheet "
    "saved as CSV, or the Data Search and Export report)",
    dialects=(
        Dialect(
            name="xlsx",
            label="ePCN.xlsx, sheet PCNDetails",
            file_pattern=r"ePCN.*\.xlsx",
            date_formats=_EPCN_DATES,
            example_file="ePCN.xlsx",
            covers=_EPCN_WORKBOOK,
        ),
        Dialect(
            name="csv",
            label="PCNDetails sheet as CSV",
            file_pattern=r"epcn.*pcn_details.*\.csv",
            date_formats=_EPCN_DATES,
            example_file="epcn_pcn_details.csv",
        ),
        _dse_dialect("epcn", "PCNDetails"),
    ),
    key=("pcn_code",),
    formats=("csv", "xlsx", "zip"),
    encodings=("utf-8", "cp1252"),
    sheet="PCNDetails",
    single_file=True,
    columns=(
        Column("pcn_code", Kind.PCN_CODE, "PCN ODS code.", headers="PCN Code", position=1),
        Column("pcn_name", Kind.TEXT, "PCN name.", headers="PCN Name", position=2),
        Column(
            "sub_icb_location_code",
            Kind.ODS_CODE,
            "Current parent sub-ICB location code.",
            headers="Current Sub ICB Loc Code",
            position=3,
        ),
        Column(
            "sub_icb_location_name",
            Kind.TEXT,
            "Sub-ICB location name ('NHS <ICB name> ICB - <code>').",
            headers="Sub ICB Location",
            position=4,
        ),
        Column("open_date", Kind.DATE, "Date the PCN opened.", headers="Open Date", position=5),
        Column(
            "close_date",
            Kind.DATE,
            "Date the PCN closed.",
            headers="Close Date",
            required=False,
            future_ok=True,
            position=6,
        ),
        Column("postcode", Kind.TEXT, "Postcode.", headers="Postcode", required=False, position=12),
    ),
)

EPCN_MEMBERS = TableContract(
    source="ods",
    name="epcn_members",
    description="One row per practice-to-PCN relationship (with start and end dates) in the ODS "
    "ePCN release (sheet PCN Core Partner Details).",
    delivered_by="NHS England ODS, monthly (ePCN.xlsx, zipped as epcn.zip or not, its sheet "
    "saved as CSV, or the Data Search and Export report)",
    dialects=(
        Dialect(
            name="xlsx",
            label="ePCN.xlsx, sheet PCN Core Partner Details",
            file_pattern=r"ePCN.*\.xlsx",
            date_formats=_EPCN_DATES,
            example_file="ePCN.xlsx",
            covers=_EPCN_WORKBOOK,
        ),
        Dialect(
            name="csv",
            label="PCN Core Partner Details sheet as CSV",
            file_pattern=r"epcn.*core_partner_details.*\.csv",
            date_formats=_EPCN_DATES,
            example_file="epcn_core_partner_details.csv",
        ),
        _dse_dialect("epcncorepartnerdetails", "PCN Core Partner Details"),
    ),
    key=("practice_code", "pcn_code", "relationship_start_date"),
    formats=("csv", "xlsx", "zip"),
    encodings=("utf-8", "cp1252"),
    sheet="PCN Core Partner Details",
    single_file=True,
    columns=(
        Column(
            "practice_code",
            Kind.ODS_CODE,
            "Practice ODS code.",
            headers="Partner Organisation Code",
            position=1,
        ),
        Column("practice_name", Kind.TEXT, "Practice name.", headers="Partner Name", position=2),
        Column(
            "practice_sub_icb_location_code",
            Kind.ODS_CODE,
            "Practice's parent sub-ICB location code.",
            headers="Practice Parent Sub ICB Loc Code",
            position=3,
        ),
        Column(
            "practice_sub_icb_location_name",
            Kind.TEXT,
            "Practice's parent sub-ICB location name.",
            headers="Practice Parent Sub ICB Loc Name",
            position=4,
        ),
        Column("pcn_code", Kind.PCN_CODE, "PCN ODS code.", headers="PCN Code", position=5),
        Column("pcn_name", Kind.TEXT, "PCN name.", headers="PCN Name", position=6),
        Column(
            "relationship_start_date",
            Kind.DATE,
            "First day of membership.",
            headers="Practice to PCN Relationship Start Date",
            position=9,
        ),
        Column(
            "relationship_end_date",
            Kind.DATE,
            "Last day of membership; blank while current.",
            headers="Practice to PCN Relationship End Date",
            required=False,
            future_ok=True,
            position=10,
        ),
    ),
)

EPRACCUR = TableContract(
    source="ods",
    name="epraccur",
    description="One row per prescribing cost centre in the ODS epraccur file (GP practices "
    "and other settings), published without a header row (one exported with headers has it "
    "skipped).",
    delivered_by="NHS England ODS, monthly or quarterly",
    freshness=Freshness(
        warn_after_days=100,
        error_after_days=190,
        why="Quarterly at worst: warn after a missed quarter, error after two.",
    ),
    dialects=(
        Dialect(
            name="epraccur",
            label="epraccur (27 columns, no header)",
            file_pattern=r"epraccur.*\.(csv|zip)",
            date_formats=("%Y%m%d",),
            example_file="epraccur.csv",
            headerless=True,
            covers="every epraccur release: the legacy download and, the only source since "
            "2025, the ODS Data Search and Export predefined report `epraccur` (a zip holding "
            "one CSV; an export 'with headers' has its header row skipped). Since June 2025 "
            "column 4 is the ICB the practice's postcode lies in, no longer the commissioner's.",
        ),
    ),
    key=("organisation_code",),
    formats=("csv", "zip"),
    encodings=("utf-8", "cp1252"),
    single_file=True,
    columns=(
        Column("organisation_code", Kind.ODS_CODE, "Organisation code.", position=1),
        Column("name", Kind.TEXT, "Name.", position=2),
        Column("national_grouping", Kind.TEXT, "NHS England region code.", position=3),
        Column(
            "high_level_health_geography",
            Kind.TEXT,
            "High level health geography: since June 2025 the ICB the practice's postcode lies "
            "in, which near a border need not be its commissioning ICB (earlier releases derived "
            "it from the commissioner; before 2019 it held the area team). Staging calls it "
            "geographic_icb_code; the practice's ICB comes from its PCN.",
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
            "Commissioner: the practice's sub-ICB location code.",
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
