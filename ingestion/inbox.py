"""The inbox side of loading: which files a table-month has, what their bytes are, and which
dialect each one is written in.

Every function here looks at a file, never at the warehouse. A file that cannot be read at
all raises `FileRejected` with a message a Lead Pharmacist can act on (wrong layout, missing
column, not UTF-8, not CSV at all, named for another month). xlsx workbooks and files in an
older encoding are read from a UTF-8 CSV copy, so one CSV path validates every file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingestion.header_cells import describe_header_row, normalise_header
from ingestion.xlsx_to_csv import sheet_to_csv
from pcnmo.contracts import PATTERNS, Dialect, TableContract
from pcnmo.redaction import redact

# How the ingestion log names an encoding a file was read in.
_ENCODING_NAMES = {"cp1252": "Windows-1252"}


class FileRejected(Exception):
    """A file that cannot be read at all. Nothing from it (or its table-month) is loaded."""

    def __init__(self, file_name: str, message: str) -> None:
        file_name, message = redact(file_name), redact(message)
        super().__init__(f"{file_name}: {message}")
        self.file_name = file_name
        self.message = message


def encoding_name(encoding: str) -> str:
    return _ENCODING_NAMES.get(encoding, encoding)


def _quoted_row(cells: list[str], limit: int = 80) -> str:
    """A row of a file as the ingestion log may quote it: NHS numbers removed."""
    text = redact(" | ".join(cell.strip() for cell in cells if cell.strip()))
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def file_checksum(path: Path) -> str:
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


SAVE_AS_CSV = "Save it again as 'CSV UTF-8 (Comma delimited)' and put it back in the inbox."

# What a file that is not text at all usually turns out to be.
_BINARY_SIGNATURES = (
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook is one)"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 (.xls) workbook"),
    (b"%PDF", "a PDF document"),
)


@dataclass(frozen=True)
class Inspection:
    """What one pass over the bytes (the same pass that takes the checksum) tells us."""

    checksum: str
    has_nul: bool
    not_utf8_line: int | None  # physical line of the first byte that is not UTF-8
    may_have_blank_lines: bool
    # Physical lines, when they are certainly one record each (no quote character anywhere,
    # no empty line, no stray carriage return): then DuckDB needs no extra pass to count them.
    lines: int | None


_ZIPPED = (".csv", ".xlsx")


def unzip_single_file(path: Path, workdir: Path) -> tuple[Path, str]:
    """The one file a published zip holds (NHSBSA, NHS Digital and the ODS reports zip one CSV;
    the ODS ePCN download zips one workbook), copied out to the work directory: the path to
    read, named like the member, and the member's name."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            readable = [m for m in members if m.filename.lower().endswith(_ZIPPED)]
            if len(members) != 1 or len(readable) != 1:
                names = ", ".join(m.filename for m in members) or "nothing"
                raise FileRejected(
                    path.name,
                    f"is a zip holding {names}: pcnmo reads a zip that holds exactly one CSV "
                    "file (or one workbook). Unzip it and put that file in the inbox instead.",
                )
            member = Path(readable[0].filename).name
            target = workdir / f"{path.stem}.{member}"
            with archive.open(readable[0]) as source, target.open("wb") as copy:
                shutil.copyfileobj(source, copy, 1 << 20)
    except (zipfile.BadZipFile, EOFError) as error:
        raise FileRejected(path.name, f"is not a readable zip archive ({error}).") from error
    return target, member


def read_head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(1 << 20)  # enough for any header row


def reject_binary(path: Path, head: bytes) -> None:
    """A .csv name on a workbook, zip or PDF: say what the file really is."""
    for signature, what in _BINARY_SIGNATURES:
        if head.startswith(signature):
            raise FileRejected(
                path.name, f"is not a CSV file: it is {what} with a .csv name. {SAVE_AS_CSV}"
            )


def inspect_bytes(path: Path, terminator: str) -> Inspection:
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
    return Inspection(digest.hexdigest(), has_nul, not_utf8_line, blank, lines)


