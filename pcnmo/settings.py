"""pcnmo's settings: the only module that reads the environment.

Where pcnmo keeps its files: one data directory, every other path derived from it.
`PCNMO_DATA_DIR` (default `./data`) is the one setting. Each derived path can still be
overridden by its own environment variable, so an operator can put the warehouse on a
faster disk or the inbox on a shared drive without moving everything else.

Nothing here writes the environment or the disk: `tool_environment` returns the defaults the
command line (and the tests) apply before Dagster, dbt and Great Expectations start.
"""

from __future__ import annotations

import datetime as dt
import os
import re
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
LOCK_WAIT_ENV = "PCNMO_LOCK_WAIT_SECONDS"
FIRST_MONTH_ENV = "PCNMO_FIRST_MONTH"

# How long a step waits for the working warehouse when another process holds DuckDB's lock on
# it (an analyst who opened the wrong file, say) before it fails and says who holds it.
DEFAULT_LOCK_WAIT_SECONDS = 300.0

# How much of the machine DuckDB may use, in the loader and in the dbt build alike.
MEMORY_LIMIT_ENV = "PCNMO_MEMORY_LIMIT"
THREADS_ENV = "PCNMO_THREADS"
DBT_THREADS_ENV = "PCNMO_DBT_THREADS"
TEMP_DIR_ENV = "PCNMO_TEMP_DIR"

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
    # Every temporary file a run makes outside the folder of the file it replaces: copies of
    # workbooks read as CSV, DuckDB's spill files. Cleaned of dead processes' files on start.
    temp: Path

    def month_inbox(self, month: str) -> Path:
        """The inbox folder for one reporting month, `YYYY-MM`."""
        return self.inbox / month

    def temp_roots(self) -> list[Path]:
        """Every folder a temporary file can be in: the temp folder, and beside each file
        that is replaced atomically (published copy, outputs, quarantine)."""
        roots = [self.data_dir, self.temp, self.published, self.outputs, self.quarantine]
        return [
            r for r in dict.fromkeys(roots) if not _inside(r, self.data_dir) or r == self.data_dir
        ]


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


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
        temp=_path_from_env(TEMP_DIR_ENV, data_dir / "tmp"),
    )


# DuckDB's memory limit by default: a quarter of the machine's memory, so that the loader or
# the dbt build leaves room for Python, the operating system and whoever shares the machine,
# between 1 GB and 4 GB (beyond that DuckDB spills to the temp directory instead of growing).
MEMORY_SHARE = 0.25
MEMORY_FLOOR_MB = 1024
MEMORY_CAP_MB = 4096


@dataclass(frozen=True)
class Limits:
    """What DuckDB may use: memory (a DuckDB size such as `3GB`), threads, and dbt's threads."""

    memory_limit: str
    threads: int
    dbt_threads: int

    def duckdb_config(self, temp_dir: Path) -> dict[str, str]:
        """DuckDB connection settings: the limits, spilling to `temp_dir` (which must exist),
        and results in any order (keeping insertion order costs memory; every reader here
        sorts what it needs)."""
        return {
            "memory_limit": self.memory_limit,
            "threads": str(self.threads),
            "temp_directory": str(temp_dir),
            "preserve_insertion_order": "false",
        }


def _physical_memory_mb() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (ValueError, OSError, AttributeError):  # not every platform says
        return None


def default_memory_limit_mb(physical_mb: int | None) -> int:
    if physical_mb is None:
        return MEMORY_FLOOR_MB
    return int(min(max(physical_mb * MEMORY_SHARE, MEMORY_FLOOR_MB), MEMORY_CAP_MB))


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def limits() -> Limits:
    """The limits from the environment, else from the machine."""
    memory = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
    if memory and not re.fullmatch(r"[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", memory):
        raise ValueError(f"{MEMORY_LIMIT_ENV} must be a size such as 4GB or 1500MB, not {memory!r}")
    cores = os.cpu_count() or 1
    return Limits(
        memory_limit=memory or f"{default_memory_limit_mb(_physical_memory_mb())}MB",
        threads=_positive_int(THREADS_ENV, cores),
        dbt_threads=_positive_int(DBT_THREADS_ENV, cores),
    )


def inbox_months(inbox: Path) -> list[str]:
    """The reporting months (`YYYY-MM` folders) the inbox holds, oldest first."""
    if not inbox.is_dir():
        return []
    return sorted(
        p.name for p in inbox.iterdir() if p.is_dir() and re.fullmatch(r"[0-9]{4}-[0-9]{2}", p.name)
    )


def first_month(paths: Paths) -> dt.date:
    """The first reporting month the pipeline knows (where its monthly partitions start):
    `PCNMO_FIRST_MONTH` (YYYY-MM), else the oldest month folder in the inbox, else this
    month."""
    raw = os.environ.get(FIRST_MONTH_ENV, "").strip()
    if raw:
        if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", raw):
            raise ValueError(f"{FIRST_MONTH_ENV}={raw!r} is not a month: write it as YYYY-MM")
        return dt.date.fromisoformat(f"{raw}-01")
    months = inbox_months(paths.inbox)
    if months:
        return dt.date.fromisoformat(f"{months[0]}-01")
    return dt.date.today().replace(day=1)


def lock_wait_seconds() -> float:
    """Seconds a writer waits for the working warehouse's lock (`PCNMO_LOCK_WAIT_SECONDS`)."""
    raw = os.environ.get(LOCK_WAIT_ENV, "").strip()
    if not raw:
        return DEFAULT_LOCK_WAIT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if seconds < 0:
        raise ValueError(f"{LOCK_WAIT_ENV}={raw!r} is not a number of seconds (0 or more)")
    return seconds


def pseudonymisation_key() -> str | None:
    """The key from the environment, if it is set there (else the key file holds it)."""
    return os.environ.get(KEY_ENV) or None


def tool_environment(paths: Paths) -> dict[str, str]:
    """Environment defaults for Dagster, dbt and GX: telemetry off, and the warehouse and
    Dagster instance in the data directory. Apply them with `setdefault` (an operator's own
    setting wins); dbt's profiles.yml reads the warehouse path from here."""
    machine = limits()
    return {
        **QUIET_OFFLINE,
        DUCKDB_PATH_ENV: str(paths.warehouse),
        DAGSTER_HOME_ENV: str(paths.data_dir / "dagster"),
        # dbt's profiles.yml reads these four.
        MEMORY_LIMIT_ENV: machine.memory_limit,
        THREADS_ENV: str(machine.threads),
        TEMP_DIR_ENV: str(paths.temp),
        DBT_THREADS_ENV: str(machine.dbt_threads),
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
