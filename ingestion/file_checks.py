"""Mistakes that make a whole file wrong, caught as a file: never loaded as if valid, never
silently ignored.

- a file no contract claims, but which looks like one of this table's (`... (1).csv`, `Copy
  of ...`, a space for an underscore): rejected by name, with the name it should have;
- two files for one table, practice (or PCN) and month, in any spelling or from either
  clinical system: both rejected, or the month would count everything twice;
- a header that appears twice: which column is meant is ambiguous;
- a practice that neither the ePCN membership nor epraccur knows, and a local log naming
  practices outside the PCN its file name gives;
- a file whose dates (or month column) belong to another month: "this looks like YYYY-MM's
  file";
- a date column whose values only make sense with day and month swapped (US order).

Each check raises (or returns) `FileRejected` with what is wrong and what to do.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from pathlib import Path

import duckdb

from ingestion.duckdb_io import sql_text
from ingestion.header_cells import normalise_header
from ingestion.inbox import FileRejected, OpenedFile
from pcnmo.contracts import CONTRACTS, PATTERNS, Column, Dialect, Kind, TableContract

SHOWN_ROWS = 5
MIN_DATED_ROWS = 5

# The column whose dates say which month a per-month file is for.
MONTH_COLUMNS = {
    "events": "event_date",
    "medication_issues": "issue_date",
    "discharges": "document_received_date",
    "epd": "year_month",
    "gp_list_sizes": "extract_date",
}


# ---------------------------------------------------------------------------------------------
# Files in the month folder
# ---------------------------------------------------------------------------------------------


def claimed(path: Path) -> bool:
    """Some table reads this file (its name and extension match one of its dialects)."""
    return any(
        path.suffix.lower().lstrip(".") in table.formats
        and any(d.match(path.name) for d in table.dialects)
        for table in CONTRACTS
    )


def unclaimed_files(month_dir: Path) -> list[Path]:
    """Files in the month folder that no table reads (hidden files aside), in name order."""
    if not month_dir.is_dir():
        return []
    return sorted(
        p
        for p in month_dir.iterdir()
        if p.is_file() and not p.name.startswith(".") and not claimed(p)
    )


def _cleaned_names(name: str, formats: tuple[str, ...]) -> list[str]:
    """What a misnamed file was probably meant to be called, in the table's own formats."""
    stem, _, extension = name.rpartition(".")
    if not stem:
        stem, extension = name, ""
    stem = re.sub(r"^(copy of|copy_of)\s*", "", stem, flags=re.IGNORECASE)
    stem = re.sub(r"\s*(-\s*copy|_copy|\(\s*copy\s*\)|\(\d+\)|\[\d+\])\s*$", "", stem, flags=re.I)
    stem = re.sub(r"\.(csv|xlsx|xls|txt)$", "", stem.strip(), flags=re.IGNORECASE)
    stem = re.sub(r"([0-9]{4})[-_ ]([0-9]{2})$", r"\1\2", stem)
    # Spaces for underscores, and (for names spelt with underscores) hyphens too.
    stems = dict.fromkeys([re.sub(r"\s+", "_", stem), re.sub(r"[\s-]+", "_", stem)])
    extensions = [extension.lower()] if extension.lower() in formats else list(formats)
    return [f"{s}.{ext}" for s in stems for ext in extensions]


def looks_like_this_table(table: TableContract, path: Path) -> str | None:
    """The name an unclaimed file would be read under as one of `table`'s files, if any."""
    for candidate in _cleaned_names(path.name, table.formats):
        if any(d.match(candidate) for d in table.dialects):
            return candidate
    return None


def misnamed_files(table: TableContract, month_dir: Path) -> list[FileRejected]:
    """Unclaimed files in the month folder that look like this table's."""
    rejections = []
    for path in unclaimed_files(month_dir):
        meant = looks_like_this_table(table, path)
        if meant:
            rejections.append(
                FileRejected(
                    path.name,
                    f"looks like a {table.qualified_name} file but is not named as one, so it "
                    f"would not be read: rename it to '{meant}' (if a file of that name is "
                    "there too, keep only the right one).",
                )
            )
    return rejections


def _delivery(table: TableContract, path: Path) -> str:
    """Who a file is from: its practice or PCN (from the name), or the table for one-a-month
    public files."""
    for dialect in table.dialects:
        match = dialect.match(path.name)
        if match:
            groups = match.groupdict()
            for group in ("practice", "pcn"):
                if groups.get(group):
                    return f"{group} {groups[group].upper()}"
    return "the month"


