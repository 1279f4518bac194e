"""The report assets' upstream marts come from the dbt exposures that declare the reports."""

import json

import dagster as dg
import pytest

REPORTS = {
    ("reports", "dashboard_workbook"): "dashboard_workbook",
    ("reports", "snomed_activity_extract"): "snomed_activity_extract",
    ("reports", "icb_quarterly_return"): "icb_quarterly_return",
    ("reports", "icb_pcn_comparator_monthly"): "icb_pcn_comparator",
    ("reports", "icb_pcn_comparator_quarterly"): "icb_pcn_comparator",
}


@pytest.fixture(scope="module")
def graph(dbt_manifest):
    from dagster_project.definitions import defs

    return defs().resolve_asset_graph()


@pytest.mark.parametrize(("key", "exposure"), REPORTS.items(), ids=lambda v: str(v))
def test_a_report_asset_depends_on_exactly_what_its_exposure_declares(
    graph, dbt_manifest, key, exposure
):
    manifest = json.loads(dbt_manifest.read_text())
    declared = manifest["exposures"][f"exposure.pcnmo.{exposure}"]["depends_on"]["nodes"]
    expected = {
        dg.AssetKey([manifest["nodes"][n]["schema"], manifest["nodes"][n]["name"]])
        for n in declared
    }
    assert expected and graph.get(dg.AssetKey(list(key))).parent_keys == expected


def test_the_comparators_run_in_the_monthly_and_quarterly_report_jobs(graph):
    # `graph` prepared the dbt manifest, which the definitions read when they load.
    from dagster_project.definitions import defs

    definitions = defs()
    monthly = definitions.resolve_job_def("monthly_reports").asset_layer.selected_asset_keys
    quarterly = definitions.resolve_job_def("quarterly_return").asset_layer.selected_asset_keys
    assert dg.AssetKey(["reports", "icb_pcn_comparator_monthly"]) in monthly
    assert dg.AssetKey(["reports", "icb_pcn_comparator_quarterly"]) in quarterly
