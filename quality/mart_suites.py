"""Great Expectations suites for the marts the outputs read.

dbt's own tests already guard the grain, nulls and accepted values column by column. These
suites check what only holds across columns or rows, on the values the dashboards show.

The KPI mart (marts.fct_kpi_values), each row beside its KPI's value_kind and
display_decimals from seed kpi_definitions (the registry, so a new KPI is checked by its kind
without being listed here):

- a proportion or a score (a percent of patients, staff, alerts, events or points) lies
  between 0 and 100, and its numerator never exceeds its denominator (blocking);
- a percent of a target (SMRs, cohorts, clinics and switches against a locally agreed
  trajectory) is never negative, but may exceed 100 (blocking);
- rag is one of the values the RAG rule produces (blocking);
- a 'no data' or 'nothing due' row has no value, and an 'ok' row with something to divide by
  has one (blocking);
- a value carries no more decimals than its KPI's display_decimals (blocking: the RAG is
  decided on the rounded value);
- every KPI that has rows has one for every organisation and period of its grid (warning).

The last two are pandas computations, reported in the same shape as the GX expectations.

The prescribing cost mart (marts.fct_prescribing_cost): cost, ASTRO-PU and the saving at the
peer median are never negative, the peer percentile lies in 0..100, and a cost per ASTRO-PU
above COST_PER_ASTRO_PU_PLAUSIBLE_MAX pounds a month is flagged (warning: real practices sit
around 2 to 5, so a figure far above that usually means a list size or EPD month is missing).

The safety alert mart (marts.fct_safety_alerts): an alert is never closed before it was
received, its deadline is never before receipt, and an alert late or open past its window is
past it by at least a day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from quality.raw_suites import ExpectationOutcome, SuiteOutcome, gx, run_suite

TABLE = "marts.fct_kpi_values"
COST_TABLE = "marts.fct_prescribing_cost"
ALERTS_TABLE = "marts.fct_safety_alerts"
COST_PER_ASTRO_PU_PLAUSIBLE_MAX = 20.0
RAG_VALUES = ("green", "amber", "red", "no_rag", "no_data", "nothing_due")
NO_DATA = "no data"
NOTHING_DUE = "nothing due"
# value_kind (seed kpi_definitions) of the KPIs held to 0..100: a share of a population, or
# points scored of points available. percent_of_target may run ahead of its target.
BOUNDED_KINDS = ("proportion", "score")
OF_TARGET_KIND = "percent_of_target"
# A published value may differ from its rounding by no more than floating-point noise.
ROUNDING_TOLERANCE = 1e-9

GRID_KEYS = ("kpi_id", "org_type", "period_type")


def kpi_value_expectations() -> list[gx.expectations.Expectation]:
    proportion = f"value_kind in {list(BOUNDED_KINDS)}"
    of_target = f'value_kind == "{OF_TARGET_KIND}"'
    blocking = {"blocking": True}
    proportions = {"blocking": True, "scope": "proportion KPIs"}
    return [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="value",
            min_value=0,
            max_value=100,
            row_condition=proportion,
            condition_parser="pandas",
            meta=proportions,
        ),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="denominator",
            column_B="numerator",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            row_condition=proportion,
            condition_parser="pandas",
            meta=proportions,
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="value",
            min_value=0,
            row_condition=of_target,
            condition_parser="pandas",
            meta={"blocking": True, "scope": "percent-of-target KPIs"},
        ),
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="rag", value_set=list(RAG_VALUES), meta=blocking
        ),
        gx.expectations.ExpectColumnValuesToBeNull(
            column="value",
            row_condition=f'data_status in ["{NO_DATA}", "{NOTHING_DUE}"]',
            condition_parser="pandas",
            meta={"blocking": True, "scope": "no data and nothing due rows"},
        ),
        # An 'ok' row has a value wherever there is something to divide by.
        gx.expectations.ExpectColumnValuesToNotBeNull(
            column="value",
            row_condition=(
                f'data_status not in ["{NO_DATA}", "{NOTHING_DUE}"] and numerator.notna() '
                'and (unit == "count" or denominator > 0)'
            ),
            condition_parser="pandas",
            meta={"blocking": True, "scope": "ok rows with a denominator"},
        ),
    ]


def published_precision(frame: pd.DataFrame) -> ExpectationOutcome:
    """Every value is rounded to its KPI's display_decimals (seed kpi_definitions)."""
    rows = frame.dropna(subset=["value", "display_decimals"])
    rounded = [
        round(value, int(decimals))
        for value, decimals in zip(rows["value"], rows["display_decimals"], strict=True)
    ]
    off = rows[(rows["value"] - rounded).abs() > ROUNDING_TOLERANCE]
    return ExpectationOutcome(
        expectation="expect_values_rounded_to_display_decimals",
        column="value",
        blocking=True,
        success=off.empty,
        unexpected_count=len(off),
        examples=tuple(
            f"{kpi_id} {org_code} {period_id}: {value!r}"
            for kpi_id, org_code, period_id, value in off[
                ["kpi_id", "org_code", "period_id", "value"]
            ].itertuples(index=False)
        )[:5],
    )


