"""What every `pcnmo` command sets up before Dagster, dbt or Great Expectations start: the
quiet, offline environment of `pcnmo.settings` (an operator's own settings win), the
project's dbt first on PATH, and the Dagster instance in the data directory."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pcnmo import settings

REPO_ROOT = Path(__file__).resolve().parents[2]


def prepare_environment() -> settings.Paths:
    """Point Dagster, dbt and GX at the data directory, quietly and offline."""
    paths = settings.paths()
    for name, value in settings.tool_environment(paths).items():
        os.environ.setdefault(name, value)
    os.environ["PATH"] = settings.path_with_dbt()
    dagster_home = Path(os.environ[settings.DAGSTER_HOME_ENV])
    dagster_home.mkdir(parents=True, exist_ok=True)
    instance_yaml = dagster_home / "dagster.yaml"
    if not instance_yaml.exists():
        shutil.copyfile(REPO_ROOT / "dagster.yaml", instance_yaml)
    return paths


def prepare_dbt_manifest() -> None:
    """dagster-dbt reads target/manifest.json at import time: parse the project first."""
    from dagster_project.defs.transform.project import dbt_project

    dbt_project.preparer.prepare(dbt_project)
