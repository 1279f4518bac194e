"""Load one month of one raw table from the inbox, exactly as its contract says.

For every file of the table in `inbox/<YYYY-MM>/`:

1. work out its dialect from the file name and header row, or reject the whole file with a
   message a Lead Pharmacist can act on (wrong layout, missing column, not UTF-8, not CSV at
   all, ragged rows, named for another month). The pass over the bytes that takes the
   checksum also checks the encoding, the line endings and whether there are empty lines;
   it runs in a thread beside step 2, which reads the same file;
2. stage the rows in scope through DuckDB in one streaming scan of the fields the contract
   uses, keeping each row's number as a spreadsheet shows it (the header is row 1; empty
   lines and blank xlsx rows still count towards the numbering, but are not rows: neither
   is a CSV line of nothing but commas). Every file is staged before anything is written;
3. validate each value with SQL generated from the contract, quarantine failing rows with
   every failing column named, and pseudonymise NHS numbers before anything is written;
4. replace the month's rows of the raw table, the ingestion log and quarantine in a single
   transaction, so a failure leaves the previous state intact and re-runs never duplicate.

Every input row ends up loaded, quarantined, or (national files only) counted as out of
scope: `rows_in = rows_loaded + rows_quarantined + rows_out_of_scope` for every file.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import datetime as dt
import hashlib
import re
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ingestion import nhs_number
from ingestion.duckdb_io import PIPELINE_SCHEMA, transaction
from ingestion.xlsx import sheet_to_csv
from pcnmo.calendar import month_end, parse_month
from pcnmo.contracts import (
    PATTERN_HELP,
    PATTERNS,
    RAW_METADATA_COLUMNS,
    Column,
    Dialect,
    Kind,
    TableContract,
    human_date_format,
)

# Digit runs shaped like an NHS number (3-3-4, spaces or hyphens optional) are removed from
# free text: staff sometimes type one into a narrative, and it must never be stored.
_NHS_LIKE_IN_TEXT = r"[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}"
REDACTED = "[number removed]"
_STAGE = "_pcnmo_stage"
_CHECKED = "_pcnmo_checked"
_PSEUDONYMS = "_pcnmo_pseudonyms"
_SCOPE = "_pcnmo_scope"
_BLANKS = "_pcnmo_blank_lines"
_TEMP_TABLES = (_CHECKED, _SCOPE, _BLANKS)


class FileRejected(Exception):
    """A file that cannot be read at all. Nothing from it (or its table-month) is loaded."""

    def __init__(self, file_name: str, message: str) -> None:
        super().__init__(f"{file_name}: {message}")
        self.file_name = file_name
        self.message = message


@dataclass(frozen=True)
class FileResult:
    file_name: str
    dialect: str | None
    checksum_sha256: str | None
    status: str  # loaded | rejected
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_out_of_scope: int = 0
    message: str = ""


@dataclass
class LoadResult:
    table: TableContract
    month: dt.date
    files: list[FileResult] = field(default_factory=list)
    missing_message: str = ""

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def rows_in(self) -> int:
        return sum(f.rows_in for f in self.files)

    @property
    def rows_out_of_scope(self) -> int:
        return sum(f.rows_out_of_scope for f in self.files)


class MonthRejected(Exception):
    """One or more files of a table-month were rejected; the month was left as it was."""

    def __init__(self, table: TableContract, month: dt.date, rejections: list[FileRejected]):
        lines = "\n".join(f"- {r}" for r in rejections)
        super().__init__(
            f"{table.qualified_name} for {month:%Y-%m} was not loaded, because "
            f"{len(rejections)} file(s) could not be read:\n{lines}\n"
            "Fix or replace the file(s) in the inbox and run the month again; rows already "
            "loaded for this month are unchanged."
        )
        self.rejections = rejections


def _normalise_header(value: str) -> str:
    return " ".join(value.split()).casefold()


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Finding and opening files
# ---------------------------------------------------------------------------------------------


def discover(table: TableContract, month_dir: Path) -> list[Path]:
    """Files in the month folder that any dialect of the table claims, in name order."""
    if not month_dir.is_dir():
        return []
    return sorted(
        path
        for path in month_dir.iterdir()
        if path.is_file()
        and path.suffix.lower().lstrip(".") in table.formats
        and any(d.match(path.name) for d in table.dialects)
    )


_SAVE_AS_CSV = "Save it again as 'CSV UTF-8 (Comma delimited)' and put it back in the inbox."

# What a file that is not text at all usually turns out to be.
_BINARY_SIGNATURES = (
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook is one)"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 (.xls) workbook"),
    (b"%PDF", "a PDF document"),
)


@dataclass(frozen=True)
class _Inspection:
    """What one pass over the bytes (the same pass that takes the checksum) tells us."""

    checksum: str
    has_nul: bool
    not_utf8_line: int | None  # physical line of the first byte that is not UTF-8
    may_have_blank_lines: bool
    # Physical lines, when they are certainly one record each (no quote character anywhere,
    # no empty line, no stray carriage return): then DuckDB needs no extra pass to count them.
    lines: int | None


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(1 << 20)  # enough for any header row


def _inspect(path: Path, terminator: str) -> _Inspection:
    """Checksum, encoding, empty lines and line count, in one pass over the bytes.

    Runs in a thread beside DuckDB's scan of the same file (hashlib, numpy and DuckDB all
    release the GIL), so it costs next to no wall time. Byte searches go through numpy: CPython's
    `b"\n\n" in chunk` degrades badly on a pattern that starts with the commonest byte.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    has_nul = has_quote = blank = False
    not_utf8_at: int | None = None  # byte offset of the first byte that is not UTF-8
    offset = line_feeds = carriage_returns = 0
    tail = b""
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            has_nul = has_nul or b"\x00" in chunk
            has_quote = has_quote or b'"' in chunk
            # ASCII needs no decoding (the common case, and much faster to check).
            if not_utf8_at is None and not (chunk.isascii() and not decoder.getstate()[0]):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    pending = len(error.object) - len(chunk)
                    not_utf8_at = offset + max(error.start - pending, 0)
            data = np.frombuffer(chunk, dtype=np.uint8)
            feeds = np.flatnonzero(data == 0x0A)
            line_feeds += len(feeds)
            carriage_returns += int(np.count_nonzero(data == 0x0D))
            if not blank:
                # An empty line is "\n\n" or "\n\r\n": line feeds one byte apart, or two
                # apart with a carriage return between them (or either across chunks).
                gaps = np.diff(feeds)
                edge = tail + chunk[:2]
                blank = (
                    bool(np.any(gaps == 1))
                    or bool(np.any(data[feeds[:-1][gaps == 2] + 1] == 0x0D))
                    or any(b in edge for b in (b"\n\n", b"\n\r\n"))
                )
            tail = chunk[-2:]
            offset += len(chunk)
    if not_utf8_at is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            not_utf8_at = offset - 1
    not_utf8_line = None
    if not_utf8_at is not None:
        with path.open("rb") as handle:
            not_utf8_line = handle.read(not_utf8_at).count(b"\n") + 1
    lines = None
    stray_returns = carriage_returns != (line_feeds if terminator == "\r\n" else 0)
    if terminator != "\r" and not (has_quote or blank or stray_returns):
        lines = line_feeds + (1 if offset and not tail.endswith(b"\n") else 0)
    return _Inspection(digest.hexdigest(), has_nul, not_utf8_line, blank, lines)


