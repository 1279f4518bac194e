"""Render the practice search specification (`docs/practice-searches.md`) from the contracts.

A practice only produces the clinical extracts if it builds four searches in EMIS Web or
SystmOne whose output matches the contracts: who is in each, which dates, which codes, and the
column titles the loader looks for. This document says all of that, from the same contracts
the loader enforces and the codelists the models read (`seeds/snomed_codelists.csv`), so that a
practice can build the searches without guessing and the two cannot drift apart.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from pcnmo.contracts import CONTRACTS, Kind, TableContract, human_date_format

INTRO = """# The searches a practice builds in EMIS Web or SystmOne

<!-- Generated from pcnmo/contracts/ and seeds/snomed_codelists.csv by `pcnmo docs`; do not edit
by hand. -->

Every month, once the month has ended, each practice runs four searches in its clinical system
and exports each one as a CSV file into the month's inbox folder (`docs/extracts.md` gives the
full rules). This page says what each search must contain, so that the files can be produced
without guessing:

- **Population**: whose rows the search returns.
- **Dates**: which entries, relative to the reporting month.
- **Codes**: which entries count; the codelists are listed in full at the end.
- **Columns**: the column titles to give the report, exactly (letter case and spacing do not
  matter, the order does not matter, extra columns are ignored). A column marked optional may
  be left out.

How each system writes its file:

- **EMIS Web**: a report of a search (Search and Reports), exported as CSV. The report's title
  and "Last Run" lines above the column titles may stay: they are skipped. Dates as EMIS Web
  writes them (dd/mm/yyyy); NHS numbers with or without spaces.
- **SystmOne**: a Clinical Reporting search with a report, exported as CSV. Dates as SystmOne
  writes them (dd-Mon-yyyy). A result value may keep its unit in the same cell
  ('58 mL/min/1.73m2'): it is split off.

Either system's date spellings are accepted in either file (dd/mm/yyyy, dd-Mon-yyyy, dd Mon
yyyy, dd-Mon-yy, yyyy-mm-dd); write years in four digits where you can.
"""


def _file_names(table: TableContract) -> str:
    return " or ".join(f"`{d.example_file}`" for d in table.dialects)


def _format(table: TableContract, kind: Kind) -> str:
    if kind in (Kind.DATE, Kind.MONTH):
        return (
            "date ("
            + ", ".join(
                f"{d.label}: {human_date_format(d.date_formats[0])}" for d in table.dialects
            )
            + ")"
        )
    return {
        Kind.NHS_NUMBER: "NHS number",
        Kind.FLAG: "Y or N",
        Kind.DECIMAL: "number",
        Kind.INTEGER: "whole number",
        Kind.SNOMED: "SNOMED CT / dm+d code",
        Kind.BNF_CODE: "BNF code",
        Kind.CODE: "code",
    }.get(kind, "text")


def _search_section(table: TableContract) -> list[str]:
    assert table.search is not None
    dialects = [d.name for d in table.dialects]
    lines = [
        f"## {table.name.replace('_', ' ').capitalize()}",
        "",
        f"Saved as {_file_names(table)} (your practice's ODS code, the reporting month as "
        "YYYYMM); loaded into `" + table.qualified_name + "`.",
        "",
        f"- **Population**: {table.search.population}",
        f"- **Dates**: {table.search.date_range}",
        f"- **Codes**: {table.search.codes}",
        "",
        "| EMIS Web column title | SystmOne column title | required | format | what it holds |",
        "|---|---|---|---|---|",
    ]
    for column in table.columns:
        if column.from_file_name:
            continue
        titles = " | ".join(f"`{column.header(d)}`" for d in dialects)
        accepted = ""
        if column.kind is Kind.CODE and column.accepted:
            accepted = ": " + ", ".join(f"`{a}`" for a in column.accepted)
        lines.append(
            f"| {titles} | {'yes' if column.required else 'optional'} "
            f"| {_format(table, column.kind)}{accepted} | {column.description} |"
        )
    lines.append("")
    return lines


def _codelists_section(codelists: Path) -> list[str]:
    by_list: dict[str, list[dict[str, str]]] = defaultdict(list)
    with codelists.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            by_list[row["codelist_id"]].append(row)
    lines = [
        "## The codelists",
        "",
        "The events search returns every entry coded with one of these concepts (each list as "
        "`seeds/snomed_codelists.csv` holds it, with its source). A concept in several lists "
        "is needed once.",
        "",
        "| codelist | concepts | source |",
        "|---|---|---|",
    ]
    for name, rows in by_list.items():
        sources = "; ".join(sorted({r["source"] for r in rows}))
        lines.append(f"| `{name}` | {len(rows)} | {sources} |")
    lines.append("")
    for name, rows in by_list.items():
        lines += [f"### `{name}`", "", "| SNOMED CT concept | term |", "|---|---|"]
        lines += [f"| {r['snomed_code']} | {r['term']} |" for r in rows]
        lines.append("")
    return lines


def render_search_markdown(codelists: Path) -> str:
    lines = [INTRO]
    for table in CONTRACTS:
        if table.search is not None:
            lines += _search_section(table)
    lines += _codelists_section(codelists)
    return "\n".join(lines).rstrip() + "\n"
