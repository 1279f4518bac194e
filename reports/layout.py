"""How wide a cell's text is, as a spreadsheet shows it: the text a number format gives a value,
its width in the font, and the column width or row height it needs.

Every workbook here sizes its columns from its contents with these functions, and the tests read
every sheet back and check with the same functions that no text is wider than its column (the
"###" a spreadsheet shows for a number that does not fit, or text cut at the cell edge).

The widths are the advance widths of Calibri, the xlsx default font, per 2048 units of the em,
for the printable ASCII characters (read from Carlito, the metric-compatible font LibreOffice
prints with). A character outside the table counts as wide as "M", so an unknown glyph can only
make an estimate too wide, never too narrow. Column widths follow the xlsx definition: a width of
n holds n digits of the default font (7 pixels each at 96 dpi) plus 5 pixels of padding.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import ROUND_HALF_UP, Decimal

EM_UNITS = 2048
FIRST_CHAR = 32  # the tables below start at the space and end at "~"
# Advance widths of " " to "~" (ASCII 32-126).
REGULAR_WIDTHS = (
    "463 667 821 1020 1038 1464 1397 452 621 621 1020 1020 511 627 517 791 "
    "1038 1038 1038 1038 1038 1038 1038 1038 1038 1038 548 548 1020 1020 1020 949 1831 "
    "1185 1114 1092 1260 1000 941 1292 1276 516 653 1064 861 1751 1322 1356 1058 1378 1112 941 "
    "998 1314 1162 1822 1063 998 959 628 791 628 1020 1020 596 "
    "981 1076 866 1076 1019 625 964 1076 470 490 931 470 1636 1076 1080 1076 1076 714 801 686 "
    "1076 925 1464 887 927 809 644 943 644 1020"
)
BOLD_WIDTHS = (
    "463 667 898 1020 1038 1493 1443 478 638 638 1020 1020 528 627 547 880 "
    "1038 1038 1038 1038 1038 1038 1038 1038 1038 1038 565 565 1020 1020 1020 949 1840 "
    "1241 1148 1084 1291 999 940 1305 1292 546 678 1120 866 1790 1349 1385 1090 1405 1153 968 "
    "1014 1337 1211 1856 1128 1064 979 665 880 665 1020 1020 615 "
    "1011 1099 857 1099 1031 648 971 1099 503 523 983 503 1666 1099 1101 1099 1099 728 817 710 "
    "1099 969 1526 941 970 814 704 973 704 1020"
)
# Pound, euro, en and em dashes, curly single quotes, ellipsis.
OTHER_WIDTHS = {
    "\u00a3": 1038,
    "\u20ac": 1038,
    "\u2013": 1020,
    "\u2014": 1854,
    "\u2018": 511,
    "\u2019": 511,
    "\u2026": 1414,
}
_REGULAR = tuple(int(w) for w in REGULAR_WIDTHS.split())
_BOLD = tuple(int(w) for w in BOLD_WIDTHS.split())
WIDEST = 1856  # bold "W": the width assumed for a character not in the tables

DIGIT_PIXELS = 7  # a column width unit: one digit of Calibri 11 at 96 dpi
PADDING_PIXELS = 5  # the cell padding the xlsx width definition adds to every column
DEFAULT_COLUMN_WIDTH = 8.43  # a column nobody sized
DEFAULT_FONT_SIZE = 11


def text_pixels(text: str, font_size: float = DEFAULT_FONT_SIZE, bold: bool = False) -> float:
    """The width of one line of `text` in pixels at 96 dpi."""
    table = _BOLD if bold else _REGULAR
    units = 0
    for char in text:
        index = ord(char) - FIRST_CHAR
        if 0 <= index < len(table):
            units += table[index]
        else:
            units += OTHER_WIDTHS.get(char, WIDEST)
    em_pixels = font_size * 96 / 72
    return units * em_pixels / EM_UNITS


def width_for_pixels(pixels: float) -> float:
    """The column width (as `set_column` takes it) that shows `pixels` of text, with half a
    digit to spare so rounding in a reader never cuts the last character."""
    return round(pixels / DIGIT_PIXELS + 0.5, 2)


def column_pixels(stored_width: float | None) -> float:
    """The pixels of text a column holds, from its width as stored in the file (openpyxl's
    column_dimensions width, which includes the padding xlsxwriter adds)."""
    width = (
        DEFAULT_COLUMN_WIDTH + PADDING_PIXELS / DIGIT_PIXELS
        if stored_width is None
        else stored_width
    )
    return width * DIGIT_PIXELS - PADDING_PIXELS


def line_height(font_size: float = DEFAULT_FONT_SIZE) -> float:
    """Points one line of text needs (15 for Calibri 11, Excel's default row height)."""
    return math.ceil(font_size * 1.34)


def wrapped_lines(
    text: str, pixels: float, font_size: float = DEFAULT_FONT_SIZE, bold: bool = False
) -> int:
    """Lines `text` takes when wrapped at word boundaries into `pixels`; a word longer than a
    line counts as many lines as it needs (a spreadsheet breaks it anywhere)."""
    lines = 0
    for paragraph in str(text).split("\n"):
        current = 0.0
        lines += 1
        for word in paragraph.split(" "):
            word_pixels = text_pixels(word, font_size, bold)
            space = text_pixels(" ", font_size, bold) if current else 0.0
            if current and current + space + word_pixels > pixels + 1e-9:
                lines += 1
                current = 0.0
                space = 0.0
            if word_pixels > pixels + 1e-9:
                extra = math.ceil(word_pixels / pixels) - 1
                lines += extra
                current = word_pixels - extra * pixels
            else:
                current += space + word_pixels
    return lines


def longest_word_pixels(
    text: str, font_size: float = DEFAULT_FONT_SIZE, bold: bool = False
) -> float:
    return max((text_pixels(w, font_size, bold) for w in str(text).split()), default=0.0)


# --- number formats -----------------------------------------------------------------------------
# The subset of spreadsheet number formats the reports use: up to three sections
# (positive;negative;zero), quoted literals, a numeric part with optional thousands separator
# and decimals, and day-month-year dates.

_QUOTED = re.compile(r'"([^"]*)"')
PRIVATE_USE = 0xE000
_NUMERIC = re.compile(r"[#0,]*0(?:\.0+)?|#,##0(?:\.0+)?")
_DATE_TOKENS = (
    ("yyyy", "%Y"),
    ("yy", "%y"),
    ("mmmm", "%B"),
    ("mmm", "%b"),
    ("dddd", "%A"),
    ("ddd", "%a"),
    ("hh", "%H"),
    ("mm", "%M"),
    ("dd", "%d"),
    ("d", "{day}"),
)


def _sections(num_format: str) -> list[str]:
    sections, current, quoted = [], "", False
    for char in num_format:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            sections.append(current)
            current = ""
        else:
            current += char
    return [*sections, current]


def _format_number(value: float, section: str) -> str:
    # Quoted literals stand aside as private-use characters while the numeric part is found.
    literals: list[str] = []

    def stash(match: re.Match[str]) -> str:
        literals.append(match.group(1))
        return chr(PRIVATE_USE + len(literals) - 1)

    template = _QUOTED.sub(stash, section)
    match = _NUMERIC.search(template)
    if not match:
        text = template
    else:
        pattern = match.group(0)
        decimals = len(pattern.split(".")[1]) if "." in pattern else 0
        thousands = "," if "," in pattern else ""
        # Spreadsheets round halves away from zero, on the value to 15 significant digits.
        exact = Decimal(format(value, ".15g")).quantize(
            Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP
        )
        number = f"{exact:{thousands}.{decimals}f}"
        text = template[: match.start()] + number + template[match.end() :]
    text = text.replace("\\", "")
    for index, literal in enumerate(literals):
        text = text.replace(chr(PRIVATE_USE + index), literal)
    return text


def _format_date(value: dt.date, num_format: str) -> str:
    pattern = num_format.lower()
    out, i = "", 0
    minutes_context = "h" in pattern
    while i < len(pattern):
        for token, code in _DATE_TOKENS:
            if pattern.startswith(token, i):
                if token == "mm" and not minutes_context:
                    code = "%m"
                if code == "{day}":
                    out += str(value.day)
                elif isinstance(value, dt.datetime) or code not in {"%H", "%M"}:
                    out += value.strftime(code)
                else:
                    out += "00"
                i += len(token)
                break
        else:
            out += pattern[i] if pattern[i] != "\\" else ""
            i += 1
    return out


def is_date_format(num_format: str) -> bool:
    stripped = _QUOTED.sub("", num_format or "").lower()
    return any(c in stripped for c in "dy") or "mmm" in stripped


def formatted_text(value: object, num_format: str | None) -> str:
    """The text a spreadsheet shows for `value` in `num_format` (for the formats the reports
    use; anything else shows like General)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.date):
        return _format_date(value, num_format or "d mmm yyyy")
    if isinstance(value, int | float):
        if not num_format or num_format == "General":
            if float(value).is_integer():
                return str(int(value))
            return f"{value:.10g}"
        sections = _sections(num_format)
        if value < 0 and len(sections) > 1:
            return _format_number(abs(value), sections[1])
        if value == 0 and len(sections) > 2:
            return _format_number(0.0, sections[2])
        text = _format_number(abs(value) if value < 0 else value, sections[0])
        return f"-{text}" if value < 0 else text
    return str(value)
