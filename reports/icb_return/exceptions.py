"""The Exceptions sheet: the most material reds and ambers first, each with its figure, target
and trend and an empty "cause and action" cell the Clinical Director fills in (a named range,
`cause_and_action`), then every other red and amber as a table.

Materiality: red before amber, then the distance from target relative to the target's size,
then the PCN before a practice (a PCN figure covers every patient), then the larger
denominator. Figures and RAG are those of the return, after suppression; a suppressed figure
has no RAG and is listed at the foot instead.
"""

from __future__ import annotations

from reports import kpis
from reports.icb_return.rows import WITHHELD, ReturnRow
from reports.icb_return.tables import LAST_COL
from reports.suppression import SUPPRESSED
from reports.xlsx import Sheet, add_rag_rules, rag_label

RANKED = 8
RANKED_PER_KPI = 2  # one KPI failing everywhere is one story, not eight
RANKED_HEADERS = ["Rank", "Organisation", "KPI", "Figure", "Target", "RAG", "Trend"]
CAUSE_HEADER = "Cause and action (to fill in)"
CAUSE_ROW_HEIGHT = 48


def materiality(row: ReturnRow) -> tuple[int, float, int, float]:
    denominator = row.denominator if isinstance(row.denominator, int | float) else 0
    return (row.rag != "red", -row.distance, row.org_type != "pcn", -float(denominator))


def exceptions(rows: list[ReturnRow]) -> tuple[list[ReturnRow], list[ReturnRow]]:
    """(the ranked few, the rest): reds and ambers by materiality, at most RANKED_PER_KPI of
    one KPI among the ranked."""
    ranked: list[ReturnRow] = []
    rest: list[ReturnRow] = []
    per_kpi: dict[str, int] = {}
    for row in sorted((r for r in rows if r.rag in {"red", "amber"}), key=materiality):
        if len(ranked) < RANKED and per_kpi.get(row.kpi_id, 0) < RANKED_PER_KPI:
            per_kpi[row.kpi_id] = per_kpi.get(row.kpi_id, 0) + 1
            ranked.append(row)
        else:
            rest.append(row)
    return ranked, rest


def trend_text(row: ReturnRow) -> str:
    change = row.change
    if change is None:
        return "no figure last quarter"
    if change == 0:
        return "unchanged on last quarter"
    better = kpis.is_better(change, row.definition)
    direction = "better" if better else "worse"
    previous = kpis.value_text(row.previous_value, row.definition)
    return (
        f"{kpis.difference_text(change, row.definition)} {direction} than last quarter ({previous})"
    )


def _organisation(row: ReturnRow) -> str:
    return f"{row.org_name} ({row.org_code})"


def write_exceptions(sheet: Sheet, quarter_label: str, rows: list[ReturnRow]) -> None:
    formats = sheet.formats
    ranked, rest = exceptions(rows)
    listed = ranked + rest
    pcn = [r for r in listed if r.org_type == "pcn"]
    sheet.merge(0, 0, 0, LAST_COL, f"Exceptions, {quarter_label}", formats.title)
    sheet.merge(
        1,
        0,
        1,
        LAST_COL,
        f"{sum(r.rag == 'red' for r in pcn)} KPIs red and {sum(r.rag == 'amber' for r in pcn)} "
        f"amber at PCN level, and {len(listed) - len(pcn)} practice exceptions. The "
        f"{len(ranked)} most material come first, with room for the cause and the "
        "action agreed; the rest follow as a table.",
        formats.subtitle,
    )
    header_row = 3
    sheet.write_row(header_row, 0, RANKED_HEADERS, [formats.header] * len(RANKED_HEADERS))
    cause_col = len(RANKED_HEADERS)
    sheet.merge(header_row, cause_col, header_row, LAST_COL, CAUSE_HEADER, formats.header)
    editable = formats.get(
        text_wrap=True,
        valign="top",
        locked=False,
        border=1,
        border_color="#BFBFBF",
        bg_color="#FFFDE7",
    )
    for rank, row in enumerate(ranked, start=1):
        r = header_row + rank
        _write_exception(sheet, r, [rank], row)
        sheet.merge(r, cause_col, r, LAST_COL, None, editable)
        sheet.set_min_height(r, CAUSE_ROW_HEIGHT)
    if not ranked:
        sheet.merge(
            header_row + 1,
            0,
            header_row + 1,
            LAST_COL,
            "No KPI is red or amber this quarter.",
            formats.note,
        )
    last_ranked = header_row + max(len(ranked), 1)
    sheet.workbook.define_name(
        "cause_and_action",
        f"='{sheet.name}'!${chr(ord('A') + cause_col)}${header_row + 2}:"
        f"${chr(ord('A') + LAST_COL)}${last_ranked + 1}",
    )
    add_rag_rules(sheet.worksheet, f"F{header_row + 2}:F{last_ranked + 1}", formats)

    row = last_ranked + 2
    sheet.merge(
        row, 0, row, LAST_COL, "Other reds and ambers, most material first", formats.section
    )
    sheet.write_row(row + 1, 0, ["", *RANKED_HEADERS[1:]], [formats.header] * len(RANKED_HEADERS))
    sheet.merge(row + 1, cause_col, row + 1, LAST_COL, None, formats.header)
    for offset, item in enumerate(rest, start=2):
        _write_exception(sheet, row + offset, [None], item)
    if not rest:
        sheet.merge(row + 2, 0, row + 2, LAST_COL, "None.", formats.note)
    end = row + 2 + max(len(rest), 1)
    add_rag_rules(sheet.worksheet, f"F{row + 3}:F{end}", formats)

    withheld: dict[str, list[str]] = {}
    for r in rows:
        if r.rag == WITHHELD:
            withheld.setdefault(r.org_code, []).append(r.kpi_id)
    if withheld:
        listed_text = "; ".join(
            f"{code}: {', '.join(ids)}" for code, ids in sorted(withheld.items())
        )
        sheet.merge(
            end + 1,
            0,
            end + 1,
            LAST_COL,
            f"Suppressed for small numbers, so their RAG is not shown: {listed_text}.",
            formats.note,
        )
    for col in range(cause_col, LAST_COL + 1):
        sheet.set_width(col, 11)
    sheet.cap_width(1, 30)
    sheet.cap_width(2, 30)
    sheet.cap_width(3, 12)
    sheet.cap_width(4, 12)
    sheet.cap_width(6, 30)


def _write_exception(sheet: Sheet, r: int, first: list[object], row: ReturnRow) -> None:
    formats = sheet.formats
    value_format = kpis.value_format(formats, row.definition)
    figure = row.value
    cells = [
        (first[0], formats.integer),
        (_organisation(row), formats.wrap),
        (kpis.label(row.definition), formats.wrap),
        (figure, formats.suppressed if figure == SUPPRESSED else value_format),
        (row.target, value_format),
        (rag_label(row.rag), formats.text),
        (trend_text(row), formats.wrap),
    ]
    for col, (value, cell_format) in enumerate(cells):
        sheet.write(r, col, value, cell_format)
