"""The project's structure rules (CONTRIBUTING.md, "House style"), checked over a fresh manifest.

A small, local dbt-project-evaluator: naming per folder, materialisation, schema and Dagster
group per layer (which also catches a mistyped folder in dbt_project.yml), lineage rules,
primary-key tests, freshness and documentation.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pcnmo.contracts import CONTRACTS

# layer (first folder under models/) -> (name prefixes, allowed materialisations)
LAYERS: dict[str, tuple[tuple[str, ...], set[str]]] = {
    # Tables and incremental models only where dbt_project.yml names a measured reason.
    "staging": (("stg_",), {"view", "table", "incremental"}),
    "intermediate": (("int_",), {"ephemeral", "view", "table", "incremental"}),
    "marts": (("dim_", "fct_"), {"table", "incremental"}),
    "reports": (("rpt_",), {"table", "view"}),
}
GRAIN_LAYERS = {"staging", "marts", "reports"}


def _project(manifest: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return sorted(
        (
            node
            for node in manifest["nodes"].values()
            if node["resource_type"] == resource_type and node["package_name"] == "pcnmo"
        ),
        key=lambda node: node["name"],
    )


def _layer(node: dict[str, Any]) -> str:
    return Path(node["original_file_path"]).parts[1]


def _folder(node: dict[str, Any]) -> str:
    return Path(node["original_file_path"]).parent.name


def _tests_on(manifest: dict[str, Any], unique_id: str) -> list[dict[str, Any]]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and node.get("attached_node") == unique_id
    ]


def _has_primary_key_test(manifest: dict[str, Any], unique_id: str) -> bool:
    tests = _tests_on(manifest, unique_id)
    by_column: dict[str, set[str]] = {}
    for test in tests:
        name = (test.get("test_metadata") or {}).get("name")
        if name == "unique_combination_of_columns":
            columns = test["test_metadata"]["kwargs"]["combination_of_columns"]
            not_null = {
                t["column_name"]
                for t in tests
                if (t.get("test_metadata") or {}).get("name") == "not_null"
            }
            if set(columns) <= not_null:
                return True
        elif test.get("column_name"):
            by_column.setdefault(test["column_name"], set()).add(name)
    return any({"unique", "not_null"} <= names for names in by_column.values())


# Each rule walks the whole manifest and reports every offender at once (parametrising by
# model would need dbt to run before test collection).


def test_dbt_parse_prints_no_warnings_or_deprecations(dbt_parse):
    lowered = dbt_parse.output.lower()
    assert "warning" not in lowered and "deprecat" not in lowered, dbt_parse.output


def test_project_has_a_staging_model_for_every_raw_table(manifest):
    read = sorted(
        tuple(manifest["sources"][parent][key] for key in ("source_name", "name"))
        for node in _project(manifest, "model")
        if _layer(node) == "staging"
        for parent in node["depends_on"]["nodes"]
        if parent.startswith("source.")
    )
    assert read == sorted(contract.asset_key for contract in CONTRACTS)


def test_models_follow_their_layer_conventions(manifest):
    offenders = []
    for node in _project(manifest, "model"):
        layer = _layer(node)
        if layer not in LAYERS:
            offenders.append(f"{node['name']}: models/{layer}/ is not a layer")
            continue
        prefixes, materializations = LAYERS[layer]
        config = node["config"]
        if not node["name"].startswith(prefixes):
            offenders.append(f"{node['name']}: {layer} models start with {prefixes}")
        if config["materialized"] not in materializations:
            offenders.append(f"{node['name']}: materialized {config['materialized']}")
        if config["materialized"] != "ephemeral" and node["schema"] != layer:
            offenders.append(f"{node['name']}: schema {node['schema']}, expected {layer}")
        if config["meta"].get("dagster", {}).get("group") != layer:
            offenders.append(f"{node['name']}: Dagster group is not {layer}")
    assert not offenders, "\n".join(offenders)


def test_staging_models_are_named_for_their_source_folder_and_read_one_source_table(manifest):
    offenders = []
    for node in _project(manifest, "model"):
        if _layer(node) != "staging":
            continue
        folder = _folder(node)
        if not re.fullmatch(rf"stg_{folder}__[a-z0-9_]+", node["name"]):
            offenders.append(f"{node['name']}: expected stg_{folder}__<entity>s")
        parents = node["depends_on"]["nodes"]
        sources = [p for p in parents if p.startswith("source.")]
        if len(parents) != 1 or len(sources) != 1:
            offenders.append(f"{node['name']}: reads {parents}, expected one source table")
        elif manifest["sources"][sources[0]]["source_name"] != folder:
            offenders.append(f"{node['name']}: reads {sources[0]} from outside {folder}/")
        if Path(node["patch_path"] or "").name != f"_{folder}__models.yml":
            offenders.append(f"{node['name']}: documented in {node['patch_path']}")
    assert not offenders, "\n".join(offenders)


def test_only_staging_reads_sources(manifest):
    offenders = [
        node["name"]
        for node in _project(manifest, "model")
        if _layer(node) != "staging"
        and any(parent.startswith("source.") for parent in node["depends_on"]["nodes"])
    ]
    assert not offenders


def test_model_properties_live_in_their_folder_yaml(manifest):
    offenders = []
    for node in _project(manifest, "model"):
        folder = _folder(node)
        expected = {f"_{folder}__models.yml", f"_int_{folder}__models.yml"}
        patch = Path((node["patch_path"] or "").removeprefix("pcnmo://"))
        if patch.name not in expected or patch.parent != Path(node["original_file_path"]).parent:
            offenders.append(f"{node['name']}: {node['patch_path']}")
    assert not offenders, "\n".join(offenders)


def test_sources_live_in_their_staging_folder_with_freshness(manifest):
    offenders = []
    for source in manifest["sources"].values():
        name = source["source_name"]
        expected = f"models/staging/{name}/_{name}__sources.yml"
        if source["original_file_path"] != expected:
            offenders.append(f"{source['unique_id']}: declared in {source['original_file_path']}")
        if source["schema"] != f"raw_{name}" or source["loader"] != "dagster":
            offenders.append(f"{source['unique_id']}: schema/loader")
        freshness = source.get("freshness") or {}
        if not any(
            (freshness.get(level) or {}).get("count") for level in ("warn_after", "error_after")
        ):
            offenders.append(f"{source['unique_id']}: no freshness")
        if source.get("loaded_at_field") != "_loaded_at" and not source.get("loaded_at_query"):
            offenders.append(f"{source['unique_id']}: neither loaded_at_field nor loaded_at_query")
        if not source["description"] or not source["source_description"]:
            offenders.append(f"{source['unique_id']}: undescribed")
        if undescribed := [c for c, col in source["columns"].items() if not col["description"]]:
            offenders.append(f"{source['unique_id']}: undescribed columns {undescribed}")
    assert not offenders, "\n".join(offenders)


def test_every_model_and_seed_has_a_primary_key_test(manifest):
    offenders = [
        node["unique_id"]
        for node in _project(manifest, "model") + _project(manifest, "seed")
        if not _has_primary_key_test(manifest, node["unique_id"])
    ]
    assert not offenders


def test_models_and_seeds_are_described_with_their_grain(manifest):
    offenders = []
    for node in _project(manifest, "model") + _project(manifest, "seed"):
        description = node["description"].strip()
        if not description:
            offenders.append(f"{node['name']}: no description")
        elif (
            node["resource_type"] == "seed" or _layer(node) in GRAIN_LAYERS
        ) and not description.startswith("One row per"):
            offenders.append(f"{node['name']}: description does not start with 'One row per'")
        if not node["columns"]:
            offenders.append(f"{node['name']}: no documented columns")
        if undescribed := [c for c, col in node["columns"].items() if not col["description"]]:
            offenders.append(f"{node['name']}: undescribed columns {undescribed}")
    assert not offenders, "\n".join(offenders)


def test_patient_identifiers_are_tagged_pii(manifest):
    offenders = []
    nodes = _project(manifest, "model") + list(manifest["sources"].values())
    for node in nodes:
        for name, column in node["columns"].items():
            if name in {"patient_id", "nhs_number"} and "pii" not in column["tags"]:
                offenders.append(f"{node['unique_id']}.{name}")
    assert not offenders


def test_macros_are_documented(manifest):
    undocumented = [
        macro["name"]
        for macro in manifest["macros"].values()
        if macro["package_name"] == "pcnmo" and not macro["description"].strip()
    ]
    assert not undocumented


def test_generic_and_singular_tests_are_named_by_folder(manifest):
    offenders = []
    for macro in manifest["macros"].values():
        path = Path(macro["original_file_path"])
        in_tests = macro["package_name"] == "pcnmo" and path.parts[0] == "tests"
        if in_tests and (path.parent != Path("tests/generic") or not path.stem.startswith("test_")):
            offenders.append(str(path))
    for node in _project(manifest, "test"):
        path = Path(node["original_file_path"])
        if path.suffix == ".sql" and (
            path.parent != Path("tests/singular") or not path.stem.startswith("assert_")
        ):
            offenders.append(str(path))
    assert not offenders


def test_unit_tests_are_named_for_their_model(manifest):
    offenders = [
        unit_test["name"]
        for unit_test in manifest["unit_tests"].values()
        if not unit_test["name"].startswith(f"test_{unit_test['model']}_")
    ]
    assert not offenders


def test_unit_tests_of_incremental_models_say_they_build_from_nothing(manifest):
    # Without the override a unit test of an incremental model fails to compile ({{ this }}
    # is no table), or fails to parse, depending on how the model uses is_incremental().
    incremental = {
        node["name"]
        for node in _project(manifest, "model")
        if node["config"]["materialized"] == "incremental"
    }
    offenders = [
        unit_test["name"]
        for unit_test in manifest["unit_tests"].values()
        if unit_test["model"] in incremental
        and ((unit_test.get("overrides") or {}).get("macros") or {}).get("is_incremental")
        is not False
    ]
    assert incremental and not offenders


def test_models_take_schema_and_materialisation_from_their_folder(manifest):
    """Both cascade from dbt_project.yml; a model's config() is only for exceptions."""
    override = re.compile(r"config\s*\([^)]*\b(materialized|schema)\s*=", re.DOTALL)
    offenders = [
        node["name"] for node in _project(manifest, "model") if override.search(node["raw_code"])
    ]
    assert not offenders
