"""Session-wide test environment: a throwaway data directory, a test key, no telemetry.

Set before any project module is imported, so nothing a test does can touch ./data or send
anything anywhere.
"""

import os
import sys
import tempfile
from pathlib import Path

import pytest

# dbt and dagster run as subprocesses: find them beside this interpreter, activated or not.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="pcnmo-tests-"))
os.environ["PCNMO_DATA_DIR"] = str(_SESSION_DIR / "data")
os.environ["PCNMO_DUCKDB_PATH"] = str(_SESSION_DIR / "data" / "warehouse" / "pcnmo.duckdb")
os.environ["PCNMO_PSEUDONYMISATION_KEY"] = "test-key-" + "0" * 40
os.environ["DAGSTER_HOME"] = str(_SESSION_DIR / "dagster")
os.environ["DO_NOT_TRACK"] = "1"
os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
os.environ["GX_ANALYTICS_ENABLED"] = "False"
(_SESSION_DIR / "dagster").mkdir(parents=True, exist_ok=True)
(_SESSION_DIR / "dagster" / "dagster.yaml").write_text(
    (Path(__file__).resolve().parents[1] / "dagster.yaml").read_text()
)

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE = REPO_ROOT.parent / "shared" / "reference"


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """A fresh target/manifest.json: dagster-dbt reads it when the definitions are imported."""
    from dagster_project.defs.transform.project import dbt_project

    dbt_project.preparer.prepare(dbt_project)
    return dbt_project.manifest_path


@pytest.fixture()
def reference_dir() -> Path:
    """../shared/reference, read in place; skipped where it is not beside the repository."""
    if not REFERENCE.is_dir():
        pytest.skip(f"real public NHS reference data not found at {REFERENCE}")
    return REFERENCE