def _line_terminator(head: bytes) -> str:
    """How the header record ends. DuckDB guesses from the first line break it meets, even one
    inside a quoted header cell, and then silently reads no rows at all from a file saved by
    Excel (LF inside cells, CRLF between rows): so work it out here, outside the quotes."""
    quoted = False
    for index, byte in enumerate(head):
        if byte == 0x22:  # "
            quoted = not quoted
        elif not quoted and byte in (0x0A, 0x0D):
            if byte == 0x0A:
                return "\n"
            return "\r\n" if head[index + 1 : index + 2] in (b"\n", b"") else "\r"
    return "\n"


@dataclass(frozen=True)
class _OpenedFile:
    file_name: str
    read_path: Path  # the UTF-8 CSV DuckDB reads (a converted copy for xlsx and latin-1)
    encoding: str  # the encoding the file was delivered in
    header: list[str] | None
    field_count: int
    row_column: bool  # xlsx copies carry the sheet row number as their first field
    candidates: tuple[tuple[Dialect, re.Match[str]], ...]
    checksum: str
    line_terminator: str


def _read_header(path: Path, file_name: str) -> list[str]:
    # utf-8-sig: Excel's "CSV UTF-8" starts the file with a byte-order mark.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        try:
            return next(csv.reader(handle))
        except StopIteration:
            return []
        except csv.Error as error:
            raise FileRejected(file_name, f"cannot be read as CSV ({error}).") from error


def _blank_lines(path: Path, file_name: str) -> tuple[int, ...]:
    """Record numbers of empty lines (the header is record 1), in the rare files that have them."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        try:
            return tuple(n for n, row in enumerate(csv.reader(handle), start=1) if not row)
        except csv.Error as error:
            raise FileRejected(file_name, f"cannot be read as CSV ({error}).") from error


def _transcode(source: Path, target: Path, encoding: str) -> None:
    with (
        source.open(encoding=encoding, newline="") as reader,
        target.open("w", encoding="utf-8", newline="") as writer,
    ):
        for text in iter(lambda: reader.read(1 << 20), ""):
            writer.write(text)


def _open_xlsx(table: TableContract, path: Path, workdir: Path, candidates) -> _OpenedFile:
    read_path = workdir / (path.name + ".csv")
    try:
        sheet_to_csv(path, read_path, table.sheet)
    except Exception as error:  # openpyxl raises many types for a damaged workbook
        raise FileRejected(
            path.name, f"cannot be opened as an Excel workbook ({error})."
        ) from error
    header = _read_header(read_path, path.name)
    if len(header) < 2:  # the row-number field and at least one column
        raise FileRejected(path.name, "is empty: the sheet has no header row.")
    return _OpenedFile(
        path.name,
        read_path,
        "xlsx",
        header[1:],
        len(header),
        True,
        candidates,
        _checksum(path),
        "\r\n",  # what csv.writer writes
    )


def _open_csv(
    table: TableContract, path: Path, read_path: Path, encoding: str, terminator: str, candidates
) -> _OpenedFile:
    header = _read_header(read_path, path.name)
    if not header or not any(cell.strip() for cell in header):
        raise FileRejected(path.name, "is empty: there is no header row.")
    return _OpenedFile(
        path.name,
        read_path,
        encoding,
        None if table.headerless else header,
        len(header),
        False,
        candidates,
        "",  # filled in from the inspection
        terminator,
    )


def _readable_copy(
    table: TableContract, path: Path, workdir: Path, inspection: _Inspection
) -> tuple[Path, str]:
    """The UTF-8 file DuckDB should read and the delivered encoding, or why there is none."""
    if inspection.has_nul:
        raise FileRejected(
            path.name,
            "is not a CSV text file: it contains NUL bytes (binary data, or text saved as "
            f"UTF-16 'Unicode Text'). {_SAVE_AS_CSV}",
        )
    if inspection.not_utf8_line is None:
        return path, "utf-8"
    fallbacks = [e for e in table.encodings if codecs.lookup(e).name != "utf-8"]
    if not fallbacks:
        raise FileRejected(
            path.name,
            f"is not UTF-8 text (line {inspection.not_utf8_line} has a byte that is not "
            f"UTF-8, e.g. a '£' or 'é' saved in another encoding). {_SAVE_AS_CSV}",
        )
    # Published files in an older encoding: DuckDB reads UTF-8 only (its latin-1 reader
    # refuses bytes 0x80-0x9F), so read a converted copy.
    encoding = fallbacks[0]
    read_path = workdir / (path.name + ".utf-8.csv")
    try:
        _transcode(path, read_path, encoding)
    except UnicodeDecodeError as error:
        raise FileRejected(
            path.name, f"is neither UTF-8 nor {encoding} text. {_SAVE_AS_CSV}"
        ) from error
    return read_path, encoding


@dataclass(frozen=True)
class _Staged:
    """A file read into its own temp table: `_row` and the contract's fields, rows in scope."""

    opened: _OpenedFile
    layout: _Layout
    stage: str
    rows_in: int
    rows_out_of_scope: int


