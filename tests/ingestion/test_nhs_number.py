"""NHS numbers: the modulus-11 check (in Python and in the loader's SQL), the keyed pseudonym,
the mask, and the key itself. The check is worked out independently in conftest."""

from __future__ import annotations

import random
import re
import stat

import duckdb
import pytest

from ingestion import nhs_number
from ingestion.sql_macros import NHS_NUMBER_MACRO
from tests.ingestion.conftest import KEY, OTHER_KEY, mod11_check_digit, valid_nhs_numbers


def _independently_valid(value: str | None) -> bool:
    if value is None:
        return False
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"[0-9]{10}", digits):
        return False
    check = mod11_check_digit(digits[:9])
    return check is not None and check == int(digits[9])


def _prefixes_without_a_check_digit(count: int) -> list[str]:
    """Nine-digit prefixes whose check digit would be 10: no NHS number starts with these."""
    found, prefix = [], 100_000_000
    while len(found) < count:
        if mod11_check_digit(str(prefix)) is None:
            found.append(str(prefix))
        prefix += 1
    return found


@pytest.mark.parametrize(
    "value", ["9434765919", "943 476 5919", "943-476-5919", " 9434765919 ", "4010232137"]
)
def test_known_valid_nhs_numbers_pass(value):
    assert nhs_number.is_valid(value)


@pytest.mark.parametrize(
    "value",
    [
        "9434765918",  # wrong check digit
        "9434765910",
        "943476591",  # nine digits
        "94347659190",  # eleven
        "943476591X",
        "",
        "NOT KNOWN",
        "\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19",  # full-width digits
        "943476591²",
    ],
)
def test_invalid_nhs_numbers_fail(value):
    assert not nhs_number.is_valid(value)


def test_numbers_whose_check_digit_would_be_10_are_invalid_whatever_the_last_digit():
    for prefix in _prefixes_without_a_check_digit(5):
        assert not any(nhs_number.is_valid(f"{prefix}{d}") for d in range(10))
        assert nhs_number.check_digit(prefix) is None


def test_check_digit_11_becomes_0():
    prefix = next(
        f"{n:09d}"
        for n in range(100_000_000, 100_001_000)
        if sum(int(d) * w for d, w in zip(f"{n:09d}", range(10, 1, -1), strict=True)) % 11 == 0
    )
    assert nhs_number.is_valid(prefix + "0")


def _sample() -> list[str]:
    rnd = random.Random(11)
    return valid_nhs_numbers(2000, start=rnd.randrange(10**8, 9 * 10**8)) + [
        f"{rnd.randrange(10**10):010d}" for _ in range(8000)
    ]


def test_python_check_agrees_with_an_independent_modulus_11_on_many_numbers():
    sample = _sample()
    assert [nhs_number.is_valid(v) for v in sample] == [_independently_valid(v) for v in sample]
    assert 2000 <= sum(map(_independently_valid, sample)) < 4000  # both kinds are tested


def test_loader_sql_check_agrees_with_an_independent_modulus_11():
    sample = [
        *_sample(),
        *(p + "0" for p in _prefixes_without_a_check_digit(20)),
        "NOT KNOWN",
        "943476591X",
        "",
        "94347659190",
        None,
    ]
    conn = duckdb.connect()
    conn.execute(NHS_NUMBER_MACRO)
    conn.execute("create table numbers as select unnest(?::varchar[]) as d", [sample])
    got = conn.execute(
        "select d, pcnmo_nhs_number_is_valid(d) from numbers order by rowid"
    ).fetchall()
    assert [v for _, v in got] == [_independently_valid(v) for v in sample]


def test_pseudonym_is_stable_for_the_same_number_and_key_however_it_is_typed():
    first = nhs_number.pseudonymise("9434765919", KEY)
    assert nhs_number.pseudonymise("943 476 5919", KEY) == first
    assert nhs_number.pseudonymise("943-476-5919", KEY) == first
    assert nhs_number.pseudonymise("9434765919", bytes(KEY)) == first


def test_pseudonym_differs_for_a_different_key_or_number():
    first = nhs_number.pseudonymise("9434765919", KEY)
    assert nhs_number.pseudonymise("9434765919", OTHER_KEY) != first
    assert nhs_number.pseudonymise("4010232137", KEY) != first


def test_pseudonyms_never_contain_a_digit_run_and_do_not_collide():
    numbers = valid_nhs_numbers(20000)
    pseudonyms = [nhs_number.pseudonymise(n, KEY) for n in numbers]
    assert len(set(pseudonyms)) == len(numbers)
    for value in pseudonyms:
        assert re.fullmatch(r"P[A-Z2-7]{26}", value), value  # what the raw-table checks expect
        assert not re.search(r"[0-9]{10}", value)
        assert not re.search(r"[0-9]", value)  # no digits at all, so never a run of ten


def test_mask_shows_only_the_last_three_digits():
    assert nhs_number.mask("943 476 5919") == "*******919"
    assert nhs_number.mask("") == ""


def test_without_a_key_loading_the_key_says_how_to_make_one():
    with pytest.raises(nhs_number.MissingKeyError) as caught:
        nhs_number.load_key()

    message = str(caught.value)
    assert "PCNMO_PSEUDONYMISATION_KEY" in message
    assert "pcnmo init-key" in message


def test_a_short_key_is_refused(monkeypatch):
    monkeypatch.setenv("PCNMO_PSEUDONYMISATION_KEY", "too-short")

    with pytest.raises(nhs_number.MissingKeyError, match="at least 32"):
        nhs_number.load_key()


def test_the_environment_key_wins_over_the_key_file(monkeypatch, tmp_path):
    nhs_number.create_key_file()
    monkeypatch.setenv("PCNMO_PSEUDONYMISATION_KEY", KEY.decode() + "\n")

    assert nhs_number.load_key() == KEY


def test_a_key_file_is_created_once_private_and_never_replaced(tmp_path):
    path = nhs_number.create_key_file()
    key = nhs_number.load_key()

    assert path.is_relative_to(tmp_path)  # under PCNMO_DATA_DIR, set by conftest
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) >= nhs_number.MIN_KEY_LENGTH
    assert nhs_number.create_key_file() == path
    assert nhs_number.load_key() == key


# 999 numbers are never issued (NHS England keeps them for testing), so a synthetic ICB reuses
# them at different practices; real numbers must still link a patient across practices.
TEST_NUMBER = "9990000026"  # 999 000 002 has check digit 6 (worked out in conftest)


def test_the_sample_test_number_is_valid():
    assert mod11_check_digit(TEST_NUMBER[:9]) == int(TEST_NUMBER[9])


def test_a_test_range_number_is_a_different_patient_at_each_practice():
    at_a = nhs_number.pseudonymise(TEST_NUMBER, KEY, "A12345")
    assert nhs_number.pseudonymise("999 000 0026", KEY, "a12345 ") == at_a
    assert nhs_number.pseudonymise(TEST_NUMBER, KEY, "B23456") != at_a


def test_a_real_number_is_the_same_patient_at_every_practice():
    alone = nhs_number.pseudonymise("9434765919", KEY)
    assert nhs_number.pseudonymise("9434765919", KEY, "A12345") == alone
    assert nhs_number.pseudonymise("9434765919", KEY, "B23456") == alone


def test_a_test_range_number_without_its_practice_is_refused():
    with pytest.raises(ValueError, match="practice"):
        nhs_number.pseudonymise(TEST_NUMBER, KEY)
