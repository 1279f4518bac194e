"""The synthetic generator: deterministic, contract-shaped, realistic, and broken on purpose.

Checks read the files back with the csv module and the contracts' own patterns and date
formats, not with the generator's code, so they test what a loader will actually see.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from ingestion.nhs_number import is_valid, normalise
from pcnmo.contracts import CONTRACTS, EPD, PATTERNS, Kind, TableContract
from synthetic import GenerationSummary, SyntheticConfig, generate, write_national_epd
from synthetic.public import EPD_LEGACY_LAYOUT

TINY = SyntheticConfig(seed=7, patients=2000, practices=2, months=3, pcns=3)
CLINICAL = ("patients", "events", "medication_issues", "discharges")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationSummary]:
    inbox = tmp_path_factory.mktemp("inbox")
    return inbox, generate(inbox, TINY)


def _files(inbox: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(inbox)): p.read_bytes() for p in sorted(inbox.rglob("*")) if p.is_file()
    }


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _match(name: str) -> list[tuple[TableContract, str]]:
    return [
        (table, dialect.name)
        for table in CONTRACTS
        for dialect in table.dialects
        if dialect.match(name)
    ]


def _clinical_table(path: Path) -> tuple[TableContract, str]:
    (table, dialect), *_ = [m for m in _match(path.name) if m[0].source == "clinical"]
    return table, dialect


def test_same_seed_gives_byte_identical_files(tiny, tmp_path: Path) -> None:
    inbox, _ = tiny
    generate(tmp_path, TINY)
    first, second = _files(inbox), _files(tmp_path)
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


def test_every_file_is_named_and_headed_as_its_contract_says(tiny) -> None:
    inbox, _ = tiny
    months = sorted(p.name for p in inbox.iterdir())
    assert months == ["2025-04", "2025-05", "2025-06"]
    for path in inbox.rglob("*.*"):
        matches = _match(path.name)
        assert matches, f"{path.name} matches no contract file pattern"
        for table, dialect in matches:
            expected = [h for c in table.columns if (h := c.header(dialect)) is not None]
            if path.suffix == ".xlsx":
                sheet = openpyxl.load_workbook(path, read_only=True)[table.sheet or table.name]
                header = next(sheet.iter_rows(max_row=1, values_only=True))
                header = [" ".join(str(h).split()) for h in header]
            elif table.headerless:
                assert {len(row) for row in _rows(path)} == {27}
                continue
            else:
                header = _rows(path)[0]
            if table.name == "epd" and not set(expected) <= set(header):
                continue  # EPD_SNOMED_ files also match the looser SNOMED-layout pattern
            assert set(expected) <= set(header), (path.name, set(expected) - set(header))
            if table.source in ("clinical", "local"):
                assert header == expected, path.name


def test_each_month_has_every_public_file_and_clinical_extract(tiny) -> None:
    inbox, _ = tiny
    for folder in inbox.iterdir():
        names = {p.name for p in folder.iterdir()}
        assert {"gp-reg-pat-prac-quin-age.csv", "ePCN.xlsx", "epraccur.csv"} <= names
        assert any(re.fullmatch(r"EPD_(SNOMED_)?[0-9]{6}\.csv", n) for n in names)
        for entity in CLINICAL:
            prefixes = {n.split("_")[0] for n in names if re.search(rf"_{entity}_[0-9]{{6}}", n)}
            assert prefixes == {"EMIS", "S1"}


def _patients(inbox: Path, month: str) -> list[dict[str, str]]:
    records = []
    for path in sorted((inbox / month).glob("*_patients_*.csv")):
        table, dialect = _clinical_table(path)
        fmt = table.dialect(dialect).date_formats[0]
        header, *rows = _rows(path)
        for row in rows:
            record = dict(zip([table_col(table, dialect, h) for h in header], row, strict=True))
            record["_format"] = fmt
            records.append(record)
    return records


def table_col(table: TableContract, dialect: str, header: str) -> str:
    return next(c.name for c in table.columns if c.header(dialect) == header)


def test_nhs_numbers_are_valid_test_numbers_except_the_injected_ones(tiny) -> None:
    inbox, summary = tiny
    broken = 0
    spaced = 0
    for path in inbox.rglob("*_patients_*.csv"):
        table, dialect = _clinical_table(path)
        header, *rows = _rows(path)
        column = header.index(table.column("nhs_number").header(dialect))
        for row in rows:
            number = row[column]
            spaced += " " in number
            assert normalise(number).startswith("999")
            broken += not is_valid(number)
    expected = sum(
        reasons.get("NHS number fails modulus 11", 0)
        for name, reasons in summary.bad_rows.items()
        if "_patients_" in name
    )
    assert broken == expected == 1
    assert spaced > 0


def _age(dob: str, fmt: str, on: date) -> int:
    born = datetime.strptime(dob, fmt).date()
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def test_population_shape_is_plausible(tiny) -> None:
    inbox, _ = tiny
    on = date(2025, 6, 30)
    patients = [
        p
        for p in _patients(inbox, "2025-06")
        if not p["deregistration_date"] and not p["date_of_death"]
    ]
    ages = {
        normalise(p["nhs_number"]): _age(p["date_of_birth"], p["_format"], on) for p in patients
    }
    over_65 = sum(a >= 65 for a in ages.values()) / len(ages)
    assert 0.13 < over_65 < 0.25

    repeats: dict[str, set[str]] = {}
    for path in inbox.rglob("*_medication_issues_*.csv"):
        table, dialect = _clinical_table(path)
        header, *rows = _rows(path)
        who = header.index(table.column("nhs_number").header(dialect))
        drug = header.index(table.column("dmd_code").header(dialect))
        kind = header.index(table.column("issue_type").header(dialect))
        for row in rows:
            if row[kind] not in ("Acute", "A"):
                repeats.setdefault(normalise(row[who]), set()).add(row[drug])

    def ten_plus(low: int, high: int) -> float:
        group = [n for n, a in ages.items() if low <= a <= high]
        return sum(len(repeats.get(n, ())) >= 10 for n in group) / len(group)

    assert ten_plus(18, 64) < 0.02
    assert 0.04 < ten_plus(65, 120) < 0.25
    assert ten_plus(75, 120) > ten_plus(65, 74)


def _defects(path: Path) -> Counter[str]:
    """Rows a contract-driven loader must quarantine, found independently of the generator."""
    table, dialect = _clinical_table(path)
    fmt = table.dialect(dialect).date_formats[0]
    header, *rows = _rows(path)
    found: Counter[str] = Counter()
    seen: set[tuple[str, ...]] = set()
    for row in rows:
        if table.key == () and tuple(row) in seen:
            found["exact duplicate row"] += 1
        seen.add(tuple(row))
        for col in table.columns:
            heading = col.header(dialect)
            if heading is None or not row[header.index(heading)]:
                continue
            value = row[header.index(heading)]
            if col.kind is Kind.NHS_NUMBER and not is_valid(value):
                found["NHS number fails modulus 11"] += 1
            elif col.kind is Kind.SNOMED and not re.fullmatch(PATTERNS[Kind.SNOMED], value):
                found["SNOMED code is not numeric"] += 1
            elif col.kind is Kind.DATE:
                try:
                    datetime.strptime(value, fmt)
                except ValueError:
                    found["impossible date"] += 1
    return found


def _issues_by_month(inbox: Path) -> dict[tuple[str, str], list[dict[str, object]]]:
    """(month folder, dialect) -> the medication-issue rows, dates parsed."""
    found: dict[tuple[str, str], list[dict[str, object]]] = {}
    for path in sorted(inbox.rglob("*_medication_issues_*.csv")):
        table, dialect = _clinical_table(path)
        fmt = table.dialect(dialect).date_formats[0]
        header, *rows = _rows(path)
        names = [table_col(table, dialect, h) for h in header]
        for row in rows:
            record: dict[str, object] = dict(zip(names, row, strict=True))
            for column in ("issue_date", "template_start_date", "template_end_date"):
                text = str(record[column])
                try:
                    record[column] = datetime.strptime(text, fmt).date() if text else None
                except ValueError:  # the injected impossible date
                    record[column] = None
            record["nhs_number"] = normalise(str(record["nhs_number"]))
            record["practice"] = path.name.split("_")[1]
            found.setdefault((path.parent.name, dialect), []).append(record)
    return found


def test_templates_ended_in_a_month_show_their_end_in_that_months_file(tiny) -> None:
    inbox, _ = tiny
    by_month = _issues_by_month(inbox)
    redelivered: Counter[str] = Counter()
    for (month, dialect), rows in sorted(by_month.items()):
        start = date.fromisoformat(f"{month}-01")
        for row in rows:
            if row["issue_date"] is None or row["issue_date"] >= start:
                continue
            # Only the re-delivery of a template ended this month may be dated earlier, and it
            # is the issue an earlier month's file delivered (same patient, drug and day).
            end = row["template_end_date"]
            assert end is not None and (end.year, end.month) == (start.year, start.month), row
            assert row["stop_reason"]
            key = (row["practice"], row["nhs_number"], row["dmd_code"], row["issue_date"])
            assert key in {
                (r["practice"], r["nhs_number"], r["dmd_code"], r["issue_date"])
                for (m, _), earlier in by_month.items()
                if m < month
                for r in earlier
            }
            redelivered[dialect] += 1
    assert set(redelivered) == {"emis", "systmone"}
    # Every template end any file shows is shown in the file of the month it ended.
    ends: dict[tuple[object, ...], object] = {}
    shown_in_month: set[tuple[object, ...]] = set()
    for (month, _), rows in by_month.items():
        for row in rows:
            if row["template_end_date"] is None:
                continue
            template = (
                row["practice"],
                row["nhs_number"],
                row["dmd_code"],
                row["template_start_date"],
            )
            ends[template] = row["template_end_date"]
            if row["template_end_date"].strftime("%Y-%m") == month:
                shown_in_month.add(template)
    assert ends and set(ends) == shown_in_month


def test_injected_bad_rows_are_exactly_those_reported(tiny) -> None:
    inbox, summary = tiny
    found = {}
    for path in inbox.rglob("*.csv"):
        clinical = any(table.source == "clinical" for table, _ in _match(path.name))
        if clinical and (defects := _defects(path)):
            found[path.name] = dict(defects)
    assert found == summary.bad_rows
    assert sum(sum(r.values()) for r in found.values()) == 5


def test_other_deliberate_imperfections_are_in_the_files(tiny) -> None:
    inbox, summary = tiny
    pcn = "U90001"
    assert not list((inbox / "2025-06").glob(f"supervision_log_{pcn}_*"))
    assert list((inbox / "2025-05").glob(f"supervision_log_{pcn}_*"))

    sea = _rows(inbox / "2025-06" / f"significant_events_{pcn}_202506.csv")
    summaries = [row[sea[0].index("Summary")] for row in sea[1:]]
    assert any(re.search(r"999 ?[0-9]{3} ?[0-9]{4}", s) for s in summaries)

    sheet = openpyxl.load_workbook(inbox / "2025-06" / f"safety_alerts_{pcn}_202506.xlsx").active
    header, *rows = sheet.iter_rows(values_only=True)
    late = [
        r
        for r in rows
        if r[header.index("Alert Type")] == "MHRA Class 2"
        and r[header.index("Date Closed")] is not None
        and (r[header.index("Date Closed")] - r[header.index("Date Received")]).days > 2
    ]
    assert len(late) == 1
    # One applicable Class 1-4 alert still open in the last log (June) long after its window.
    open_past_window = [
        r
        for r in rows
        if str(r[header.index("Alert Type")]).startswith("MHRA Class")
        and r[header.index("Triage Outcome")] == "Applicable"
        and r[header.index("Date Closed")] is None
        and (datetime(2025, 6, 30) - r[header.index("Date Received")]).days > 5
    ]
    assert len(open_past_window) == 1
    assert any("open past its window" in item for item in summary.imperfections)

    partners = openpyxl.load_workbook(inbox / "2025-06" / "ePCN.xlsx")["PCN Core Partner Details"]
    header, *rows = (
        [" ".join(str(c).split()) for c in r] for r in partners.iter_rows(values_only=True)
    )
    code = header.index("Partner Organisation Code")
    moved = [c for c, n in Counter(r[code] for r in rows).items() if n == 2]
    assert len(moved) == 1
    assert any("PCN change" in item for item in summary.imperfections)


def test_epd_files_are_internally_consistent(tiny) -> None:
    inbox, _ = tiny
    layouts = set()
    for path in inbox.rglob("EPD_*.csv"):
        header, *rows = _rows(path)
        snomed = path.name.startswith("EPD_SNOMED_")
        layouts.add(snomed)
        if not snomed:
            assert tuple(header) == EPD_LEGACY_LAYOUT
        col = {h: i for i, h in enumerate(header)}
        for row in rows:
            assert int(row[col["TOTAL_QUANTITY"]]) == int(row[col["QUANTITY"]]) * int(
                row[col["ITEMS"]]
            )
            assert 0 < float(row[col["ACTUAL_COST"]]) < float(row[col["NIC"]])
            assert re.fullmatch(r"2025-0[0-9]" if snomed else r"20250[0-9]", row[col["YEAR_MONTH"]])
    assert layouts == {True, False}


def test_national_epd_is_legacy_layout_with_the_icb_inside(tmp_path: Path) -> None:
    out = tmp_path / "EPD_202509.csv"
    assert write_national_epd(out, rows=20_000) == 20_000
    header, *rows = _rows(out)
    assert tuple(header) == EPD_LEGACY_LAYOUT
    assert len(rows) == 20_000
    assert EPD.dialect("epd").match(out.name)
    pco, practice = header.index("PCO_CODE"), header.index("PRACTICE_CODE")
    local = {r[practice] for r in rows if r[pco] in ("99X", "99Y")}
    assert local and all(code.startswith("Z") for code in local)
    assert len({r[practice] for r in rows}) == 6_700
