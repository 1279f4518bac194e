"""Render each source's dbt sources YAML (`_<source>__sources.yml`) from the contracts.

The raw tables are what the contracts say they are, so dbt learns them from the contracts too:
one source per contract source (schema `raw_<source>`, loaded by Dagster, so dagster-dbt links
each source table to the raw asset keyed `[source, table]`), one table per contract with its
columns and then the metadata every raw table carries. From the contracts also come:

- freshness: the source's thresholds, a table's own where it is delivered more slowly; a source
  whose tables can rightly be empty reads its last load from the ingestion log;
- `not_null` on the columns a row is identified by (the key, else the row identity);
- the `pii` tag on every column that identifies or describes a person.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from pcnmo.contracts import CONTRACTS, RAW_METADATA_COLUMNS, Freshness, Source, TableContract

_INGESTION_LOG_FRESHNESS = (
    "A log can rightly be empty (no incidents yet), and an empty file lands no rows, so "
    "`max(_loaded_at)` cannot see it arrive: freshness is read from the ingestion log instead, "
    "which records every file loaded, empty or not. ({{ this }} is the raw table.)"
)


def sources_yaml_path(repo_root: Path, source: Source) -> Path:
    staging = repo_root / "dbt_pcnmo" / "models" / "staging"
    return staging / source.name / f"_{source.name}__sources.yml"


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is a subset of it)."""
    return json.dumps(text, ensure_ascii=False)


def _comment(text: str, indent: int) -> list[str]:
    prefix = " " * indent + "# "
    return textwrap.wrap(text, width=96, initial_indent=prefix, subsequent_indent=prefix)


def _freshness(freshness: Freshness, indent: int) -> list[str]:
    pad = " " * indent
    return [
        f"{pad}freshness:",
        f"{pad}  warn_after: {{count: {freshness.warn_after_days}, period: day}}",
        f"{pad}  error_after: {{count: {freshness.error_after_days}, period: day}}",
    ]


def _loaded_at(source: Source) -> list[str]:
    if not source.freshness_from_ingestion_log:
        return ["      loaded_at_field: _loaded_at"]
    return [
        "      loaded_at_query: >",
        "        select max(loaded_at)",
        "        from pipeline.ingestion_log",
        f"        where source = '{source.name}'",
        "            and table_name = '{{ this.identifier }}'",
        "            and status = 'loaded'",
    ]


def _table(table: TableContract) -> list[str]:
    lines = [f"      - name: {table.name}"]
    if not table.key and table.row_identity:
        why = "the table has no key" if table.key is None else "the contract checks exact repeats"
        lines += _comment(f"not_null on the columns staging identifies a row by ({why}).", 8)
    description = f"{table.description} Delivered by: {table.delivered_by}."
    lines.append(f"        description: {_quoted(description)}")
    if table.freshness:
        lines += _comment(table.freshness.why, 8)
        lines += ["        config:", *_freshness(table.freshness, 10)]
    lines.append("        columns:")
    identifying = set(table.identifying_columns)
    for column in table.columns:
        lines += [
            f"          - name: {column.raw_name}",
            f"            data_type: {column.duckdb_type.lower()}",
            f"            description: {_quoted(column.description)}",
        ]
        if column.is_pii:
            lines += ["            config:", "              tags: [pii]"]
        if column.raw_name in identifying:
            lines += ["            data_tests:", "              - not_null"]
    for name, duckdb_type, description in RAW_METADATA_COLUMNS:
        lines += [
            f"          - name: {name}",
            f"            data_type: {duckdb_type.lower()}",
            f"            description: {_quoted(description)}",
        ]
    return lines


def render_sources_yaml(source: Source) -> str:
    lines = [
        f"# Generated from pcnmo/contracts/{source.name}.py by `pcnmo docs`; do not edit by hand.",
        f"# Raw tables landed by ingestion/ (Dagster assets [{source.name}, <table>]).",
        "sources:",
        f"  - name: {source.name}",
        f"    schema: raw_{source.name}",
        "    loader: dagster",
        f"    description: {_quoted(source.description)}",
        *_comment(source.freshness.why, 4),
    ]
    if source.freshness_from_ingestion_log:
        lines += _comment(_INGESTION_LOG_FRESHNESS, 4)
    lines += ["    config:", *_freshness(source.freshness, 6), *_loaded_at(source), "    tables:"]
    for table in CONTRACTS:
        if table.source == source.name:
            lines += _table(table)
    return "\n".join(lines) + "\n"