def line_terminator(head: bytes) -> str:
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
class OpenedFile:
    file_name: str
    read_path: Path  # the UTF-8 CSV DuckDB reads (a converted copy for xlsx and latin-1)
    encoding: str  # the encoding the file was delivered in
    header: list[str] | None  # None: columns are found by position
    field_count: int
    row_column: bool  # xlsx copies carry the sheet row number as their first field
    candidates: tuple[tuple[Dialect, re.Match[str]], ...]
    checksum: str
    line_terminator: str
    # The row holding the column titles (1 unless title lines sit above it); 0 when there is
    # none. Rows are numbered as a spreadsheet shows them, so data rows start below it.
    header_row: int = 1
    notes: tuple[str, ...] = ()  # how the file was read, for the ingestion log


def _first_rows(path: Path, file_name: str, count: int) -> list[list[str]]:
    # utf-8-sig: Excel's "CSV UTF-8" starts the file with a byte-order mark.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = []
        try:
            for row in csv.reader(handle):
                rows.append(row)
                if len(rows) == count:
                    break
        except csv.Error as error:
            raise FileRejected(file_name, f"cannot be read as CSV ({error}).") from error
    return rows


def blank_lines(path: Path, file_name: str) -> tuple[int, ...]:
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


def open_xlsx(
    table: TableContract,
    path: Path,
    workdir: Path,
    candidates,
    file_name: str | None = None,
    notes: tuple[str, ...] = (),
) -> OpenedFile:
    """A workbook's sheet as CSV; `file_name` is the file as delivered (a zip holding it)."""
    file_name = file_name or path.name
    if not candidates:  # a zip holding a workbook named for no layout of the table
        examples = ", ".join(d.example_file for d in table.dialects)
        raise FileRejected(
            file_name,
            f"holds {path.name.split('.', 1)[-1]}, named for none of the layouts of "
            f"{table.qualified_name} (expected names like {examples}).",
        )
    read_path = workdir / (path.name + ".csv")
    try:
        sheet_to_csv(path, read_path, table.sheet)
    except Exception as error:  # openpyxl raises many types for a damaged workbook
        raise FileRejected(
            file_name, f"cannot be opened as an Excel workbook ({error})."
        ) from error
    header = next(iter(_first_rows(read_path, file_name, 1)), [])
    if len(header) < 2:  # the row-number field and at least one column
        raise FileRejected(file_name, "is empty: the sheet has no header row.")
    return OpenedFile(
        file_name=file_name,
        read_path=read_path,
        encoding="xlsx",
        header=header[1:],
        field_count=len(header),
        row_column=True,
        candidates=candidates,
        checksum="",  # of the file as delivered: filled in by the caller
        line_terminator="\r\n",  # what csv.writer writes
        notes=notes,
    )


def open_csv(
    table: TableContract,
    file_name: str,
    read_path: Path,
    encoding: str,
    terminator: str,
    candidates,
    notes: tuple[str, ...] = (),
) -> OpenedFile:
    """The file's header (or, for a layout published without one, its first row), found."""
    dialects = [d for d, _ in candidates] or list(table.dialects)
    headerless = all(d.headerless for d in dialects)
    search_rows = max(d.header_search_rows for d in dialects)
    rows = _first_rows(read_path, file_name, search_rows)
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise FileRejected(file_name, "is empty: there is no header row.")
    if encoding != "utf-8":
        notes = (*notes, f"read as {encoding_name(encoding)}")
    if headerless:
        header_row = 1 if _is_header_row(table, rows[0]) else 0
        if header_row:
            notes = (*notes, f"row 1 is a header row ({_quoted_row(rows[0])}): skipped")
        return OpenedFile(
            file_name=file_name,
            read_path=read_path,
            encoding=encoding,
            header=None,
            field_count=len(rows[0]),
            row_column=False,
            candidates=candidates,
            checksum="",  # filled in from the inspection
            line_terminator=terminator,
            header_row=header_row,
            notes=notes,
        )
    index = next((i for i, row in enumerate(rows) if _holds_a_layout(table, dialects, row)), 0)
    if index:
        titles = "; ".join(_quoted_row(row) for row in rows[:index] if any(c.strip() for c in row))
        notes = (*notes, f"rows 1-{index} above the column titles skipped: {titles}")
    return OpenedFile(
        file_name=file_name,
        read_path=read_path,
        encoding=encoding,
        header=rows[index],
        field_count=len(rows[index]),
        row_column=False,
        candidates=candidates,
        checksum="",  # filled in from the inspection
        line_terminator=terminator,
        header_row=index + 1,
        notes=notes,
    )


