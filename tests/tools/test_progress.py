"""`pcnmo run`'s progress: one line per stage on the console, everything else in the run log."""

from __future__ import annotations

import io
import logging
import sys

from tools.cli.progress import Progress, Stage, elapsed_text

DBT_OUTPUT = """Running with dbt=1.11.16
Found 2 models, 1 data test
1 of 3 START sql table model intermediate.a ............ [RUN]
1 of 3 OK created sql table model intermediate.a ....... [OK in 0.2s]
2 of 3 START test not_null_a_id ........................ [RUN]
2 of 3 FAIL 1 not_null_a_id ............................ [FAIL 1 in 0.1s]
3 of 3 SKIP relation marts.b ........................... [SKIP]
Running with dbt=1.11.16
1 of 2 PASS freshness of clinical.events ............... [PASS in 0.0s]
"""


def test_dbt_nodes_are_counted_when_they_finish_across_dbt_commands():
    stage = Stage("build warehouse", "dbt nodes")
    for line in DBT_OUTPUT.splitlines():
        stage.dbt_line(line)
    # 3 finished of 3 in the build, 1 of 2 in the freshness check so far.
    assert (stage.done, stage.total) == (4, 5)
    assert "4 of 5 dbt nodes" in stage.line()


def test_lines_that_only_look_like_dbt_nodes_are_not_counted():
    stage = Stage("ingest", "files", total=7)
    for line in ("3 of 7 START x", "the 2 of 3 OK", "12 of many OK", "no pcnmo here"):
        stage.dbt_line(line)
    assert (stage.done, stage.total) == (0, 7)


def test_a_stage_shows_one_line_and_logs_what_the_tools_print(tmp_path):
    console = io.StringIO()  # not a terminal: the stage's line is printed once, at its end
    progress = Progress(tmp_path / "logs", console=console)
    files = logging.getLogger("tests.progress.files")
    with progress.stage("ingest 2026-09", "files", total=3, counted=files) as stage:
        print("dagster - WARNING - no supervision_log file")
        sys.stderr.write("dbt says something on stderr\n")
        files.info("raw_clinical.events 2026-09: 2 file(s)", extra={"files": 2})
        files.info("raw_local.workforce 2026-09: 1 file(s)", extra={"files": 1})
        stage.status = "ok"
    progress.close()

    [line] = console.getvalue().splitlines()
    assert line.startswith("ingest 2026-09")
    assert " ok " in line and "3 of 3 files" in line
    log = progress.log_path.read_text(encoding="utf-8")
    assert progress.log_path.parent == tmp_path / "logs"
    assert "no supervision_log file" in log
    assert "dbt says something on stderr" in log
    assert "raw_local.workforce 2026-09: 1 file(s)" in log
    assert not files.handlers  # the counter is gone with the stage


def test_a_note_goes_to_the_console_and_the_log(tmp_path):
    console = io.StringIO()
    progress = Progress(tmp_path, console=console)
    progress.note("    step pcnmo_dbt_models failed: Database Error in model a")
    progress.close()
    assert console.getvalue() == "    step pcnmo_dbt_models failed: Database Error in model a\n"
    assert "Database Error in model a" in progress.log_path.read_text(encoding="utf-8")


def test_elapsed_time_reads_as_a_person_would_say_it():
    assert [elapsed_text(s) for s in (0, 42, 187, 3725)] == ["0s", "42s", "3m07s", "1h02m"]
