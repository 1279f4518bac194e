"""Asset check results from the Dagster instance as plain records, for the data-quality sheet
(the reports library never sees a Dagster object). No definitions here."""

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import dagster as dg
from dagster._core.event_api import PartitionKeyFilter

from pcnmo.redaction import redact


def _detail(evaluation: dg.AssetCheckEvaluation) -> str:
    """The check's description, or else its metadata as 'name: value' pairs, so a failure
    always says something."""
    if evaluation.description:
        return evaluation.description
    parts = []
    for name, value in sorted((evaluation.metadata or {}).items()):
        text = getattr(value, "value", value)
        if isinstance(text, str | int | float | bool) and str(text):
            parts.append(f"{name}: {text}")
    return "; ".join(parts)


def _record(key: dg.AssetCheckKey, record: Any, partition: str | None) -> dict[str, Any] | None:
    event = record.event
    evaluation = event.dagster_event.event_specific_data if event and event.dagster_event else None
    if not isinstance(evaluation, dg.AssetCheckEvaluation):
        return None  # planned or still running: no result to show yet
    return {
        "asset": key.asset_key.to_user_string(),
        "check": key.name,
        "passed": evaluation.passed,
        "severity": evaluation.severity.value,
        "partition": partition,
        "evaluated_at": dt.datetime.fromtimestamp(record.create_timestamp),
        "description": redact(_detail(evaluation)),
    }


def latest_check_results(
    instance: dg.DagsterInstance, check_keys: Iterable[dg.AssetCheckKey], partition_key: str
) -> list[dict[str, Any]]:
    """Per check, its latest evaluation for the month `partition_key`; for a check that is not
    partitioned by month (dbt tests, mart suites), its latest evaluation. A partitioned check
    with results for other months only is listed with passed = None (no result this month), so
    the sheet describes the month, whatever months the last run re-ingested."""
    storage = instance.event_log_storage
    keys = list(check_keys)
    for_month: Mapping[dg.AssetCheckKey, Any] = storage.get_latest_asset_check_execution_by_key(
        keys, partition_filter=PartitionKeyFilter(key=partition_key)
    )
    unpartitioned = storage.get_latest_asset_check_execution_by_key(
        keys, partition_filter=PartitionKeyFilter(key=None)
    )
    any_partition = storage.get_latest_asset_check_execution_by_key(keys)
    results = []
    for key in keys:
        if key in for_month:
            result = _record(key, for_month[key], partition_key)
        elif key in unpartitioned:
            result = _record(key, unpartitioned[key], None)
        elif key in any_partition:
            result = {
                "asset": key.asset_key.to_user_string(),
                "check": key.name,
                "passed": None,
                "severity": "",
                "partition": partition_key,
                "evaluated_at": None,
                "description": "This check has run for other months, not for this one.",
            }
        else:
            continue
        if result:
            results.append(result)
    return sorted(results, key=lambda r: (r["asset"], r["check"]))
