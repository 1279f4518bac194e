"""Where pcnmo keeps its files: one data directory, every other path derived from it.

`PCNMO_DATA_DIR` (default `./data`) is the one setting. Each derived path can still be
overridden by its own environment variable, so an operator can put the warehouse on a
faster disk or the inbox on a shared drive without moving everything else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "PCNMO_DATA_DIR"
DUCKDB_PATH_ENV = "PCNMO_DUCKDB_PATH"
KEY_ENV = "PCNMO_PSEUDONYMISATION_KEY"
SUB_ICB_SCOPE_ENV = "PCNMO_SUB_ICB_CODES"
PUBLISHED_DUCKDB_PATH_ENV = "PCNMO_PUBLISHED_DUCKDB_PATH"


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


def sub_icb_scope() -> frozenset[str]:
    """Sub-ICB location codes whose practices are kept from national files (empty: all)."""
    raw = os.environ.get(SUB_ICB_SCOPE_ENV, "")
    return frozenset(code.strip().upper() for code in raw.split(",") if code.strip())
