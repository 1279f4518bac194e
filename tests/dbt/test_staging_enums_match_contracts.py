"""Every normalised category a staging model accepts is what the contract's labels become.

The loader accepts each contract label in any case and stores it as delivered; staging maps
the labels to one spelling (macros normalise_sex, normalise_issue_type, normalise_category,
clean_code) and tests them with accepted_values. These tests apply the same mapping in Python
to the contract's labels, so a label added to a contract cannot be forgotten in staging.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from pcnmo.contracts import contract
from tests.dbt.dbt_runner import DBT_PROJECT_DIR


def _category(label: str) -> str:
    """normalise_category: 'MHRA Class 1' -> 'mhra_class_1'."""
    return label.strip().lower().replace(" ", "_").replace("-", "_").replace("/", "_")


def _code(label: str) -> str:
    """clean_code: trimmed, upper-case."""
    return label.strip().upper()


def _sex(label: str) -> str:
    """normalise_sex, with NHS Digital's ALL total kept (stg_nhsd__list_sizes)."""
    label = label.strip().upper()
    return "ALL" if label == "ALL" else label[0]


def _issue_type(label: str) -> str:
    """normalise_issue_type."""
    return {"A": "acute", "R": "repeat", "RD": "repeat_dispensing"}.get(
        label.strip().upper(), _category(label)
    )


def _as_is(label: str) -> str:
    return label.strip()


# (model, staged column) -> (source, table, contract column, how staging normalises it)
ENUMS: dict[tuple[str, str], tuple[str, str, str, Callable[[str], str]]] = {
    ("stg_clinical__patients", "sex"): ("clinical", "patients", "sex", _sex),
    ("stg_clinical__patients", "electronic_frailty_index_version"): (
        "clinical",
        "patients",
        "efi_version",
        _category,
    ),
    ("stg_clinical__events", "result_comparator"): (
        "clinical",
        "events",
        "value_comparator",
        _as_is,
    ),
    ("stg_clinical__medication_issues", "issue_type"): (
        "clinical",
        "medication_issues",
        "issue_type",
        _issue_type,
    ),
    ("stg_nhsd__list_sizes", "sex"): ("nhsd", "gp_list_sizes", "sex", _sex),
    ("stg_nhsd__list_sizes", "age_band"): ("nhsd", "gp_list_sizes", "age_group", _code),
    ("stg_ods__practices", "status_code"): ("ods", "epraccur", "status_code", _code),
    ("stg_local__safety_alerts", "alert_type"): ("local", "safety_alerts", "alert_type", _category),
    ("stg_local__safety_alerts", "triage_outcome"): (
        "local",
        "safety_alerts",
        "triage_outcome",
        _category,
    ),
    ("stg_local__pincer_actions", "pincer_indicator"): (
        "local",
        "pincer_actions",
        "indicator",
        _code,
    ),
    ("stg_local__pincer_actions", "action_taken"): ("local", "pincer_actions", "action", _category),
    ("stg_local__significant_events", "theme"): ("local", "significant_events", "theme", _category),
    ("stg_local__safety_incidents", "incident_category"): (
        "local",
        "safety_incidents",
        "category",
        _category,
    ),
    ("stg_local__safety_incidents", "harm_level"): (
        "local",
        "safety_incidents",
        "harm_level",
        _category,
    ),
    ("stg_local__safety_culture_audits", "audit_tool"): (
        "local",
        "safety_culture_audits",
        "tool",
        _category,
    ),
    ("stg_local__supervision_sessions", "supervision_type"): (
        "local",
        "supervision_log",
        "supervision_type",
        _category,
    ),
    ("stg_local__staff", "staff_role"): ("local", "workforce", "role", _category),
    ("stg_local__staff", "registration_body"): (
        "local",
        "workforce",
        "registration_body",
        _category,
    ),
    ("stg_local__staff", "cppe_pathway_status"): (
        "local",
        "workforce",
        "cppe_pathway_status",
        _category,
    ),
    ("stg_local__titration_clinics", "long_term_condition"): (
        "local",
        "titration_clinics",
        "condition",
        _category,
    ),
}


def _staging_accepted_values() -> dict[tuple[str, str], set[str]]:
    accepted: dict[tuple[str, str], set[str]] = {}
    for path in sorted((DBT_PROJECT_DIR / "models" / "staging").glob("*/_*__models.yml")):
        for model in yaml.safe_load(path.read_text())["models"]:
            for column in model.get("columns", []):
                for test in column.get("data_tests") or []:
                    if isinstance(test, dict) and "accepted_values" in test:
                        values: list[Any] = test["accepted_values"]["arguments"]["values"]
                        accepted[(model["name"], column["name"])] = {str(v) for v in values}
    return accepted


ACCEPTED = _staging_accepted_values()


def test_every_staged_enum_is_checked_against_its_contract():
    assert set(ACCEPTED) == set(ENUMS)


@pytest.mark.parametrize("model_column", sorted(ENUMS), ids=lambda key: ".".join(key))
def test_staged_enum_accepts_exactly_the_normalised_contract_labels(
    model_column: tuple[str, str],
):
    source, table, column, normalise = ENUMS[model_column]
    labels = contract(source, table).column(column).accepted
    assert labels, f"{source}.{table}.{column} has no accepted labels"
    assert ACCEPTED[model_column] == {normalise(label) for label in labels}