def _prepare(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    path: Path,
    workdir: Path,
    month: dt.date,
    scope: list[str] | None,
    stage: str,
) -> _Staged:
    """Open, check and stage one file; any FileRejected names what is wrong with it."""
    candidates = tuple((d, m) for d in table.dialects if (m := d.match(path.name)))
    if path.suffix.lower() == ".xlsx":
        opened = _open_xlsx(table, path, workdir, candidates)
        return _finish_stage(conn, table, *_stage_file(conn, table, opened, month, scope, stage))

    head = _head(path)
    for signature, what in _BINARY_SIGNATURES:
        if head.startswith(signature):
            raise FileRejected(
                path.name, f"is not a CSV file: it is {what} with a .csv name. {_SAVE_AS_CSV}"
            )
    terminator = _line_terminator(head)
    # DuckDB's scan and the pass over the bytes (checksum, encoding, empty lines) each take
    # about as long as the other: run them side by side, optimistically reading the file as
    # the UTF-8 nearly every file is. What the bytes say still comes first: a file with NUL
    # bytes is rejected for them, and a latin-1 file is read again from a converted copy.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pcnmo-inspect") as pool:
        inspecting = pool.submit(_inspect, path, terminator)
        staged = failure = None
        try:
            opened = _open_csv(table, path, path, "utf-8", terminator, candidates)
            staged = _stage_file(conn, table, opened, month, scope, stage)
        except (FileRejected, UnicodeDecodeError) as error:
            failure = error
        inspection = inspecting.result()
    read_path, encoding = _readable_copy(table, path, workdir, inspection)
    if encoding != "utf-8":
        opened = _open_csv(table, path, read_path, encoding, terminator, candidates)
        staged = _stage_file(conn, table, opened, month, scope, stage)
    elif failure is not None:
        raise failure
    assert staged is not None
    opened, layout, stage_sql = staged
    opened = dataclasses.replace(opened, checksum=inspection.checksum)
    blank_lines = _blank_lines(read_path, path.name) if inspection.may_have_blank_lines else ()
    return _finish_stage(conn, table, opened, layout, stage_sql, inspection.lines, blank_lines)


@dataclass(frozen=True)
class _Layout:
    dialect: Dialect
    positions: dict[str, int]  # column name -> 0-based field index in the file
    file_values: dict[str, str]  # column name -> value taken from the file name


def _resolve_layout(table: TableContract, opened: _OpenedFile) -> _Layout:
    """Pick the dialect whose required headers are all present, or explain what is missing."""
    if opened.header is None:
        dialect, match = opened.candidates[0]
        positions = {
            c.name: c.position - 1
            for c in table.columns
            if c.position is not None and c.position <= opened.field_count
        }
        missing = [
            c for c in table.columns if c.required and c.position and c.name not in positions
        ]
        if missing:
            raise FileRejected(
                opened.file_name,
                f"has {opened.field_count} columns; the {dialect.label} layout needs at least "
                f"{max(c.position or 0 for c in missing)}.",
            )
        return _Layout(dialect, positions, _file_values(table, match))

    found = {_normalise_header(h): i for i, h in enumerate(opened.header)}
    best: tuple[int, Dialect, list[str]] | None = None
    for dialect, match in opened.candidates:
        positions: dict[str, int] = {}
        missing: list[str] = []
        for column in table.columns:
            header = column.header(dialect.name)
            if column.from_file_name or header is None:
                continue
            index = found.get(_normalise_header(header))
            if index is not None:
                positions[column.name] = index
            elif column.required:
                missing.append(header)
        if not missing:
            return _Layout(dialect, positions, _file_values(table, match))
        if best is None or len(missing) < best[0]:
            best = (len(missing), dialect, missing)
    assert best is not None
    _, dialect, missing = best
    shown = ", ".join(repr(h) for h in opened.header[:30])
    return_missing = ", ".join(repr(m) for m in missing)
    raise FileRejected(
        opened.file_name,
        f"is missing required column(s) {return_missing} of the {dialect.label} layout "
        f"(row 1 has: {shown}). Check the search or report used to produce it against "
        "docs/extracts.md.",
    )


def _file_values(table: TableContract, match: re.Match[str]) -> dict[str, str]:
    values = {}
    for column in table.columns:
        if column.from_file_name:
            values[column.name] = match.group(column.from_file_name).upper()
    return values


# ---------------------------------------------------------------------------------------------
# SQL generated from the contract
# ---------------------------------------------------------------------------------------------


def _redacted(value: str) -> str:
    """SQL: the text with every NHS-number-shaped digit run replaced."""
    return f"regexp_replace({value}, {_sql_text(_NHS_LIKE_IN_TEXT)}, {_sql_text(REDACTED)}, 'g')"


def _field(index: int) -> str:
    return f"f{index:03d}"