def grid_gaps(frame: pd.DataFrame) -> ExpectationOutcome:
    """Per KPI, org type and period type: is every org x period combination present?"""
    keys = [k for k in GRID_KEYS if k in frame.columns]
    missing = 0
    examples: list[str] = []
    for group, rows in frame.groupby(keys, sort=True, dropna=False):
        expected = rows["org_code"].nunique() * rows["period_id"].nunique()
        present = len(rows.drop_duplicates(["org_code", "period_id"]))
        if present < expected:
            missing += expected - present
            label = "/".join(str(g) for g in (group if isinstance(group, tuple) else (group,)))
            examples.append(f"{label}: {present} of {expected}")
    return ExpectationOutcome(
        expectation="expect_complete_org_period_grid_per_kpi",
        column="org_type, org_code, period_id, kpi_id",
        blocking=False,
        success=missing == 0,
        unexpected_count=missing,
        examples=tuple(examples[:5]),
    )


def validate_kpi_values(frame: pd.DataFrame) -> SuiteOutcome:
    """Run the KPI mart's suite; `frame` may carry dim_periods.period_type for the grid check."""
    outcome = run_suite(TABLE, frame, kpi_value_expectations())
    return SuiteOutcome(
        outcome.table,
        outcome.rows,
        (*outcome.outcomes, published_precision(frame), grid_gaps(frame)),
    )


def cost_expectations() -> list[gx.expectations.Expectation]:
    blocking = {"blocking": True}
    never_negative = [
        gx.expectations.ExpectColumnValuesToBeBetween(column=column, min_value=0, meta=blocking)
        for column in ("actual_cost", "astro_pu_cost", "saving_at_peer_median_pounds")
    ]
    return [
        *never_negative,
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="peer_percentile", min_value=0, max_value=100, meta=blocking
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="cost_per_astro_pu",
            min_value=0,
            max_value=COST_PER_ASTRO_PU_PLAUSIBLE_MAX,
            meta={"blocking": False, "scope": "plausible cost per ASTRO-PU"},
        ),
    ]


def alert_expectations() -> list[gx.expectations.Expectation]:
    blocking = {"blocking": True}
    return [
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="closed_date",
            column_B="received_date",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta=blocking,
        ),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="deadline_date",
            column_B="received_date",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta=blocking,
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="days_past_window",
            min_value=1,
            row_condition='status in ["closed_late", "open_past_window"]',
            condition_parser="pandas",
            meta={"blocking": True, "scope": "late or overdue alerts"},
        ),
    ]


@dataclass(frozen=True)
class MartSuite:
    """A mart, the query that feeds its suite and how to validate the result."""

    table: str
    description: str
    query: str
    validate: Callable[[pd.DataFrame], SuiteOutcome]


MART_SUITES = (
    MartSuite(
        TABLE,
        "Great Expectations suite on the KPI values: ranges by kind, RAG, empties, rounding, gaps.",
        f"""
        select
            kpi_values.*,
            periods.period_type,
            definitions.value_kind,
            definitions.display_decimals
        from {TABLE} as kpi_values
        left join marts.dim_periods as periods
            on kpi_values.period_id = periods.period_id
        left join seeds.kpi_definitions as definitions
            on kpi_values.kpi_id = definitions.kpi_id
        """,
        validate_kpi_values,
    ),
    MartSuite(
        COST_TABLE,
        "Great Expectations suite on prescribing cost: signs, percentile range, plausibility.",
        f"select * from {COST_TABLE}",
        lambda frame: run_suite(COST_TABLE, frame, cost_expectations()),
    ),
    MartSuite(
        ALERTS_TABLE,
        "Great Expectations suite on safety alerts: dates in order, late means past the window.",
        f"select * from {ALERTS_TABLE}",
        lambda frame: run_suite(ALERTS_TABLE, frame, alert_expectations()),
    ),
)
