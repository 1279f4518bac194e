"""The KPI sections of the return: cohort delivery (the SMR KPIs by DES cohort) and the family
sections, each a KPI table with the PCN first and then its practices."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reports.icb_return.rows import ReturnRow
from reports.icb_return.tables import LAST_COL, write_kpi_table
from reports.xlsx import Sheet

COHORT_PREFIX = "SMR cohort delivery"
# Where a KPI goes when the seed does not say (its report_section column): SMRs against target
# overall and by DES priority cohort; the family for safety and cost; the ARRS workforce.
FALLBACK_SECTIONS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "cohort_delivery": lambda d: (
        d["kpi_id"] in {"CA01", "CA02"} or str(d["name"]).startswith(COHORT_PREFIX)
    ),
    "prescribing_safety": lambda d: d["family"] == "prescribing_safety",
    "cost_outcome": lambda d: d["family"] == "cost",
    "supervision_evidence": lambda d: d["kpi_id"] in {"DA01", "DA02"},
}


def in_section(definition: dict[str, Any], section: str) -> bool:
    """Whether the KPI belongs on the return's `section` sheet: the seed's report_section."""
    if definition.get("report_section"):
        return definition["report_section"] == section
    return FALLBACK_SECTIONS[section](definition)


def ordered(rows: list[ReturnRow]) -> list[ReturnRow]:
    return sorted(rows, key=lambda r: (r.kpi_id, r.org_type != "pcn", r.org_code))


def write_kpi_section(sheet: Sheet, title: str, rows: list[ReturnRow], subtitle: str = "") -> int:
    formats = sheet.formats
    sheet.merge(0, 0, 0, LAST_COL, title, formats.title)
    first = 2
    if subtitle:
        sheet.merge(1, 0, 1, LAST_COL, subtitle, formats.subtitle)
    return write_kpi_table(sheet, first, ordered(rows))
