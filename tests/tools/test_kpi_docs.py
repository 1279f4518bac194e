"""docs/kpis.md is the KPI dictionary seed made readable: every KPI, every column, by name."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tools.codegen import REPO_ROOT
from tools.codegen.kpi_docs import render_kpi_docs

SEEDS = REPO_ROOT / "seeds"

TINY_SEEDS_YML = """\
seeds:
  - name: astro_pu_weights
    description: Not this seed.
  - name: kpi_definitions
    description: >
      One row per KPI.
      Thresholds are local.
    columns:
      - name: kpi_id
        description: Stable id.
      - name: owner
        description: Who answers for the KPI.
"""


def _write_seed(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_a_seed_renders_every_column_it_has_in_its_own_order(tmp_path: Path) -> None:
    # Columns in an unusual order, no unit or thresholds, and a column the generator has
    # never heard of: all of them are read by name and shown.
    seed = _write_seed(
        tmp_path / "kpi_definitions.csv",
        ["name", "owner", "kpi_id", "family", "has_peer_comparator", "rag_green_threshold"],
        [
            ["Cost per unit", "Lead Pharmacist", "CO01", "cost", "true", ""],
            ["Alerts closed", "", "PS01", "prescribing_safety", "false", "100"],
            ["Audit score", "Practice manager", "PS02", "prescribing_safety", "false", "75"],
        ],
    )
    seeds_yml = tmp_path / "_seeds.yml"
    seeds_yml.write_text(TINY_SEEDS_YML, encoding="utf-8")

    expected = """\
# KPI definitions

<!-- Generated from seeds/kpi_definitions.csv by `pcnmo docs`; do not edit by hand. -->

Every KPI pcnmo computes, as defined in its row of `seeds/kpi_definitions.csv` (the seed
`seeds.kpi_definitions` in the warehouse, and the Definitions sheet of the dashboard
workbook). The values are in `marts.fct_kpi_values`: one row per organisation x period x KPI.
To change a KPI, change its seed row and run `pcnmo docs`.

3 KPIs in 2 families.

| KPI | Name | Green threshold |
|---|---|---|
| [CO01](#co01) | Cost per unit | (none) |
| [PS01](#ps01) | Alerts closed | 100 |
| [PS02](#ps02) | Audit score | 75 |

## How to read them

One row per KPI. Thresholds are local.

## Cost

<a id="co01"></a>
### CO01 Cost per unit

**Owner:** Lead Pharmacist

**Peer comparator:** yes

**Green threshold:** (none)

## Prescribing safety

<a id="ps01"></a>
### PS01 Alerts closed

**Owner:** (none)

**Peer comparator:** no

**Green threshold:** 100

<a id="ps02"></a>
### PS02 Audit score

**Owner:** Practice manager

**Peer comparator:** no

**Green threshold:** 75

## Columns

| column | meaning |
|---|---|
| `name` | (not described) |
| `owner` | Who answers for the KPI. |
| `kpi_id` | Stable id. |
| `family` | (not described) |
| `has_peer_comparator` | (not described) |
| `rag_green_threshold` | (not described) |
"""
    assert render_kpi_docs(seed, seeds_yml) == expected


def test_seed_text_cannot_turn_into_markup(tmp_path: Path) -> None:
    seed = _write_seed(
        tmp_path / "kpi_definitions.csv",
        ["kpi_id", "name", "family", "source_data"],
        [["CA01", "SMRs *completed*", "clinical_activity", "raw <source>.<table> | x <= 5\nmore"]],
    )
    text = render_kpi_docs(seed, tmp_path / "no_seeds.yml")
    assert "### CA01 SMRs \\*completed\\*" in text
    # A tag-like <word> is escaped, a comparison is left readable, a line break is a space.
    assert "**Source data:** raw \\<source>.\\<table> \\| x <= 5 more\n" in text
    assert "## How to read them" not in text  # no _seeds.yml: no description to show


def test_a_seed_without_an_id_name_or_family_is_refused_by_name(tmp_path: Path) -> None:
    seed = _write_seed(tmp_path / "kpi_definitions.csv", ["kpi_id", "title"], [["CA01", "x"]])
    with pytest.raises(ValueError, match=r"kpi_definitions\.csv has no column\(s\) name, family"):
        render_kpi_docs(seed, tmp_path / "_seeds.yml")


def test_the_real_seed_shows_every_kpi_and_every_column() -> None:
    with (SEEDS / "kpi_definitions.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        columns = reader.fieldnames or []
    text = render_kpi_docs(SEEDS / "kpi_definitions.csv", SEEDS / "_seeds.yml")
    anchors = [section.split('"')[0] for section in text.split('<a id="')[1:]]
    assert sorted(anchors) == sorted(row["kpi_id"].lower() for row in rows)
    for row in rows:
        assert f"### {row['kpi_id']} " in text
    for column in columns:
        assert f"| `{column}` |" in text, column
    assert "(not described)" not in text  # _seeds.yml describes every column of the seed
