"""Starting again after a crash, without anyone's help.

A run killed with `kill -9` (or a machine that lost power) leaves three things behind, and
each would stop or slow the next run:

- its record, still STARTED: Dagster's run monitoring cannot tell that a run worker of the
  default launcher died, and an in-process run (`pcnmo run`) has no monitor at all;
- the `duckdb` pool slot its running step held: every later step waits for it forever;
- its temporary files (some hold rows as delivered, NHS numbers included).

`recover` finds runs whose process is gone (the process ids Dagster records when a run or
its steps start; none of them alive), marks them failed, frees every slot held by a run that
is over, and removes temporary files of dead processes. `pcnmo run` calls it at start-up; the
`recover_crashed_runs` sensor calls it every minute while the daemon runs (the schedule's
runs). The data itself needs nothing: every load and build writes in one transaction or to a
temporary name, so what a killed run leaves is the last good state, and the next run redoes
the work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from dagster._core.storage.dagster_run import IN_PROGRESS_RUN_STATUSES, RunsFilter

from pcnmo.tempfiles import pid_alive, remove_stale


@dataclass
class Recovery:
    failed_runs: list[str] = field(default_factory=list)  # "job (run id)"
    freed_slots_of: list[str] = field(default_factory=list)  # run ids
    removed_files: list[Path] = field(default_factory=list)

    def lines(self) -> list[str]:
        found = []
        if self.failed_runs:
            found.append(
                "Marked failed (their process is gone): " + ", ".join(self.failed_runs) + "."
            )
        if self.freed_slots_of:
            found.append(f"Freed the pool slots of {len(self.freed_slots_of)} finished run(s).")
        if self.removed_files:
            found.append(f"Removed {len(self.removed_files)} temporary file(s) of dead processes.")
        return found


def run_pids(instance: dg.DagsterInstance, run_id: str) -> list[int]:
    """Process ids Dagster recorded for the run as a whole (not for single steps)."""
    pids = []
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        event = record.dagster_event
        if event is None or event.step_key:
            continue
        metadata = getattr(event.event_specific_data, "metadata", None) or {}
        pid = metadata.get("pid")
        text = getattr(pid, "value", pid)
        if text is not None and str(text).isdigit():
            pids.append(int(str(text)))
    return pids


def dead_runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    """Runs still marked in progress whose every recorded process is gone."""
    dead = []
    for run in instance.get_runs(filters=RunsFilter(statuses=list(IN_PROGRESS_RUN_STATUSES))):
        pids = run_pids(instance, run.run_id)
        if pids and not any(pid_alive(pid) for pid in pids):
            dead.append(run)
    return dead


def recover(instance: dg.DagsterInstance, temp_roots: Iterable[Path]) -> Recovery:
    recovery = Recovery()
    for run in dead_runs(instance):
        pids = ", ".join(str(p) for p in run_pids(instance, run.run_id))
        instance.report_run_failed(
            run,
            f"The process running this run (pid {pids}) is gone: killed or crashed. Marked "
            "failed so the steps waiting for its pool slot can go on; run it again (a rerun "
            "redoes the work, nothing is duplicated).",
        )
        recovery.failed_runs.append(f"{run.job_name} ({run.run_id[:8]})")
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        for run_id in sorted(storage.get_concurrency_run_ids()):
            run = instance.get_run_by_id(run_id)
            if run is None or run.is_finished:
                storage.free_concurrency_slots_for_run(run_id)
                recovery.freed_slots_of.append(run_id)
    recovery.removed_files = remove_stale(temp_roots)
    return recovery
