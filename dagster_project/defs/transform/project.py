from pathlib import Path

from dagster_dbt import DbtProject

dbt_project = DbtProject(project_dir=Path(__file__).resolve().parents[3] / "dbt_pcnmo")
dbt_project.prepare_if_dev()
