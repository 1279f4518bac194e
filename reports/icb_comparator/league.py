"""The League tables sheet: for every KPI, the ICB's PCNs ranked best first, with numerator,
denominator, figure, RAG and the distance from the ICB median; PCNs without a figure last."""

from __future__ import annotations

from typing import Any

from reports import kpis
from reports.icb_comparator.figures import Figure, Icb, median, pcn_league
from reports.icb_comparator.overview import write_figure
from reports.suppression import SUPPRESSED
from reports.xlsx import Sheet, add_rag_rules, print_on_a4_landscape, rag_label

HEADERS = ["Rank", "PCN", "Name", "Numerator", "Denominator", "Figure", "RAG", "Against ICB median"]
LAST_COL = len(HEADERS) - 1


def _against_median(figure: Figure, centre: float | None) -> float | None:
    if not figure.is_number or centre is None:
        return None
    return kpis.shown(float(figure.value) - centre, figure.definition)  # type: ignore[arg-type]


def write_league_tables(
    sheet: Sheet,
    the_icb: Icb,
    label: str,
    definitions: list[dict[str, Any]],
    figures: dict[tuple[str, str], Figure],
) -> None:
    formats = sheet.formats
    sheet.merge(0, 0, 0, LAST_COL, f"League tables, {label}", formats.title)
    sheet.merge(
        1,
        0,
        1,
        LAST_COL,
        "Rank 1 is the best in the KPI's direction; equal figures share a rank; PCNs without a "
        "figure are not ranked. Against ICB median: the figure less the median of the PCNs' "
        "figures.",
        formats.subtitle,
    )
    row = 3
    for definition in definitions:
        league = pcn_league(figures, the_icb, definition)
        centre = median(league)
        direction = kpis.DIRECTION_WORDS.get(definition["direction"], definition["direction"])
        centre_text = kpis.value_text(centre, definition) if centre is not None else "none"
        sheet.merge(row, 0, row, LAST_COL, kpis.label(definition), formats.section)
        sheet.merge(
            row + 1,
            0,
            row + 1,
            LAST_COL,
            f"{kpis.unit_words(definition).capitalize()}, {direction}. ICB median {centre_text}.",
            formats.subtitle,
        )
        sheet.write_row(row + 2, 0, HEADERS, [formats.header] * len(HEADERS))
        # PCNs with no figure at all go on one line, so a clinical KPI held for one PCN does
        # not take a page of 'no data'.
        absent = [f for f in league if f.status == kpis.NO_DATA and f.value != SUPPRESSED]
        league = [f for f in league if f not in absent]
        for offset, figure in enumerate(league, start=3):
            r = row + offset
            sheet.write(r, 0, figure.rank, formats.integer)
            sheet.write(r, 1, figure.org_code, formats.text)
            sheet.write(r, 2, the_icb.name_of(figure.org_code), formats.wrap)
            for col, count in ((3, figure.numerator), (4, figure.denominator)):
                count_format = (
                    formats.suppressed
                    if count == SUPPRESSED
                    else kpis.count_format(
                        formats, count if isinstance(count, int | float) else None
                    )
                )
                sheet.write(r, col, count, count_format)
            write_figure(sheet, r, 5, figure)
            sheet.write(
                r,
                6,
                rag_label(figure.rag) if figure.rag != "withheld" else "withheld",
                formats.text,
            )
            sheet.write(
                r, 7, _against_median(figure, centre), kpis.change_format(formats, definition)
            )
        first, last = row + 3, row + 2 + len(league)
        add_rag_rules(sheet.worksheet, f"G{first + 1}:G{last + 1}", formats)
        if absent:
            last += 1
            sheet.merge(
                last,
                1,
                last,
                LAST_COL,
                "No data: " + ", ".join(f.org_code for f in absent),
                formats.note,
            )
        row = last + 2
    sheet.cap_width(2, 30)
    print_on_a4_landscape(sheet.worksheet)
