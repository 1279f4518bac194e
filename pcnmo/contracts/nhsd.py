"""NHS Digital open data: patients registered at a GP practice, read exactly as published."""

from __future__ import annotations

from pcnmo.contracts.base import Column, Dialect, Freshness, Kind, Source, TableContract

SOURCE = Source(
    name="nhsd",
    description="NHS Digital open data: patients registered at a GP practice.",
    freshness=Freshness(
        warn_after_days=35,
        error_after_days=70,
        why="NHS Digital publishes the registered-patients file monthly, early in the month.",
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
