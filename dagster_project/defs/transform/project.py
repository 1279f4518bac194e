"""The dbt project, as dagster-dbt sees it. dbt's profiles.yml reads the warehouse path from
`PCNMO_DUCKDB_PATH`, and dagster-dbt's manifest preparer runs `dbt` from PATH: `pcnmo` (and
`make`) set both before Dagster starts."""

from pathlib import Path

from dagster_dbt import DbtProject

dbt_project = DbtProject(project_dir=Path(__file__).resolve().parents[3] / "dbt_pcnmo")
# Under `dagster dev` only: parse the project so the manifest follows edits to the models.
dbt_project.prepare_if_dev()
