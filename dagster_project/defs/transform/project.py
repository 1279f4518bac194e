import os
import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from pcnmo import settings

# profiles.yml reads the warehouse path from the environment. Derive it from the one
# data-directory setting when the operator has not set it, before anything runs dbt (under
# `dagster dev`, prepare_if_dev() parses the project as soon as this module is imported).
os.environ.setdefault(settings.DUCKDB_PATH_ENV, str(settings.paths().warehouse))


def dbt_executable() -> str:
    """dbt installed beside this interpreter, so an un-activated virtualenv still works."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else shutil.which("dbt") or "dbt"


# dagster-dbt's manifest preparer runs plain `dbt` from PATH, which an un-activated virtualenv
# (`.venv/bin/pcnmo run`) does not have.
if Path(dbt_executable()).parent != Path(shutil.which("dbt") or "/").parent:
    os.environ["PATH"] = f"{Path(dbt_executable()).parent}{os.pathsep}{os.environ.get('PATH', '')}"

dbt_project = DbtProject(project_dir=Path(__file__).resolve().parents[3] / "dbt_pcnmo")
dbt_project.prepare_if_dev()
