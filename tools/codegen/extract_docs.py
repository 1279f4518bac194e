"""Render the extract specification (`docs/extracts.md`) from the contracts.

The document is what practices, system suppliers and the Lead Pharmacist work from, so it
is generated from the same declarations the loader enforces; a test fails when the committed
copy is stale. Regenerate with `pcnmo docs`.
"""

from __future__ import annotations

from ingestion.validation_sql import REDACTED
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

KIND_HELP = {
    Kind.TEXT: "text",
    Kind.FREE_TEXT: f"free text (NHS-number-like digit runs replaced by `{REDACTED}`)",
    Kind.CODE: "one of the accepted values (any letter case)",
    Kind.FLAG: "yes/no: " + ", ".join(FLAG_VALUES) + " (any letter case)",
    Kind.INTEGER: "whole number (thousands commas allowed)",
    Kind.DECIMAL: "number",
    Kind.MONEY: "amount in pounds",
    Kind.DATE: "date",
    Kind.MONTH: "month; must equal the inbox month",
    Kind.NHS_NUMBER: "NHS number: 10 digits (spaces or hyphens allowed) passing the modulus-11 "
    "check; replaced by a keyed pseudonym on load",
    **{kind: help_text for kind, help_text in PATTERN_HELP.items()},
}

INTRO = """# Extract specification

<!-- Generated from pcnmo/contracts/ by `pcnmo docs`; do not edit by hand. -->

What pcnmo reads each month, and exactly how each file must look. The loader enforces this
document: it is generated from the same contracts.

## The inbox

Put each month's files in one folder per reporting month:

```
$PCNMO_DATA_DIR/inbox/2026-09/EMIS_A12345_patients_202609.csv
$PCNMO_DATA_DIR/inbox/2026-09/EPD_202609.csv
$PCNMO_DATA_DIR/inbox/2026-09/safety_alerts_U12345_202609.xlsx
...
```

`PCNMO_DATA_DIR` defaults to `./data`. The folder name (`YYYY-MM`) is the reporting month: a
file loads into that month, and re-running the month replaces what was loaded before for it.

## Rules for every file

- CSV files are UTF-8 (Excel: *CSV UTF-8 (Comma delimited)*), comma separated, with a header
  row (except `epraccur`, published without one). Values containing commas are in double
  quotes. Public files published in Latin-1 are accepted as they are.
- Columns are found by their header, in any order; extra columns are ignored. Header matching
  ignores letter case and repeated spaces or line breaks.
- Local logs may be `.csv` or `.xlsx` (first sheet; the header in row 1).
- A file that cannot be read (wrong layout, a required column missing, not UTF-8, rows with the
  wrong number of fields) is **rejected**: nothing of that table for the month is loaded, the
  previous load stays, and the message names the file and what to fix.
- A row with a bad value is **quarantined**: it is not loaded, and
  `pipeline.quarantine` plus `quarantine/<YYYY-MM>/<file>.quarantine.csv` record the file,
  the row number (the header is row 1, as in a spreadsheet), every failing column and why.
  NHS numbers are masked there (last three digits only).
- A repeated row (same key, or an exact repeat where a table has no key) is quarantined as a
  duplicate of the first.
- For every file, rows in = rows loaded + rows quarantined (+ rows outside the configured
  organisations, for national files), recorded in `pipeline.ingestion_log`.
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
    (r"(csv|xlsx)", "csv or xlsx"),
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
        f"- Formats: {', '.join(table.formats)}; encodings: {', '.join(table.encodings)}.",
    ]
    for dialect in table.dialects:
        lines.append(
            f"- {dialect.label}: file name `{readable_file_pattern(dialect.file_pattern)}` "
            f"(any letter case), e.g. `{dialect.example_file}`."
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
    if table.key:
        lines.append("- Unique on: " + ", ".join(f"`{k}`" for k in table.key) + ".")
    elif table.key == ():
        lines.append("- An exact repeat of an earlier row is a duplicate.")
    lines.append("")
    dialect_names = [d.name for d in table.dialects]
    distinct_headers = any(
        isinstance(c.headers, dict) and len(set(c.headers.values())) > 1 for c in table.columns
    )
    if table.headerless:
        header_cols = ["column number"]
    elif distinct_headers:
        header_cols = [f"{d.label} header" for d in table.dialects]
    else:
        header_cols = ["header"]
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
