"""The one redaction function: every NHS number out, everything else left alone.

Valid numbers are worked out here from the modulus-11 rule (weights 10..2), independently of
the code under test."""

from __future__ import annotations

import pytest

from pcnmo.redaction import REDACTED, nhs_numbers_in, redact


def _check_digit(nine: str) -> int | None:
    remainder = sum(int(d) * (10 - i) for i, d in enumerate(nine)) % 11
    check = (11 - remainder) % 11
    return None if check == 10 else check


VALID = "9434765919"  # the NHS Data Dictionary's example
OTHER_VALID = "4010232137"
assert _check_digit(VALID[:9]) == 9 and _check_digit(OTHER_VALID[:9]) == 7
INVALID = "9434765918"


@pytest.mark.parametrize(
    "written",
    [
        "9434765919",
        "943 476 5919",
        "943-476-5919",
        "943.476.5919",
        "943/476/5919",
        "943\u00a0476\u00a05919",  # non-breaking spaces, as Excel and Word type them
        "943\u202f476\u202f5919",  # narrow no-break spaces
        "943\u2013476\u20135919",  # en dashes
        "943 \u2013 476 \u2013 5919",
        "94 34 76 59 19",
        "9434 765 919",
        "943\t476\n5919",
    ],
)
def test_a_valid_number_is_removed_however_it_is_written(written):
    assert redact(f"Patient {written} reviewed") == f"Patient {REDACTED} reviewed"


@pytest.mark.parametrize(
    "text",
    [
        "9434765918",  # fails the check digit
        "94347659190",  # eleven digits: a longer number, not an NHS number
        "19434765919",
        "943 476 59190",
        "01632 960 123",  # a phone number
        "1239511000000100",  # a SNOMED CT id
        "Paracetamol 500mg tablets 100",
        "£1,234,567.89",
        "",
    ],
)
def test_text_without_a_valid_number_is_left_alone(text):
    assert redact(text) == text


def test_numbers_next_to_each_other_are_each_removed():
    text = f"{VALID},{OTHER_VALID};{VALID[:3]} {VALID[3:6]} {VALID[6:]}x"
    assert redact(text) == f"{REDACTED},{REDACTED};{REDACTED}x"


def test_a_number_after_other_digits_is_still_found():
    # Reading from the first digit group would take "12 943 476 59" and miss the number.
    assert redact("visit 12 943 476 5919 today") == f"visit 12 {REDACTED} today"
    assert nhs_numbers_in("12 943 476 5919") == ["943 476 5919"]


def test_a_number_glued_to_letters_is_still_a_number():
    assert redact(f"NHS{VALID}x") == f"NHS{REDACTED}x"
    assert redact(f"NHS{VALID[:5]} {VALID[5:]}") == f"NHS{REDACTED}"


def test_a_reference_built_on_an_ods_code_is_not_a_number():
    # U90001 + 25006 and 26010 are ten digits that pass modulus 11; read as NHS numbers both
    # references became "SEA-U[number removed]" and collided as one key.
    for reference in ("SEA-U90001-25-006", "SEA-U90001-26-010", "A81001/26/003"):
        assert redact(reference) == reference
    assert redact(f"SEA-U90001-25-006 for {VALID}") == f"SEA-U90001-25-006 for {REDACTED}"


def test_every_valid_number_in_a_range_is_found_and_no_invalid_one():
    for prefix in range(943476500, 943476600):
        nine = str(prefix)
        for last in range(10):
            number = nine + str(last)
            expected = _check_digit(nine) == last
            assert (redact(number) == REDACTED) is expected, number