def duplicate_deliveries(table: TableContract, files: list[Path]) -> list[FileRejected]:
    """Two or more files for one table, practice or PCN, and month: all of them rejected."""
    by_delivery: dict[str, list[Path]] = defaultdict(list)
    for path in files:
        by_delivery[_delivery(table, path)].append(path)
    rejections = []
    for delivery, paths in sorted(by_delivery.items()):
        if len(paths) < 2:
            continue
        names = ", ".join(p.name for p in paths)
        who = "" if delivery == "the month" else f" of {delivery}"
        rejections.append(
            FileRejected(
                names,
                f"are {len(paths)} files for one month of {table.qualified_name}{who}: loading "
                "them all would count the month twice. Keep the one you want in the inbox (the "
                "latest extract, from the system the practice uses now) and remove the others.",
            )
        )
    return rejections


# ---------------------------------------------------------------------------------------------
# The header row
# ---------------------------------------------------------------------------------------------


def reject_duplicated_headers(table: TableContract, opened: OpenedFile, dialect: str) -> None:
    """A column name the table reads that appears twice: which column is meant is ambiguous."""
    if opened.header is None:
        return
    wanted = {normalise_header(h) for c in table.columns if (h := c.header(dialect)) is not None}
    places: dict[str, list[int]] = defaultdict(list)
    for number, cell in enumerate(opened.header, start=1):
        if normalise_header(cell) in wanted:
            places[normalise_header(cell)].append(number)
    repeated = {h: n for h, n in places.items() if len(n) > 1}
    if repeated:
        shown = "; ".join(
            f"{opened.header[numbers[0] - 1]!r} in columns {', '.join(map(str, numbers))}"
            for numbers in repeated.values()
        )
        raise FileRejected(
            opened.file_name,
            f"has the same column name more than once ({shown}), so which column is meant is "
            "ambiguous. Remove or rename the extra column and put the file back.",
        )


# ---------------------------------------------------------------------------------------------
# Practices
# ---------------------------------------------------------------------------------------------


def _table_rows(conn: duckdb.DuckDBPyConnection, qualified_name: str) -> int:
    schema, name = qualified_name.split(".")
    exists = conn.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()[0][0]
    if not exists:
        return 0
    return conn.execute(f"select count(*) from {qualified_name}").fetchall()[0][0]


def known_practices(conn: duckdb.DuckDBPyConnection) -> set[str] | None:
    """Practice codes in the ePCN membership or epraccur loaded so far (None: neither is)."""
    sources = [
        ("raw_ods.epcn_members", "practice_code"),
        ("raw_ods.epraccur", "organisation_code"),
    ]
    loaded = [(t, c) for t, c in sources if _table_rows(conn, t)]
    if not loaded:
        return None
    union = " union ".join(f"select upper({c}) from {t}" for t, c in loaded)
    return {row[0] for row in conn.execute(union).fetchall()}


def pcn_practices(conn: duckdb.DuckDBPyConnection, pcn_code: str) -> set[str] | None:
    """Practices the ePCN membership loaded so far puts in the PCN, at any time (None: no
    membership is loaded)."""
    if not _table_rows(conn, "raw_ods.epcn_members"):
        return None
    rows = conn.execute(
        "select distinct upper(practice_code) from raw_ods.epcn_members where upper(pcn_code) = ?",
        [pcn_code.upper()],
    ).fetchall()
    return {row[0] for row in rows}


def check_practices(
    conn: duckdb.DuckDBPyConnection,
    table: TableContract,
    file_name: str,
    file_values: dict[str, str],
    checked_table: str,
) -> None:
    """A clinical file from a practice nobody knows, or a local log naming practices outside
    its PCN, is rejected: its rows would be filed under an organisation that does not exist,
    or under another PCN's figures. Nothing to check against before ODS data is loaded."""
    practice = file_values.get("practice_code")
    if practice is not None:
        known = known_practices(conn)
        if known is not None and practice not in known:
            raise FileRejected(
                file_name,
                f"is named for practice {practice}, which neither the ePCN membership nor "
                "epraccur loaded so far knows. Check the practice code in the file name (the ODS "
                "code of the practice that ran the search) against ODS.",
            )
    pcn = file_values.get("pcn_code")
    practice_columns = [c.name for c in table.columns if c.kind is Kind.PRACTICE_CODE]
    if pcn is None or not practice_columns:
        return
    members = pcn_practices(conn, pcn)
    if members is None:
        return
    if not members:
        raise FileRejected(
            file_name,
            f"is named for PCN {pcn}, which the ePCN membership loaded so far does not know. "
            "Check the PCN code in the file name.",
        )
    outside = conn.execute(
        " union all ".join(
            f"select _row, {sql_column} as practice from {checked_table} "
            f"where regexp_full_match({sql_column}, {sql_text(PATTERNS[Kind.PRACTICE_CODE])}) "
            f"and {sql_column} not in (select unnest(?::varchar[]))"
            for sql_column in practice_columns
        )
        + f" order by _row limit {SHOWN_ROWS + 1}",
        [sorted(members)] * len(practice_columns),
    ).fetchall()
    if outside:
        shown = ", ".join(f"row {row}: {practice}" for row, practice in outside[:SHOWN_ROWS])
        raise FileRejected(
            file_name,
            f"names practices that are not in PCN {pcn} (from the file name) in the ePCN "
            f"membership ({shown}{', ...' if len(outside) > SHOWN_ROWS else ''}). A PCN's log "
            "holds its own practices only: correct the practice codes, or send the rows to the "
            "right PCN's log.",
        )


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------