def _holds_a_layout(table: TableContract, dialects: list[Dialect], row: list[str]) -> bool:
    """Whether a row carries every required header of one of the dialects."""
    found = {normalise_header(cell) for cell in row}
    return any(
        all(
            normalise_header(column.header(dialect.name) or "") in found
            for column in table.columns
            if column.required and not column.from_file_name and column.header(dialect.name)
        )
        for dialect in dialects
    )


def _is_header_row(table: TableContract, row: list[str]) -> bool:
    """A layout published without a header, exported "with headers" after all: its first cell
    is a column name, not the code the first column holds."""
    first = next((c for c in table.columns if c.position == 1), None)
    if first is None or first.kind not in PATTERNS or not row:
        return False
    return not re.fullmatch(PATTERNS[first.kind], row[0].strip().upper())


def readable_copy(
    table: TableContract, path: Path, workdir: Path, inspection: Inspection, file_name: str
) -> tuple[Path, str]:
    """The UTF-8 file DuckDB should read and the delivered encoding, or why there is none."""
    if inspection.has_nul:
        raise FileRejected(
            file_name,
            "is not a CSV text file: it contains NUL bytes (binary data, or text saved as "
            f"UTF-16 'Unicode Text'). {SAVE_AS_CSV}",
        )
    if inspection.not_utf8_line is None:
        return path, "utf-8"
    fallbacks = [e for e in table.encodings if codecs.lookup(e).name != "utf-8"]
    if not fallbacks:
        raise FileRejected(
            file_name,
            f"is not UTF-8 text (line {inspection.not_utf8_line} has a byte that is not "
            f"UTF-8, e.g. a '£' or 'é' saved in another encoding). {SAVE_AS_CSV}",
        )
    # Published files in an older encoding: DuckDB reads UTF-8 only, so read a converted copy.
    # Windows-1252, not Latin-1: bytes 0x80-0x9F are its curly quotes, dashes and euro sign,
    # which Latin-1 would turn into invisible control characters. A byte Windows-1252 leaves
    # undefined means the file is neither, and is rejected rather than guessed at.
    encoding = fallbacks[0]
    read_path = workdir / (path.name + ".utf-8.csv")
    try:
        _transcode(path, read_path, encoding)
    except UnicodeDecodeError as error:
        raise FileRejected(
            file_name, f"is neither UTF-8 nor {encoding_name(encoding)} text. {SAVE_AS_CSV}"
        ) from error
    return read_path, encoding


# ---------------------------------------------------------------------------------------------
# Dialect and header
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    dialect: Dialect
    positions: dict[str, int]  # column name -> 0-based field index in the file
    file_values: dict[str, str]  # column name -> value taken from the file name


def resolve_layout(table: TableContract, opened: OpenedFile) -> Layout:
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
        return Layout(dialect, positions, _file_values(table, match))

    found = {normalise_header(h): i for i, h in enumerate(opened.header)}
    best: tuple[int, Dialect, list[str]] | None = None
    for dialect, match in opened.candidates:
        positions: dict[str, int] = {}
        missing: list[str] = []
        for column in table.columns:
            header = column.header(dialect.name)
            if column.from_file_name or header is None:
                continue
            index = found.get(normalise_header(header))
            if index is not None:
                positions[column.name] = index
            elif column.required:
                missing.append(header)
        if not missing:
            return Layout(dialect, positions, _file_values(table, match))
        if best is None or len(missing) < best[0]:
            best = (len(missing), dialect, missing)
    assert best is not None
    _, dialect, missing = best
    return_missing = ", ".join(repr(m) for m in missing)
    raise FileRejected(
        opened.file_name,
        f"is missing required column(s) {return_missing} of the {dialect.label} layout "
        f"({describe_header_row(table, opened.header, opened.header_row)}). Check the search or "
        "report used to produce it against docs/extracts.md.",
    )


def _file_values(table: TableContract, match: re.Match[str]) -> dict[str, str]:
    values = {}
    for column in table.columns:
        if column.from_file_name:
            values[column.name] = match.group(column.from_file_name).upper()
    return values


def check_file_month(opened: OpenedFile, month: dt.date) -> None:
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
