"""Load one month of one raw table from the inbox, exactly as its contract says.

For every file of the table in `inbox/<YYYY-MM>/`:

1. work out its dialect from the file name and header row, or reject the whole file with a
   message a Lead Pharmacist can act on (wrong layout, missing column, not UTF-8, ragged rows);
2. stage every row through DuckDB in one streaming scan, keeping its row number;
3. validate each value with SQL generated from the contract, quarantine failing rows with
   every failing column named, and pseudonymise NHS numbers before anything is written;
4. replace the month's rows of the raw table, the ingestion log and quarantine in a single
   transaction, so a failure leaves the previous state intact and re-runs never duplicate.

Every input row ends up loaded, quarantined, or (national files only) counted as out of
scope: `rows_in = rows_loaded + rows_quarantined + rows_out_of_scope` for every file.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from ingestion import nhs_number
from ingestion.contracts import (
    PATTERN_HELP,
    PATTERNS,
    RAW_METADATA_COLUMNS,
    Column,
    Dialect,
    Kind,
    TableContract,
)
from ingestion.duckdb_io import PIPELINE_SCHEMA, transaction
from ingestion.xlsx import sheet_to_csv

# Digit runs shaped like an NHS number (3-3-4, spaces or hyphens optional) are removed from
# free text: staff sometimes type one into a narrative, and it must never be stored.
_NHS_LIKE_IN_TEXT = r"[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}"
REDACTED = "[number removed]"
_STAGE = "_pcnmo_stage"
_CHECKED = "_pcnmo_checked"
_PSEUDONYMS = "_pcnmo_pseudonyms"
_SCOPE = "_pcnmo_scope"


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


def parse_month(month: str | dt.date) -> dt.date:
    """Accept `YYYY-MM`, `YYYY-MM-DD` (Dagster partition keys) or a date."""
    if isinstance(month, dt.date):
        return month.replace(day=1)
    return dt.date.fromisoformat(month[:7] + "-01")


def month_end(month: dt.date) -> dt.date:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _normalise_header(value: str) -> str:
    return " ".join(value.split()).casefold()


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _human_format(fmt: str) -> str:
    return (
        fmt.replace("%d", "dd")
        .replace("%m", "mm")
        .replace("%Y", "yyyy")
        .replace("%y", "yy")
        .replace("%b", "Mon")
        .replace("%H:%M:%S", "hh:mm:ss")
    )


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


@dataclass(frozen=True)
class _OpenedFile:
    file_name: str
    read_path: Path  # the CSV DuckDB reads (a converted copy for xlsx)
    encoding: str
    header: list[str] | None
    field_count: int
    row_column: bool  # xlsx copies carry the sheet row number as their first field
    candidates: tuple[tuple[Dialect, re.Match[str]], ...]


def _read_header(path: Path, encoding: str) -> list[str]:
    with path.open(encoding=encoding, newline="") as handle:
        try:
            return next(csv.reader(handle))
        except StopIteration:
            return []


def _open(table: TableContract, path: Path, workdir: Path) -> _OpenedFile:
    candidates = tuple((d, m) for d in table.dialects if (m := d.match(path.name)))
    if path.suffix.lower() == ".xlsx":
        read_path = workdir / (path.stem + ".csv")
        try:
            sheet_to_csv(path, read_path, table.sheet)
        except Exception as error:  # openpyxl raises many types for a damaged workbook
            raise FileRejected(
                path.name, f"cannot be opened as an Excel workbook ({error})."
            ) from error
        return _OpenedFile(
            path.name,
            read_path,
            "utf-8",
            (header := _read_header(read_path, "utf-8"))[1:],
            len(header),
            True,
            candidates,
        )

    last_error: UnicodeDecodeError | None = None
    for encoding in table.encodings:
        try:
            header = _read_header(path, encoding)
            break
        except UnicodeDecodeError as error:
            last_error = error
    else:
        assert last_error is not None
        raise FileRejected(
            path.name,
            "is not UTF-8 text (an undecodable byte in the header row). Save it again as "
            "'CSV UTF-8 (Comma delimited)' and put it back in the inbox.",
        )
    if table.headerless:
        return _OpenedFile(path.name, path, encoding, None, len(header), False, candidates)
    if not header or not any(cell.strip() for cell in header):
        raise FileRejected(path.name, "is empty: there is no header row.")
    return _OpenedFile(path.name, path, encoding, header, len(header), False, candidates)


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


def _field(index: int) -> str:
    return f"f{index:03d}"


@dataclass(frozen=True)
class _ColumnSql:
    column: Column
    label: str  # what the person who made the file calls the column
    value: str  # trimmed text, NULL when empty
    typed: str  # the value as it lands in the raw table
    checks: tuple[tuple[str, str], ...]  # (failing condition, message expression)


def _column_sql(column: Column, layout: _Layout, month: dt.date, check_future: bool) -> _ColumnSql:
    dialect = layout.dialect
    if column.from_file_name:
        value = _sql_text(layout.file_values[column.name])
        label = f"{column.name} (from the file name)"
    elif column.name in layout.positions:
        value = f"nullif(trim({_field(layout.positions[column.name])}), '')"
        label = column.header(dialect.name) or f"column {column.position}"
    else:
        return _ColumnSql(column, column.name, "null", f"cast(null as {column.duckdb_type})", ())

    quoted = f"'''' || left({value}, 60) || ''''"
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
        shown = " or ".join(_human_format(f) for f in formats[:2])
        checks.append(
            (
                f"{value} is not null and {parsed} is null",
                f"{_sql_text(label + ' ')} || {quoted} || {_sql_text(f' is not a date ({shown})')}",
            )
        )
        checks.append(
            (
                f"{typed} < date '1880-01-01'",
                f"{_sql_text(label + ' ')} || {quoted} || ' is before 1880'",
            )
        )
        if kind is Kind.MONTH:
            checks.append(
                (
                    f"{typed} <> date '{month.isoformat()}'",
                    f"{_sql_text(label + ' ')} || {quoted} || "
                    f"{_sql_text(f' is not the inbox month {month:%Y-%m}')}",
                )
            )
        elif check_future and not column.future_ok:
            end = month_end(month)
            checks.append(
                (
                    f"{typed} > date '{end.isoformat()}'",
                    f"{_sql_text(label + ' ')} || {quoted} || "
                    f"{_sql_text(f' is after the end of the reporting month ({end})')}",
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
                f"{_sql_text(label + ' ')} || {quoted} || {_sql_text(f' is not {noun}')}",
            )
        )
        if column.minimum is not None:
            checks.append(
                (
                    f"{typed} < {column.minimum}",
                    f"{_sql_text(label + ' ')} || {quoted} || {_sql_text(f' is below {column.minimum:g}')}",
                )
            )
        if column.maximum is not None:
            checks.append(
                (
                    f"{typed} > {column.maximum}",
                    f"{_sql_text(label + ' ')} || {quoted} || {_sql_text(f' is above {column.maximum:g}')}",
                )
            )
    elif kind in (Kind.CODE, Kind.FLAG):
        accepted = ", ".join(_sql_text(a.upper()) for a in column.accepted)
        allowed = ", ".join(column.accepted)
        checks.append(
            (
                f"{value} is not null and upper({value}) not in ({accepted})",
                f"{_sql_text(label + ' ')} || {quoted} || {_sql_text(f' is not one of: {allowed}')}",
            )
        )
    elif kind in PATTERNS:
        typed = f"upper({value})"
        checks.append(
            (
                f"{value} is not null and not regexp_full_match(upper({value}), {_sql_text(PATTERNS[kind])})",
                f"{_sql_text(label + ' ')} || {quoted} || {_sql_text(f' is not {PATTERN_HELP[kind]}')}",
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
        typed = (
            f"regexp_replace({value}, {_sql_text(_NHS_LIKE_IN_TEXT)}, {_sql_text(REDACTED)}, 'g')"
        )
    return _ColumnSql(column, label, value, typed, tuple(checks))


NHS_NUMBER_MACRO = """
create or replace temp macro pcnmo_nhs_number_is_valid(d) as (
    case
        when not regexp_full_match(coalesce(d, ''), '[0-9]{10}') then false
        else (
            with weighted as (
                select 11 - (
                    10 * cast(substr(d, 1, 1) as integer) + 9 * cast(substr(d, 2, 1) as integer)
                    + 8 * cast(substr(d, 3, 1) as integer) + 7 * cast(substr(d, 4, 1) as integer)
                    + 6 * cast(substr(d, 5, 1) as integer) + 5 * cast(substr(d, 6, 1) as integer)
                    + 4 * cast(substr(d, 7, 1) as integer) + 3 * cast(substr(d, 8, 1) as integer)
                    + 2 * cast(substr(d, 9, 1) as integer)
                ) % 11 as check_digit
            )
            select case check_digit
                when 11 then substr(d, 10, 1) = '0'
                when 10 then false
                else cast(substr(d, 10, 1) as integer) = check_digit
            end
            from weighted
        )
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
    exists = conn.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'raw_ods' and table_name = 'epcn_members'"
    ).fetchall()[0]
    if not exists or not exists[0]:
        return None
    where = ""
    if wanted:
        codes = ", ".join(_sql_text(c) for c in wanted)
        where = f"where practice_sub_icb_location_code in ({codes})"
    rows = conn.execute(
        f"select distinct practice_code from raw_ods.epcn_members {where} order by 1"
    ).fetchall()
    if not rows and not wanted:
        return None
    return [r[0] for r in rows]


