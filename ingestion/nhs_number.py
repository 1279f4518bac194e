"""NHS numbers: the modulus-11 check, and the keyed pseudonym that replaces them on load.

The pseudonym is an HMAC-SHA256 of the normalised number under a key that never leaves the
PCN's environment, so the same patient links across files, months and practices while the
number itself cannot be recovered from the warehouse. Without the key, nothing loads.
"""

from __future__ import annotations

import hmac
import re
import secrets
from functools import lru_cache
from pathlib import Path

from pcnmo import settings
from pcnmo.redaction import SEPARATOR_CLASS, is_valid_digits
from pcnmo.redaction import check_digit as check_digit  # the one modulus-11 rule

_SEPARATORS = re.compile(SEPARATOR_CLASS)
MIN_KEY_LENGTH = 32


def normalise(value: str) -> str:
    """Strip the separators people type into NHS numbers (`943 476 5919`, `943-476-5919`):
    the same characters `pcnmo.redaction` allows between digits."""
    return _SEPARATORS.sub("", value)


def is_valid(value: str) -> bool:
    # ASCII digits only: str.isdigit() would also accept '²' or Arabic-Indic digits.
    return is_valid_digits(normalise(value))


def mask(value: str) -> str:
    """What a person may see of an NHS number in quarantine: the last three digits."""
    digits = normalise(value)
    return "*" * max(len(digits) - 3, 0) + digits[-3:] if digits else ""


class MissingKeyError(RuntimeError):
    pass


def load_key() -> bytes:
    """The pseudonymisation key: from the environment, else the local key file."""
    from_env = settings.pseudonymisation_key()
    if from_env:
        key = from_env.strip()
    else:
        key_file = settings.paths().key_file
        if not key_file.exists():
            raise MissingKeyError(
                f"No pseudonymisation key: set {settings.KEY_ENV} or create {key_file} "
                "with `pcnmo init-key`. Keep the same key every month, or patients will not "
                "link across months."
            )
        key = key_file.read_text(encoding="utf-8").strip()
    if len(key) < MIN_KEY_LENGTH:
        raise MissingKeyError(
            f"The pseudonymisation key is {len(key)} characters; use at least {MIN_KEY_LENGTH}."
        )
    return key.encode("utf-8")


def create_key_file(path: Path | None = None) -> Path:
    """Write a new random key unless one exists (replacing it would break patient linkage)."""
    target = path or settings.paths().key_file
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(secrets.token_hex(32) + "\n", encoding="utf-8")
    target.chmod(0o600)
    return target


# Hex digits spelt as the letters A-P: a pseudonym has no digits at all, so no part of it can
# ever be mistaken for (or caught by a search for) an NHS number.
_HEX_AS_LETTERS = str.maketrans("0123456789abcdef", "ABCDEFGHIJKLMNOP")
PSEUDONYM_BYTES = 13  # 104 bits: no collision in any population the NHS will ever have


# NHS England never issues numbers starting 999: they are kept for testing, and only
# synthetic data carries them. The range holds about 909,000 valid numbers, fewer than a whole
# ICB's patients, so a synthetic ICB reuses them across practices (synthetic.population): a
# test number is pseudonymised together with its practice, and stays a different person at
# each. A real number is pseudonymised alone, so a real patient links across practices.
TEST_RANGE_PREFIX = "999"


def is_test_number(value: str) -> bool:
    """Whether a number is in the range NHS England keeps for testing (never a real patient)."""
    return normalise(value).startswith(TEST_RANGE_PREFIX)


# The same patients recur in every table and every month of a run: hash each number once.
@lru_cache(maxsize=2_000_000)
def pseudonymise(value: str, key: bytes, practice_code: str | None = None) -> str:
    """`P` + 26 capital letters (A-P): a keyed HMAC-SHA256 of the normalised number, and of the
    practice too for a test-range number (`is_test_number`); `practice_code` is ignored for a
    real one."""
    message = normalise(value)
    if message.startswith(TEST_RANGE_PREFIX):
        if not practice_code:
            raise ValueError("a test-range NHS number is pseudonymised with its practice code")
        message = f"{message}@{practice_code.strip().upper()}"
    digest = hmac.digest(key, message.encode("ascii"), "sha256")
    return "P" + digest[:PSEUDONYM_BYTES].hex().translate(_HEX_AS_LETTERS)
