import datetime as dt

import pytest

from pcnmo.calendar import add_months, month_end, parse_month


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2026-09", dt.date(2026, 9, 1)),
        ("2026-09-01", dt.date(2026, 9, 1)),  # a Dagster partition key
        (dt.date(2026, 9, 17), dt.date(2026, 9, 1)),
    ],
)
def test_a_month_is_its_first_day(given, expected):
    assert parse_month(given) == expected


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        (dt.date(2026, 9, 1), dt.date(2026, 9, 30)),
        (dt.date(2024, 2, 1), dt.date(2024, 2, 29)),  # leap year
        (dt.date(2025, 2, 14), dt.date(2025, 2, 28)),
        (dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
    ],
)
def test_month_end(month, expected):
    assert month_end(month) == expected


def test_add_months_crosses_year_ends_both_ways():
    assert add_months(dt.date(2026, 11, 1), 3) == dt.date(2027, 2, 1)
    assert add_months(dt.date(2026, 2, 1), -3) == dt.date(2025, 11, 1)
    assert add_months(dt.date(2026, 5, 20), 0) == dt.date(2026, 5, 1)


# financial_quarter is tested with the outputs that show it: tests/reports/test_periods.py.
