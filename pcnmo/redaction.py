"""NHS numbers in text: how to recognise one, and the one function that removes them.

Whatever leaves ingestion passes `redact`: every text value kept from an input file (the
loader's SQL calls this very function, `pcnmo_redact` in `ingestion.sql_macros`), every message
(rejections, errors, Dagster metadata and descriptions, logs, the console) and every quarantine
field. Nothing else decides what an NHS number looks like.

An NHS number here is ten ASCII digits that pass the modulus-11 check (NHS Data Dictionary),
written with or without separators between the digits: up to three of the characters in
`SEPARATORS` (spaces of every width including the non-breaking ones, dots, slashes, hyphens,
dashes and minus signs, line breaks) between any two digits, so `943 476 5919`, `943-476-5919`,
`943.476.5919`, `94 34 76 59 19` and `943 / 476 / 5919` are all found. A candidate starts where a
group of digits starts and ends where one ends: ten digits inside a longer number (an 11-digit
phone number, an 18-digit SNOMED id) are not an NHS number. Every group start is tried, so two
candidates that overlap are both checked.

One exception: a run of five digits right after a lone letter is an ODS code (a practice's
A81001, a PCN's U90001), and local logs build references from them (`SEA-U90001-25-006`). With
the digit groups after it such a code can make ten digits that pass modulus 11 (about one
reference in eleven); read as an NHS number it would be removed, and two different references
would become the same text. No candidate starts there; a number glued to letters in one run of
ten digits (`NHS9434765919`) or after two letters (`NHS94347 65919`) is still found.

Codes that are not NHS numbers are never passed through `redact` (SNOMED CT and dm+d ids are
checked with their own Verhoeff check digit; costs and counts are numbers, not text).
"""

from __future__ import annotations

import re

REDACTED = "[number removed]"

# Between two digits of a number as people type it. Kept out of any character class syntax
# here; `SEPARATOR_CLASS` below is valid in Python's `re` and in RE2 (DuckDB) alike.
SEPARATORS = (
    " \t\r\n"
    "\u00a0\u2007\u2009\u202f"  # no-break, figure, thin and narrow no-break spaces
    "./\\"
    "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"  # hyphens, figure/en/em dashes, minus sign
    "-"  # last, so that it is a literal inside the class
)
SEPARATOR_CLASS = "[" + SEPARATORS.replace("\\", "\\\\") + "]"
MAX_SEPARATORS = 3

# Text split into maximal runs of digits and of everything else: a candidate starts at a run of
# digits.
TOKEN_PATTERN = "[0-9]+|[^0-9]+"
# A lone ASCII letter (not preceded by another letter) before five digits: an ODS code.
ODS_CODE_LETTER_PATTERN = "(^|[^A-Za-z])[A-Za-z]$"
ODS_CODE_DIGITS = 5
# Ten digits from where a candidate starts, then the character after them if it is a digit
# (then the ten digits are the start of a longer number, not an NHS number).
CANDIDATE_PATTERN = f"([0-9](?:{SEPARATOR_CLASS}{{0,{MAX_SEPARATORS}}}[0-9]){{9}})([0-9]?)"

# Matches every text that holds a candidate (and a few more): ten digits with separators
# between them, starting where a run of digits starts and not followed by a digit. A text it
# does not match cannot hold an NHS number, so the loader's SQL skips `redact` for it (nearly
# every value: a date, a count, an 18-digit SNOMED id).
POSSIBLE_NHS_NUMBER_PATTERN = (
    f"(^|[^0-9])[0-9](?:{SEPARATOR_CLASS}{{0,{MAX_SEPARATORS}}}[0-9]){{9}}([^0-9]|$)"
)

_CANDIDATE = re.compile(CANDIDATE_PATTERN)
_DIGIT_RUN = re.compile("[0-9]+")
_NOT_A_DIGIT = re.compile("[^0-9]")
_ODS_CODE_LETTER = re.compile(ODS_CODE_LETTER_PATTERN)


def check_digit(first_nine: str) -> int | None:
    """The modulus-11 check digit for nine digits, or None when no valid one exists."""
    total = sum(
        int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1), strict=True)
    )
    remainder = 11 - total % 11
    if remainder == 11:
        return 0
    if remainder == 10:
        return None
    return remainder


def is_valid_digits(digits: str) -> bool:
    """Exactly ten ASCII digits whose last is the modulus-11 check digit of the nine before."""
    if len(digits) != 10 or _NOT_A_DIGIT.search(digits):
        return False
    return check_digit(digits[:9]) == int(digits[9])


def nhs_numbers_in(text: str) -> list[str]:
    """Every NHS number in `text`, as written there (separators included), in order."""
    found = []
    for run in _DIGIT_RUN.finditer(text):
        if run.end() - run.start() == ODS_CODE_DIGITS and _ODS_CODE_LETTER.search(
            text[: run.start()]
        ):
            continue
        match = _CANDIDATE.match(text, run.start())
        if match is None or match.group(2):
            continue
        if is_valid_digits(_NOT_A_DIGIT.sub("", match.group(1))):
            found.append(match.group(1))
    return found


def redact(text: str) -> str:
    """`text` with every NHS number in it replaced by `REDACTED`."""
    for number in nhs_numbers_in(text):
        text = text.replace(number, REDACTED)
    return text


def redact_optional(text: str | None) -> str | None:
    return None if text is None else redact(text)