def _swapped(date_format: str) -> str | None:
    """The format with day and month swapped, where both are numbers (`%d/%m/%Y`)."""
    if "%d" in date_format and "%m" in date_format:
        return date_format.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    return None


def _parsed(value: str, formats: list[str]) -> str:
    tries = ", ".join(f"try_strptime({value}, '{f}')" for f in formats)
    return f"cast(coalesce({tries}) as date)" if formats else "cast(null as date)"


def reject_month_first_dates(
    conn: duckdb.DuckDBPyConnection,
    file_name: str,
    columns: list[tuple[str, str, tuple[str, ...]]],
    stage: str,
) -> None:
    """A date column whose values only make sense with day and month swapped: some are valid
    only month-first (09/14/2026) and none only day-first (14/09/2026). `columns` are (label,
    value expression over the staged fields, date formats)."""
    checked = [
        (label, value, _parsed(value, list(formats)), _parsed(value, swapped))
        for label, value, formats in columns
        if (swapped := [s for f in formats if (s := _swapped(f))])
    ]
    if not checked:
        return
    # One scan of the file for every date column, reading a value the other way round only
    # where it is no date as written (a clean file has none: the scan costs one parse a value).
    aggregates = ", ".join(
        f"count(*) filter (where {value} is not null and {as_written} is null "
        f"and {other_way} is not null), "
        f"(list(_row order by _row) filter (where {value} is not null and {as_written} is null "
        f"and {other_way} is not null))[1:{SHOWN_ROWS}]"
        for _, value, as_written, other_way in checked
    )
    [found] = conn.execute(f"select {aggregates} from {stage}").fetchall()
    suspects = [
        (label, value, as_written, other_way, found[2 * n], found[2 * n + 1])
        for n, (label, value, as_written, other_way) in enumerate(checked)
        if found[2 * n]
    ]
    if not suspects:
        return
    # Only now: is any value a date only as written (14/09/2026)? Then the file is day first.
    day_first = ", ".join(
        f"count(*) filter (where {value} is not null and {as_written} is not null "
        f"and {other_way} is null)"
        for _, value, as_written, other_way, _, _ in suspects
    )
    [only_as_written] = conn.execute(f"select {day_first} from {stage}").fetchall()
    for (label, _, _, _, only_swapped, examples), day_first_values in zip(
        suspects, only_as_written, strict=True
    ):
        if not day_first_values:
            shown = ", ".join(str(r) for r in examples)
            raise FileRejected(
                file_name,
                f"has {label} dates that only make sense month first (US order): {only_swapped} "
                f"value(s) are not dates as day/month but are as month/day (rows {shown}), and "
                "none is the other way round. Export the dates day first (dd/mm/yyyy) and put "
                "the file back.",
            )


def reject_another_months_file(
    conn: duckdb.DuckDBPyConnection,
    file_name: str,
    label: str,
    typed: str,
    checked_table: str,
    month: dt.date,
) -> None:
    """Most of the file's month-column dates fall in one other month: it is that month's file
    (last month's re-sent under this month's name, say)."""
    rows = conn.execute(
        f"select cast(date_trunc('month', {typed}) as date) as month, count(*) "
        f"from {checked_table} where {typed} is not null group by all order by 2 desc, 1"
    ).fetchall()
    dated = sum(n for _, n in rows)
    in_month = sum(n for m, n in rows if m == month)
    # A file of the month has most of its dates in it; a few rows from earlier months (a
    # re-delivered issue) are normal, and a handful of rows says too little to reject on.
    if dated < MIN_DATED_ROWS or in_month * 20 > dated:
        return
    other, most = rows[0]
    if other == month or most * 2 <= dated:
        return
    raise FileRejected(
        file_name,
        f"this looks like {other:%Y-%m}'s file, not {month:%Y-%m}'s: {most} of its {dated} "
        f"{label} values are in {other:%Y-%m} and {in_month} in {month:%Y-%m}. Put it in the "
        f"{other:%Y-%m} folder, and put the {month:%Y-%m} extract here.",
    )


def date_formats(column: Column, dialect: Dialect) -> tuple[str, ...]:
    """The spellings a date column is read in (the column's own, else its dialect's)."""
    return column.date_formats or dialect.date_formats
