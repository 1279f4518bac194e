"""The Definitions sheet: every KPI of seed kpi_definitions, one block of labelled, wrapped
paragraphs per KPI, so it prints legibly on A4 landscape pages (a table of sixteen columns
printed one column per page)."""

from __future__ import annotations

from typing import Any

from reports import kpis
from reports.names import readable
from reports.xlsx import Sheet, print_on_a4_landscape

FIELDS = (
    ("definition", "Definition"),
    ("numerator", "Numerator"),
    ("denominator", "Denominator"),
    ("period_grain", "Periods"),
    ("threshold_rationale", "Thresholds"),
    ("target_source", "Target"),
    ("source_data", "Source data"),
    ("des_qof_iif_link", "DES / QOF / IIF link"),
    ("why_it_matters", "Why it matters"),
)
LABEL_WIDTH = 20
TEXT_WIDTH = 120
PERIODS = {
    "month_quarter_fytd": "month, quarter and financial year to date",
    "month_quarter": "month and quarter",
    "financial_year_to_date": "financial year to date",
}


def _thresholds(definition: dict[str, Any]) -> str:
    green, amber = definition.get("rag_green_threshold"), definition.get("rag_amber_threshold")
    if green in (None, "") or amber in (None, ""):
        return "No RAG thresholds."
    lower = definition.get("direction") == "lower_is_better"
    word = "at or below" if lower else "at or above"
    return (
        f"Green {word} {kpis.value_text(float(green), definition)}, amber {word} "
        f"{kpis.value_text(float(amber), definition)}, red otherwise (decided on the figure as "
        "shown)."
    )


def write_definitions_sheet(sheet: Sheet, definitions: list[dict[str, Any]]) -> None:
    formats = sheet.formats
    sheet.merge(0, 0, 0, 1, "KPI definitions", formats.title)
    sheet.merge(
        1,
        0,
        1,
        1,
        "From the KPI dictionary (seed kpi_definitions): what each KPI counts, its thresholds "
        "and why it matters.",
        formats.subtitle,
    )
    sheet.set_width(0, LABEL_WIDTH)
    sheet.set_width(1, TEXT_WIDTH)
    label = formats.get(bold=True, valign="top", text_wrap=True)
    row = 3
    for definition in definitions:
        sheet.merge(row, 0, row, 1, kpis.label(definition), formats.section)
        lines = [
            ("Family", kpis.FAMILIES.get(definition["family"], definition["family"])),
            (
                "Unit",
                f"{kpis.unit_words(definition)}, "
                f"{kpis.DIRECTION_WORDS.get(definition['direction'], definition['direction'])}",
            ),
            ("RAG", _thresholds(definition)),
            (
                "Small numbers",
                "Suppressed in outputs that leave the PCN."
                if kpis.is_suppressed_kpi(definition)
                else "Not about patients: shown as computed in every output.",
            ),
        ]
        for key, name in FIELDS:
            value = definition.get(key)
            if key == "period_grain":
                value = PERIODS.get(str(value), str(value).replace("_", " "))
            if value not in (None, ""):
                lines.append((name, readable(str(value))))
        for offset, (name, text) in enumerate(lines, start=1):
            sheet.write(row + offset, 0, name, label)
            sheet.write(row + offset, 1, text, formats.wrap)
        row += len(lines) + 2
    print_on_a4_landscape(sheet.worksheet)
    sheet.worksheet.repeat_rows(0)
