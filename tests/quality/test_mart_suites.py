from datetime import date

import pandas as pd

from quality.mart_suites import ALERTS_TABLE, COST_TABLE, MART_SUITES, validate_kpi_values


def _row(**overrides) -> dict:
    row = {
        "org_type": "pcn",
        "org_code": "U00001",
        "period_id": "2025-04",
        "kpi_id": "DA01",
        "numerator": 9.0,
        "denominator": 10.0,
        "value": 90.0,
        "unit": "percent",
        "target": 100.0,
        "rag": "amber",
        "direction": "higher_is_better",
        "data_status": "ok",
        "period_type": "month",
        "value_kind": "proportion",
        "display_decimals": 1,
    }
    row.update(overrides)
    return row


# The kind of each KPI the rows below use, as seed kpi_definitions declares it.
TARGET = {"kpi_id": "CA01", "value_kind": "percent_of_target"}
COUNT = {"kpi_id": "PS04", "value_kind": "count", "unit": "count", "display_decimals": 0}


def _frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows) or [_row()])


def _failed(outcome, blocking: bool) -> set[str]:
    failures = outcome.blocking_failures if blocking else outcome.warnings
    return {f"{o.expectation}:{o.column}" for o in failures}


def test_clean_rows_pass_every_expectation():
    outcome = validate_kpi_values(
        _frame(
            _row(),
            _row(**TARGET, numerator=12.0, denominator=10.0, value=120.0, rag="green"),
            _row(**COUNT, numerator=3.0, denominator=None, value=3.0),
            _row(
                kpi_id="DA02",
                numerator=0.0,
                denominator=0.0,
                value=None,
                rag="nothing_due",
                data_status="nothing due",
            ),
            _row(
                kpi_id="DA03",
                value_kind="percent_of_target",
                numerator=None,
                denominator=None,
                value=None,
                rag="no_data",
                data_status="no data",
            ),
            _row(kpi_id="PS08", value_kind="score", numerator=4.2, denominator=5.0, value=84.0),
        )
    )
    assert outcome.rows == 6
    assert not outcome.blocking_failures and not outcome.warnings


def test_a_proportion_of_101_percent_blocks():
    outcome = validate_kpi_values(_frame(_row(value=101.0)))
    assert "expect_column_values_to_be_between:value (proportion KPIs)" in _failed(
        outcome, blocking=True
    )


def test_a_score_over_100_percent_blocks():
    outcome = validate_kpi_values(_frame(_row(kpi_id="PS08", value_kind="score", value=100.5)))
    assert "expect_column_values_to_be_between:value (proportion KPIs)" in _failed(
        outcome, blocking=True
    )


def test_a_negative_percent_of_target_blocks():
    outcome = validate_kpi_values(_frame(_row(**TARGET, value=-1.0)))
    assert "expect_column_values_to_be_between:value (percent-of-target KPIs)" in _failed(
        outcome, blocking=True
    )


def test_numerator_above_denominator_blocks_for_da01_but_not_for_ca01():
    over = {"numerator": 11.0, "denominator": 10.0, "value": 110.0, "rag": "green"}
    da01 = validate_kpi_values(_frame(_row(kpi_id="DA01", **over)))
    assert (
        "expect_column_pair_values_a_to_be_greater_than_b:denominator, numerator (proportion KPIs)"
        in _failed(da01, blocking=True)
    )
    ca01 = validate_kpi_values(_frame(_row(**TARGET, **over)))
    assert not ca01.blocking_failures and not ca01.warnings


def test_a_value_on_a_no_data_or_nothing_due_row_blocks():
    for status in ("no data", "nothing due"):
        outcome = validate_kpi_values(_frame(_row(data_status=status)))
        assert "expect_column_values_to_be_null:value (no data and nothing due rows)" in _failed(
            outcome, blocking=True
        ), status


def test_a_value_with_more_decimals_than_its_kpi_publishes_blocks():
    outcome = validate_kpi_values(
        _frame(_row(numerator=2.0, denominator=3.0, value=66.66666666666667))
    )
    assert "expect_values_rounded_to_display_decimals:value" in _failed(outcome, blocking=True)
    rounded = validate_kpi_values(_frame(_row(numerator=2.0, denominator=3.0, value=66.7)))
    assert not rounded.blocking_failures


