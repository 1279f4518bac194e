import pandas as pd

from ingestion.mart_expectations import validate_kpi_values


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
    }
    row.update(overrides)
    return row


def _frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows) or [_row()])


def _failed(outcome, blocking: bool) -> set[str]:
    failures = outcome.blocking_failures if blocking else outcome.warnings
    return {f"{o.expectation}:{o.column}" for o in failures}


def test_clean_rows_pass_every_expectation():
    outcome = validate_kpi_values(
        _frame(
            _row(),
            _row(kpi_id="CA01", numerator=12.0, denominator=10.0, value=120.0, rag="green"),
            _row(kpi_id="PS04", numerator=3.0, denominator=None, value=3.0, unit="count"),
            _row(kpi_id="DA02", numerator=0.0, denominator=0.0, value=None, rag="no_data"),
            _row(
                kpi_id="DA03",
                numerator=None,
                denominator=None,
                value=None,
                rag="no_data",
                data_status="no data",
            ),
        )
    )
    assert outcome.rows == 5
    assert not outcome.blocking_failures and not outcome.warnings


def test_a_proportion_of_101_percent_blocks():
    outcome = validate_kpi_values(_frame(_row(value=101.0)))
    assert "expect_column_values_to_be_between:value (proportion KPIs)" in _failed(
        outcome, blocking=True
    )


def test_a_negative_percent_of_target_blocks():
    outcome = validate_kpi_values(_frame(_row(kpi_id="CA01", value=-1.0)))
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
    ca01 = validate_kpi_values(_frame(_row(kpi_id="CA01", **over)))
    assert not ca01.blocking_failures and not ca01.warnings


def test_a_value_on_a_no_data_row_blocks():
    outcome = validate_kpi_values(_frame(_row(data_status="no data")))
    assert "expect_column_values_to_be_null:value (no data rows)" in _failed(outcome, blocking=True)


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
