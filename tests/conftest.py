"""Session-wide test environment: a throwaway data directory, a test key, no telemetry.

Set before any project module is imported, so nothing a test does can touch ./data or send
anything anywhere. The environment is the command line's own (`pcnmo.settings`), pointed at
the throwaway directory.
"""

import fcntl
import os
import tempfile
from pathlib import Path

import pytest

from pcnmo import settings

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="pcnmo-tests-"))
os.environ[settings.DATA_DIR_ENV] = str(_SESSION_DIR / "data")
os.environ[settings.KEY_ENV] = "test-key-" + "0" * 40
# Partitions start at the oldest month any test loads (real public files from 2017); a user's
# default is the oldest month folder in their inbox.
os.environ[settings.FIRST_MONTH_ENV] = "2017-01"
# Forced, not defaulted: a developer's own warehouse or Dagster instance must never be used.
os.environ.update(settings.tool_environment(settings.paths()))

from tools.cli.environment import prepare_environment  # noqa: E402 (after the environment)

prepare_environment()

REPO_ROOT = Path(__file__).resolve().parents[1]


# A test that asks for one of these runs dbt over the project (a parse for the manifest, or a
# build of a scenario): marked `dbt`, so `make test-fast` can leave it out.
DBT_FIXTURES = frozenset({"dbt_manifest", "dbt_parse", "built"})
# Every test here runs Dagster (jobs, sensors, real processes killed or waiting on a lock):
# marked `orchestration`, so `make test-fast` can leave it out.
ORCHESTRATION_TESTS = REPO_ROOT / "tests" / "orchestration"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if DBT_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.dbt)
        if item.path.is_relative_to(ORCHESTRATION_TESTS):
            item.add_marker(pytest.mark.orchestration)
    # Stable: every other test keeps its order. Each pytest-xdist worker sorts the same way, so
    # the first worker is handed these first and the other worker does the rest meanwhile.
    items.sort(key=lambda item: item.get_closest_marker("starts_first") is None)


@pytest.fixture(scope="session")
def dbt_manifest(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A fresh dbt_pcnmo/target/manifest.json: dagster-dbt reads it when the definitions are
    imported. Under pytest-xdist the first worker parses and the others wait for it, instead
    of every worker racing for dagster-dbt's lock on the one target directory."""
    from dagster_project.defs.transform.project import dbt_project

    if worker_id == "master":
        dbt_project.preparer.prepare(dbt_project)
        return dbt_project.manifest_path
    # The parent of a worker's base temp directory is shared by the workers of one run.
    run_dir = tmp_path_factory.getbasetemp().parent
    done = run_dir / "dbt-manifest-prepared"
    with (run_dir / "dbt-manifest.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            dbt_project.preparer.prepare(dbt_project)
            done.touch()
    return dbt_project.manifest_path
