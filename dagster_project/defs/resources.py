"""The only place resources are built: the DuckDB warehouse and the dbt CLI."""

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from dagster_project.defs.transform.project import dbt_executable, dbt_project
from ingestion.duckdb_io import CONNECTION_CONFIG
from pcnmo import settings


@dg.definitions
def resources() -> dg.Definitions:
    warehouse = settings.paths().warehouse
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    return dg.Definitions(
        resources={
            "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
            "duckdb": DuckDBResource(database=str(warehouse), connection_config=CONNECTION_CONFIG),
        }
    )
