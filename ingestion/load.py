"""Load one month of one raw table from the inbox, exactly as its contract says.

For every file of the table in `inbox/<YYYY-MM>/`:

1. catch what is wrong with the month's files as files (`ingestion.file_checks`): a file that
   looks like this table's but is misnamed, two deliveries for one practice, PCN or month;
2. work out its dialect from the file name and header row, or reject the whole file with a
   message a Lead Pharmacist can act on (`ingestion.inbox`);
3. stage the rows in scope through DuckDB in one streaming scan of the fields the contract
   uses, keeping each row's number as a spreadsheet shows it (`ingestion.staging`). Every file
   is staged before anything is written;
4. validate each value with SQL generated from the contract (`ingestion.validation_sql`),
   reject the file if it is another month's, its dates are month-first or it names practices
   it should not, quarantine failing rows with every failing column named
   (`ingestion.quarantine`), and pseudonymise NHS numbers before anything is written;
5. replace the month's rows of the raw table, the ingestion log and quarantine in a single
   transaction, check the month against the blocking rules (`ingestion.blocking`) before it
   commits, so a failure leaves the previous state intact and re-runs never duplicate.

Files and rows stay where they are on any rejection: the month keeps its last good state.
Temporary copies (workbooks read as CSV) live in the data directory's temp folder.

Every input row ends up loaded, quarantined, or (national files only) counted as out of
scope: `rows_in = rows_loaded + rows_quarantined + rows_out_of_scope` for every file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from ingestion import nhs_number
from ingestion.blocking import check_blocking_rules
from ingestion.duckdb_io import PIPELINE_SCHEMA, sql_text, transaction
from ingestion.file_checks import (
    MONTH_COLUMNS,
    check_practices,
    date_formats,
    duplicate_deliveries,
    looks_like_this_table,
    misnamed_files,
    reject_another_months_file,
    reject_month_first_dates,
    unclaimed_files,
)
from ingestion.inbox import FileRejected, discover
from ingestion.quarantine import quarantine_failed_rows, write_quarantine_files
from ingestion.sql_macros import install_macros
from ingestion.staging import BLANKS_TABLE, StagedFile, stage_file
from ingestion.validation_sql import (
    CHECKED_TABLE,
    ColumnSql,
    blanked_column,
    build_checked_table,
    column_sql,
)
from pcnmo import settings
from pcnmo.calendar import parse_month
from pcnmo.contracts import CONTRACTS, PATTERN_HELP, RAW_METADATA_COLUMNS, Kind, TableContract
from pcnmo.redaction import redact
from pcnmo.tempfiles import process_temp_dir

_STAGE = "_pcnmo_stage"
_PSEUDONYMS = "_pcnmo_pseudonyms"
# Every table with NHS numbers says whose patient each row is: the practice.
_PRACTICE = "practice_code"
_TEMP_TABLES = (CHECKED_TABLE, BLANKS_TABLE)


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
    values_blanked: int = 0  # bad values of a column that blanks them, in loaded rows


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

    @property
    def values_blanked(self) -> int:
        return sum(f.values_blanked for f in self.files)


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
        self.table = table
        self.month = month
        self.rejections = rejections


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
        codes = ", ".join(sql_text(c) for c in wanted)
        where = f"where practice_sub_icb_location_code in ({codes})"
    rows = conn.execute(
        f"select distinct practice_code from raw_ods.epcn_members {where} order by 1"
    ).fetchall()
    return [r[0] for r in rows]


def _pseudonymise(conn: duckdb.DuckDBPyConnection, column: str, key: bytes) -> None:
    """The pseudonym of every (NHS number, practice) pair passing the checks, as a relation to
    join. A test-range number's pseudonym depends on its practice (nhs_number.pseudonymise)."""
    pairs = conn.execute(
        f"select distinct {column}, {_PRACTICE} from {CHECKED_TABLE} "
        f"where _reason is null and {column} is not null"
    ).fetchall()
    frame = pd.DataFrame(
        {
            "nhs_number": [number for number, _ in pairs],
            "practice_code": [practice for _, practice in pairs],
            "patient_id": [nhs_number.pseudonymise(n, key, p) for n, p in pairs],
        },
        dtype="string",
    )
    conn.register(_PSEUDONYMS, frame)


