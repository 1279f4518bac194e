"""A national-size EPD month (about 17M rows, 4 GB) for the scale benchmark, written by DuckDB.

About 6,700 practices: the synthetic ICB's own practices (so a sub-ICB scope filter keeps a
realistic few per cent of the file) plus synthetic `X` + 5-digit practices spread over other
synthetic sub-ICB locations. Rows cycle through the formulary with growing pack quantities, so
every practice x presentation x quantity appears once, as in the real file. The query is a
projection over `range(n)` with no join or sort, so DuckDB streams it in row order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np

from synthetic.config import SyntheticConfig, reporting_months
from synthetic.organisations import (
    ICB_CODE,
    ICB_NAME,
    REGION_CODE,
    REGION_NAME,
    build_icb,
)
from synthetic.public import EPD_LEGACY_LAYOUT, EPD_PRODUCTS

NATIONAL_PRACTICES = 6_700


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _pick(values: Sequence[str | float | int], index: str) -> str:
    """`values[index]` as SQL: a constant list indexed per row (DuckDB lists are 1-based)."""
    items = ", ".join(_text(v) if isinstance(v, str) else repr(v) for v in values)
    return f"[{items}][{index} + 1]"


def write_national_epd(
    out: Path,
    rows: int = 17_000_000,
    month: str = "2025-09",
    config: SyntheticConfig | None = None,
) -> int:
    """Write one legacy-layout EPD month of `rows` rows to `out`; returns the rows written."""
    config = config or SyntheticConfig()
    icb = build_icb(config, reporting_months(config), np.random.default_rng(config.seed))
    local = icb.practices
    n_local = len(local)
    n_products = len(EPD_PRODUCTS)

    def practice(field: str, otherwise: str) -> str:
        return (
            f"CASE WHEN practice < {n_local} THEN "
            f"{_pick([getattr(p, field) for p in local], 'practice')} ELSE {otherwise} END"
        )

    def product(field: str) -> str:
        return _pick([getattr(d, field) for d in EPD_PRODUCTS], "product")

    sub_icb = practice("sub_icb", "lpad(CAST(practice % 97 AS VARCHAR), 2, '0') || 'Q'")
    columns = dict.fromkeys(EPD_LEGACY_LAYOUT, "NULL")  # written as an empty field
    columns.update(
        {
            "YEAR_MONTH": month.replace("-", ""),
            "REGIONAL_OFFICE_NAME": _text(REGION_NAME),
            "REGIONAL_OFFICE_CODE": _text(REGION_CODE),
            "AREA_TEAM_NAME": f"CASE WHEN practice < {n_local} THEN {_text(ICB_NAME.upper())} "
            "ELSE 'NHS SYNTHETIC ICB ' || practice % 42 END",
            "AREA_TEAM_CODE": f"CASE WHEN practice < {n_local} THEN {_text(ICB_CODE)} "
            "ELSE 'Q' || lpad(CAST(practice % 42 AS VARCHAR), 2, '0') END",
            "PCO_NAME": f"'SYNTHETIC SUB ICB - ' || {sub_icb}",
            "PCO_CODE": sub_icb,
            "PRACTICE_NAME": practice("name", "'SYNTHETIC PRACTICE ' || practice"),
            "PRACTICE_CODE": practice("code", "'X' || lpad(CAST(practice AS VARCHAR), 5, '0')"),
            "ADDRESS_1": practice("address", "(practice % 200 + 1) || ' SYNTHETIC STREET'"),
            "ADDRESS_4": practice("town", "'SYNTHETIC TOWN ' || practice % 300"),
            "POSTCODE": practice(
                "postcode", "'ZZ' || (practice % 90 + 1) || ' ' || (practice % 9 + 1) || 'XY'"
            ),
            "BNF_CHEMICAL_SUBSTANCE": product("chemical_code"),
            "CHEMICAL_SUBSTANCE_BNF_DESCR": product("chemical"),
            "BNF_CODE": product("bnf_code"),
            "BNF_DESCRIPTION": product("name"),
            "BNF_CHAPTER_PLUS_CODE": product("chapter"),
            "QUANTITY": "quantity",
            "ITEMS": "items",
            "TOTAL_QUANTITY": "quantity * items",
            "ADQUSAGE": f"round(quantity * items * 28.0 / {product('pack')}, 1)",
            "NIC": f"round(items * quantity * {product('unit_price')}, 2)",
            "ACTUAL_COST": f"round(items * quantity * {product('unit_price')} * 0.925, 5)",
            "UNIDENTIFIED": "'N'",
        }
    )
    select = ",\n  ".join(f'{expr} AS "{name}"' for name, expr in columns.items())
    sql = f"""
    COPY (
      SELECT {select}
      FROM (
        SELECT practice, product, items,
               multiple * {product("pack")} AS quantity
        FROM (
          SELECT i % {NATIONAL_PRACTICES} AS practice,
                 (i // {NATIONAL_PRACTICES}) % {n_products} AS product,
                 (i // {NATIONAL_PRACTICES}) // {n_products} + 1 AS multiple,
                 1 + CAST(hash(i) % 40 AS BIGINT) AS items
          FROM range({int(rows)}) t(i)
        )
      )
    ) TO {_text(str(out))} (HEADER, DELIMITER ',')
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as conn:
        conn.execute("SET preserve_insertion_order = true")
        conn.execute("SET enable_progress_bar = false")
        conn.execute(sql)
    return rows
