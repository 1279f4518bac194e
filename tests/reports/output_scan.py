"""Read outputs back for the tests: every cell of a workbook, every field of a CSV, and the
patterns that must never appear in them."""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl

# Ten digits standing alone (an NHS number, with or without a valid check digit).
NHS_NUMBER_LIKE = re.compile(r"(?<![\d.])\d{10}(?![\d.])|\b\d{3} \d{3} \d{4}\b")
# The loader's pseudonymised patient key: 'P' + 26 capital letters A-P.
PATIENT_KEY = re.compile(r"P[A-P]{26}")


def workbook_cells(path: Path) -> list[tuple[str, str, Any]]:
    """(sheet, coordinate, value) of every non-empty cell of every sheet, hidden ones too."""
    workbook = openpyxl.load_workbook(path)
    return [
        (sheet.title, cell.coordinate, cell.value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def leaks(texts: list[str]) -> list[str]:
    return [t for t in texts if NHS_NUMBER_LIKE.search(t) or PATIENT_KEY.search(t)]


def all_text(path: Path) -> list[str]:
    """Every string an output holds: cells of a workbook (and its raw XML), or CSV lines."""
    if path.suffix == ".csv":
        return path.read_text(encoding="utf-8").splitlines()
    texts = [str(value) for _, _, value in workbook_cells(path)]
    with zipfile.ZipFile(path) as archive:
        texts += [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]
    return texts


def sheet_xml(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        return {
            name: archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.startswith("xl/worksheets/sheet")
        }
