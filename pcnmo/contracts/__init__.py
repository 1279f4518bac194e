"""The extract contracts: what every inbox file must look like, one module per source.

Every reader, the synthetic generator, `docs/extracts.md` and the dbt sources YAML are driven
by these declarations (the last two are generated from them by `pcnmo docs`), so the published
specification and the code that enforces it cannot drift apart.

A table may arrive in several *dialects*: EMIS Web and SystmOne write the same clinical
content with their own file names, headers, date formats and code spellings; NHSBSA has
published the EPD in more than one layout. Each dialect maps its own header to the one raw
column, and the loader works out the dialect from the file name and the header row.

Import from here (`from pcnmo.contracts import EPD, Kind`): the types live in
`pcnmo.contracts.base`, the tables in `clinical`, `nhsbsa`, `nhsd`, `ods` and `local`.
"""

from __future__ import annotations

from collections.abc import Mapping

from pcnmo.contracts import clinical, local, nhsbsa, nhsd, ods
from pcnmo.contracts.base import (
    DUCKDB_TYPES,
    FLAG_VALUES,
    PATTERN_HELP,
    PATTERNS,
    RAW_METADATA_COLUMNS,
    Column,
    Dialect,
    Freshness,
    Kind,
    OutOfScope,
    Search,
    Source,
    TableContract,
    human_date_format,
    normalise_label,
)
from pcnmo.contracts.clinical import CLINICAL_EVENTS, DISCHARGES, MEDICATION_ISSUES, PATIENTS
from pcnmo.contracts.local import (
    ALERT_TITLES,
    ALERT_TYPES,
    ARRS_ROLE_SPELLINGS,
    ARRS_ROLES,
    HARM_LEVELS,
    PINCER_ACTIONS,
    PINCER_INDICATORS,
    SAFETY_ALERTS,
    SAFETY_CULTURE_AUDITS,
    SAFETY_INCIDENTS,
    SEA_THEMES,
    SIGNIFICANT_EVENTS,
    SUPERVISION_LOG,
    SUPERVISION_TYPES,
    SWITCH_PROGRAMMES,
    TITRATION_CLINICS,
    WORKFORCE,
)
from pcnmo.contracts.nhsbsa import EPD, EPD_LEGACY, EPD_SNOMED
from pcnmo.contracts.nhsd import LIST_SIZES
from pcnmo.contracts.ods import EPCN_MEMBERS, EPCN_PCNS, EPRACCUR

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

# In the order docs/extracts.md lists them.
SOURCES: Mapping[str, Source] = {
    module.SOURCE.name: module.SOURCE for module in (clinical, nhsbsa, nhsd, ods, local)
}


def contract(source: str, name: str) -> TableContract:
    for table in CONTRACTS:
        if table.source == source and table.name == name:
            return table
    raise KeyError(f"no contract for {source}.{name}")


__all__ = [
    "ALERT_TITLES",
    "ALERT_TYPES",
    "ARRS_ROLES",
    "ARRS_ROLE_SPELLINGS",
    "CLINICAL_EVENTS",
    "CONTRACTS",
    "DISCHARGES",
    "DUCKDB_TYPES",
    "EPCN_MEMBERS",
    "EPCN_PCNS",
    "EPD",
    "EPD_LEGACY",
    "EPD_SNOMED",
    "EPRACCUR",
    "FLAG_VALUES",
    "HARM_LEVELS",
    "LIST_SIZES",
    "MEDICATION_ISSUES",
    "PATIENTS",
    "PATTERNS",
    "PATTERN_HELP",
    "PINCER_ACTIONS",
    "PINCER_INDICATORS",
    "RAW_METADATA_COLUMNS",
    "SAFETY_ALERTS",
    "SAFETY_CULTURE_AUDITS",
    "SAFETY_INCIDENTS",
    "SEA_THEMES",
    "SIGNIFICANT_EVENTS",
    "SOURCES",
    "SUPERVISION_LOG",
    "SUPERVISION_TYPES",
    "SWITCH_PROGRAMMES",
    "TITRATION_CLINICS",
    "WORKFORCE",
    "Column",
    "Dialect",
    "Freshness",
    "Kind",
    "OutOfScope",
    "Search",
    "Source",
    "TableContract",
    "contract",
    "human_date_format",
    "normalise_label",
]
