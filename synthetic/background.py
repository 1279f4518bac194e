"""Clinical extracts written by forked child processes while the generator goes on.

Writing a PCN's extracts (CSV text for every practice and month) is about half of generating
the demo, and needs nothing the rest of the generator makes afterwards: a child forked with the
PCN's simulated record writes them, up to one child per core, while this process writes the
logs and the public files. A child draws no random numbers (the bytes do not depend on who
writes them) and reports back only what it adds to the summary: files, rows and bad rows.
Where processes cannot be forked, the extracts are written here, in order.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from synthetic.config import GenerationSummary

_FORK = "fork" in multiprocessing.get_all_start_methods()


def _summarised(
    write: Callable[..., None], args: tuple[Any, ...], inbox: str
) -> tuple[int, dict[str, int], dict[str, dict[str, int]]]:
    summary = GenerationSummary(inbox=inbox, months=[])
    write(*args, summary)
    return summary.files, summary.rows, summary.bad_rows


def _child(pipe: Connection, write: Callable[..., None], args: tuple[Any, ...], inbox: str) -> None:
    try:
        pipe.send(_summarised(write, args, inbox))
    except BaseException as error:  # reported to the parent, which raises it
        pipe.send(RuntimeError(f"writing clinical extracts failed: {error!r}"))
    finally:
        pipe.close()


def _merge(summary: GenerationSummary, added: tuple) -> None:
    files, rows, bad_rows = added
    summary.files += files
    for table, count in rows.items():
        summary.rows[table] = summary.rows.get(table, 0) + count
    for name, reasons in bad_rows.items():
        merged = summary.bad_rows.setdefault(name, {})
        for reason, count in reasons.items():
            merged[reason] = merged.get(reason, 0) + count


class BackgroundWriters:
    """Run `write(*args, summary)` calls in forked children, at most one per core at once;
    `finish` waits for them all and adds what they wrote to the summary."""

    def __init__(self, summary: GenerationSummary) -> None:
        self.summary = summary
        self.limit = os.cpu_count() or 1
        self.running: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []

    def submit(self, write: Callable[..., None], *args: Any) -> None:
        if not _FORK:
            write(*args, self.summary)
            return
        while len(self.running) >= self.limit:
            self._collect(*self.running.pop(0))
        context = multiprocessing.get_context("fork")
        receiving, sending = context.Pipe(duplex=False)
        child = context.Process(
            target=_child, args=(sending, write, args, self.summary.inbox), daemon=True
        )
        child.start()
        sending.close()
        self.running.append((child, receiving))

    def _collect(self, child: multiprocessing.process.BaseProcess, pipe: Connection) -> None:
        try:
            added = pipe.recv()
        except EOFError:
            added = RuntimeError("a child writing clinical extracts died without a word")
        finally:
            pipe.close()
            child.join()
        if isinstance(added, BaseException):
            raise added
        _merge(self.summary, added)

    def finish(self) -> None:
        while self.running:
            self._collect(*self.running.pop(0))