def _stage(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    opened: _OpenedFile,
    layout: _Layout,
    scope: list[str] | None,
) -> None:
    fields = ", ".join(f"'{_field(i)}': 'VARCHAR'" for i in range(opened.field_count))
    read = (
        f"read_csv({_sql_text(str(opened.read_path))}, columns = {{{fields}}}, "
        f"header = {'false' if opened.header is None else 'true'}, auto_detect = false, "
        f"delim = ',', quote = '\"', escape = '\"', encoding = {_sql_text(opened.encoding)})"
    )
    offset = 0 if opened.header is None else 1
    row = f"cast({_field(0)} as bigint)" if opened.row_column else f"ordinality + {offset}"
    # xlsx copies put the row number first, so every contract field shifts by one.
    shift = 1 if opened.row_column else 0
    used = sorted({i + shift for i in layout.positions.values()})
    in_scope = "true"
    if scope is not None and table.scope_column and table.scope_column in layout.positions:
        conn.execute(f"create or replace temp table {_SCOPE} (code varchar primary key)")
        if scope:
            conn.execute(f"insert into {_SCOPE} select unnest(?::varchar[])", [scope])
        scope_field = _field(layout.positions[table.scope_column] + shift)
        in_scope = f"upper(trim({scope_field})) in (select code from {_SCOPE})"
    # Out-of-scope rows keep only their row number: enough to count them, nearly free to store.
    kept = ", ".join(
        f"case when _in_scope then {_field(i)} end as {_field(i - shift)}" for i in used
    )
    conn.execute(
        f"create or replace temp table {_STAGE} as "
        f"select _row, _in_scope{', ' + kept if kept else ''} from ("
        f"select {row} as _row, {in_scope} as _in_scope, * from {read} with ordinality)"
    )


