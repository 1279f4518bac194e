"""After `kill -9`, the next run starts without anyone's help: the dead run is marked failed,
its `duckdb` pool slot is freed and its temporary files are removed; a second `pcnmo run` on
the same data directory waits for the first, then refuses with a clear message.

The run that is killed is a real process running a job in process against a persistent
Dagster instance, exactly as `pcnmo run` does."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.recovery import recover
from tests.conftest import REPO_ROOT

# A job with one step in the duckdb pool that makes a temporary folder and then hangs, as a
# long ingest step does.
RUNNER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import dagster as dg
    from pcnmo.tempfiles import process_temp_dir

    @dg.asset(pool="duckdb")
    def slow(context):
        folder = process_temp_dir(Path(sys.argv[1]), "ingest")
        (folder / "EMIS_A12345_patients_202609.xlsx.csv").write_text("rows as delivered")
        print("working", flush=True)
        time.sleep(float(sys.argv[2]))

    @dg.asset(pool="duckdb")
    def quick():
        return 1

    name = sys.argv[3]
    job = dg.define_asset_job(name, selection=[slow] if name == "slow_job" else [quick])
    defs = dg.Definitions(assets=[slow, quick], jobs=[job])
    result = defs.resolve_job_def(name).execute_in_process(instance=dg.DagsterInstance.get())
    print("success" if result.success else "failed", flush=True)
    """
)


def _runner(home: Path, temp: Path, seconds: float, job: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(temp), str(seconds), job],
        env={**os.environ, "DAGSTER_HOME": str(home)},
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "dagster"
    home.mkdir()
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    return home


def test_a_killed_run_is_failed_its_slot_freed_and_its_temporary_files_removed(home, tmp_path):
    temp = tmp_path / "tmp"
    killed = _runner(home, temp, 600, "slow_job")
    assert killed.stdout.readline().strip() == "working"
    instance = dg.DagsterInstance.from_config(str(home))
    [run] = instance.get_runs()
    assert run.status == dg.DagsterRunStatus.STARTED
    assert instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert list(temp.iterdir())  # left behind

    recovery = recover(instance, [tmp_path])

    assert recovery.failed_runs == [f"slow_job ({run.run_id[:8]})"]
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
    assert not instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots
    assert list(temp.iterdir()) == []
    # The next run needs the slot: it finishes instead of waiting forever.
    after = _runner(home, temp, 0, "quick_job")
    output, _ = after.communicate(timeout=240)
    assert output.strip().splitlines()[-1] == "success"


def test_recovery_leaves_a_live_run_alone(home, tmp_path):
    running = _runner(home, tmp_path / "tmp", 600, "slow_job")
    try:
        assert running.stdout.readline().strip() == "working"
        instance = dg.DagsterInstance.from_config(str(home))
        recovery = recover(instance, [tmp_path])
        assert recovery.failed_runs == [] and recovery.removed_files == []
        [run] = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.STARTED
        assert instance.event_log_storage.get_concurrency_info("duckdb").claimed_slots
    finally:
        running.kill()
        running.wait()


def test_a_second_pcnmo_run_on_the_same_data_waits_then_refuses(tmp_path, monkeypatch):
    from pcnmo import settings
    from tools.cli.run import DataDirectoryBusy, run_lock

    monkeypatch.setenv("PCNMO_DATA_DIR", str(tmp_path / "data"))
    paths = settings.paths()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pcnmo import settings\n"
            "from tools.cli.run import run_lock\n"
            "with run_lock(settings.paths(), 0):\n"
            "    print('holding', flush=True)\n"
            "    time.sleep(600)\n",
        ],
        env={**os.environ, "PCNMO_DATA_DIR": str(tmp_path / "data")},
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        with pytest.raises(DataDirectoryBusy) as caught, run_lock(paths, 1.5):
            pass
        assert time.monotonic() - started >= 1.5
        assert f"pid {holder.pid}" in str(caught.value)
        assert "Run again when it has finished" in str(caught.value)
    finally:
        holder.kill()
        holder.wait()
    # Killed, its lock went with it: the next run goes ahead at once.
    with run_lock(paths, 0):
        pass
