"""Write every output atomically: a failed run leaves the previous file intact.

The writer gets a temporary path in the destination folder (so the final os.replace is a
rename within one file system, which POSIX and Windows both make atomic); the file only takes
its real name once it is complete. On any error the temporary file is removed and the
previous output is untouched.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from pcnmo.tempfiles import sibling_temp_path


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary sibling of `target`; move it onto `target` when the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Keep the suffix: some writers (and LibreOffice) look at it. The leading dot hides the
    # partial file from people browsing the folder; the name carries the writer's process id,
    # so a run killed before the rename leaves nothing the next run does not clean.
    temporary = sibling_temp_path(target)
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def write_text_atomically(target: Path, text: str) -> Path:
    with atomic_path(target) as temporary:
        temporary.write_text(text, encoding="utf-8", newline="")
    return target