def test_a_missing_value_on_an_ok_row_with_a_denominator_blocks():
    outcome = validate_kpi_values(_frame(_row(value=None, rag="no_data")))
    assert "expect_column_values_to_not_be_null:value (ok rows with a denominator)" in _failed(
        outcome, blocking=True
    )


def test_an_unknown_rag_blocks():
    outcome = validate_kpi_values(_frame(_row(rag="blue")))
    assert "expect_column_values_to_be_in_set:rag" in _failed(outcome, blocking=True)


def test_a_gap_in_the_org_period_grid_warns_without_blocking():
    outcome = validate_kpi_values(
        _frame(
            _row(org_code="U00001", period_id="2025-04"),
            _row(org_code="U00001", period_id="2025-05"),
            _row(org_code="U00002", period_id="2025-04"),
            # U00002 has no row for 2025-05; quarters are a separate grid.
            _row(org_code="U00001", period_id="2025-Q1", period_type="quarter"),
        )
    )
    assert not outcome.blocking_failures
    (gap,) = outcome.warnings
    assert gap.expectation == "expect_complete_org_period_grid_per_kpi"
    assert gap.unexpected_count == 1
    assert gap.examples == ("DA01/pcn/month: 3 of 4",)


def _suite(table: str):
    return next(suite for suite in MART_SUITES if suite.table == table)


def _cost_row(**overrides) -> dict:
    row = {
        "org_type": "pcn",
        "org_code": "U00001",
        "period_id": "month_2026-09-30",
        "actual_cost": 150_000.0,
        "astro_pu_cost": 50_000.0,
        "cost_per_astro_pu": 3.0,
        "icb_code": "QXX",
        "peer_median_cost_per_astro_pu": 2.8,
        "peer_percentile": 75.0,
        "saving_at_peer_median_pounds": 10_000.0,
    }
    return row | overrides


def test_a_plausible_cost_row_passes_and_an_implausible_cost_only_warns():
    validate = _suite(COST_TABLE).validate
    clean = validate(pd.DataFrame([_cost_row()]))
    assert not clean.blocking_failures and not clean.warnings
    # A practice whose list size went missing: cost over a sliver of ASTRO-PU.
    odd = validate(pd.DataFrame([_cost_row(astro_pu_cost=500.0, cost_per_astro_pu=300.0)]))
    assert not odd.blocking_failures
    assert _failed(odd, blocking=False) == {
        "expect_column_values_to_be_between:cost_per_astro_pu (plausible cost per ASTRO-PU)"
    }


def test_a_negative_saving_or_a_percentile_over_100_blocks():
    outcome = _suite(COST_TABLE).validate(
        pd.DataFrame([_cost_row(saving_at_peer_median_pounds=-1.0, peer_percentile=100.5)])
    )
    assert _failed(outcome, blocking=True) == {
        "expect_column_values_to_be_between:saving_at_peer_median_pounds",
        "expect_column_values_to_be_between:peer_percentile",
    }


def _alert_row(**overrides) -> dict:
    row = {
        "pcn_code": "U00001",
        "practice_code": "A00001",
        "alert_reference": "NatPSA/2026/001",
        "alert_class": "MHRA Class 2",
        "received_date": date(2026, 9, 1),
        "deadline_date": date(2026, 9, 3),
        "closed_date": date(2026, 9, 3),
        "triage_outcome": "applicable",
        "status": "closed_in_window",
        "days_to_close": 2,
        "days_past_window": None,
    }
    return row | overrides


def test_alerts_closed_before_receipt_or_late_by_zero_days_block():
    validate = _suite(ALERTS_TABLE).validate
    assert not validate(pd.DataFrame([_alert_row()])).blocking_failures
    outcome = validate(
        pd.DataFrame(
            [
                _alert_row(closed_date=date(2026, 8, 31)),
                _alert_row(status="closed_late", days_past_window=0),
            ]
        )
    )
    assert _failed(outcome, blocking=True) == {
        "expect_column_pair_values_a_to_be_greater_than_b:closed_date, received_date",
        "expect_column_values_to_be_between:days_past_window (late or overdue alerts)",
    }
