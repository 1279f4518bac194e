"""The Notes sheet: how the figures were made safe to share and how to read them."""

from __future__ import annotations

from reports.suppression import SMALL_NUMBER_MAX
from reports.xlsx import Sheet

NOTES = (
    "Small-number suppression follows the NHS Digital method for figures below national level: "
    f"a patient count of 0 stays 0; 1 to {SMALL_NUMBER_MAX} is shown as *; any other count is "
    "rounded to the nearest 5.",
    "A percentage, rate or mean is shown as * when its numerator or denominator is; otherwise it "
    "is worked out again from the rounded numerator and denominator, so it may differ slightly "
    "from the PCN's own dashboard.",
    "RAG is decided on the figure as shown, after that rounding, so a figure and its colour never "
    "disagree. The RAG of a suppressed figure is withheld.",
    "PCN figures are rounded on their own, not added up from the practices, so practices may not "
    "add up to the PCN.",
    "KPIs that are not about patients (pounds, audit scores, staff and alert counts) are shown as "
    "computed; the dashboard workbook's Definitions sheet says which KPIs are suppressed.",
    "Target basis: 'agreed' when the target was agreed with the ICB, 'default' when the warehouse "
    "set it from the cohort (no agreed target).",
    "Empty figures: 'nothing due' when the data arrived and nothing fell due in the quarter; "
    "'no data' when the data are missing.",
    "The CSV file beside this workbook holds the same figures, one row per organisation and KPI, "
    "for machines: suppressed figures are empty there, with suppressed = true.",
)
WIDTH = 120


def write_notes(sheet: Sheet) -> None:
    formats = sheet.formats
    sheet.write(0, 0, "Notes", formats.title)
    for row, note in enumerate(NOTES, start=2):
        sheet.write(row, 0, note, formats.wrap)
    sheet.set_width(0, WIDTH)
