"""The width estimator and number-format text the workbooks are sized with, checked against
figures worked out by hand from Calibri's advance widths (2048 units per em)."""

from __future__ import annotations

import datetime as dt

import pytest
import xlsxwriter

from reports.layout import (
    column_pixels,
    formatted_text,
    line_height,
    text_pixels,
    width_for_pixels,
    wrapped_lines,
)
from tests.reports.output_scan import overflowing_cells


def test_a_digit_of_calibri_11_is_7_43_pixels_at_96_dpi():
    # 1038 / 2048 of an em of 11 pt = 14.667 px
    assert text_pixels("0") == pytest.approx(1038 / 2048 * 11 * 96 / 72)
    assert text_pixels("0000000000") == pytest.approx(10 * 7.4336, abs=0.01)


def test_narrow_wide_bold_and_larger_text_measure_differently():
    assert text_pixels("iiii") < text_pixels("0000") < text_pixels("MMMM")
    assert text_pixels("Amber", bold=True) > text_pixels("Amber")
    assert text_pixels("Amber", font_size=16) == pytest.approx(text_pixels("Amber") * 16 / 11)


def test_an_unknown_character_counts_as_the_widest():
    assert text_pixels("\u4e2d") == pytest.approx(1856 / 2048 * 11 * 96 / 72)


def test_a_column_sized_for_text_holds_it():
    for text in ("£1,234,567.89", "Prescribing safety", "W" * 30):
        width = width_for_pixels(text_pixels(text))
        stored = width + 5 / 7  # xlsxwriter stores the width with the padding added
        assert column_pixels(stored) >= text_pixels(text)
    # An unsized column: 8.43 digits, 64 pixels wide with its padding.
    assert column_pixels(None) == pytest.approx(8.43 * 7, abs=0.1)


def test_wrapping_counts_lines_at_word_boundaries():
    word = text_pixels("alpha")
    space = text_pixels(" ")
    assert wrapped_lines("alpha alpha", 2 * word + space) == 1
    assert wrapped_lines("alpha alpha", 2 * word + space - 0.5) == 2
    assert wrapped_lines("alpha\nalpha", 1000) == 2
    # A word longer than the line is broken, taking as many lines as it needs.
    assert wrapped_lines("x" * 30, text_pixels("x" * 10)) == 3
    assert line_height(11) == 15 and line_height(10) == 14


@pytest.mark.parametrize(
    ("value", "number_format", "text"),
    [
        (1018.0, "#,##0", "1,018"),
        (1018.0, '#,##0.0"%"', "1,018.0%"),
        (1.235, '"£"#,##0.00', "£1.24"),
        (-0.25, '+0.0" pp";-0.0" pp";0.0" pp"', "-0.3 pp"),
        (0.0, '+0.0" pp";-0.0" pp";0.0" pp"', "0.0 pp"),
        (1.5, '+0.0" pp";-0.0" pp";0.0" pp"', "+1.5 pp"),
        (-3.5, "#,##0.0", "-3.5"),
        (12, None, "12"),
        (dt.date(2026, 8, 5), "d mmm yyyy", "5 Aug 2026"),
        (dt.date(2026, 9, 1), "mmm yyyy", "Sep 2026"),
        (dt.datetime(2026, 10, 5, 9, 0), "d mmm yyyy hh:mm", "5 Oct 2026 09:00"),
        ("text", "@", "text"),
    ],
)
def test_number_formats_show_the_text_a_spreadsheet_shows(value, number_format, text):
    assert formatted_text(value, number_format) == text


def test_the_overflow_check_finds_a_number_too_wide_and_a_row_too_short(tmp_path):
    path = tmp_path / "narrow.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("S")
    sheet.set_column(0, 0, 5)
    sheet.write_number(0, 0, 123456.78, workbook.add_format({"num_format": '"£"#,##0.00'}))
    sheet.set_column(1, 1, 10)
    sheet.write_string(
        0,
        1,
        "a long sentence that wraps onto several lines",
        workbook.add_format({"text_wrap": True}),
    )
    sheet.set_column(2, 2, 30)
    sheet.write_string(1, 2, "fits")
    workbook.close()
    problems = overflowing_cells(path)
    assert [p.split(" ")[0] for p in problems] == ["S!A1", "S!B1"]
