"""Stage one inbox file in DuckDB: a temp table of the rows in scope, each with the row number a
spreadsheet shows, and the count of rows the file holds.

The pass over the bytes that takes the checksum also checks the encoding, the line endings and
whether there are empty lines; it runs in a thread beside DuckDB's scan of the same file. Only
the fields the contract uses are kept. The header is row 1; empty lines and blank xlsx rows
still count towards the numbering, but are not rows: neither is a CSV line of nothing but
commas. Two independent counts of each file (records read, rows staged) must agree.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingestion.duckdb_io import sql_text
from ingestion.file_checks import reject_duplicated_headers
from ingestion.inbox import (
    SAVE_AS_CSV,
    FileRejected,
    Layout,
    OpenedFile,
    blank_lines,
    check_file_month,
    file_checksum,
    inspect_bytes,
    line_terminator,
    open_csv,
    open_xlsx,
    read_head,
    readable_copy,
    reject_binary,
    resolve_layout,
    unzip_single_file,
)
from ingestion.numbering import number_records, records_where
from pcnmo.contracts import TableContract

BLANKS_TABLE = "_pcnmo_blank_lines"
NOT_ROWS_TABLE = "_pcnmo_not_rows"


def field_name(index: int) -> str:
    """The staged column holding the file's field number `index` (0-based)."""
    return f"f{index:03d}"


@dataclass(frozen=True)
class StagedFile:
    """A file read into its own temp table: `_row` and the contract's fields, rows in scope."""

    opened: OpenedFile
    layout: Layout
    stage: str
    rows_in: int
    rows_out_of_scope: int
    rows_never_in_scope: int = 0  # of rows_out_of_scope: the contract's `never_in_scope`


def stage_file(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    path: Path,
    workdir: Path,
    month: dt.date,
    scope: list[str] | None,
    stage: str,
) -> StagedFile:
    """Open, check and stage one file; any FileRejected names what is wrong with it."""
    candidates = tuple((d, m) for d in table.dialects if (m := d.match(path.name)))
    text_path, notes = path, ()
    if path.suffix.lower() == ".zip":
        text_path, member = unzip_single_file(path, workdir)
        notes = (f"read from {member} in the zip",)
        if text_path.suffix.lower() == ".xlsx":
            # The workbook inside is what names its layout (ePCN.xlsx in epcn.zip).
            candidates = tuple((d, m) for d in table.dialects if (m := d.match(member)))
    if text_path.suffix.lower() == ".xlsx":
        opened = open_xlsx(table, text_path, workdir, candidates, path.name, notes)
        opened = dataclasses.replace(opened, checksum=file_checksum(path))
        return _finish(conn, table, *_stage_opened(conn, table, opened, month, scope, stage))

    head = read_head(text_path)
    reject_binary(path, head)
    terminator = line_terminator(head)
    # DuckDB's scan and the pass over the bytes (checksum, encoding, empty lines) each take
    # about as long as the other: run them side by side, optimistically reading the file as
    # the UTF-8 nearly every file is. What the bytes say still comes first: a file with NUL
    # bytes is rejected for them, and a Windows-1252 file is read again from a converted copy.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pcnmo-inspect") as pool:
        inspecting = pool.submit(inspect_bytes, text_path, terminator)
        staged = failure = None
        try:
            opened = open_csv(table, path.name, text_path, "utf-8", terminator, candidates, notes)
            staged = _stage_opened(conn, table, opened, month, scope, stage)
        except (FileRejected, UnicodeDecodeError) as error:
            failure = error
        inspection = inspecting.result()
    read_path, encoding = readable_copy(table, text_path, workdir, inspection, path.name)
    if encoding != "utf-8":
        opened = open_csv(table, path.name, read_path, encoding, terminator, candidates, notes)
        staged = _stage_opened(conn, table, opened, month, scope, stage)
    elif failure is not None:
        raise failure
    assert staged is not None
    opened, layout, stage_sql, records = staged
    # The checksum is of the file as delivered: the zip, not the CSV inside it.
    checksum = inspection.checksum if text_path is path else file_checksum(path)
    opened = dataclasses.replace(opened, checksum=checksum)
    empty_lines = blank_lines(read_path, path.name) if inspection.may_have_blank_lines else ()
    return _finish(conn, table, opened, layout, stage_sql, records, inspection.lines, empty_lines)