def _duckdb_csv_error(error: duckdb.Error) -> str:
    text = str(error)
    line = re.search(r"Line: (\d+)", text)
    where = f" at line {line.group(1)}" if line else ""
    if "unicode" in text.lower() or "utf" in text.lower():
        return (
            f"is not UTF-8 text (an undecodable byte{where}). Save it again as "
            "'CSV UTF-8 (Comma delimited)' and put it back in the inbox."
        )
    if "expected" in text.lower() and "column" in text.lower():
        return (
            f"has a row with the wrong number of fields{where}: every row must have as many "
            "fields as the header. A comma inside a value must be in double quotes."
        )
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return f"cannot be read as CSV{where} ({first})."


def _check(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    columns: list[_ColumnSql],
) -> None:
    """Build the checked table: typed values, failure reasons and the failing column names."""
    failures: list[tuple[str, str, str]] = []  # (condition, message, label)
    for col in columns:
        failures += [(cond, msg, col.label) for cond, msg in col.checks]
    present = [c for c in columns if c.value != "null"]
    if table.key is not None:
        key_cols = [c for c in present if not table.key or c.column.name in table.key]
        partition = ", ".join(
            c.typed if c.column.kind is Kind.NHS_NUMBER else f"upper({c.value})" for c in key_cols
        )
        what = "the same " + ", ".join(c.label for c in key_cols) if table.key else "identical"
        first = f"first_value(_row) over (partition by {partition} order by _row)"
        failures.append(
            (
                f"{first} <> _row",
                f"{_sql_text('duplicate of row ')} || {first} || {_sql_text(f' ({what})')}",
                "(whole row)" if not table.key else ", ".join(c.label for c in key_cols),
            )
        )
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
    typed = ", ".join(f"{c.typed} as {c.column.name}" for c in columns)
    conn.execute(
        f"create or replace temp table {_CHECKED} as "
        f"select _row, {typed}, {reason} as _reason, {failed} as _failed "
        f"from {_STAGE} where _in_scope"
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
        parts.append(f"{_sql_text(col.label)}, {value}")
    return "json_object(" + ", ".join(parts) + ")" if parts else "'{}'"


def _pseudonymise(conn: duckdb.DuckDBPyConnection, column: str, key: bytes) -> None:
    values = [
        r[0]
        for r in conn.execute(
            f"select distinct {column} from {_CHECKED} where _reason is null and {column} is not null"
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
    opened: _OpenedFile,
    layout: _Layout,
    checksum: str,
    key: bytes | None,
    scope: list[str] | None,
    loaded_at: dt.datetime,
) -> FileResult:
    try:
        _stage(conn, table, opened, layout, scope)
    except duckdb.Error as error:
        raise FileRejected(opened.file_name, _duckdb_csv_error(error)) from error
    columns = [
        _column_sql(c, layout, month, check_future=table.source in ("clinical", "local"))
        for c in table.columns
    ]
    _check(conn, table, columns)

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
    conn.execute(
        f"insert into {table.qualified_name} ({', '.join(target_columns)}) "
        f"select {', '.join(select_list)}, {metadata} from {_CHECKED} as c {join} "
        "where c._reason is null"
    )
    conn.execute(
        f"insert into {PIPELINE_SCHEMA}.quarantine "
        f"select {_sql_text(table.source)}, {_sql_text(table.name)}, date '{month.isoformat()}', "
        f"{_sql_text(opened.file_name)}, c._row, c._failed, c._reason, {_record_json(columns)}, "
        f"timestamp '{loaded_at.isoformat(sep=' ')}' "
        f"from {_CHECKED} as c join {_STAGE} using (_row) where c._reason is not null"
    )
    rows_in, out_of_scope = conn.execute(
        f"select count(*), count(*) filter (where not _in_scope) from {_STAGE}"
    ).fetchall()[0]
    quarantined = conn.execute(
        f"select count(*) from {_CHECKED} where _reason is not null"
    ).fetchall()[0][0]
    loaded = rows_in - out_of_scope - quarantined
    if nhs_columns:
        conn.unregister(_PSEUDONYMS)
    message = ""
    if scope is not None and table.scope_column:
        message = f"kept practices in scope ({len(scope)} practices)"
    return FileResult(
        opened.file_name,
        layout.dialect.name,
        checksum,
        "loaded",
        rows_in,
        loaded,
        quarantined,
        out_of_scope,
        message,
    )


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
        conn.execute(
            f"delete from {PIPELINE_SCHEMA}.ingestion_log where source = ? and table_name = ? "
            "and month = ? and status = 'missing'",
            [table.source, table.name, month],
        )
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

    with tempfile.TemporaryDirectory(prefix="pcnmo-") as workdir:
        prepared: list[tuple[_OpenedFile, _Layout, str]] = []
        rejections: list[FileRejected] = []
        for path in files:
            try:
                opened = _open(table, path, Path(workdir))
                prepared.append((opened, _resolve_layout(table, opened), _checksum(path)))
            except FileRejected as rejection:
                rejections.append(rejection)
        if not rejections:
            try:
                with transaction(conn):
                    _replace_month(conn, table, month)
                    for opened, layout, checksum in prepared:
                        file_result = _load_file(
                            conn, table, month, opened, layout, checksum, key, scope, loaded_at
                        )
                        _log(conn, table, month, file_result, loaded_at)
                        result.files.append(file_result)
            except FileRejected as rejection:
                rejections.append(rejection)
                result.files.clear()
    if rejections:
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
        _write_quarantine_files(conn, table, month, quarantine_dir)
    return result


def _replace_month(conn: duckdb.DuckDBPyConnection, table: TableContract, month: dt.date) -> None:
    conn.execute(f"delete from {table.qualified_name} where _month = ?", [month])
    for target in ("ingestion_log", "quarantine"):
        conn.execute(
            f"delete from {PIPELINE_SCHEMA}.{target} where source = ? and table_name = ? "
            "and month = ?",
            [table.source, table.name, month],
        )


def _write_quarantine_files(
    conn: duckdb.DuckDBPyConnection, table: TableContract, month: dt.date, quarantine_dir: Path
) -> None:
    """One CSV per file with quarantined rows, for the Lead Pharmacist to open and fix."""
    folder = quarantine_dir / f"{month:%Y-%m}"
    files = conn.execute(
        f"select distinct file_name from {PIPELINE_SCHEMA}.quarantine "
        "where source = ? and table_name = ? and month = ? order by 1",
        [table.source, table.name, month],
    ).fetchall()
    for (file_name,) in files:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{file_name}.quarantine.csv"
        conn.execute(
            f"copy (select row_number, column_names, reason, record_json "
            f"from {PIPELINE_SCHEMA}.quarantine where source = {_sql_text(table.source)} "
            f"and table_name = {_sql_text(table.name)} and month = date '{month.isoformat()}' "
            f"and file_name = {_sql_text(file_name)} order by row_number) "
            f"to {_sql_text(str(target))} (header, delimiter ',')"
        )
