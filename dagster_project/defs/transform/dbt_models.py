import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.defs.transform.project import dbt_project


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, pool="duckdb")
def pcnmo_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """All seeds, staging, intermediate and mart models of dbt_pcnmo, with their dbt tests."""
    yield from dbt.cli(["build", "--exclude-resource-type", "unit_test"], context=context).stream()
