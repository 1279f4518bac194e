"""Asset check results from the Dagster instance as plain records, for the data-quality sheet
(the reports library never sees a Dagster object). No definitions here."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

import dagster as dg


def latest_check_results(
    instance: dg.DagsterInstance, check_keys: Iterable[dg.AssetCheckKey]
) -> list[dict[str, Any]]:
    """The latest evaluation of every asset check, as plain records for the data-quality
    sheet (the reports library never sees Dagster objects)."""
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(list(check_keys))
    results = []
    for key, record in latest.items():
        event = record.event
        evaluation = (
            event.dagster_event.event_specific_data if event and event.dagster_event else None
        )
        if not isinstance(evaluation, dg.AssetCheckEvaluation):
            continue  # planned or still running: no result to show yet
        results.append(
            {
                "asset": key.asset_key.to_user_string(),
                "check": key.name,
                "passed": evaluation.passed,
                "severity": evaluation.severity.value,
                "partition": record.partition,
                "evaluated_at": dt.datetime.fromtimestamp(record.create_timestamp),
                "description": evaluation.description or "",
            }
        )
    return sorted(results, key=lambda r: (r["asset"], r["check"]))
