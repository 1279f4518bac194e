"""Great Expectations suites for the raw tables, derived from the contracts.

The loader already rejects values of the wrong type or spelling, row by row. These suites are
the second line, on what was actually loaded for a month: identifiers are pseudonyms (never
NHS numbers), keys are unique, dates are in a sensible order, and amounts are in range.
Expectations marked `blocking` guard against data that would poison the marts or breach
privacy; the rest warn.

GX validates pandas DataFrames here: its SQL path does not work with DuckDB on this stack
(every expectation fails inside GX's SQLAlchemy engine), and one month of one table fits
comfortably in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import great_expectations as gx
import pandas as pd
from great_expectations.data_context.types.base import ProgressBarsConfig

from pcnmo.contracts import Kind, TableContract

PSEUDONYM_REGEX = r"^P[A-Z2-7]{26}$"


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str
    blocking: bool
    success: bool
    unexpected_count: int
    examples: tuple[str, ...]


@dataclass(frozen=True)
class SuiteOutcome:
    table: str
    rows: int
    outcomes: tuple[ExpectationOutcome, ...]

    @property
    def blocking_failures(self) -> tuple[ExpectationOutcome, ...]:
        return tuple(o for o in self.outcomes if o.blocking and not o.success)

    @property
    def warnings(self) -> tuple[ExpectationOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.blocking and not o.success)


# Ordered pairs that must hold where both dates are present: (later, earlier, blocking).
DATE_ORDER: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "patients": (
        ("registration_date", "date_of_birth", True),
        ("deregistration_date", "registration_date", False),
    ),
    "discharges": (("document_received_date", "discharge_date", False),),
    "medication_issues": (("template_end_date", "template_start_date", False),),
    "safety_alerts": (("closed_date", "received_date", False),),
    "significant_events": (("completed_date", "raised_date", False),),
    "pincer_actions": (("action_date", "identified_date", False),),
    "epcn_members": (("relationship_end_date", "relationship_start_date", False),),
    "switch_programmes": (("planned_end_date", "start_date", False),),
}

# Columns that must never be negative where the contract gives no minimum.
NON_NEGATIVE = {"epd": ("items", "nic", "actual_cost")}


def expectations_for(table: TableContract) -> list[gx.expectations.Expectation]:
    expectations: list[gx.expectations.Expectation] = []
    for column in table.columns:
        name = column.raw_name
        if column.required:
            expectations.append(
                gx.expectations.ExpectColumnValuesToNotBeNull(column=name, meta={"blocking": True})
            )
        if column.kind is Kind.NHS_NUMBER:
            expectations.append(
                gx.expectations.ExpectColumnValuesToMatchRegex(
                    column=name, regex=PSEUDONYM_REGEX, meta={"blocking": True}
                )
            )
        if column.minimum is not None or column.maximum is not None:
            expectations.append(
                gx.expectations.ExpectColumnValuesToBeBetween(
                    column=name,
                    min_value=column.minimum,
                    max_value=column.maximum,
                    meta={"blocking": False},
                )
            )
    for name in NON_NEGATIVE.get(table.name, ()):
        expectations.append(
            gx.expectations.ExpectColumnValuesToBeBetween(
                column=name, min_value=0, meta={"blocking": False}
            )
        )
    if table.key:
        # Keys are unique within a delivery month; snapshots repeat them month after month.
        key = [table.column(k).raw_name for k in table.key] + ["_month"]
        expectations.append(
            gx.expectations.ExpectCompoundColumnsToBeUnique(
                column_list=key, meta={"blocking": True}
            )
        )
    for later, earlier, blocking in DATE_ORDER.get(table.name, ()):
        expectations.append(
            gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=later,
                column_B=earlier,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                meta={"blocking": blocking},
            )
        )
    return expectations


def _context() -> gx.data_context.AbstractDataContext:
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def validate(table: TableContract, frame: pd.DataFrame) -> SuiteOutcome:
    """Run the table's suite over one month of its raw rows."""
    # Failing identifiers could be NHS numbers: never echo them into run metadata.
    redact = any(c.kind is Kind.NHS_NUMBER for c in table.columns)
    return run_suite(table.qualified_name, frame, expectations_for(table), redact_examples=redact)


def run_suite(
    name: str,
    frame: pd.DataFrame,
    expectations: list[gx.expectations.Expectation],
    *,
    redact_examples: bool = False,
) -> SuiteOutcome:
    """Validate `frame` against `expectations` in a throwaway context.

    Each expectation's meta says whether it is `blocking` and may name its `scope` (the rows a
    row_condition selects, in words) for the report.
    """
    context = _context()
    batch_definition = (
        context.data_sources.add_pandas("pcnmo")
        .add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe("frame")
    )
    suite = gx.ExpectationSuite(name=f"{name}_suite")
    for expectation in expectations:
        suite.add_expectation(expectation)
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(suite)
    outcomes = []
    for item in result.results:
        config = item.expectation_config
        kwargs = config.kwargs
        column = kwargs.get("column") or ", ".join(
            kwargs.get("column_list") or [kwargs.get("column_A", ""), kwargs.get("column_B", "")]
        )
        scope = config.meta.get("scope")
        if scope:
            column = f"{column} ({scope})"
        examples = tuple(str(v) for v in (item.result.get("partial_unexpected_list") or [])[:5])
        if redact_examples:
            examples = ()
        outcomes.append(
            ExpectationOutcome(
                expectation=config.type,
                column=column,
                blocking=bool(config.meta.get("blocking")),
                success=bool(item.success),
                unexpected_count=int(item.result.get("unexpected_count") or 0),
                examples=examples,
            )
        )
    return SuiteOutcome(name, len(frame), tuple(outcomes))
