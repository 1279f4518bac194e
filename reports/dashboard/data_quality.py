"""The Data quality sheet: the state of the data for the month the workbook describes.

Everything on it is about that month, whatever months the last run happened to re-ingest:
checks (the caller passes, per check, its latest result for the month's partition, or the
latest result of a check that is not partitioned by month: dbt tests, mart suites), the rows
loaded and quarantined from the month's files, why rows were quarantined (values masked), how
far behind the month each source's deliveries are, and the month's missing or rejected files.
Failing checks, and checks with no result for the month, are listed with their detail (passed
ones are counted by layer); no absolute path reaches the sheet.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from reports import warehouse as wh
from reports.layout import formatted_text, text_pixels, width_for_pixels
from reports.names import LOAD_STATUSES, readable, source_table, words
from reports.xlsx import FONT_SIZE, UK_DATETIME, Sheet, add_status_rules, print_on_a4_landscape

NO_DETAIL = "The check recorded no detail; open it in the Dagster UI."
NO_RESULT = "No result for this month"
CHECK_HEADERS = ["Asset", "Check", "Result", "Severity", "Month", "Evaluated at", "Detail"]
DETAIL_WIDTH = 60
EVALUATED_AT_COLUMN = CHECK_HEADERS.index("Evaluated at")
# When a check was evaluated is the one thing on the sheet that differs between two runs over
# the same data, so its column is as wide as any date and time can be (the longest day, the
# widest month name), never as wide as this run's happen to be: the same data lays the sheet
# out the same way.
EVALUATED_AT_WIDTH = max(
    width_for_pixels(
        text_pixels(formatted_text(dt.datetime(2000, month, 28, 23, 59), UK_DATETIME), FONT_SIZE)
    )
    for month in range(1, 13)
)


def _result(check: dict[str, Any]) -> str:
    if check.get("passed") is None:
        return NO_RESULT
    return "Passed" if check["passed"] else "Failed"


def _write_checks(sheet: Sheet, first_row: int, checks: list[dict[str, Any]]) -> int:
    formats = sheet.formats
    ordered = sorted(
        checks,
        key=lambda c: (
            c.get("passed") is not False,
            str(c.get("asset", "")),
            str(c.get("check", "")),
        ),
    )
    end = sheet.table(
        first_row,
        CHECK_HEADERS,
        [
            [
                c.get("asset"),
                c.get("check"),
                _result(c),
                str(c.get("severity") or "").capitalize(),
                c.get("partition") or "all months",
                c.get("evaluated_at"),
                readable(c.get("description")) or ("" if c.get("passed") else NO_DETAIL),
            ]
            for c in ordered
        ],
        [
            formats.wrap,
            formats.wrap,
            formats.text,
            formats.text,
            formats.text,
            formats.datetime,
            formats.wrap,
        ],
    )
    add_status_rules(sheet.worksheet, f"C{first_row + 2}:C{max(end, first_row + 2)}", formats)
    return end


def write_data_quality_sheet(
    sheet: Sheet, conn: duckdb.DuckDBPyConnection, month: dt.date, checks: list[dict[str, Any]]
) -> None:
    formats = sheet.formats
    last_col = len(CHECK_HEADERS) - 1
    sheet.merge(0, 0, 0, last_col, f"Data quality, {month:%B %Y}", formats.title)
    failed = [c for c in checks if c.get("passed") is False]
    without = [c for c in checks if c.get("passed") is None]
    summary = (
        f"{len(checks)} checks: {len(failed)} failing, {len(without)} without a result for "
        f"{month:%B %Y}. Each check's latest result for this month (checks on every month "
        "together, such as dbt tests: their latest result)."
    )
    sheet.merge(1, 0, 1, last_col, summary, formats.subtitle)
    row = 3
    sheet.merge(row, 0, row, last_col, "Checks by layer", formats.section)
    layers: dict[str, list[int]] = {}
    for c in checks:
        counts = layers.setdefault(str(c.get("asset", "")).split("/")[0], [0, 0, 0])
        counts[0 if c.get("passed") else 1 if c.get("passed") is False else 2] += 1
    row = sheet.table(
        row + 1,
        ["Layer or source", "Passed", "Failed", "No result"],
        [[layer, *counts] for layer, counts in sorted(layers.items())],
        [formats.text, formats.integer, formats.integer, formats.integer],
    )
    row += 1
    sheet.merge(row, 0, row, last_col, "Failing checks", formats.section)
    row = _write_checks(sheet, row + 1, failed)
    if not failed:
        sheet.merge(
            row,
            0,
            row,
            last_col,
            "Every check passed." if checks else "No check results.",
            formats.note,
        )
        row += 1

    row += 1
    sheet.merge(
        row,
        0,
        row,
        last_col,
        f"Rows loaded and quarantined per source table, {month:%B %Y}",
        formats.section,
    )
    loads = wh.records(
        conn,
        """
        select source, table_name,
            count(*) filter (where status = 'loaded') as files_loaded,
            count(*) filter (where status = 'missing') as files_missing,
            count(*) filter (where status = 'rejected') as files_rejected,
            sum(rows_in) as rows_in, sum(rows_loaded) as rows_loaded,
            sum(rows_quarantined) as rows_quarantined, sum(rows_out_of_scope) as rows_out_of_scope
        from pipeline.ingestion_log
        where month = ?
        group by all order by 1, 2
        """,
        [month],
    )
    row = sheet.table(
        row + 1,
        [
            "Source table",
            "Files loaded",
            "Files missing",
            "Files rejected",
            "Rows in",
            "Rows loaded",
            "Rows quarantined",
            "Out of scope",
        ],
        [[source_table(r["source"], r["table_name"]), *list(r.values())[2:]] for r in loads],
        [formats.wrap, *([formats.integer] * 7)],
    )
    reasons = wh.records(
        conn,
        """
        select source, table_name,
            regexp_replace(reason, '''[^'']*''', '''...''', 'g') as reason,
            count(*) as rows_quarantined
        from pipeline.quarantine
        where month = ?
        group by all order by 1, 2, 4 desc, 3
        """,
        [month],
    )
    row += 1
    sheet.merge(
        row,
        0,
        row,
        last_col,
        f"Why rows were quarantined, {month:%B %Y} (values masked)",
        formats.section,
    )
    row = sheet.table(
        row + 1,
        ["Source table", "Reason", "Rows"],
        [
            [
                source_table(r["source"], r["table_name"]),
                readable(r["reason"]),
                r["rows_quarantined"],
            ]
            for r in reasons
        ],
        [formats.wrap, formats.wrap, formats.integer],
    )

    row += 1
    sheet.merge(
        row, 0, row, last_col, f"Deliveries of every source up to {month:%B %Y}", formats.section
    )
    freshness = wh.records(
        conn,
        """
        select source, table_name,
            max(month) filter (where status = 'loaded') as latest_month_loaded,
            date_diff('month', max(month) filter (where status = 'loaded'), ?::date)
                as months_behind
        from pipeline.ingestion_log
        where month <= ?
        group by all order by 1, 2
        """,
        [month, month],
    )
    row = sheet.table(
        row + 1,
        ["Source table", "Latest month loaded", "Months behind this report"],
        [
            [
                source_table(r["source"], r["table_name"]),
                r["latest_month_loaded"],
                r["months_behind"],
            ]
            for r in freshness
        ],
        [formats.wrap, formats.month, formats.integer],
    )

    row += 1
    sheet.merge(row, 0, row, last_col, f"Files missing or rejected, {month:%B %Y}", formats.section)
    missing = wh.records(
        conn,
        """
        select source, table_name, file_name, status, message
        from pipeline.ingestion_log
        where month = ? and status <> 'loaded'
        order by 1, 2, 3
        """,
        [month],
    )
    # The message spans the columns the checks' severity to detail use, so it wraps wide.
    sheet.write_row(row + 1, 0, ["Source table", "File", "Status"], [formats.header] * 3)
    sheet.merge(row + 1, 3, row + 1, last_col, "Message", formats.header)
    end = row + 2
    for r in missing:
        sheet.write_row(
            end,
            0,
            [
                source_table(r["source"], r["table_name"]),
                readable(r["file_name"]),
                words(LOAD_STATUSES, r["status"]),
            ],
            [formats.wrap, formats.wrap, formats.text],
        )
        sheet.merge(end, 3, end, last_col, readable(r["message"]), formats.wrap)
        end += 1
    add_status_rules(sheet.worksheet, f"C{row + 3}:C{max(end, row + 3)}", formats)
    if not missing:
        sheet.merge(end, 0, end, last_col, "Every expected file arrived.", formats.note)
        end += 1
    end += 1
    # Passed checks are counted by layer above (hundreds of dbt tests would fill fifty pages);
    # the Dagster UI lists each one.
    without_result = [c for c in checks if c.get("passed") is None]
    sheet.merge(
        end, 0, end, last_col, f"Checks without a result for {month:%B %Y}", formats.section
    )
    end = _write_checks(sheet, end + 1, without_result)
    if not without_result:
        sheet.merge(end, 0, end, last_col, "Every check has a result for this month.", formats.note)
    sheet.cap_width(0, 28)
    sheet.cap_width(1, 34)
    sheet.cap_width(3, 14)
    sheet.cap_width(4, 12)
    sheet.set_width(EVALUATED_AT_COLUMN, EVALUATED_AT_WIDTH)
    sheet.cap_width(last_col, DETAIL_WIDTH)
    print_on_a4_landscape(sheet.worksheet)
    sheet.worksheet.repeat_rows(0)
