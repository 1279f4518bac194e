"""NHSBSA open data: the English Prescribing Dataset, read exactly as published (in either of
the layouts NHSBSA has used, plain or zipped).

Both layouts are named `EPD_<yyyymm>` or `EPD_SNOMED_<yyyymm>` and the header decides which one a
file is: the EPD-with-SNOMED dataset kept the legacy column names until February 2025, with
`SNOMED_CODE` as a 27th column, and renamed them from March 2025.
"""

from __future__ import annotations

from pcnmo.contracts.base import (
    Column,
    Dialect,
    Freshness,
    Kind,
    OutOfScope,
    Source,
    TableContract,
)

SOURCE = Source(
    name="nhsbsa",
    description="NHSBSA open data: the English Prescribing Dataset.",
    freshness=Freshness(
        warn_after_days=45,
        error_after_days=75,
        why="The EPD is published about two months in arrears and its publication day drifts "
        "by a week or so from month to month, so allow 45 days before warning; error when two "
        "releases are missed.",
    ),
)

_EPD_FILE = r"EPD(_SNOMED)?_(?P<yyyymm>[0-9]{6})\.(csv|zip)"

EPD_LEGACY = Dialect(
    name="epd",
    label="EPD, BNF_CODE layout",
    file_pattern=_EPD_FILE,
    date_formats=("%Y%m", "%Y_%m", "%Y-%m", "%Y-%m-%d"),
    example_file="EPD_SNOMED_202409.csv",
    covers="the retired English Prescribing Dataset, `EPD_<yyyymm>` (January 2014 to June "
    "2025; its predecessor, Detailed Prescribing Information, has the same names with "
    "AREA_TEAM columns), and the EPD with SNOMED code, `EPD_SNOMED_<yyyymm>`, from November "
    "2020 to February 2025, whose 27th column is SNOMED_CODE. YEAR_MONTH is a number "
    "(202409; 2017_09 in the oldest extracts).",
)
EPD_SNOMED = Dialect(
    name="epd_snomed",
    label="EPD with SNOMED code, BNF_PRESENTATION_CODE layout",
    file_pattern=_EPD_FILE,
    date_formats=("%Y-%m", "%Y%m", "%Y_%m", "%Y-%m-%d"),
    example_file="EPD_SNOMED_202609.csv",
    covers="the EPD with SNOMED code, `EPD_SNOMED_<yyyymm>`, from March 2025: the columns "
    "renamed (BNF_PRESENTATION_CODE, BNF_PRESENTATION_NAME, BNF_CHEMICAL_SUBSTANCE_CODE, "
    "ADQ_USAGE) and YEAR_MONTH written 2025-03.",
)

EPD = TableContract(
    source="nhsbsa",
    name="epd",
    description="One row per practice x BNF presentation x pack quantity as published in the "
    "NHSBSA English Prescribing Dataset for the month (not unique: always aggregate).",
    delivered_by="NHSBSA Open Data Portal, monthly, about two months in arrears",
    dialects=(EPD_LEGACY, EPD_SNOMED),
    key=None,
    row_identity=("year_month", "practice_code", "bnf_code"),
    formats=("csv", "zip"),
    encodings=("utf-8", "cp1252"),
    scope_column="practice_code",
    # Prescribing no practice can be held to, as OpenPrescribing drops it too.
    never_in_scope=OutOfScope(
        pattern=r"-|.*998",
        what="unidentified prescribers (PRACTICE_CODE '-', or a code ending 998)",
    ),
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
            "dm+d / SNOMED code of the product (EPD with SNOMED code only). NHSBSA published it "
            "as a number until 20 May 2026: a trailing '.0' is dropped, and a code written in E "
            "notation (6.94311E+14, by Excel) cannot be recovered, so it is blanked and counted "
            "in the ingestion log; the row and its cost are kept. Re-download such a file.",
            headers="SNOMED_CODE",
            required=False,
            blank_if_invalid=True,
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
