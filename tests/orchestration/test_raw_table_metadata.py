"""What a raw table's materialisation tells the person reading it in the Dagster UI: here, that a
real EPD file lost no row but had SNOMED codes blanked, and why."""

from __future__ import annotations

import datetime
import shutil

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.defs.ingestion.checks import _delivery_description
from dagster_project.defs.ingestion.raw_tables import raw_table_assets
from tests.ingestion.test_real_public_files import EPD_FILES


def test_blanked_snomed_codes_are_counted_in_the_epd_assets_metadata(tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("PCNMO_DATA_DIR", str(data))
    monkeypatch.delenv("PCNMO_SUB_ICB_CODES", raising=False)
    (data / "inbox" / "2024-09").mkdir(parents=True)
    shutil.copy(EPD_FILES / "EPD_SNOMED_202409.csv", data / "inbox" / "2024-09")
    [epd] = [a for a in raw_table_assets if a.key.path == ["nhsbsa", "epd"]]

    result = dg.materialize(
        [epd],
        partition_key="2024-09-01",
        resources={"duckdb": DuckDBResource(database=str(tmp_path / "warehouse.duckdb"))},
        instance=dg.DagsterInstance.ephemeral(),
    )

    assert result.success
    [materialisation] = result.asset_materializations_for_node(epd.node_def.name)
    metadata = {key: value.value for key, value in materialisation.metadata.items()}
    # 229 rows in, every one loaded; 74 SNOMED codes written in E notation blanked.
    assert (metadata["rows_in"], metadata["rows_loaded"], metadata["values_blanked"]) == (
        229,
        229,
        74,
    )
    assert "SNOMED_CODE: 74 value(s) blanked" in metadata["files"]


def test_the_delivery_check_names_a_rejected_file_and_quotes_a_missing_files_message():
    month = datetime.date(2026, 9, 1)
    missing = "no raw_local.workforce file in inbox/2026-09 (expected names like ...)"
    rows = [
        (month, "(none)", "missing", 0, missing),
        (month, "workforce_U90001_202609 (1).xlsx", "rejected", 0, "misnamed"),
    ]
    passed, description = _delivery_description(month, rows)
    assert not passed
    assert description == (f"2026-09: {missing}; workforce_U90001_202609 (1).xlsx: misnamed")
