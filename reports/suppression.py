"""Small-number suppression for every output that leaves the PCN (docs/domain.md section 7).

One module, used by every writer (ICB return xlsx and CSV, SNOMED activity extract), so the rule
cannot drift between outputs. The rule is NHS Digital's secondary-care method, which docs/domain.md
recommends for an ICB return:

- a count of 0 stays 0 (a true zero discloses nothing);
- a count of 1 to 7 is shown as `*`;
- any other count is rounded to the nearest 5 (half away from zero: 12.5 -> 15);
- a ratio (percentage, rate, mean) is suppressed (`*`) when its numerator or denominator is
  suppressed, and otherwise is recomputed from the ROUNDED numerator and denominator. NHS
  Digital computes percentages from rounded figures; publishing the exact percentage beside
  rounded counts would let a reader difference the exact count back out.

Unrounded values stay in the warehouse; only outputs are suppressed. Totals (a PCN row) are
rounded independently of their practice rows, so rounded parts may not add up to the rounded
total (docs/domain.md: ensure totals are rounded independently).

Figures that are not about patients (pounds, an audit score, staff counts, alert counts) are
not suppressed: a KPI follows its `small_number_suppression` flag in seed kpi_definitions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SUPPRESSED = "*"
# Counts from 1 to this value are shown as SUPPRESSED.
SMALL_NUMBER_MAX = 7
ROUND_TO = 5

# What a KPI's value is, in terms of numerator / denominator, by unit (seed kpi_definitions).
# A unit not listed here (e.g. a count whose value is the numerator) is handled below.
UNIT_SCALE = {
    "percent": 100.0,
    "rate_per_10000": 10_000.0,
    "mean_per_smr": 1.0,
    "ratio": 1.0,
}

Shown = float | int | str | None


def round_half_up(value: float, step: int = ROUND_TO) -> int:
    """`value` rounded to the nearest multiple of `step`, halves away from zero."""
    return int(math.copysign(math.floor(abs(value) / step + 0.5) * step, value))


def is_small(count: float | None) -> bool:
    """True for a count that must be shown as `*`: more than 0 and below 7.5.

    Non-integer figures (a phased target of 3.4 SMRs) are judged the same way: anything that
    would round to a count from 1 to 7 is small.
    """
    return count is not None and 0 < abs(count) < SMALL_NUMBER_MAX + 0.5


def suppress_count(count: float | None) -> Shown:
    """A count as it may be shown: None stays None, 0 stays 0, 1-7 -> '*', else nearest 5."""
    if count is None or (isinstance(count, float) and math.isnan(count)):
        return None
    if count == 0:
        return 0
    if is_small(count):
        return SUPPRESSED
    return round_half_up(count)


@dataclass(frozen=True)
class SuppressedKpi:
    """A KPI row's numerator, denominator and value as shown in an output."""

    numerator: Shown
    denominator: Shown
    value: Shown
    suppressed: bool  # True when any of the three is shown as '*'


def suppress_kpi(
    numerator: float | None,
    denominator: float | None,
    value: float | None,
    unit: str | None,
    *,
    apply: bool,
) -> SuppressedKpi:
    """Apply the rule to one KPI row; `apply` is the KPI's small_number_suppression flag.

    The value is recomputed from the rounded numerator and denominator (NHS Digital method);
    a count KPI (unit 'count', value = numerator) shows the rounded numerator as its value.
    A unit this module does not know keeps the warehouse's own ratio between value and
    numerator / denominator, applied to the rounded figures.
    """
    if not apply:
        return SuppressedKpi(numerator, denominator, value, suppressed=False)
    shown_numerator = suppress_count(numerator)
    shown_denominator = suppress_count(denominator)
    if SUPPRESSED in (shown_numerator, shown_denominator):
        return SuppressedKpi(shown_numerator, shown_denominator, SUPPRESSED, suppressed=True)
    if value is None:
        return SuppressedKpi(shown_numerator, shown_denominator, None, suppressed=False)
    if unit == "count" or denominator is None:
        # A count KPI (or a value with no denominator) is itself a count: round it.
        shown_value = suppress_count(value)
        return SuppressedKpi(
            shown_numerator, shown_denominator, shown_value, suppressed=shown_value == SUPPRESSED
        )
    if not shown_denominator:
        return SuppressedKpi(shown_numerator, shown_denominator, None, suppressed=False)
    scale = UNIT_SCALE.get(unit or "")
    if scale is None:
        scale = value / (numerator / denominator) if numerator else 1.0
    recomputed = scale * float(shown_numerator) / float(shown_denominator)
    return SuppressedKpi(shown_numerator, shown_denominator, recomputed, suppressed=False)


def shown_text(shown: Shown, decimals: int = 1) -> str:
    """A suppressed figure as plain text, for sentences and CSV cells."""
    if shown is None:
        return ""
    if isinstance(shown, str):
        return shown
    if float(shown).is_integer():
        return str(int(shown))
    return f"{shown:.{decimals}f}".rstrip("0").rstrip(".")
