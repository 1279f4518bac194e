"""pcnmo's settings: the only module that reads the environment.

Where pcnmo keeps its files: one data directory, every other path derived from it.
`PCNMO_DATA_DIR` (default `./data`) is the one setting. Each derived path can still be
overridden by its own environment variable, so an operator can put the warehouse on a
faster disk or the inbox on a shared drive without moving everything else.

Nothing here writes the environment or the disk: `tool_environment` returns the defaults the
command line (and the tests) apply before Dagster, dbt and Great Expectations start.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "PCNMO_DATA_DIR"
DUCKDB_PATH_ENV = "PCNMO_DUCKDB_PATH"
KEY_ENV = "PCNMO_PSEUDONYMISATION_KEY"
SUB_ICB_SCOPE_ENV = "PCNMO_SUB_ICB_CODES"
PUBLISHED_DUCKDB_PATH_ENV = "PCNMO_PUBLISHED_DUCKDB_PATH"
DAGSTER_HOME_ENV = "DAGSTER_HOME"

# Every tool quiet and offline: no telemetry from dbt, Great Expectations or Dagster.
QUIET_OFFLINE = {
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "GX_ANALYTICS_ENABLED": "False",
    "DAGSTER_DISABLE_TELEMETRY": "true",
}


@dataclass(frozen=True)
class Paths:
    data_dir: Path
    inbox: Path
    warehouse: Path
    quarantine: Path
    published: Path
    # The analysts' copy of the marts, swapped in atomically after each successful build.
    published_warehouse: Path
    outputs: Path
    key_file: Path

    def month_inbox(self, month: str) -> Path:
        """The inbox folder for one reporting month, `YYYY-MM`."""
        return self.inbox / month


def _path_from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def paths() -> Paths:
    """Resolve every path now, so a test that changes the environment sees the change."""
    data_dir = _path_from_env(DATA_DIR_ENV, Path("data").resolve())
    published = _path_from_env("PCNMO_PUBLISHED_DIR", data_dir / "published")
    return Paths(
        data_dir=data_dir,
        inbox=_path_from_env("PCNMO_INBOX_DIR", data_dir / "inbox"),
        warehouse=_path_from_env(DUCKDB_PATH_ENV, data_dir / "warehouse" / "pcnmo.duckdb"),
        quarantine=_path_from_env("PCNMO_QUARANTINE_DIR", data_dir / "quarantine"),
        published=published,
        published_warehouse=_path_from_env(PUBLISHED_DUCKDB_PATH_ENV, published / "pcnmo.duckdb"),
        outputs=_path_from_env("PCNMO_OUTPUTS_DIR", data_dir / "outputs"),
        key_file=_path_from_env("PCNMO_KEY_FILE", data_dir / "secrets" / "pseudonymisation.key"),
    )


def pseudonymisation_key() -> str | None:
    """The key from the environment, if it is set there (else the key file holds it)."""
    return os.environ.get(KEY_ENV) or None


def tool_environment(paths: Paths) -> dict[str, str]:
    """Environment defaults for Dagster, dbt and GX: telemetry off, and the warehouse and
    Dagster instance in the data directory. Apply them with `setdefault` (an operator's own
    setting wins); dbt's profiles.yml reads the warehouse path from here."""
    return {
        **QUIET_OFFLINE,
        DUCKDB_PATH_ENV: str(paths.warehouse),
        DAGSTER_HOME_ENV: str(paths.data_dir / "dagster"),
    }


def dbt_executable() -> str:
    """dbt installed beside this interpreter (so an un-activated virtualenv still works), else
    the one on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else shutil.which("dbt") or "dbt"


def path_with_dbt() -> str:
    """PATH with `dbt_executable()`'s folder first: tools that run plain `dbt` (dagster-dbt's
    manifest preparer) then find the project's own."""
    path = os.environ.get("PATH", "")
    folder = str(Path(dbt_executable()).parent)
    return path if path.split(os.pathsep)[0] == folder else f"{folder}{os.pathsep}{path}"


def sub_icb_scope() -> frozenset[str]:
    """Sub-ICB location codes whose practices are kept from national files (empty: all)."""
    raw = os.environ.get(SUB_ICB_SCOPE_ENV, "")
    return frozenset(code.strip().upper() for code in raw.split(",") if code.strip())