@dataclass(frozen=True)
class _ColumnSql:
    """SQL for one contract column.

    `value` and `typed` are expressions over the staged fields. The checks refer instead to
    `v_<name>` and `t_<name>`, which `_check` computes once per row in an inner query: a date
    is parsed once, not once for each of its checks.
    """

    column: Column
    label: str  # what the person who made the file calls the column
    value: str  # trimmed text, NULL when empty
    typed: str  # the value as it lands in the raw table
    checks: tuple[tuple[str, str], ...]  # (failing condition, message expression)

    @property
    def value_ref(self) -> str:
        return f"v_{self.column.name}"

    @property
    def typed_ref(self) -> str:
        return f"t_{self.column.name}"

    @property
    def typed_from_ref(self) -> str:
        """The typed expression computed from `v_<name>` rather than from the staged field."""
        return self.typed.replace(f"({self.value})", self.value_ref)


def _column_sql(
    column: Column,
    layout: _Layout,
    month: dt.date,
    check_future: bool,
    table: TableContract | None = None,
) -> _ColumnSql:
    dialect = layout.dialect
    if column.from_file_name:
        source = _sql_text(layout.file_values[column.name])
        label = f"{column.name} (from the file name)"
    elif column.name in layout.positions:
        source = f"nullif(trim({_field(layout.positions[column.name])}), '')"
        label = column.header(dialect.name) or f"column {column.position}"
    else:
        return _ColumnSql(column, column.name, "null", f"cast(null as {column.duckdb_type})", ())
    value = f"v_{column.name}"
    typed_ref = f"t_{column.name}"

    # An NHS number in the wrong column (swapped columns are a classic) must not reach the
    # quarantine through the message that says the value is wrong.
    shown_value = value if column.kind is Kind.SNOMED else _redacted(value)
    quoted = f"'''' || left({shown_value}, 60) || ''''"

    def says(text: str) -> str:
        """SQL for the message "<label> '<value>'<text>" (the value cut to 60 characters)."""
        return f"{_sql_text(label + ' ')} || {quoted} || {_sql_text(text)}"

    checks: list[tuple[str, str]] = []
    if column.required:
        checks.append((f"{value} is null", _sql_text(f"{label} is empty")))
    typed = value
    kind = column.kind
    if kind in (Kind.DATE, Kind.MONTH):
        formats = column.date_formats or dialect.date_formats
        parsed = (
            "coalesce(" + ", ".join(f"try_strptime({value}, {_sql_text(f)})" for f in formats) + ")"
        )
        typed = f"cast({parsed} as date)"
        if kind is Kind.MONTH:
            typed = f"cast(date_trunc('month', {parsed}) as date)"
        shown = " or ".join(human_date_format(f) for f in formats[:2])
        checks.append(
            (
                f"{value} is not null and {typed_ref} is null",
                says(f" is not a date ({shown})"),
            )
        )
        checks.append(
            (
                f"{typed} < date '1880-01-01'",
                says(" is before 1880"),
            )
        )
        if kind is Kind.MONTH:
            checks.append(
                (
                    f"{typed} <> date '{month.isoformat()}'",
                    says(f" is not the inbox month {month:%Y-%m}"),
                )
            )
        elif check_future and not column.future_ok:
            end = month_end(month)
            checks.append(
                (
                    f"{typed} > date '{end.isoformat()}'",
                    says(f" is after the end of the reporting month ({end})"),
                )
            )
        if kind is Kind.DATE and column.in_month_unless:
            # Earlier dates only on a row whose other date falls in the month (a repeat
            # template ended this month, shown on its latest issue from an earlier month).
            start, end = month.isoformat(), month_end(month).isoformat()
            other = column.in_month_unless
            other_label = other
            if table is not None:
                other_label = table.column(other).header(dialect.name) or other
            early = f"{typed} < date '{start}'"
            if other in layout.positions:
                early += (
                    f" and not coalesce(t_{other} between date '{start}' and date '{end}', false)"
                )
            checks.append(
                (
                    early,
                    says(
                        f" is before the reporting month {month:%Y-%m} and {other_label} "
                        "is not in that month"
                    ),
                )
            )
    elif kind in (Kind.INTEGER, Kind.DECIMAL, Kind.MONEY):
        target = {Kind.INTEGER: "bigint", Kind.DECIMAL: "double", Kind.MONEY: "decimal(18, 5)"}[
            kind
        ]
        typed = f"try_cast(replace({value}, ',', '') as {target})"
        noun = "a whole number" if kind is Kind.INTEGER else "a number"
        checks.append(
            (
                f"{value} is not null and {typed} is null",
                says(f" is not {noun}"),
            )
        )
        if column.minimum is not None:
            checks.append(
                (
                    f"{typed} < {column.minimum}",
                    says(f" is below {column.minimum:g}"),
                )
            )
        if column.maximum is not None:
            checks.append(
                (
                    f"{typed} > {column.maximum}",
                    says(f" is above {column.maximum:g}"),
                )
            )
    elif kind in (Kind.CODE, Kind.FLAG):
        accepted = ", ".join(_sql_text(a.upper()) for a in column.accepted)
        allowed = ", ".join(column.accepted)
        checks.append(
            (
                f"{value} is not null and upper({value}) not in ({accepted})",
                says(f" is not one of: {allowed}"),
            )
        )
    elif kind in PATTERNS:
        typed = f"upper({value})"
        checks.append(
            (
                f"{value} is not null "
                f"and not regexp_full_match(upper({value}), {_sql_text(PATTERNS[kind])})",
                says(f" is not {PATTERN_HELP[kind]}"),
            )
        )
    elif kind is Kind.NHS_NUMBER:
        typed = f"regexp_replace({value}, '[[:space:]-]', '', 'g')"
        checks.append(
            (
                f"{value} is not null and not pcnmo_nhs_number_is_valid({typed})",
                _sql_text(
                    f"{label} is not a valid NHS number (10 digits passing the modulus-11 check)"
                ),
            )
        )
    elif kind is Kind.FREE_TEXT:
        typed = _redacted(value)
    if typed != value:
        checks = [(cond.replace(typed, typed_ref), msg) for cond, msg in checks]
    # The staged-field forms, for the insert and the quarantine record.
    return _ColumnSql(
        column,
        label,
        source,
        typed.replace(value, f"({source})"),
        tuple(checks),
    )


