"""The small-number rule on hand-written cases (docs/domain.md section 7, NHS Digital method)."""

import pytest

from reports.suppression import SUPPRESSED, round_half_up, suppress_count, suppress_kpi


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (None, None),
        (0, 0),
        (0.0, 0),
        (1, "*"),
        (7, "*"),
        (7.4, "*"),  # a phased target that would round to 7 is small too
        (7.6, 10),
        (8, 10),
        (10, 10),
        (12, 10),
        (12.5, 15),  # halves round away from zero
        (13, 15),
        (1234, 1235),
        (1100, 1100),
    ],
)
def test_counts_zero_stays_small_ones_hide_others_round_to_five(count, shown):
    assert suppress_count(count) == shown


def test_round_half_up_is_not_bankers_rounding():
    assert [round_half_up(v) for v in (2.5, 7.5, 17.5, 22.4)] == [5, 10, 20, 20]


def test_a_ratio_is_hidden_when_its_numerator_is_small():
    shown = suppress_kpi(3, 20, 15.0, "percent", apply=True)
    assert (shown.numerator, shown.denominator, shown.value, shown.suppressed) == (
        "*",
        20,
        "*",
        True,
    )


def test_a_ratio_is_hidden_when_its_denominator_is_small():
    shown = suppress_kpi(8, 7, 114.3, "percent", apply=True)
    assert (shown.numerator, shown.denominator, shown.value) == (10, "*", "*")


def test_a_percentage_is_recomputed_from_the_rounded_figures():
    # 13 / 22 = 59.1% unrounded; shown as 15 / 20 = 75%.
    shown = suppress_kpi(13, 22, 59.09, "percent", apply=True)
    assert (shown.numerator, shown.denominator, shown.value, shown.suppressed) == (
        15,
        20,
        75.0,
        False,
    )


def test_a_zero_numerator_stays_zero_and_the_rate_is_zero():
    shown = suppress_kpi(0, 12, 0.0, "percent", apply=True)
    assert (shown.numerator, shown.denominator, shown.value) == (0, 10, 0.0)


def test_rates_and_means_use_their_own_scale():
    assert suppress_kpi(9, 20_012, 4.497, "rate_per_10000", apply=True).value == pytest.approx(
        10 * 10_000 / 20_010
    )
    assert suppress_kpi(23, 18, 1.28, "mean_per_smr", apply=True).value == pytest.approx(25 / 20)


def test_a_count_kpi_shows_its_rounded_count():
    assert suppress_kpi(12, None, 12.0, "count", apply=True).value == 10
    assert suppress_kpi(4, None, 4.0, "count", apply=True).value == SUPPRESSED


def test_kpis_not_about_patients_are_shown_as_computed():
    shown = suppress_kpi(5, 6, 83.33, "percent", apply=False)
    assert (shown.numerator, shown.denominator, shown.value, shown.suppressed) == (
        5,
        6,
        83.33,
        False,
    )


def test_no_data_stays_empty():
    shown = suppress_kpi(None, None, None, "percent", apply=True)
    assert (shown.numerator, shown.denominator, shown.value) == (None, None, None)
