"""The practice drill-down: one sheet per KPI family, each PCN's row followed by its practices'
rows (grouped, so a reader can fold a PCN's practices away), every KPI of the family across,
suppressed and RAG-coloured as on the Overview."""

from __future__ import annotations

from typing import Any

from reports import kpis
from reports.icb_comparator.figures import Figure, Icb, Period
from reports.icb_comparator.overview import write_figure
from reports.xlsx import Sheet, print_on_a4_landscape

ORG_WIDTH = 34
FIGURE_WIDTH = 11


def write_practice_sheet(
    sheet: Sheet,
    the_icb: Icb,
    period: Period,
    family: str,
    definitions: list[dict[str, Any]],
    figures: dict[tuple[str, str], Figure],
) -> None:
    formats = sheet.formats
    family_definitions = [d for d in definitions if d["family"] == family]
    last_col = len(family_definitions)
    sheet.merge(
        0, 0, 0, last_col, f"{kpis.FAMILIES[family]} by practice, {period.label}", formats.title
    )
    sheet.merge(
        1,
        0,
        1,
        last_col,
        "Each PCN (bold) and then its practices; the outline buttons fold a PCN's practices "
        "away. A PCN with no data for the family is listed without its practices. Small "
        "numbers suppressed (*).",
        formats.subtitle,
    )
    header = 3
    sheet.write(header, 0, "PCN or practice", formats.header)
    for col, definition in enumerate(family_definitions, start=1):
        sheet.write(header, col, kpis.label(definition), formats.header)
        sheet.cap_width(col, FIGURE_WIDTH)
    sheet.cap_width(0, ORG_WIDTH)
    row = header
    for pcn in the_icb.pcns:
        row += 1
        sheet.write(
            row,
            0,
            f"{pcn.code} {the_icb.name_of(pcn.code)}",
            formats.get(bold=True, text_wrap=True, valign="top"),
        )
        for col, definition in enumerate(family_definitions, start=1):
            write_figure(sheet, row, col, figures[(pcn.code, definition["kpi_id"])], bold=True)
        if all(figures[(pcn.code, d["kpi_id"])].status == kpis.NO_DATA for d in family_definitions):
            # Nothing held for the PCN in this family (no clinical extracts): its practices
            # would add only rows of 'no data'.
            continue
        for code, _ in pcn.practices:
            row += 1
            sheet.write(row, 0, f"    {code} {the_icb.name_of(code)}", formats.wrap)
            for col, definition in enumerate(family_definitions, start=1):
                figure = figures.get((code, definition["kpi_id"]))
                if figure is not None:
                    write_figure(sheet, row, col, figure)
            sheet.set_level(row, 1)
    worksheet = sheet.worksheet
    worksheet.freeze_panes(header + 1, 1)
    print_on_a4_landscape(worksheet)
    worksheet.repeat_rows(header)
