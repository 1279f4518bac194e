"""The Overview sheet: every KPI (rows, by family) x every PCN of the ICB (columns), each
figure filled with its RAG colour, with the ICB median beside the KPI."""

from __future__ import annotations

from typing import Any

from reports import kpis
from reports.icb_comparator.figures import Figure, Icb, Period, median
from reports.icb_return.rows import WITHHELD
from reports.suppression import SUPPRESSED
from reports.xlsx import RAG_FILLS, Sheet, print_on_a4_landscape

NAME_WIDTH = 40
PCN_WIDTH = 13


def empty_words(figure: Figure) -> str:
    if figure.value == SUPPRESSED:
        return SUPPRESSED
    return kpis.STATUS_WORDS.get(figure.status, kpis.STATUS_WORDS[kpis.NOTHING_DUE])


def write_figure(sheet: Sheet, row: int, col: int, figure: Figure, **extra: Any) -> None:
    """A figure in its RAG colour; an empty or suppressed one in words, right-aligned."""
    fill, font = (
        RAG_FILLS.get(figure.rag, RAG_FILLS["no_rag"])
        if figure.rag != WITHHELD
        else RAG_FILLS["no_rag"]
    )
    colours = {"bg_color": fill, "font_color": font, **extra}
    if figure.is_number:
        sheet.write(
            row, col, figure.value, kpis.value_format(sheet.formats, figure.definition, **colours)
        )
    else:
        words = empty_words(figure)
        sheet.write(
            row, col, words, sheet.formats.get(italic=True, align="right", valign="top", **colours)
        )


def write_overview(
    sheet: Sheet,
    the_icb: Icb,
    period: Period,
    definitions: list[dict[str, Any]],
    figures: dict[tuple[str, str], Figure],
) -> None:
    formats = sheet.formats
    last_col = len(the_icb.pcns) + 1
    sheet.merge(
        0, 0, 0, last_col, f"{the_icb.name}: PCNs side by side, {period.label}", formats.title
    )
    sheet.merge(
        1,
        0,
        1,
        last_col,
        "Each PCN's figure for the period (KPIs reported only for the year: year to date), filled "
        "with its RAG colour; small numbers suppressed (*) as in the ICB return. Clinical KPIs "
        "exist only for PCNs whose practices send extracts ('no data' for the others). "
        "Rank and the ICB median per KPI: League tables.",
        formats.subtitle,
    )
    header = 3
    sheet.write(header, 0, "KPI", formats.header)
    sheet.write(header, 1, "ICB median", formats.header)
    for j, pcn in enumerate(the_icb.pcns, start=2):
        sheet.write(header, j, f"{pcn.code} {the_icb.name_of(pcn.code)}", formats.header)
        sheet.cap_width(j, PCN_WIDTH)
    sheet.cap_width(0, NAME_WIDTH)
    sheet.cap_width(1, 10)
    family_format = formats.get(bold=True, bg_color="#D9E1F2")
    row = header
    for family, family_name in kpis.FAMILIES.items():
        row += 1
        sheet.merge(row, 0, row, last_col, family_name, family_format)
        for definition in (d for d in definitions if d["family"] == family):
            row += 1
            sheet.write(
                row,
                0,
                kpis.label(definition),
                formats.get(font_size=9, text_wrap=True, valign="top"),
            )
            pcn_figures = [figures[(p.code, definition["kpi_id"])] for p in the_icb.pcns]
            sheet.write(
                row, 1, median(pcn_figures), kpis.value_format(formats, definition, bold=True)
            )
            for j, figure in enumerate(pcn_figures, start=2):
                write_figure(sheet, row, j, figure)
    worksheet = sheet.worksheet
    worksheet.freeze_panes(header + 1, 2)
    print_on_a4_landscape(worksheet)
    worksheet.repeat_rows(header)
