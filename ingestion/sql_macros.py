"""The checks the loader's SQL shares, as DuckDB macros: the NHS number's modulus 11, the
redaction of NHS numbers from text (`pcnmo.redaction.redact` itself, called from SQL), and the
Verhoeff check digit of SNOMED CT and dm+d ids.

Each macro is a plain expression over its argument (no subquery), so a CASE around it really
does guard it, and a value that is not even digits is simply invalid, never an error.
"""

from __future__ import annotations

import weakref

import duckdb
from duckdb.sqltypes import VARCHAR

from ingestion.duckdb_io import sql_text
from pcnmo.redaction import POSSIBLE_NHS_NUMBER_PATTERN, SEPARATOR_CLASS, redact

# Modulus 11 (NHS Data Dictionary): weights 10..2 on the first nine digits, 11 minus the
# remainder is the check digit; 11 means 0 and 10 means no valid number. `(11 - r) % 11` maps
# 11 to 0 and leaves 10, which no digit equals.
_WEIGHTED_DIGITS = " + ".join(f"{10 - i} * (ascii(substr(d, {i + 1}, 1)) - 48)" for i in range(9))
NHS_NUMBER_MACRO = f"""
create or replace temp macro pcnmo_nhs_number_is_valid(d) as (
    case
        when regexp_full_match(coalesce(d, ''), '[0-9]{{10}}')
            then (11 - ({_WEIGHTED_DIGITS}) % 11) % 11 = ascii(substr(d, 10, 1)) - 48
        else false
    end
)
"""

# The digits of an NHS number as typed, separators removed (what is checked and hashed).
NHS_NUMBER_DIGITS_MACRO = f"""
create or replace temp macro pcnmo_nhs_number_digits(v) as (
    regexp_replace(v, {sql_text(SEPARATOR_CLASS)}, '', 'g')
)
"""

# `pcnmo.redaction.redact` itself, as a Python function DuckDB calls, behind a regular
# expression that every text holding a candidate matches (`POSSIBLE_NHS_NUMBER_PATTERN`): the
# function runs only for the rare value with ten digits in a row (separators allowed) that
# start and end where runs of digits do. One implementation, so the loader and the messages
# cannot disagree on what an NHS number looks like; and a macro this small costs DuckDB almost
# nothing to plan, where spelling the redaction out in SQL had doubled the planning of every
# file's validation query (about 35 ms a file of a dozen text columns).
REDACT_FUNCTION = "pcnmo_redact_candidates"
REDACT_MACRO = f"""
create or replace temp macro pcnmo_redact(t) as (
    case
        when t is null or not regexp_matches(t, {sql_text(POSSIBLE_NHS_NUMBER_PATTERN)}) then t
        else {REDACT_FUNCTION}(t)
    end
)
"""

# A number field holding an NHS number (a patient's number typed into a count or a cost): the
# integer part, thousands commas removed, is ten digits passing modulus 11.
NUMBER_HOLDS_NHS_NUMBER_MACRO = """
create or replace temp macro pcnmo_number_holds_nhs_number(v) as (
    pcnmo_nhs_number_is_valid(regexp_extract(replace(v, ',', ''), '^[+-]?([0-9]+)', 1))
)
"""

# Verhoeff (the SNOMED CT check digit, also on dm+d ids): fold the digits from the right
# through the permutation table P (row = position mod 8) and the dihedral multiplication
# table D; a valid id folds to 0. Both tables flattened row by row.
_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]


def _flat(table: list[list[int]]) -> str:
    return "[" + ", ".join(str(v) for row in table for v in row) + "]"


# A SNOMED CT concept id (dm+d VMPs and AMPs are concepts too): digits, its partition (the two
# digits before the check digit) 00 (short format) or 10 (with a namespace), Verhoeff-valid.
# An id Excel turned into 1.23457E+15 and back ends in zeros, which the check digit catches.
SNOMED_MACROS = f"""
create or replace temp macro pcnmo_verhoeff_is_valid(s) as (
    case
        when regexp_full_match(coalesce(s, ''), '[0-9]+') then list_reduce(
            list_transform(
                range(length(s)),
                lambda i: {_flat(_P)}[(i % 8) * 10 + ascii(s[length(s) - i]) - 48 + 1]
            ),
            lambda c, x: {_flat(_D)}[c * 10 + x + 1],
            0
        ) = 0
        else false
    end
);
create or replace temp macro pcnmo_snomed_concept_is_valid(s) as (
    case
        when regexp_full_match(coalesce(s, ''), '[1-9][0-9]{{5,17}}')
            then substr(s, length(s) - 2, 2) in ('00', '10') and pcnmo_verhoeff_is_valid(s)
        else false
    end
)
"""

MACROS = (
    NHS_NUMBER_MACRO,
    NHS_NUMBER_DIGITS_MACRO,
    REDACT_MACRO,
    NUMBER_HOLDS_NHS_NUMBER_MACRO,
    SNOMED_MACROS,
)


# Connections that already have the macros: a load installs them once per table and month,
# and registering the function again would fail.
_installed: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()


def install_macros(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the macros on the connection (temporary: they live as long as it does)."""
    if conn in _installed:
        return
    try:
        conn.create_function(REDACT_FUNCTION, redact, [VARCHAR], VARCHAR, side_effects=False)
    except duckdb.CatalogException as error:
        # A Python function belongs to the database, not the connection: another connection
        # to it (a cursor of a month loading beside this one) registered it already.
        if "already exists" not in str(error):
            raise
    for sql in MACROS:
        conn.execute(sql)
    _installed.add(conn)
