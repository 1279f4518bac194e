"""The quarterly ICB return of one PCN: an xlsx for people and a long CSV for machines.

The return leaves the PCN, so every figure in it goes through `reports.suppression` (one rule
for every output; see that module for the rule and why percentages are recomputed from the
rounded numerator and denominator). A KPI whose `small_number_suppression` flag is false in
seed kpi_definitions (pounds, audit scores, staff and alert counts: not about patients) is
shown as computed. Where a KPI's value is suppressed its RAG is withheld too, since a RAG on a
tiny denominator discloses almost as much as the value.

Sheets: Summary, Cohort delivery, Exception narrative (sentences drafted from the data, one per
row in an editable range named `exception_narrative`), Prescribing safety, Cost outcome,
Supervision evidence, Notes. No patient-level row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from reports import warehouse as wh
from reports.atomic import atomic_path, write_text_atomically
from reports.suppression import SUPPRESSED, Shown, shown_text, suppress_count, suppress_kpi
from reports.xlsx import (
    Formats,
    add_rag_rules,
    add_status_rules,
    new_workbook,
    print_on_a4_landscape,
    put,
    rag_label,
)

CSV_COLUMNS = (
    "organisation_type",
    "organisation_code",
    "quarter",
    "period_id",
    "kpi_id",
    "numerator",
    "denominator",
    "value",
    "unit",
    "rag",
    "suppressed",
)
NARRATIVE_SPARE_ROWS = 15
NARRATIVE_WIDTH = 100
NARRATIVE_CHARS_PER_LINE = 110
UNIT_SUFFIX = {"percent": "%", "rate_per_10000": " per 10,000", "mean_per_smr": " per SMR"}


@dataclass(frozen=True)
class ReturnRow:
    """One KPI of one organisation for the quarter, as the return shows it."""

    org_type: str
    org_code: str
    org_name: str
    definition: dict[str, Any]
    period_type: str
    period_id: str
    numerator: Shown
    denominator: Shown
    value: Shown
    target: float | None
    rag: str  # '' when withheld because the value is suppressed
    suppressed: bool
    previous_value: Shown

    @property
    def kpi_id(self) -> str:
        return self.definition["kpi_id"]


def format_value(value: Shown, unit: str | None) -> str:
    """A figure for a sentence: '78.1%', '£1.23', '*'."""
    if value is None:
        return "no data"
    if isinstance(value, str):
        return value
    if unit == "pounds_per_astro_pu":
        return f"£{value:,.2f}"
    if unit == "count":
        return f"{value:,.0f}"
    decimals = 2 if unit in {"mean_per_smr", "ratio"} else 1
    return f"{value:,.{decimals}f}{UNIT_SUFFIX.get(unit or '', '')}"


def quarter_rows(
    conn: duckdb.DuckDBPyConnection, org: wh.Organisation, quarter_end: dt.date
) -> list[ReturnRow]:
    """Every KPI of the PCN and its practices for the quarter (a KPI reported only year to date
    gives its year to date at the quarter end), suppressed, with the previous quarter."""
    definitions = wh.kpi_definitions(conn)
    names = {org.pcn_code: org.pcn_name, **dict(org.practices)}
    previous_end = wh.month_end(wh.add_months(quarter_end.replace(day=1), -3))
    index = wh.index_kpi_values(
        wh.kpi_values(conn, list(names), wh.QUARTER_PERIOD_TYPES, previous_end, quarter_end)
    )
    rows = []
    for code, name in names.items():
        org_type = "pcn" if code == org.pcn_code else "practice"
        for definition in definitions:
            kpi_id = definition["kpi_id"]
            period_type = wh.headline_period_type(
                index, code, kpi_id, quarter_end, wh.QUARTER_PERIOD_TYPES
            )
            row = index.get((code, kpi_id, period_type, quarter_end))
            if row is None:
                continue
            apply = bool(definition["small_number_suppression"])
            ok = row["data_status"] == "ok"
            shown = suppress_kpi(
                row["numerator"] if ok else None,
                row["denominator"] if ok else None,
                row["value"] if ok else None,
                definition["unit"],
                apply=apply,
            )
            previous = index.get((code, kpi_id, period_type, previous_end))
            previous_shown = (
                suppress_kpi(
                    previous["numerator"],
                    previous["denominator"],
                    previous["value"],
                    definition["unit"],
                    apply=apply,
                ).value
                if previous and previous["data_status"] == "ok"
                else None
            )
            rag = (row["rag"] or "no_rag") if ok else "no_data"
            rows.append(
                ReturnRow(
                    org_type=org_type,
                    org_code=code,
                    org_name=name,
                    definition=definition,
                    period_type=period_type,
                    period_id=row["period_id"],
                    numerator=shown.numerator,
                    denominator=shown.denominator,
                    value=shown.value,
                    target=row["target"],
                    rag="" if shown.value == SUPPRESSED else rag,
                    suppressed=shown.suppressed,
                    previous_value=previous_shown,
                )
            )
    return rows


def _gap_sentence(row: ReturnRow) -> str:
    definition = row.definition
    unit = definition["unit"]
    if isinstance(row.value, str) or row.value is None:
        return ""
    reference = row.target
    label = "target"
    if reference is None:
        reference = definition["rag_green_threshold"]
        label = "green threshold"
    if reference is None:
        return ""
    gap = row.value - reference
    worse = gap < 0 if definition["direction"] == "higher_is_better" else gap > 0
    points = " percentage points" if unit == "percent" else ""
    amount = format_value(abs(gap), None if unit == "percent" else unit)
    side = ("below" if gap < 0 else "above") if worse else ("above" if gap > 0 else "below")
    if not worse and row.rag in {"red", "amber"}:
        # The RAG comes from the unrounded figures; the value shown is recomputed from the
        # rounded ones and can land on the other side of the line.
        return (
            f" against a {label} of {format_value(reference, unit)} after rounding for small "
            "numbers (short of it before rounding)"
        )
    return f" against a {label} of {format_value(reference, unit)}, {amount}{points} {side} it"


def _trend_sentence(row: ReturnRow, previous_label: str) -> str:
    if not isinstance(row.value, int | float) or not isinstance(row.previous_value, int | float):
        return f"; no comparable figure for {previous_label}"
    change = row.value - row.previous_value
    if abs(change) < 1e-9:
        return f"; unchanged from {previous_label}"
    better = change > 0 if row.definition["direction"] == "higher_is_better" else change < 0
    verb = "improved" if better else "worsened"
    return (
        f"; {verb} from {format_value(row.previous_value, row.definition['unit'])} "
        f"in {previous_label}"
    )


def draft_narrative(rows: list[ReturnRow], org: wh.Organisation, quarter_label: str) -> list[str]:
    """Plain sentences a Clinical Director can edit: which KPIs (PCN) and which practices are
    red or amber, how far from target, and the trend against the previous quarter."""
    previous_label = "the previous quarter"
    pcn_rows = [r for r in rows if r.org_type == "pcn"]
    with_rag = [r for r in pcn_rows if r.rag in {"green", "amber", "red"}]
    red = [r for r in with_rag if r.rag == "red"]
    amber = [r for r in with_rag if r.rag == "amber"]
    sentences = [
        f"In {quarter_label}, {org.pcn_name} had {len(red)} KPIs red and {len(amber)} amber "
        f"at PCN level, of {len(with_rag)} KPIs with a RAG rating and data."
    ]
    for r in sorted(red + amber, key=lambda r: (r.rag != "red", r.kpi_id)):
        sentences.append(
            f"PCN {r.rag}: {r.kpi_id} {r.definition['name']} was "
            f"{format_value(r.value, r.definition['unit'])}{_gap_sentence(r)}"
            f"{_trend_sentence(r, previous_label)}."
        )
    practice_rows = [r for r in rows if r.org_type == "practice" and r.rag in {"red", "amber"}]
    for r in sorted(practice_rows, key=lambda r: (r.kpi_id, r.rag != "red", r.org_code)):
        sentences.append(
            f"{r.org_name} ({r.org_code}) is {r.rag} on {r.kpi_id} {r.definition['name']}: "
            f"{format_value(r.value, r.definition['unit'])}{_gap_sentence(r)}"
            f"{_trend_sentence(r, previous_label)}."
        )
    withheld: dict[str, list[str]] = {}
    for r in rows:
        if r.rag == "":
            withheld.setdefault(r.org_code, []).append(r.kpi_id)
    if withheld:
        listed = "; ".join(f"{code} ({', '.join(ids)})" for code, ids in sorted(withheld.items()))
        sentences.append(
            f"Figures suppressed for small numbers, so their RAG is not shown: {listed}."
        )
    if not red and not amber and not practice_rows:
        sentences.append("Every KPI with a RAG rating was green this quarter.")
    return sentences


def _kpi_table(
    sheet: Any,
    formats: Formats,
    first_row: int,
    rows: list[ReturnRow],
    with_org: bool = True,
) -> int:
    headers = ["Organisation", "Name"] if with_org else []
    headers += [
        "KPI",
        "Name",
        "Period",
        "Numerator",
        "Denominator",
        "Value",
        "Target",
        "RAG",
        "Previous quarter",
        "Suppressed",
    ]
    for col, header in enumerate(headers):
        put(sheet, first_row, col, header, formats.header)
    sheet.set_row(first_row, 30)
    r = first_row
    for r, row in enumerate(rows, start=first_row + 1):
        unit_format = formats.unit(row.definition["unit"])
        values: list[tuple[Any, Any]] = (
            [(row.org_code, None), (row.org_name, None)] if with_org else []
        )
        values += [
            (row.kpi_id, None),
            (row.definition["name"], None),
            (
                "year to date" if row.period_type == "financial_year_to_date" else row.period_type,
                None,
            ),
            (row.numerator, _count_format(row.numerator, formats)),
            (row.denominator, _count_format(row.denominator, formats)),
            (row.value, unit_format),
            (row.target, unit_format),
            (rag_label(row.rag) if row.rag else "withheld", None),
            (row.previous_value, unit_format),
            ("yes" if row.suppressed else "no", None),
        ]
        for col, (value, cell_format) in enumerate(values):
            put(sheet, r, col, value, _suppressed_format(value, cell_format, formats))
    rag_col = 9 if with_org else 7
    letter = chr(ord("A") + rag_col)
    add_rag_rules(sheet, f"{letter}{first_row + 2}:{letter}{max(r, first_row + 1) + 1}", formats)
    return r + 1


def _suppressed_format(value: Any, cell_format: Any, formats: Formats) -> Any:
    """A '*' sits where a number would, so it is right-aligned like one."""
    return formats.get(align="right") if value == SUPPRESSED else cell_format


def _count_format(value: Shown, formats: Formats) -> Any:
    """Whole numbers (rounded counts) without decimals; phased targets with one; '*' as text."""
    if value is None or isinstance(value, str):
        return None
    return formats.integer if float(value).is_integer() else formats.decimal


def _setup(sheet: Any, widths: dict[int, float]) -> None:
    for col, width in widths.items():
        sheet.set_column(col, col, width)
    print_on_a4_landscape(sheet)


KPI_WIDTHS = {0: 11, 1: 36, 2: 6, 3: 70, 4: 12, 5: 11, 6: 12, 7: 10, 8: 10, 9: 9, 10: 11, 11: 10}


def _quarter_months(quarter_end: dt.date) -> list[dt.date]:
    return [wh.add_months(quarter_end.replace(day=1), -offset) for offset in (2, 1, 0)]


def build_icb_return(
    conn: duckdb.DuckDBPyConnection,
    pcn_code: str,
    quarter_end: dt.date,
    xlsx_path: Path,
    csv_path: Path,
) -> tuple[Path, Path]:
    """Write the PCN's return for the financial quarter ending `quarter_end` (its last day, or
    any day of its last month), xlsx and CSV, each atomically."""
    _, quarter_end, quarter_label = wh.financial_quarter(quarter_end)
    org = wh.organisation(conn, pcn_code)
    rows = quarter_rows(conn, org, quarter_end)
    definitions = {d["kpi_id"]: d for d in wh.kpi_definitions(conn)}
    complete = conn.execute(
        "select bool_and(is_complete) from marts.dim_periods "
        "where period_type = 'quarter' and period_end = ?",
        [quarter_end],
    ).fetchall()[0][0]

    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.org_type,
                r.org_code,
                quarter_label,
                r.period_id,
                r.kpi_id,
                shown_text(r.numerator, 4),
                shown_text(r.denominator, 4),
                shown_text(r.value, 4),
                r.definition["unit"],
                r.rag,
                "true" if r.suppressed else "false",
            ]
        )
    narrative = draft_narrative(rows, org, quarter_label)

    with atomic_path(xlsx_path) as temporary:
        workbook = new_workbook(temporary)
        workbook.set_properties(
            {"title": f"{pcn_code} ICB return {quarter_label}", "author": "pcnmo"}
        )
        formats = Formats(workbook)
        status = "final" if complete else "DRAFT: the quarter's data is not complete yet"

        sheet = workbook.add_worksheet("Summary")
        put(sheet, 0, 0, f"ICB quarterly return: {org.pcn_name} ({pcn_code})", formats.title)
        details = [
            ("ICB", org.icb_name),
            ("Quarter", f"{quarter_label} (to {quarter_end:%d %B %Y})"),
            ("Status", status),
            ("Generated", dt.datetime.now().replace(microsecond=0)),
            (
                "Small numbers",
                "Patient counts 1-7 shown as *, others rounded to the nearest 5; "
                "ratios recomputed from the rounded figures (see Notes).",
            ),
        ]
        for i, (label, value) in enumerate(details, start=2):
            put(sheet, i, 0, label, formats.get(bold=True))
            is_time = isinstance(value, dt.datetime)
            put(
                sheet,
                i,
                1,
                value,
                formats.get(num_format="yyyy-mm-dd hh:mm", align="left") if is_time else None,
            )
        put(sheet, 8, 0, "PCN KPIs", formats.section)
        _kpi_table(sheet, formats, 9, [r for r in rows if r.org_type == "pcn"], with_org=False)
        # The longest KPI name ("... with moderate or worse harm per 10,000 patients") in full.
        _setup(sheet, {0: 14, 1: 70, 2: 12, 3: 11, 4: 12, 5: 10, 6: 10, 7: 9, 8: 11, 9: 10})

        sheet = workbook.add_worksheet("Cohort delivery")
        put(sheet, 0, 0, "SMR delivery by DES priority cohort and overall", formats.title)
        cohort_ids = [
            "CA01",
            "CA02",
            *(k for k in definitions if k.startswith("DA0") and k > "DA02"),
        ]
        cohort = [r for r in rows if r.kpi_id in cohort_ids]
        cohort.sort(key=lambda r: (r.kpi_id, r.org_type != "pcn", r.org_code))
        _kpi_table(sheet, formats, 2, cohort)
        _setup(sheet, KPI_WIDTHS)

        sheet = workbook.add_worksheet("Exception narrative")
        put(sheet, 0, 0, f"Exception narrative, {quarter_label}", formats.title)
        put(
            sheet,
            1,
            0,
            "Drafted from the data, one sentence per row: edit, delete or add rows before "
            "sending. Figures follow the small-number rule.",
            formats.subtitle,
        )
        editable = formats.get(
            text_wrap=True, valign="top", locked=False, border=1, border_color="#BFBFBF"
        )
        first = 3
        for i, sentence in enumerate(narrative):
            put(sheet, first + i, 0, sentence, editable)
            # Row heights are not grown for wrapped text by every reader: size them here.
            lines = -(-len(sentence) // NARRATIVE_CHARS_PER_LINE)
            sheet.set_row(first + i, 15 * max(lines, 1))
        last = first + len(narrative) + NARRATIVE_SPARE_ROWS - 1
        for r in range(first + len(narrative), last + 1):
            put(sheet, r, 0, None, editable)
        workbook.define_name(
            "exception_narrative", f"='Exception narrative'!$A${first + 1}:$A${last + 1}"
        )
        _setup(sheet, {0: NARRATIVE_WIDTH})

        sheet = workbook.add_worksheet("Prescribing safety")
        put(sheet, 0, 0, "Prescribing safety summary", formats.title)
        safety = [r for r in rows if r.definition["family"] == "prescribing_safety"]
        safety.sort(key=lambda r: (r.kpi_id, r.org_type != "pcn", r.org_code))
        row = _kpi_table(sheet, formats, 2, safety) + 1
        row = _safety_extras(sheet, formats, conn, org, quarter_end, definitions, row)
        _setup(sheet, KPI_WIDTHS)

        sheet = workbook.add_worksheet("Cost outcome")
        put(sheet, 0, 0, "Prescribing cost outcome", formats.title)
        cost = [r for r in rows if r.definition["family"] == "cost"]
        cost.sort(key=lambda r: (r.kpi_id, r.org_type != "pcn", r.org_code))
        row = _kpi_table(sheet, formats, 2, cost) + 1
        _cost_extras(sheet, formats, conn, org, quarter_end, row)
        _setup(sheet, KPI_WIDTHS)

        sheet = workbook.add_worksheet("Supervision evidence")
        put(sheet, 0, 0, "Supervision and scope of practice evidence (ARRS roles)", formats.title)
        _supervision(sheet, formats, conn, org, quarter_end, definitions)
        _setup(sheet, {0: 12, 1: 8, 2: 40, 3: 12, 4: 12, 5: 11, 6: 10, 7: 10})

        sheet = workbook.add_worksheet("Notes")
        notes = [
            "Small-number suppression (NHS Digital method, domain.md section 7): a patient count "
            "of 0 stays 0; 1 to 7 is shown as *; anything else is rounded to the nearest 5.",
            "A percentage, rate or mean is shown as * when its numerator or denominator is; "
            "otherwise it is recomputed from the rounded numerator and denominator, so it may "
            "differ slightly from the unrounded figure in the PCN's own dashboard.",
            "PCN figures are rounded independently of practice figures, so practices may not "
            "add up to the PCN.",
            "The RAG of a suppressed value is withheld.",
            "KPIs that are not about patients (pounds, audit scores, staff and alert counts) "
            "follow the small_number_suppression flag of the KPI dictionary and are not "
            "suppressed; see the Definitions sheet of the dashboard workbook.",
            "The long CSV beside this file holds the same KPI figures for machines.",
        ]
        put(sheet, 0, 0, "Notes", formats.title)
        for i, note in enumerate(notes, start=2):
            put(sheet, i, 0, note, formats.wrap)
        _setup(sheet, {0: 120})
        workbook.close()
    write_text_atomically(csv_path, output.getvalue())
    return xlsx_path, csv_path


def _safety_extras(
    sheet: Any,
    formats: Formats,
    conn: duckdb.DuckDBPyConnection,
    org: wh.Organisation,
    quarter_end: dt.date,
    definitions: dict[str, dict[str, Any]],
    row: int,
) -> int:
    quarter_start = wh.financial_quarter(quarter_end)[0]
    if wh.table_exists(conn, "marts", "fct_safety_alerts"):
        put(
            sheet,
            row,
            0,
            "Safety alerts received in the quarter, by class and status",
            formats.section,
        )
        alerts = wh.records(
            conn,
            """
            select alert_class, status, count(*) as alert_practices
            from marts.fct_safety_alerts
            where pcn_code = ? and received_date between ? and ?
            group by all order by 1, 2
            """,
            [org.pcn_code, quarter_start, quarter_end],
        )
        # Alerts are not about patients (PS01/PS02 are not suppressed): shown as counted.
        row = _plain_table(
            sheet,
            formats,
            row + 1,
            ["Alert class", "Status", "Alert x practice rows"],
            [list(a.values()) for a in alerts],
        )
        add_status_rules(sheet, f"B{row - len(alerts) + 1}:B{row}", formats)
        row += 1
    if wh.table_exists(conn, "marts", "fct_significant_event_themes"):
        put(sheet, row, 0, "Significant events by theme (counts suppressed)", formats.section)
        apply = bool(definitions.get("PS04", {}).get("small_number_suppression", True))
        themes = wh.records(
            conn,
            """
            select themes.theme, themes.events_raised, themes.events_completed,
                themes.events_open
            from marts.fct_significant_event_themes as themes
            inner join marts.dim_periods as periods on themes.period_id = periods.period_id
            where themes.pcn_code = ? and periods.period_type = 'quarter'
                and periods.period_end = ?
            order by themes.events_raised desc, themes.theme
            """,
            [org.pcn_code, quarter_end],
        )
        row = _plain_table(
            sheet,
            formats,
            row + 1,
            ["Theme", "Raised", "Completed", "Open"],
            [
                [
                    t["theme"],
                    *(
                        _count(t[k], apply)
                        for k in ("events_raised", "events_completed", "events_open")
                    ),
                ]
                for t in themes
            ],
        )
        row += 1
    if wh.table_exists(conn, "marts", "fct_pincer_hazards_monthly"):
        put(
            sheet,
            row,
            0,
            f"PINCER hazards at {quarter_end:%B %Y}, PCN (patients, suppressed)",
            formats.section,
        )
        hazards = wh.records(
            conn,
            """
            select indicator, sum(denominator_patients) as denominator_patients,
                sum(hazard_patients) as hazard_patients,
                sum(actioned_patients) as actioned_patients
            from marts.fct_pincer_hazards_monthly
            where pcn_code = ? and month_start_date = ?
            group by all order by 1
            """,
            [org.pcn_code, quarter_end.replace(day=1)],
        )
        row = _plain_table(
            sheet,
            formats,
            row + 1,
            ["Indicator", "Patients at risk", "Patients with hazard", "Hazards actioned"],
            [[h["indicator"], *(_count(h[k], True) for k in list(h)[1:])] for h in hazards],
        )
    return row


def _count(value: Any, apply: bool) -> Shown:
    return suppress_count(value) if apply else value


def _plain_table(
    sheet: Any, formats: Formats, first_row: int, headers: list[str], rows: list[list[Any]]
) -> int:
    for col, header in enumerate(headers):
        put(sheet, first_row, col, header, formats.header)
    sheet.set_row(first_row, 30)
    for r, values in enumerate(rows, start=first_row + 1):
        for col, value in enumerate(values):
            cell_format = None
            if isinstance(value, float):
                cell_format = formats.decimal
            elif isinstance(value, int):
                cell_format = formats.integer
            put(sheet, r, col, value, _suppressed_format(value, cell_format, formats))
    if not rows:
        put(sheet, first_row + 1, 0, "Nothing recorded.", formats.note)
        return first_row + 2
    return first_row + len(rows) + 1


def _cost_extras(
    sheet: Any,
    formats: Formats,
    conn: duckdb.DuckDBPyConnection,
    org: wh.Organisation,
    quarter_end: dt.date,
    row: int,
) -> int:
    if not wh.table_exists(conn, "marts", "fct_prescribing_cost"):
        return row
    put(
        sheet,
        row,
        0,
        "Prescribing cost in the quarter against the ICB peer median",
        formats.section,
    )
    costs = wh.records(
        conn,
        """
        select cost.org_type, cost.org_code, cost.actual_cost, cost.astro_pu_cost,
            cost.cost_per_astro_pu, cost.peer_median_cost_per_astro_pu, cost.peer_percentile,
            cost.saving_at_peer_median_pounds
        from marts.fct_prescribing_cost as cost
        inner join marts.dim_periods as periods on cost.period_id = periods.period_id
        where periods.period_type = 'quarter' and periods.period_end = ?
            and cost.org_code in (select unnest(?::varchar[]))
        order by cost.org_type desc, cost.org_code
        """,
        [quarter_end, [org.pcn_code, *(code for code, _ in org.practices)]],
    )
    headers = [
        "Organisation type",
        "Organisation",
        "Actual cost",
        "ASTRO-PU",
        "Cost per ASTRO-PU",
        "ICB peer median",
        "Peer percentile",
        "Saving at peer median",
    ]
    for col, header in enumerate(headers):
        put(sheet, row + 1, col, header, formats.header)
    column_formats = [None, None, formats.money, formats.integer, formats.money_pence]
    column_formats += [formats.money_pence, formats.decimal, formats.money]
    for r, cost in enumerate(costs, start=row + 2):
        for col, value in enumerate(cost.values()):
            put(sheet, r, col, value, column_formats[col])
    return row + 2 + len(costs)


def _supervision(
    sheet: Any,
    formats: Formats,
    conn: duckdb.DuckDBPyConnection,
    org: wh.Organisation,
    quarter_end: dt.date,
    definitions: dict[str, dict[str, Any]],
) -> None:
    months = _quarter_months(quarter_end)
    index = wh.index_kpi_values(
        wh.kpi_values(
            conn, [org.pcn_code], ["month"], wh.month_end(months[0]), wh.month_end(months[-1])
        )
    )
    headers = ["Month", "KPI", "Name", "Roles meeting it", "ARRS roles", "Value", "Target", "RAG"]
    for col, header in enumerate(headers):
        put(sheet, 2, col, header, formats.header)
    r = 2
    for kpi_id in ("DA01", "DA02"):
        definition = definitions.get(kpi_id)
        if not definition:
            continue
        for month in months:
            row = index.get((org.pcn_code, kpi_id, "month", wh.month_end(month)))
            ok = row is not None and row["data_status"] == "ok"
            shown = suppress_kpi(
                row["numerator"] if ok else None,
                row["denominator"] if ok else None,
                row["value"] if ok else None,
                definition["unit"],
                apply=bool(definition["small_number_suppression"]),
            )
            r += 1
            rag = (row["rag"] or "no_rag") if ok else "no_data"
            values = [
                (month, formats.month),
                (kpi_id, None),
                (definition["name"], None),
                (shown.numerator, formats.integer),
                (shown.denominator, formats.integer),
                (shown.value, formats.unit(definition["unit"])),
                (row["target"] if row else None, formats.unit(definition["unit"])),
                (rag_label(rag) if shown.value != SUPPRESSED else "withheld", None),
            ]
            for col, (value, cell_format) in enumerate(values):
                put(sheet, r, col, value, _suppressed_format(value, cell_format, formats))
    add_rag_rules(sheet, f"H4:H{max(r + 1, 4)}", formats)
    r += 2
    put(sheet, r, 0, f"DES evidence items at {quarter_end:%B %Y}", formats.section)
    items = []
    if wh.table_exists(conn, "marts", "fct_des_evidence_items"):
        items = wh.records(
            conn,
            """
            select items.item_number, items.item_name, items.status, items.evidence
            from marts.fct_des_evidence_items as items
            inner join marts.dim_periods as periods on items.period_id = periods.period_id
            where items.pcn_code = ? and periods.period_type = 'month'
                and periods.period_end = ?
            order by items.item_number
            """,
            [org.pcn_code, quarter_end],
        )
    for col, header in enumerate(["Item", "Status", "Name", "Evidence"]):
        put(sheet, r + 1, col, header, formats.header)
    sheet.merge_range(r + 1, 3, r + 1, 7, "Evidence", formats.header)
    for i, item in enumerate(items, start=r + 2):
        put(sheet, i, 0, item["item_number"], formats.get(num_format="0", valign="top"))
        put(sheet, i, 1, item["status"], formats.get(valign="top"))
        put(sheet, i, 2, item["item_name"], formats.wrap)
        sheet.merge_range(i, 3, i, 7, "", formats.wrap)
        put(sheet, i, 3, item["evidence"], formats.wrap)
        sheet.set_row(i, 30)
    if not items:
        put(sheet, r + 2, 0, "No DES evidence items in the warehouse for this month.", formats.note)
    add_status_rules(sheet, f"B{r + 3}:B{r + 3 + max(len(items), 1)}", formats)