# Modulus 11 (NHS Data Dictionary): weights 10..2 on the first nine digits, 11 minus the
# remainder is the check digit; 11 means 0 and 10 means no valid number. `(11 - r) % 11` maps
# 11 to 0 and leaves 10, which no digit equals. A plain expression (no subquery), so the CASE
# really does guard the digit arithmetic: text such as 'NOT KNOWN' is invalid, not an error.
_WEIGHTED_DIGITS = " + ".join(f"{10 - i} * (ascii(substr(d, {i + 1}, 1)) - 48)" for i in range(9))
NHS_NUMBER_MACRO = f"""
create or replace temp macro pcnmo_nhs_number_is_valid(d) as (
    case
        when regexp_full_match(coalesce(d, ''), '[0-9]{{10}}')
            then (11 - ({_WEIGHTED_DIGITS}) % 11) % 11 = ascii(substr(d, 10, 1)) - 48
        else false
    end
)
"""


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def scope_practices(conn: duckdb.DuckDBPyConnection, sub_icbs: Iterable[str]) -> list[str] | None:
    """Practices to keep from national files: members of PCNs in the configured sub-ICBs.

    None means keep everything (no ePCN membership loaded yet).
    """
    wanted = sorted(sub_icbs)
    members = conn.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'raw_ods' and table_name = 'epcn_members'"
    ).fetchall()[0][0]
    if members:
        members = conn.execute("select count(*) from raw_ods.epcn_members").fetchall()[0][0]
    if not members:
        return None
    where = ""
    if wanted:
        codes = ", ".join(_sql_text(c) for c in wanted)
        where = f"where practice_sub_icb_location_code in ({codes})"
    rows = conn.execute(
        f"select distinct practice_code from raw_ods.epcn_members {where} order by 1"
    ).fetchall()
    return [r[0] for r in rows]


def _read_csv_sql(opened: _OpenedFile) -> str:
    fields = ", ".join(f"'{_field(i)}': 'VARCHAR'" for i in range(opened.field_count))
    return (
        f"read_csv({_sql_text(str(opened.read_path))}, columns = {{{fields}}}, "
        f"header = {'false' if opened.header is None else 'true'}, auto_detect = false, "
        "delim = ',', quote = '\"', escape = '\"', encoding = 'utf-8', "
        f"new_line = {_sql_text(opened.line_terminator.encode('unicode_escape').decode())})"
    )


def _stage_file(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    opened: _OpenedFile,
    month: dt.date,
    scope: list[str] | None,
    stage: str,
) -> tuple[_OpenedFile, _Layout, str]:
    _check_file_month(opened, month)
    layout = _resolve_layout(table, opened)
    try:
        _stage(conn, table, opened, layout, scope, stage)
    except (duckdb.InvalidInputException, duckdb.IOException) as error:
        raise FileRejected(opened.file_name, _duckdb_csv_error(error)) from error
    return opened, layout, stage


def _stage(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    opened: _OpenedFile,
    layout: _Layout,
    scope: list[str] | None,
    stage: str,
) -> None:
    """One streaming scan: the rows in scope, each with its record number (`_k`).

    Only the fields the contract uses are read (DuckDB then skips the rest of each line), and
    only rows in scope are kept: `WITH ORDINALITY` makes the scan single-threaded, but it is
    the one way to number the records (DuckDB's CSV reader has no file_row_number, and neither
    its parallel scans nor tables filled from them keep the file's order). Rows whose guard
    field is empty are kept too, whatever their scope, so that `_finish_stage` can tell a row
    of nothing but commas (not a row at all) from a row that is merely out of scope.
    """
    offset = 0 if opened.header is None else 1
    # xlsx copies put the row number first, so every contract field shifts by one.
    shift = 1 if opened.row_column else 0
    used = sorted({i + shift for i in layout.positions.values()})
    in_scope = "true"
    guard = None
    if scope is not None and table.scope_column and table.scope_column in layout.positions:
        conn.execute(f"create or replace temp table {_SCOPE} (code varchar primary key)")
        if scope:
            conn.execute(f"insert into {_SCOPE} select unnest(?::varchar[])", [scope])
        guard = layout.positions[table.scope_column] + shift
        # A row with no practice at all is for no practice in scope (not a NULL that would
        # slip through both counts).
        in_scope = f"coalesce(upper(trim({_field(guard)})) in (select code from {_SCOPE}), false)"
    else:
        # Any field will do; one a row must have is empty least often.
        required = [
            layout.positions[c.name] + shift
            for c in table.columns
            if c.required and c.name in layout.positions
        ]
        guard = required[0] if required else used[0] if used else None
    maybe_empty = "true" if guard is None else f"{_field(guard)} is null"
    row = f"cast({_field(0)} as bigint)" if opened.row_column else f"ordinality + {offset}"
    kept = "".join(f", {_field(i)} as {_field(i - shift)}" for i in used)
    conn.execute(
        f"create or replace temp table {stage} as select ordinality as _k, {row} as _row, "
        f"{in_scope} as _in_scope, {maybe_empty} as _maybe_empty{kept} "
        f"from {_read_csv_sql(opened)} with ordinality where {in_scope} or {maybe_empty}"
    )


