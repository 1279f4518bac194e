"""seeds/kpi_definitions.csv is the KPI registry: every KPI it declares is produced and tested.

Read from the parsed manifest (no build): a KPI whose component_model is not a component of
the KPI rollup would show 'no data' everywhere without anything failing, and one whose
component has no unit test expecting its id has no rule tested at its boundaries.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.dbt.dbt_runner import SEEDS_DIR

ROLLUP = "int_kpi_components_rolled_up_to_organisations"


def _declared() -> list[dict[str, str]]:
    with (SEEDS_DIR / "kpi_definitions.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


DECLARED = _declared()


def _models(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == "pcnmo"
    }


def _expected_kpi_ids(unit_test: dict[str, Any]) -> set[str]:
    """The kpi_id values of a unit test's expected rows, whether written as dicts or CSV."""
    expect = unit_test["expect"]
    rows = expect.get("rows") or []
    if expect.get("format") == "csv" and isinstance(rows, str):
        rows = list(csv.DictReader(io.StringIO(rows.strip())))
    return {str(row["kpi_id"]) for row in rows if isinstance(row, dict) and row.get("kpi_id")}


@pytest.mark.parametrize("kpi", DECLARED, ids=lambda kpi: kpi["kpi_id"])
def test_every_declared_kpi_is_produced_by_a_component_of_the_rollup(manifest, kpi):
    models = _models(manifest)
    component = kpi["component_model"]
    assert component in models, f"{kpi['kpi_id']}: no model named {component}"
    assert models[component]["original_file_path"].startswith("models/intermediate/kpis/"), (
        f"{component} belongs in models/intermediate/kpis/ with the other KPI components"
    )
    rollup_parents = set(models[ROLLUP]["depends_on"]["nodes"])
    assert models[component]["unique_id"] in rollup_parents, (
        f"{kpi['kpi_id']}: {component} is not listed as a component in {ROLLUP}.sql"
    )


@pytest.mark.parametrize("kpi", DECLARED, ids=lambda kpi: kpi["kpi_id"])
def test_every_declared_kpi_has_a_unit_test_expecting_its_id(manifest, kpi):
    expected = set()
    for unit_test in manifest["unit_tests"].values():
        if unit_test["model"] == kpi["component_model"]:
            expected |= _expected_kpi_ids(unit_test)
    assert kpi["kpi_id"] in expected, (
        f"{kpi['kpi_id']}: no unit test of {kpi['component_model']} expects a row with its id"
    )


def test_every_kpi_component_of_the_rollup_is_declared(manifest):
    """The other way round: a component model no KPI names would be dead code."""
    models = _models(manifest)
    by_id = {node["unique_id"]: name for name, node in models.items()}
    components = {
        by_id[parent]
        for parent in models[ROLLUP]["depends_on"]["nodes"]
        if parent in by_id
        and models[by_id[parent]]["original_file_path"].startswith("models/intermediate/kpis/")
    }
    assert components == {kpi["component_model"] for kpi in DECLARED}


def test_the_unit_test_reader_sees_csv_and_dict_rows():
    """The reader above must not pass by reading nothing: both fixture formats are parsed."""
    as_dicts = {"expect": {"format": "dict", "rows": [{"kpi_id": "PS03"}, {"kpi_id": "CA03"}]}}
    as_csv = {"expect": {"format": "csv", "rows": "period_id,kpi_id\nm,PS03\nm,CA03\n"}}
    assert _expected_kpi_ids(as_dicts) == _expected_kpi_ids(as_csv) == {"PS03", "CA03"}
