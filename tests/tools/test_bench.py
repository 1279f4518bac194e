"""`make bench`: each tier's figures against its targets, and memory summed over processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tools.bench import _tree_rss_mb, child_environment, verdicts


def test_each_target_shows_measured_target_and_ratio():
    lines = verdicts("icb-wide", {"seconds": 30 * 60, "peak_mb": 3 * 1024})
    time, memory = lines
    assert "30.00 min" in time and "25.00 min" in time and "1.20" in time and "MISSES" in time
    assert "3.00 GB" in memory and "6.00 GB" in memory and "0.50" in memory and "meets" in memory


def test_the_new_month_is_measured_against_a_full_rebuild():
    [line] = verdicts("icb-wide-month", {"seconds": 60.0, "rebuild_seconds": 400.0, "peak_mb": 1})
    assert "0.15" in line and "0.30" in line and "meets" in line


def test_peak_memory_counts_a_process_and_its_children():
    holder = "import time; block = bytearray(200 * 2**20); time.sleep(30)"
    spawner = (
        "import subprocess, sys, time; "
        f"subprocess.Popen([sys.executable, '-c', {holder!r}]); time.sleep(30)"
    )
    # Its own session, so that the test ends the process and its child together, by group.
    parent = subprocess.Popen([sys.executable, "-c", spawner], start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while _tree_rss_mb(parent.pid) <= 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        # The parent alone holds a few MB: the 200 MB are its child's.
        assert _tree_rss_mb(parent.pid) > 200
    finally:
        os.killpg(parent.pid, signal.SIGTERM)
        parent.wait()


def test_a_measured_step_works_in_its_own_data_directory_not_the_callers():
    # What `pcnmo` itself set from the caller's data directory before `bench` ran.
    caller = {
        "PCNMO_DATA_DIR": "/home/me/data",
        "PCNMO_DUCKDB_PATH": "/home/me/data/warehouse/pcnmo.duckdb",
        "DAGSTER_HOME": "/home/me/data/dagster",
        "PCNMO_TEMP_DIR": "/home/me/data/tmp",
        "PCNMO_MEMORY_LIMIT": "3GB",
    }
    env = child_environment(caller)
    assert not {"PCNMO_DUCKDB_PATH", "DAGSTER_HOME", "PCNMO_TEMP_DIR"} & set(env)
    assert env["PCNMO_MEMORY_LIMIT"] == "3GB"  # the limits still apply
    assert env["PCNMO_PSEUDONYMISATION_KEY"]
