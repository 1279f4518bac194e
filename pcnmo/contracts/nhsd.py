"""NHS Digital open data: patients registered at a GP practice, read exactly as published,
under the names NHS Digital has given the file, plain or zipped."""

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
            label="gp-reg-pat-prac-quin-age",
            # NHS Digital's names drift (OpenPrescribing: "an exciting variety of names"):
            # gp-reg-pat-prac-quin-age.csv, gp-reg-patients-prac-quin-age.csv, and from April
            # 2026 gp-reg-pat-prac-quin-age_V2.csv (a .zip of that name from May 2026).
            file_pattern=r"gp-reg-pat(ients)?-prac-quin-age(_(?P<yyyymm>[0-9]{6}))?"
            r"(_V[0-9]+)?\.(csv|zip)",
            date_formats=("%d%b%Y", "%d-%b-%y", "%d-%b-%Y", "%Y-%m-%d"),
            example_file="gp-reg-pat-prac-quin-age_V2.csv",
            covers="every month since 2017 (the columns have not changed; the data come from "
            "PDS, not NHAIS, from April 2024): `gp-reg-pat-prac-quin-age.csv` to March 2026, "
            "`gp-reg-pat-prac-quin-age_V2.csv` for April 2026 and `gp-reg-pat-prac-quin-age_V2"
            ".zip` from May 2026. EXTRACT_DATE is written 01SEP2017 or 01-Apr-17.",
        ),
    ),
    key=("org_type", "org_code", "sex", "age_group"),
    formats=("csv", "zip"),
    encodings=("utf-8", "cp1252"),
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
