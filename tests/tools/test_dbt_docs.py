"""`make docs` builds the dbt site from the published copy without writing to it or locking it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from tools.dbt_docs import build_site


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.dbt
def test_site_takes_its_catalog_from_the_published_copy_read_only(tmp_path: Path) -> None:
    published = tmp_path / "published" / "pcnmo.duckdb"
    published.parent.mkdir()
    with duckdb.connect(str(published)) as conn:
        conn.execute("create schema marts")
        conn.execute("create table marts.dim_pcns (pcn_code varchar, list_size bigint)")
        conn.execute("insert into marts.dim_pcns values ('marker-never-in-the-site', 50000)")
    before = _digest(published)
    site = tmp_path / "site"

    # An analyst has the published copy open: a writer could not open it beside them.
    with duckdb.connect(str(published), read_only=True) as analyst:
        assert build_site(site, published) == 0
        assert analyst.execute("select count(*) from marts.dim_pcns").fetchall() == [(1,)]

    assert _digest(published) == before
    catalog = json.loads((site / "catalog.json").read_text())
    assert set(catalog["nodes"]) == {"model.pcnmo.dim_pcns"}
    columns = catalog["nodes"]["model.pcnmo.dim_pcns"]["columns"]
    assert {name: column["type"] for name, column in columns.items()} == {
        "pcn_code": "VARCHAR",
        "list_size": "BIGINT",
    }
    manifest = json.loads((site / "manifest.json").read_text())
    assert "model.pcnmo.fct_kpi_values" in manifest["nodes"]  # every model, published or not
    # The site's own usage tracking switches on only when the manifest says so.
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False
    static = (site / "static_index.html").read_text(encoding="utf-8")
    assert "fct_kpi_values" in static
    assert "marker-never-in-the-site" not in static  # descriptions and types, never data