def _finish_stage(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    opened: _OpenedFile,
    layout: _Layout,
    stage: str,
    lines: int | None = None,
    blank_lines: tuple[int, ...] = (),
) -> _Staged:
    """Row numbers after empty lines, rows that are not rows, and the count of records read."""
    read = _read_csv_sql(opened)
    offset = 0 if opened.header is None else 1
    shift = 1 if opened.row_column else 0
    if blank_lines:
        # DuckDB skips empty lines, so ordinality undercounts after each one. For every empty
        # line: how many records precede it, and how many empty lines there are up to it.
        shifts: dict[int, int] = {}  # records before an empty line -> empty lines so far
        for earlier, line in enumerate(blank_lines):
            shifts[line - offset - 1 - earlier] = earlier + 1
        conn.execute(f"create or replace temp table {_BLANKS} (before bigint, blanks bigint)")
        conn.executemany(f"insert into {_BLANKS} values (?, ?)", list(shifts.items()))
        conn.execute(
            f"update {stage} as s set _row = s._row + coalesce((select max(b.blanks) "
            f"from {_BLANKS} as b where b.before < s._k), 0)"
        )
    # A row with every field empty is not a row: spreadsheets save formatted blank rows as
    # ",,,," (and the xlsx reader skips blank rows too). Such a row has an empty guard field,
    # so it was kept; only when some row was, read every field of the file to find out which.
    not_rows = 0
    if conn.execute(f"select count(*) from {stage} where _maybe_empty").fetchall()[0][0]:
        every_field = ", ".join(_field(i) for i in range(shift, opened.field_count))
        not_rows = conn.execute(
            f"delete from {stage} where _k in (select ordinality from {read} with ordinality "
            f"where coalesce({every_field}) is null)"
        ).fetchall()[0][0]
    # Records as DuckDB reads them. The pass over the bytes counts lines for nothing, and they
    # are records exactly when no quote can hide a line break and no line is empty.
    if lines is not None:
        records = lines - offset
    else:
        try:
            records = conn.execute(f"select count(*) from {read}").fetchall()[0][0]
        except (duckdb.InvalidInputException, duckdb.IOException) as error:
            raise FileRejected(opened.file_name, _duckdb_csv_error(error)) from error
    conn.execute(f"delete from {stage} where not _in_scope")
    in_scope = conn.execute(f"select count(*) from {stage}").fetchall()[0][0]
    rows_in = records - not_rows
    out_of_scope = rows_in - in_scope
    if out_of_scope < 0 or (out_of_scope and not table.scope_column):
        # Two independent counts of the same file disagree: never load on a miscount.
        raise RuntimeError(
            f"{opened.file_name}: counted {rows_in} rows but staged {in_scope} in scope; "
            f"nothing was written for {table.qualified_name}."
        )
    return _Staged(opened, layout, stage, rows_in, out_of_scope)


def _duckdb_csv_error(error: duckdb.Error) -> str:
    """A message for the person who made the file. Never quotes the line: it may hold an NHS
    number, and the message goes to the ingestion log."""
    text = str(error)
    line = re.search(r"Line: (\d+)", text)
    where = f" on line {line.group(1)}" if line else ""
    lowered = text.lower()
    if "unicode" in lowered or "utf" in lowered:
        return f"is not UTF-8 text (an undecodable byte{where}). {_SAVE_AS_CSV}"
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    if counts:
        expected, found = int(counts.group(1)), int(counts.group(2))
        more_or_fewer = "more" if found > expected else "fewer"
        return (
            f"has a row with {more_or_fewer} fields than the header ({expected}){where}. Every "
            "row must have as many fields as the header; a comma inside a value must be in "
            "double quotes."
        )
    if "state machine reached an invalid state" in lowered:
        return (
            f"cannot be read as CSV{where}: its rows do not all end the same way (Windows and "
            f"Unix line endings mixed), or it is not comma-separated. {_SAVE_AS_CSV}"
        )
    if "unterminated quote" in lowered:
        return (
            f"has a value with an opening double quote and no closing one{where}. "
            "Close the quote, or remove it."
        )
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    first = re.sub(r"Original Line:.*", "", first)
    return f"cannot be read as CSV{where} ({first})."


def _check(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    columns: list[_ColumnSql],
    stage: str,
) -> None:
    """Build the checked table: typed values, failure reasons and the failing column names."""
    failures: list[tuple[str, str, str]] = []  # (condition, message, label)
    for col in columns:
        failures += [(cond, msg, col.label) for cond, msg in col.checks]
    present = [c for c in columns if c.value != "null"]
    if table.key is not None:
        key_cols = [c for c in present if not table.key or c.column.name in table.key]
        partition = ", ".join(
            c.typed_ref if c.column.kind is Kind.NHS_NUMBER else f"upper({c.value_ref})"
            for c in key_cols
        )
        # Columns from the file name are the same on every row of a file: naming them adds
        # nothing to "duplicate of row N (same NHS Number)".
        named = [c.label for c in key_cols if not c.column.from_file_name]
        if table.key and named:
            what, failed_columns = "same " + ", ".join(named), ", ".join(named)
        else:
            what, failed_columns = "identical row", "(whole row)"
        first_row = f"first_value(_row) over (partition by {partition} order by _row)"
        failures.append(
            (
                "_first_row <> _row",
                f"{_sql_text('duplicate of row ')} || _first_row || {_sql_text(f' ({what})')}",
                failed_columns,
            )
        )
    else:
        first_row = "_row"
    reason = (
        "nullif(concat_ws('; ', "
        + ", ".join(f"case when {cond} then {msg} end" for cond, msg, _ in failures)
        + "), '')"
        if failures
        else "cast(null as varchar)"
    )
    failed = (
        "concat_ws(', ', "
        + ", ".join(f"case when {cond} then {_sql_text(label)} end" for cond, _, label in failures)
        + ")"
        if failures
        else "''"
    )
    # Each value is trimmed, then typed, then checked, each step once per row: the reason
    # and the failed-column list refer to the results instead of re-evaluating them.
    values = ", ".join(f"{c.value} as {c.value_ref}" for c in present) or "1 as _nothing"
    typed_refs = ", ".join(f"{c.typed_from_ref} as {c.typed_ref}" for c in present)
    landed = ", ".join(
        f"{c.typed_ref if c in present else c.typed} as {c.column.name}" for c in columns
    )
    conn.execute(
        f"create or replace temp table {_CHECKED} as "
        f"select _row, {landed}, {reason} as _reason, {failed} as _failed from ("
        f"select *, {first_row} as _first_row from ("
        f"select *{', ' + typed_refs if typed_refs else ''} from ("
        f"select _row, {values} from {stage})))"
    )


