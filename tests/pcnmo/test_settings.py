import datetime as dt
import os
from pathlib import Path

import pytest

from pcnmo import settings


def test_every_path_derives_from_the_one_data_directory(monkeypatch, tmp_path):
    for name in ("PCNMO_DUCKDB_PATH", "PCNMO_INBOX_DIR", "PCNMO_QUARANTINE_DIR", "PCNMO_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PCNMO_DATA_DIR", str(tmp_path / "pcn"))
    paths = settings.paths()
    root = tmp_path / "pcn"
    assert paths.inbox == root / "inbox"
    assert paths.warehouse == root / "warehouse" / "pcnmo.duckdb"
    assert paths.quarantine == root / "quarantine"
    assert paths.key_file == root / "secrets" / "pseudonymisation.key"
    assert paths.month_inbox("2026-09") == root / "inbox" / "2026-09"


def test_a_single_path_can_be_moved_without_moving_the_rest(monkeypatch, tmp_path):
    monkeypatch.setenv("PCNMO_DATA_DIR", str(tmp_path / "pcn"))
    monkeypatch.setenv("PCNMO_DUCKDB_PATH", str(tmp_path / "fast" / "w.duckdb"))
    paths = settings.paths()
    assert paths.warehouse == tmp_path / "fast" / "w.duckdb"
    assert paths.inbox == tmp_path / "pcn" / "inbox"


