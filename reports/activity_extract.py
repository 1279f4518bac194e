"""The monthly SNOMED-coded activity extract of one PCN (a DES evidence item): per practice,
the events and patients coded with each SNOMED concept for structured medication reviews,
high-risk drug monitoring reviews, medicines reconciliations and deprescribing actions, from
marts.fct_coded_activity_monthly. It leaves the PCN, so both counts go through
`reports.suppression` (0 stays 0, 1-7 suppressed, others to the nearest 5). As in the ICB
return's CSV, the count columns hold only numbers: a suppressed count is empty and its
`..._suppressed` column says so, so a machine reading the file never meets a '*' in a number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import duckdb

from reports import warehouse as wh
from reports.atomic import write_text_atomically
from reports.suppression import SUPPRESSED, shown_text, suppress_count

COLUMNS = (
    "pcn_code",
    "practice_code",
    "month",
    "activity",
    "snomed_code",
    "snomed_term",
    "event_count",
    "event_count_suppressed",
    "patient_count",
    "patient_count_suppressed",
)


def _count_and_flag(count: int) -> tuple[str, str]:
    shown = suppress_count(count)
    if shown == SUPPRESSED:
        return "", "true"
    return shown_text(shown), "false"


def build_activity_extract(
    conn: duckdb.DuckDBPyConnection, pcn_code: str, month: dt.date, output: Path
) -> Path:
    """Write the PCN's extract for `month` (its first day) to `output` (CSV), atomically."""
    month = month.replace(day=1)
    rows = wh.records(
        conn,
        """
        select pcn_code, practice_code, month_start_date, activity, snomed_code,
            snomed_term, event_count, patient_count
        from marts.fct_coded_activity_monthly
        where pcn_code = ? and month_start_date = ?
        order by practice_code, activity, snomed_code
        """,
        [pcn_code, month],
    )
    output_text = io.StringIO()
    writer = csv.writer(output_text, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row["pcn_code"],
                row["practice_code"],
                f"{row['month_start_date']:%Y-%m}",
                row["activity"],
                row["snomed_code"],
                row["snomed_term"],
                *_count_and_flag(row["event_count"]),
                *_count_and_flag(row["patient_count"]),
            ]
        )
    return write_text_atomically(output, output_text.getvalue())
