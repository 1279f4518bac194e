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
    monkeypatch.delenv("PCNMO_DUCKDB_PATH", raising=False)
    environment = settings.tool_environment(settings.paths())
    assert environment == {
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "GX_ANALYTICS_ENABLED": "False",
        "DAGSTER_DISABLE_TELEMETRY": "true",
        "PCNMO_DUCKDB_PATH": str(tmp_path / "pcn" / "warehouse" / "pcnmo.duckdb"),
        "DAGSTER_HOME": str(tmp_path / "pcn" / "dagster"),
    }


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
