"""The only place resources are built: the DuckDB warehouse and the dbt CLI.

Both read the warehouse path from `PCNMO_DUCKDB_PATH` when a run starts, never at import:
`pcnmo` (and `make`) set it from the data directory before Dagster starts.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from dagster_project.defs.transform.project import dbt_project
from ingestion.duckdb_io import connect
from pcnmo import settings


class WarehouseResource(DuckDBResource):
    """The DuckDB warehouse. Its folder is created when a run first needs it, and every
    connection waits for another process's lock on the file (`pcnmo.warehouse_lock`): an
    analyst who opened the working file delays a step instead of failing it."""

    _log: Any = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        self._log = context.log  # the run's log: a wait shows in the run's events

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        log = self._log or dg.get_dagster_logger()
        conn = connect(Path(self.database), on_wait=log.warning)
        try:
            yield conn
        finally:
            conn.close()


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "dbt": DbtCliResource(
                project_dir=dbt_project, dbt_executable=settings.dbt_executable()
            ),
            "duckdb": WarehouseResource(database=dg.EnvVar(settings.DUCKDB_PATH_ENV)),
        }
    )