def _load_file(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    month: dt.date,
    staged: StagedFile,
    key: bytes | None,
    scope: list[str] | None,
    loaded_at: dt.datetime,
) -> FileResult:
    opened, layout = staged.opened, staged.layout
    columns = [
        column_sql(
            c, layout, month, check_future=table.source in ("clinical", "local"), table=table
        )
        for c in table.columns
    ]
    build_checked_table(conn, table, columns, staged.stage)
    check_practices(conn, table, opened.file_name, layout.file_values, CHECKED_TABLE)
    _check_file_dates(conn, table, staged, columns, month)

    nhs_columns = [c.column.name for c in columns if c.column.kind is Kind.NHS_NUMBER]
    select_list = []
    join = ""
    for col in columns:
        if col.column.kind is Kind.NHS_NUMBER:
            select_list.append("p.patient_id")
            join = (
                f"left join {_PSEUDONYMS} as p on p.nhs_number = c.{col.column.name} "
                f"and p.practice_code is not distinct from c.{_PRACTICE}"
            )
        else:
            select_list.append(f"c.{col.column.name}")
    if nhs_columns:
        assert key is not None
        _pseudonymise(conn, nhs_columns[0], key)
    file_name = redact(opened.file_name)
    metadata = (
        f"date '{month.isoformat()}', {sql_text(file_name)}, c._row, "
        f"{sql_text(layout.dialect.name)}, timestamp '{loaded_at.isoformat(sep=' ')}'"
    )
    target_columns = [c.raw_name for c in table.columns] + [m[0] for m in RAW_METADATA_COLUMNS]
    loaded = conn.execute(
        f"insert into {table.qualified_name} ({', '.join(target_columns)}) "
        f"select {', '.join(select_list)}, {metadata} from {CHECKED_TABLE} as c {join} "
        "where c._reason is null"
    ).fetchall()[0][0]
    quarantined = quarantine_failed_rows(conn, table, month, file_name, loaded_at)
    rows_in, out_of_scope = staged.rows_in, staged.rows_out_of_scope
    if rows_in != loaded + quarantined + out_of_scope:
        # Records counted when the file was read against rows counted as they were written, so
        # this can actually catch a row going missing.
        raise RuntimeError(
            f"{file_name}: {rows_in} rows read but {loaded} loaded + {quarantined} "
            f"quarantined + {out_of_scope} out of scope; nothing was written for "
            f"{table.qualified_name} {month:%Y-%m}."
        )
    notes = list(opened.notes)
    if scope is not None and table.scope_column:
        notes.append(f"kept practices in scope ({len(scope)} practices)")
    if staged.rows_never_in_scope and table.never_in_scope:
        what = table.never_in_scope.what
        notes.append(f"{staged.rows_never_in_scope} row(s) of {what} left out of scope")
    values_blanked, blanked_notes = _blanked_values(conn, columns)
    return FileResult(
        file_name,
        layout.dialect.name,
        opened.checksum,
        "loaded",
        rows_in,
        loaded,
        quarantined,
        out_of_scope,
        "; ".join(notes + blanked_notes),
        values_blanked,
    )


def _blanked_values(
    conn: duckdb.DuckDBPyConnection, columns: list[ColumnSql]
) -> tuple[int, list[str]]:
    """Values blanked instead of quarantined in the loaded rows: how many, and a note for each
    column that had any."""
    total, notes = 0, []
    for col in columns:
        if not col.blanked:
            continue
        blanked = blanked_column(col.column)
        count, example = conn.execute(
            f"select count({blanked}), min({blanked}) from {CHECKED_TABLE} where _reason is null"
        ).fetchall()[0]
        if not count:
            continue
        total += count
        what = PATTERN_HELP.get(col.column.kind, "valid")
        note = (
            f"{col.label}: {count} value(s) blanked (not {what}, e.g. '{example}'); "
            "their rows are kept"
        )
        if re.search(r"[0-9]E\+[0-9]", example, flags=re.IGNORECASE):
            # Excel shows a long number to six figures: the rest of the code is gone.
            note += ". A number in E notation was rounded by Excel: download the file again"
        notes.append(note)
    return total, notes


