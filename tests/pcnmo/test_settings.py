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
