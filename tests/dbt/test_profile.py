"""dbt's connection profile: the database's limits are set once, when dbt opens the file.

dbt-duckdb runs `SET` for every entry of the profile's `settings` on every cursor it opens,
and DuckDB refuses to move its temp directory once it has spilled there ("Cannot switch
temporary directory after the current one has been used"): a build over a whole ICB's patient
months spills, and every model after that failed. Reproduced on the demo's warehouse with
PCNMO_MEMORY_LIMIT=300MB (39 models failed so before the limits moved to `config_options`).
"""

from __future__ import annotations

import duckdb
import pytest
import yaml

from tests.dbt.dbt_runner import DBT_PROJECT_DIR


def test_duckdb_will_not_move_a_temp_directory_it_has_spilled_to(tmp_path):
    # Why the profile must not SET it per cursor: shown on DuckDB itself.
    spill = tmp_path / "spill"
    config = {"memory_limit": "40MB", "threads": "1", "temp_directory": str(spill)}
    with duckdb.connect(str(tmp_path / "w.duckdb"), config=config) as conn:
        conn.execute(
            "create table t as select i, md5(i::varchar) as h from range(600000) as r(i) order by h"
        )
        with pytest.raises(duckdb.NotImplementedException, match="temporary directory"):
            conn.cursor().execute(f"set temp_directory = '{spill}'")


def test_the_profile_sets_the_temp_directory_once_not_per_cursor():
    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    output = profile["pcnmo"]["outputs"]["dev"]
    assert "temp_directory" not in output.get("settings", {})
    assert {"memory_limit", "threads", "temp_directory"} <= set(output["config_options"])
