"""The loader's SQL checks: `pcnmo_redact` must give exactly what `pcnmo.redaction.redact`
gives on every text (its pattern must let through every text that holds an NHS number), and the
Verhoeff check must agree with an implementation written here from the published tables
(SNOMED CT Technical Implementation Guide, check digit)."""

from __future__ import annotations

import random
import re

import duckdb
import pytest

from ingestion.sql_macros import install_macros
from pcnmo.redaction import POSSIBLE_NHS_NUMBER_PATTERN, SEPARATORS, redact
from tests.ingestion.conftest import valid_nhs_numbers

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
_P = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4]]
for _ in range(6):  # each row of P is the one before, permuted by P[1]
    _P.append([_P[1][v] for v in _P[-1]])


def _verhoeff_valid(digits: str) -> bool:
    check = 0
    for position, digit in enumerate(reversed(digits)):
        check = _D[check][_P[position % 8][int(digit)]]
    return check == 0


@pytest.fixture(scope="module")
def conn():
    connection = duckdb.connect()
    install_macros(connection)
    yield connection
    connection.close()


def _corpus(seed: int) -> list[str]:
    """Random texts heavy in digits and separators, and real numbers written every way."""
    rng = random.Random(seed)
    alphabet = "0123456789" * 4 + SEPARATORS + "ab,;'"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    numbers = valid_nhs_numbers(60, start=rng.randint(100_000_000, 899_000_000))
    joins = ["", " ", "-", ".", "/", "\u00a0", "\u2013", "  ", " - "]
    for number in numbers * 20:
        written = number[0] + "".join(rng.choice(joins[:3]) + d for d in number[1:])
        if rng.random() < 0.5:
            sep = rng.choice(joins)
            written = f"{number[:3]}{sep}{number[3:6]}{sep}{number[6:]}"
        texts.append(rng.choice(["", "x", "1", " ", "12 "]) + written + rng.choice(["", "y", "7"]))
    # References built on ODS codes (a lone letter and five digits), which are not numbers,
    # and numbers glued to letters, which are.
    for number in numbers:
        letters = rng.choice(["U", "SEA-U", "12U", "NHS", "NH", ""])
        texts.append(f"{letters}{number[:5]}{rng.choice(joins)}{number[5:]}")
    return texts


@pytest.mark.parametrize("seed", [1, 2])
def test_the_sql_redaction_is_the_python_redaction(conn, seed):
    texts = _corpus(seed)
    got = [
        r[0]
        for r in conn.execute("select pcnmo_redact(t) from unnest(?) as u(t)", [texts]).fetchall()
    ]
    assert got == [redact(t) for t in texts]
    assert sum(g != t for g, t in zip(got, texts, strict=True)) > 600  # numbers were removed


@pytest.mark.parametrize(
    "text",
    ["1234567890123456", "2026-09-01", "01/09/2026", "39732311000001104", "12.50", "SEA-U90001-25"],
)
def test_texts_that_cannot_hold_a_number_skip_the_python_redaction(text):
    # Nearly every value (dates, amounts, SNOMED and dm+d ids) must stay on the SQL fast path.
    assert not re.search(POSSIBLE_NHS_NUMBER_PATTERN, text)


def test_sql_redaction_keeps_nulls(conn):
    assert conn.execute("select pcnmo_redact(null::varchar)").fetchall() == [(None,)]


def test_verhoeff_in_sql_agrees_with_the_published_algorithm(conn):
    rng = random.Random(3)
    ids = [str(rng.randint(10**5, 10 ** rng.randint(6, 18))) for _ in range(5000)]
    sql = "select pcnmo_verhoeff_is_valid(s) from unnest(?) u(s)"
    got = [r[0] for r in conn.execute(sql, [ids]).fetchall()]
    assert got == [_verhoeff_valid(i) for i in ids]
    assert 300 < sum(got) < 700  # about one in ten


@pytest.mark.parametrize(
    ("concept_id", "valid"),
    [
        ("319740004", True),  # a dm+d VMP (short format)
        ("1239511000000100", True),  # structured medication review (UK extension)
        ("1239511000000000", False),  # Excel's rounding of it
        ("1.23951E+15", False),
        ("319740005", False),  # check digit wrong
        ("9434765919", False),  # an NHS number where a code belongs
        ("123456", False),
    ],
)
def test_a_snomed_concept_id_needs_its_check_digit_and_concept_partition(conn, concept_id, valid):
    assert _verhoeff_valid("319740004") and _verhoeff_valid("1239511000000100")
    result = conn.execute("select pcnmo_snomed_concept_is_valid(?)", [concept_id]).fetchall()
    assert result == [(valid,)]