def _read_csv_sql(opened: OpenedFile) -> str:
    fields = ", ".join(f"'{field_name(i)}': 'VARCHAR'" for i in range(opened.field_count))
    # Title lines above the column titles are skipped by line: they hold no quoted line breaks.
    skip = f"skip = {opened.header_row - 1}, " if opened.header_row > 1 else ""
    return (
        f"read_csv({sql_text(str(opened.read_path))}, columns = {{{fields}}}, {skip}"
        f"header = {'true' if opened.header_row else 'false'}, auto_detect = false, "
        "delim = ',', quote = '\"', escape = '\"', encoding = 'utf-8', "
        f"new_line = {sql_text(opened.line_terminator.encode('unicode_escape').decode())})"
    )


def _stage_opened(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    opened: OpenedFile,
    month: dt.date,
    scope: list[str] | None,
    stage: str,
) -> tuple[OpenedFile, Layout, str, int]:
    check_file_month(opened, month)
    layout = resolve_layout(table, opened)
    reject_duplicated_headers(table, opened, layout.dialect.name)
    try:
        records = _scan(conn, table, opened, layout, scope, stage)
    except (duckdb.InvalidInputException, duckdb.IOException) as error:
        raise FileRejected(opened.file_name, _duckdb_csv_error(error)) from error
    return opened, layout, stage, records


def _scan(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    opened: OpenedFile,
    layout: Layout,
    scope: list[str] | None,
    stage: str,
) -> int:
    """One parallel scan: the rows in scope, each with its record number (`_k`), and the count
    of records the file holds (`ingestion.numbering`).

    Only the fields the contract uses are read (DuckDB then skips the rest of each line), and
    only rows in scope are kept. Rows whose guard field is empty are kept too, whatever their
    scope, so that `_finish` can tell a row of nothing but commas (not a row at all) from a
    row that is merely out of scope. Rows the contract never has in scope are kept too
    (`_never`; a few hundred in a national file), to be counted before they go.
    """
    offset = opened.header_row
    # xlsx copies put the row number first, so every contract field shifts by one.
    shift = 1 if opened.row_column else 0
    used = sorted({i + shift for i in layout.positions.values()})
    in_scope = "true"
    guard = None
    never = "false"
    if table.never_in_scope and table.scope_column in layout.positions:
        scoped = field_name(layout.positions[table.scope_column] + shift)
        pattern = sql_text(table.never_in_scope.pattern)
        never = f"coalesce(regexp_full_match(upper(trim({scoped})), {pattern}), false)"
    if scope is not None and table.scope_column and table.scope_column in layout.positions:
        guard = layout.positions[table.scope_column] + shift
        in_scope = in_scope_sql(field_name(guard), scope)
    else:
        # Any field will do; one a row must have is empty least often.
        required = [
            layout.positions[c.name] + shift
            for c in table.columns
            if c.required and c.name in layout.positions
        ]
        guard = required[0] if required else used[0] if used else None
    maybe_empty = "true" if guard is None else f"{field_name(guard)} is null"
    row = f"cast({field_name(0)} as bigint)" if opened.row_column else f"_k + {offset}"
    fields = sorted({*used, guard} - {None} | ({0} if opened.row_column else set()))
    kept = "".join(f", {field_name(i)} as {field_name(i - shift)}" for i in used)
    return number_records(
        conn,
        _read_csv_sql(opened),
        [field_name(i) for i in fields],
        keep=f"{in_scope} or {maybe_empty} or {never}",
        select_list=f"_k, {row} as _row, {in_scope} and not {never} as _in_scope, "
        f"{never} as _never, {maybe_empty} as _maybe_empty{kept}",
        stage=stage,
    )