def test_the_default_data_directory_is_data_under_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("PCNMO_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert settings.paths().data_dir == Path(tmp_path / "data").resolve()


def test_sub_icb_scope_is_read_as_a_clean_upper_case_set(monkeypatch):
    monkeypatch.setenv("PCNMO_SUB_ICB_CODES", " 15n, 11M,,")
    assert settings.sub_icb_scope() == {"15N", "11M"}
    monkeypatch.delenv("PCNMO_SUB_ICB_CODES")
    assert settings.sub_icb_scope() == frozenset()


def test_the_tool_environment_is_quiet_offline_and_in_the_data_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("PCNMO_DATA_DIR", str(tmp_path / "pcn"))
    for name in ("PCNMO_DUCKDB_PATH", "PCNMO_TEMP_DIR", "PCNMO_THREADS", "PCNMO_DBT_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PCNMO_MEMORY_LIMIT", "3GB")
    environment = settings.tool_environment(settings.paths())
    cores = str(os.cpu_count() or 1)
    assert environment == {
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "GX_ANALYTICS_ENABLED": "False",
        "DAGSTER_DISABLE_TELEMETRY": "true",
        "PCNMO_DUCKDB_PATH": str(tmp_path / "pcn" / "warehouse" / "pcnmo.duckdb"),
        "DAGSTER_HOME": str(tmp_path / "pcn" / "dagster"),
        "PCNMO_MEMORY_LIMIT": "3GB",
        "PCNMO_THREADS": cores,
        "PCNMO_TEMP_DIR": str(tmp_path / "pcn" / "tmp"),
        "PCNMO_DBT_THREADS": cores,
    }


@pytest.mark.parametrize(
    ("physical_mb", "limit_mb"),
    [(24 * 1024, 4096), (8 * 1024, 2048), (2 * 1024, 1024), (None, 1024)],
)
def test_duckdb_gets_a_quarter_of_the_machine_between_1_and_4_gb(physical_mb, limit_mb):
    assert settings.default_memory_limit_mb(physical_mb) == limit_mb


def test_limits_come_from_the_environment_when_set(monkeypatch, tmp_path):
    monkeypatch.setenv("PCNMO_MEMORY_LIMIT", "1500MB")
    monkeypatch.setenv("PCNMO_THREADS", "3")
    monkeypatch.setenv("PCNMO_DBT_THREADS", "1")
    limits = settings.limits()
    assert (limits.memory_limit, limits.threads, limits.dbt_threads) == ("1500MB", 3, 1)
    config = limits.duckdb_config(tmp_path / "spill")
    assert config["memory_limit"] == "1500MB"
    assert config["threads"] == "3"
    assert config["temp_directory"] == str(tmp_path / "spill")


@pytest.mark.parametrize(
    ("name", "value"),
    [("PCNMO_MEMORY_LIMIT", "lots"), ("PCNMO_THREADS", "0"), ("PCNMO_DBT_THREADS", "two")],
)
def test_a_limit_that_is_not_a_size_or_count_is_refused_by_name(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        settings.limits()


def test_a_duckdb_connection_keeps_to_the_limits(monkeypatch, tmp_path):
    from ingestion.duckdb_io import connect

    monkeypatch.setenv("PCNMO_DATA_DIR", str(tmp_path / "pcn"))
    monkeypatch.delenv("PCNMO_TEMP_DIR", raising=False)
    monkeypatch.setenv("PCNMO_MEMORY_LIMIT", "1GB")
    monkeypatch.setenv("PCNMO_THREADS", "1")
    with connect(tmp_path / "w.duckdb") as conn:
        got = dict(
            conn.execute(
                "select name, value from duckdb_settings() "
                "where name in ('memory_limit', 'threads', 'temp_directory')"
            ).fetchall()
        )
    # DuckDB reports 1GB as 953.6 MiB.
    assert (got["memory_limit"], got["threads"]) == ("953.6 MiB", "1")
    # It spills into a folder of this process's own under the data directory's temp folder.
    spill = Path(got["temp_directory"])
    assert spill.parent == tmp_path / "pcn" / "tmp"
    assert spill.name.startswith(".duckdb-spill.pcnmo-tmp-")
    assert spill.parent.is_dir()


def test_reading_settings_writes_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("PCNMO_DATA_DIR", str(tmp_path / "pcn"))
    before = dict(os.environ)
    settings.tool_environment(settings.paths())
    settings.path_with_dbt()
    assert dict(os.environ) == before
    assert not (tmp_path / "pcn").exists()


def test_the_key_comes_from_the_environment_only_when_set(monkeypatch):
    monkeypatch.setenv("PCNMO_PSEUDONYMISATION_KEY", "k" * 40)
    assert settings.pseudonymisation_key() == "k" * 40
    monkeypatch.setenv("PCNMO_PSEUDONYMISATION_KEY", "")
    assert settings.pseudonymisation_key() is None


def test_the_first_month_is_the_setting_else_the_oldest_inbox_month(monkeypatch, tmp_path):
    monkeypatch.setenv("PCNMO_DATA_DIR", str(tmp_path / "pcn"))
    monkeypatch.delenv("PCNMO_FIRST_MONTH", raising=False)
    monkeypatch.delenv("PCNMO_INBOX_DIR", raising=False)
    for folder in ("2025-06", "2025-04", "notes", "2025-4"):
        (tmp_path / "pcn" / "inbox" / folder).mkdir(parents=True)
    assert settings.first_month(settings.paths()) == dt.date(2025, 4, 1)
    monkeypatch.setenv("PCNMO_FIRST_MONTH", "2024-10")
    assert settings.first_month(settings.paths()) == dt.date(2024, 10, 1)
    monkeypatch.setenv("PCNMO_FIRST_MONTH", "Oct 2024")
    with pytest.raises(ValueError, match="PCNMO_FIRST_MONTH='Oct 2024' is not a month: write"):
        settings.first_month(settings.paths())


def test_with_no_setting_and_an_empty_inbox_partitions_start_this_month(monkeypatch, tmp_path):
    monkeypatch.setenv("PCNMO_DATA_DIR", str(tmp_path / "pcn"))
    monkeypatch.delenv("PCNMO_FIRST_MONTH", raising=False)
    monkeypatch.delenv("PCNMO_INBOX_DIR", raising=False)
    assert settings.first_month(settings.paths()) == dt.date.today().replace(day=1)


def test_the_lock_wait_defaults_to_five_minutes_and_must_be_seconds(monkeypatch):
    monkeypatch.delenv("PCNMO_LOCK_WAIT_SECONDS", raising=False)
    assert settings.lock_wait_seconds() == 300
    monkeypatch.setenv("PCNMO_LOCK_WAIT_SECONDS", "2.5")
    assert settings.lock_wait_seconds() == 2.5
    for bad in ("five", "-1"):
        monkeypatch.setenv("PCNMO_LOCK_WAIT_SECONDS", bad)
        with pytest.raises(ValueError, match="is not a number of seconds"):
            settings.lock_wait_seconds()


def test_temporary_files_live_in_the_data_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("PCNMO_DATA_DIR", str(tmp_path / "pcn"))
    monkeypatch.delenv("PCNMO_TEMP_DIR", raising=False)
    assert settings.paths().temp == tmp_path / "pcn" / "tmp"
