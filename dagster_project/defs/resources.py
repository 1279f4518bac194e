"""The only place resources are built: the DuckDB warehouse and the dbt CLI.

Both read the warehouse path from `PCNMO_DUCKDB_PATH` when a run starts, never at import:
`pcnmo` (and `make`) set it from the data directory before Dagster starts.
"""

from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from dagster_project.defs.transform.project import dbt_project
from ingestion.duckdb_io import CONNECTION_CONFIG
from pcnmo import settings


class WarehouseResource(DuckDBResource):
    """The DuckDB warehouse. Its folder is created when a run first needs it."""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "dbt": DbtCliResource(
                project_dir=dbt_project, dbt_executable=settings.dbt_executable()
            ),
            "duckdb": WarehouseResource(
                database=dg.EnvVar(settings.DUCKDB_PATH_ENV), connection_config=CONNECTION_CONFIG
            ),
        }
    )