def _record_json(columns: list[_ColumnSql]) -> str:
    """The delivered row as JSON for the quarantine, with any NHS number masked."""
    parts = []
    for col in columns:
        if col.value == "null":
            continue
        value = col.value
        if col.column.kind is Kind.NHS_NUMBER:
            digits = f"regexp_replace({value}, '[^0-9]', '', 'g')"
            value = f"repeat('*', greatest(length({digits}) - 3, 0)) || right({digits}, 3)"
        elif col.column.kind is Kind.FREE_TEXT:
            value = col.typed
        elif col.column.kind is not Kind.SNOMED:  # concept ids are often ten digits
            value = _redacted(value)
        parts.append(f"{_sql_text(col.label)}, {value}")
    return "json_object(" + ", ".join(parts) + ")" if parts else "'{}'"


def _pseudonymise(conn: duckdb.DuckDBPyConnection, column: str, key: bytes) -> None:
    values = [
        r[0]
        for r in conn.execute(
            f"select distinct {column} from {_CHECKED} "
            f"where _reason is null and {column} is not null"
        ).fetchall()
    ]
    frame = pd.DataFrame(
        {"nhs_number": values, "patient_id": [nhs_number.pseudonymise(v, key) for v in values]},
        dtype="string",
    )
    conn.register(_PSEUDONYMS, frame)


def _load_file(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    month: dt.date,
    staged: _Staged,
    key: bytes | None,
    scope: list[str] | None,
    loaded_at: dt.datetime,
) -> FileResult:
    opened, layout = staged.opened, staged.layout
    columns = [
        _column_sql(
            c, layout, month, check_future=table.source in ("clinical", "local"), table=table
        )
        for c in table.columns
    ]
    _check(conn, table, columns, staged.stage)

    nhs_columns = [c.column.name for c in columns if c.column.kind is Kind.NHS_NUMBER]
    select_list = []
    join = ""
    for col in columns:
        if col.column.kind is Kind.NHS_NUMBER:
            select_list.append("p.patient_id")
            join = f"left join {_PSEUDONYMS} as p on p.nhs_number = c.{col.column.name}"
        else:
            select_list.append(f"c.{col.column.name}")
    if nhs_columns:
        assert key is not None
        _pseudonymise(conn, nhs_columns[0], key)
    metadata = (
        f"date '{month.isoformat()}', {_sql_text(opened.file_name)}, c._row, "
        f"{_sql_text(layout.dialect.name)}, timestamp '{loaded_at.isoformat(sep=' ')}'"
    )
    target_columns = [c.raw_name for c in table.columns] + [m[0] for m in RAW_METADATA_COLUMNS]
    loaded = conn.execute(
        f"insert into {table.qualified_name} ({', '.join(target_columns)}) "
        f"select {', '.join(select_list)}, {metadata} from {_CHECKED} as c {join} "
        "where c._reason is null"
    ).fetchall()[0][0]
    quarantined = conn.execute(
        f"insert into {PIPELINE_SCHEMA}.quarantine "
        f"select {_sql_text(table.source)}, {_sql_text(table.name)}, date '{month.isoformat()}', "
        f"{_sql_text(opened.file_name)}, c._row, c._failed, c._reason, {_record_json(columns)}, "
        f"timestamp '{loaded_at.isoformat(sep=' ')}' "
        f"from {_CHECKED} as c join {staged.stage} using (_row) where c._reason is not null"
    ).fetchall()[0][0]
    rows_in, out_of_scope = staged.rows_in, staged.rows_out_of_scope
    if rows_in != loaded + quarantined + out_of_scope:
        # Records counted when the file was read against rows counted as they were written, so
        # this can actually catch a row going missing.
        raise RuntimeError(
            f"{opened.file_name}: {rows_in} rows read but {loaded} loaded + {quarantined} "
            f"quarantined + {out_of_scope} out of scope; nothing was written for "
            f"{table.qualified_name} {month:%Y-%m}."
        )
    message = f"read as {opened.encoding}" if opened.encoding not in ("utf-8", "xlsx") else ""
    if scope is not None and table.scope_column:
        scoped = f"kept practices in scope ({len(scope)} practices)"
        message = f"{message}; {scoped}" if message else scoped
    return FileResult(
        opened.file_name,
        layout.dialect.name,
        opened.checksum,
        "loaded",
        rows_in,
        loaded,
        quarantined,
        out_of_scope,
        message,
    )


def _drop_temporary(conn: duckdb.DuckDBPyConnection, stages: Iterable[str] = ()) -> None:
    """Staged rows hold NHS numbers as delivered: never leave them on the connection."""
    for name in (*_TEMP_TABLES, *stages):
        conn.execute(f"drop table if exists temp.{name}")
    with contextlib.suppress(duckdb.Error):
        conn.unregister(_PSEUDONYMS)


