"""Render the extract specification (`docs/extracts.md`) from the contracts.

The document is what practices, system suppliers and the Lead Pharmacist work from, so it
is generated from the same declarations the loader enforces; a test fails when the committed
copy is stale. Regenerate with `pcnmo docs`.
"""

from __future__ import annotations

from ingestion.inbox import encoding_name
from pcnmo.contracts import (
    CONTRACTS,
    FLAG_VALUES,
    PATTERN_HELP,
    SOURCES,
    Column,
    Kind,
    TableContract,
    human_date_format,
)
from pcnmo.redaction import REDACTED

KIND_HELP = {
    Kind.TEXT: f"text (an NHS number typed into it is replaced by `{REDACTED}`)",
    Kind.FREE_TEXT: f"free text, no patient identifiers (an NHS number typed into it is "
    f"replaced by `{REDACTED}`)",
    Kind.CODE: "one of the accepted values (any letter case)",
    Kind.FLAG: "yes/no: " + ", ".join(FLAG_VALUES) + " (any letter case)",
    Kind.INTEGER: "whole number (thousands commas allowed)",
    Kind.DECIMAL: "number, decimals after a point (a decimal comma, 2,5, is quarantined)",
    Kind.MONEY: "amount in pounds, decimals after a point",
    Kind.DATE: "date",
    Kind.MONTH: "month; must equal the inbox month",
    Kind.NHS_NUMBER: "NHS number: 10 digits (spaces, hyphens or dots allowed) passing the "
    "modulus-11 check; replaced by a keyed pseudonym on load",
    **{kind: help_text for kind, help_text in PATTERN_HELP.items()},
    Kind.SNOMED: f"{PATTERN_HELP[Kind.SNOMED]} with a valid Verhoeff check digit",
}

INTRO = """# Extract specification

<!-- Generated from pcnmo/contracts/ by `pcnmo docs`; do not edit by hand. -->

What pcnmo reads each month, and exactly how each file must look. The loader enforces this
document: it is generated from the same contracts.

## The inbox

Put each month's files in one folder per reporting month:

```
$PCNMO_DATA_DIR/inbox/2026-09/EMIS_A12345_patients_202609.csv
$PCNMO_DATA_DIR/inbox/2026-09/EPD_SNOMED_202609.csv
$PCNMO_DATA_DIR/inbox/2026-09/safety_alerts_U12345_202609.xlsx
...
```

`PCNMO_DATA_DIR` defaults to `./data`. The folder name (`YYYY-MM`) is the reporting month: a
file loads into that month, and re-running the month replaces what was loaded before for it.
Public files follow their month's folder, whenever they arrive: NHSBSA publishes September's
EPD in mid-November, so it goes into `2026-09/` then, and September is run again.

## Rules for every file

- CSV files are UTF-8 (Excel: *CSV UTF-8 (Comma delimited)*), comma separated, with a header
  row (except the ODS files published without one). Values containing commas are in double
  quotes. Public files are read as published: in Windows-1252 where they are not UTF-8, and
  zipped where they come as a zip holding one CSV (`.zip` beside `.csv` below).
- Columns are found by their header, in any order; extra columns are ignored. Header matching
  ignores letter case and repeated spaces or line breaks. In a clinical extract the column
  titles may sit below title lines (an EMIS Web report's name and its "Last Run" line): they
  are looked for in the first 20 rows, and the lines above them are skipped and noted in the
  ingestion log. A file published without a header row that arrives with one (an ODS export
  "with headers") has it skipped and noted.
- Local logs may be `.csv` or `.xlsx` (first sheet; the header in row 1).
- A file that cannot be read (wrong layout, a required column missing, not UTF-8, rows with the
  wrong number of fields) is **rejected**: nothing of that table for the month is loaded, the
  previous load stays, and the message names the file and what to fix.
- A row with a bad value is **quarantined**: it is not loaded, and
  `pipeline.quarantine` plus `quarantine/<YYYY-MM>/<file>.quarantine.csv` record the file,
  the row number (as a spreadsheet shows it: the header is row 1 unless title lines sit above
  it), every failing column and why. NHS numbers are masked there (last three digits only).
  A column that says so has a bad value blanked instead, the row kept and the blanked values
  counted in the ingestion log (the EPD's `SNOMED_CODE`: a cost row is never lost for it).
- A repeated row (same key, or an exact repeat where a table has no key) is quarantined as a
  duplicate of the first.
- For every file, rows in = rows loaded + rows quarantined (+ rows outside the configured
  organisations, for national files), recorded in `pipeline.ingestion_log`.
- Dates: each layout lists the spellings it accepts, its own first; the day always comes
  before the month. A two-digit year (`01-Jan-45`) is read in the hundred years up to the end
  of the reporting month; for a date of birth, one that fits two centuries of a lifetime
  (`01-Jan-10`: 1910 or 2010) is quarantined, as only the four-digit year can settle it.
- Dates in clinical and local files may not fall after the end of the reporting month unless
  the column says so (planned end dates, deadlines). A column may also say it must fall in the
  reporting month: a medication issue's `issue_date` may be earlier only on the row that
  re-delivers the latest issue of a repeat template ended during the month.
"""


