"""Temporary files that a killed process cannot leave behind for good.

Every temporary file or folder pcnmo makes is named by `temp_name`, which carries the id of
the process that made it. A process killed with `kill -9` removes nothing; the next run calls
`remove_stale`, which deletes what dead processes left (and never what a live one is writing).
Some of these files hold rows as delivered, NHS numbers included (a workbook read as CSV,
DuckDB's spill files), so leaving them is not only untidy.

A file that replaces another atomically is made beside it (`sibling_temp_path`: a rename is
atomic only within one file system); everything else lives under the data directory's `tmp`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

TAG = "pcnmo-tmp"
_NAME = re.compile(rf"\..*\.{TAG}-(?P<pid>[0-9]+)-[0-9a-f]{{8}}")


def temp_name(stem: str, suffix: str = "") -> str:
    """A hidden name that says which process made it: `.<stem>.pcnmo-tmp-<pid>-<random><suffix>`."""
    return f".{stem}.{TAG}-{os.getpid()}-{uuid.uuid4().hex[:8]}{suffix}"


def sibling_temp_path(target: Path) -> Path:
    """A temporary path beside `target`, keeping its suffix (some writers look at it)."""
    return target.with_name(temp_name(target.stem, target.suffix))


def process_temp_dir(root: Path, purpose: str) -> Path:
    """A new folder under `root` for this process's temporary files."""
    path = root / temp_name(purpose)
    path.mkdir(parents=True)
    return path


def pid_alive(pid: int) -> bool:
    """True while a process with this id exists (it may belong to another user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_pid(path: Path) -> int | None:
    match = _NAME.match(path.name)
    return int(match.group("pid")) if match else None


def stale_temp_files(roots: Iterable[Path]) -> list[Path]:
    """Temporary files and folders under `roots` whose process is gone."""
    found: set[Path] = set()
    for root in roots:
        if not root.is_dir():
            continue
        for folder, folders, files in os.walk(root):
            for name in [*folders, *files]:
                path = Path(folder) / name
                pid = owner_pid(path)
                if pid is not None and pid != os.getpid() and not pid_alive(pid):
                    found.add(path)
            # Never walk into a stale folder: it goes as a whole.
            folders[:] = [f for f in folders if Path(folder) / f not in found]
    return sorted(found)


def remove_stale(roots: Iterable[Path]) -> list[Path]:
    """Delete what dead processes left under `roots`; returns what was removed."""
    removed = []
    for path in stale_temp_files(roots):
        with contextlib.suppress(FileNotFoundError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        removed.append(path)
    return removed