def _log(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    month: dt.date,
    result: FileResult,
    loaded_at: dt.datetime,
) -> None:
    conn.execute(
        f"insert into {PIPELINE_SCHEMA}.ingestion_log values "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            table.source,
            table.name,
            month,
            result.file_name,
            result.dialect,
            result.checksum_sha256,
            result.status,
            result.rows_in,
            result.rows_loaded,
            result.rows_quarantined,
            result.rows_out_of_scope,
            result.message,
            loaded_at,
        ],
    )


def load_month(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    month: str | dt.date,
    inbox: Path,
    key: bytes | None = None,
    sub_icb_scope: Iterable[str] = (),
    quarantine_dir: Path | None = None,
) -> LoadResult:
    """Load (or re-load) every file of `table` for `month`; see the module docstring."""
    month = parse_month(month)
    month_dir = inbox / f"{month:%Y-%m}"
    result = LoadResult(table, month)
    files = discover(table, month_dir)
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    if not files:
        examples = ", ".join(d.example_file for d in table.dialects)
        result.missing_message = (
            f"no {table.qualified_name} file in {month_dir} (expected names like {examples}); "
            "rows loaded earlier for this month, if any, are kept"
        )
        _forget_failed_attempts(conn, table, month)
        _log(
            conn,
            table,
            month,
            FileResult("(none)", None, None, "missing", message=result.missing_message),
            loaded_at,
        )
        return result

    needs_key = any(c.kind is Kind.NHS_NUMBER for c in table.columns)
    if needs_key and key is None:
        key = nhs_number.load_key()
    scope = scope_practices(conn, sub_icb_scope) if table.scope_column else None
    conn.execute(NHS_NUMBER_MACRO)

    stages = [f"{_STAGE}_{n}" for n in range(len(files))]
    with tempfile.TemporaryDirectory(prefix="pcnmo-") as workdir:
        prepared: list[_Staged] = []
        rejections: list[FileRejected] = []
        if table.single_file and len(files) > 1:
            names = ", ".join(p.name for p in files)
            rejections.append(
                FileRejected(
                    names,
                    f"{len(files)} files for one month of {table.qualified_name}, which is "
                    "published once a month: loading both would count everything twice. Keep "
                    "the one you want in the inbox and remove the other.",
                )
            )
        try:
            # Every file is read (staged) before anything is written, so that a month with
            # several unreadable files names them all at once.
            for path, stage in zip(files, stages, strict=True):
                try:
                    prepared.append(_prepare(conn, table, path, Path(workdir), month, scope, stage))
                except FileRejected as rejection:
                    rejections.append(rejection)
            if not rejections:
                try:
                    with transaction(conn):
                        _replace_month(conn, table, month)
                        for staged in prepared:
                            file_result = _load_file(
                                conn, table, month, staged, key, scope, loaded_at
                            )
                            _log(conn, table, month, file_result, loaded_at)
                            result.files.append(file_result)
                            _drop_temporary(conn, [staged.stage])
                except FileRejected as rejection:
                    rejections.append(rejection)
                    result.files.clear()
        finally:
            _drop_temporary(conn, stages)  # after the rollback, if there was one
    if rejections:
        _forget_failed_attempts(conn, table, month)
        for rejection in rejections:
            _log(
                conn,
                table,
                month,
                FileResult(rejection.file_name, None, None, "rejected", message=rejection.message),
                loaded_at,
            )
        raise MonthRejected(table, month, rejections)
    if quarantine_dir is not None:
        _write_quarantine_files(conn, result, quarantine_dir)
    return result


def _check_file_month(opened: _OpenedFile, month: dt.date) -> None:
    """A file whose name carries a month must be in that month's inbox folder."""
    for _, match in opened.candidates:
        named = match.groupdict().get("yyyymm")
        if named and named != f"{month:%Y%m}":
            raise FileRejected(
                opened.file_name,
                f"is named for {named[:4]}-{named[4:]} but is in the {month:%Y-%m} inbox folder. "
                f"Move it to the {named[:4]}-{named[4:]} folder, or rename it if it really "
                f"is the {month:%Y-%m} extract.",
            )


def _forget_failed_attempts(
    conn: duckdb.DuckDBPyConnection, table: TableContract, month: dt.date
) -> None:
    """Only the latest attempt's rejections or missing notice stay in the log (no pile-up)."""
    conn.execute(
        f"delete from {PIPELINE_SCHEMA}.ingestion_log where source = ? and table_name = ? "
        "and month = ? and status in ('missing', 'rejected')",
        [table.source, table.name, month],
    )


def _replace_month(conn: duckdb.DuckDBPyConnection, table: TableContract, month: dt.date) -> None:
    conn.execute(f"delete from {table.qualified_name} where _month = ?", [month])
    for target in ("ingestion_log", "quarantine"):
        conn.execute(
            f"delete from {PIPELINE_SCHEMA}.{target} where source = ? and table_name = ? "
            "and month = ?",
            [table.source, table.name, month],
        )


def _write_quarantine_files(
    conn: duckdb.DuckDBPyConnection, result: LoadResult, quarantine_dir: Path
) -> None:
    """One CSV per file with quarantined rows, for the Lead Pharmacist to open and fix."""
    table, month = result.table, result.month
    folder = quarantine_dir / f"{month:%Y-%m}"
    for file_result in result.files:
        target = folder / f"{file_result.file_name}.quarantine.csv"
        target.unlink(missing_ok=True)  # from an earlier run of the month
        if not file_result.rows_quarantined:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        conn.execute(
            f"copy (select row_number, column_names, reason, record_json "
            f"from {PIPELINE_SCHEMA}.quarantine where source = {_sql_text(table.source)} "
            f"and table_name = {_sql_text(table.name)} and month = date '{month.isoformat()}' "
            f"and file_name = {_sql_text(file_result.file_name)} order by row_number) "
            f"to {_sql_text(str(target))} (header, delimiter ',')"
        )
