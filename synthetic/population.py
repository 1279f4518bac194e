"""Registered patients of a clinical PCN: who they are, when they join and leave, and the
registers they are on.

Rates are rounded public figures for England: the age/sex shape of GP lists (NHS Digital
"Patients Registered at a GP Practice"), ONS death rates by age, about 9% of a list joining
and leaving each year, care-home residence concentrated in the over-85s (about 0.6% of a list),
learning disability about 0.5%, and eFI severe frailty (>0.36) in a few per cent of over-65s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic.organisations import Practice

# Share of a GP list in each quinary band 0_4 ... 90_94, 95+ (about 18% aged 65+).
QUINARY_SHARES = np.array(
    [
        5.4,
        5.9,
        6.0,
        5.7,
        6.2,
        6.9,
        7.2,
        6.9,
        6.5,
        6.2,
        6.6,
        6.5,
        5.7,
        4.9,
        4.6,
        3.7,
        2.4,
        1.5,
        0.7,
        0.2,
    ]
)
FEMALE_SHARE = np.array([0.49] * 10 + [0.5, 0.505, 0.51, 0.515, 0.525, 0.54, 0.56, 0.6, 0.66, 0.74])
# Annual probability of death by quinary band.
MORTALITY = np.array(
    [
        0.0008,
        0.0001,
        0.0001,
        0.0003,
        0.0004,
        0.0005,
        0.0007,
        0.001,
        0.0015,
        0.002,
        0.003,
        0.0045,
        0.007,
        0.011,
        0.017,
        0.03,
        0.05,
        0.09,
        0.16,
        0.27,
    ]
)
# How much more likely than average people of each band are to be a new registration.
MOVER_FACTOR = np.array(
    [
        1.0,
        0.8,
        0.7,
        1.0,
        2.2,
        2.6,
        2.2,
        1.6,
        1.1,
        0.9,
        0.7,
        0.6,
        0.5,
        0.45,
        0.4,
        0.4,
        0.5,
        0.6,
        0.6,
        0.6,
    ]
)
DAYS_PER_YEAR = 365.25
NEW_REGISTRATIONS_PER_YEAR = 0.095  # of the list size
BIRTH_SHARE = 0.13  # of new registrations
NHS_TEST_RANGE = (999_000_000, 1_000_000_000)  # first nine digits NHS England keeps for tests


def pyramid(tilt: float) -> np.ndarray:
    """Quinary shares tilted towards older (tilt > 0) or younger lists."""
    mid = np.arange(20) * 5 + 2.5
    shares = QUINARY_SHARES * np.exp(tilt * (mid - 45) / 30)
    return shares / shares.sum()


def band_of(age_years: np.ndarray) -> np.ndarray:
    return np.minimum(np.asarray(age_years) // 5, 19).astype(int)


def age_years(dob: np.ndarray, day: np.datetime64) -> np.ndarray:
    """Completed years of age on `day` (to within a day either side of a birthday)."""
    return ((day - dob).astype(int) / DAYS_PER_YEAR).astype(int)


# Of the million nine-digit stems 999 000 000 to 999 999 999, these have a modulus-11 check
# digit (the rest would need a check digit of 10): the most patients one block can number.
VALID_TEST_NUMBERS = 909_091


def nhs_numbers(rng: np.random.Generator, count: int) -> np.ndarray:
    """Distinct valid NHS numbers from the 999 test range (at most VALID_TEST_NUMBERS)."""
    low, high = NHS_TEST_RANGE
    candidates = low + rng.permutation(high - low)
    digits = (candidates[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    remainder = 11 - (digits * np.arange(10, 1, -1)).sum(axis=1) % 11
    check = np.where(remainder == 11, 0, remainder)
    valid = check != 10
    if valid.sum() < count:
        raise ValueError(
            f"{count:,} patients need more than the {valid.sum():,} valid NHS numbers in the "
            "999 test range: number them in blocks (number_blocks)"
        )
    numbers = candidates[valid][:count] * 10 + check[valid][:count]
    return numbers.astype(str).astype(object)


def number_blocks(needs: list[int], capacity: int = VALID_TEST_NUMBERS) -> list[list[int]]:
    """Consecutive PCNs grouped so that each group's patients fit in the 999 range.

    `needs[k]` is how many numbers PCN k may use. A PCN that alone needs more than the range
    holds cannot be numbered at all. Numbers are distinct within a block and repeat across
    blocks, never within a practice: the loader pseudonymises a test-range number together with
    its practice (ingestion.nhs_number), so every synthetic patient stays a different person.
    """
    blocks: list[list[int]] = []
    total = capacity + 1
    for pcn, need in enumerate(needs):
        if need > capacity:
            raise ValueError(
                f"one PCN needs {need:,} NHS numbers, more than the {capacity:,} valid numbers "
                "of the 999 test range: generate a smaller PCN"
            )
        if total + need > capacity:
            blocks.append([])
            total = 0
        blocks[-1].append(pcn)
        total += need
    return blocks


def spaced(number: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}"


@dataclass
class Population:
    practice: np.ndarray  # global practice index
    nhs: np.ndarray  # as written in extracts: 10 digits, some spaced "999 123 4567"
    female: np.ndarray
    dob: np.ndarray  # datetime64[D]
    reg: np.ndarray
    exit: np.ndarray  # NaT while registered at the end of the period
    died: np.ndarray  # the exit is a death (else a deregistration)
    care_home: np.ndarray
    learning_disability: np.ndarray
    end_of_life: np.ndarray  # on the palliative care register throughout
    efi: np.ndarray  # NaN where never calculated

    def __len__(self) -> int:
        return len(self.practice)

    def registered(self, day: np.datetime64) -> np.ndarray:
        return (self.reg <= day) & ~(self.exit <= day)

    def age_on(self, day: np.datetime64) -> np.ndarray:
        return age_years(self.dob, day)


def simulate_population(
    rng: np.random.Generator,
    practices: list[Practice],
    window_start: np.datetime64,
    window_end: np.datetime64,
    numbers: np.ndarray,
) -> Population:
    """Everyone registered at `window_start`, plus joiners until `window_end`."""
    years = (window_end - window_start).astype(int) / DAYS_PER_YEAR
    practice_parts, band_parts, new_parts = [], [], []
    for practice in practices:
        shares = pyramid(practice.age_tilt)
        joiners = rng.poisson(practice.list_size * NEW_REGISTRATIONS_PER_YEAR * years)
        mover_shares = shares * MOVER_FACTOR / (shares * MOVER_FACTOR).sum()
        practice_parts.append(np.full(practice.list_size + joiners, practice.index))
        band_parts.append(rng.choice(20, practice.list_size, p=shares))
        band_parts.append(rng.choice(20, joiners, p=mover_shares))
        new_parts.append(np.r_[np.zeros(practice.list_size, bool), np.ones(joiners, bool)])
    practice_index = np.concatenate(practice_parts)
    band = np.concatenate(band_parts)
    joiner = np.concatenate(new_parts)
    n = len(band)

    span = (window_end - window_start).astype(int)
    reg = window_start - np.round(rng.exponential(11 * DAYS_PER_YEAR, n)).astype("timedelta64[D]")
    joined_on = window_start + rng.integers(0, span + 1, n).astype("timedelta64[D]")
    reg = np.where(joiner, joined_on, reg)
    birth = joiner & (rng.random(n) < BIRTH_SHARE)
    band = np.where(birth, 0, band)
    width = np.where(band == 19, 8, 5) * DAYS_PER_YEAR
    age_days = (band * 5 * DAYS_PER_YEAR + rng.random(n) * width).astype(int)
    anchor = np.where(joiner, reg, window_start)
    dob = anchor - age_days.astype("timedelta64[D]")
    dob = np.where(birth, reg - rng.integers(7, 43, n).astype("timedelta64[D]"), dob)
    reg = np.maximum(reg, dob + np.timedelta64(7, "D"))
    female = rng.random(n) < FEMALE_SHARE[band]

    age = age_years(dob, window_start + np.timedelta64(span // 2, "D"))
    care_p = np.select([age >= 85, age >= 75, age >= 65], [0.19, 0.045, 0.008], 0.0)
    care_p = np.where(joiner & (age >= 75), care_p * 2, care_p)
    learning_disability = rng.random(n) < np.where(age < 18, 0.0035, 0.0055)
    care_p = np.where(learning_disability & (age >= 18), care_p + 0.03, care_p)
    care_home = rng.random(n) < care_p

    # eFI: 36 deficits, overdispersed counts rising with age, care homes and LD.
    deficits_mean = np.select([age >= 85, age >= 75, age >= 65, age >= 50], [9, 6, 3.5, 2], 0.5)
    deficits_mean = deficits_mean + 5 * care_home + 2 * learning_disability
    dispersion = 4.0
    deficits = rng.negative_binomial(dispersion, dispersion / (dispersion + deficits_mean))
    efi = np.minimum(deficits, 36) / 36
    calculated = rng.random(n) < np.select([age >= 65, age >= 50], [0.97, 0.08], 0.0)
    efi = np.where(calculated, np.round(efi, 2), np.nan)

    eol_p = np.select([age >= 85, age >= 75, age >= 65], [0.018, 0.006, 0.002], 0.0004)
    end_of_life = rng.random(n) < eol_p * np.where(care_home, 2, 1)

    mortality = MORTALITY[band_of(age)] * np.where(care_home, 3, 1)
    mortality = mortality * np.where(efi > 0.36, 2.5, 1)
    mortality = np.where(end_of_life, 0.7, mortality)
    leaving = np.select([age >= 85, (age >= 15) & (age < 35)], [0.03, 0.12], 0.055)
    hazard = mortality + leaving
    from_day = np.maximum(reg, window_start)
    gap = np.round(rng.exponential(DAYS_PER_YEAR / hazard)).astype(int) + 1
    exit_day = from_day + gap.astype("timedelta64[D]")
    leaves = exit_day <= window_end
    exit_day = np.where(leaves, exit_day, np.datetime64("NaT"))
    died = leaves & (rng.random(n) < mortality / hazard)

    nhs = numbers[:n].copy()
    written_spaced = rng.random(n) < 0.08
    nhs[written_spaced] = [spaced(x) for x in nhs[written_spaced]]
    return Population(
        practice=practice_index,
        nhs=nhs,
        female=female,
        dob=dob.astype("datetime64[D]"),
        reg=reg.astype("datetime64[D]"),
        exit=exit_day.astype("datetime64[D]"),
        died=died,
        care_home=care_home,
        learning_disability=learning_disability,
        end_of_life=end_of_life,
        efi=efi,
    )


def quinary_counts(pop: Population, practice: int, day: np.datetime64) -> np.ndarray:
    """(2 sexes: male, female) x 20 quinary bands registered at `day`."""
    mask = (pop.practice == practice) & pop.registered(day)
    bands = band_of(pop.age_on(day)[mask])
    female = pop.female[mask]
    return np.stack(
        [np.bincount(bands[~female], minlength=20), np.bincount(bands[female], minlength=20)]
    )