def _format_help(table: TableContract, column: Column) -> str:
    parts = [KIND_HELP[column.kind]]
    if column.kind in (Kind.DATE, Kind.MONTH):
        by_dialect = {
            d.label: ", ".join(
                human_date_format(f) for f in (column.date_formats or d.date_formats)
            )
            for d in table.dialects
        }
        formats = set(by_dialect.values())
        if len(formats) == 1:
            parts.append(f"as {formats.pop()}")
        else:
            parts.append("; ".join(f"{label}: {fmt}" for label, fmt in by_dialect.items()))
        if column.future_ok:
            parts.append("may be in the future")
        if column.in_month_unless:
            parts.append(
                f"in the reporting month, or earlier only when `{column.in_month_unless}` "
                "falls in the reporting month"
            )
    if column.kind is Kind.CODE and column.accepted:
        parts.append("accepted: " + ", ".join(f"`{a}`" for a in column.accepted))
    if column.aliases:
        parts.append(
            "also accepted, and stored as the value shown: "
            + ", ".join(f"`{alias}` (`{value}`)" for alias, value in column.aliases.items())
        )
    if column.blank_if_invalid:
        parts.append("a bad value is blanked and counted, the row kept")
    if column.unit_column or column.comparator_column:
        parts.append("may carry its comparator and unit ('<1', '58 mL/min/1.73m2')")
    if column.minimum is not None or column.maximum is not None:
        low = "" if column.minimum is None else f"{column.minimum:g}"
        high = "" if column.maximum is None else f"{column.maximum:g}"
        parts.append(f"range {low}..{high}")
    return "; ".join(parts)


_READABLE = (
    (r"(?P<practice>[A-Z][0-9]{5})", "<practice ODS code>"),
    (r"(?P<pcn>U[0-9]{5})", "<PCN code>"),
    (r"(?P<yyyymm>[0-9]{6})", "<YYYYMM>"),
    ("(_<YYYYMM>)?", "[_<YYYYMM>]"),
    ("(_SNOMED)?", "[_SNOMED]"),
    ("(ients)?", "[ients]"),
    ("(_V[0-9]+)?", "[_V<n>]"),
    (r"(csv|xlsx)", "csv or xlsx"),
    (r"(csv|zip)", "csv or zip"),
    (".*", "*"),
    ("\\.", "."),
)


def readable_file_pattern(pattern: str) -> str:
    """`EMIS_(?P<practice>...)_patients_(?P<yyyymm>...)\\.csv` as `EMIS_<practice ODS code>_...`."""
    for regex, shown in _READABLE:
        pattern = pattern.replace(regex, shown)
    return pattern


def _table_section(table: TableContract) -> list[str]:
    lines = [
        f"### `{table.qualified_name}`",
        "",
        table.description,
        "",
        f"- Delivered by: {table.delivered_by}.",
        f"- Formats: {', '.join(table.formats)}; encodings: "
        f"{', '.join(encoding_name(e) for e in table.encodings)}.",
    ]
    for dialect in table.dialects:
        covers = f" Covers {dialect.covers}" if dialect.covers else ""
        lines.append(
            f"- {dialect.label}: file name `{readable_file_pattern(dialect.file_pattern)}` "
            f"(any letter case), e.g. `{dialect.example_file}`.{covers}"
        )
    if table.sheet:
        lines.append(f"- Workbook sheet: `{table.sheet}`.")
    if table.single_file:
        lines.append("- One file per month: a second one for the same month is rejected.")
    if table.snapshot:
        lines.append("- Each month's file is the whole log to date; the latest one counts.")
    if table.scope_column:
        lines.append(
            "- National file: only practices of the configured PCNs are kept "
            "(`PCNMO_SUB_ICB_CODES`, else every practice in the loaded ePCN membership)."
        )
    if table.never_in_scope:
        lines.append(
            f"- Rows of {table.never_in_scope.what} are never in scope: they are counted "
            "out of scope and never loaded."
        )
    if table.key:
        lines.append("- Unique on: " + ", ".join(f"`{k}`" for k in table.key) + ".")
    elif table.key == ():
        lines.append("- An exact repeat of an earlier row is a duplicate.")
    lines.append("")
    dialect_names = [d.name for d in table.dialects]
    distinct_headers = any(
        isinstance(c.headers, dict) and len(set(c.headers.values())) > 1 for c in table.columns
    )
    by_position = [d for d in table.dialects if d.headerless]
    if table.headerless:
        header_cols = ["column number"]
    elif distinct_headers:
        header_cols = [f"{d.label} header" for d in table.dialects]
    else:
        header_cols = ["header"]
    if by_position and not table.headerless:
        header_cols.append("column number, in the layout without a header row")
    lines.append("| raw column | " + " | ".join(header_cols) + " | required | format | meaning |")
    lines.append("|---" * (len(header_cols) + 4) + "|")
    for column in table.columns:
        if column.from_file_name:
            headers = ["(from the file name)"] * len(header_cols)
        elif table.headerless:
            headers = [str(column.position)]
        elif distinct_headers:
            headers = [f"`{column.header(d)}`" if column.header(d) else "-" for d in dialect_names]
        else:
            headers = [f"`{column.header(dialect_names[0])}`"]
        if by_position and not table.headerless and not column.from_file_name:
            headers.append(str(column.position or "-"))
        lines.append(
            f"| `{column.raw_name}` | "
            + " | ".join(headers)
            + f" | {'yes' if column.required else 'no'} | {_format_help(table, column)} "
            f"| {column.description} |"
        )
    lines.append("")
    return lines


def render_markdown() -> str:
    lines = [INTRO]
    for source in SOURCES.values():
        lines += [f"## Source `{source.name}`", "", source.description, ""]
        for table in CONTRACTS:
            if table.source == source.name:
                lines += _table_section(table)
    return "\n".join(lines).rstrip() + "\n"
