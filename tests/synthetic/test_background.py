"""Clinical extracts written by forked children (`synthetic.background`): what they write is
counted in the summary as if written here, and a child's failure fails the generation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from synthetic.background import BackgroundWriters
from synthetic.config import GenerationSummary


def _write(folder: Path, name: str, rows: int, summary: GenerationSummary) -> None:
    (folder / name).write_text("x\n" * rows)
    summary.add_rows("clinical.events", rows)
    summary.add_bad_row(name, "exact duplicate row")


def _fail(name: str, summary: GenerationSummary) -> None:
    raise ValueError(f"no room for {name}")


def test_what_children_write_is_summarised_as_if_written_here(tmp_path: Path) -> None:
    summary = GenerationSummary(inbox=str(tmp_path), months=["2026-09"])
    summary.add_rows("clinical.events", 5)
    writers = BackgroundWriters(summary)
    for n in range(3):  # on two cores, the third waits for a turn
        writers.submit(_write, tmp_path, f"f{n}.csv", 10 + n)
    writers.finish()

    assert sorted(p.name for p in tmp_path.iterdir()) == ["f0.csv", "f1.csv", "f2.csv"]
    assert summary.files == 4
    assert summary.rows == {"clinical.events": 5 + 10 + 11 + 12}
    assert summary.bad_rows == {f"f{n}.csv": {"exact duplicate row": 1} for n in range(3)}


def test_a_child_that_fails_fails_the_generation(tmp_path: Path) -> None:
    writers = BackgroundWriters(GenerationSummary(inbox=str(tmp_path), months=[]))
    writers.submit(_fail, "EMIS_A12345_events_202609.csv")
    with pytest.raises(RuntimeError, match=re.escape("no room for EMIS_A12345_events_202609.csv")):
        writers.finish()