def in_scope_sql(field: str, codes: list[str]) -> str:
    """SQL: whether the code in `field` (any case, any padding) is one of `codes`.

    A regular expression rather than `in (select ...)`: a join would hand the scan's rows back
    out of file order, and the record numbers depend on that order (`ingestion.numbering`).
    RE2 matches an alternation of a few hundred codes about as fast as a `like`. A row with no
    code at all is for no code in scope (not a NULL that would slip through both counts).
    """
    if not codes:
        return "false"
    alternatives = "|".join(re.escape(code.upper()) for code in sorted(set(codes)))
    return f"coalesce(regexp_full_match(upper(trim({field})), {sql_text(alternatives)}), false)"


def _finish(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    opened: OpenedFile,
    layout: Layout,
    stage: str,
    records: int,
    lines: int | None = None,
    empty_lines: tuple[int, ...] = (),
) -> StagedFile:
    """Row numbers after empty lines, rows that are not rows, and the count of records read
    (`records`, as the scan counted them, is checked against the line count where the bytes
    give one)."""
    read = _read_csv_sql(opened)
    offset = opened.header_row
    shift = 1 if opened.row_column else 0
    # Empty lines above the column titles were skipped with the title lines.
    empty_lines = tuple(line for line in empty_lines if line > offset)
    if empty_lines:
        # DuckDB skips empty lines, so ordinality undercounts after each one. For every empty
        # line: how many records precede it, and how many empty lines there are up to it.
        shifts: dict[int, int] = {}  # records before an empty line -> empty lines so far
        for earlier, line in enumerate(empty_lines):
            shifts[line - offset - 1 - earlier] = earlier + 1
        conn.execute(f"create or replace temp table {BLANKS_TABLE} (before bigint, blanks bigint)")
        conn.executemany(f"insert into {BLANKS_TABLE} values (?, ?)", list(shifts.items()))
        conn.execute(
            f"update {stage} as s set _row = s._row + coalesce((select max(b.blanks) "
            f"from {BLANKS_TABLE} as b where b.before < s._k), 0)"
        )
    # A row with every field empty is not a row: spreadsheets save formatted blank rows as
    # ",,,," (and the xlsx reader skips blank rows too). Such a row has an empty guard field,
    # so it was kept; only when some row was, read every field of the file to find out which.
    not_rows = 0
    if conn.execute(f"select count(*) from {stage} where _maybe_empty").fetchall()[0][0]:
        every_field = ", ".join(field_name(i) for i in range(shift, opened.field_count))
        try:
            records_where(conn, read, f"coalesce({every_field}) is null", NOT_ROWS_TABLE)
        except (duckdb.InvalidInputException, duckdb.IOException) as error:
            raise FileRejected(opened.file_name, _duckdb_csv_error(error)) from error
        not_rows = conn.execute(
            f"delete from {stage} where _k in (select _k from {NOT_ROWS_TABLE})"
        ).fetchall()[0][0]
        conn.execute(f"drop table temp.{NOT_ROWS_TABLE}")
    # The pass over the bytes counts lines for nothing, and they are records exactly when no
    # quote can hide a line break and no line is empty: then the two counts must agree.
    if lines is not None and lines - offset != records:
        raise RuntimeError(
            f"{opened.file_name}: {lines - offset} records by its line breaks but {records} "
            f"read; nothing was written for {table.qualified_name}."
        )
    never_in_scope = conn.execute(f"select count(*) from {stage} where _never").fetchall()[0][0]
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
    return StagedFile(opened, layout, stage, rows_in, out_of_scope, never_in_scope)


def _duckdb_csv_error(error: duckdb.Error) -> str:
    """A message for the person who made the file. Never quotes the line: it may hold an NHS
    number, and the message goes to the ingestion log."""
    text = str(error)
    line = re.search(r"Line: (\d+)", text)
    where = f" on line {line.group(1)}" if line else ""
    lowered = text.lower()
    if "unicode" in lowered or "utf" in lowered:
        return f"is not UTF-8 text (an undecodable byte{where}). {SAVE_AS_CSV}"
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
            f"Unix line endings mixed), or it is not comma-separated. {SAVE_AS_CSV}"
        )
    if "unterminated quote" in lowered:
        return (
            f"has a value with an opening double quote and no closing one{where}. "
            "Close the quote, or remove it."
        )
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    first = re.sub(r"Original Line:.*", "", first)
    return f"cannot be read as CSV{where} ({first})."