def _check_file_dates(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    staged: StagedFile,
    columns: list[ColumnSql],
    month: dt.date,
) -> None:
    """Dates that only make sense month-first, and a file that is another month's."""
    dialect = staged.layout.dialect
    dates = [
        (c.label, c.value, date_formats(c.column, dialect))
        for c in columns
        if c.present and c.column.kind is Kind.DATE and not c.column.from_file_name
    ]
    reject_month_first_dates(conn, staged.opened.file_name, dates, staged.stage)
    month_column = next(
        (c for c in columns if c.present and c.column.name == MONTH_COLUMNS.get(table.name)),
        None,
    )
    if month_column is not None:
        reject_another_months_file(
            conn,
            staged.opened.file_name,
            month_column.label,
            month_column.column.name,
            CHECKED_TABLE,
            month,
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
    rejections = misnamed_files(table, month_dir) + duplicate_deliveries(table, files)
    if not files and not rejections:
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
    install_macros(conn)
    rejections = _load_files(conn, table, month, files, key, scope, loaded_at, result, rejections)
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
        quarantined = [(f.file_name, f.rows_quarantined) for f in result.files]
        write_quarantine_files(conn, table, month, quarantined, quarantine_dir)
    return result


def _load_files(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    month: dt.date,
    files: list[Path],
    key: bytes | None,
    scope: list[str] | None,
    loaded_at: dt.datetime,
    result: LoadResult,
    rejections: list[FileRejected],
) -> list[FileRejected]:
    """Stage every file, then (if none was rejected, now or before) replace the month in one
    transaction. Returns every rejection; the month is unchanged when there are any."""
    stages = [f"{_STAGE}_{n}" for n in range(len(files))]
    workdir = process_temp_dir(settings.paths().temp, "ingest")
    rejections = list(rejections)
    try:
        # Every file is read (staged) before anything is written, so that a month with
        # several unreadable files names them all at once.
        prepared: list[StagedFile] = []
        for path, stage in zip(files, stages, strict=True):
            try:
                prepared.append(stage_file(conn, table, path, workdir, month, scope, stage))
            except FileRejected as rejection:
                rejections.append(rejection)
        if rejections:
            return rejections
        try:
            with transaction(conn):
                _replace_month(conn, table, month)
                for staged in prepared:
                    file_result = _load_file(conn, table, month, staged, key, scope, loaded_at)
                    _log(conn, table, month, file_result, loaded_at)
                    result.files.append(file_result)
                    _drop_temporary(conn, [staged.stage])
                check_blocking_rules(conn, table, month)
        except FileRejected as rejection:
            rejections.append(rejection)
            result.files.clear()
        return rejections
    finally:
        _drop_temporary(conn, stages)  # after the rollback, if there was one
        shutil.rmtree(workdir, ignore_errors=True)


# Where files no table reads are listed in the ingestion log.
UNCLAIMED_SOURCE, UNCLAIMED_TABLE = "inbox", "unclaimed_files"


def record_unclaimed_files(
    conn: duckdb.DuckDBPyConnection, month: str | dt.date, inbox: Path
) -> list[str]:
    """List in the ingestion log (status 'unclaimed') the month's files that no table reads
    and that look like no table's file (those that do reject that table's month); returns
    their names. Replaces the month's earlier list."""
    month = parse_month(month)
    names = [
        redact(path.name)
        for path in unclaimed_files(inbox / f"{month:%Y-%m}")
        if not any(looks_like_this_table(table, path) for table in CONTRACTS)
    ]
    conn.execute(
        f"delete from {PIPELINE_SCHEMA}.ingestion_log where source = ? and table_name = ? "
        "and month = ?",
        [UNCLAIMED_SOURCE, UNCLAIMED_TABLE, month],
    )
    noted_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    for name in names:
        conn.execute(
            f"insert into {PIPELINE_SCHEMA}.ingestion_log values "
            "(?, ?, ?, ?, null, null, 'unclaimed', 0, 0, 0, 0, ?, ?)",
            [
                UNCLAIMED_SOURCE,
                UNCLAIMED_TABLE,
                month,
                name,
                "no table reads a file of this name, so nothing in it was loaded: rename it "
                "as docs/extracts.md gives (or remove it if it does not belong here)",
                noted_at,
            ],
        )
    return names


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
