import os
from pathlib import Path

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
