"""Row numbers from a parallel scan: a national-size file is read by several threads at once,
and every row loaded or quarantined must still carry its row in the file.

The file here (120,000 rows, about 11 MB) is large enough for DuckDB to read it in parallel
chunks on two threads, which hand rows back out of file order unless the loader keeps it.
Expected numbers are worked out while writing the file, not by the loader, for many rows in
scope or few, with an empty line or a line break inside a quoted value (lines that are not
records) or neither.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.duckdb_io import connect, ensure_schema
from ingestion.load import load_month
from pcnmo.contracts import EPCN_MEMBERS, EPD
from tests.ingestion.conftest import (
    KEY,
    MONTH,
    assert_log_adds_up,
    epd_row,
    headers,
    quarantine_rows,
    query,
    write_two_sub_icb_membership,
)

ROWS = 120_000
IN_SCOPE = ("L84018", "L84073")
MANY_IN_SCOPE = ("L84018", "B85010", "Y99999", "L84073", "B85010")  # two in five
# One row in fifty in scope.
FEW_IN_SCOPE = ("L84018", *["B85010"] * 24, "L84073", *["Y99999"] * 24)


def write_numbered_epd(
    path: Path, practices: tuple[str, ...], oddity: str, year_month: str = "202609"
) -> tuple[dict, set, int]:
    """The EPD month, with a row of nothing but commas in the middle, and the `oddity` (an
    empty line, or a line break inside a quoted practice name) just before it. Returns the
    row number of each row loaded (-> practice), the rows quarantined, and the rows out of
    scope."""
    columns = [name for name, _ in headers(EPD, "epd")]
    lines = [",".join(header for _, header in headers(EPD, "epd"))]
    number = 1  # the header is row 1; a row on two lines (a quoted line break) is one row
    loaded: dict[int, str] = {}
    quarantined: set[int] = set()
    out_of_scope = 0
    for i in range(ROWS):
        if i == ROWS // 2:
            if oddity == "empty line":
                lines.append("")  # an empty line still counts towards the numbering
                number += 1
            lines.append("," * (len(columns) - 1))  # not a row at all
            number += 1
        practice = practices[(i * 7 + i // 13) % len(practices)]
        cost = "x" if i % 997 == 17 else f"{i % 500}.25"
        row = epd_row(practice, "0407010H0AAAMAM", 1 + i % 9, cost, year_month=year_month)
        if oddity == "quoted line break" and i == ROWS // 3:
            practice = "B85010"
            row = epd_row(
                practice,
                "0407010H0AAAMAM",
                1,
                "1.00",
                practice_name='"TWO\nLINES"',
                year_month=year_month,
            )
        lines += ",".join(str(row.get(c, "")) for c in columns).split("\n")
        number += 1
        if practice not in IN_SCOPE:
            out_of_scope += 1
        elif cost == "x":
            quarantined.add(number)
        else:
            loaded[number] = practice
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return loaded, quarantined, out_of_scope


@pytest.mark.parametrize(
    ("practices", "oddity"),
    [
        (MANY_IN_SCOPE, "empty line"),
        (FEW_IN_SCOPE, "none"),
        (FEW_IN_SCOPE, "quoted line break"),
    ],
)
@pytest.mark.parametrize("threads", ["1", "2"])
def test_a_file_read_in_parallel_keeps_every_row_number(
    monkeypatch, tmp_path, threads, practices, oddity
):
    monkeypatch.setenv("PCNMO_THREADS", threads)
    inbox = tmp_path / "inbox"
    month_dir = inbox / MONTH
    write_two_sub_icb_membership(month_dir)
    loaded, quarantined, out_of_scope = write_numbered_epd(
        month_dir / "epd_202609.csv", practices, oddity
    )
    conn = connect(tmp_path / "warehouse.duckdb")
    ensure_schema(conn)
    load_month(conn, EPCN_MEMBERS, MONTH, inbox, key=KEY)

    result = load_month(conn, EPD, MONTH, inbox, key=KEY, sub_icb_scope=["11M"])

    assert result.rows_in == ROWS
    assert result.rows_loaded == len(loaded)
    assert result.rows_quarantined == len(quarantined) > 0
    assert result.rows_out_of_scope == out_of_scope
    rows = query(conn, "select _source_row, practice_code from raw_nhsbsa.epd")
    assert {r["_source_row"]: r["practice_code"] for r in rows} == loaded
    assert {q["row_number"] for q in quarantine_rows(conn, EPD)} == quarantined
    assert_log_adds_up(conn)
    conn.close()
