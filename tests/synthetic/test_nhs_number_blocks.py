"""The synthetic ICB's NHS numbers: only the 999 test range, reused block by block of PCNs once
an ICB outgrows it, never twice within a block."""

from __future__ import annotations

import numpy as np
import pytest

from synthetic.population import VALID_TEST_NUMBERS, nhs_numbers, number_blocks


def _valid_test_numbers_counted_by_residue() -> int:
    """Stems 999 abc def g-h-i with a check digit: the weighted sum of the nine digits must not
    leave remainder 1 modulo 11 (that would need check digit 10). Counted by dynamic
    programming over the remainder of the six free digits, weights 7 down to 2."""
    ways = [0] * 11
    ways[(9 * 10 + 9 * 9 + 9 * 8) % 11] = 1
    for weight in range(7, 1, -1):
        following = [0] * 11
        for remainder, count in enumerate(ways):
            for digit in range(10):
                following[(remainder + digit * weight) % 11] += count
        ways = following
    return 10**6 - ways[1]


def test_the_capacity_of_the_test_range_is_counted_right():
    assert _valid_test_numbers_counted_by_residue() == VALID_TEST_NUMBERS


def test_numbers_are_distinct_valid_test_numbers():
    numbers = nhs_numbers(np.random.default_rng(1), 5000)
    assert len(set(numbers)) == 5000
    weights = np.arange(10, 1, -1)
    for number in numbers[:500]:
        assert number.startswith("999") and len(number) == 10
        remainder = 11 - int(np.dot([int(d) for d in number[:9]], weights)) % 11
        assert (0 if remainder == 11 else remainder) == int(number[9])


def test_the_whole_range_cannot_number_more_than_it_holds():
    with pytest.raises(ValueError, match="999 test range"):
        nhs_numbers(np.random.default_rng(1), 909_092)


def test_pcns_are_blocked_so_each_block_fits_the_range():
    assert number_blocks([400, 300, 200], capacity=1000) == [[0, 1, 2]]
    assert number_blocks([400, 300, 400, 700, 300], capacity=1000) == [[0, 1], [2], [3, 4]]


def test_a_pcn_larger_than_the_range_is_refused():
    with pytest.raises(ValueError, match="smaller PCN"):
        number_blocks([100, 1001], capacity=1000)


def test_an_icb_in_several_blocks_numbers_every_pcn_from_the_test_range(monkeypatch, tmp_path):
    import csv

    from ingestion.nhs_number import is_valid, normalise
    from synthetic import SyntheticConfig, generate, generator

    blocks = []

    def one_block_per_pcn(needs):
        blocks.append([[k] for k in range(len(needs))])
        return blocks[-1]

    monkeypatch.setattr(generator, "number_blocks", one_block_per_pcn)
    config = SyntheticConfig(seed=3, patients=1200, practices=2, months=1, pcns=2, clinical_pcns=2)
    generate(tmp_path, config)

    assert blocks == [[[0], [1]]]
    by_pcn: dict[str, list[str]] = {"Z01": [], "Z02": []}
    for path in sorted(tmp_path.rglob("*_patients_*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            header, *rows = list(csv.reader(handle))
        column = next(i for i, h in enumerate(header) if h.lower() == "nhs number")
        by_pcn[path.name.split("_")[1][:3]] += [normalise(row[column]) for row in rows]
    for numbers in by_pcn.values():
        assert numbers and all(n.startswith("999") for n in numbers)
        # One deliberately broken number in the subject PCN; every other is valid and distinct.
        assert sum(not is_valid(n) for n in numbers) <= 1
        assert len(set(numbers)) == len(numbers)
