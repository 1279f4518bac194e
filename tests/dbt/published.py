"""How fct_kpi_values publishes a value, computed independently of dbt for the build tests."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def published(value: float, decimals: int) -> float:
    """`value` rounded half away from zero to `decimals` places, as DuckDB's round() does
    on the double the mart computes (Decimal(value) is the double's exact binary value)."""
    step = Decimal(1).scaleb(-decimals)
    return float(Decimal(value).quantize(step, rounding=ROUND_HALF_UP))
