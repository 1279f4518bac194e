"""Reporting months and NHS financial quarters: the one copy of the date arithmetic.

A reporting month is the first day of a calendar month. The NHS financial year runs April to
March, so its quarters are April-June, July-September, October-December and January-March.
"""

from __future__ import annotations

import calendar
import datetime as dt


def parse_month(month: str | dt.date) -> dt.date:
    """Accept `YYYY-MM`, `YYYY-MM-DD` (Dagster partition keys) or a date."""
    if isinstance(month, dt.date):
        return month.replace(day=1)
    return dt.date.fromisoformat(month[:7] + "-01")


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def add_months(month: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before) `month`'s."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def financial_quarter(month: dt.date) -> tuple[dt.date, dt.date, str]:
    """(first month, last month end, label) of the NHS financial quarter containing `month`."""
    offset = (month.month - 4) % 3
    start = add_months(month.replace(day=1), -offset)
    end = month_end(add_months(start, 2))
    year = start.year if start.month >= 4 else start.year - 1
    number = (start.month - 4) % 12 // 3 + 1
    return start, end, f"{year}/{str(year + 1)[2:]} Q{number}"
