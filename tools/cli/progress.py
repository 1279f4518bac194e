"""What `pcnmo run` shows while it works: one line per stage, with a counter and the time so
far, and everything else (dbt's line per node, Dagster's warnings) in the run's log file.

    ingest 2025-04..2026-09   ok       452 of 452 files      1m24s
    build warehouse           ...      301 of 707 dbt nodes    43s

On a terminal the line of the running stage is redrawn as it moves; elsewhere (a log, CI) each
stage prints its line once, when it ends. While a stage runs, whatever Dagster and dbt write to
stdout and stderr goes to the log file instead of the console; errors are reported in full
once the stage ends (the caller prints them).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import TextIO

from pcnmo.redaction import redact

# dbt's line for a node that has finished: "12 of 689 OK created sql table model ..." (with
# PASS, WARN, ERROR, FAIL, SKIP or NO-OP instead of OK). "12 of 689 START ..." is not counted.
_DBT_NODE_DONE = re.compile(r"^\s*\d+ of (\d+) (OK|PASS|WARN|ERROR|FAIL|SKIP|NO-OP)\b")
# Each dbt command (source freshness, build) starts with this line and numbers its own nodes.
_DBT_COMMAND_START = re.compile(r"^\s*Running with dbt=")

_REDRAW_SECONDS = 0.2


def elapsed_text(seconds: float) -> str:
    """`42s`, `3m07s`, `1h02m`."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Stage:
    """A counter towards a total (either may grow as the stage learns more), and a clock."""

    def __init__(self, label: str, unit: str, total: int | None = None) -> None:
        self.label = label
        self.unit = unit
        self.started = time.monotonic()
        self.status = "..."
        self._done = 0
        self._total = total
        # dbt commands seen so far: (nodes done, nodes in the command)
        self._commands: list[list[int]] = []

    @property
    def done(self) -> int:
        return self._done + sum(done for done, _ in self._commands)

    @property
    def total(self) -> int | None:
        if self._commands:
            return (self._total or 0) + sum(total for _, total in self._commands)
        return self._total

    def advance(self, count: int = 1) -> None:
        self._done += count

    def dbt_line(self, line: str) -> None:
        """Count a line of dbt's output towards the stage."""
        if _DBT_COMMAND_START.match(line):
            self._commands.append([0, 0])
        elif match := _DBT_NODE_DONE.match(line):
            if not self._commands:
                self._commands.append([0, 0])
            self._commands[-1][0] += 1
            self._commands[-1][1] = int(match.group(1))

    def line(self) -> str:
        counter = ""
        total = self.total
        if total is not None or self.done:
            of = f" of {total}" if total is not None else ""
            counter = f"{self.done}{of} {self.unit}"
        elapsed = elapsed_text(time.monotonic() - self.started)
        return f"{self.label:<26} {self.status:<7} {counter:<22} {elapsed:>6}"


class _Capture(io.TextIOBase):
    """A text stream that writes whole lines to the log and shows dbt's node lines to the stage."""

    def __init__(self, log: TextIO, stage: Stage, changed: threading.Event) -> None:
        self._log = log
        self._stage = stage
        self._changed = changed
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._log.write(redact(line) + "\n")
            self._stage.dbt_line(line)
        if lines:
            self._changed.set()
        return len(text)

    def flush(self) -> None:
        self._log.flush()

    def close_line(self) -> None:
        if self._pending:
            self.write("\n")


class _Counter(logging.Handler):
    """Counts a logger's records towards the stage, by their `files` (else 1), and logs them."""

    def __init__(self, log: TextIO, stage: Stage, changed: threading.Event) -> None:
        super().__init__(logging.INFO)
        self._log, self._stage, self._changed = log, stage, changed

    def emit(self, record: logging.LogRecord) -> None:
        self._stage.advance(getattr(record, "files", 1))
        self._log.write(self.format(record) + "\n")
        self._changed.set()


class Progress:
    """The console lines of one `pcnmo run`, and its log file under the data directory."""

    def __init__(self, log_dir: Path, console: TextIO | None = None) -> None:
        self.console = console or sys.stdout
        self.interactive = self.console.isatty()
        log_dir.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        self.log_path = log_dir / f"run-{stamp}.log"
        self._log = self.log_path.open("a", encoding="utf-8")

    def close(self) -> None:
        self._log.close()

    def note(self, text: str) -> None:
        """A line for the console (and the log)."""
        self._log.write(redact(text) + "\n")
        self._log.flush()
        print(text, file=self.console, flush=True)

    @contextmanager
    def stage(
        self,
        label: str,
        unit: str,
        total: int | None = None,
        counted: logging.Logger | None = None,
    ) -> Iterator[Stage]:
        """Run a stage: its output goes to the log, its line to the console; each record of
        `counted` moves the counter on (dbt's node lines always do). The caller sets
        `stage.status` before leaving (`ok` or `FAILED`); the last line is drawn then."""
        stage = Stage(label, unit, total)
        self._log.write(f"\n=== {label} ({dt.datetime.now():%Y-%m-%d %H:%M:%S})\n")
        changed = threading.Event()
        stopped = threading.Event()
        capture = _Capture(self._log, stage, changed)
        counter = _Counter(self._log, stage, changed)
        if counted is not None:
            counted.addHandler(counter)
            counted.setLevel(logging.INFO)
        drawer = None
        if self.interactive:
            drawer = threading.Thread(
                target=self._redraw, args=(stage, changed, stopped), daemon=True
            )
            drawer.start()
        try:
            with redirect_stdout(capture), redirect_stderr(capture):
                yield stage
        finally:
            capture.close_line()
            if counted is not None:
                counted.removeHandler(counter)
            stopped.set()
            if drawer is not None:
                drawer.join()
            self._log.flush()
            end = "\r\033[K" if self.interactive else ""
            print(end + stage.line(), file=self.console, flush=True)

    def _redraw(self, stage: Stage, changed: threading.Event, stopped: threading.Event) -> None:
        while not stopped.is_set():
            # Redraw on news, and at least every second so the clock moves.
            changed.wait(timeout=1.0)
            changed.clear()
            self.console.write("\r\033[K" + stage.line())
            self.console.flush()
            stopped.wait(_REDRAW_SECONDS)
