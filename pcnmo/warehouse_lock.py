"""Waiting for DuckDB's file lock on the working warehouse, and saying who holds it.

DuckDB lets one process write a database file, and a process that opens the file, even
read-only, keeps every other process from writing it. An analyst who opens the working
warehouse instead of the published copy (a DuckDB client or BI tool pointed at the wrong file)
would make the run fail at once. So every connection the pipeline opens waits for the lock
with a bounded back-off (`pcnmo.settings.lock_wait_seconds`), and when the wait runs out fails
with a message that names the file, the process holding it (DuckDB's error names it) and the
file analysts should open instead.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from pcnmo import settings

LOG = logging.getLogger(__name__)
FIRST_PAUSE_SECONDS = 0.25
LONGEST_PAUSE_SECONDS = 5.0

T = TypeVar("T")
_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>[0-9]+)\)")


class WarehouseLocked(RuntimeError):
    """The working warehouse stayed locked by another process for the whole wait."""

    def __init__(self, path: Path, holder: str, waited: float) -> None:
        published = settings.paths().published_warehouse
        super().__init__(
            f"The working warehouse {path} is locked by another process ({holder}) and was "
            f"still locked after waiting {waited:.0f} s, so this step could not write it. "
            f"Analysts must query the published copy, {published}, never the working "
            "warehouse: close the connection that process holds (a DuckDB client, notebook or "
            "BI tool), then run again."
        )
        self.path = path
        self.holder = holder


def is_lock_conflict(error: BaseException) -> bool:
    text = str(error)
    return "Could not set lock on file" in text or "Conflicting lock is held" in text


def lock_holder(error: BaseException) -> str:
    """'PID 1234, /usr/bin/duckdb' from DuckDB's error text, or what DuckDB said."""
    match = _HOLDER.search(str(error))
    if match:
        return f"PID {match.group('pid')}, {match.group('program')}"
    return "a process DuckDB did not name"


def with_lock_wait(
    path: Path,
    attempt: Callable[[], T],
    *,
    wait_seconds: float | None = None,
    on_wait: Callable[[str], Any] | None = None,
) -> T:
    """`attempt()`, again and again while it fails on DuckDB's lock on `path`, for at most
    `wait_seconds` (default: the setting); then `WarehouseLocked`."""
    wait = settings.lock_wait_seconds() if wait_seconds is None else wait_seconds
    started = time.monotonic()
    pause = FIRST_PAUSE_SECONDS
    said = False
    while True:
        try:
            return attempt()
        except (duckdb.IOException, duckdb.ConnectionException) as error:
            if not is_lock_conflict(error):
                raise
            waited = time.monotonic() - started
            if waited >= wait:
                raise WarehouseLocked(path, lock_holder(error), waited) from None
            if not said:
                message = (
                    f"{path} is locked by another process ({lock_holder(error)}); waiting up "
                    f"to {wait:.0f} s for it to let go"
                )
                (on_wait or LOG.warning)(message)
                said = True
            time.sleep(min(pause, max(wait - waited, 0.0)))
            pause = min(pause * 2, LONGEST_PAUSE_SECONDS)


def connect_waiting(
    path: Path,
    *,
    read_only: bool = False,
    config: dict[str, Any] | None = None,
    wait_seconds: float | None = None,
    on_wait: Callable[[str], Any] | None = None,
) -> duckdb.DuckDBPyConnection:
    """`duckdb.connect`, waiting for another process's lock on the file to go."""
    return with_lock_wait(
        path,
        lambda: duckdb.connect(str(path), read_only=read_only, config=config or {}),
        wait_seconds=wait_seconds,
        on_wait=on_wait,
    )


def holder_of(path: Path) -> str | None:
    """Who holds a lock on `path` that keeps this process from writing it, if anyone (a quick
    look: opens the file for writing and closes it at once; never waits)."""
    if not path.exists():
        return None
    try:
        duckdb.connect(str(path)).close()
    except (duckdb.IOException, duckdb.ConnectionException) as error:
        if is_lock_conflict(error):
            return lock_holder(error)
        raise
    return None
