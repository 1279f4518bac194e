"""What a rejection message may quote of a file's header row: header cells, never data.

A file delivered without its header row has a patient's data where the header should be (an
NHS number, a date of birth). So that row is quoted only as far as it looks like a header:
cells that are column names of the table, or that read like one (words, no numbers). A row
mostly of other cells (a data value can happen to equal a column name) is described as a data
row and not quoted at all.
"""

from __future__ import annotations

import re

from pcnmo.contracts import TableContract

SHOWN_CELLS = 30
# Words, spaces and the punctuation headers use; at most one digit in a row (AGE_GROUP_5,
# 'eFI2'), so dates, amounts, codes and identifiers never pass.
_LOOKS_LIKE_A_HEADER = re.compile(r"[A-Za-z][A-Za-z _/().,&+'?%:-]*([0-9][A-Za-z _/().,&+'-]*)*")
_MAX_HEADER_LENGTH = 60


def normalise_header(value: str) -> str:
    return " ".join(value.split()).casefold()


def column_names(table: TableContract) -> set[str]:
    """Every header any dialect of the table uses, normalised."""
    return {
        normalise_header(header)
        for column in table.columns
        for dialect in table.dialects
        if (header := column.header(dialect.name))
    }


def looks_like_a_header(cell: str) -> bool:
    cell = cell.strip()
    return len(cell) <= _MAX_HEADER_LENGTH and bool(_LOOKS_LIKE_A_HEADER.fullmatch(cell))


def describe_header_row(table: TableContract, header: list[str], row: int = 1) -> str:
    """The header row (`row`) for a message: its header-like cells quoted, the rest counted."""
    known = column_names(table)
    filled = [cell for cell in header if cell.strip()]
    names = sum(normalise_header(cell) in known for cell in filled)
    # A data value can equal a column name ('eFI'); a header row is mostly column names, and
    # a title line above it ('Search: patients on the LD register') is words.
    if names * 2 < len(filled) and not all(looks_like_a_header(cell) for cell in filled):
        return (
            f"row {row} has {names} of this table's column names in its {len(filled)} cells, "
            f"so it looks like a data row: is the header row missing? (row {row} is not shown, "
            "as it may hold patient data)"
        )
    cells = [c for c in header if c.strip()][:SHOWN_CELLS]
    shown = [repr(c) for c in cells if looks_like_a_header(c)]
    hidden = len(cells) - len(shown)
    text = f"row {row} has: " + ", ".join(shown)
    if hidden:
        text += f", and {hidden} cell(s) that look like data (not shown)"
    return text
