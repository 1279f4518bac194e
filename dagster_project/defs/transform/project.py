import os
from pathlib import Path

from dagster_dbt import DbtProject

from ingestion import settings

# profiles.yml reads the warehouse path from the environment. Derive it from the one
# data-directory setting when the operator has not set it, before anything runs dbt (under
# `dagster dev`, prepare_if_dev() parses the project as soon as this module is imported).
os.environ.setdefault(settings.DUCKDB_PATH_ENV, str(settings.paths().warehouse))

dbt_project = DbtProject(project_dir=Path(__file__).resolve().parents[3] / "dbt_pcnmo")
dbt_project.prepare_if_dev()
