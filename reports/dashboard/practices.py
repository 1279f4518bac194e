"""The Practices sheet: KPIs (rows, by family) x practices and the PCN (columns) at the month,
each value filled with its RAG colour. KPIs down the side keep the page readable when printed
(the KPIs across would not fit)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from reports import kpis
from reports import warehouse as wh
from reports.dashboard.views import KpiView, family_definitions
from reports.xlsx import RAG_FILLS, Sheet, print_on_a4_landscape

NAME_WIDTH = 40
PCN_ONLY = "PCN only"
ORG_WIDTH = 14


def write_practice_sheet(
    sheet: Sheet,
    org: wh.Organisation,
    month: dt.date,
    definitions: list[dict[str, Any]],
    views: dict[tuple[str, str], KpiView],
) -> None:
    formats = sheet.formats
    organisations = [*(code for code, _ in org.practices), org.pcn_code]
    last_col = len(organisations)
    sheet.merge(
        0,
        0,
        0,
        last_col,
        f"Practice breakdown, {month:%B %Y}: {wh.display_name(org.pcn_name)}",
        formats.title,
    )
    sheet.merge(
        1,
        0,
        1,
        last_col,
        "Values for the month (YTD KPIs: year to date), filled with their RAG colour. "
        "'nothing due': the data arrived and nothing fell due; 'no data': the data are missing; "
        "'PCN only': a KPI of the PCN's workforce, with no practice figure.",
        formats.subtitle,
    )
    header_row = 3
    sheet.write(header_row, 0, "KPI", formats.header)
    for j, code in enumerate(organisations, start=1):
        label = "PCN total" if code == org.pcn_code else org.name_of(code)
        sheet.write(header_row, j, f"{code} {label}", formats.header)
        sheet.cap_width(j, ORG_WIDTH)
    sheet.cap_width(0, NAME_WIDTH)
    label_format = formats.get(valign="top", font_size=9, text_wrap=True)
    family_format = formats.get(bold=True, bg_color="#D9E1F2")
    r = header_row
    for family, family_name in kpis.FAMILIES.items():
        r += 1
        sheet.merge(r, 0, r, last_col, family_name, family_format)
        for definition in family_definitions(definitions, family):
            r += 1
            sheet.write(r, 0, kpis.label(definition), label_format)
            pcn_only = definition.get("reported_for") == "pcn"
            for j, code in enumerate(organisations, start=1):
                if pcn_only and code != org.pcn_code:
                    # The workforce is PCN-wide: no practice figure exists, none is missing.
                    sheet.write(
                        r,
                        j,
                        PCN_ONLY,
                        formats.get(italic=True, align="right", valign="top", font_color="#595959"),
                    )
                    continue
                view = views.get((code, definition["kpi_id"]))
                rag = view.rag if view else kpis.NO_DATA
                fill, font = RAG_FILLS.get(rag, RAG_FILLS["no_rag"])
                colours = {"bg_color": fill, "font_color": font, "bold": code == org.pcn_code}
                if view is None or view.value is None:
                    words = kpis.STATUS_WORDS.get(view.status if view else kpis.NO_DATA, "")
                    sheet.write(
                        r,
                        j,
                        words,
                        formats.get(italic=True, align="right", valign="top", **colours),
                    )
                else:
                    sheet.write(r, j, view.value, kpis.value_format(formats, definition, **colours))
    worksheet = sheet.worksheet
    worksheet.freeze_panes(header_row + 1, 1)
    print_on_a4_landscape(worksheet)
    worksheet.repeat_rows(header_row)
    worksheet.print_area(0, 0, r, last_col)
