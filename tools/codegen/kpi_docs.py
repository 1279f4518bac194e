"""Render the KPI definitions (`docs/kpis.md`) from the KPI dictionary seed.

A KPI's facts live once, in its row of `seeds/kpi_definitions.csv`; this document is that seed
made readable, so it is generated and a test fails when the committed copy is stale.
Regenerate with `pcnmo docs`.

Columns are read by name and every column the seed has is rendered, in the seed's order: a
column added to the seed appears here without a change to this module (its description, if
`seeds/_seeds.yml` gives one, goes in the column guide). Only `kpi_id`, `name` and `family`
are needed to lay the document out.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import yaml

SEED_NAME = "kpi_definitions"

# Shown in the heading and the index, so not repeated in each KPI's list of fields.
HEADING_COLUMNS = ("kpi_id", "name", "family")
# The index at the top: these columns, where the seed has them.
INDEX_COLUMNS = (
    "kpi_id",
    "name",
    "unit",
    "direction",
    "rag_green_threshold",
    "rag_amber_threshold",
)

# How a column or family is printed where plain capitalisation would read wrongly; any other
# name is printed with its underscores as spaces.
LABELS = {
    "kpi_id": "KPI",
    "rag_green_threshold": "Green threshold",
    "rag_amber_threshold": "Amber threshold",
    "des_qof_iif_link": "DES, QOF, IIF or NICE link",
    "has_peer_comparator": "Peer comparator",
    "small_number_suppression": "Small-number suppression",
    "why_it_matters": "Why it matters",
    "des_assurance": "DES assurance",
}
BOOLEANS = {"true": "yes", "false": "no"}
# `<` starts an HTML tag (and hides the text) only when a letter, `/`, `!` or `?` follows.
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")

INTRO = """# KPI definitions

<!-- Generated from seeds/kpi_definitions.csv by `pcnmo docs`; do not edit by hand. -->

Every KPI pcnmo computes, as defined in its row of `seeds/kpi_definitions.csv` (the seed
`seeds.kpi_definitions` in the warehouse, and the Definitions sheet of the dashboard
workbook). The values are in `marts.fct_kpi_values`: one row per organisation x period x KPI.
To change a KPI, change its seed row and run `pcnmo docs`.
"""


def label(name: str) -> str:
    """`threshold_rationale` as `Threshold rationale`; known names as in LABELS."""
    return LABELS.get(name) or name.replace("_", " ").capitalize()


def _text(value: str) -> str:
    """A seed value as Markdown text: on one line, with the characters Markdown would read as
    markup (`<source>` as an HTML tag, `*` as emphasis, `|` as a table cell) escaped."""
    text = " ".join(value.split())
    for character in ("\\", "*", "|"):
        text = text.replace(character, "\\" + character)
    return _TAG_START.sub(r"\\<", text)


def _shown(value: str) -> str:
    if not value.strip():
        return "(none)"
    return BOOLEANS.get(value.strip().lower()) or _text(value)


def read_seed(csv_path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The seed's columns, in order, and its rows keyed by column name."""
    with csv_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        columns = list(reader.fieldnames or [])
    missing = [c for c in HEADING_COLUMNS if c not in columns]
    if missing:
        raise ValueError(f"{csv_path} has no column(s) {', '.join(missing)}")
    return columns, rows


def read_seed_properties(seeds_yml: Path) -> tuple[str, dict[str, str]]:
    """The seed's description and its columns' descriptions from `_seeds.yml` (empty when the
    file or the seed is not there)."""
    if not seeds_yml.exists():
        return "", {}
    for seed in yaml.safe_load(seeds_yml.read_text(encoding="utf-8")).get("seeds") or []:
        if seed.get("name") == SEED_NAME:
            columns = {
                c["name"]: " ".join(str(c.get("description") or "").split())
                for c in seed.get("columns") or []
            }
            return " ".join(str(seed.get("description") or "").split()), columns
    return "", {}


def _families(rows: list[dict[str, str]]) -> list[str]:
    """Families in the order the seed first lists them."""
    return list(dict.fromkeys(row["family"] for row in rows))


def _index(columns: list[str], rows: list[dict[str, str]]) -> list[str]:
    shown = [c for c in INDEX_COLUMNS if c in columns]
    lines = [
        "| " + " | ".join(label(c) for c in shown) + " |",
        "|---" * len(shown) + "|",
    ]
    for row in rows:
        cells = [_shown(row[c]) for c in shown]
        cells[0] = f"[{cells[0]}](#{row['kpi_id'].lower()})"
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _kpi_section(columns: list[str], row: dict[str, str]) -> list[str]:
    # An explicit anchor: the heading's own slug would depend on the KPI's name.
    lines = [
        f'<a id="{row["kpi_id"].lower()}"></a>',
        f"### {row['kpi_id']} {_text(row['name'])}",
        "",
    ]
    for column in columns:
        if column not in HEADING_COLUMNS:
            lines += [f"**{label(column)}:** {_shown(row[column])}", ""]
    return lines


def _column_guide(columns: list[str], descriptions: dict[str, str]) -> list[str]:
    lines = ["## Columns", "", "| column | meaning |", "|---|---|"]
    lines += [f"| `{c}` | {_text(descriptions.get(c) or '(not described)')} |" for c in columns]
    return lines


def render_kpi_docs(csv_path: Path, seeds_yml: Path) -> str:
    columns, rows = read_seed(csv_path)
    description, column_descriptions = read_seed_properties(seeds_yml)
    lines = [INTRO, f"{len(rows)} KPIs in {len(_families(rows))} families.", ""]
    lines += [*_index(columns, rows), ""]
    if description:
        lines += ["## How to read them", "", _text(description), ""]
    for family in _families(rows):
        lines += [f"## {label(family)}", ""]
        for row in rows:
            if row["family"] == family:
                lines += _kpi_section(columns, row)
    lines += _column_guide(columns, column_descriptions)
    return "\n".join(lines).rstrip() + "\n"
